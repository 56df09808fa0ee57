"""Success probabilities and threshold dimensions, read off a table of subspace trainings.

A grid of runs (``phase.grid.phase_grid`` or ``subspace.sweep``: one row per run, with columns
``d``, ``proj_seed``, perhaps ``t`` and the logged results) is turned into

* the **success probability** P(d; eps) = k / n, the fraction of the n seeds whose ``metric``
  reached the target eps (``best_train_acc >= eps`` by default; ``loss <= eps`` with
  ``higher=False``), with a Wilson interval (:func:`success_table`);
* the **threshold dimension** d*(eps, delta) = the d at which P reaches 1 - delta (delta = 0.1,
  Larsen et al.'s choice), where the logistic fit of P in log d crosses that level (it uses
  every run; ``inf`` when the runs never reach the level on the grid), with a bootstrap interval
  that resamples the seeds (:func:`threshold`, :func:`thresholds`). Interpolating P linearly
  between two grid points a factor 2 apart would put d* late in the octave whatever the true
  curve (the review of chapter 05 measured 28 % too high); the fit has no such bias.

The targets are applied after training, to the logged results: one grid serves every eps.
:func:`burn_in_effect` reads off the thresholds how much each burn-in lowers them.
Every number comes back as a ``stats.Estimate``. Taught in chapter 05, reused in chapter 06.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from dofcourse import checks, stats

DELTA = 0.1  # P(success) >= 1 - DELTA defines the threshold (Larsen et al. 2022)


def _check_table(runs: pd.DataFrame, columns: Sequence[str], name: str = "runs") -> None:
    if not isinstance(runs, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(runs).__name__}")
    missing = [c for c in columns if c not in runs.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}; it has {list(runs.columns)}")
    if runs.empty:
        raise ValueError(f"{name} is empty")


def _by(runs: pd.DataFrame, by: str | Sequence[str]) -> list[str]:
    """The grouping columns of ``by`` (one name, or several) that ``runs`` has (after checking
    that it is a table)."""
    _check_table(runs, [])
    names = [by] if isinstance(by, str) else by
    if not isinstance(names, Iterable) or not all(isinstance(c, str) for c in names):
        raise TypeError(f"by must be a column name or a sequence of column names, got {by!r:.60}")
    return [c for c in names if c in runs.columns]


def _column(metric: str) -> str:
    if not isinstance(metric, str):
        raise TypeError(f"metric must be the name of a column of runs, got {metric!r:.60}")
    return metric


def _targets(eps: float | Sequence[float], name: str = "eps") -> list[float]:
    """One number, or a non-empty sequence of numbers, as a list of floats."""
    if isinstance(eps, str | bytes):
        raise TypeError(f"{name} must be a number or a sequence of numbers, got {eps!r:.60}")
    return checks.reals(eps, name, scalar=True)


def check_successes(successes: np.ndarray, n_dims: int, min_seeds: int = 1) -> np.ndarray:
    """``successes`` as a float array (n_seeds >= min_seeds, n_dims) of 0/1 outcomes."""
    x = checks.array(successes, "successes", ndim=2)
    if x.shape[1] != n_dims or x.shape[0] < min_seeds:
        raise ValueError(
            f"successes must have shape (n_seeds >= {min_seeds}, {n_dims}), got {x.shape}"
        )
    if not np.isin(x, (0.0, 1.0)).all():
        raise ValueError("successes must hold 0/1 outcomes (or True/False), got other values")
    return x


def _reached(values: pd.Series, eps: float, higher: bool) -> pd.Series:
    return values >= eps if higher else values <= eps


def success_matrix(
    runs: pd.DataFrame, eps: float, *, metric: str = "best_train_acc", higher: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(dims (n_dims,), successes (n_seeds, n_dims) bool) of one group of runs (one t).

    Row i holds the runs of the i-th projection seed, column j those at dims[j] (increasing).
    Every (seed, d) must appear exactly once.
    """
    _check_table(runs, ["d", "proj_seed", _column(metric)])
    eps = checks.real(eps, "eps")
    higher = checks.boolean(higher, "higher")
    if runs.duplicated(["d", "proj_seed"]).any():
        raise ValueError("runs holds several rows for one (d, proj_seed): select one group first")
    ok = runs.assign(ok=_reached(runs[metric], eps, higher).astype(float))
    wide = ok.pivot(index="proj_seed", columns="d", values="ok").sort_index(axis=1)
    if wide.isna().any().any():
        raise ValueError("runs does not hold every (d, proj_seed) of its grid")
    return wide.columns.to_numpy(dtype=int), wide.to_numpy(dtype=float) > 0.5


