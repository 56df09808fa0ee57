"""Open JupyterLab on your own copy of the chapters, at chapter 00: ``python tools/lab.py``.

``make lab`` runs this with the course's virtual environment; with conda, run it yourself in the
activated environment. It blocks until you stop JupyterLab (Ctrl-C twice).

- The chapters you open live in ``notebooks/`` (git ignores it), one ``.ipynb`` per chapter:
  the *student version* of each chapter (``dofcourse/exercises.py``): every exercise unsolved,
  its solution one click away in a closed "Solution" block after it. JupyterLab saves your
  outputs and edits there, so the tracked chapters, ``git status`` and ``make test`` are
  untouched by a session of the course.
- A copy you have not edited follows the chapter when the chapter changes (after a
  ``git pull``). A copy you have edited is updated too, without losing your answers: your
  previous copy is kept in ``notebooks/previous/`` (with the date), and the code of each exercise
  cell you edited is carried into the new version (matched by the cell's id).
- Quick mode by default (``--mode full`` for the papers' sizes). JupyterLab opens at chapter 00
  (the printed URL too), with the settings in ``jupyter_config/`` (widgets keep their state when
  the notebook is saved; no news pop-up).
- ``--authors`` serves ``chapters/`` itself instead, with its jupytext pairs and JupyterLab's
  own settings, for editing the course: what you save there is what git tracks.

Any other argument goes to ``jupyter lab`` (``--no-browser``, ``--ip=0.0.0.0``, ``--port=8890``).
Standard library only.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
COPIES = ROOT / "notebooks"
CONFIG = ROOT / "jupyter_config"
EXERCISES = ROOT / "dofcourse" / "exercises.py"
FIRST = "00_welcome.ipynb"
MANIFEST = ".dofcourse-copies.json"
PREVIOUS = "previous"
# Earlier versions wrote this file into notebooks/; JupyterLab ignores a hidden jupytext
# configuration at the root it serves (and warned about it on every save), and it does not read
# the repository's jupytext.toml above that root either, so the copies are never paired. It is
# removed where it is found.
_OLD_JUPYTEXT_FILE = '# Your copies of the chapters: no paired .py here.\nformats = "ipynb"\n'


@functools.cache
def _exercises():
    """``dofcourse/exercises.py``, loaded as a file (standard library only; no torch import)."""
    spec = importlib.util.spec_from_file_location("_dofcourse_exercises", EXERCISES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def student_version(chapter: Path) -> dict:
    """The chapter's notebook in its student form (exercises unsolved, solutions collapsed)."""
    return _exercises().student_notebook(json.loads(chapter.read_text(encoding="utf-8")))


