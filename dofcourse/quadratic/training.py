"""Training many quadratic nets at once, and training them until their end points are decided.

:func:`train_gd` is full-batch gradient descent (heavy-ball momentum from the settings) on the
mean squared error, for all S nets of an ensemble at once: it runs on the course's one ensemble
trainer, ``ensemble.train_members``, with ``ensemble.Free`` members and ``guard=True``. A quartic
loss has no global step-size limit, so the guard gives each net its own step scale: a step after
which its loss more than doubled is undone, its scale halved and its momentum cleared, and the
scale grows back by 1 % a step.

:func:`fit` trains, classifies the end points (``quadratic.endpoints``) and gives the runs still
descending more rounds, so a slow approach to a spurious minimum is not mistaken for success.
Taught in chapter 01.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dofcourse import checks, ensemble
from dofcourse.device import single_thread
from dofcourse.quadratic.endpoints import SLOW, EndPoints, Symmetry, classify
from dofcourse.quadratic.nets import (
    Forward,
    Params,
    check_params,
    from_thetas,
    functional,
    n_seeds_of,
    select,
    thetas,
)
from dofcourse.quadratic.teachers import Problem
from dofcourse.settings import TrainSettings
from dofcourse.train import History


def train_gd(
    forward: Forward,
    params: Params,
    problem: Problem,
    settings: TrainSettings,
    *,
    eval_every: int = 10,
    progress: bool = False,
) -> tuple[Params, History]:
    """Full-batch gradient descent on ``mse`` for the ensemble ``params`` (every tensor with a
    leading seed axis S), all nets at once; ``settings`` give steps, lr and momentum.

    Returns the final parameters and the :class:`~dofcourse.train.History` (loss (S, T) at
    steps 0, ``eval_every``, …, the end). Chapter 01.
    """
    Problem.check(problem)
    checks.settings(settings)
    if not callable(forward):
        raise TypeError(f"forward must be a network function f(params, x), got {forward!r:.60}")
    params = check_params(params)
    if settings.batch_size is not None or settings.optimizer != "sgd":
        raise ValueError("quadratic nets train full-batch with optimizer='sgd' (and momentum)")
    n_seeds_of(params)
    one = select(params, 0)
    with single_thread():
        run = ensemble.train_members(
            functional(forward, one), ensemble.Free(thetas(params)), problem, settings,
            loss="mse", eval_every=checks.integer(eval_every, "eval_every", min=1), test=False,
            guard=True, progress=progress, desc="gradient descent",
        )  # fmt: skip
    return from_thetas(run.u, one), run.history


@dataclass
class Fit:
    """An ensemble trained until its end points are decided: the final ``params`` (stacked), the
    ``history`` of the first round, the ``steps`` each net took (S,), and the ``ends``.
    Chapter 01."""

    params: Params
    history: History
    steps: Tensor
    ends: EndPoints


def fit(
    forward: Forward,
    params: Params,
    problem: Problem,
    settings: TrainSettings,
    *,
    rounds: int = 3,
    symmetry: Symmetry | None = None,
    eval_every: int | None = None,
) -> Fit:
    """Train the ensemble ``params`` for ``settings.steps`` and classify the end points; nets
    still descending get up to ``rounds − 1`` more rounds (only they are trained; momentum starts
    afresh). Nets still descending after that are reported as such. Chapter 01."""
    rounds = checks.integer(rounds, "rounds", min=1)
    checks.settings(settings)
    every = (
        max(1, settings.steps // 100)
        if eval_every is None
        else checks.integer(eval_every, "eval_every", min=1)
    )
    params, history = train_gd(forward, params, problem, settings, eval_every=every)
    taken = torch.full((n_seeds_of(params),), settings.steps)
    ends = classify(forward, params, problem, symmetry=symmetry)
    for _ in range(rounds - 1):
        slow = ends.mask(SLOW)
        if not slow.any():
            break
        more, _ = train_gd(forward, select(params, slow), problem, settings,
                           eval_every=settings.steps)  # fmt: skip
        params = tuple(p.index_put((slow,), q) for p, q in zip(params, more, strict=True))
        taken = taken + settings.steps * slow
        ends = classify(forward, params, problem, symmetry=symmetry)
    return Fit(params, history, taken, ends)
