"""`make lab`: JupyterLab at chapter 00, on the student's own copies; git and tests stay clean."""

import fnmatch
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lab", ROOT / "tools" / "lab.py")
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)


def _chapter(path, source, outputs=False):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# a chapter"), nbformat.v4.new_code_cell(source)]
    if outputs:
        nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
        nb.cells[1].execution_count = 1
    nbformat.write(nb, path)


def test_copies_follow_the_chapters_but_never_overwrite_a_students_edits(tmp_path):
    chapters, mine = tmp_path / "chapters", tmp_path / "notebooks"
    chapters.mkdir()
    _chapter(chapters / "00_welcome.ipynb", "x = 1")
    _chapter(chapters / "01_next.ipynb", "y = 1")
    (chapters / "00_welcome.py").write_text("# paired source\n")
    assert lab.sync_copies(chapters, mine) == [
        "copied notebooks/00_welcome.ipynb",
        "copied notebooks/01_next.ipynb",
    ]
    assert sorted(p.name for p in mine.iterdir() if not p.name.startswith(".")) == [
        "00_welcome.ipynb",
        "01_next.ipynb",
    ]  # one entry per chapter: no .py
    assert not (mine / ".jupytext.toml").exists()  # JupyterLab warned about it on every save
    assert lab.sync_copies(chapters, mine) == []
    # The student runs both chapters (outputs saved) and edits chapter 01.
    _chapter(mine / "00_welcome.ipynb", "x = 1", outputs=True)
    _chapter(mine / "01_next.ipynb", "y = 2  # my answer", outputs=True)
    assert lab.sync_copies(chapters, mine) == []
    # Both chapters change upstream: the run-only copy follows, the edited one is kept.
    _chapter(chapters / "00_welcome.ipynb", "x = 10")
    _chapter(chapters / "01_next.ipynb", "y = 10")
    notes = lab.sync_copies(chapters, mine, now_stamp="then")
    assert notes[0] == "updated notebooks/00_welcome.ipynb"
    assert notes[1] == (
        "updated notebooks/01_next.ipynb to the changed chapter, with your code in 0 exercise "
        "cell(s) carried over; your previous copy is notebooks/previous/01_next.then.ipynb"
    )
    assert "x = 10" in (mine / "00_welcome.ipynb").read_text()
    assert "y = 10" in (mine / "01_next.ipynb").read_text()
    assert "my answer" in (mine / "previous" / "01_next.then.ipynb").read_text()
    (mine / "01_next.ipynb").unlink()
    assert lab.sync_copies(chapters, mine) == ["copied notebooks/01_next.ipynb"]


def test_a_changed_chapter_keeps_the_students_answers(tmp_path):
    chapters, mine = tmp_path / "chapters", tmp_path / "notebooks"
    chapters.mkdir()
    solved = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
    _chapter(chapters / "00_welcome.ipynb", solved)
    lab.sync_copies(chapters, mine)
    copy = json.loads((mine / "00_welcome.ipynb").read_text())
    exercise = next(c for c in copy["cells"] if c["cell_type"] == "code")
    assert lab._exercises().STUB in "".join(exercise["source"])
    exercise["source"] = "def f():\n    return 1  # my answer"
    (mine / "00_welcome.ipynb").write_text(json.dumps(copy))
    # The author rewrites the chapter's text; the exercise cell keeps its id.
    chapter = json.loads((chapters / "00_welcome.ipynb").read_text())
    chapter["cells"][0]["source"] = "# a chapter, rewritten"
    (chapters / "00_welcome.ipynb").write_text(json.dumps(chapter))
    (note,) = lab.sync_copies(chapters, mine, now_stamp="t0")
    assert "with your code in 1 exercise cell(s) carried over" in note
    new = (mine / "00_welcome.ipynb").read_text()
    assert "rewritten" in new and "my answer" in new and lab._exercises().STUB not in new
    assert (mine / "previous" / "00_welcome.t0.ipynb").exists()


