"""Executed notebooks, and their static copies for pages without a kernel (decks and site).

:func:`executed_notebook` runs a chapter (or reuses ``make course``'s run when it is newer);
:func:`static_notebook` drops the solution markers and replaces each widget that has controls by
a note (:data:`INTERACTIVE_NOTE`) under the figure it drew at its starting values.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

INTERACTIVE_NOTE = (
    '<p class="dofcourse-widget-note"><em>Interactive controls here in the notebook: open the '
    "chapter in JupyterLab to move them. The figure above is drawn for their starting "
    "values.</em></p>"
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_CONTROL = re.compile(r"Slider|Button|Dropdown|Toggle|Checkbox|Select|Play|Text(area)?Model")


def text(source: Any) -> str:
    """A cell's source or an output's text, joined when it is a list of lines."""
    return source if isinstance(source, str) else "".join(source)


def controls(state: dict[str, Any], model_id: str, seen: set[str] | None = None) -> bool:
    """True when the widget ``model_id`` is or contains a control (slider, button...)."""
    seen = seen if seen is not None else set()
    if model_id in seen or model_id not in state:
        return False
    seen.add(model_id)
    model = state[model_id]
    if _CONTROL.search(model.get("model_name", "")):
        return True
    children = model.get("state", {}).get("children", [])
    return any(controls(state, c.removeprefix("IPY_MODEL_"), seen) for c in children)


def static_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy for pages without a kernel: solution markers dropped (the instructor version),
    widget views removed (a note where controls were), the widget state dropped."""
    from dofcourse import exercises

    nb = json.loads(json.dumps(notebook))
    widgets = nb.get("metadata", {}).pop("widgets", {})
    state = widgets.get(WIDGET_STATE, {}).get("state", {})
    nb["cells"] = exercises.instructor_cells(nb.get("cells", []))
    for cell in nb["cells"]:
        outputs, kept = cell.get("outputs", []), []
        for output in outputs:
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                kept.append(output)
            elif controls(state, view.get("model_id", "")):
                note = {"text/html": INTERACTIVE_NOTE, "text/plain": "(interactive controls)"}
                kept.append({"output_type": "display_data", "data": note, "metadata": {}})
        if outputs:
            cell["outputs"] = kept
    return nb


def _fresh(executed: Path, chapter: Path) -> bool:
    return executed.exists() and executed.stat().st_mtime >= chapter.stat().st_mtime


@contextmanager
def _inline_figures() -> Iterator[None]:
    """Kernels draw figures into the notebook (a plain ``MPLBACKEND=Agg``, as the tests set,
    would leave ``<Figure size ...>`` where each figure belongs)."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def executed_notebook(chapter: Path, executed_dir: Path, timeout: int = 3600) -> dict[str, Any]:
    """The chapter executed in the current mode: the copy in ``executed_dir`` when it is newer
    than the chapter (from ``make course``), else a fresh run saved there."""
    from dofcourse import runner

    executed = executed_dir / chapter.name
    if not _fresh(executed, chapter):
        with _inline_figures():
            run = runner.measure_chapter(chapter, executed_dir, timeout)
        print(f"  ran {chapter.stem} in {runner.format_seconds(run.seconds)}", flush=True)
    return json.loads(executed.read_text(encoding="utf-8"))
