import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from dofcourse import exercises
from dofcourse.publish import assignments

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
_spec = importlib.util.spec_from_file_location("lab", ROOT / "tools" / "lab.py")
lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab)

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


# The notebooks students open: exercises unsolved, solutions one click away.
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_has_three_exercises_one_to_predict_or_design(path):
    cells = _cells(path)
    code = [_src(c) for c in cells if c["cell_type"] == "code"]
    markdown = [_src(c) for c in cells if c["cell_type"] == "markdown"]
    names = exercises.exercise_names(code)
    assert len(set(names)) >= 3, f"{path.name}: exercises checked {names}; at least 3 wanted"
    assert sum(map(exercises.has_exercise, code)) >= 3, "fewer than 3 cells hold a solution"
    for name in names:
        assert any(name in m for m in markdown), f"{path.name}: {name} is checked, never set"
    predict = re.compile(r"Exercise \d+\W[^\n]*\b(predict|design)", re.I)
    assert any(predict.search(m) for m in markdown), (
        f"{path.name}: no exercise asks to predict or design, then measure (say so in its title)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_asks_to_predict_before_an_experiment(path):
    cells = _cells(path)
    think = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "Think!" in _src(c)]
    assert think, f"{path.name}: no 'Think!' prompt"
    assert any(c["cell_type"] == "code" for c in cells[think[0] + 1 :]), "no experiment after it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_think_prompt_has_its_answer_folded_in_the_student_version(path):
    """Run All must not show the answer to a Think! prompt before the student has thought: the
    answer cell is folded into a closed <details> block; no prompt lacks an answer cell."""
    chapter = json.loads(path.read_text(encoding="utf-8"))["cells"]
    prompts = [i for i, c in enumerate(chapter) if exercises.is_think(c)]
    answers = exercises.think_answers(chapter)
    assert sorted(answers) == prompts, (
        f"{path.name}: Think! prompts at cells {sorted(set(prompts) - set(answers))} have no "
        "answer cell (the first markdown cell after the prompt's experiment, not a new slide)"
    )
    student = exercises.student_notebook({"metadata": {}, "cells": chapter})["cells"]
    folded = [c for c in student if exercises.ANSWER_TAG in c["metadata"].get("tags", [])]
    assert len(folded) == len(answers)
    for cell, index in zip(folded, sorted(answers.values()), strict=True):
        shown = _src(cell)
        assert shown.startswith("<details>") and "<details open" not in shown
        assert exercises.ANSWER_SUMMARY in shown and _src(chapter[index]).strip() in shown
    assert not [
        c for c in student if c["metadata"].get("slideshow", {}).get("slide_type") == "notes"
    ]


