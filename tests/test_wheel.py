"""How a class gets the course outside the repository: the package built as a wheel, installed
in a fresh virtual environment in a temporary folder, and chapter 00 and its student version run
there under nbval.

No download: the fresh environment sees this environment's installed packages (every one but the
course itself, through a folder of links), so pip installs only the wheel, and must keep the
torch it finds (as it keeps Colab's own build) rather than replace it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from dofcourse import exercises
from tests import _chapters as ch

pytestmark = pytest.mark.after_chapters


def _run(cmd: list, **kw) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _shared_packages(into: Path) -> Path:
    """A folder of links to this environment's installed packages, less the course itself."""
    into.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("dofcourse", "__editable__")) or name.endswith(".pth"):
            continue
        (into / entry.name).symlink_to(entry)
    return into


def test_the_wheel_installs_outside_the_repository_and_runs_chapter_00(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", wheels, ch.ROOT])  # fmt: skip
    (wheel,) = wheels.glob("dofcourse-*.whl")
    env = tmp_path / "class-venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    own_site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    )  # noqa: E501
    (own_site / "shared.pth").write_text(f"{_shared_packages(tmp_path / 'shared')}\n")
    installed = _run([python, "-m", "pip", "install", "--no-index", wheel], cwd=tmp_path)
    assert (
        "Successfully installed dofcourse-" in installed
        and "torch" not in installed.split("Successfully installed")[-1]
    ), installed  # the torch it found satisfies the course: kept, not replaced
    where = _run(
        [python, "-c", "import dofcourse, torch; print(dofcourse.__file__, torch.__file__)"],
        cwd=tmp_path,
    )
    course, torch_at = where.split()
    assert Path(course).is_relative_to(env) and not Path(course).is_relative_to(ch.ROOT)
    assert Path(torch_at).resolve().is_relative_to(Path(sys.prefix).resolve())

    # A class's folder: the chapter as the lecturer hands it out, and its student version.
    room = tmp_path / "class"
    room.mkdir()
    chapter = ch.read(ch.FIRST)
    exercises.write_notebook(chapter, room / ch.FIRST.name)
    student = exercises.student_notebook(chapter)
    exercises.write_notebook(student, room / f"student_{ch.FIRST.name}")
    monkeypatch.setenv("DOFCOURSE_CACHE", ch.SESSION_CACHE)
    keep = {"PATH", "HOME", "LANG", "TMPDIR", "DOFCOURSE_CACHE", "DOFCOURSE_THREADS"}
    clean = {k: v for k, v in os.environ.items() if k in keep}
    clean.update(DOFCOURSE_QUICK="1", MPLBACKEND="Agg", JUPYTER_PLATFORM_DIRS="1")
    out = _run([python, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                "--rootdir", room, room], cwd=room, env=clean)  # fmt: skip
    assert "2 passed" in out or "passed" in out, out
    assert json.loads((room / ch.FIRST.name).read_text())["cells"], "the chapter was written"
