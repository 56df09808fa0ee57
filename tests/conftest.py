"""Shared test set-up: every test runs in quick mode with its own cache and figure folders."""

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


def pytest_collection_modifyitems(session, config, items):
    """The order the test workers take files in (``pytest -n 2 --dist loadfile`` runs whole
    files, in this order, on whichever worker is free):

    1. the chapters (nbval), slowest first by the time each header states, so that the long ones
       start at once and the short ones fill in;
    2. the unit tests;
    3. tests marked after_chapters (student versions, the browser): by then nbval's kernels have
       filled the run's cache, so the chapters' cached experiments load at once.
    """
    chapters = [i for i in items if i.path.suffix == ".ipynb"]
    later = [i for i in items if i.get_closest_marker("after_chapters")]
    placed = {id(i) for i in chapters + later}
    rest = [i for i in items if id(i) not in placed]
    cost = {p: _stated_quick_seconds(p) for p in {i.path for i in chapters}}
    chapters.sort(key=lambda i: -cost[i.path])  # stable: cells keep their order
    items[:] = chapters + rest + later


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
