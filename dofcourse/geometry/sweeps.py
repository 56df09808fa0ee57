"""The Monte Carlo sweeps of chapter 04, cached on disk (``dofcourse.experiment``).

Each sweep is a package function, keyed by its complete call and its code, so a second run of the
chapter redraws at once and a changed size makes a new entry; the grids are batched experiments
(one cached entry per grid point, an interrupted grid resumes) returned as ``pandas`` tables:

* :func:`cap_hit_rates`: the fraction of nested random subspaces of each dimension that meet a
  spherical cap (Gordon's escape, section 2);
* :func:`orthant_sweep`: how often a random d-subspace meets the nonnegative orthant, by linear
  programming (the kinematic formula, section 3);
* :func:`l1_sweep`: how often basis pursuit recovers an s-sparse vector from m measurements, for a
  curve or a whole phase diagram (section 4);
* :func:`well_threshold` and :func:`well_sweep`: the exact success curve of training a quadratic
  well in random subspaces, its threshold, and the width prediction D − w² (section 5).

Every grid point draws from its own seed, derived from ``seed`` and the point's coordinates, so
a point's result does not depend on which other points are in the grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dofcourse import checks, experiment
from dofcourse.geometry._common import check_positive_int, random_orthonormal
from dofcourse.geometry.intersect import l1_recovery, meets_orthant, nested_cap_hits
from dofcourse.geometry.well import QuadraticWell, sublevel_cone, success_curve
from dofcourse.geometry.widths import gaussian_width


def point_seed(seed: int, *coords: int) -> int:
    """A seed for one grid point, from the sweep's ``seed`` and the point's integer coordinates.
    Chapter 04."""
    return checks.derive_seed(checks.seed(seed), *coords)


@experiment.cached
def cap_hit_rates(D: int, alpha: float, n: int, seed: int = 0) -> np.ndarray:
    """Fraction (D + 1,) of ``n`` nested random subspaces whose first d directions meet the cap of
    half-angle ``alpha`` around e_1, for d = 0..D (``intersect.nested_cap_hits``). Chapter 04."""
    return nested_cap_hits(D, alpha, n=n, seed=seed).mean(axis=0)


@experiment.batched(axes=("d",), chunk=8)
def orthant_hits(points: list[dict], D: int, n: int, seed: int = 0) -> list[dict]:
    """For each point {"d"}: how many of ``n`` random d-subspaces of R^D meet the orthant.
    Chapter 04."""
    return [
        {
            "hits": int(
                meets_orthant(random_orthonormal(D, p["d"], n, point_seed(seed, p["d"]))).sum()
            )
        }
        for p in points
    ]


def orthant_sweep(
    D: int, dims: Sequence[int], n: int, seed: int = 0, progress: bool = True
) -> pd.DataFrame:
    """One row per d in ``dims``: columns d, hits, n, p = hits / n, the fraction of ``n`` uniformly
    random d-subspaces of R^D that meet the nonnegative orthant (an LP each). Chapter 04."""
    D = check_positive_int(D, "D")
    dims = checks.integers(dims, "dims", min=0, max=D)
    n = check_positive_int(n, "n")
    table = experiment.grid(orthant_hits, {"d": dims}, D=D, n=n, seed=checks.seed(seed),
                            progress=progress, desc="orthant")  # fmt: skip
    return table.assign(n=n, p=table["hits"] / n)


@experiment.batched(axes=("s", "m"), chunk=16)
def l1_recoveries(points: list[dict], D: int, n: int, seed: int = 0) -> list[dict]:
    """For each point {"s", "m"}: how many of ``n`` basis-pursuit problems recover x0.
    Chapter 04."""
    return [
        {"successes": int(l1_recovery(D, p["s"], p["m"], n=n,
                                      seed=point_seed(seed, p["s"], p["m"])).sum())}
        for p in points
    ]  # fmt: skip


def l1_sweep(
    D: int,
    sparsities: Sequence[int],
    measurements: Sequence[int],
    n: int,
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per (s, m): columns s, m, successes, n, p = successes / n, the fraction of ``n``
    random s-sparse x0 in R^D that basis pursuit recovers from m Gaussian measurements. A curve
    (one s) or a phase diagram (many). Chapter 04."""
    D = check_positive_int(D, "D")
    ss = checks.integers(sparsities, "sparsities", min=1, max=D)
    ms = checks.integers(measurements, "measurements", min=0, max=D)
    n = check_positive_int(n, "n")
    table = experiment.grid(l1_recoveries, {"s": ss, "m": ms}, D=D, n=n, seed=checks.seed(seed),
                            progress=progress, desc="l1 recovery")  # fmt: skip
    return table.assign(n=n, p=table["successes"] / n)


