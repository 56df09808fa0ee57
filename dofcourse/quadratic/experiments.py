"""The experiments of chapter 01, cached: a width sweep, slow runs, and deep quadratic nets.

Each is a package function whose results ``dofcourse.experiment`` stores under its complete call
(problem by content, settings, seeds) and the code it runs; the sweeps are grids over the width m
(``experiment.batched``), so a sweep stopped half-way resumes at the next width.

* :func:`width_sweep`: for each width m, an ensemble of shallow nets trained and classified
  (``quadratic.fit``), with the runs of a width below the teacher's rank that reached that width's
  best loss marked as a capacity limit;
* :func:`convergence`: a naive step budget, then more steps from there (chapter 01 §3);
* :func:`deep_sweep`: two-layer quadratic nets of widths (m, m) against a deep teacher (§6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from dofcourse import checks, experiment
from dofcourse.quadratic.endpoints import classify, mark_capacity
from dofcourse.quadratic.inertia import inertia
from dofcourse.quadratic.nets import (
    deep_forward,
    init_deep,
    init_shallow,
    psd_forward,
    shallow_forward,
)
from dofcourse.quadratic.symmetry import symmetry_directions
from dofcourse.quadratic.teachers import Problem
from dofcourse.quadratic.training import Fit, fit, train_gd
from dofcourse.settings import TrainSettings


def _check_runs(problem: Problem, n_seeds: int, settings: TrainSettings, init_seed: int,
                offset: int) -> None:  # fmt: skip
    """The arguments every sweep of the chapter shares, checked before anything is keyed."""
    Problem.check(problem)
    checks.integer(n_seeds, "n_seeds", min=1)
    settings = checks.settings(settings)
    checks.integer(init_seed, "init_seed", min=0, max=checks.MAX_SEED - offset)


@experiment.batched(axes=("m",), chunk=1)
def _width(
    points: list[dict],
    problem: Problem,
    n_seeds: int,
    settings: TrainSettings,
    rounds: int,
    init_seed: int,
    progress: bool = False,
) -> list[Fit]:
    rank = sum(inertia(problem.teacher))
    out = []
    for p in points:
        start = init_shallow(n_seeds, p["m"], problem.d, init_seed=init_seed + p["m"])
        result = fit(shallow_forward, start, problem, settings, rounds=rounds,
                     symmetry=symmetry_directions)  # fmt: skip
        if p["m"] < rank:
            result.ends = mark_capacity(result.ends)
        out.append(result)
    return out


def width_sweep(
    problem: Problem,
    widths: Sequence[int],
    *,
    n_seeds: int,
    settings: TrainSettings,
    rounds: int = 3,
    init_seed: int = 1000,
    progress: bool = True,
) -> list[Fit]:
    """One :class:`~dofcourse.quadratic.training.Fit` per width m in ``widths``: ``n_seeds``
    shallow nets (initialised from ``init_seed + m``) trained on ``problem`` and classified,
    with the symmetry directions removed. Cached per width. Chapter 01 §2."""
    widths = checks.integers(widths, "widths", min=1)
    _check_runs(problem, n_seeds, settings, init_seed, max(widths))
    rounds = checks.integer(rounds, "rounds", min=1)
    table = experiment.grid(_width, {"m": widths}, problem=problem, n_seeds=n_seeds,
                            settings=settings, rounds=rounds, init_seed=init_seed,
                            progress=progress, desc="width sweep")  # fmt: skip
    names = [f.name for f in fields(Fit)]
    return [Fit(**{k: row[k] for k in names}) for _, row in table.iterrows()]


@experiment.cached
def convergence(
    problem: Problem,
    m: int,
    *,
    n_seeds: int,
    settings: TrainSettings,
    extra_steps: int,
    psd: bool = False,
    init_seed: int = 7,
    eval_every: int = 10,
) -> dict:
    """``n_seeds`` nets of width m trained for ``settings.steps`` (a naive budget), then
    ``extra_steps`` more from there. ``psd`` trains f = ‖W x‖² (``psd_forward``, the W of the
    same initialisation) instead of the shallow net with trained v. Returns ``mid`` and ``end``
    parameters, the evaluation ``steps`` (T,) and ``loss`` (S, T) over both parts. Cached.
    Chapter 01 §3."""
    _check_runs(problem, n_seeds, settings, init_seed, 0)
    w, v = init_shallow(n_seeds, m, problem.d, init_seed=init_seed)
    forward, start = (psd_forward, (w,)) if psd else (shallow_forward, (w, v))
    mid, h1 = train_gd(forward, start, problem, settings, eval_every=eval_every)
    more = settings.replace(steps=checks.integer(extra_steps, "extra_steps", min=1))
    end, h2 = train_gd(forward, mid, problem, more, eval_every=eval_every)
    steps = np.concatenate([h1.step, h2.step[1:] + settings.steps])
    return {"mid": mid, "end": end, "steps": steps,
            "loss": np.concatenate([h1.loss, h2.loss[:, 1:]], axis=1)}  # fmt: skip


@experiment.batched(axes=("m",), chunk=1)
def _deep(
    points: list[dict],
    problem: Problem,
    n_seeds: int,
    settings: TrainSettings,
    init_seed: int,
    progress: bool = False,
) -> list[dict]:
    out = []
    for p in points:
        start = init_deep(n_seeds, (p["m"], p["m"]), problem.d, init_seed=init_seed + p["m"])
        params, _ = train_gd(deep_forward, start, problem, settings)
        out.append({"ends": classify(deep_forward, params, problem), "v0": start[-1],
                    "v": params[-1]})  # fmt: skip
    return out


def deep_sweep(
    problem: Problem,
    widths: Sequence[int],
    *,
    n_seeds: int,
    settings: TrainSettings,
    init_seed: int = 0,
    progress: bool = True,
) -> list[dict]:
    """Per width m, ``n_seeds`` deep quadratic nets of hidden widths (m, m) (initialised from
    ``init_seed + m``) trained on ``problem``: a dict with the classified ``ends`` (no symmetry
    removed) and the output weights at the start ``v0`` and the end ``v`` (S, m). Cached per
    width. Chapter 01 §6."""
    widths = checks.integers(widths, "widths", min=1)
    _check_runs(problem, n_seeds, settings, init_seed, max(widths))
    table = experiment.grid(_deep, {"m": widths}, problem=problem, n_seeds=n_seeds,
                            settings=settings, init_seed=init_seed, progress=progress,
                            desc="deep sweep")  # fmt: skip
    return [{k: row[k] for k in ("ends", "v0", "v")} for _, row in table.iterrows()]
