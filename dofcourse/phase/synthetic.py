"""Synthetic quadratic wells trained in random subspaces through the engine (chapter 05).

Chapter 04 answered "does a random subspace reach L <= eps?" for a quadratic well exactly, by
linear algebra. Here the same well is *trained*, as the networks are: the loss

    L(theta) = 1/2 sum_i lambda_i theta_i^2      (theta* = 0, H = diag(lambda))

is written as a least-squares problem (:func:`well_problem`: D examples x_i = sqrt(D lambda_i)
e_i with targets 0 and a linear model f(x) = x . theta, so the engine's mean squared error
1/2 mean (x_i . theta)^2 is L), and :func:`well_runs` trains E subspaces theta_0 + P z of it
(orthonormal P) as one vectorised ensemble (``ensemble.train_members`` with
``subspace.Affine``), stopping each member once it reaches eps. Compared with
the success curve of exact minima (``geometry.success_curve``, chapter 04) tells optimisation
error from geometry. :func:`well_sweep` runs the cached grid over (d, projection seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dofcourse import checks, ensemble, experiment
from dofcourse.geometry import QuadraticWell
from dofcourse.params import Functional
from dofcourse.projections import stack_projections
from dofcourse.settings import TrainSettings
from dofcourse.subspace import Affine


@dataclass(frozen=True, eq=False)
class WellData:
    """A regression dataset whose mean squared error is the well's loss (train = test)."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor


class LinearModel(nn.Module):
    """f(x) = x . w with w (D,) the flat parameters: theta itself."""

    def __init__(self, theta0: Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(theta0.clone())

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.w


def well_problem(lam: np.ndarray, theta0: np.ndarray) -> tuple[LinearModel, WellData]:
    """(model at theta0, data) with the engine's MSE loss equal to 1/2 sum_i lam_i theta_i^2."""
    lam = checks.array(lam, "lam", ndim=1)
    theta0 = checks.array(theta0, "theta0", ndim=1)
    if np.any(lam <= 0) or theta0.shape != lam.shape:
        raise ValueError("lam must be positive and theta0 of the same length")
    x = torch.diag(torch.from_numpy(np.sqrt(lam.size * lam)))
    y = torch.zeros(lam.size, dtype=torch.float64)
    return LinearModel(torch.from_numpy(theta0)), WellData(x, y, x, y)


@experiment.batched(axes=("d", "proj_seed"), chunk=64, sort_by=("d", "proj_seed"),
                    ignore=("bars",))  # fmt: skip
def well_runs(
    points: list[dict],
    lam: np.ndarray,
    loss0: float,
    eps: float,
    settings: TrainSettings,
    start_seed: int = 0,
    eval_every: int = 10,
    bars: bool = False,
) -> list[dict]:
    """Train the subspaces at ``points`` of the well diag(lam) started at loss ``loss0``
    (``QuadraticWell.start_at_loss``, seed ``start_seed``) until L <= eps; one dict per run with
    the lowest loss reached and the steps taken."""
    well = QuadraticWell.from_spectrum(lam)
    theta0 = well.start_at_loss(loss0, seed=start_seed)
    model, data = well_problem(lam, theta0)
    ds, seeds = [p["d"] for p in points], [p["proj_seed"] for p in points]
    net = Functional.of_module(model)
    proj = stack_projections("orthonormal", well.D, ds, seeds, dtype=torch.float64)
    run = ensemble.train_members(net, Affine(net.theta0, proj), data, settings, loss="mse",
                                 target_loss=eps, eval_every=eval_every, test=False,
                                 progress=bars, desc=f"well x{len(points)}")  # fmt: skip
    out = []
    for losses in run.history.loss:
        reached = np.flatnonzero(losses <= eps)
        steps = run.history.step[reached[0]] if reached.size else run.history.step[-1]
        out.append({"loss": float(losses.min()), "steps": int(steps)})
    return out


def well_sweep(
    lam: np.ndarray,
    loss0: float,
    eps: float,
    dims: Sequence[int],
    proj_seeds: Sequence[int],
    settings: TrainSettings,
    *,
    start_seed: int = 0,
    eval_every: int = 10,
    progress: bool = True,
) -> pd.DataFrame:
    """The cached grid of :func:`well_runs` over dims x proj_seeds: one row per run (columns d,
    proj_seed, loss, steps); success means loss <= eps."""
    lam = checks.array(lam, "lam", ndim=1)
    if np.any(lam <= 0):
        raise ValueError("lam must hold positive eigenvalues")
    checks.budget(8.0 * 2 * lam.size**2, f"the {lam.size} x {lam.size} Hessian of the well",
                  "use fewer eigenvalues lam", name="lam")  # fmt: skip
    loss0 = checks.real(loss0, "loss0", min=0.0, open_min=True)
    eps = checks.real(eps, "eps", min=0.0, max=loss0, open_min=True, open_max=True)
    dims = checks.integers(dims, "dims", min=1, max=lam.size)
    proj_seeds = checks.seeds(proj_seeds, "proj_seeds")
    settings = checks.settings(settings)
    start_seed = checks.seed(start_seed, "start_seed")
    eval_every = checks.integer(eval_every, "eval_every", min=1)
    return experiment.grid(well_runs, {"d": dims, "proj_seed": proj_seeds}, lam=lam, loss0=loss0,
                           eps=eps, settings=settings, start_seed=start_seed,
                           eval_every=eval_every, progress=progress, desc="well sweep")  # fmt: skip


def well_levels(lam: np.ndarray, theta0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(levels, multiplicities, energies of theta0 - 0) of the diagonal well diag(lam): the input
    of ``phase.statdim`` (equal eigenvalues form one level)."""
    lam = checks.array(lam, "lam", ndim=1)
    theta0 = checks.array(theta0, "theta0", ndim=1)
    if np.any(lam < 0) or theta0.shape != lam.shape:
        raise ValueError(
            f"lam must be >= 0 and theta0 of the same length, got {lam.size} and {theta0.size}"
        )
    levels, inverse = np.unique(lam, return_inverse=True)
    mult = np.bincount(inverse).astype(float)
    energy = np.bincount(inverse, weights=theta0**2)
    return levels, mult, energy
