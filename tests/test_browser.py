"""JupyterLab in a real browser: the lab that `make lab` starts, driven by Playwright in headless
Chromium (Debian's ``chromium``; never `playwright install`).

For chapter 00 and every chapter with a widget (tests/_chapters.py finds them): open the
student's copy (`make lab` serves the student versions), "Run All Cells" in quick mode, wait for
the kernel, then check that no cell shows an error, that every exercise says "not done yet",
that every widget rendered as a widget (not "Loading widget..." or "Error displaying widget"),
that the tqdm progress bars were widgets, and that moving one slider of each widget (and
pressing its button, where it has one) changes what the widget shows. Screenshots go to
``build/browser/`` for a person to look at.

The lab runs with this test run's cache (filled by nbval's runs of the same chapters, which come
first) and with one setting changed: notebooks render every cell (``windowingMode: none``), so
that the whole notebook is in the page to be checked. Skipped, with the reason printed at the end
of the run, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests import _chapters as ch

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the tests are skipped then
    PlaywrightError = Exception

pytestmark = [
    pytest.mark.after_chapters,
    pytest.mark.skipif(ch.browser_missing() is not None, reason=str(ch.browser_missing())),
]
WIDGET = "application/vnd.jupyter.widget-view+json"
RUN_TIMEOUT = 900  # seconds for one chapter's "Run All"
BROKEN_WIDGET = re.compile(r"Loading widget|Error displaying widget")
# The panel's content without its controls (slider readouts change with the slider itself).
SHOWN = """(node) => {
  const copy = node.cloneNode(true);
  copy.querySelectorAll('.widget-slider, .widget-button, button').forEach(e => e.remove());
  return copy.innerHTML;
}"""


class Lab:
    def __init__(self, base: str, token: str, notebooks: Path):
        self.base, self.token, self.notebooks = base, token, notebooks

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def get(self, path: str):
        with urllib.request.urlopen(self.url(path), timeout=60) as response:
            return json.load(response)

    def delete(self, path: str) -> None:
        request = urllib.request.Request(self.url(path), method="DELETE")
        urllib.request.urlopen(request, timeout=60).close()

    def session(self, name: str) -> dict | None:
        return next((s for s in self.get("/api/sessions") if s["path"].endswith(name)), None)

    def kernel_state(self, name: str) -> str:
        session = self.session(name)
        if session is None:
            return "starting"
        return self.get(f"/api/kernels/{session['kernel']['id']}")["execution_state"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`'s launcher (tools/lab.py) on fresh student copies, headless, on localhost."""
    home = tmp_path_factory.mktemp("lab")
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "DOFCOURSE_CACHE": ch.SESSION_CACHE,
        "DOFCOURSE_FIGURES": str(home / "figures"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    env.pop("MPLBACKEND", None)  # the tests' Agg backend would hide every figure in the lab
    port, token = _free_port(), "dofcourse-browser-test"
    log = open(home / "lab.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, str(ch.ROOT / "tools" / "lab.py"), "--dir", str(home / "notebooks")]
        + ["--no-browser", f"--port={port}", f"--ServerApp.token={token}"]
        + ["--ServerApp.ip=127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lab = Lab(f"http://127.0.0.1:{port}", token, home / "notebooks")
    try:
        for _ in range(360):  # up to 3 minutes on a busy machine
            try:
                lab.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, (home / "lab.log").read_text()
                time.sleep(0.5)
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = ch.launch(playwright)
        yield chromium
        chromium.close()


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt",
        "els => els.map(e => e.textContent.trim())",
    )


# Runs in the page before JupyterLab's own scripts: remembers whether a tqdm progress-bar widget
# was ever added to the page, however briefly it stayed.
_WATCH_PROGRESS_BARS = """
window.__dofcourseProgressBars = false;
new MutationObserver((records, observer) => {
    if (document.querySelector(".widget-hprogress")) {
        window.__dofcourseProgressBars = true;
        observer.disconnect();
    }
}).observe(document, {childList: true, subtree: true});
"""


def _new_page(browser) -> tuple[Any, list[str]]:
    """A page the size of a laptop screen that records progress bars and collects the page's
    JavaScript errors (the list is filled while the page lives)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(_WATCH_PROGRESS_BARS)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    return page, page_errors


def _open(page, lab: Lab, name: str) -> None:
    """Open notebook ``name`` in a fresh workspace and wait until its cells are drawn."""
    page.goto(lab.url(f"/lab/tree/{name}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=180_000)


def _wait_until_done(page, lab: Lab, name: str) -> tuple[bool, float]:
    """Wait until no cell is queued or running ("[*]") and the kernel has been idle for a few
    seconds (after an error JupyterLab clears the queue); return whether a progress-bar widget
    showed meanwhile, and the seconds it took. The kernel's state alone is not enough: it
    reads "idle" for moments between queued cells. A bar may come and go between two polls
    (quick-mode training takes well under a second), so the page itself records whether one
    was ever added (`_WATCH_PROGRESS_BARS`)."""
    start, idle, bars = time.perf_counter(), 0, False
    while time.perf_counter() - start < RUN_TIMEOUT:
        if not bars and page.evaluate("window.__dofcourseProgressBars === true"):
            bars = True
            try:  # the bar may close itself at any moment (leave=False)
                page.locator(".widget-hprogress").first.scroll_into_view_if_needed(timeout=2000)
                _screenshot(page, f"{Path(name).stem}_progress_bar")
            except PlaywrightError:
                pass
        idle = idle + 1 if lab.kernel_state(name) == "idle" else 0
        prompts = _prompts(page)
        ran = any(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        if idle >= 3 and ran and "[*]:" not in prompts:
            return bars, time.perf_counter() - start
        page.wait_for_timeout(1000)
    pytest.fail(f"{name}: Run All did not finish within {RUN_TIMEOUT} s")


def _save(page, lab: Lab, name: str) -> dict:
    """Save the notebook as the lab does (Ctrl+S) and read it back from the server."""
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_selector(".lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)", timeout=60_000)
    return lab.get(f"/api/contents/{name}?content=1")["content"]


def _screenshot(page, name: str) -> None:
    ch.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ch.SCREENSHOTS / f"{name}.png"))


def _move_slider(page, panel) -> str:
    """Move the panel's first slider one step (back from its maximum), press its button if it
    has one; return what was done."""
    handle = panel.locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.focus()
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
    done = f"slider {'left' if at_max else 'right'}"
    buttons = panel.locator("button")
    if buttons.count():
        buttons.first.click()
        done += f", pressed '{buttons.first.text_content().strip()}'"
    return done


@pytest.mark.parametrize("path", ch.browser_chapters(), ids=lambda p: p.stem)
def test_chapter_runs_in_jupyterlab_with_working_widgets(path, lab, browser):
    name, stem = path.name, path.stem
    page, page_errors = _new_page(browser)
    try:
        _open(page, lab, name)
        start = time.perf_counter()
        while lab.kernel_state(name) != "idle" and time.perf_counter() - start < 180:
            page.wait_for_timeout(500)
        _run_all(page)
        bars, seconds = _wait_until_done(page, lab, name)
        print(f"{stem}: Run All took {seconds:.0f} s in JupyterLab")
        notebook = _save(page, lab, name)
        assert not list(lab.notebooks.glob("*.py")), "saving a copy wrote a paired .py beside it"
        misfits = ch.deck_misfits(browser, path, notebook)  # the lecture deck, from this run
        assert not misfits, f"{stem}'s deck: {misfits}"
        root = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        root.locator(".jp-Cell").first.scroll_into_view_if_needed()
        _screenshot(page, f"{stem}_top")

        # No cell shows an error; every exercise says it is not done; every cell ran.
        assert not ch.errors(notebook), f"{name}: {ch.errors(notebook)}"
        assert ch.not_done(notebook) == ch.exercise_names(path)
        counts = [c.get("execution_count") for c in notebook["cells"] if c["cell_type"] == "code"]
        skipped = [i for i, count in enumerate(counts) if count is None]
        assert not skipped, f"{name}: code cells {skipped} did not run"

        # Widgets rendered as widgets, progress bars too.
        assert not BROKEN_WIDGET.search(root.text_content()), f"{name}: a widget did not render"
        views = root.locator(".jp-OutputArea-output:has(> .jupyter-widgets)")
        saved = [o for o in ch.outputs(notebook) if WIDGET in o.get("data", {})]
        assert views.count() >= len(saved), f"{name}: {len(saved)} widgets saved, fewer shown"
        assert not ch.text_progress_bars(notebook), "tqdm printed text instead of its widget"
        if path == ch.FIRST:
            assert bars, "chapter 00 trains a network: its progress bar should show as a widget"

        # A solution is one click away, and hidden until then.
        folded = root.locator(".jp-RenderedMarkdown details")
        answers = folded.filter(has=page.locator("summary", has_text="Answer"))
        assert answers.count() == len(ch.think_answers(path)), f"{name}: Think! answers not folded"
        for i in range(answers.count()):
            assert answers.nth(i).get_attribute("open") is None, "a Think! answer is shown unasked"
        solution = folded.filter(has=page.locator("summary", has_text="Solution")).first
        if ch.exercise_names(path):
            assert solution.count(), f"{name}: no collapsed solution"
            assert solution.get_attribute("open") is None, "a solution is shown unasked"
            assert not solution.locator("pre").is_visible(), "a solution's code is in view"
            solution.locator("summary").click()
            assert solution.locator("pre").is_visible(), "one click should show the solution"
            if path == ch.FIRST:
                _screenshot(page, f"{stem}_solution_opened")

        # Each widget: a figure before any interaction; moving a slider changes what it shows.
        panels = views.filter(has=page.locator(".widget-slider"))
        if ch.has_widget(path):
            assert panels.count(), f"{name}: no slider widget was rendered"
        for i in range(panels.count()):
            panel = panels.nth(i)
            cell = panel.locator("xpath=ancestor::div[contains(@class, 'jp-CodeCell')][1]")
            panel.scroll_into_view_if_needed()
            assert cell.locator("img").count(), f"{name}: widget {i} shows no figure before use"
            _screenshot(page, f"{stem}_widget{i}_before")
            before = cell.evaluate(SHOWN)  # the figure is redrawn in place, above the panel
            images = cell.locator("img").count()
            action = _move_slider(page, panel)
            deadline = time.perf_counter() + 180
            while cell.evaluate(SHOWN) == before and time.perf_counter() < deadline:
                page.wait_for_timeout(1000)
            page.wait_for_timeout(1500)  # let the new figure finish drawing for the screenshot
            panel.scroll_into_view_if_needed()
            _screenshot(page, f"{stem}_widget{i}_after")
            assert cell.evaluate(SHOWN) != before, f"{name}: widget {i} did not change ({action})"
            if panel.get_by_text("the figure above redraws").count():  # plotting.explore
                assert cell.locator("img").count() == images, f"{name}: {i} drew a 2nd figure"
        assert not page_errors, f"JavaScript errors in the page: {page_errors}"
    finally:
        session = lab.session(name)
        if session:
            lab.delete(f"/api/sessions/{session['id']}")
        page.close()


def test_rise_presents_a_chapter_as_slides_in_jupyterlab(lab, browser):
    """The lecturer's way: the RISE button of the notebook's toolbar shows the chapter as a
    reveal.js slideshow with live code (jupyterlab-rise)."""
    name = ch.FIRST.name
    page, page_errors = _new_page(browser)
    try:
        _open(page, lab, name)
        page.locator('.jp-NotebookPanel-toolbar [data-command="RISE:preview"]').first.click()
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            frame = next((f for f in page.frames if "/rise/" in f.url), None)
            if frame is not None:
                break
            page.wait_for_timeout(500)
        assert frame is not None, "RISE opened no slideshow"
        frame.wait_for_selector(".reveal .slides section", state="attached", timeout=120_000)
        page.wait_for_timeout(3000)
        _screenshot(page, "rise_00_welcome")
        slides = frame.locator(".reveal .slides > section").count()
        expected = sum(c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "slide"
                       for c in ch.read(ch.FIRST)["cells"])  # fmt: skip
        assert slides == expected, f"RISE shows {slides} slides, the chapter has {expected}"
        assert not page_errors, f"JavaScript errors in the page: {page_errors}"
    finally:
        for session in lab.get("/api/sessions"):
            lab.delete(f"/api/sessions/{session['id']}")
        page.close()
