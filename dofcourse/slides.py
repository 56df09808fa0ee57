"""Offline reveal.js slide decks of the executed chapters: ``python -m dofcourse.slides``.

``make slides`` (``MODE=quick``, the default, or ``MODE=full``; ``ONLY=03`` for one chapter)
writes ``build/slides/NN_name.slides.html``, one deck per chapter, and ``build/slides/_static/``,
the JavaScript they load. A deck is the chapter's instructor version, executed (the notebooks of
``make course`` in ``build/course[-quick]/`` are reused when they are newer than the chapter;
otherwise the chapter is run first, and its executed notebook kept there), cut into slides by the
cells' ``slideshow`` metadata (kept in the sources by jupytext). Open a deck in a browser
(``file://`` works) and press ``s`` for the speaker view; to present with live code, use
JupyterLab's RISE button (``jupyterlab-rise``) on the chapter instead.

nbconvert's own decks load reveal.js, jQuery, require.js, MathJax and mermaid from CDNs. These
decks load local copies, installed by npm from ``web/package.json`` (versions pinned in
``web/package-lock.json``; ``npm ci`` runs when ``web/node_modules`` is missing or stale), so a
deck works on a machine without internet. Widgets need a kernel: a deck shows the figure each
widget draws at its starting values and a note where the controls were.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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
INTERACTIVE_NOTE = (
    '<p class="dofcourse-widget-note"><em>Interactive controls here in the notebook: open the '
    "chapter in JupyterLab to move them. The figure above is drawn for their starting "
    "values.</em></p>"
)
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_CONTROL = re.compile(r"Slider|Button|Dropdown|Toggle|Checkbox|Select|Play|Text(area)?Model")

# nbconvert's reveal template, with every CDN reference replaced by a local one: the mermaid
# module import (the chapters draw no diagrams) and the widget renderer (widgets are removed)
# are dropped; the rest takes its URLs from the exporter's settings (see `exporter`).
TEMPLATE = """\
{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_css -%}
<style type="text/css">
:root { --jp-content-font-size1: 18px; --jp-ui-font-size1: 18px; --jp-code-font-size: 15px; }
.reveal { font-size: 130%; }
.reveal section img { max-height: 70vh; width: auto; }
.reveal .jp-OutputArea-output pre { font-size: 75%; }
.dofcourse-widget-note { font-size: 70%; color: #555; }
</style>
{%- endblock html_head_css -%}
"""


def npm_ci(web: Path = WEB) -> Path:
    """``web/node_modules`` as ``web/package-lock.json`` pins it; runs ``npm ci`` when needed."""
    modules = web / "node_modules"
    lock, installed = web / "package-lock.json", web / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "the decks and the site load reveal.js and MathJax from web/node_modules, which npm "
            "installs: install Node.js (with npm; Debian: apt-get install npm), then run "
            "`npm ci` in web/"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
    return modules


def _version(modules: Path, package: str) -> str:
    return json.loads((modules / package / "package.json").read_text())["version"]


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
        for part in parts:
            src, dst = modules / package / part, dest / package / part
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copyfile(src, dst)
    stamp.write_text(json.dumps(versions, indent=1))
    return dest


def _text(source: Any) -> str:
    return source if isinstance(source, str) else "".join(source)


def _controls(state: dict[str, Any], model_id: str, seen: set[str] | None = None) -> bool:
    """True when the widget ``model_id`` is or contains a control (slider, button...)."""
    seen = seen if seen is not None else set()
    if model_id in seen or model_id not in state:
        return False
    seen.add(model_id)
    model = state[model_id]
    if _CONTROL.search(model.get("model_name", "")):
        return True
    children = model.get("state", {}).get("children", [])
    return any(_controls(state, c.removeprefix("IPY_MODEL_"), seen) for c in children)


def static_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy for pages without a kernel: solution markers dropped (the instructor version),
    widget views removed (a note where controls were), the widget state dropped."""
    from dofcourse import exercises

    nb = json.loads(json.dumps(notebook))
    widgets = nb.get("metadata", {}).pop("widgets", {})
    state = widgets.get(_WIDGET_STATE, {}).get("state", {})
    nb["cells"] = exercises.instructor_cells(nb.get("cells", []))
    for cell in nb["cells"]:
        outputs, kept = cell.get("outputs", []), []
        for output in outputs:
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if view is None:
                kept.append(output)
            elif _controls(state, view.get("model_id", "")):
                note = {"text/html": INTERACTIVE_NOTE, "text/plain": "(interactive controls)"}
                kept.append({"output_type": "display_data", "data": note, "metadata": {}})
        if outputs:
            cell["outputs"] = kept
    return nb


def slide_type(cell: dict[str, Any]) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def _title(source: str) -> str | None:
    """The cell's first heading, or the bold words it opens with (``**Lanczos** finds ...``)."""
    heading = re.search(r"^#{1,4}\s+(.+)$", source, re.M)
    if heading:
        return heading[1].strip()
    lead = re.match(r"\s*\*\*(.+?)\*\*", source)
    return lead[1].strip(" .:") if lead else None


def outline(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The deck's slides: each with its kind, title (its first cell's heading or bold opening
    words) and cell indices."""
    slides: list[dict[str, Any]] = []
    for i, cell in enumerate(notebook.get("cells", [])):
        kind = slide_type(cell)
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not slides:
            opening = cell.get("cell_type") == "markdown"
            title = _title(_text(cell.get("source", ""))) if opening else None
            if kind == "subslide" and opening and not title and slides and slides[-1]["title"]:
                title = f"{slides[-1]['title']} (continued)"  # a subslide goes on with its slide
            slides.append({"kind": kind, "title": title, "cells": []})
        slides[-1]["cells"].append(i)
    return slides


def deck_problems(notebook: dict[str, Any]) -> list[str]:
    """Why the chapter's deck would not make a sensible lecture (empty when it would).

    A deck starts with a slide, has at least 5 slides, is not one slide per cell (at most half
    as many slides and subslides as shown cells), and every slide opens with a markdown cell
    that says what it is about: a heading or bold opening words (a subslide, which goes on with
    its slide's topic, opens with a markdown cell).
    """
    cells = notebook.get("cells", [])
    slides = outline(notebook)
    shown = sum(len(s["cells"]) for s in slides)
    problems = []
    if not cells or slide_type(cells[0]) != "slide":
        problems.append("the first cell does not start a slide")
    main = [s for s in slides if s["kind"] == "slide"]
    if len(main) < 5:
        problems.append(f"only {len(main)} slides: a lecture needs at least 5")
    if len(slides) > shown / 2:
        problems.append(f"{len(slides)} slides for {shown} cells: nearly one slide per cell")
    for s in slides:
        if not s["title"]:
            problems.append(
                f"the slide at cell {s['cells'][0]} does not open with a markdown cell that has "
                "a heading or bold opening words"
            )
    return problems


def exporter(static: str = STATIC, mathjax_config: str = MATHJAX_CONFIG):
    """nbconvert's SlidesExporter with every script and style sheet taken from ``static``."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    return SlidesExporter(
        extra_loaders=[DictLoader({"dofcourse_reveal.html.j2": TEMPLATE})],
        template_file="dofcourse_reveal.html.j2",
        reveal_url_prefix=f"{static}/reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_number="c/t",
        reveal_width="1280",
        reveal_height="800",
        jquery_url=f"{static}/jquery/dist/jquery.min.js",
        require_js_url=f"{static}/requirejs/require.js",
        mathjax_url=f"{static}/mathjax/MathJax.js?config={mathjax_config}",
        font_awesome_url="",
        mermaid_js_url="",
        widget_renderer_url="",
        jupyter_widgets_base_url="",
    )


def export_deck(notebook: dict[str, Any], name: str, out_dir: Path) -> Path:
    """Write ``out_dir/<name>.slides.html`` from an executed notebook (assets in ``_static``)."""
    import nbformat

    node = nbformat.reads(json.dumps(static_notebook(notebook)), as_version=4)
    html, _ = exporter().from_notebook_node(node, resources={"metadata": {"name": name}})
    # Links between chapters (NN_name.ipynb) lead to the other decks.
    html = re.sub(r'href="([0-9A-Z]\w*)\.ipynb', r'href="\1.slides.html', html)
    path = out_dir / f"{name}.slides.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


class _References(HTMLParser):
    """Every URL an HTML page loads or links to: attributes, inline CSS ``url()``/``@import``
    and quoted URLs in inline scripts."""

    ATTRS = {"src", "href", "data", "poster", "action", "srcset", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.urls += (
                    [u.split()[0] for u in value.split(",")] if name == "srcset" else [value]
                )
            if name == "style" and value:
                self.urls += _css_urls(value)

    def handle_data(self, data: str) -> None:
        if self._tag == "style":
            self.urls += _css_urls(data)
        elif self._tag == "script":
            self.urls += re.findall(r"""["'`]((?:https?:)?//[^"'`\s]+)["'`]""", data)


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"""url\(\s*["']?([^"')\s]+)""", css)
    return found + re.findall(r"""@import\s+["']([^"']+)""", css)


def is_external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.startswith("file:")


def external_references(html: str) -> list[str]:
    """The URLs in ``html`` that point off the machine (http(s)://, //host/...)."""
    parser = _References()
    parser.feed(html)
    return sorted({u for u in parser.urls if is_external(u)})


def local_references(html: str) -> list[str]:
    """The relative URLs in ``html`` (path part only), for checking that they exist."""
    parser = _References()
    parser.feed(html)
    paths = []
    for url in parser.urls:
        if is_external(url) or url.startswith(("data:", "#", "mailto:", "javascript:", "about:")):
            continue
        path = url.split("#")[0].split("?")[0]
        if path:
            paths.append(path)
    return sorted(set(paths))


def _fresh(executed: Path, chapter: Path) -> bool:
    return executed.exists() and executed.stat().st_mtime >= chapter.stat().st_mtime


@contextmanager
def _inline_figures() -> Iterator[None]:
    """Kernels draw figures into the notebook (a plain ``MPLBACKEND=Agg``, as the tests set,
    would leave ``<Figure size ...>`` where each figure belongs)."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def executed_notebook(chapter: Path, executed_dir: Path, timeout: int = 3600) -> dict[str, Any]:
    """The chapter executed in the current mode: the copy in ``executed_dir`` when it is newer
    than the chapter (from ``make course``), else a fresh run saved there."""
    from dofcourse import runner

    executed = executed_dir / chapter.name
    if not _fresh(executed, chapter):
        with _inline_figures():
            run = runner.measure_chapter(chapter, executed_dir, timeout)
        print(f"  ran {chapter.stem} in {runner.format_seconds(run.seconds)}", flush=True)
    return json.loads(executed.read_text(encoding="utf-8"))


def build(
    chapters: Path, out: Path, executed_dir: Path, only: str = "", timeout: int = 3600
) -> list[Path]:
    """One deck per chapter (or per chapter starting with ``only``) in ``out``."""
    paths = sorted(chapters.glob(f"{only}*.ipynb"))
    copy_assets(out / STATIC)
    decks = []
    for chapter in paths:
        start = time.perf_counter()
        notebook = executed_notebook(chapter, executed_dir, timeout)
        deck = export_deck(notebook, chapter.stem, out)
        bad = external_references(deck.read_text(encoding="utf-8"))
        if bad:
            raise RuntimeError(f"{deck} references external URLs: {bad}")
        n = len(outline(notebook))
        print(f"{deck}: {n} slides ({time.perf_counter() - start:.1f} s)", flush=True)
        decks.append(deck)
    return decks


def build_parser(description: str, out: Path) -> argparse.ArgumentParser:
    """The command line of ``make slides`` and ``make site``: which chapters (``--chapters``,
    ``--only``), where to write (``--out``), in which mode, from which executed notebooks
    (``--executed``; missing ones are executed with ``--timeout`` seconds per cell)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--chapters", type=Path, default=ROOT / "chapters")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--mode", choices=["quick", "full"], default="quick")
    parser.add_argument("--executed", type=Path, help="default build/course[-quick]/")
    parser.add_argument("--only", default="", help="only chapters starting with this prefix")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    return parser


def parse_build_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``, set the mode for the notebooks that will be executed, and fill in the
    folder of executed notebooks that ``make course`` writes for that mode."""
    args = parser.parse_args(argv)
    os.environ["DOFCOURSE_QUICK"] = "1" if args.mode == "quick" else "0"
    course = "course" if args.mode == "full" else "course-quick"
    args.executed = args.executed or ROOT / "build" / course
    return args


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(__doc__.splitlines()[0], ROOT / "build" / "slides")
    args = parse_build_args(parser, argv)
    executed = args.executed
    start = time.perf_counter()
    decks = build(args.chapters, args.out, executed, args.only, args.timeout)
    print(f"{len(decks)} decks in {time.perf_counter() - start:.0f} s -> {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
