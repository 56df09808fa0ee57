"""Chapter 01's step guard for ``train_members(guard=True)``.

:class:`StepGuard`: full-batch training without a global step-size limit (chapter 01's quartic
losses): every member has its own step scale; a step after which its loss more than doubled is
undone, its scale halved and its momentum cleared; the scale then grows back by 1 % a step up to
1. Its state is (E,) tensors on the ensemble's device. (Which members still train is
``dofcourse.divergence.Monitor``'s, shared with ``train.train``.)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


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
