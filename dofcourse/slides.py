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
SHOW_CODE = "show-code"  # the tag of a code cell whose code a slide shows
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
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


def _images(cell: dict[str, Any]) -> bool:
    return any(
        any(k.startswith("image/") for k in o.get("data", {})) for o in cell.get("outputs", [])
    )


def _shown_output(output: dict[str, Any]) -> bool:
    """What a slide keeps of a cell whose code it hides: figures and widget notes."""
    data = output.get("data", {})
    return any(k.startswith("image/") for k in data) or INTERACTIVE_NOTE in _text(
        data.get("text/html", "")
    )


# What fits on a slide, in the stage's pixels: the markdown blocks and code cells of a slide are
# packed until their estimated height reaches the budget (the browser test measures the result).
_BUDGET = 610
_LINE, _CHARS, _CODE_LINE = 32, 80, 20


def _markdown_blocks(source: str) -> list[str]:
    """A markdown cell cut where a slide may break: at blank lines outside code fences and
    display math, and before every heading."""
    blocks, current, fence, math = [], [], False, False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        elif not fence and stripped.count("$$") % 2:
            math = not math
        free = not fence and not math
        if free and (not stripped or re.match(r"#{1,4} ", stripped)) and current:
            if any(x.strip() for x in current):
                blocks.append("\n".join(current).strip("\n"))
            current = []
        if stripped or not free:
            current.append(line)
    if any(x.strip() for x in current):
        blocks.append("\n".join(current).strip("\n"))
    merged: list[str] = []  # a heading stays with the block after it
    for block in blocks:
        if merged and re.fullmatch(r"#{1,4} [^\n]*", merged[-1]):
            merged[-1] += "\n\n" + block
        else:
            merged.append(block)
    return merged


def _block_height(block: str) -> int:
    """The estimated height of a markdown block on a slide, in the stage's pixels."""
    lines = block.splitlines()
    first = lines[0].lstrip()
    heading = re.match(r"(#{1,4}) ", first)
    if heading:
        size, per_line = {1: (56, 42), 2: (48, 50)}.get(len(heading[1]), (42, 60))
        rest = "\n".join(lines[1:]).strip("\n")
        return size * -(-len(first) // per_line) + 25 + (_block_height(rest) if rest else 0)
    if first.startswith("|"):
        rows = [x for x in lines if not re.match(r"\|\s*-", x)]
        return sum(40 * max(1, -(-len(x) // 140)) for x in rows) + 14
    if first.startswith("```"):
        return _CODE_LINE * len(lines) + 30
    maths = len(re.findall(r"\$\$.*?\$\$", block, flags=re.S))
    text = re.sub(r"\$\$.*?\$\$", "", block, flags=re.S)
    items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.) )", text)  # a paragraph, or the items of a list
    rows = sum(max(1, -(-len(" ".join(x.split())) // _CHARS)) for x in items if x.strip())
    return _LINE * rows + 70 * maths + 14


def _code_height(source: str) -> int:
    return _CODE_LINE * len(source.splitlines()) + 30


def deck_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """The executed chapter as lecture slides (a copy; ``static_notebook`` first).

    - A code cell shows its code only when tagged ``show-code`` or when it is an exercise, which
      shows the student's stub (never the solution); a cell whose code is hidden keeps only its
      figures (no printed logs or cached run times), and disappears when it has none.
    - Each figure starts a slide of its own, and the text after a figure starts the next one.
    - Text that would not fit goes on to a new slide, between paragraphs (and before headings).
    - The answer to a Think! prompt becomes a speaker note, with the chapter's notes cells.
    """
    from dofcourse import exercises

    raw = json.loads(json.dumps(notebook))
    answers = set(exercises.think_answers(raw.get("cells", [])).values())
    solved = {i for i, c in enumerate(raw.get("cells", [])) if _has_solution(c)}
    nb = static_notebook(raw)
    cells: list[dict[str, Any]] = []
    pending: str | None = None
    used, after_figure = 0, False

    def place(cell: dict[str, Any], kind: str, height: int, figure: bool) -> None:
        nonlocal pending, used, after_figure
        if pending and kind in ("-", "fragment"):
            kind = pending
        pending = None
        if (
            kind in ("-", "fragment")
            and used
            and (figure or after_figure or used + height > _BUDGET)
        ):
            kind = "slide"
        used = height if kind in ("slide", "subslide") else used + height
        after_figure = figure
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
        cells.append(cell)

    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        kind = slide_type(cell)
        if kind == "skip":
            continue
        if i in answers or kind == "notes" or "answer" in meta.get("tags", []):
            meta["slideshow"] = {"slide_type": "notes"}
            cells.append(cell)
            continue
        if cell.get("cell_type") == "markdown":
            blocks = _markdown_blocks(_text(cell.get("source", "")))
            for n, block in enumerate(blocks or [""]):
                part = {**cell, "source": block, "metadata": dict(meta)}
                if n and "id" in cell:
                    part["id"] = f"{cell['id']}"[:60] + f"-{n}"
                heading = n > 0 and re.match(r"#{1,3} ", block)
                place(part, kind if n == 0 else ("slide" if heading else "-"),
                      _block_height(block) if block else 0, False)  # fmt: skip
            continue
        if cell.get("cell_type") != "code":
            place(cell, kind, 0, False)
            continue
        source = _text(cell.get("source", ""))
        shown = i in solved or SHOW_CODE in meta.get("tags", []) or exercises.STUB in source
        if i in solved:
            cell["source"] = source = exercises.student_source(_text(raw["cells"][i]["source"]))
        keep = [o for o in cell.get("outputs", []) if o.get("name") != "stderr"]
        cell["outputs"] = keep if shown else [o for o in keep if _shown_output(o)]
        if not shown:
            meta["transient"] = {"remove_source": True}
            if not cell["outputs"]:
                pending = pending if kind in ("-", "fragment") else kind
                continue
        figure = _images(cell)
        height = (_code_height(source) if shown else 0) + (560 if figure else 0)
        if shown and not figure:
            height += sum(_CODE_LINE * len(_text(o.get("text", "")).splitlines()) for o in keep)
        place(cell, kind, height, figure)
    nb["cells"] = cells
    return nb


def _has_solution(cell: dict[str, Any]) -> bool:
    from dofcourse import exercises

    return cell.get("cell_type") == "code" and exercises.has_exercise(_text(cell["source"]))


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
