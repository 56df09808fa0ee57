"""Which members of an ensemble still train, and chapter 01's step guard (``train_members``).

* :class:`Monitor`: a member **diverges** when its loss becomes non-finite or exceeds
  ``DIVERGENCE_FACTOR`` times its start at an evaluation, or a mini-batch loss exceeds
  ``step_factor`` times it at any step (so a loss that exploded and fell back to chance between
  evaluations is caught); it **stops** when it reaches ``target_loss`` or ``target_acc`` at an
  evaluation. Either way it is frozen: ``active`` turns False.
* :class:`StepGuard`: full-batch training without a global step-size limit (chapter 01's quartic
  losses): every member has its own step scale; a step after which its loss more than doubled is
  undone, its scale halved and its momentum cleared; the scale then grows back by 1 % a step up
  to 1.

All state is (E,) tensors on the ensemble's device; a test syncs with the host once per step in
the usual case (no member blew up) and once per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from dofcourse.train import DIVERGENCE_FACTOR


class Monitor:
    """Divergence and targets of E members: ``active``, ``stopped``, ``diverged`` (E,) bool.

    ``start_loss`` (E,) is the training loss at the first evaluation, or, where the training
    split is not evaluated (``eval_train=False``), the first mini-batch's finite losses."""

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
        self._limit: Tensor | None = None
        self._dtype, self._step_factor = dtype, step_factor
        self._target_loss, self._target_acc = target_loss, target_acc

    def at_evaluation(self, loss: Tensor, acc: Tensor) -> None:
        """Judge the evaluation of the training split: loss and accuracy (E,)."""
        if self.start_loss is None:
            self.start_loss = loss.to(self._dtype)
        limit = DIVERGENCE_FACTOR * self.start_loss.clamp_min(1e-3)
        bad = ~(loss.to(self._dtype) <= limit) & self.active  # NaN fails the <=
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


class StepGuard:
    """Chapter 01's step guard for the coordinates ``u`` (E, n) trained by ``opt``.

    Made after the first evaluation; :meth:`undo_jumps` after each step's losses are known (and
    before an evaluation, so the history, the divergence test and the final coordinates never see
    a step the guard would undo); :meth:`accept` after each step."""

    def __init__(self, u: Tensor, opt: torch.optim.Optimizer) -> None:
        self._u, self._opt = u, opt
        e = u.shape[0]
        self.prev = u.detach().clone()
        self.prev_loss = torch.full((e,), float("inf"), dtype=u.dtype, device=u.device)
        self.scale = torch.ones(e, dtype=u.dtype, device=u.device)

    def undo_jumps(self, losses: Tensor, active: Tensor, recompute: Callable[[], Tensor]) -> Tensor:
        """Undo the last step of each active member whose loss more than doubled; returns the
        losses, recomputed (``recompute()``) if a step was undone."""
        with torch.no_grad():
            worse = ~(losses <= 2 * self.prev_loss + 1e-12) & active
        if not bool(worse.any()):
            return losses
        with torch.no_grad():
            self._u[worse] = self.prev[worse]
            self.scale[worse] /= 2
            buf = self._opt.state.get(self._u, {}).get("momentum_buffer")
            if buf is not None:
                buf[worse] = 0
        return recompute()

    def accept(self, before: Tensor, losses: Tensor) -> None:
        """The step from ``before`` (E, n) with ``losses`` (E,) stands; the scales grow back."""
        self.prev, self.prev_loss = before, losses.detach()
        self.scale.mul_(1.01).clamp_(max=1.0)
