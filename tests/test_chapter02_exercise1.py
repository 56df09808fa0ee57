"""Chapter 02, section 1 and exercise 1, run from the chapter's own cells.

The tiny ReLU MLP of section 1 was built from torch's unseeded global generator, so every run of
the chapter drew another network; about 3 initialisations in 100 put a ReLU kink within the
finite-difference step of exercise 1 (eps = 1e-4), and the exercise's check then failed with a
relative error of 10-170 (a full-mode run of the chapter hit one: 39). The cells must build the
same network on every run, and its check must pass on it with its kink precondition.
"""

from __future__ import annotations

import jupytext
import matplotlib.pyplot as plt
import torch

from tests._chapters import CHAPTERS

SOURCE = CHAPTERS / "02_hessian_spectrum.py"
# the cells that build the tiny network, check H v on it, and set and check exercise 1
_WANTED = ("tiny = ", "assert err < 1e-10", "def hvp_fd(", 'exercises.checking("Exercise 1")')


def _cells() -> list[str]:
    code = [c.source for c in jupytext.read(SOURCE).cells if c.cell_type == "code"]
    cells = [c for c in code if any(w in c for w in _WANTED)]
    assert len(cells) == len(_WANTED), "chapter 02's section 1 / exercise 1 cells have moved"
    return cells


def _run(cells: list[str]) -> dict:
    namespace: dict = {}
    exec(  # the chapter's imports, less its dataset (not needed here)
        "import math\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport torch\n"
        "from dofcourse import exercises, models, plotting\nfrom dofcourse import hessian as hs\n"
        "from dofcourse.hessian import figures",
        namespace,
    )
    for i, cell in enumerate(cells):
        exec(compile(cell, f"{SOURCE.name}[{i}]", "exec"), namespace)
    plt.close("all")
    return namespace


def test_section_1_is_the_same_network_every_run_and_exercise_1_passes_on_it() -> None:
    cells = _cells()
    torch.manual_seed(1)  # whatever the global generator's state, the same network
    first = _run(cells)
    torch.manual_seed(2)
    second = _run(cells)
    assert torch.equal(first["H_tiny"], second["H_tiny"]), "the tiny network is not seeded"
    assert first["t_kink"] > 2e-4  # the check cell's precondition, asserted there too
    assert first["fd_err"] < 1e-5
    assert first["fd_err"] == second["fd_err"]
