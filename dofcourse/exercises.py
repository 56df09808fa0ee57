"""Student and instructor versions of the chapters, from one source.

An exercise is written once, in the chapter's source, with its solution between two marker lines::

    def parameter_count(widths):
        # BEGIN SOLUTION
        return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
        # END SOLUTION

The *student* version replaces everything from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` by
``raise NotImplementedError("exercise: ...")`` at the markers' indentation, so every cell stays
valid Python. Solutions live inside function bodies, and the cell that checks an exercise calls the
function inside ``with exercises.checking("Exercise 2"):``: an unsolved exercise then prints that
it is not done yet instead of stopping "Run All", while every other error (a wrong answer) still
fails. The *instructor* version keeps the solution
and drops the marker lines. Run ``python -m dofcourse.exercises`` (or ``make versions``) to write
both sets of notebooks to ``build/student/`` and ``build/instructor/``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jupytext
import nbformat

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker># (BEGIN|END) SOLUTION)[ \t]*$")
STUB = 'raise NotImplementedError("exercise: replace this line with your code")'


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
        print(f"{name} is not done yet: complete the function above, then run this cell again.")


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


def version(notebook: nbformat.NotebookNode, student: bool) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with every code cell turned into its student/instructor form."""
    out = nbformat.from_dict(notebook)
    convert = student_source if student else instructor_source
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = convert(cell.source)
    return out


def write_versions(chapters: Path, build: Path) -> list[Path]:
    """Write student and instructor notebooks of every chapter source under ``build``."""
    written = []
    for source in sorted(chapters.glob("*.py")):
        notebook = jupytext.read(source)
        for kind, student in (("student", True), ("instructor", False)):
            path = build / kind / f"{source.stem}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(version(notebook, student), path)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=Path, default=Path("chapters"))
    parser.add_argument("--build", type=Path, default=Path("build"))
    args = parser.parse_args()
    for path in write_versions(args.chapters, args.build):
        print(path)


if __name__ == "__main__":
    main()
