"""Shared test set-up: every test runs in quick mode with its own cache and figure folders."""

import re

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


def pytest_collection_modifyitems(session, config, items):
    """Tests marked after_chapters (student versions, the browser) run last: by then nbval's
    kernels have filled the run's cache, so the chapters' cached experiments load at once."""
    later = [item for item in items if item.get_closest_marker("after_chapters")]
    if later:
        moved = {id(item) for item in later}
        items[:] = [item for item in items if id(item) not in moved] + later


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
