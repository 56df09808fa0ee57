"""Dense Hessians for small models: the reference every estimator of chapter 02 is checked against.

:func:`hessian_matrix` is the course's one exact Hessian: ``torch.func.hessian`` of a scalar
function of the flat parameters theta, symmetrised, optionally for a whole stack of thetas at once
(``vmap``). Chapter 01 uses it on many quadratic nets at a time (to classify where training
ended); :func:`exact_hessian` applies it to a :class:`~dofcourse.hessian.operator.HessianOperator`
(chapter 02). :func:`dense` builds the matrix of any operator from products with basis vectors, and
:func:`exact_gauss_newton` the Gauss–Newton part from per-example Jacobians, both independent of
the operator's own products, so the tests can compare them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.func import vmap

from dofcourse import checks
from dofcourse.hessian._base import LinearOperator, check_operator
from dofcourse.hessian.operator import HessianOperator


def hessian_matrix(loss: Callable[[Tensor], Tensor], theta: Tensor) -> Tensor:
    """The exact Hessian (D, D) of a scalar function ``loss`` at theta (D,), or the Hessians
    (E, D, D) at each row of a stack theta (E, D), by ``torch.func.hessian`` (symmetrised).

    Cost: D backward passes of ``loss`` per point, so for small D only (chapters 01 and 02).
    """
    if not callable(loss):
        raise TypeError(f"loss must be a function of theta, got {loss!r:.60}")
    theta = checks.tensor(theta, "theta", ndim=(1, 2), floating=True, finite=True)
    D, E = theta.shape[-1], (theta.shape[0] if theta.dim() == 2 else 1)
    checks.budget(3 * E * D * D * theta.element_size(), f"the {E} x {D} x {D} Hessian",
                  "for large D use hessian_operator with lanczos_eigs or slq",
                  name="theta")  # fmt: skip
    h = torch.func.hessian(loss)
    out = h(theta) if theta.dim() == 1 else vmap(h)(theta)
    return (out + out.transpose(-1, -2)).detach() / 2


def _check_small(op: LinearOperator, max_dim: int) -> None:
    check_operator(op)
    max_dim = checks.integer(max_dim, "max_dim", min=1)
    if op.dim > max_dim:
        raise ValueError(
            f"D = {op.dim} is larger than max_dim = {max_dim}: a dense D×D matrix would be too "
            "large; use lanczos_eigs or slq instead"
        )


def exact_hessian(op: HessianOperator, max_dim: int = 4000) -> Tensor:
    """The dense Hessian (D, D) of ``op``'s loss by :func:`hessian_matrix` (independent of its
    Hessian-vector products), averaged over its batches. Chapter 02."""
    _check_small(op, max_dim)
    return op.average(lambda x, y: hessian_matrix(lambda t: op.loss_at(t, x, y), op.theta))


def dense(op: LinearOperator, max_dim: int = 4000, chunk_size: int = 64) -> Tensor:
    """The dense matrix (D, D) of any operator, by products with the basis vectors. Chapter 02."""
    _check_small(op, max_dim)
    chunk_size = checks.integer(chunk_size, "chunk_size", min=1)
    eye = torch.eye(op.dim, dtype=op.dtype, device=op.device)
    cols = torch.cat([torch.stack([op.matvec(e) for e in blk]) for blk in eye.split(chunk_size)])
    return (cols + cols.T) / 2


def exact_gauss_newton(op: HessianOperator, max_dim: int = 4000) -> Tensor:
    """The dense Gauss–Newton matrix G = (1/N) Σ_i J_iᵀ H_i J_i, (D, D). Chapter 02.

    J_i (C, D) is the Jacobian of example i's outputs and H_i (C, C) the Hessian of its loss
    ℓ_i = ``loss_fn(f_i[None], y_i[None])`` w.r.t. those outputs, both from ``torch.func``
    (independent of ``gn_vp``); this assumes the loss is a mean of per-example terms. Memory: one
    (n_b, C, D) Jacobian per batch.
    """
    _check_small(op, max_dim)

    def per_example(o: Tensor, t: Tensor) -> Tensor:
        return torch.func.hessian(lambda oi: op.loss_fn(oi[None], t[None]))(o)

    def one(x: Tensor, y: Tensor) -> Tensor:
        jac = torch.func.jacrev(lambda t: op.outputs(t, x))(op.theta)  # (n, C, D)
        out = op.outputs(op.theta, x).detach()
        h_out = vmap(per_example)(out, y)  # (n, C, C)
        return torch.einsum("nci,ncd,ndj->ij", jac, h_out, jac) / x.shape[0]

    g = op.average(one).detach()
    return (g + g.T) / 2