def test_lab_command_opens_chapter_00_in_quick_mode_with_the_course_settings(tmp_path):
    (tmp_path / "00_welcome.ipynb").touch()
    cmd, env = lab.lab_command(tmp_path, "quick", ["--no-browser"], is_root=True, python="py")
    assert cmd[:4] == ["py", "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--LabApp.default_url=/lab/tree/00_welcome.ipynb" in cmd
    assert "--allow-root" in cmd and cmd[-1] == "--no-browser"
    assert env["DOFCOURSE_QUICK"] == "1"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(ROOT / "jupyter_config")
    _, env = lab.lab_command(tmp_path, "full", [], is_root=False)
    assert env["DOFCOURSE_QUICK"] == "0"
    _, env = lab.lab_command(tmp_path, "quick", [], is_root=False, course_settings=False)
    assert "JUPYTER_CONFIG_PATH" not in env  # authors: no widget state saved into chapters/


def test_the_lab_settings_exist_in_the_installed_schemas():
    overrides = json.loads(
        (ROOT / "jupyter_config" / "labconfig" / "default_setting_overrides.json").read_text()
    )
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True
    share = Path(sys.prefix) / "share" / "jupyter"
    for plugin, settings in overrides.items():
        package, name = plugin.split(":")
        schemas = [
            share / "lab" / "schemas" / package / f"{name}.json",
            share / "labextensions" / package / "schemas" / package / f"{name}.json",
        ]
        schema = next((p for p in schemas if p.exists()), None)
        assert schema, f"no schema for {plugin}"
        assert set(settings) <= set(json.loads(schema.read_text())["properties"]), plugin


def _server_config():
    namespace = {
        "get_config": lambda: types.SimpleNamespace(ContentsManager=types.SimpleNamespace())
    }
    path = ROOT / "jupyter_config" / "jupyter_server_config.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _widget_output(model_id):
    view = {"version_major": 2, "version_minor": 0, "model_id": model_id}
    return {
        "output_type": "display_data",
        "data": {"application/vnd.jupyter.widget-view+json": view, "text/plain": "training: 0%"},
        "metadata": {},
    }


def test_saving_drops_views_of_widgets_whose_state_is_gone():
    config = _server_config()
    state = {"state": {"kept": {"model_name": "IntSliderModel"}}}
    notebook = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": state}},
        "cells": [
            {"cell_type": "markdown", "source": "x"},
            {
                "cell_type": "code",
                "outputs": [
                    _widget_output("kept"),
                    _widget_output("closed-progress-bar"),
                    {"output_type": "stream", "name": "stdout", "text": "done\n"},
                ],
            },
        ],
    }
    assert config["drop_orphan_widget_views"](notebook) == 1
    outputs = notebook["cells"][1]["outputs"]
    assert [o.get("data", {}).get("text/plain") for o in outputs] == ["training: 0%", None]
    without_state = {
        "metadata": {},
        "cells": [{"cell_type": "code", "outputs": [_widget_output("a")]}],
    }
    config["scrub_notebook"]({"type": "notebook", "content": without_state})
    assert without_state["cells"][0]["outputs"] == []


def test_binder_hides_the_paired_sources_but_not_the_package():
    config = json.loads(
        (ROOT / "binder" / "jupyter_config" / "jupyter_server_config.json").read_text()
    )
    globs = config["ContentsManager"]["hide_globs"]
    hidden = lambda name: any(fnmatch.fnmatch(name, g) for g in globs)  # noqa: E731
    assert all(hidden(n) for n in ["00_welcome.py", "03a_fastfood.py", "A1_leverage.py"])
    assert not any(hidden(n) for n in ["00_welcome.ipynb", "subspace.py", "__init__.py"])
    assert "__pycache__" in globs  # jupyter's own defaults are kept
    start = (ROOT / "binder" / "start").read_text()
    assert "binder/jupyter_config" in start and "/jupyter_config" in start


def test_git_ignores_the_students_copies():
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "notebooks/00_welcome.ipynb"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    return urllib.request.urlopen(url, timeout=60)


def test_a_real_lab_session_writes_only_to_the_copies(tmp_path):
    """Start the lab as `make lab` does, save a run notebook as JupyterLab's autosave would."""
    tracked = ROOT / "chapters" / "00_welcome.ipynb"
    before = tracked.read_bytes()
    port, token, mine = _free_port(), "dofcourse-test", tmp_path / "notebooks"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "lab.py"), "--dir", str(mine), "--no-browser"]
        + [f"--port={port}", f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(360):  # up to 3 minutes on a busy machine
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.5)
        # The lab opens at chapter 00.
        landing = _get(f"{base}/?token={token}")
        assert landing.url.split("?")[0] == f"{base}/lab/tree/00_welcome.ipynb"
        # One entry per chapter in the file browser.
        listing = json.load(_get(f"{base}/api/contents/?token={token}"))["content"]
        names = sorted(item["name"] for item in listing)
        assert names == sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb"))
        # Widgets keep their state when a notebook is saved.
        plugin = "@jupyter-widgets/jupyterlab-manager:plugin"
        settings = json.load(_get(f"{base}/lab/api/settings/{plugin}?token={token}"))
        assert settings["schema"]["properties"]["saveState"]["default"] is True
        # Save chapter 00 with outputs, as the lab does after a run.
        url = f"{base}/api/contents/00_welcome.ipynb?token={token}"
        notebook = json.load(_get(url))["content"]
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran\n"}]
                cell["outputs"].append(_widget_output("a-closed-progress-bar"))
                cell["execution_count"] = 1
        body = json.dumps({"type": "notebook", "content": notebook}).encode()
        put = urllib.request.Request(url, data=body, method="PUT")
        put.add_header("Content-Type", "application/json")
        assert urllib.request.urlopen(put, timeout=30).status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = server.stdout.read()
    assert "Ignoring config file" not in log, "jupytext warns in the student's terminal"
    saved = json.loads((mine / "00_welcome.ipynb").read_text())
    assert any(c.get("outputs") for c in saved["cells"])
    assert "widget-view" not in json.dumps(saved), "a view of a widget without state was saved"
    assert not list(mine.glob("*.py")), "jupytext paired a copy with a .py"
    assert tracked.read_bytes() == before, "the lab session wrote into chapters/"
    assert not (ROOT / "chapters" / ".ipynb_checkpoints").exists()