@experiment.cached
def well_threshold(
    lam: np.ndarray, loss0: float, eps: float, n: int, n_width: int, seed: int = 0
) -> dict:
    """The quadratic well with Hessian eigenvalues ``lam`` (D,), started at loss ``loss0`` in a
    random direction: the exact success curve ``p`` over ``d`` = 0..D from ``n`` nested random
    subspaces, its 50 % ``threshold`` and 10–90 % ``width``, the Monte Carlo width ``w`` (with
    standard error ``w_se``, ``n_width`` probes) of the sublevel cone on the sphere and the
    prediction ``predicted`` = D − w². Chapter 04."""
    well = QuadraticWell.from_spectrum(_spectrum(lam))
    n, n_width = check_positive_int(n, "n"), check_positive_int(n_width, "n_width")
    seed = checks.integer(seed, "seed", min=0, max=checks.MAX_SEED - 1)
    theta0 = well.start_at_loss(loss0, seed=seed)
    curve = success_curve(well, theta0, eps, n=n, seed=seed)
    cone = sublevel_cone(well, theta0, eps)
    w = gaussian_width(well.D, support=cone.sphere_support, n=n_width, seed=seed + 1)
    return {
        "d": curve.d,
        "p": curve.p,
        "threshold": curve.threshold(),
        "width": curve.width(),
        "w": w.value,
        "w_se": w.stderr,
        "predicted": well.D - w.value**2,
        "D": well.D,
    }


@experiment.batched(axes=("loss0", "eps"), chunk=8)
def well_thresholds(points: list[dict], lam: np.ndarray, n: int, n_width: int, seed: int = 0):
    """For each point {"loss0", "eps"}: the scalars of :func:`well_threshold` (no curve).
    Chapter 04."""
    keep = ("threshold", "width", "w", "w_se", "predicted")
    out = []
    for p in points:
        r = well_threshold.uncached(lam, p["loss0"], p["eps"], n, n_width, seed)
        out.append({k: r[k] for k in keep})
    return out


def well_sweep(
    lam: np.ndarray,
    starts: Sequence[float],
    eps: Sequence[float],
    n: int,
    n_width: int,
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per (starting loss, target eps) of a quadratic well with Hessian eigenvalues
    ``lam``: columns loss0, eps, threshold, width, w, w_se, predicted (see :func:`well_threshold`).
    Chapter 04."""
    lam = _spectrum(lam)
    starts = [checks.real(s, f"starts[{i}]", min=0.0, open_min=True) for i, s in enumerate(starts)]
    eps = [checks.real(e, f"eps[{i}]", min=0.0, open_min=True) for i, e in enumerate(eps)]
    return experiment.grid(well_thresholds, {"loss0": starts, "eps": eps}, lam=lam, n=n,
                           n_width=n_width, seed=checks.seed(seed), progress=progress,
                           desc="well thresholds")  # fmt: skip


def _spectrum(lam: np.ndarray) -> np.ndarray:
    """Hessian eigenvalues ``lam`` (D,), each positive and finite."""
    lam = checks.array(lam, "lam", ndim=1)
    if lam.size == 0 or (lam <= 0).any():
        raise ValueError(f"lam must hold D >= 1 positive eigenvalues, got {lam}")
    return lam
