"""Notebook hygiene: every chapter is a synced pair, stored without outputs.

The chapters themselves are executed by nbval (``pytest --nbval-lax``) in the same test run.
"""

import json
from pathlib import Path

import jupytext
import pytest

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
SOURCES = sorted(CHAPTERS.glob("*.py"))


def test_there_are_chapters():
    assert (CHAPTERS / "00_welcome.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_source_has_its_notebook(source):
    assert source.with_suffix(".ipynb").exists(), f"run `make sync` to create {source.stem}.ipynb"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_paired_and_in_sync(notebook):
    source = notebook.with_suffix(".py")
    assert source.exists(), f"{notebook.name} has no paired jupytext source"
    from_py, from_ipynb = jupytext.read(source), jupytext.read(notebook)
    cells = [(c.cell_type, c.source) for c in from_py.cells]
    assert cells == [(c.cell_type, c.source) for c in from_ipynb.cells], (
        f"{notebook.name} and {source.name} differ: run `make sync`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{notebook.name}: cells {dirty} have stored outputs; clear them"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_kernel(notebook):
    meta = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3"
