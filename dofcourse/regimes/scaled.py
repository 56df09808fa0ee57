"""Members that start at their own point and step at their own rate: theta_e = anchor_e + c_e u_e.

A parametrisation for the shared trainer (``dofcourse.ensemble.train_members``; ``ensemble.Free``
and ``subspace.Affine`` are the others). Chapter 09 trains one member per initialisation scale,
and different scales need different step sizes (the curvature of the loss grows with the scale).
The trainer has one learning rate, so each member carries its own factor c_e:

    theta_e = anchor_e + c_e u_e,  u_e starting at 0.

Plain gradient descent on u at rate eta is gradient descent on theta at rate c_e^2 eta: the step
u <- u - eta c_e grad_theta L moves theta by -eta c_e^2 grad_theta L (momentum and weight decay
would break this equivalence, so they are refused). With c_e = sqrt(eta_e / eta) member e takes the
steps of size eta_e it needs, and training all members is still one vectorised computation.

``fixed`` (E, m) appends values that stay constant to each member's theta: the output scale kappa
of a lazy/rich network (:mod:`dofcourse.regimes.lazy`) travels this way to the network function.
"""

from __future__ import annotations

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.settings import TrainSettings


class Scaled:
    """theta_e = cat(anchor_e + scale_e u_e, fixed_e): anchor (E, D), scale (E,), fixed (E, m)."""

    def __init__(self, anchor: Tensor, scale: Tensor, fixed: Tensor | None = None) -> None:
        anchor = checks.tensor(anchor, "anchor", ndim=2, floating=True)
        scale = checks.tensor(scale, "scale", ndim=1, floating=True).to(anchor)
        if scale.shape[0] != anchor.shape[0] or not bool((scale > 0).all()):
            raise ValueError(
                f"scale must hold {anchor.shape[0]} positive numbers (one per member), "
                f"got shape {tuple(scale.shape)}"
            )
        if fixed is not None:
            fixed = checks.tensor(fixed, "fixed", ndim=2, floating=True).to(anchor)
            if fixed.shape[0] != anchor.shape[0]:
                raise ValueError(f"fixed must have {anchor.shape[0]} rows, got {fixed.shape[0]}")
        self.anchor, self.scale, self.fixed, self.n = anchor, scale, fixed, anchor.shape[0]

    def init(self) -> Tensor:
        return torch.zeros_like(self.anchor)

    def theta(self, u: Tensor) -> Tensor:
        moved = self.anchor + self.scale[:, None] * u
        return moved if self.fixed is None else torch.cat([moved, self.fixed], dim=1)

    def moved(self, u: Tensor) -> Tensor:
        """theta_e - anchor_e (E, D): how far each member went (without the fixed part)."""
        return self.scale[:, None] * u.to(self.anchor)


def plain_gd(settings: TrainSettings) -> TrainSettings:
    """``settings`` if they describe plain SGD/GD (the case where :class:`Scaled` rescales the
    step exactly), else a ValueError."""
    settings = checks.settings(settings)
    if settings.optimizer != "sgd" or settings.momentum or settings.weight_decay:
        raise ValueError(
            "per-member step sizes need plain SGD (optimizer='sgd', no momentum, no weight "
            f"decay), got {settings}"
        )
    return settings
