"""What the teaching-tooling tests share: the chapters, which ones have widgets, the test run's
cache, and running a chapter's student version.

Every list here is read from ``chapters/`` when the tests start, so a chapter added later is
tested with no change to any test.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from dofcourse import exercises

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
FIRST = CHAPTERS / "00_welcome.ipynb"
SCREENSHOTS = ROOT / "build" / "browser"
# A picture of every slide of every deck costs more than measuring the slides (about 15 s a deck
# on a loaded 2-core machine, 3 minutes a test run): taken only when asked for, to look at.
SLIDE_SCREENSHOTS = os.environ.get("DOFCOURSE_SLIDE_SCREENSHOTS", "") not in ("", "0")
# The cache of this test run (the root conftest.py makes one per run; nbval's kernels fill it
# while they run the chapters). Read at import, before the per-test fixture moves the variable.
SESSION_CACHE = os.environ.get("DOFCOURSE_CACHE") or tempfile.mkdtemp(prefix="dofcourse-cache-")
CELL_TIMEOUT = 900
# A code cell that shows a widget: ipywidgets itself, or the course's widget helpers
# (plotting.explore, landscape.explorer, the figures modules' explore_*, geometry's *_demo, ...).
_WIDGET_CALL = re.compile(
    r"\bipywidgets\b|\bwidgets\.\w+\(|\b\w*(?:explore|explorer|scrubber|interact|interactive"
    r"|_demo|_widget)\w*\s*\(",
)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def text(source) -> str:
    return source if isinstance(source, str) else "".join(source)


def code_sources(notebook: dict) -> list[str]:
    return [text(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def markdown_sources(notebook: dict) -> list[str]:
    return [text(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]


def has_widget(path: Path) -> bool:
    """True when a code cell of the chapter shows an ipywidget (other than progress bars)."""
    return any(_WIDGET_CALL.search(s) for s in code_sources(read(path)))


def browser_chapters() -> list[Path]:
    """Chapter 00 and every chapter with a widget: the chapters the browser test runs."""
    return [p for p in NOTEBOOKS if p == FIRST or has_widget(p)]


def think_answers(path: Path) -> dict[int, int]:
    """{Think! prompt: its answer cell} of the chapter (cell indices)."""
    return exercises.think_answers(read(path)["cells"])


def exercise_names(path: Path) -> list[str]:
    return exercises.exercise_names(code_sources(read(path)))


@functools.cache
def chromium() -> str | None:
    """The Chromium the browser tests drive (``DOFCOURSE_CHROMIUM`` or Debian's ``chromium``)."""
    for candidate in (os.environ.get("DOFCOURSE_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@functools.cache
def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (`make install` installs the dev extra)"
    if chromium() is None:
        return (
            "no Chromium found: install Debian's package (`apt-get install -y chromium`; "
            ".ci/run does it) or set DOFCOURSE_CHROMIUM=/path/to/chromium"
        )
    return None


def launch(playwright):
    """Headless Debian Chromium through Playwright (never `playwright install`)."""
    return playwright.chromium.launch(
        executable_path=chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
    )


def outputs(notebook: dict) -> list[dict]:
    return [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def errors(notebook: dict) -> list[str]:
    """Error outputs and tracebacks printed to stderr, one line each."""
    found = []
    for output in outputs(notebook):
        if output.get("output_type") == "error":
            found.append(f"{output.get('ename')}: {output.get('evalue')}")
        elif output.get("name") == "stderr" and "Traceback" in text(output.get("text", "")):
            found.append(text(output["text"]).strip().splitlines()[-1])
    return found


def not_done(notebook: dict) -> list[str]:
    """The exercises whose check said "not done yet", in order."""
    lines = "".join(text(o.get("text", "")) for o in outputs(notebook) if o.get("name") == "stdout")
    return re.findall(rf"^(.+?) {exercises.NOT_DONE}", lines, flags=re.M)


def text_progress_bars(notebook: dict) -> list[str]:
    """tqdm bars printed as text (tqdm.auto fell back from the widget): none may appear."""
    bar = re.compile(r"\d+%\|.*\|")
    return [
        text(o["text"]).strip()[:80]
        for o in outputs(notebook)
        if o.get("output_type") == "stream" and bar.search(text(o.get("text", "")))
    ]


@functools.cache
def executed_first() -> Path:
    """A folder holding chapter 00 executed (the instructor version, quick mode), as `make
    course MODE=quick` leaves it; run once per test run, for the deck and site tests."""
    from dofcourse import slides

    out = Path(tempfile.mkdtemp(prefix="dofcourse-executed-"))
    keep = {k: os.environ.get(k) for k in ("DOFCOURSE_CACHE", "DOFCOURSE_QUICK")}
    os.environ.update(DOFCOURSE_CACHE=SESSION_CACHE, DOFCOURSE_QUICK="1")
    try:
        slides.executed_notebook(FIRST, out)
    finally:
        for key, value in keep.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return out


# Shows every slide of an open reveal.js deck in turn and measures it once MathJax has typeset
# it and its images have loaded: a slide overflows when its content is taller or wider than the
# stage (the deck's own width and height, 1280 x 720).
_MEASURE_SLIDES = """async () => {
  const stage = Reveal.getConfig();
  const found = [];
  for (const slide of Reveal.getSlides()) {
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v);
    await new Promise(done => MathJax.Hub.Queue(done));
    await Promise.all([...slide.querySelectorAll("img")].map(img => img.decode().catch(() => 0)));
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    const title = slide.querySelector("h1, h2, h3, h4");
    const used = Math.max(0, ...[...slide.children].filter(c => c.tagName !== "ASIDE")
                                 .map(c => c.offsetTop + c.offsetHeight));
    found.push({number: found.length + 1, height: slide.scrollHeight, width: slide.scrollWidth,
                used: used,
                stageHeight: stage.height, stageWidth: stage.width,
                title: (title ? title.textContent : slide.textContent).trim().slice(0, 60),
                figures: slide.querySelectorAll("img").length,
                notes: slide.querySelectorAll("aside.notes").length});
  }
  return found;
}"""


def measure_deck(browser, deck: Path, screenshots: str | None = None) -> list[dict]:
    """Open ``deck`` (file://) in ``browser`` with every non-file request refused and measure
    each slide (height, width, the stage's size, title, figures, speaker notes); with
    ``screenshots`` (a name prefix), save a PNG of each slide to ``SCREENSHOTS``."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", state="attached", timeout=60_000)
        page.wait_for_function("window.MathJax && MathJax.isReady", timeout=60_000)
        slides = page.evaluate(_MEASURE_SLIDES)
        if screenshots:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for s in slides:
                page.evaluate(
                    f"(() => {{ const s = Reveal.getSlides()[{s['number'] - 1}]; "
                    "const at = Reveal.getIndices(s); Reveal.slide(at.h, at.v); })()"
                )
                page.wait_for_timeout(300)
                page.screenshot(path=str(SCREENSHOTS / f"{screenshots}_{s['number']:02d}.png"))
        return slides
    finally:
        page.close()


def overflowing(slides: list[dict]) -> list[str]:
    """The slides whose content does not fit the stage, one line each."""
    return [
        f"slide {s['number']} ({s['title']!r}): {s['width']} x {s['height']} px on a "
        f"{s['stageWidth']} x {s['stageHeight']} stage"
        for s in slides
        if s["height"] > s["stageHeight"] + 1 or s["width"] > s["stageWidth"] + 1
    ]


def with_outputs(chapter: dict, executed: dict) -> dict:
    """The chapter (instructor version) with the outputs of ``executed``, a run of its student
    version (cells matched by id): what a deck is made from, without running the chapter again."""
    ran = {c.get("id"): c for c in executed["cells"] if c["cell_type"] == "code"}
    cells = []
    for cell in chapter["cells"]:
        cell = dict(cell)
        if cell["cell_type"] == "code" and cell.get("id") in ran:
            cell["outputs"] = ran[cell["id"]].get("outputs", [])
            cell["execution_count"] = ran[cell["id"]].get("execution_count")
        cells.append(cell)
    widgets = executed.get("metadata", {}).get("widgets")
    metadata = {**chapter["metadata"], **({"widgets": widgets} if widgets else {})}
    return {**chapter, "metadata": metadata, "cells": cells}


def deck_misfits(browser, path: Path, executed: dict) -> list[str]:
    """Build ``path``'s deck from the outputs of ``executed`` (a run of its student version),
    open it in ``browser`` and return what is wrong: slides that overflow the 1280 x 720 stage,
    a deck without speaker notes or without a figure (with ``DOFCOURSE_SLIDE_SCREENSHOTS=1``,
    screenshots of every slide go to ``SCREENSHOTS``/deck_NN_*.png)."""
    from dofcourse import slides

    out = Path(tempfile.gettempdir()) / "dofcourse-test-decks"
    slides.copy_assets(out / slides.STATIC)
    deck = slides.export_deck(with_outputs(read(path), executed), path.stem, out)
    for old in SCREENSHOTS.glob(f"deck_{path.stem[:2]}_*.png"):
        old.unlink()
    shots = f"deck_{path.stem[:2]}" if SLIDE_SCREENSHOTS else None
    measured = measure_deck(browser, deck, screenshots=shots)
    problems = overflowing(measured)
    if not any(s["notes"] for s in measured):
        problems.append("no slide has speaker notes")
    if not any(s["figures"] for s in measured):
        problems.append("no slide shows a figure")
    print(f"{path.stem}: deck of {len(measured)} slides, tallest "
          f"{max(s['used'] for s in measured)} px of {measured[0]['stageHeight']}")  # fmt: skip
    return problems
