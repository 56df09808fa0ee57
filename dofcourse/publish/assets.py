"""The JavaScript a deck or a site page loads, installed by npm and copied beside the pages.

``web/package.json`` names reveal.js, jQuery, require.js and MathJax (versions pinned in
``web/package-lock.json``); :func:`npm_ci` installs them into ``web/node_modules`` when missing
or stale, and :func:`copy_assets` / :func:`copy_parts` copy the parts a page loads, so decks and
the site work on a machine without internet (``make slides``, ``make site``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WEB = ROOT / "web"
NODE_MODULES = WEB / "node_modules"
STATIC = "_static"
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
# The parts of each npm package a deck or a site page loads (MathJax 2: CommonHTML output with
# the TeX fonts as woff only, about 7 MB of its 73).
_MATHJAX_PARTS = [
    "MathJax.js",
    "config/TeX-AMS_CHTML-full.js",
    "config/Safe.js",
    "extensions",
    "jax/input/TeX",
    "jax/output/CommonHTML",
    "jax/element",
    "fonts/HTML-CSS/TeX/woff",
    "localization/en",
]
ASSET_PARTS = {
    "reveal.js": ["dist", "plugin/notes", "LICENSE"],
    "jquery": ["dist/jquery.min.js", "LICENSE.txt"],
    "requirejs": ["require.js"],
    "mathjax": _MATHJAX_PARTS + ["LICENSE"],
}


def npm_ci(web: Path = WEB) -> Path:
    """``web/node_modules`` as ``web/package-lock.json`` pins it; runs ``npm ci`` when needed.

    Two processes that need it at once (the test workers) take turns: ``npm ci`` first deletes
    ``node_modules``, so one run would empty the folder the other is filling (a CI run lost
    reveal.js so). The second finds it installed once the first is done."""
    modules = web / "node_modules"
    lock, installed = web / "package-lock.json", web / "node_modules" / ".package-lock.json"
    with _exclusive(web / ".npm-ci.lock"):
        if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
            return modules
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "the decks and the site load reveal.js and MathJax from web/node_modules, which "
                "npm installs: install Node.js (with npm; Debian: apt-get install npm), then run "
                "`npm ci` in web/"
            )
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
    return modules


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing) while inside: other
    processes wait. Where ``fcntl`` does not exist (Windows), no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not on Linux or macOS)
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _version(modules: Path, package: str) -> str:
    return json.loads((modules / package / "package.json").read_text())["version"]


def copy_parts(modules: Path, package: str, parts: list[str], dest: Path) -> None:
    """Copy ``parts`` (files or folders) of the npm ``package`` in ``modules`` into
    ``dest/package``."""
    for part in parts:
        src, dst = modules / package / part, dest / package / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def copy_assets(dest: Path, modules: Path | None = None) -> Path:
    """Copy what the decks load into ``dest`` (``reveal.js/``, ``jquery/``, ``requirejs/``,
    ``mathjax/``); nothing is copied again when the same versions are already there."""
    modules = modules or npm_ci()
    versions = {p: _version(modules, p) for p in ASSET_PARTS}
    stamp = dest / "versions.json"
    if stamp.exists() and json.loads(stamp.read_text()) == versions:
        return dest
    for package, parts in ASSET_PARTS.items():
        shutil.rmtree(dest / package, ignore_errors=True)
        copy_parts(modules, package, parts, dest)
    stamp.write_text(json.dumps(versions, indent=1))
    return dest
