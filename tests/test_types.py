"""The engine modules type-check (mypy, configured in pyproject.toml's [tool.mypy]).

`make lint` runs the same check; here it runs beside the other tests, so that `make test` (and
CI) fails when an engine module stops type-checking."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("mypy", path=str(Path(sys.executable).parent)) is None,
                    reason="mypy is not installed (pip install -e '.[dev]')")  # fmt: skip
def test_the_engine_modules_type_check():
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    run = subprocess.run(
        [mypy, "--no-incremental"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "Success: no issues found" in run.stdout