def success_table(
    runs: pd.DataFrame,
    eps: float | Sequence[float],
    *,
    metric: str = "best_train_acc",
    higher: bool = True,
    by: Sequence[str] = ("t",),
    level: float = 0.95,
) -> pd.DataFrame:
    """P(d; eps) for every group ``by`` (e.g. burn-in t), target eps and dimension d.

    One row per (``*by``, eps, d) with columns k (successes), n (seeds), p = k / n and the Wilson
    interval lo, hi at ``level``. Columns of ``by`` absent from ``runs`` are ignored.
    """
    by = _by(runs, by)
    _check_table(runs, [*by, "d", _column(metric)])
    higher = checks.boolean(higher, "higher")
    parts = []
    for e in _targets(eps):
        ok = _reached(runs[metric], e, higher).rename("ok")
        g = ok.groupby([runs[c] for c in (*by, "d")]).agg(["sum", "count"])
        part = g.rename(columns={"sum": "k", "count": "n"}).reset_index()
        part.insert(len(by), "eps", e)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table["k"] = table["k"].astype(int)
    table["p"] = table["k"] / table["n"]
    table["lo"], table["hi"] = stats.wilson_bounds(table["k"].to_numpy(), table["n"].to_numpy(),
                                                   level)  # fmt: skip
    return table


