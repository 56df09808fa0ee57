"""Where did training end? A global minimum, a saddle, a spurious minimum, or still moving.

A fixed step budget and a loss threshold cannot tell a stuck run from a slow one. At each end
point this module computes the loss (relative to the label energy), the gradient norm and the
smallest Hessian eigenvalue with the symmetry directions removed, λ_⊥ (the one exact Hessian,
``hessian.hessian_matrix``, for all nets of an ensemble at once), and labels the point:

| label | relative loss | ‖∇L‖ | λ_⊥ |
| --- | --- | --- | --- |
| global minimum | ≤ loss_tol | | |
| saddle | > loss_tol | | < −eig_tol |
| spurious minimum | > loss_tol | ≤ grad_tol | ≥ −eig_tol |
| still descending | > loss_tol | > grad_tol | ≥ −eig_tol |

A width too small to fit the teacher (m below its rank) cannot reach zero loss at all: there,
:func:`mark_capacity` relabels the stuck runs that reached the best loss of any run of that width
as "best at this width" (a capacity limit, not a spurious minimum). Taught in chapter 01.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.device import single_thread
from dofcourse.hessian.exact import hessian_matrix
from dofcourse.quadratic.nets import (
    Forward,
    Params,
    check_params,
    flat_loss,
    n_seeds_of,
    select,
    thetas,
)
from dofcourse.quadratic.symmetry import restricted_eigenvalues
from dofcourse.quadratic.teachers import Problem

SUCCESS = "global minimum"
SLOW = "still descending"
SPURIOUS = "spurious minimum"
SADDLE = "saddle"
CAPACITY = "best at this width"
LABELS = (SUCCESS, SLOW, SPURIOUS, SADDLE, CAPACITY)

Symmetry = Callable[[Params], Tensor]


@dataclass
class EndPoints:
    """What the S end points of an ensemble are; tensors (S,) except ``labels`` (S strings).

    ``loss`` is the training loss, ``rel_loss`` = loss / mean(y²); ``lam_min`` the smallest
    Hessian eigenvalue and ``lam_min_perp`` the smallest once the symmetry directions are
    projected out (equal when no symmetry is given); ``n_symmetry`` counts those directions.
    Chapter 01.
    """

    loss: Tensor
    rel_loss: Tensor
    grad_norm: Tensor
    lam_min: Tensor
    lam_min_perp: Tensor
    n_symmetry: Tensor
    labels: list[str]

    def fraction(self, label: str) -> float:
        """Fraction of the end points with this label."""
        return sum(lab == label for lab in self.labels) / len(self.labels)

    def counts(self) -> dict[str, int]:
        """Number of end points per label (every label, zeros included)."""
        return {lab: sum(x == lab for x in self.labels) for lab in LABELS}

    def mask(self, label: str) -> Tensor:
        """Boolean (S,): which end points have this label."""
        return torch.tensor([lab == label for lab in self.labels])


def classify_one(
    rel_loss: float,
    grad_norm: float,
    lam_min_perp: float,
    *,
    loss_tol: float = 1e-6,
    grad_tol: float = 1e-7,
    eig_tol: float = 1e-6,
) -> str:
    """The label of one end point (the table in the module text). ``rel_loss`` is the loss as a
    fraction of the label energy mean(y²), so ``loss_tol`` does not depend on the labels' scale.
    Chapter 01."""
    rel_loss = checks.real(rel_loss, "rel_loss", min=0.0)
    grad_norm = checks.real(grad_norm, "grad_norm", min=0.0)
    lam_min_perp = checks.real(lam_min_perp, "lam_min_perp")
    loss_tol = checks.real(loss_tol, "loss_tol", min=0.0)
    grad_tol = checks.real(grad_tol, "grad_tol", min=0.0)
    eig_tol = checks.real(eig_tol, "eig_tol", min=0.0)
    if rel_loss <= loss_tol:
        return SUCCESS
    if lam_min_perp < -eig_tol:
        return SADDLE
    if grad_norm <= grad_tol:
        return SPURIOUS
    return SLOW


def loss_grad_hessian(
    forward: Forward, params: Params, problem: Problem
) -> tuple[Tensor, Tensor, Tensor]:
    """Loss (S,), gradient (S, D) and exact Hessian (S, D, D) of every net of an ensemble.
    Chapter 01."""
    Problem.check(problem)
    params = check_params(params)
    f = flat_loss(forward, select(params, 0), problem.x, problem.y)
    theta = thetas(params)
    loss = torch.func.vmap(f)(theta)
    grad = torch.func.vmap(torch.func.grad(f))(theta)
    return loss.detach(), grad.detach(), hessian_matrix(f, theta)


def classify(
    forward: Forward,
    params: Params,
    problem: Problem,
    *,
    symmetry: Symmetry | None = None,
    **tols: float,
) -> EndPoints:
    """Loss, gradient norm and Hessian spectrum of every net of an ensemble, and its label.

    ``symmetry(net) -> (D, k)`` gives an orthonormal basis of the exact flat directions of one
    net (``quadratic.symmetry_directions`` for ``shallow_forward``; a partial of it with fixed
    output weights for ``psd_forward``); they are projected out before the smallest eigenvalue
    is taken. Without it nothing is projected out: for a net with symmetries an almost-converged
    run then shows tiny negative eigenvalues along them and may be labelled a saddle. ``tols``
    go to :func:`classify_one`. Chapter 01.
    """
    Problem.check(problem)
    params = check_params(params)
    if symmetry is not None and not callable(symmetry):
        raise TypeError(f"symmetry must be a function of one net, got {symmetry!r:.60}")
    with single_thread():
        loss, g, h = loss_grad_hessian(forward, params, problem)
        lam_min = torch.linalg.eigvalsh(h)[:, 0]
        perp, n_sym = [], []
        for i in range(n_seeds_of(params)):
            dirs = None if symmetry is None else symmetry(select(params, i))
            if dirs is None or dirs.shape[1] == 0:
                perp.append(lam_min[i])
                n_sym.append(0)
                continue
            perp.append(restricted_eigenvalues(h[i], dirs)[0])
            n_sym.append(dirs.shape[1])
    rel = loss / problem.energy
    grad_norm = g.norm(dim=1)
    lam_perp = torch.stack(perp)
    labels = [
        classify_one(float(a), float(b), float(c), **tols)
        for a, b, c in zip(rel, grad_norm, lam_perp, strict=True)
    ]
    return EndPoints(loss, rel, grad_norm, lam_min, lam_perp, torch.tensor(n_sym), labels)


def mark_capacity(ends: EndPoints, *, rtol: float = 1e-3) -> EndPoints:
    """For a width that cannot fit the teacher: the stuck end points (spurious minima, or still
    descending) whose loss is within a factor 1 + ``rtol`` of the lowest loss any end point of
    this ensemble reached, relabelled "best at this width". Chapter 01."""
    rtol = checks.real(rtol, "rtol", min=0.0)
    if not isinstance(ends, EndPoints):
        raise TypeError(f"ends must be the EndPoints of classify, got {type(ends).__name__}")
    best = float(ends.loss.min())
    labels = [
        CAPACITY if lab in (SPURIOUS, SLOW) and float(x) <= (1 + rtol) * best else lab
        for lab, x in zip(ends.labels, ends.loss, strict=True)
    ]
    return replace(ends, labels=labels)
