"""Shared pieces of ``dofcourse.geometry``: Monte Carlo means, random subspaces, input checks.

Everything in the geometry package works in float64 NumPy (SciPy's linear programs and special
functions want it, and the sizes are small). Randomness always comes from an integer ``seed`` (of
the Monte Carlo draws: Gaussian vectors, subspaces, signals), so a figure is reproducible. A Monte
Carlo mean is a ``dofcourse.stats.Estimate`` (Student-t interval), the course's one estimate
type; thresholds are read with ``dofcourse.stats.crossing``, its one crossing convention.
Chapter 04.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from dofcourse import checks, stats
from dofcourse.projections import orthonormal_basis


def mc_estimate(samples: np.ndarray, level: float = 0.95) -> stats.Estimate:
    """The mean of Monte Carlo samples (n,) with its Student-t interval (``stats.mean_t``).
    Chapter 04."""
    return stats.mean_t(np.asarray(samples, dtype=float), level=level)


def random_orthonormal(D: int, d: int, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Orthonormal basis of a uniformly random d-dimensional subspace of R^D (chapter 04).

    The "orthonormal" projection of :mod:`dofcourse.projections` as a float64 NumPy array of
    shape (D, d), or (n, D, d) for ``n`` independent subspaces drawn from one seeded generator.
    """
    D, d = check_dims(D, d)
    count = 1 if n is None else checks.integer(n, "n", min=1)
    gen = torch.Generator().manual_seed(checks.seed(seed))
    q = np.stack([orthonormal_basis(D, d, gen).numpy() for _ in range(count)])
    return q[0] if n is None else q


def check_dims(D: int, d: int, name: str = "d") -> tuple[int, int]:
    """(D, d) as ints with D ≥ 1 and 0 ≤ d ≤ D, or one error that names the argument. Chapter 04."""
    D = checks.integer(D, "the ambient dimension D", min=1)
    return D, checks.integer(d, name, min=0, max=D)


def check_subspace_dims(d: int | np.ndarray, D: int, name: str = "d") -> np.ndarray:
    """``d`` (an int or an integer array) as an int array (k,) with every entry in 0..D, or one
    error that names it. Chapter 04."""
    if isinstance(d, np.ndarray | list | tuple):
        arr = np.atleast_1d(np.asarray(d))
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer dimensions, got dtype {arr.dtype}")
    else:
        arr = np.atleast_1d(checks.integer(d, name))
    if np.any(arr < 0) or np.any(arr > D):
        raise ValueError(f"every {name} must lie between 0 and D={D}, got {arr}")
    return arr


def check_angle(alpha: float) -> float:
    """A cap's half-angle ``alpha`` in [0, pi], or one error that names it. Chapter 04."""
    return checks.real(alpha, "the cap angle alpha", min=0.0, max=math.pi)


def check_positive_int(value: int, name: str) -> int:
    """``value`` as an int ≥ 1, or one error that names it. Chapter 04."""
    return checks.integer(value, name, min=1)


def check_gaussians(g: np.ndarray, D: int) -> np.ndarray:
    """``g`` as a float64 array of shape (n, D) (a single vector of shape (D,) is accepted).
    Chapter 04."""
    g = checks.array(g, "g", ndim=(1, 2))
    if g.ndim == 1:
        g = g[None, :]
    if g.shape[1] != D:
        raise ValueError(f"g must hold points of shape (n, {D}), got {g.shape}")
    return g
