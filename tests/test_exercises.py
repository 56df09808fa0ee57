import ast
from pathlib import Path

import jupytext
import pytest

from dofcourse import exercises

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"

CELL = """\
def f(x):
    y = x + 1
    # BEGIN SOLUTION
    return y * 2
    # END SOLUTION

# BEGIN SOLUTION
z = f(1)
# END SOLUTION
print(z)"""


def test_student_version_replaces_solutions_with_stubs():
    student = exercises.student_source(CELL)
    assert "return y * 2" not in student and "z = f(1)" not in student
    assert "    " + exercises.STUB in student.splitlines()
    assert exercises.STUB in student.splitlines()
    assert "y = x + 1" in student and student.endswith("print(z)")
    ast.parse(student)


def test_instructor_version_keeps_solutions_without_markers():
    instructor = exercises.instructor_source(CELL)
    assert "SOLUTION" not in instructor and "return y * 2" in instructor
    namespace = {}
    exec(instructor.replace("print(z)", ""), namespace)
    assert namespace["z"] == 4


@pytest.mark.parametrize(
    "bad",
    [
        "# BEGIN SOLUTION\nx = 1",
        "x = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION",
        "if x:\n    # BEGIN SOLUTION\n    y = 1\n# END SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(bad):
    with pytest.raises(exercises.MarkerError):
        exercises.student_source(bad)


@pytest.mark.parametrize("source", sorted(CHAPTERS.glob("*.py")), ids=lambda p: p.name)
def test_student_version_of_every_chapter_is_valid_python(source):
    notebook = exercises.version(jupytext.read(source), student=True)
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            code = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            ast.parse(code, filename=f"{source.name}, cell {i}")


def test_every_chapter_has_exercises():
    for source in sorted(CHAPTERS.glob("*.py")):
        cells = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        assert sum(map(exercises.has_exercise, cells)) >= 1, f"{source.name} has no exercise"


def test_write_versions(tmp_path):
    written = exercises.write_versions(CHAPTERS, tmp_path)
    student = tmp_path / "student" / "00_welcome.ipynb"
    assert student in written and (tmp_path / "instructor" / "00_welcome.ipynb") in written
    assert (
        "NotImplementedError" in student.read_text() and "BEGIN SOLUTION" not in student.read_text()
    )


def test_checking_reports_an_unsolved_exercise_and_passes_real_errors(capsys):
    def stub():
        raise NotImplementedError("exercise: replace this line with your code")

    with exercises.checking("Exercise 9"):
        stub()
    assert "Exercise 9 is not done yet" in capsys.readouterr().out
    with pytest.raises(AssertionError), exercises.checking("Exercise 9"):
        raise AssertionError("wrong answer")
    with pytest.raises(NotImplementedError), exercises.checking("Exercise 9"):
        raise NotImplementedError("something else")
