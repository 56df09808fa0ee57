"""The continuous symmetries of a shallow quadratic net, and the Hessian with them removed.

Many parameter points compute the same matrix A = Wᵀ diag(v) W:

* *rescaling* a neuron, (w_j, v_j) → (c w_j, v_j / c²): tangent (w_j, −2 v_j), one per neuron;
* *generalised rotations* W → Q W with Qᵀ diag(v) Q = diag(v) (ordinary rotations among neurons
  of one output sign, hyperbolic ones between signs): tangents K W with K = diag(v)⁻¹ B for
  antisymmetric B, one per pair of neurons (neurons with v_j = 0 are skipped).

The loss is constant along these curves, so at a critical point each tangent u has uᵀ H u = 0,
and at a minimum H u = 0: exact zero eigenvalues that say nothing about the landscape. How many
are independent? m + m(m−1)/2 while the neurons are linearly independent (m ≤ d), and
D − d(d+1)/2 once they span R^d and every A nearby is reached (m ≥ d).
:func:`restricted_eigenvalues` projects them out before the smallest eigenvalue is read.
Taught in chapter 01.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.params import Layout
from dofcourse.quadratic.nets import Params


def symmetry_directions(params: Params, *, v: Tensor | None = None, tol: float = 1e-9) -> Tensor:
    """An orthonormal basis (D, k) of the directions that leave one shallow net's function fixed,
    in the flat layout of ``params`` (``params.Layout``). Chapter 01.

    ``params = (W (m, d), v (m,))`` with trained output weights: rescalings and generalised
    rotations. ``params = (W,)`` with output weights ``v`` held fixed (default all 1, the net
    f = ‖W x‖² of ``psd_forward``): generalised rotations only. Tangents whose span is degenerate
    are reduced by an SVD with relative tolerance ``tol``.
    """
    if (
        isinstance(params, str | bytes | Tensor)
        or not isinstance(params, tuple | list)
        or not params
    ):
        raise TypeError(f"params must be one shallow net (W, v) or (W,), got {params!r:.60}")
    tol = checks.real(tol, "tol", min=0.0)
    w = checks.tensor(params[0], "W", ndim=2, floating=True)
    trained = len(params) == 2
    if trained:
        out_w = checks.tensor(params[1], "v", ndim=1, floating=True)
    elif len(params) == 1:
        out_w = torch.ones(w.shape[0], dtype=w.dtype) if v is None else v.to(w.dtype)
    else:
        raise ValueError(f"need one shallow net (W, v) or (W,), got {len(params)} tensors")
    m = w.shape[0]
    if out_w.shape != (m,):
        raise ValueError(f"need v of shape ({m},), got {tuple(out_w.shape)}")
    layout = Layout.of_tensors(params)

    def tangent(dw: Tensor, dv: Tensor | None = None) -> Tensor:
        return layout.flatten((dw, dv) if trained else (dw,))

    tangents = []
    if trained:
        for j in range(m):
            dw, dv = torch.zeros_like(w), torch.zeros_like(out_w)
            dw[j], dv[j] = w[j], -2 * out_w[j]
            tangents.append(tangent(dw, dv))
    live = [j for j in range(m) if out_w[j].abs() > tol]
    for a, j in enumerate(live):
        for k in live[a + 1 :]:
            dw = torch.zeros_like(w)
            dw[j], dw[k] = w[k] / out_w[j], -w[j] / out_w[k]
            tangents.append(tangent(dw, torch.zeros_like(out_w)))
    if not tangents:
        return torch.zeros(layout.D, 0, dtype=w.dtype)
    u, s, _ = torch.linalg.svd(torch.stack(tangents, dim=1), full_matrices=False)
    return u[:, s > tol * max(1.0, float(s.max()))]


def restricted_eigenvalues(h: Tensor, directions: Tensor) -> Tensor:
    """Eigenvalues (ascending) of the Hessian ``h`` (D, D) on the orthogonal complement of
    ``directions`` (D, k), an orthonormal basis: the spectrum with the symmetry removed.
    Chapter 01."""
    h = checks.tensor(h, "h", ndim=2, floating=True, finite=True)
    d = h.shape[0]
    if h.shape != (d, d):
        raise ValueError(f"h must be square, got {tuple(h.shape)}")
    directions = checks.tensor(directions, "directions", ndim=2, floating=True, finite=True)
    directions = directions.to(h)
    if directions.shape[0] != d:
        raise ValueError(f"directions must have shape ({d}, k), got {tuple(directions.shape)}")
    if directions.shape[1] == 0:
        return torch.linalg.eigvalsh(h)
    q, _ = torch.linalg.qr(torch.cat([directions, torch.eye(d, dtype=h.dtype)], dim=1))
    comp = q[:, directions.shape[1] : d]
    return torch.linalg.eigvalsh(comp.T @ h @ comp)
