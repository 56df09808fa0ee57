"""Student and instructor versions of the chapters, from one source.

An exercise is written once, in the chapter's source, with its solution between two marker lines::

    def parameter_count(widths):
        # BEGIN SOLUTION
        return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
        # END SOLUTION

The *student* version replaces everything from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` by
``raise NotImplementedError("exercise: ...")`` at the markers' indentation, so every cell stays
valid Python, and puts the solution one click away: a markdown cell right after the exercise
holds the solved cell inside a collapsed ``<details>`` block ("Solution", closed until clicked;
a markdown cell, so "Run All" never runs it). Solutions live inside function bodies, and the cell
that checks an exercise calls the function inside ``with exercises.checking("Exercise 2"):``: an
unsolved exercise then prints that it is not done yet instead of stopping "Run All", while every
other error (a wrong answer) still fails. The *instructor* version keeps the solution and drops
the marker lines: it is the committed chapter less its marker comments, so every check is
enforced.

**Think!** prompts (a markdown paragraph opening with ``**Think!**``) ask for a prediction before
an experiment; the markdown cell that discusses the result (the first markdown cell after the
prompt's experiment, see :func:`think_answers`) is the answer. The student version folds it into
a closed ``<details>`` block ("Answer"), so "Run All" does not show it before the student has
thought; the decks move it into the speaker notes. A chapter's speaker-notes cells (slide type
``notes``) are left out of the student version.

``make lab`` and Binder open the student version (``tools/lab.py`` writes it into
``notebooks/``; Binder's ``postBuild`` writes it over ``chapters/*.ipynb`` in its image). Run
``python -m dofcourse.exercises`` (``make versions``) to write both sets of notebooks to
``build/student/`` and ``build/instructor/``; ``--student-into DIR`` writes only the student
notebooks, into ``DIR``.

**Grading.** ``--assignments DIR`` (``make assignments``) writes an Otter-Grader assignment per
chapter: see ``dofcourse.publish.assignments``.

Standard library only (``nbformat`` is imported only by :func:`version`), so that the lab
launcher can load this file before anything else is importable.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker># (BEGIN|END) SOLUTION)[ \t]*$")
STUB = 'raise NotImplementedError("exercise: replace this line with your code")'
NOT_DONE = "is not done yet"
SOLUTION_TAG = "solution"
SOLUTION_SUMMARY = "<summary><b>Solution</b> (click to show)</summary>"
ANSWER_TAG = "answer"
ANSWER_SUMMARY = "<summary><b>Answer</b> (make your guess first, then click to show)</summary>"
_THINK = re.compile(r"(?:^|\n)[ \t]*\*\*Think!\*\*")
CHECKING = re.compile(r"""exercises\.checking\(\s*(["'])(?P<name>.+?)\1\s*\)""")


class MarkerError(ValueError):
    """The solution markers of a cell are unbalanced or nested."""


@contextmanager
def checking(name: str) -> Iterator[None]:
    """Run an exercise's check; if the exercise's function is still the student stub, say that the
    exercise is not done yet (no error), so that "Run All" goes on. Any other error propagates.
    """
    try:
        yield
    except NotImplementedError as err:
        if not str(err).startswith("exercise"):
            raise
        print(f"{name} {NOT_DONE}: complete the function above, then run this cell again.")


def _blocks(source: str) -> list[tuple[int, int, str]]:
    """(begin line, end line, indent) of each solution block; checks that markers pair up."""
    blocks, start, indent = [], None, ""
    for i, line in enumerate(source.splitlines()):
        m = _MARKER.match(line)
        if not m:
            continue
        if m["marker"] == BEGIN:
            if start is not None:
                raise MarkerError(f"line {i + 1}: {BEGIN} inside another solution block")
            start, indent = i, m["indent"]
        else:
            if start is None:
                raise MarkerError(f"line {i + 1}: {END} without {BEGIN}")
            if m["indent"] != indent:
                raise MarkerError(f"line {i + 1}: {END} indented unlike its {BEGIN}")
            blocks.append((start, i, indent))
            start = None
    if start is not None:
        raise MarkerError(f"line {start + 1}: {BEGIN} is never closed")
    return blocks


def student_source(source: str) -> str:
    """The cell with each solution block replaced by a ``NotImplementedError`` stub."""
    lines = source.splitlines()
    for begin, end, indent in reversed(_blocks(source)):
        lines[begin : end + 1] = [indent + STUB]
    return "\n".join(lines)


def instructor_source(source: str) -> str:
    """The cell with the solution kept and the marker lines removed."""
    _blocks(source)  # validate
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line))


def has_exercise(source: str) -> bool:
    """True when the cell holds at least one solution block."""
    return bool(_blocks(source))


def exercise_names(sources: list[str]) -> list[str]:
    """The names checked by ``exercises.checking("...")`` in these code sources, in order."""
    return [m["name"] for source in sources for m in CHECKING.finditer(source)]


def solution_markdown(source: str) -> str:
    """Markdown that shows the solved cell only when the student opens it (a closed details)."""
    code = instructor_source(source)
    fence = "```"
    while fence in code:
        fence += "`"
    return f"<details>{SOLUTION_SUMMARY}\n\n{fence}python\n{code}\n{fence}\n\n</details>"


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _slide_type(cell: dict[str, Any]) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def is_think(cell: dict[str, Any]) -> bool:
    """True for a markdown cell with a paragraph that opens with ``**Think!**``."""
    return cell.get("cell_type") == "markdown" and bool(_THINK.search(_text(cell["source"])))


