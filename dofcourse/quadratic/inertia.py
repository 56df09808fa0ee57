"""Why spurious minima exist and why width removes them: signs, inertia and a spare neuron.

**Sylvester's law of inertia.** A = Wᵀ diag(v) W has at most as many positive eigenvalues as v has
positive entries, and at most as many negative ones as v has negative entries (congruence
cannot create eigenvalues of a sign that diag(v) lacks). A net whose output weights have fewer
negative entries than the teacher A* has negative eigenvalues can never reach zero loss, wherever
its W goes: it is stuck in a region of parameter space that cannot represent A*. Soltanolkotabi,
Javanmard & Lee require at least d output weights of each sign for exactly this reason.
:func:`sign_counts`, :func:`inertia` and :func:`can_represent` measure it.

**A spare neuron.** At a stuck point the residual-weighted input covariance
G = (1/n) Σ_i r_i x_i x_iᵀ (:func:`residual_covariance`) is not zero; a new neuron with w = 0 and
an output weight of the sign opposite to an eigenvalue of G changes nothing (function, loss,
gradient), but its Hessian block 2 v_new G has a negative eigenvalue: the spurious minimum of the
narrower net is a strict saddle of the wider one (:func:`add_spare_neuron`). Taught in chapter 01.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.quadratic.nets import Params, check_params, pad_neurons, shallow_forward
from dofcourse.quadratic.teachers import Problem


def inertia(a: Tensor, *, tol: float = 1e-9) -> tuple[int, int]:
    """(number of positive, number of negative) eigenvalues of a symmetric matrix ``a`` (d, d),
    counting only those beyond ``tol`` × the largest |eigenvalue|. Chapter 01."""
    return _inertia(a, "a", tol)


def _inertia(a: Tensor, name: str, tol: float) -> tuple[int, int]:
    a = checks.tensor(a, name, ndim=2, floating=True)
    if a.shape[0] != a.shape[1] or not bool(torch.isfinite(a).all()):
        raise ValueError(f"{name} must be a finite square matrix, got shape {tuple(a.shape)}")
    tol = checks.real(tol, "tol", min=0.0)
    evals = torch.linalg.eigvalsh(a)
    cut = tol * float(evals.abs().max())
    return int((evals > cut).sum()), int((evals < -cut).sum())


def sign_counts(v: Tensor, *, tol: float = 0.0) -> tuple[Tensor, Tensor]:
    """(positive, negative) entries of output weights v (m,) or (S, m), each (S,) or a scalar
    tensor; entries with |v_j| ≤ ``tol`` count as neither. Chapter 01."""
    v = checks.tensor(v, "v", ndim=(1, 2), floating=True)
    tol = checks.real(tol, "tol", min=0.0)
    return (v > tol).sum(-1), (v < -tol).sum(-1)


def can_represent(v: Tensor, teacher: Tensor, *, tol: float = 0.0) -> Tensor:
    """Whether output weights v (m,) or (S, m) have at least as many positive and as many
    negative entries as the teacher matrix has positive and negative eigenvalues: the condition
    Sylvester's law of inertia puts on reaching zero loss. Boolean (S,) or scalar. Chapter 01."""
    need_pos, need_neg = _inertia(teacher, "teacher", 0.0)
    pos, neg = sign_counts(v, tol=tol)
    return (pos >= need_pos) & (neg >= need_neg)


def residual_covariance(net: Params, problem: Problem) -> Tensor:
    """G = (1/n) Σ_i r_i x_i x_iᵀ (d, d) with residuals r_i = f(x_i) − y_i of one shallow net:
    ∂L/∂A, the gradient of the loss with respect to the matrix the net computes. Chapter 01."""
    net = check_params(net, "net", n=2)
    Problem.check(problem)
    if net[0].dim() != 2 or net[0].shape[1] != problem.d:
        raise ValueError(f"net must be one shallow net (W (m, {problem.d}), v (m,)) for this "
                         f"problem, got W of shape {tuple(net[0].shape)}")  # fmt: skip
    r = shallow_forward(net, problem.x) - problem.y
    return (problem.x.T * r) @ problem.x / problem.n


def add_spare_neuron(net: Params, problem: Problem, *, v_new: float = 0.5) -> Params:
    """One shallow net (W (m, d), v (m,)) with a neuron w = 0 added whose output weight ±|v_new|
    has the sign opposite to G's eigenvalue of largest magnitude (:func:`residual_covariance`):
    the same function, and a direction of negative curvature along that eigenvector when G ≠ 0.
    Chapter 01."""
    v_new = checks.real(v_new, "v_new", min=0.0, open_min=True)
    g_evals = torch.linalg.eigvalsh(residual_covariance(net, problem))
    net = check_params(net, "net", n=2)
    sign = -1.0 if float(g_evals[-1]) > -float(g_evals[0]) else 1.0
    w, v = pad_neurons(tuple(p[None] for p in net), net[1].numel() + 1)
    v[0, -1] = sign * v_new
    return (w[0], v[0])
