"""Shared test set-up: every test runs in quick mode with its own cache and figure folders."""

import collections
import functools
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


# The browser test's chapters go to two work units (one JupyterLab each), so that the two test
# workers share them; one unit would keep one worker busy for minutes after the other is done.
BROWSER_GROUPS = 2


@functools.cache
def _browser_group() -> dict[str, int]:
    """{chapter stem: its browser work unit}: the chapters by stated time, dealt in turn."""
    from tests import _chapters as ch

    ranked = sorted(ch.browser_chapters(), key=lambda p: -_stated_quick_seconds(p))
    return {path.stem: i % BROWSER_GROUPS for i, path in enumerate(ranked)}


def work_unit(nodeid: str) -> str:
    """The work unit of a test (what one worker runs in one go): its file, except that the
    student runs split by chapter and the browser test into BROWSER_GROUPS units."""
    file, _, rest = nodeid.partition("::")
    chapter = re.search(r"\[([^\]]+)\]$", rest)
    if file.endswith("test_browser.py"):
        return f"{file}[{_browser_group().get(chapter.group(1), 0) if chapter else 0}]"
    if file.endswith("test_student_runs.py") and chapter:
        return f"{file}[{chapter.group(1)}]"
    return file


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, there when it is installed
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (the Makefile's), with two changes: the work units of
    :func:`work_unit`, and the units handed out in the order of pytest_collection_modifyitems
    (xdist would otherwise take the files with the most tests first). (xdist's own
    ``--dist loadgroup`` cannot do this here: with pytest 9 its group marks do not reach the
    scheduler, and each test becomes a unit of its own, splitting a chapter's cells between
    two kernels.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False
    return Scheduling(config, log)


def pytest_collection_modifyitems(session, config, items):
    """The order the test workers take work in (``pytest -n 2 --dist loadfile``, the Makefile's
    command: whole work units, in this order, to whichever worker is free; see
    pytest_xdist_make_scheduler):

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

    def chapter_cost(item) -> float:
        path = getattr(getattr(item, "callspec", None), "params", {}).get("path")
        return -_stated_quick_seconds(path) if path is not None else 0.0

    later.sort(key=lambda i: (i.path.name != "test_browser.py", i.path.name, chapter_cost(i)))
    size = collections.Counter(i.path for i in rest)
    rest.sort(key=lambda i: -size[i.path])  # the files with the most tests first; stable
    items[:] = chapters + later + rest


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
