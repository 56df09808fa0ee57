"""The stacked projection: E projections of one kind applied together (chapter 03).

``StackedProjection`` is the base every kind derives from: it masks the coordinates beyond each
member's d_e and applies P and P^T through autograd functions whose backward is the other one.
``KINDS`` and ``GIVEN`` name the kinds; ``_generator`` turns a seed into the CPU generator every
random kind draws from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch

from dofcourse import checks

KINDS = ("dense", "sparse", "fastfood", "orthonormal", "identity", "basis", "coordinates")
GIVEN = ("basis", "coordinates")  # kinds whose directions come with the call (``basis=``)
DEFAULT_MAX_BYTES = checks.DEFAULT_MAX_BYTES


def _generator(seed: int) -> torch.Generator:
    # Random numbers are always drawn on the CPU, so a seed gives the same P on every device.
    return torch.Generator().manual_seed(int(seed))


class StackedProjection(ABC):
    """E projections of one kind, applied together: Z (E, d_max) -> (E, D) and back.

    Attributes: ``kind``, ``D``, ``ds`` (list of E dims), ``seeds``, ``dtype``, ``d_max``, ``mask``
    (E, d_max) float tensor, 1 where coordinate j < d_e is used by member e. Coordinates beyond
    d_e are ignored by ``apply`` and receive zero from ``transpose``, so padded entries of z get
    zero gradient and stay at zero under SGD or Adam. ``anchor_mask`` is None, or (E, D) 0/1 for a
    kind that holds some weights at zero (the "coordinates" kind): the anchor is multiplied by it.
    """

    kind: str
    anchor_mask: torch.Tensor | None = None

    def __init__(self, D: int, ds: Sequence[int], seeds: Sequence[int], device, dtype):
        self.D, self.ds, self.seeds, self.dtype = D, list(ds), list(seeds), dtype
        self.d_max = max(self.ds)
        col = torch.arange(self.d_max, device=device)
        self.mask = (col[None, :] < torch.tensor(self.ds, device=device)[:, None]).float()

    @property
    def n(self) -> int:
        """Number of stacked members E."""
        return len(self.ds)

    @abstractmethod
    def _apply(self, z: torch.Tensor) -> torch.Tensor:
        """(E, N, d_max) -> (E, N, D), with z already masked."""

    @abstractmethod
    def _transpose(self, v: torch.Tensor) -> torch.Tensor:
        """(E, N, D) -> (E, N, d_max), before masking."""

    @abstractmethod
    def nbytes(self) -> int:
        """Bytes of tensors stored to represent the projections."""

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """P_e z_e for every member: z (E, d_max) or (E, N, d_max) -> (E, D) or (E, N, D).

        Differentiable in z; the backward pass applies the transpose (the adjoint).
        """
        z = self._check(z, self.d_max, "z")
        if z.dim() == 2:
            return self.map(z)
        padded = min(self.ds) < self.d_max  # only then are there coordinates to mask out
        return _Product.apply(z * self.mask[:, None, :].to(z.dtype) if padded else z, self, False)

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """:meth:`apply` for z (E, d_max) already in this projection's dtype and on its device,
        without the checks: the training step's path (``subspace.Affine`` checks its input once).
        """
        if min(self.ds) < self.d_max:  # only then are there coordinates to mask out
            z = z * self.mask.to(z.dtype)
        return _Product.apply(z[:, None], self, False).squeeze(1)

    def transpose(self, v: torch.Tensor) -> torch.Tensor:
        """P_e^T v_e for every member: v (E, D) or (E, N, D) -> (E, d_max) or (E, N, d_max)."""
        v = self._check(v, self.D, "v")
        squeeze = v.dim() == 2
        v = v[:, None] if squeeze else v
        out = _Product.apply(v, self, True)
        if min(self.ds) < self.d_max:
            out = out * self.mask[:, None, :].to(v.dtype)
        return out.squeeze(1) if squeeze else out

    def _check(self, t: torch.Tensor, last: int, name: str) -> torch.Tensor:
        """``t`` checked for shape, in the projection's dtype and on its device: every kind
        converts a floating-point input the same way (NumPy arrays too), so the result always
        has the projection's dtype; integer input is refused."""
        t = checks.tensor(t, name, ndim=(2, 3), floating=True)
        if t.shape[0] != self.n or t.shape[-1] != last:
            raise ValueError(
                f"{name} must have shape ({self.n}, {last}) or ({self.n}, N, {last}), "
                f"got {tuple(t.shape)}"
            )
        return t.to(device=self.mask.device, dtype=self.dtype)


class _Product(torch.autograd.Function):
    """z -> P z (``adjoint=False``) or v -> P^T v (``adjoint=True``), whose backward is the other
    product, applied explicitly: no graph through the construction of P."""

    @staticmethod
    def forward(ctx, x, proj, adjoint):  # noqa: D102
        ctx.proj, ctx.adjoint = proj, adjoint
        return proj._transpose(x) if adjoint else proj._apply(x)

    @staticmethod
    def backward(ctx, g):  # noqa: D102
        return (ctx.proj._apply(g) if ctx.adjoint else ctx.proj._transpose(g)), None, None
