"""Jupyter server settings for the course's lab (``tools/lab.py`` and Binder put this folder on
``JUPYTER_CONFIG_PATH``).

A notebook is saved without the outputs that would show "Error displaying widget: model not
found" when it is reopened: views of widgets whose state is not saved with the notebook. The
course's lab saves widget state (``labconfig/``), so sliders and plots made with ``interact``
come back; a progress bar that closed itself when done (``tqdm.auto`` with ``leave=False``) has
no state left to save, and its empty view is dropped.
"""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def drop_orphan_widget_views(notebook: dict) -> int:
    """Remove the outputs that show a widget whose state the notebook does not hold; return
    how many were removed."""
    saved = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    removed = 0
    for cell in notebook.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = [
            out
            for out in outputs
            if WIDGET_VIEW not in out.get("data", {})
            or out["data"][WIDGET_VIEW].get("model_id") in saved
        ]
        removed += len(outputs) - len(kept)
        cell["outputs"] = kept
    return removed


def scrub_notebook(model, **kwargs):
    """``ContentsManager.pre_save_hook``: applies :func:`drop_orphan_widget_views`."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        drop_orphan_widget_views(model["content"])


import warnings  # noqa: E402

# Jupyter applies this file to the contents manager more than once; the hook is the same one.
warnings.filterwarnings("ignore", message="Overriding existing pre_save_hook")
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.ContentsManager.pre_save_hook = scrub_notebook
