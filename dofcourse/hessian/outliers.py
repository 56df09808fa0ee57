"""Reading a spectrum: how many outliers stand above the bulk, and how many parameters count.

* :func:`count_outliers` splits the top-k eigenvalues into two groups by their own structure:
  the split of log λ into an upper and a lower group with the least spread within the groups
  (Otsu's threshold, the 1-D two-means split, Jenks' natural break). It has no tuned threshold
  for *where* the bulk ends; one ratio only decides whether there are outliers at all.
* :func:`bulk_scale`: a robust scale of the bulk's top, to draw spectra in units of the bulk.
* :func:`effective_parameters` (MacKay 1992): N_eff(α) = Σ_i λ_i / (λ_i + α), the number of
  directions the data determine against a prior of precision α; :func:`effective_parameters_slq`
  estimates it from a stochastic Lanczos quadrature when not every λ_i is known.

Taught in chapter 02.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.hessian.density import SpectralDensity

MIN_GAP = 1.25  # λ_n / λ_{n+1} at the split: at initialisation ≤ 1.11, trained nets ≥ 1.37 (ch. 02)


def _sorted(eigs: Tensor | np.ndarray, need: int) -> np.ndarray:
    eigs = checks.tensor(eigs, "eigs", ndim=1, floating=True).detach().to("cpu", torch.float64)
    if not bool(torch.isfinite(eigs).all()):
        raise ValueError("eigs contains NaN or infinite values")
    lam = np.sort(eigs.numpy())[::-1]
    if lam.size < need:
        raise ValueError(f"need at least {need} top eigenvalues, got {lam.size}")
    return lam


def bulk_scale(eigs: Tensor | np.ndarray) -> float:
    """The median of the lower half of the top-k eigenvalues ``eigs`` (k ≥ 10, any order).

    While fewer than k/2 of them are outliers, the lower half lies in the bulk and its median
    ignores the outliers entirely. Chapter 02 draws spectra as λ_i / bulk_scale.
    """
    lam = _sorted(eigs, 10)
    scale = float(np.median(lam[lam.size // 2 :]))
    if scale <= 0:
        raise ValueError("the lower half of the top eigenvalues is not positive: no bulk scale")
    return scale


def outlier_split(eigs: Tensor | np.ndarray) -> tuple[int, float]:
    """(n, gap): the Otsu split of the top-k eigenvalues into the n largest and the rest, and the
    ratio λ_n / λ_{n+1} across it.

    Among the splits with at most k/2 eigenvalues on top (k must be at least twice the number of
    outliers), the one that minimises the summed squared deviations of log λ from the two groups'
    means. Only the positive eigenvalues take part (k ≥ 10 of them). Chapter 02.
    """
    lam = _sorted(eigs, 10)
    y = np.log(lam[lam > 0])
    if y.size < 10:
        raise ValueError("need at least 10 positive top eigenvalues to find outliers")
    within = [y[:n].var() * n + y[n:].var() * (y.size - n) for n in range(1, y.size // 2 + 1)]
    n = int(np.argmin(within)) + 1
    return n, float(np.exp(y[n - 1] - y[n]))


def count_outliers(eigs: Tensor | np.ndarray, *, min_gap: float = MIN_GAP) -> int:
    """The number of outliers among the top-k eigenvalues ``eigs``: the upper group of
    :func:`outlier_split`, or 0 when the two groups are not separated by a gap of at least
    ``min_gap`` (a smoothly decaying spectrum splits somewhere too). ``min_gap`` decides only
    between "none" and the split's count, never where the bulk ends. Chapter 02."""
    min_gap = checks.real(min_gap, "min_gap", min=1.0, open_min=True)
    n, gap = outlier_split(eigs)
    return n if gap >= min_gap else 0


def effective_parameters(eigs: Tensor | np.ndarray, alpha: float | Tensor) -> Tensor:
    """MacKay's N_eff = Σ_i λ_i / (λ_i + α) for each α (negative λ clipped to 0). Chapter 02.

    Each direction counts ≈ 1 if its curvature λ is well above the prior precision α (the data
    determine it) and ≈ 0 if below (the prior does). ``alpha`` a scalar or (A,); returns (A,).
    """
    lam = torch.as_tensor(_sorted(eigs, 1).copy()).clamp(min=0).reshape(1, -1)
    a = _alphas(alpha).reshape(-1, 1)
    return (lam / (lam + a)).sum(dim=1)


def effective_parameters_slq(density: SpectralDensity, alpha: float | Tensor) -> Tensor:
    """N_eff from an SLQ density, D · E[λ₊ / (λ₊ + α)], for each α (A,): for networks too large
    to list every eigenvalue. Chapter 02."""
    if not isinstance(density, SpectralDensity):
        raise TypeError(f"density must be a SpectralDensity (hessian.slq), got {density!r:.60}")
    a = _alphas(alpha)

    def soft_count(t: Tensor, a: float) -> Tensor:
        t = t.clamp(min=0)
        return t / (t + a)

    return torch.tensor(
        [density.trace(lambda t, a=float(ai): soft_count(t, a)) for ai in a], dtype=torch.float64
    )


def _alphas(alpha: float | Tensor) -> Tensor:
    """``alpha`` (a number or a 1-D tensor/array of them) as a float64 tensor (A,), each > 0."""
    if isinstance(alpha, Tensor | np.ndarray | list | tuple):
        a = checks.tensor(torch.as_tensor(np.asarray(alpha, dtype=float)), "alpha", ndim=(0, 1))
    else:
        a = torch.tensor(checks.real(alpha, "alpha"), dtype=torch.float64)
    a = a.to(torch.float64).reshape(-1)
    if not bool(torch.isfinite(a).all()) or bool((a <= 0).any()):
        raise ValueError(f"alpha must be positive and finite, got {a.tolist()}")
    return a
