"""`make site`: a Sphinx + myst-nb site with a page per chapter, figures included, no broken
link, nothing loaded from another host."""

from __future__ import annotations

import re
import shutil

import pytest

from dofcourse import website
from tests import _chapters as ch


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site of every chapter: chapter 00 executed (as `make course` leaves it), the others
    as committed (executing them all again here would cost minutes; `make site` does)."""
    if not (ch.ROOT / "web" / "node_modules").exists() and shutil.which("npm") is None:
        pytest.skip("no npm to install MathJax into web/node_modules")
    root = tmp_path_factory.mktemp("site")
    notebooks = {path.stem: ch.read(path) for path in ch.NOTEBOOKS}
    notebooks[ch.FIRST.stem] = ch.read(ch.executed_first() / ch.FIRST.name)
    src = website.assemble(notebooks, root / "src")
    warnings = website.sphinx(src, root / "html")
    return root / "html", warnings


def test_every_chapter_has_a_page_and_the_index_links_them_all(site):
    out, warnings = site
    assert warnings == [], "\n".join(warnings)
    assert website.chapter_pages(out) == [p.stem for p in ch.NOTEBOOKS]
    index = (out / "index.html").read_text(encoding="utf-8")
    for path in ch.NOTEBOOKS:
        assert f'href="chapters/{path.stem}.html"' in index, path.stem


def test_no_broken_link_and_nothing_from_another_host(site):
    out, _ = site
    assert website.check_links(out) == []


def test_an_executed_chapter_shows_its_figures_math_and_folded_solutions(site):
    out, _ = site
    page = (out / "chapters" / f"{ch.FIRST.stem}.html").read_text(encoding="utf-8")
    figures = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', page)
    assert len(figures) >= 3, "the executed chapter's figures are missing"
    assert all((out / "chapters" / f).exists() for f in figures)
    assert 'class="math' in page and "_static/mathjax/MathJax.js" in page
    assert page.count("hide-input") >= len(ch.exercise_names(ch.FIRST)), "solutions not folded"
    assert "BEGIN SOLUTION" not in page and "Interactive controls" in page


def test_check_links_reports_missing_files_anchors_and_other_hosts(tmp_path):
    (tmp_path / "a.html").write_text(
        '<p id="here"></p><a href="b.html#there">b</a><a href="#here">a</a>'
        '<img src="gone.png"><script src="https://cdn.example.org/x.js"></script>'
        '<a href="c.html">c</a>'
    )
    (tmp_path / "b.html").write_text('<h1 id="elsewhere">b</h1>')
    problems = website.check_links(tmp_path)
    assert problems == [
        "a.html: external reference https://cdn.example.org/x.js",
        "a.html: no #there in b.html",
        "a.html: missing gone.png",
        "a.html: missing c.html",
    ]