def test_think_answers_skip_a_new_slide_and_a_prompt_without_an_experiment():
    def md(source, kind="-"):
        return {"cell_type": "markdown", "source": source,
                "metadata": {"slideshow": {"slide_type": kind}}}  # fmt: skip

    code = {"cell_type": "code", "source": "x = 1", "metadata": {}}
    cells = [md("**Think!** a?"), code, md("## Next topic", "slide"), md("**Think!** b?"), md("c")]
    assert exercises.think_answers(cells) == {}
    cells = [md("Intro.\n\n**Think!** a?"), md("More."), code, code, md("The answer.")]
    assert exercises.think_answers(cells) == {0: 4}
    assert not exercises.is_think(md("Think! cells ask you to predict (a **Think!** in a list)"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_hides_each_solution_one_click_away(path):
    chapter = json.loads(path.read_text(encoding="utf-8"))
    student = exercises.student_notebook(chapter)["cells"]
    for i, cell in enumerate(student):
        source = _src(cell)
        assert "SOLUTION" not in source or cell["cell_type"] == "markdown", f"cell {i}: marker"
        if cell["cell_type"] != "code" or exercises.STUB not in source:
            continue
        after = student[i + 1]
        assert after["cell_type"] == "markdown", "a markdown cell follows each exercise"
        shown = _src(after)
        assert shown.startswith("<details>") and "<details open" not in shown  # closed
        assert exercises.SOLUTION_SUMMARY in shown
        assert after["metadata"]["slideshow"]["slide_type"] == "skip"
        # The solution shown is the instructor's cell, and no code cell holds it.
        solved = next(c for c in chapter["cells"] if c.get("id") == cell.get("id"))
        assert exercises.instructor_source(_src(solved)) in shown
    solutions = [c for c in student if exercises.SOLUTION_TAG in c["metadata"].get("tags", [])]
    n_blocks = sum(exercises.has_exercise(_src(c)) for c in chapter["cells"])
    assert len(solutions) == n_blocks
    code = "\n".join(_src(c) for c in student if c["cell_type"] == "code")
    for cell in chapter["cells"]:
        lines = _src(cell).splitlines()
        for begin, end, _ in exercises._blocks(_src(cell)) if cell["cell_type"] == "code" else []:
            hidden = [ln for ln in lines[begin + 1 : end] if ln.strip() and ln.strip() not in code]
            assert hidden or not lines[begin + 1 : end], "a solution is left in plain view"


def test_instructor_version_is_the_committed_chapter_less_its_markers():
    for path in NOTEBOOKS:
        chapter = json.loads(path.read_text(encoding="utf-8"))
        instructor = exercises.instructor_cells(chapter["cells"])
        for before, after in zip(chapter["cells"], instructor, strict=True):
            kept = [ln for ln in _src(before).splitlines() if not exercises._MARKER.match(ln)]
            assert _src(after).splitlines() == kept
            assert exercises.STUB not in _src(after)


def test_make_lab_copies_are_the_student_versions(tmp_path):
    notes = lab.sync_copies(CHAPTERS, tmp_path)
    assert len(notes) == len(NOTEBOOKS)
    for path in NOTEBOOKS:
        copy = json.loads((tmp_path / path.name).read_text(encoding="utf-8"))
        wanted = exercises.student_notebook(json.loads(path.read_text(encoding="utf-8")))
        assert [_src(c) for c in copy["cells"]] == [_src(c) for c in wanted["cells"]]
        nbformat.validate(nbformat.reads(json.dumps(copy), as_version=4))
        assert "jupytext" not in copy["metadata"], "a jupytext pairing would write a .py there"
    assert lab.sync_copies(CHAPTERS, tmp_path) == []  # unchanged copies stay as they are


def test_binder_opens_the_student_versions(tmp_path):
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "dofcourse.exercises --student-into chapters" in post_build
    for path in NOTEBOOKS:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    exercises.write_students(tmp_path, tmp_path)  # what postBuild does, in place
    for path in NOTEBOOKS:
        cells = _cells(tmp_path / path.name)
        assert not any(exercises.has_exercise(_src(c)) for c in cells if c["cell_type"] == "code")
        assert any(exercises.STUB in _src(c) for c in cells)


def test_otter_notebook_makes_each_exercise_a_question_whose_test_fails_on_the_stub():
    chapter = json.loads((CHAPTERS / "00_welcome.ipynb").read_text(encoding="utf-8"))
    master = assignments.otter_notebook(chapter, "00_welcome")
    raws = [_src(c) for c in master["cells"] if c["cell_type"] == "raw"]
    assert raws[0].startswith("# ASSIGNMENT CONFIG\nname: 00_welcome")
    names = exercises.exercise_names(
        [_src(c) for c in chapter["cells"] if c["cell_type"] == "code"]
    )
    assert sum(r.startswith("# BEGIN QUESTION") for r in raws) == len(names) == 3
    tests = [c for i, c in enumerate(master["cells"][1:], 1)
             if _src(master["cells"][i - 1]) == "# BEGIN TESTS"]  # fmt: skip
    assert all("exercises.checking" not in _src(t) for t in tests)  # a stub must fail, not pass


@pytest.mark.after_chapters
def test_make_assignments_grades_a_solved_notebook_full_and_an_unsolved_one_zero(
    tmp_path, monkeypatch
):
    """`make assignments` for chapter 00, then Otter-Grader's own `otter run` on the solved
    notebook (full marks) and on the student's, with every exercise a stub (zero)."""
    pytest.importorskip("otter", reason="otter-grader (the grading extra) is not installed")
    from tests import _chapters as ch

    monkeypatch.setenv("DOFCOURSE_CACHE", ch.SESSION_CACHE)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (dist,) = assignments.write_assignments(CHAPTERS, tmp_path / "assignments", only="00")
    (autograder,) = (dist / "autograder").glob("*.zip")
    student = dist / "student" / "00_welcome.ipynb"
    handed_out = "".join(_src(c) for c in json.loads(student.read_text())["cells"])
    assert exercises.STUB in handed_out and exercises.SOLUTION_SUMMARY not in handed_out
    scores = {}
    for kind, notebook in (("solved", dist / "autograder" / "00_welcome.ipynb"),
                           ("unsolved", student)):  # fmt: skip
        out = tmp_path / kind
        out.mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o", str(out),
             str(notebook)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        results = json.loads((out / "results.json").read_text())
        scores[kind] = [(t["name"], t["score"], t["max_score"]) for t in results["tests"][1:]]
    assert scores["solved"] == [(f"exercise_{n}", 1.0, 1.0) for n in (1, 2, 3)], scores
    assert scores["unsolved"] == [(f"exercise_{n}", 0.0, 1.0) for n in (1, 2, 3)], scores
