"""Offline reveal.js slide decks of the executed chapters: ``python -m dofcourse.slides``.

``make slides`` (``MODE=quick``, the default, or ``MODE=full``; ``ONLY=03`` for one chapter)
writes ``build/slides/NN_name.slides.html``, one deck per chapter, and ``build/slides/_static/``,
the JavaScript they load. A deck is the chapter's instructor version, executed (the notebooks of
``make course`` in ``build/course[-quick]/`` are reused when they are newer than the chapter;
otherwise the chapter is run first, and its executed notebook kept there), cut into slides by the
cells' ``slideshow`` metadata (kept in the sources by jupytext) and made into lecture slides
(:func:`deck_notebook`): code is hidden unless the chapter tags the cell ``show-code`` (code a
student must read; an exercise shows its stub, never its solution), a hidden cell keeps only its
figures, each figure gets a slide of its own, and the answers to Think! prompts go into the
speaker notes with the chapter's own notes cells (slide type ``notes``). Every slide fits a
1280 × 720 stage (the browser test measures each one). Open a deck in a browser (``file://``
works) and press ``s`` for the speaker view; to present with live code, use
JupyterLab's RISE button (``jupyterlab-rise``) on the chapter instead.

nbconvert's own decks load reveal.js, jQuery, require.js, MathJax and mermaid from CDNs. These
decks load local copies, installed by npm from ``web/package.json`` (versions pinned in
``web/package-lock.json``; ``npm ci`` runs when ``web/node_modules`` is missing or stale), so a
deck works on a machine without internet. Widgets need a kernel: a deck shows the figure each
widget draws at its starting values and a note where the controls were.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from dofcourse.publish.assets import ASSET_PARTS as ASSET_PARTS
from dofcourse.publish.assets import MATHJAX_CONFIG, ROOT, STATIC, copy_assets
from dofcourse.publish.cli import build_parser, parse_build_args
from dofcourse.publish.deck import SHOW_CODE as SHOW_CODE
from dofcourse.publish.deck import deck_notebook, slide_type
from dofcourse.publish.links import external_references
from dofcourse.publish.links import local_references as local_references
from dofcourse.publish.notebooks import executed_notebook, text
from dofcourse.publish.notebooks import static_notebook as static_notebook

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720

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
.reveal .slides section { height: 100%; box-sizing: border-box; padding: 0 0.5em; }
.reveal section img { max-height: 560px; max-width: 100%; width: auto; }
.reveal .jp-OutputArea-output pre { font-size: 75%; }
.reveal .jp-RenderedHTMLCommon { font-size: 24px; line-height: 1.35; }
.reveal .jp-RenderedHTMLCommon h1 { font-size: 40px; }
.reveal .jp-RenderedHTMLCommon h2 { font-size: 34px; }
.reveal .jp-RenderedHTMLCommon h3 { font-size: 30px; }
.reveal .jp-RenderedHTMLCommon :is(p, ul, ol, table, pre) { margin: 0 0 14px 0; }
.reveal .jp-RenderedHTMLCommon li { margin: 0; }
.reveal .jp-InputArea .jp-Editor { font-size: 18px; }
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.dofcourse-widget-note { font-size: 70%; color: #555; }
</style>
{%- endblock html_head_css -%}
{% block footer_js %}
<script>
require({waitSeconds: 15},
  ["{{ reveal_url_prefix }}/dist/reveal.js", "{{ reveal_url_prefix }}/plugin/notes/notes.js"],
  function(Reveal, RevealNotes) {
    window.Reveal = Reveal;  // for the browser test, which measures every slide
    Reveal.initialize({
      controls: true, progress: true, history: true, center: false,
      navigationMode: "linear",  // the arrow keys, space and a clicker all go slide by slide
      transition: "{{reveal_transition}}", slideNumber: "{{reveal_number}}",
      plugins: [RevealNotes], width: {{reveal_width}}, height: {{reveal_height}},
    });
    Reveal.addEventListener("slidechanged", function() {
      if (MathJax.Hub.getAllJax(Reveal.getCurrentSlide())) {
        MathJax.Hub.Rerender(Reveal.getCurrentSlide());
      }
    });
  });
</script>
{% endblock footer_js %}
"""


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
            title = _title(text(cell.get("source", ""))) if opening else None
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
        reveal_scroll=False,
        reveal_number="c/t",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
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

    node = nbformat.reads(json.dumps(deck_notebook(notebook)), as_version=4)
    html, _ = exporter().from_notebook_node(node, resources={"metadata": {"name": name}})
    # Links between chapters (NN_name.ipynb) lead to the other decks.
    html = re.sub(r'href="([0-9A-Z]\w*)\.ipynb', r'href="\1.slides.html', html)
    path = out_dir / f"{name}.slides.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


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
