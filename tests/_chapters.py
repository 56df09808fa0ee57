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
# The cache of this test run (the root conftest.py makes one per run; nbval's kernels fill it
# while they run the chapters). Read at import, before the per-test fixture moves the variable.
SESSION_CACHE = os.environ.get("DOFCOURSE_CACHE") or tempfile.mkdtemp(prefix="dofcourse-cache-")
CELL_TIMEOUT = 900
# A code cell that shows a widget: ipywidgets itself, or the course's widget helpers
# (plotting.explore, landscape.explorer, hessian.checkpoint_scrubber, geometry's *_demo, ...).
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
