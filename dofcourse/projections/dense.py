"""Stored projections: dense Gaussian, orthonormal (Haar) and the identity (chapter 03).

Each member is a (D, d_e) matrix stored in W (E, D, d_max), zero beyond column d_e; P z and
P^T v are batched matrix products. Memory D d floats a member (``budget.member_bytes``).
"""

from __future__ import annotations

import math

import torch

from dofcourse.projections.base import StackedProjection, _generator


def orthonormal_basis(D: int, d: int, generator: torch.Generator) -> torch.Tensor:
    """(D, d) float64 orthonormal basis of a uniformly random d-dimensional subspace of R^D.

    Q of the QR decomposition of a Gaussian matrix, with the signs of R's diagonal moved into Q:
    the sign fix makes Q Haar-distributed (and independent of the LAPACK sign convention).
    """
    q, r = torch.linalg.qr(torch.randn(D, d, generator=generator, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


class _DenseLike(StackedProjection):
    """Stored matrices W (E, D, d_max), zero beyond column d_e."""

    def __init__(self, D, ds, seeds, device, dtype):
        super().__init__(D, ds, seeds, device, dtype)
        self.w = torch.zeros(self.n, D, self.d_max, dtype=dtype, device=device)
        for e, (d, s) in enumerate(zip(self.ds, self.seeds, strict=True)):
            self.w[e, :, :d] = self._member(D, d, s, dtype).to(device)

    def _apply(self, z):
        return torch.matmul(z, self.w.transpose(1, 2))

    def _transpose(self, v):
        return torch.matmul(v, self.w)

    def nbytes(self):
        return self.w.numel() * self.w.element_size()


class _Dense(_DenseLike):
    kind = "dense"

    @staticmethod
    def _member(D, d, seed, dtype):
        g = _generator(seed)
        return torch.randn(D, d, generator=g, dtype=torch.float64).div_(math.sqrt(D)).to(dtype)


class _Orthonormal(_DenseLike):
    kind = "orthonormal"

    @staticmethod
    def _member(D, d, seed, dtype):
        return orthonormal_basis(D, d, _generator(seed)).to(dtype)


class _Identity(_DenseLike):
    kind = "identity"

    def __init__(self, D, ds, seeds, device, dtype):
        if any(d != D for d in ds):
            raise ValueError(f"the identity projection needs d = D = {D}, got d = {ds}")
        StackedProjection.__init__(self, D, ds, seeds, device, dtype)

    def _apply(self, z):
        return z

    def _transpose(self, v):
        return v

    def map(self, z):
        return z  # P = I: no custom autograd function needed (autograd's own identity)

    def nbytes(self):
        return 0
