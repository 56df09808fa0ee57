"""Shared test set-up: every test runs in quick mode with its own cache and figure folders."""

import collections
import re
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("DOFCOURSE_QUICK", "1")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DOFCOURSE_FIGURES", str(tmp_path / "figures"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "after_chapters: run after nbval's chapter runs, whose cache it shares"
    )


def _stated_quick_seconds(path: Path) -> float:
    """The quick-mode time a chapter's header states (0 if none): the slowest run first."""
    from dofcourse import runner

    source = path.with_suffix(".py")
    stated = runner.parse_stated(source.read_text(encoding="utf-8")) if source.exists() else None
    return stated.quick if stated and stated.quick else 0.0


# The browser test's chapters go to two groups (one JupyterLab each), so that the two test workers
# share them; one group would keep one worker busy for minutes after the other has finished.
BROWSER_GROUPS = 2


def _group(item, cost: dict) -> str:
    """The work unit an item belongs to (``--dist loadgroup``): its file, except that the
    chapter-parametrised tests that run after the chapters split by chapter (the student runs)
    or into BROWSER_GROUPS balanced groups (the browser test, whose lab is started once per
    group)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    path = params.get("path")
    if item.path.name == "test_browser.py" and path is None:  # RISE: with the first lab
        return "test_browser.py[0]"
    if not item.get_closest_marker("after_chapters") or path is None:
        return item.path.name
    if item.path.name != "test_browser.py":
        return f"{item.path.name}[{path.stem}]"
    ranked = sorted(cost, key=lambda p: -cost[p])  # zigzag: balanced halves
    return f"test_browser.py[{ranked.index(path) % BROWSER_GROUPS}]"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(session, config, items):
    """The order the test workers take work in (``pytest -n 2 --dist loadgroup
    --no-loadscope-reorder``, the Makefile's command: whole groups, in this order, to whichever
    worker is free; without ``--no-loadscope-reorder`` xdist would take the groups with the most
    tests first):

    1. the chapters (nbval), slowest first by the time each header states, so that the long ones
       start at once;
    2. tests marked after_chapters (student versions, the browser, the wheel, the grader), the
       chapter-parametrised ones slowest chapter first: by then nbval's kernels have run (or are
       running the last, short) chapters and filled the run's cache, so the chapters' cached
       experiments load at once;
    3. the unit tests by file, the files with the most tests first, so that short files fill in
       at the end until both workers are done.
    """
    chapters = [i for i in items if i.path.suffix == ".ipynb"]
    later = [i for i in items if i.get_closest_marker("after_chapters")]
    placed = {id(i) for i in chapters + later}
    rest = [i for i in items if id(i) not in placed]
    cost = {p: _stated_quick_seconds(p) for p in {i.path for i in chapters}}
    chapters.sort(key=lambda i: -cost[i.path])  # stable: cells keep their order
    browser = {
        i.callspec.params["path"]: _stated_quick_seconds(i.callspec.params["path"])
        for i in later
        if i.path.name == "test_browser.py" and hasattr(i, "callspec")
    }

    def chapter_cost(item) -> float:
        path = getattr(getattr(item, "callspec", None), "params", {}).get("path")
        return -_stated_quick_seconds(path) if path is not None else 0.0

    later.sort(key=lambda i: (i.path.name != "test_browser.py", i.path.name, chapter_cost(i)))
    size = collections.Counter(i.path for i in rest)
    rest.sort(key=lambda i: -size[i.path])  # the files with the most tests first; stable
    items[:] = chapters + later + rest
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item, browser)))


def pytest_terminal_summary(terminalreporter):
    """Say it when the browser tests were skipped, and how to enable them."""
    reasons = {
        str(report.longrepr[-1]).removeprefix("Skipped: ")
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple)
        and re.search(r"Chromium|Playwright", str(report.longrepr[-1]))
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"browser tests skipped: {reason}", yellow=True)
