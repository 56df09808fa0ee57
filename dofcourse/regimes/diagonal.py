"""The diagonal linear network beta = u*u - v*v, trained by gradient descent from u = v = alpha 1.

The smallest model with a lazy and a rich regime (Woodworth et al. 2020). Its prediction is linear
in x, <beta, x>, but gradient descent acts on w = (u, v) in R^{2d}, and where it ends depends on
the initial scale alpha: near the minimum-l2 interpolant for large alpha (the weights barely move:
the kernel regime), near the minimum-l1 one for small alpha (the weights move far: the rich
regime). In between it ends at the minimiser of Q_alpha (:mod:`dofcourse.regimes.implicit_bias`).

:func:`train_diagonal` trains one member per alpha on one problem with the shared trainer
(``ensemble.train_members``), each at its own step size (:class:`~dofcourse.regimes.scaled.Scaled`):
the curvature of the loss along the way is at most about 4 lambda_max(X^T X / n) (2 alpha^2 + b)
with b ~ ||beta||_inf (since u_i^2 + v_i^2 = sqrt(beta_i^2 + 4 alpha^4)), so member e steps with
eta_e = lr / (4 lambda_max (2 alpha_e^2 + rms(y))); rms(y) = ||beta*||_2 for Gaussian X bounds
||beta*||_inf. :func:`alpha_sweep` runs a cached grid over problems and alphas. Chapter 09.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from dofcourse import checks, experiment
from dofcourse.ensemble import train_members
from dofcourse.params import Functional
from dofcourse.regimes.implicit_bias import implicit_bias
from dofcourse.regimes.interpolants import (
    SparseProblem,
    _positives,
    check_problem,
    min_l1_interpolant,
    min_l2_interpolant,
    sparse_problem,
)
from dofcourse.regimes.scaled import Scaled
from dofcourse.settings import TrainSettings


def diagonal_net(d: int) -> Functional:
    """f(w, x) = x @ (u*u - v*v) with w = (u, v) in R^{2d} (float64), as a pure function."""
    d = checks.integer(d, "d", min=1)
    checks.budget(8.0 * 2 * d, f"a diagonal network with d = {d}", "use a smaller d", name="d")
    zeros = torch.zeros(d, dtype=torch.float64)
    return Functional.of_forward(lambda p, x: x @ (p[0] * p[0] - p[1] * p[1]), (zeros, zeros))


def beta_of(w: torch.Tensor | np.ndarray) -> np.ndarray:
    """beta = u*u - v*v for w = (u, v) of shape (2d,) or (E, 2d)."""
    w = checks.array(w, "w", ndim=(1, 2))
    u, v = np.split(w, 2, axis=-1)
    return u * u - v * v


def step_sizes(problem: SparseProblem, alphas: Sequence[float], lr: float = 1.0) -> np.ndarray:
    """Each alpha's step size eta = lr / (4 lambda_max(X^T X/n) (2 alpha^2 + rms(y))) (module text);
    lr < 2 is stable, lr <= 1 keeps gradient descent close to gradient flow."""
    check_problem(problem)
    alphas = _positives(alphas, "alphas")
    lr = checks.real(lr, "lr", min=0.0, open_min=True)
    lam = float(np.linalg.eigvalsh(problem.X.T @ problem.X / problem.n)[-1])
    b = float(np.sqrt(np.mean(problem.y**2)))
    return lr / (4 * lam * (2 * np.asarray(alphas, dtype=float) ** 2 + b))


def train_diagonal(
    problem: SparseProblem,
    alphas: Sequence[float],
    *,
    lr: float = 1.0,
    max_steps: int = 20000,
    rtol: float = 1e-6,
    eval_every: int = 100,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Gradient descent on the diagonal network from u = v = alpha 1, one member per alpha.

    A member stops once its training loss is below ``rtol`` times its loss at the start (at an
    evaluation, every ``eval_every`` steps), or after ``max_steps``. Returns arrays over alphas:
    ``w`` (E, 2d), ``beta`` (E, d), ``loss`` (E,) final training loss / initial loss, ``steps``
    (E,) steps taken, ``moved`` (E,) = ||w - w_0|| / ||w_0||.
    """
    check_problem(problem)
    alphas = np.array(_positives(alphas, "alphas"))
    lr = checks.real(lr, "lr", min=0.0, max=2.0, open_min=True, open_max=True)
    rtol = checks.real(rtol, "rtol", min=0.0, max=1.0, open_min=True)
    eta = step_sizes(problem, alphas, lr)
    base = float(eta.max())
    w0 = torch.tensor(np.repeat(alphas[:, None], 2 * problem.d, axis=1))
    members = Scaled(w0, torch.tensor(np.sqrt(eta / base)))
    start_loss = 0.5 * float(np.mean(problem.y**2))
    settings = TrainSettings(steps=checks.integer(max_steps, "max_steps", min=1), lr=base)
    run = train_members(diagonal_net(problem.d), members, problem, settings, loss="mse",
                        eval_every=eval_every, test=False, target_loss=rtol * start_loss,
                        progress=progress, desc="diagonal net")  # fmt: skip
    hist = run.history
    reached = hist.loss <= rtol * start_loss
    steps = np.where(reached.any(1), hist.step[np.argmax(reached, axis=1)], hist.step[-1])
    moved = members.moved(run.u).norm(dim=1).numpy() / (alphas * np.sqrt(2 * problem.d))
    w = members.theta(run.u).numpy()
    return {"w": w, "beta": beta_of(w), "loss": hist.loss[:, -1] / start_loss, "steps": steps,
            "moved": moved}  # fmt: skip


