"""The top eigenvalues of a Hessian from products H v: Lanczos, and power iteration to compare.

Lanczos builds an orthonormal basis q_1 … q_m of the Krylov space {q_1, H q_1, …, H^{m−1} q_1} in
which H is tridiagonal, Qᵀ H Q = T; the extreme eigenvalues of the small T (Ritz values) converge
to those of H after a few dozen products. Here every new vector is orthogonalised twice against
all earlier ones (full reorthogonalisation), so no spurious copies ("ghosts") of converged
eigenvalues appear. Power iteration is the simplest method of all, and slow when two eigenvalues
are close; chapter 02 uses it to check λ_max. Vectors are float64 whatever the operator's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.hessian._base import LinearOperator, check_operator


@dataclass
class LanczosResult:
    """``alpha`` (m,), ``beta`` (m−1,): the tridiagonal T; ``basis`` (m, D): orthonormal rows.
    Chapter 02."""

    alpha: Tensor
    beta: Tensor
    basis: Tensor

    def tridiagonal(self) -> Tensor:
        """T (m, m) in float64."""
        return torch.diag(self.alpha) + torch.diag(self.beta, 1) + torch.diag(self.beta, -1)


def start_vector(op: LinearOperator, start_seed: int, rademacher: bool = False) -> Tensor:
    """A random (D,) float64 vector on ``op``'s device: Gaussian, or random signs ±1. Chapter 02."""
    check_operator(op)
    rademacher = checks.boolean(rademacher, "rademacher")
    g = torch.Generator().manual_seed(checks.seed(start_seed, "start_seed"))
    if rademacher:
        v = torch.randint(0, 2, (op.dim,), generator=g, dtype=torch.float64) * 2 - 1
    else:
        v = torch.randn(op.dim, generator=g, dtype=torch.float64)
    return v.to(op.device)


def apply(op: LinearOperator, v: Tensor) -> Tensor:
    """op · v in float64 (the operator itself runs in its own dtype). Chapter 02."""
    return op.matvec(v.to(op.dtype)).to(torch.float64)


def lanczos(
    op: LinearOperator, steps: int, *, start_seed: int = 0, start: Tensor | None = None
) -> LanczosResult:
    """``steps`` Lanczos iterations from a random (or the given) start, fully reorthogonalised.

    Stops early if the Krylov space becomes invariant (β ≈ 0), so m ≤ steps. Cost: m products
    and O(m² D) for the orthogonalisation. Chapter 02.
    """
    check_operator(op)
    steps = min(checks.integer(steps, "steps", min=1), op.dim)
    q = (
        start_vector(op, start_seed)
        if start is None
        else start.to(device=op.device, dtype=torch.float64)
    )
    if q.shape != (op.dim,) or float(q.norm()) == 0:
        raise ValueError(f"start must be a non-zero vector of shape ({op.dim},)")
    basis = torch.zeros(steps, op.dim, dtype=torch.float64, device=op.device)
    basis[0] = q / q.norm()
    alpha: list[float] = []
    beta: list[float] = []
    for j in range(steps):
        w = apply(op, basis[j])
        alpha.append(float(w @ basis[j]))
        for _ in range(2):
            w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
        b = float(w.norm())
        scale = max(abs(a) for a in alpha) + (max(beta) if beta else 0.0)
        if j == steps - 1 or b <= 1e-10 * max(scale, 1e-30):
            break
        beta.append(b)
        basis[j + 1] = w / b
    m = len(alpha)
    return LanczosResult(
        torch.tensor(alpha, dtype=torch.float64),
        torch.tensor(beta, dtype=torch.float64),
        basis[:m],
    )


def _check_k(op: LinearOperator, k: int) -> int:
    check_operator(op)
    k = checks.integer(k, "k")
    if not 1 <= k <= op.dim:
        raise ValueError(f"k must be between 1 and the dimension D = {op.dim}, got k = {k}")
    return k


def lanczos_eigs(
    op: LinearOperator, k: int, steps: int | None = None, *, start_seed: int = 0
) -> tuple[Tensor, Tensor]:
    """The top-k (largest algebraic) eigenpairs from the Ritz pairs of a Lanczos run.

    Returns eigenvalues (k,) in decreasing order and eigenvectors (k, D), float64. ``steps``
    defaults to min(D, 2k + 40): extreme eigenvalues converge first, so a run a few times longer
    than k gives the top k to many digits. Chapter 02.
    """
    _check_k(op, k)
    steps = min(op.dim, 2 * k + 40) if steps is None else checks.integer(steps, "steps", min=1)
    if steps < k:
        raise ValueError(f"need at least k = {k} Lanczos steps, got steps = {steps}")
    res = lanczos(op, steps, start_seed=start_seed)
    if res.alpha.numel() < k:
        raise ValueError(
            f"the start vector lies in an invariant subspace of dimension {res.alpha.numel()} "
            f"< k = {k}; try another start_seed"
        )
    vals, vecs = torch.linalg.eigh(res.tridiagonal())
    order = torch.argsort(vals, descending=True)[:k]
    return vals[order], (res.basis.T @ vecs[:, order].to(res.basis.device)).T


def power_iteration(
    op: LinearOperator, k: int = 1, *, iters: int = 500, tol: float = 1e-6, start_seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Top-k eigenpairs (largest in magnitude) by power iteration with deflation. Chapter 02.

    Eigenpair j iterates v ← (H − Σ_{i<j} λ_i u_i u_iᵀ) v until the Rayleigh quotient changes by
    less than ``tol`` (relative) or ``iters`` products are spent. Slow when |λ_{j+1}/λ_j| is close
    to 1, which is why Lanczos is preferred. Returns (k,), (k, D).
    """
    _check_k(op, k)
    iters = checks.integer(iters, "iters", min=1)
    tol = checks.real(tol, "tol", min=0.0)
    start_seed = checks.seed(start_seed, "start_seed")
    vals: list[float] = []
    vecs: list[Tensor] = []
    for j in range(k):
        v = start_vector(op, start_seed + j)
        lam = 0.0
        for _ in range(iters):
            for u in vecs:
                v = v - (u @ v) * u
            v = v / v.norm()
            w = apply(op, v)
            for lv, u in zip(vals, vecs, strict=True):
                w = w - lv * (u @ v) * u
            new = float(v @ w)
            v = w
            converged = abs(new - lam) <= tol * abs(new)
            lam = new
            if converged:
                break
        vals.append(lam)
        vecs.append(v / v.norm())
    return torch.tensor(vals, dtype=torch.float64), torch.stack(vecs)
