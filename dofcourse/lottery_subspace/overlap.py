"""How much two subspaces share: principal angles and the fraction of energy one holds of another.

For orthonormal bases A (D, a) and B (D, b), the singular values of A^T B are the cosines of the
**principal angles** between span(A) and span(B) (1: a shared direction, 0: orthogonal). Their
mean square, ||A^T B||_F^2 / a, is the **energy fraction**: the share of a random unit vector of
span(A) that lies in span(B) (1 when span(A) is inside span(B)). For a random b-dimensional
subspace it is b / D on average: the baseline against which an overlap means something (a random
unit vector has cosine about 1/sqrt(D) with any fixed direction). Chapter 06 compares the
trajectory's top directions with the Hessian's top eigenvectors this way.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dofcourse import checks


def _bases(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    a = checks.tensor(a, "a", ndim=2, floating=True, finite=True).double()
    b = checks.tensor(b, "b", ndim=2, floating=True, finite=True).double().to(a.device)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must live in one R^D, got {a.shape[0]} and {b.shape[0]} rows")
    for name, q in (("a", a), ("b", b)):
        err = (q.T @ q - torch.eye(q.shape[1], dtype=q.dtype, device=q.device)).abs().max()
        if err > 1e-4:
            raise ValueError(f"{name} must have orthonormal columns (max |Q^T Q - I| = {err:.2g})")
    return a, b


def principal_cosines(a: Tensor, b: Tensor) -> Tensor:
    """Cosines of the min(a, b) principal angles between span(a) and span(b), largest first;
    ``a`` (D, a) and ``b`` (D, b) have orthonormal columns."""
    a, b = _bases(a, b)
    return torch.linalg.svdvals(a.T @ b).clamp(max=1.0)


def energy_fraction(a: Tensor, b: Tensor) -> float:
    """||a^T b||_F^2 / a.shape[1]: the average share of span(a)'s directions inside span(b)."""
    a, b = _bases(a, b)
    return float((a.T @ b).square().sum() / a.shape[1])


def random_energy_fraction(D: int, b: int) -> float:
    """The expected energy fraction of any subspace inside a uniformly random b-dimensional one:
    b / D."""
    D = checks.integer(D, "D", min=1)
    return checks.integer(b, "b", min=0, max=D) / D
