"""When training has diverged, and what to say about it: the one monitor of every training loop.

A training **diverges** when its loss becomes non-finite or exceeds ``DIVERGENCE_FACTOR`` times
its start at an evaluation, or when a step's loss exceeds ``step_factor`` times the start between
evaluations (``DIVERGENCE_FACTOR`` for full-batch steps, ``BATCH_DIVERGENCE_FACTOR`` for noisy
mini-batches), so that a loss that exploded and fell back to chance between two evaluations is
caught too. :class:`Monitor` watches E trainings at once: ``train.train`` (E = 1, which raises
:class:`TrainingDiverged`) and ``ensemble.train_members`` (which freezes the member and flags it)
use the same one. :func:`advice` is what every message suggests (chapter 00 shows a diverged run).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from torch import Tensor

from dofcourse import checks

DIVERGENCE_FACTOR = 10.0  # a training loss this many times its start means training diverged
# A mini-batch's loss is noisy: a step's loss on a mini-batch must exceed the start by this factor
# (a real divergence reaches 1e3-1e30 times the start within a few steps).
BATCH_DIVERGENCE_FACTOR = 100.0


class TrainingDiverged(FloatingPointError):
    """Training left the region where its loss means anything (non-finite, or far above start)."""


def advice(settings: Any) -> str:
    """What to change in ``settings`` (a ``TrainSettings``) after a divergence: the weight decay
    when lr * weight_decay > 1 (each step then scales the weights by 1 - lr*wd < 0: they flip
    and grow), otherwise the learning rate."""
    lr, wd = checks.settings(settings).lr, settings.weight_decay
    if lr * wd > 1.0:
        return (
            f"The weight decay weight_decay={wd:g} is too strong for lr={lr:g} (each step scales "
            f"the weights by 1 - lr*weight_decay = {1 - lr * wd:.3g}); use weight_decay below "
            f"{1 / lr:g}"
        )
    return (
        f"The learning rate lr={lr:g} is too large for this model; try a smaller one "
        f"(e.g. lr={lr / 10:g})"
    )


def error(diverged: Any, what: str, settings: Any) -> TrainingDiverged:
    """The error for the flagged entries of ``diverged`` (a boolean array of ``what``: members,
    rewind points), to raise where a diverged run's weights would mean nothing."""
    d = np.asarray(diverged, dtype=bool).reshape(-1)
    return TrainingDiverged(
        f"{what} {np.flatnonzero(d).tolist()} of {d.size} diverged (loss non-finite or far "
        f"above its start). {advice(settings)}"
    )


def warn(diverged: Any, what: str, settings: Any, *, stacklevel: int = 3) -> None:
    """One warning when any of ``diverged`` (any shape, boolean) is set: such runs are frozen at
    their last good point and flagged (the chapters' tables give them no accuracy)."""
    d = np.asarray(diverged, dtype=bool)
    if d.any():
        warnings.warn(
            f"{int(d.sum())} of {d.size} {what} diverged (loss non-finite or far above its "
            f"start): they are flagged and have no accuracy. {advice(settings)}",
            stacklevel=stacklevel,
        )


class Monitor:
    """Divergence and targets of E trainings: ``active``, ``stopped``, ``diverged`` (E,) bool.

    ``start_loss`` (E,) is the training loss at the first evaluation, or, where the training
    split is not evaluated (``eval_train=False``), the first mini-batch's finite losses. Between
    evaluations, :meth:`at_step` judges each step at once (one host sync a step: an ensemble
    freezes a blown-up member before its next step), :meth:`watch` only keeps the largest loss
    on the device for the next evaluation to judge (no sync: one network, which stops anyway).
    A training **stops** when it reaches ``target_loss`` or ``target_acc`` at an evaluation.
    Either way it is frozen: ``active`` turns False. All state lives on the trainings' device.
    """

    def __init__(
        self,
        e: int,
        dtype: torch.dtype,
        device: torch.device,
        step_factor: float,
        target_loss: float | None = None,
        target_acc: float | None = None,
    ) -> None:
        self.active = torch.ones(e, dtype=torch.bool, device=device)
        self.stopped = torch.zeros(e, dtype=torch.bool, device=device)
        self.diverged = torch.zeros(e, dtype=torch.bool, device=device)
        self.n_active = e  # a host copy of active.sum(), updated where active changes
        self.start_loss: Tensor | None = None
        self.peak: Tensor | None = None  # the largest watched step loss before the evaluation
        self._worst: Tensor | None = None
        self._limit: Tensor | None = None
        self._dtype, self._step_factor = dtype, step_factor
        self._target_loss, self._target_acc = target_loss, target_acc

    def limit(self) -> Tensor:
        """The loss (E,) above which an evaluation calls a training diverged."""
        assert self.start_loss is not None, "no evaluation yet"
        return DIVERGENCE_FACTOR * self.start_loss.clamp_min(1e-3)

    def watch(self, losses: Tensor) -> None:
        """Keep the largest of the steps' losses (E,) for the next evaluation (NaN propagates)."""
        w = losses.detach().to(self._dtype)
        self._worst = w if self._worst is None else torch.maximum(self._worst, w)

    def at_evaluation(self, loss: Tensor, acc: Tensor) -> None:
        """Judge the evaluation of the training split, loss and accuracy (E,), and the largest
        watched step loss since the last one."""
        if self.start_loss is None:
            self.start_loss = loss.to(self._dtype)
        bad = ~(loss.to(self._dtype) <= self.limit()) & self.active  # NaN fails the <=
        self.peak, self._worst = self._worst, None
        if self.peak is not None:
            step_limit = self._step_factor * self.start_loss.clamp_min(1e-3)
            bad |= ~(self.peak <= step_limit) & self.active
        self.diverged.logical_or_(bad)
        reached = torch.zeros_like(self.active)
        if self._target_loss is not None:
            reached |= loss <= self._target_loss
        if self._target_acc is not None:
            reached |= acc >= self._target_acc
        self.stopped.logical_or_(reached & self.active & ~bad)
        self.active.logical_and_(~(bad | reached))
        self.n_active = int(self.active.sum())  # one sync per evaluation, not per step

    def at_step(self, losses: Tensor) -> Tensor:
        """Judge one step's mini-batch losses (E,); returns them with those of members that
        blew up (non-finite, or far above their start) set to 0, so that they get no gradient."""
        with torch.no_grad():
            if self._limit is None:
                if self.start_loss is None:  # eval_train=False: the first batch's losses
                    self.start_loss = torch.where(losses.isfinite(), losses, 1.0).detach()
                self._limit = self._step_factor * self.start_loss.clamp_min(1e-3)
            fine = bool((losses <= self._limit).all())  # one test and one sync in the usual case
            blown = None if fine else ~(losses <= self._limit) & self.active
        if blown is not None and bool(blown.any()):
            self.diverged.logical_or_(blown)
            self.active.logical_and_(~blown)
            self.n_active = int(self.active.sum())
            losses = torch.where(blown, torch.zeros_like(losses), losses)
        return losses
