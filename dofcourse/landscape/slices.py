"""The loss along 1-D and 2-D slices through a point θ ∈ R^D, and the directions to slice along.

A landscape in D dimensions cannot be drawn, but its restriction to a line θ + a u or a plane
θ + a u + b w can. Which directions one slices along decides what one sees: random directions
(filter-normalised as in Li et al. 2018, so that every neuron is perturbed in proportion to its
own size) show the typical neighbourhood; Hessian eigenvectors show the extremes: the escape
direction at a saddle, the flattest non-symmetry direction at a minimum. The slicing functions
take any loss of a flat parameter vector, ``loss_fn(theta (D,)) -> scalar``, and evaluate a whole
grid in one ``vmap`` call. Taught in chapter 01 (and used by chapter 03's loss on a plane).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.func import vmap

from dofcourse import checks

LossFn = Callable[[Tensor], Tensor]


def random_direction(
    params: Sequence[Tensor], *, direction_seed: int = 0, filter_normalize: bool = True
) -> Tensor:
    """A Gaussian direction (D,) in the flat parameter space of one net ``params`` (a tuple of
    tensors, laid end to end as ``params.Layout`` does). Chapter 01.

    With ``filter_normalize`` each *filter* of the direction (a row of a weight matrix: one
    neuron's input weights; one entry of a vector: one output weight) is rescaled to the norm of
    the same filter in ``params``, so the slice perturbs every neuron in proportion to its size;
    a rescaling symmetry could otherwise make one direction look arbitrarily sharp or flat.
    """
    g = torch.Generator().manual_seed(checks.seed(direction_seed, "direction_seed"))
    parts = []
    for p in params:
        u = torch.randn(p.shape, generator=g, dtype=p.dtype)
        if filter_normalize:
            rows_u = u.reshape(p.shape[0], -1) if p.ndim >= 2 else u.reshape(-1, 1)
            rows_p = p.reshape(p.shape[0], -1) if p.ndim >= 2 else p.reshape(-1, 1)
            scale = rows_p.norm(dim=1, keepdim=True) / rows_u.norm(dim=1, keepdim=True)
            u = (rows_u * scale).reshape(p.shape)
        parts.append(u.reshape(-1))
    return torch.cat(parts)


def hessian_directions(
    h: Tensor, k: int = 2, *, which: str = "smallest", exclude: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The ``k`` extreme eigenpairs of a symmetric ``h`` (D, D): eigenvalues (k,) and unit
    eigenvectors (D, k); ``which`` is ``"smallest"`` or ``"largest"``. Chapter 01.

    ``exclude`` (an orthonormal (D, r) basis, e.g. ``quadratic.symmetry_directions``) restricts
    ``h`` to the orthogonal complement first, so exact flat directions that carry no information
    are not returned.
    """
    which = checks.choice(which, "which", ("smallest", "largest"))
    d = h.shape[0]
    if h.shape != (d, d):
        raise ValueError(f"h must be square, got {tuple(h.shape)}")
    basis = torch.eye(d, dtype=h.dtype)
    if exclude is not None and exclude.shape[1] > 0:
        qm, _ = torch.linalg.qr(torch.cat([exclude, basis], dim=1))
        basis = qm[:, exclude.shape[1] : d]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= basis.shape[1]:
        raise ValueError(f"k must be between 1 and {basis.shape[1]}, got {k}")
    evals, evecs = torch.linalg.eigh(basis.T @ h @ basis)
    idx = (
        torch.arange(k)
        if which == "smallest"
        else torch.arange(len(evals) - 1, len(evals) - k - 1, -1)
    )
    return evals[idx], basis @ evecs[:, idx]


def _check_direction(theta: Tensor, *dirs: Tensor) -> None:
    for u in dirs:
        if u.shape != theta.shape:
            raise ValueError(
                f"direction shape {tuple(u.shape)} != parameter shape {tuple(theta.shape)}"
            )


def slice_1d(loss_fn: LossFn, theta: Tensor, direction: Tensor, alphas: Tensor) -> Tensor:
    """loss(θ + a · direction) for every a in ``alphas`` (K,) → (K,). Chapter 01."""
    _check_direction(theta, direction)
    return vmap(lambda a: loss_fn(theta + a * direction))(alphas.to(theta.dtype))


def slice_2d(
    loss_fn: LossFn, theta: Tensor, u: Tensor, w: Tensor, alphas: Tensor, betas: Tensor
) -> Tensor:
    """loss(θ + a u + b w) on the grid ``alphas`` (K,) × ``betas`` (L,) → (K, L) (a first).
    Chapters 01 and 03."""
    _check_direction(theta, u, w)
    a, b = torch.meshgrid(alphas.to(theta.dtype), betas.to(theta.dtype), indexing="ij")
    values = vmap(lambda s, t: loss_fn(theta + s * u + t * w))(a.reshape(-1), b.reshape(-1))
    return values.reshape(a.shape)