def think_answers(cells: list[dict[str, Any]]) -> dict[int, int]:
    """{index of a Think! prompt: index of the markdown cell that answers it}.

    The answer is the first markdown cell after the code cells that follow the prompt (the
    experiment), unless that cell starts a new slide (a new topic), is a speaker note or is
    itself a prompt: then the prompt has no answer cell of its own.
    """
    found = {}
    for i, cell in enumerate(cells):
        if not is_think(cell):
            continue
        j = i + 1
        while j < len(cells) and cells[j].get("cell_type") != "code":
            if is_think(cells[j]) or _slide_type(cells[j]) in ("slide", "subslide"):
                break
            j += 1
        while j < len(cells) and cells[j].get("cell_type") == "code":
            j += 1
        if j < len(cells) and j > i + 1 and cells[j].get("cell_type") == "markdown":
            if _slide_type(cells[j]) not in ("slide", "subslide", "notes") and not is_think(
                cells[j]
            ):
                found[i] = j
    return found


def answer_markdown(source: str) -> str:
    """The answer to a Think! prompt, folded: shown only when the student opens it."""
    return f"<details>{ANSWER_SUMMARY}\n\n{source.strip()}\n\n</details>"


def student_cells(cells: list[dict[str, Any]], solutions: bool = True) -> list[dict[str, Any]]:
    """The student form of a notebook's cells (plain JSON dicts, as in an ``.ipynb`` file).

    Each code cell with a solution gets its stub, and is followed by a markdown cell (tagged
    ``solution``, skipped by slides) that holds the solution in a closed ``<details>`` block.
    The answer to each Think! prompt is folded the same way (tagged ``answer``); speaker notes
    are left out. ``solutions=False`` (a graded assignment) leaves the solution cells out.
    """
    out = []
    answers = set(think_answers(cells).values())
    for i, cell in enumerate(cells):
        if _slide_type(cell) == "notes":
            continue
        new = copy.deepcopy(cell)
        out.append(new)
        if i in answers:
            new["source"] = answer_markdown(_text(cell["source"]))
            new.setdefault("metadata", {})["tags"] = [ANSWER_TAG]
        if cell.get("cell_type") != "code" or not has_exercise(_text(cell.get("source", ""))):
            continue
        source = _text(cell["source"])
        new["source"] = student_source(source)
        if not solutions:
            continue
        solution = {
            "cell_type": "markdown",
            "metadata": {"slideshow": {"slide_type": "skip"}, "tags": [SOLUTION_TAG]},
            "source": solution_markdown(source),
        }
        if "id" in cell:
            solution["id"] = f"{cell['id']}"[:55] + "-solution"
        out.append(solution)
    return out


def instructor_cells(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The instructor form of a notebook's cells: solutions kept, marker lines dropped."""
    out = copy.deepcopy(cells)
    for cell in out:
        if cell.get("cell_type") == "code":
            cell["source"] = instructor_source(_text(cell.get("source", "")))
    return out


def student_notebook(notebook: dict[str, Any], solutions: bool = True) -> dict[str, Any]:
    """A copy of an ``.ipynb`` JSON dict in its student form. The chapter's jupytext settings
    are dropped: a pairing there (``formats``) would write a ``.py`` beside a student's copy."""
    metadata = {k: v for k, v in notebook.get("metadata", {}).items() if k != "jupytext"}
    cells = student_cells(notebook.get("cells", []), solutions)
    return {**notebook, "metadata": metadata, "cells": cells}


def version(notebook: Any, student: bool) -> Any:
    """A copy of ``notebook`` (an ``nbformat`` node) in its student or instructor form."""
    import nbformat

    plain = json.loads(json.dumps(notebook))
    if student:
        return nbformat.from_dict(student_notebook(plain))
    return nbformat.from_dict({**plain, "cells": instructor_cells(plain.get("cells", []))})


def read_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_notebook(notebook: dict[str, Any], path: Path) -> None:
    """Write an ``.ipynb`` the way Jupyter does (one-space indent, UTF-8, final newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [
        {**c, "source": _text(c.get("source", "")).splitlines(keepends=True)}
        for c in notebook.get("cells", [])
    ]
    text = json.dumps({**notebook, "cells": cells}, indent=1, ensure_ascii=False, sort_keys=True)
    text += "\n"
    path.write_text(text, encoding="utf-8")


def write_versions(chapters: Path, build: Path) -> list[Path]:
    """Write student and instructor notebooks of every chapter under ``build``."""
    written = []
    for source in sorted(chapters.glob("*.ipynb")):
        notebook = read_notebook(source)
        instructor = {**notebook, "cells": instructor_cells(notebook["cells"])}
        for kind, version_ in (("student", student_notebook(notebook)), ("instructor", instructor)):
            path = build / kind / source.name
            write_notebook(version_, path)
            written.append(path)
    return written


def write_students(chapters: Path, into: Path) -> list[Path]:
    """Write the student notebook of every chapter into ``into`` (may be ``chapters`` itself)."""
    written = []
    for source in sorted(chapters.glob("*.ipynb")):
        path = into / source.name
        write_notebook(student_notebook(read_notebook(source)), path)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=Path, default=Path("chapters"))
    parser.add_argument("--build", type=Path, default=Path("build"))
    parser.add_argument(
        "--student-into", type=Path, help="write only the student notebooks, into this folder"
    )
    parser.add_argument(
        "--assignments", type=Path, help="Otter-Grader assignments, into this folder"
    )
    parser.add_argument("--only", default="", help="only chapters starting with this prefix")
    args = parser.parse_args()
    if args.assignments:
        from dofcourse.publish.assignments import write_assignments

        written = write_assignments(args.chapters, args.assignments, args.only)
    elif args.student_into:
        written = write_students(args.chapters, args.student_into)
    else:
        written = write_versions(args.chapters, args.build)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
