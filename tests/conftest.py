"""Shared test set-up: every test runs in quick mode with its own cache and figure folders."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("DOFCOURSE_QUICK", "1")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DOFCOURSE_FIGURES", str(tmp_path / "figures"))