def threshold(
    dims: Sequence[int],
    successes: np.ndarray,
    *,
    delta: float = DELTA,
    n_boot: int | None = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> stats.Estimate:
    """d*(delta): the smallest d at which the success probability reaches 1 - delta.

    ``successes`` (n_seeds, n_dims) of 0/1. d* is where the logistic fit of P(d) in log d (every
    run counts, ``phase.logistic``) reaches 1 - delta (``logistic.level_crossing``: ``inf`` if
    the runs never reach it on the grid), so it does not depend on where the grid's points fall:
    a coarse grid and a zoomed one give the same d* up to noise (chapter 05 shows it). The
    interval resamples the seeds (rows); ``n_boot=None`` skips it (lo = hi = the value, method
    "point": for many quick estimates).
    """
    dims = checks.integers(dims, "dims", min=1)
    if any(b <= a for a, b in zip(dims, dims[1:], strict=False)):
        raise ValueError(f"dims must be strictly increasing, got {dims}")
    x = check_successes(successes, len(dims))
    target = 1.0 - checks.real(delta, "delta", min=0.0, max=1.0, open_min=True, open_max=True)
    n_boot = None if n_boot is None else checks.integer(n_boot, "n_boot", min=1)
    if n_boot is not None:
        checks.budget(8.0 * 3 * n_boot * x.size, f"{n_boot} bootstrap resamples",
                      "use a smaller n_boot", name="n_boot")  # fmt: skip
    level = checks.real(level, "level", min=0.0, max=1.0, open_min=True, open_max=True)
    seed = checks.seed(seed)

    from dofcourse.phase.logistic import level_crossing  # it builds on this module's checks

    def d_star(stack: np.ndarray) -> np.ndarray:  # (B, n_seeds, n_dims) -> (B,)
        return level_crossing(dims, stack, target)

    if n_boot is None or x.shape[0] < 2:
        value = float(d_star(x[None])[0])
        return stats.Estimate(value, value, value, "point", level, x.shape[0])
    return stats.bootstrap(x, d_star, n_boot=n_boot, level=level, seed=seed, vectorized=True)


def thresholds(
    runs: pd.DataFrame,
    eps: float | Sequence[float],
    *,
    delta: float = DELTA,
    metric: str = "best_train_acc",
    higher: bool = True,
    by: Sequence[str] = ("t",),
    n_boot: int | None = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """d*(eps, delta) for every group ``by`` and target eps: one row per (``*by``, eps) with
    columns d_star, lo, hi (the bootstrap interval) and ``estimate`` (the ``stats.Estimate``)."""
    by = _by(runs, by)
    _check_table(runs, [*by, "d", "proj_seed", _column(metric)])
    rows = []
    groups = runs.groupby(by) if by else [((), runs)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        for e in _targets(eps):
            dims, ok = success_matrix(group, e, metric=metric, higher=higher)
            est = threshold(dims, ok, delta=delta, n_boot=n_boot, seed=seed)
            rows.append({**dict(zip(by, key, strict=True)), "eps": e, "d_star": est.value,
                         "lo": est.lo, "hi": est.hi, "estimate": est})  # fmt: skip
    return pd.DataFrame(rows)


def empirical_width(d_star: float | np.ndarray, D: int) -> tuple[np.ndarray, np.ndarray]:
    """Gordon's reading of a threshold: (w^2 = D - d*, d*/D). The squared Gaussian width of the
    target's sublevel set, projected on the sphere around the anchor, that the threshold implies
    (Larsen et al. 2022); d* = inf (never reached on the grid) gives w^2 = -inf."""
    D = checks.integer(D, "D", min=1)
    d = np.asarray(d_star.detach().cpu() if hasattr(d_star, "detach") else d_star)
    if d.dtype.kind not in "iuf":
        raise TypeError(f"d_star must be a number or an array of numbers, got {d_star!r:.60}")
    d = d.astype(float)
    if np.isnan(d).any() or (d < 0).any():
        raise ValueError(f"d_star must be >= 0 (inf: never reached), got {d_star!r:.60}")
    if (np.isfinite(d) & (d > D)).any():
        raise ValueError(
            f"d_star must be at most D={D} (a subspace of R^D has at most D dimensions; inf: "
            f"never reached), got {d_star!r:.60}"
        )
    return D - d, d / D


def burn_in_effect(
    th: pd.DataFrame, anchor_acc: Mapping[int, float], far: float = 0.5
) -> pd.DataFrame:
    """How much burn-in lowers the threshold, per target: one row per eps of ``th`` (the table
    of :func:`thresholds` by ``t``, with its bootstrap ``lo``/``hi``; it must have t = 0) over the
    anchors t > 0 still below eps (``anchor_acc``: t -> the anchor's own accuracy).

    Columns: ``raised``, the anchors whose d* lies beyond both intervals above d*(eps, 0) (lo(t) >
    sqrt(2) hi(0)); ``near_t`` and ``near_gain``, the anchor closest below eps and d*(0) / d*(t)
    for it; ``far_gain``, the largest such gain of the anchors more than ``far`` below eps (NaN
    when there is none, when the closest anchor is itself far, or when d*(eps, 0) is infinite).
    Chapter 05, section 5."""
    _check_table(th, ["t", "eps", "d_star", "lo", "hi"], "th")
    if not isinstance(anchor_acc, Mapping):
        raise TypeError(f"anchor_acc must map each burn-in t to its anchor's accuracy, got "
                        f"{type(anchor_acc).__name__}")  # fmt: skip
    missing = sorted(set(th.t) - set(anchor_acc))
    if missing:
        raise ValueError(f"anchor_acc has no accuracy for the anchors t = {missing}")
    far = checks.real(far, "far", min=0.0)
    rows = []
    for e, part in th.groupby("eps"):
        d = part.set_index("t")
        if 0 not in d.index:
            raise ValueError(f"th has no row for t = 0 at eps = {e}: the gains are against it")
        below = [int(t) for t in d.index if t > 0 and anchor_acc[t] < e]
        raised = [t for t in below if d.lo[t] > 2**0.5 * d.hi[0]]
        gain = {t: d.d_star[0] / d.d_star[t] for t in below}
        near = max(below, key=lambda t: anchor_acc[t]) if below else None
        far_ts = [t for t in below if anchor_acc[t] < e - far]
        comparable = bool(far_ts) and near not in far_ts and bool(np.isfinite(d.d_star[0]))
        far_gain = max(gain[t] for t in far_ts) if comparable else np.nan
        near_gain = gain[near] if near is not None else np.nan
        rows.append({"eps": e, "raised": raised, "near_t": near, "near_gain": near_gain,
                     "far_gain": far_gain})  # fmt: skip
    return pd.DataFrame(rows)
