"""What an ensemble trains and returns: the parametrisation of its members (:class:`Members`,
:class:`Free`; ``subspace.Affine`` is the other) and :class:`EnsembleRun` (chapters 01, 03, 05-08).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from torch import Tensor

from dofcourse import checks
from dofcourse.train import (
    History,
)


class Members(Protocol):
    """How E members' trainable coordinates U (E, k) map to their parameters Theta (E, D)."""

    n: int

    def init(self) -> Tensor:
        """The starting coordinates U (E, k)."""
        ...

    def theta(self, u: Tensor) -> Tensor:
        """Parameters Theta (E, D) at coordinates U (E, k); differentiable in U."""
        ...


class Free:
    """Ordinary training of every parameter: theta_e = u_e, or u_e * mask_e for a pruned network.

    ``theta0`` (E, D) are the starting points. ``mask`` (D,) or (E, D) of 0/1 keeps pruned weights
    at exactly zero: their gradient is zero, so they never move (chapter 07).
    """

    def __init__(self, theta0: Tensor, mask: Tensor | None = None) -> None:
        theta0 = checks.tensor(theta0, "theta0", ndim=2, floating=True)
        if mask is not None:
            mask = checks.tensor(mask, "mask", ndim=(1, 2)).to(theta0.device, theta0.dtype)
            if mask.shape[-1] != theta0.shape[1] or (
                mask.dim() == 2 and mask.shape != theta0.shape
            ):
                raise ValueError(
                    f"mask must have shape ({theta0.shape[1]},) or {tuple(theta0.shape)}, "
                    f"got {tuple(mask.shape)}"
                )
        self.theta0, self.mask, self.n = theta0, mask, theta0.shape[0]

    def init(self) -> Tensor:
        return (self.theta0 if self.mask is None else self.theta0 * self.mask).clone()

    def theta(self, u: Tensor) -> Tensor:
        return u if self.mask is None else u * self.mask


@dataclass
class EnsembleRun:
    """What an ensemble training returns.

    ``u`` (E, k): final coordinates of every member (map them with ``members.theta``);
    ``history``: evaluations, arrays (E, T); ``stopped`` (E,): reached the target and stopped;
    ``diverged`` (E,): its loss became non-finite or rose far above its start (it was frozen at
    its last good point); ``seconds``: wall time of the loop.
    """

    u: Tensor
    history: History
    stopped: np.ndarray
    diverged: np.ndarray
    seconds: float
