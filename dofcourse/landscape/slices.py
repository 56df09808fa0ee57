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
    filter_normalize = checks.boolean(filter_normalize, "filter_normalize")
    if isinstance(params, str | bytes | Tensor) or not isinstance(params, Sequence) or not params:
        raise TypeError(f"params must be a tuple of tensors (one network), got {params!r:.60}")
    params = [checks.tensor(p, f"params[{i}]", floating=True) for i, p in enumerate(params)]
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
    h = checks.tensor(h, "h", ndim=2, floating=True, finite=True)
    d = h.shape[0]
    if h.shape != (d, d):
        raise ValueError(f"h must be square, got {tuple(h.shape)}")
    basis = torch.eye(d, dtype=h.dtype, device=h.device)
    if exclude is not None:
        exclude = checks.tensor(exclude, "exclude", ndim=2, floating=True).to(h)
        if exclude.shape[0] != d:
            raise ValueError(f"exclude must have shape ({d}, r), got {tuple(exclude.shape)}")
    if exclude is not None and exclude.shape[1] > 0:
        qm, _ = torch.linalg.qr(torch.cat([exclude, basis], dim=1))
        basis = qm[:, exclude.shape[1] : d]
    k = checks.integer(k, "k", min=1, max=basis.shape[1])
    evals, evecs = torch.linalg.eigh(basis.T @ h @ basis)
    idx = (
        torch.arange(k)
        if which == "smallest"
        else torch.arange(len(evals) - 1, len(evals) - k - 1, -1)
    )
    return evals[idx], basis @ evecs[:, idx]


def _check_slice(
    loss_fn: LossFn, theta: Tensor, dirs: dict[str, Tensor], grids: dict[str, Tensor]
) -> tuple[Tensor, list[Tensor], list[Tensor]]:
    """theta (D,), the directions (each (D,), converted to theta's dtype) and the grids (1-D)."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function of theta, got {loss_fn!r:.60}")
    theta = checks.tensor(theta, "theta", ndim=1, floating=True, finite=True)
    out = []
    for name, u in dirs.items():
        u = checks.tensor(u, name, floating=True, finite=True)
        if u.shape != theta.shape:
            raise ValueError(
                f"{name} (a direction) must have theta's shape {tuple(theta.shape)}, "
                f"got {tuple(u.shape)}"
            )
        out.append(u.to(theta))
    axes = [
        checks.tensor(g, name, ndim=1, floating=True, finite=True).to(theta)
        for name, g in grids.items()
    ]
    return theta, out, axes


def slice_1d(loss_fn: LossFn, theta: Tensor, direction: Tensor, alphas: Tensor) -> Tensor:
    """loss(θ + a · direction) for every a in ``alphas`` (K,) → (K,). Chapter 01."""
    theta, (direction,), (alphas,) = _check_slice(
        loss_fn, theta, {"direction": direction}, {"alphas": alphas}
    )
    return vmap(lambda a: loss_fn(theta + a * direction))(alphas)


def slice_2d(
    loss_fn: LossFn, theta: Tensor, u: Tensor, w: Tensor, alphas: Tensor, betas: Tensor
) -> Tensor:
    """loss(θ + a u + b w) on the grid ``alphas`` (K,) × ``betas`` (L,) → (K, L) (a first).
    Chapters 01 and 03."""
    theta, (u, w), (alphas, betas) = _check_slice(
        loss_fn, theta, {"u": u, "w": w}, {"alphas": alphas, "betas": betas}
    )
    a, b = torch.meshgrid(alphas, betas, indexing="ij")
    values = vmap(lambda s, t: loss_fn(theta + s * u + t * w))(a.reshape(-1), b.reshape(-1))
    return values.reshape(a.shape)
