"""The course runner: the chapters' stated run times are parsed, compared and flagged."""

import os
from pathlib import Path

import nbformat
import pytest

from dofcourse import runner

HEADER = "**Time:** quick ≈ 40 s, full ≈ 6 min (2-core CPU)"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("40 s", 40), ("6 min", 360), ("1.5 min", 90), ("1 h 20 min", 4800), ("2 min 30 s", 150)],
)
def test_parse_duration(text, seconds):
    assert runner.parse_duration(text) == seconds


def test_parse_the_header_line():
    assert runner.parse_stated(HEADER) == runner.StatedTime(quick=40, full=360)
    assert runner.parse_stated("**Time:** quick ~ 1 min, full ~ 1 h 5 min") == runner.StatedTime(
        60, 3900
    )
    found = runner.parse_stated("Intro.\n\n" + HEADER + " Full mode wants a GPU.\n")
    assert found.for_mode("quick") == 40 and found.for_mode("full") == 360


def test_a_full_time_not_yet_measured_is_read_as_none_and_flagged_in_full_mode():
    stated = runner.parse_stated("**Time:** quick ≈ 1.5 min, full: not measured yet (a GPU)")
    assert stated == runner.StatedTime(quick=90, full=None)
    run = runner.ChapterRun("07_lottery_tickets", 600.0, 590.0, None, stated)
    assert "not measured" in runner.format_row(run, "full")
    assert runner.is_flagged(600.0, stated.for_mode("full"))
    quick = runner.format_row(runner.ChapterRun("07", 100.0, 99.0, None, stated), "quick")
    assert "+11%" in quick and "off by" not in quick and "not measured" not in quick


@pytest.mark.parametrize(
    "text",
    [
        "**Time.** About half a minute in quick mode, about a minute in full mode.",
        "**Time:** quick ≈ 40 s",
        "**Time:** quick ≈ fast, full ≈ 6 min",
        "",
    ],
)
def test_lines_not_in_the_format_are_not_read(text):
    assert runner.parse_stated(text) is None


def test_stated_time_comes_from_the_first_markdown_cell_that_has_one():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("# **Time:** quick ≈ 1 s, full ≈ 2 s"),
        nbformat.v4.new_markdown_cell("# 07 · A chapter\n\n" + HEADER),
        nbformat.v4.new_markdown_cell("**Time:** quick ≈ 9 s, full ≈ 9 s"),
    ]
    assert runner.stated_time(nb) == runner.StatedTime(40, 360)
    assert runner.stated_time(nbformat.v4.new_notebook()) is None


def test_flagging_at_more_than_50_percent_either_way():
    assert runner.off_by(60, 40) == pytest.approx(0.5)
    assert not runner.is_flagged(60, 40) and not runner.is_flagged(20, 40)
    assert runner.is_flagged(61, 40) and runner.is_flagged(19, 40)
    assert runner.is_flagged(400, 40)
    assert runner.is_flagged(10, None)  # no stated time is flagged too


def test_table_rows_show_measured_against_stated():
    stated = runner.StatedTime(40, 360)
    run = runner.ChapterRun("03_random_subspaces", 130.0, 125.0, 900 * 2**20, stated)
    row = runner.format_row(run, "quick")
    assert row.startswith("03_random_subspaces")
    assert "2.2 min" in row and "40 s" in row and "+225%" in row and "off by more than 50%" in row
    assert "0.88 GB" in row
    ok = runner.format_row(runner.ChapterRun("00_welcome", 300.0, None, None, stated), "full")
    assert "6.0 min" in ok and "-17%" in ok and "off by" not in ok.split("%", 1)[1]
    missing = runner.format_row(runner.ChapterRun("04", 5.0, 5.0, None, None), "quick")
    assert "no '**Time:**" in missing


def test_a_chapter_is_executed_measured_and_written_without_the_measuring_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · test\n\n**Time:** quick ≈ 5 s, full ≈ 10 s"),
        nbformat.v4.new_code_cell("x = sum(range(10**6))\nprint(x)"),
    ]
    path = tmp_path / "chapters" / "99_test.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    run = runner.measure_chapter(path, tmp_path / "out", timeout=120)
    assert run.name == "99_test" and run.seconds > 0
    assert run.cpu_seconds > 0 and run.peak_bytes > 10 * 2**20
    assert run.stated == runner.StatedTime(5, 10)
    written = nbformat.read(tmp_path / "out" / "99_test.ipynb", as_version=4)
    assert len(written.cells) == 2 and written.cells[1].outputs[0]["text"] == "499999500000\n"
    assert (tmp_path / "out" / "99_test.html").exists()


def test_main_prints_the_table_and_strict_fails_on_a_flagged_header(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("**Time:** quick ≈ 1 h, full ≈ 2 h")]
    (tmp_path / "ch").mkdir()
    nbformat.write(nb, tmp_path / "ch" / "01_slow_header.ipynb")
    args = ["--chapters", str(tmp_path / "ch"), "--out", str(tmp_path / "out"), "--quick"]
    assert runner.main(args) == 0
    out = capsys.readouterr().out
    assert "1 chapters in quick mode" in out and "CPUs available" in out
    assert "01_slow_header" in out and "60.0 min" in out and "header(s) to correct" in out
    assert runner.main([*args, "--strict"]) == 1


def test_fresh_runs_every_chapter_on_an_empty_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOFCOURSE_CACHE", str(tmp_path / "warm"))
    assert runner.main(["--chapters", str(tmp_path), "--mode", "quick", "--fresh"]) == 0
    fresh = os.environ["DOFCOURSE_CACHE"]
    assert fresh != str(tmp_path / "warm") and not os.listdir(fresh)
    assert "empty cache" in capsys.readouterr().out
    runner.main(["--chapters", str(tmp_path), "--mode", "quick"])
    assert "are read, not computed" in capsys.readouterr().out


def test_quick_is_the_default_and_full_mode_first_prints_the_stated_time(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("**Time:** quick ≈ 1 s, full ≈ 1 h 20 min")]
    (tmp_path / "ch").mkdir()
    nbformat.write(nb, tmp_path / "ch" / "01_x.ipynb")
    args = ["--chapters", str(tmp_path / "ch"), "--out", str(tmp_path / "out")]
    runner.main(args)
    out = capsys.readouterr().out
    assert "in quick mode" in out and "starting in full mode" not in out
    runner.main([*args, "--mode", "full"])
    out = capsys.readouterr().out
    first = out.index("01_x: starting in full mode, its header states full ≈ 80.0 min")
    assert first < out.index("\n01_x ")  # before the chapter runs (its row), not after
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "--mode $(or $(MODE),quick)" in makefile.split("\ncourse:")[1].split("\n\n")[0]


def test_a_full_mode_cell_has_no_time_limit_unless_one_is_given():
    """A full run of chapter 05 stopped after an hour in its grid cell (nbclient's timeout)."""
    assert runner.cell_timeout("quick", None) == runner.QUICK_CELL_TIMEOUT
    assert runner.cell_timeout("full", None) is None
    assert runner.cell_timeout("full", 60) == 60