def _cells_digest(path: Path | dict) -> str:
    """A digest of the cells' types and sources only: outputs and metadata do not count."""
    notebook = path if isinstance(path, dict) else json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    text = json.dumps(
        [(c.get("cell_type"), "".join(c.get("source", ""))) for c in cells], ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def carry_answers(mine: dict, student: dict) -> tuple[dict, int]:
    """The new ``student`` version with the code of each exercise cell that the student edited
    in ``mine`` (their copy of the previous version; cells matched by id); and how many."""
    stub = _exercises().STUB
    edited = {
        c.get("id"): c
        for c in mine.get("cells", [])
        if c.get("cell_type") == "code" and stub not in "".join(c.get("source", ""))
    }
    cells, carried = [], 0
    for cell in student.get("cells", []):
        theirs = edited.get(cell.get("id"))
        if cell.get("cell_type") == "code" and stub in "".join(cell["source"]) and theirs:
            cell = {**cell, "source": theirs["source"], "outputs": [], "execution_count": None}
            carried += 1
        cells.append(cell)
    return {**student, "cells": cells}, carried


def sync_copies(chapters: Path = CHAPTERS, dest: Path = COPIES, now_stamp: str = "") -> list[str]:
    """Bring ``dest`` up to date with the chapter notebooks; return one line per thing done.

    Each copy is the chapter's student version. New chapters are copied; a copy whose cells are
    as they were copied (outputs may differ) is replaced when its chapter changed; an edited
    copy is moved to ``dest/previous/`` and replaced by the new version with the student's
    answers carried over (:func:`carry_answers`). ``now_stamp`` names the moved copy (the date
    and time by default).
    """
    import time

    dest.mkdir(parents=True, exist_ok=True)
    old = dest / ".jupytext.toml"
    if old.exists() and old.read_text(encoding="utf-8") == _OLD_JUPYTEXT_FILE:
        old.unlink()
    manifest_path = dest / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    notes = []
    for chapter in sorted(chapters.glob("*.ipynb")):
        copy = dest / chapter.name
        student = student_version(chapter)
        now = _cells_digest(student)
        copied = manifest.get(chapter.name)  # the chapter's cells when the copy was made
        mine = _cells_digest(copy) if copy.exists() else None
        if mine is None or (mine == copied and now != copied):
            _exercises().write_notebook(student, copy)
            notes.append(f"{'copied' if mine is None else 'updated'} {dest.name}/{copy.name}")
            manifest[chapter.name] = now
        elif mine == now:
            manifest[chapter.name] = now
        elif copied != now:
            kept = (
                dest / PREVIOUS / f"{copy.stem}.{now_stamp or time.strftime('%Y-%m-%d-%H%M')}.ipynb"
            )
            kept.parent.mkdir(exist_ok=True)
            old_copy = json.loads(copy.read_text(encoding="utf-8"))
            copy.replace(kept)
            new, carried = carry_answers(old_copy, student)
            _exercises().write_notebook(new, copy)
            manifest[chapter.name] = now
            notes.append(
                f"updated {dest.name}/{copy.name} to the changed chapter, with your code in "
                f"{carried} exercise cell(s) carried over; your previous copy is "
                f"{dest.name}/{PREVIOUS}/{kept.name}"
            )
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return notes


def lab_command(
    root: Path,
    mode: str,
    extra: list[str],
    is_root: bool,
    python: str = sys.executable,
    course_settings: bool = True,
) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and the variables to add to its environment.

    ``course_settings=False`` (authors' mode) leaves out ``jupyter_config/``: widget state and
    outputs saved into tracked notebooks are what authors must not commit.
    """
    cmd = [python, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}"]
    if (root / FIRST).exists():
        cmd.append(f"--LabApp.default_url=/lab/tree/{FIRST}")
    if is_root:
        cmd.append("--allow-root")
    env = {"DOFCOURSE_QUICK": "1" if mode == "quick" else "0"}
    if course_settings:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            p for p in [str(CONFIG), os.environ.get("JUPYTER_CONFIG_PATH", "")] if p
        )
    return cmd + extra, env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["quick", "full"], default="quick")
    parser.add_argument("--authors", action="store_true", help="serve chapters/ itself")
    parser.add_argument("--dir", type=Path, default=COPIES, help="where the copies live")
    parser.add_argument("--dry-run", action="store_true", help="print the command, start nothing")
    args, extra = parser.parse_known_args(argv)
    if args.authors:
        root = CHAPTERS
        print("serving chapters/ itself: saving writes the tracked notebooks and their .py pairs")
    else:
        root = args.dir.resolve()
        for note in sync_copies(CHAPTERS, root):
            print(note)
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    cmd, env = lab_command(root, args.mode, extra, is_root, course_settings=not args.authors)
    print(f"JupyterLab in {args.mode} mode on {root}/ (stop it: Ctrl-C twice)", flush=True)
    if args.dry_run:
        print(" ".join(f"{k}={v}" for k, v in env.items()), " ".join(cmd))
        return
    os.execve(cmd[0], cmd, {**os.environ, **env})


if __name__ == "__main__":
    main()
