"""Every chapter's student version runs top to bottom ("Run All") without an error, and each of
its exercises says that it is not done yet.

The instructor version is the committed chapter less its marker comments: nbval runs it in the
same test run (``pytest --nbval-lax``), every check enforced. These runs come after nbval's (see
conftest.py) and share its cache, so the experiments the chapters cache are not computed again.
Chapters that the browser test runs in JupyterLab (chapter 00 and those with a widget) are run
there, with the same assertions, instead of here; without a browser they are run here.

The run's figures are kept (the inline backend) and make the chapter's lecture deck, which is
opened in Chromium: every slide must fit 1280 x 720 (tests/_chapters.py, ``deck_misfits``), so
every deck is checked without running any chapter twice.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from dofcourse import exercises
from dofcourse.publish import notebooks
from tests import _chapters as ch

pytestmark = pytest.mark.after_chapters


def _run_here(path):
    return ch.browser_missing() is not None or path not in ch.browser_chapters()


@pytest.mark.parametrize("path", ch.NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_runs_and_reports_every_exercise_not_done(path, monkeypatch):
    if not _run_here(path):
        pytest.skip("run by the browser test (test_browser.py), in JupyterLab")
    monkeypatch.setenv("DOFCOURSE_CACHE", ch.SESSION_CACHE)
    monkeypatch.delenv("DOFCOURSE_FIGURES", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # for the deck
    notebook = exercises.student_notebook(ch.read(path))
    node = nbformat.reads(nbformat.writes(nbformat.from_dict(notebook)), as_version=4)
    client = NotebookClient(
        node,
        timeout=ch.CELL_TIMEOUT,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    done = json.loads(nbformat.writes(node))
    assert not ch.errors(done), f"{path.name} (student version): {ch.errors(done)}"
    assert ch.not_done(done) == ch.exercise_names(path), "an exercise did not say 'not done yet'"
    assert not ch.text_progress_bars(done), "tqdm printed a text bar instead of its widget"
    # A chapter that shows a widget must be one that the browser test runs.
    state = done.get("metadata", {}).get("widgets", {}).get(notebooks.WIDGET_STATE, {})
    controls = [m for m in state.get("state", {}) if notebooks.controls(state["state"], m)]
    assert not controls or ch.has_widget(path), (
        f"{path.name} shows a widget that tests/_chapters.py does not recognise: add its call "
        "to _WIDGET_CALL so that the browser test runs the chapter"
    )
    if ch.browser_missing() is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = ch.launch(playwright)
            misfits = ch.deck_misfits(browser, path, done)
            browser.close()
        assert not misfits, f"{path.stem}'s deck: {misfits}"
