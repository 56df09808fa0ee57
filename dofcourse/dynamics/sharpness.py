"""Sharpness along full-batch gradient descent, and why 2/η is its ceiling.

On a quadratic loss L(θ) = ½ θᵀ A θ, a step θ ← θ − η A θ multiplies the component along an
eigenvector of A with eigenvalue λ by (1 − ηλ): it shrinks when 0 < λ < 2/η and grows, with
alternating sign, when λ > 2/η. So gradient descent with step η is stable only where the
sharpness λ_max (the largest Hessian eigenvalue) is below the **stability edge 2/η**
(:func:`quadratic_gd` shows it). Cohen, Kaur, Li, Kolter and Talwalkar (ICLR 2021) found that on
neural networks full-batch GD first *raises* the sharpness (progressive sharpening) until it
reaches 2/η and then hovers there ("the edge of stability"), while the loss keeps falling, but
not monotonically.

:func:`gd_sharpness` trains MLPs (one per ``init_seed``, one vectorised ensemble) by full-batch
GD at one step size and measures, every ``every`` steps, the top-k Hessian eigenpairs (chapter
02's Lanczos) and how far the top-k eigenspace turned since the previous measurement
(:func:`eigenspace_overlap`). Chapter 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from dofcourse import checks, ensemble, experiment, train
from dofcourse import hessian as hs
from dofcourse.params import Functional, check_point, flatten
from dofcourse.settings import TrainSettings


def quadratic_gd(eigs: Tensor, lr: float, steps: int) -> Tensor:
    """‖θ_t‖ (steps + 1,) for gradient descent with step ``lr`` on ½ Σ_i λ_i θ_i² (the quadratic
    with Hessian diag(``eigs``)), from θ_0 = (1, …, 1): it falls to zero when every ηλ_i < 2
    and grows geometrically, by |1 − ηλ_max| a step, when ηλ_max > 2. Chapter 10."""
    lam = checks.tensor(eigs, "eigs", ndim=1, floating=True, finite=True).double()
    lr = checks.real(lr, "lr", min=0.0, open_min=True)
    steps = checks.integer(steps, "steps", min=1)
    theta = torch.ones_like(lam)
    norms = [theta.norm()]
    for _ in range(steps):
        theta = theta - lr * lam * theta  # the gradient of ½ Σ λ_i θ_i² is λ ⊙ θ
        norms.append(theta.norm())
    return torch.stack(norms)


def eigenspace_overlap(u: Tensor, v: Tensor) -> float:
    """‖U Vᵀ‖²_F / k for two sets of k orthonormal rows U, V (k, D): 1 when they span the same
    space, k/D on average for random spaces, 0 when orthogonal. Chapter 10."""
    u = checks.tensor(u, "u", ndim=2, floating=True, finite=True).double()
    v = checks.tensor(v, "v", ndim=2, floating=True, finite=True).double().to(u.device)
    if u.shape != v.shape:
        raise ValueError(f"u and v must have the same shape (k, D), got {tuple(u.shape)} and "
                         f"{tuple(v.shape)}")  # fmt: skip
    return float((u @ v.T).square().sum()) / u.shape[0]


def _train_split(net: Functional, theta: Tensor, data: Any) -> tuple[Tensor, Tensor]:
    """The training split (x, y) of ``data`` (a Dataset or a pair (x, y)), checked (finite inputs
    of the network's dtype and device, int64 labels it has outputs for) against ``net`` at
    ``theta`` (D,). Not exported: the check shared by this module and ``effective``."""
    x, y = hs.as_xy(data)
    x = checks.tensor(x, "data's x_train", floating=True, finite=True).to(net.device, net.dtype)
    y = checks.labels(y, "data's y_train", n_classes=2**62, device=net.device)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"data's x_train and y_train must hold the same, non-zero number of "
                         f"examples, got {len(x)} and {len(y)}")  # fmt: skip
    train.check_model_fits(lambda xb: net.fn(theta, xb), x, y)
    return x, y


def top_eigenpairs(
    net: Functional, theta: Tensor, data: Any, k: int, steps: int
) -> tuple[Tensor, Tensor]:
    """The top-k Hessian eigenvalues (k,) and eigenvectors (k, D) of the cross-entropy of ``net``
    at ``theta`` (D,) on ``data``'s training split: chapter 02's Lanczos. Chapter 10."""
    theta = check_point(net, theta)
    k = checks.integer(k, "k", min=1)
    steps = checks.integer(steps, "steps", min=k)
    x, y = _train_split(net, theta, data)
    here = Functional(net.fn, theta, net.layout, net.convolutional)
    op = hs.HessianOperator.of_functional(here, (x, y), method="reverse")
    return hs.lanczos_eigs(op, k, steps)


@experiment.batched(axes=("lr",), chunk=1)
def _gd_runs(
    points: list[dict],
    data: Any,
    models: tuple,
    steps: int,
    every: int,
    k: int,
    lanczos_steps: int,
    progress: bool = False,
) -> list[dict]:
    """One full-batch GD ensemble (one member per model) per learning rate, measured as it goes."""
    out = []
    net = Functional.of_module(models[0])
    for p in points:
        kept: dict[int, Tensor] = {}

        def keep(step: int, u: Tensor, kept: dict = kept) -> None:
            if step % every == 0:
                kept[step] = u.detach().clone()

        run = ensemble.train_members(
            net, ensemble.Free(torch.stack([flatten(m) for m in models])), data,
            TrainSettings(steps=steps, lr=p["lr"]), eval_every=1, test=False, on_eval=keep,
            progress=progress, desc=f"GD, η = {p['lr']:g}",
        )  # fmt: skip
        at = sorted(kept)
        top = np.zeros((len(models), len(at), k))
        turn = np.full((len(models), len(at)), np.nan)  # overlap with the previous checkpoint
        for e in range(len(models)):
            prev = None
            for t, s in enumerate(at):
                vals, vecs = top_eigenpairs(net, kept[s][e], data, k, lanczos_steps)
                top[e, t] = vals.cpu().numpy()
                if prev is not None:
                    turn[e, t] = eigenspace_overlap(prev, vecs)
                prev = vecs
        thetas = torch.stack([kept[s] for s in at], 1).cpu()  # (E, T, D)
        out.append({"step": run.history.step, "loss": run.history.loss, "checkpoints": np.array(at),
                    "top": top, "overlap": turn, "thetas": thetas,
                    "diverged": run.diverged})  # fmt: skip
    return out


def gd_sharpness(
    models: Sequence[torch.nn.Module],
    data: Any,
    lrs: Sequence[float],
    *,
    steps: int,
    every: int = 10,
    k: int = 4,
    lanczos_steps: int = 20,
    progress: bool = True,
) -> dict[float, dict]:
    """Full-batch GD of the networks ``models`` (one architecture, several initialisations) at
    each learning rate of ``lrs``, cached per rate. Chapter 10.

    Returns {lr: run}; each run holds ``step`` (T,) and ``loss`` (E, T) at every step, and at the
    ``checkpoints`` (C,) (every ``every`` steps): ``top`` (E, C, k) the top-k Hessian eigenvalues,
    ``overlap`` (E, C) the overlap of the top-k eigenspace with the previous checkpoint's (NaN
    at the first), ``thetas`` (E, C, D); and ``diverged`` (E,).
    """
    if (
        not isinstance(models, list | tuple)
        or not models
        or not all(isinstance(m, torch.nn.Module) for m in models)
    ):
        raise TypeError(
            "models must be a non-empty list of torch.nn.Module of one architecture, got "
            f"{type(models).__name__}"
        )
    rates = checks.reals(lrs, "lrs", min=0.0, open_min=True)
    steps = checks.integer(steps, "steps", min=1)
    every = checks.integer(every, "every", min=1, max=steps)
    k = checks.integer(k, "k", min=1)
    lanczos_steps = checks.integer(lanczos_steps, "lanczos_steps", min=k)
    table = experiment.grid(_gd_runs, {"lr": rates}, data=data, models=tuple(models), steps=steps,
                            every=every, k=k, lanczos_steps=lanczos_steps, progress=progress,
                            desc="learning rates")  # fmt: skip
    return {float(row["lr"]): row.drop("lr").to_dict() for _, row in table.iterrows()}
