"""A static site of the executed course: ``python -m dofcourse.website`` (``make site``).

Sphinx with myst-nb (the engine of Jupyter Book 1), the configuration in ``site/``. Each chapter
is one page, rendered from its executed notebook with figures: the notebooks of ``make course``
in ``build/course[-quick]/`` are used when they are newer than the chapter; a chapter without
one is run first (``--mode quick``, the default, or ``full``). On the pages the exercises are
solved, with each solution cell's code folded away ("Show code cell source"); widgets, which need
a kernel, leave their starting figure and a note. The site goes to ``build/site/``
(``index.html``), loads nothing from the internet (MathJax is the local copy of
``web/node_modules``), and is checked after the build: every local link and image must exist,
every ``#anchor`` must be in its page, and no page may load anything from another host.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dofcourse import exercises
from dofcourse.publish.assets import ASSET_PARTS, ROOT, copy_parts, npm_ci
from dofcourse.publish.cli import build_parser, parse_build_args
from dofcourse.publish.links import References, external_references, is_external
from dofcourse.publish.notebooks import executed_notebook, static_notebook

SITE = ROOT / "site"
HIDE_INPUT = "hide-input"


def page_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook as a site page: solution cells tagged ``hide-input`` (myst-nb folds their
    code), markers dropped, widgets replaced by their note
    (``publish.notebooks.static_notebook``)."""
    nb = json.loads(json.dumps(notebook))
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        text = source if isinstance(source, str) else "".join(source)
        if cell.get("cell_type") == "code" and exercises.has_exercise(text):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if HIDE_INPUT not in tags:
                tags.append(HIDE_INPUT)
    return static_notebook(nb)


def assemble(notebooks: dict[str, dict[str, Any]], src: Path, site: Path = SITE) -> Path:
    """Write the Sphinx source folder: ``site/``'s files, ``chapters/<name>.ipynb`` for each
    notebook (name -> executed notebook) and MathJax in ``_static/mathjax``."""
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(site, src)
    for name, notebook in notebooks.items():
        exercises.write_notebook(page_notebook(notebook), src / "chapters" / f"{name}.ipynb")
    copy_parts(npm_ci(), "mathjax", ASSET_PARTS["mathjax"], src / "_static")
    return src


def sphinx(src: Path, out: Path) -> list[str]:
    """Run ``sphinx-build -b html``; return its warnings (the build fails on an error)."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(src), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"sphinx-build failed:\n{done.stdout}\n{done.stderr}")
    return [line for line in done.stderr.splitlines() if "WARNING" in line]


class _Page(HTMLParser):
    """The ids of a page (``publish.links.References`` finds the URLs it references)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


def _ids(html: str) -> set[str]:
    page = _Page()
    page.feed(html)
    return page.ids


def check_links(out: Path) -> list[str]:
    """Broken links of the built site: a local URL whose file is missing, an ``#anchor`` absent
    from its page, or a reference to another host. Empty when the site is whole."""
    problems, ids = [], {}
    # _static/ holds the theme's Jinja macro files (*.html, not pages).
    pages = sorted(p for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(out)
        for url in external_references(html):
            problems.append(f"{rel}: external reference {url}")
        parser = References()
        parser.feed(html)
        for url in parser.urls:
            if is_external(url) or url.startswith(("data:", "mailto:", "javascript:")):
                continue
            path, _, anchor = url.partition("#")
            path = unquote(path.split("?")[0])
            target = page if not path else (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{rel}: missing {url}")
                continue
            if anchor and target.suffix == ".html":
                if target not in ids:
                    ids[target] = _ids(target.read_text(encoding="utf-8"))
                if anchor not in ids[target]:
                    problems.append(f"{rel}: no #{anchor} in {target.relative_to(out)}")
    return problems


def chapter_pages(out: Path) -> list[str]:
    """The chapters that have a page in the built site (their file names without suffix)."""
    return sorted(p.stem for p in (out / "chapters").glob("*.html"))


def build(
    chapters: Path, out: Path, executed_dir: Path, src: Path, only: str = "", timeout: int = 3600
) -> list[str]:
    """Build the site from the executed chapters; return Sphinx's warnings. Raises when a link
    is broken."""
    notebooks = {}
    for chapter in sorted(chapters.glob(f"{only}*.ipynb")):
        notebooks[chapter.stem] = executed_notebook(chapter, executed_dir, timeout)
    assemble(notebooks, src)
    warnings = sphinx(src, out)
    problems = check_links(out)
    if problems:
        raise RuntimeError("broken links in the site:\n" + "\n".join(problems))
    return warnings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(__doc__.splitlines()[0], ROOT / "build" / "site")
    parser.add_argument("--src", type=Path, default=ROOT / "build" / "site-src")
    args = parse_build_args(parser, argv)
    executed = args.executed
    start = time.perf_counter()
    warnings = build(args.chapters, args.out, executed, args.src, args.only, args.timeout)
    for warning in warnings:
        print(warning)
    pages = chapter_pages(args.out)
    print(
        f"{len(pages)} chapter pages, links checked, in {time.perf_counter() - start:.0f} s "
        f"-> {args.out}/index.html"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
