"""Shared pieces of ``dofcourse.geometry``: Monte Carlo estimates, random subspaces, input checks.

Everything in the geometry package works in float64 NumPy (SciPy's linear programs and special
functions want it, and the sizes are small). Randomness always comes from an integer ``seed`` so a
figure is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from dofcourse.projections import orthonormal_basis

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean and its standard error;``lo``/``hi`` bound a 95 % confidence interval."""

    mean: float
    stderr: float
    n: int

    @property
    def lo(self) -> float:
        return self.mean - Z95 * self.stderr

    @property
    def hi(self) -> float:
        return self.mean + Z95 * self.stderr

    def agrees_with(self, lo: float, hi: float | None = None, z: float = 3.0) -> bool:
        """True when [mean - z se, mean + z se] meets the interval [lo, hi] (a point if hi=None)."""
        hi = lo if hi is None else hi
        return self.mean + z * self.stderr >= lo and self.mean - z * self.stderr <= hi

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {Z95 * self.stderr:.3f} (95 % CI, n={self.n})"


def estimate(samples: np.ndarray) -> Estimate:
    """Mean and standard error of the 1-D array ``samples`` (shape (n,), n >= 2)."""
    samples = np.asarray(samples, dtype=float)
    n = samples.shape[0]
    return Estimate(float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(n)), n)


def random_orthonormal(D: int, d: int, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Orthonormal basis of a uniformly random d-dimensional subspace of R^D.

    The "orthonormal" projection of :mod:`dofcourse.projections` as a float64 NumPy array of
    shape (D, d), or (n, D, d) for ``n`` independent subspaces drawn from one seeded generator.
    """
    check_dims(D, d)
    gen = torch.Generator().manual_seed(int(seed))
    q = np.stack([orthonormal_basis(D, d, gen).numpy() for _ in range(1 if n is None else n)])
    return q[0] if n is None else q


def check_dims(D: int, d: int, name: str = "d") -> None:
    """ValueError unless 0 <= d <= D and D >= 1 (both integers)."""
    if not isinstance(D, int | np.integer) or D < 1:
        raise ValueError(f"the ambient dimension D must be a positive integer, got {D!r}")
    if not isinstance(d, int | np.integer) or not 0 <= d <= D:
        raise ValueError(f"{name} must be an integer between 0 and D={D}, got {d!r}")


def check_positive_int(value: int, name: str) -> None:
    if not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_gaussians(g: np.ndarray, D: int) -> np.ndarray:
    """``g`` as a float64 array of shape (n, D) (a single vector of shape (D,) is accepted)."""
    g = np.asarray(g, dtype=float)
    if g.ndim == 1:
        g = g[None, :]
    if g.ndim != 2 or g.shape[1] != D:
        raise ValueError(f"expected points of shape (n, {D}), got {g.shape}")
    return g


def crossing(x: np.ndarray, p: np.ndarray, level: float = 0.5) -> float:
    """First x where the rising curve p(x) reaches ``level`` (interpolated); nan if never."""
    x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
    above = np.nonzero(p >= level)[0]
    if above.size == 0:
        return float("nan")
    i = above[0]
    if i == 0:
        return float(x[0])
    x0, x1, p0, p1 = x[i - 1], x[i], p[i - 1], p[i]
    return float(x0 + (level - p0) * (x1 - x0) / (p1 - p0))
