"""The repository's address, written in one place, and everything made from it.

The address is ``[project.urls] Repository`` in ``pyproject.toml``. From it come the README's
Binder and Colab links (one row per chapter) and the first code cell of every chapter, which
installs the course where ``dofcourse`` cannot be imported (Colab, Kaggle, any Jupyter without
the course). ``python tools/links.py`` (``make links``) rewrites both after the address changes;
``tests/test_packaging.py`` fails while any copy differs from what this file makes.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "main"
INSTALL_MARK = "# Colab, Kaggle or a Jupyter without the course:"


def repository(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """``https://github.com/OWNER/NAME``, from ``pyproject.toml``."""
    url = tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"]
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"[project.urls] Repository must be https://github.com/OWNER/NAME: {url}")
    return url


def binder_url(notebook: str, repo: str | None = None) -> str:
    """mybinder.org's launch link for ``chapters/<notebook>`` (JupyterLab, student version)."""
    slug = (repo or repository()).removeprefix("https://github.com/")
    return f"https://mybinder.org/v2/gh/{slug}/{BRANCH}?urlpath=lab/tree/chapters/{notebook}"


def colab_url(notebook: str, repo: str | None = None) -> str:
    """Google Colab's link that opens ``chapters/<notebook>`` from GitHub."""
    slug = (repo or repository()).removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/chapters/{notebook}"


def install_cell(repo: str | None = None) -> str:
    """The first code cell of every chapter (jupytext percent format, without its ``# %%``).

    Where the course is installed (``make lab``, Binder, a class's venv) it does nothing. Else it
    installs the course from the repository with pip, which keeps an installed torch that
    satisfies the course's range (Colab's CUDA build) instead of replacing it, and runs the
    quick mode unless ``DOFCOURSE_QUICK`` says otherwise.
    """
    repo = repo or repository()
    return f"""{INSTALL_MARK} install it first (about a minute)
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("dofcourse") is None:
    os.environ.setdefault("DOFCOURSE_QUICK", "1")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "git+{repo}"]
    subprocess.run(pip, check=True)"""


def readme_with_links(readme: str, repo: str | None = None) -> str:
    """``readme`` with every Binder and Colab link, and every mention of the repository, at
    the repository's address (the old address is read from the Binder and Colab links)."""
    slug = (repo or repository()).removeprefix("https://github.com/")
    pattern = r"(?:mybinder\.org/v2/gh|colab\.research\.google\.com/github)/([\w.-]+/[\w.-]+)/"
    for old in set(re.findall(pattern, readme)) - {slug}:
        readme = readme.replace(f"/{old}/", f"/{slug}/").replace(
            f"github.com/{old}", f"github.com/{slug}"
        )
    return readme


def chapter_with_install_cell(source: str, repo: str | None = None) -> str:
    """A chapter's percent-format source with its install cell made from the address."""
    cell = install_cell(repo)
    start = source.find(INSTALL_MARK)
    if start < 0:
        raise ValueError("the chapter has no install cell (its first code cell)")
    end = source.find("\n\n# %%", start)
    return source[:start] + cell + source[end:]


def main() -> int:
    repo = repository()
    readme = ROOT / "README.md"
    readme.write_text(readme_with_links(readme.read_text(), repo))
    for path in sorted((ROOT / "chapters").glob("*.py")):
        text = path.read_text()
        if INSTALL_MARK in text:
            path.write_text(chapter_with_install_cell(text, repo))
    print(f"links and install cells now use {repo}; run `make sync` to update the notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
