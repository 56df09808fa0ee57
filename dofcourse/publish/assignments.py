"""Otter-Grader assignments from the chapters (``make assignments``; the lecturer's view).

:func:`otter_notebook` turns a chapter into an Otter-Grader (7.0) assignment: each exercise
becomes a question worth one point whose test is its check (the body of its
``with exercises.checking(...)`` block, which fails on the stub instead of saying "not done
yet"). :func:`write_assignments` (``python -m dofcourse.exercises --assignments DIR``) writes one
per chapter into ``DIR/source/`` and runs ``otter assign`` on each: ``DIR/NN_name/student/``
holds the notebook to hand out (the student version without its solutions: "Run All" still goes
through), ``DIR/NN_name/autograder/*.zip`` grades a submission (``otter run -a <zip>
submission.ipynb`` on your machine, or upload it to Gradescope).
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from dofcourse.exercises import (
    CHECKING,
    has_exercise,
    read_notebook,
    student_notebook,
    write_notebook,
)
from dofcourse.publish.notebooks import text


def check_body(source: str, name: str) -> str:
    """The body of the ``with exercises.checking(name):`` block in ``source``, dedented."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        found = CHECKING.search(line)
        if found and found["name"] == name and line.rstrip().endswith(":"):
            indent = len(line) - len(line.lstrip())
            body = []
            for nxt in lines[i + 1 :]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                body.append(nxt)
            return textwrap.dedent("\n".join(body)).strip("\n")
    raise ValueError(f"no `with exercises.checking({name!r}):` block in the cell")


def _raw(source: str) -> dict[str, Any]:
    return {"cell_type": "raw", "metadata": {}, "source": source}


def otter_notebook(notebook: dict[str, Any], name: str) -> dict[str, Any]:
    """The chapter as an Otter-Grader master notebook: an assignment config, and each exercise
    cell wrapped as a question (1 point) whose test runs its check quietly, so that any error,
    the stub's ``NotImplementedError`` included, fails it. The solution markers are Otter's own.
    """
    cells = notebook.get("cells", [])
    solved = [
        i
        for i, c in enumerate(cells)
        if c.get("cell_type") == "code" and has_exercise(text(c["source"]))
    ]
    checks = [
        (i, m["name"])
        for i, c in enumerate(cells)
        if c.get("cell_type") == "code"
        for m in CHECKING.finditer(text(c["source"]))
    ]
    if len(solved) != len(checks):
        raise ValueError(f"{name}: {len(solved)} exercise cells but {len(checks)} checks")
    tests = {}
    for cell_index, (check_index, exercise) in zip(solved, checks, strict=True):
        body = check_body(text(cells[check_index]["source"]), exercise)
        quiet = "import contextlib, io\n\nwith contextlib.redirect_stdout(io.StringIO()):\n"
        tests[cell_index] = (exercise, quiet + "\n".join("    " + x for x in body.splitlines()))
    config = (
        "# ASSIGNMENT CONFIG\n"
        f"name: {name}\n"
        "init_cell: false\ncheck_all_cell: false\nexport_cell: false\nrun_tests: false\n"
        "solutions_pdf: false\ngenerate: true\n"
    )
    out = [_raw(config)]
    for i, cell in enumerate(cells):
        cell = {k: v for k, v in copy.deepcopy(cell).items() if k != "id"}
        if i not in tests:
            out.append(cell)
            continue
        exercise, test = tests[i]
        slug = re.sub(r"\W+", "_", exercise.lower()).strip("_")
        out += [
            _raw(f"# BEGIN QUESTION\nname: {slug}\npoints: 1"),
            {**cell, "source": text(cell["source"])},
            _raw("# BEGIN TESTS"),
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": test},
            _raw("# END TESTS"),
            _raw("# END QUESTION"),
        ]  # fmt: skip
    metadata = {k: v for k, v in notebook.get("metadata", {}).items() if k != "jupytext"}
    return {"cells": out, "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}


def write_assignments(chapters: Path, out: Path, only: str = "") -> list[Path]:
    """``otter assign`` every chapter (or those starting with ``only``) into ``out``."""
    written = []
    for source in sorted(chapters.glob(f"{only}*.ipynb")):
        master = out / "source" / source.name
        write_notebook(otter_notebook(read_notebook(source), source.stem), master)
        dist = out / source.stem
        cmd = [sys.executable, "-m", "otter", "assign", str(master), str(dist)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(
                f"otter assign failed for {source.name}:\n{done.stdout}{done.stderr}"
            )
        # Otter's own student notebook puts `...` for each solution, which stops "Run All" at the
        # first check; the course's student version raises the stub's NotImplementedError, which
        # the checks report as "not done yet" (and the autograder scores as zero).
        handed_out = dist / "student" / source.name
        student = student_notebook(read_notebook(source), solutions=False)
        otters = read_notebook(handed_out).get("metadata", {})  # the assignment's name
        student["metadata"] = {**student["metadata"], **otters}
        write_notebook(student, handed_out)
        written.append(dist)
    return written