def _per_problem(points: list[dict], fixed: dict) -> list[list[dict]]:
    """One chunk (one vectorised training) per problem: its alphas are the members."""
    seeds = sorted({p["problem_seed"] for p in points})
    return [[p for p in points if p["problem_seed"] == s] for s in seeds]


@experiment.batched(axes=("problem_seed", "alpha"), chunk=_per_problem,
                    sort_by=("problem_seed", "alpha"))  # fmt: skip
def alpha_runs(points: list[dict], n: int, d: int, k: int, lr: float = 1.0,
               max_steps: int = 20000, rtol: float = 1e-6) -> list[dict]:  # fmt: skip
    """The runs of one problem (all points share a problem_seed): GD against the references."""
    problem = sparse_problem(n, d, k, seed=points[0]["problem_seed"])
    alphas = [p["alpha"] for p in points]
    run = train_diagonal(problem, alphas, lr=lr, max_steps=max_steps, rtol=rtol, progress=False)
    l1, l2 = min_l1_interpolant(problem.X, problem.y), min_l2_interpolant(problem.X, problem.y)
    rows = []
    for e, alpha in enumerate(alphas):
        beta, q = run["beta"][e], implicit_bias(problem.X, problem.y, alpha)
        dist = {name: float(np.linalg.norm(beta - ref)) for name, ref in
                (("dist_l1", l1), ("dist_l2", l2), ("dist_q", q))}  # fmt: skip
        rows.append({
            "error": float(problem.error(beta)), "error_q": float(problem.error(q)),
            "error_l1": float(problem.error(l1)), "error_l2": float(problem.error(l2)), **dist,
            "norm_star": float(np.linalg.norm(problem.beta_star)),
            "moved": float(run["moved"][e]), "loss": float(run["loss"][e]),
            "steps": int(run["steps"][e]), "beta": beta,
        })  # fmt: skip
    return rows


def alpha_sweep(n: int, d: int, k: int, alphas: Sequence[float], problem_seeds: Sequence[int],
                *, lr: float = 1.0, max_steps: int = 20000, rtol: float = 1e-6,
                progress: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every (problem_seed, alpha): a cached table, one row per run, with the recovery errors of
    GD (``error``), of the closed-form Q_alpha solution, the min-l1 and min-l2 interpolants, the
    distances of GD's beta from them, the relative distance moved, final relative loss, steps."""
    seeds = checks.seeds(problem_seeds, "problem_seeds")
    alphas = _positives(alphas, "alphas")
    d = checks.integer(d, "d", min=2)
    n, k = checks.integer(n, "n", min=1, max=d - 1), checks.integer(k, "k", min=1, max=d)
    checks.budget(8.0 * (n + 500) * d, f"the {n} x {d} problems (and their test inputs)",
                  "use a smaller n or d", name="n and d")  # fmt: skip
    lr = checks.real(lr, "lr", min=0.0, max=2.0, open_min=True, open_max=True)
    max_steps = checks.integer(max_steps, "max_steps", min=1)
    rtol = checks.real(rtol, "rtol", min=0.0, max=1.0, open_min=True)
    return experiment.grid(alpha_runs, {"problem_seed": seeds, "alpha": alphas}, n=n, d=d, k=k,
                           lr=lr, max_steps=max_steps, rtol=rtol, progress=progress,
                           desc="alpha sweep")  # fmt: skip
