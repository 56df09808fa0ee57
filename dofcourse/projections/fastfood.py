"""The Fastfood projection: O(D) memory, O(D log D) per product (chapter 03)."""

from __future__ import annotations

import math

import torch

from dofcourse.projections.base import StackedProjection, _generator
from dofcourse.projections.hadamard import _fwht


class _Fastfood(StackedProjection):
    """P = scale * [H G Pi H B]_{first D rows, first d columns}, L = 2^ceil(log2 D).

    B: random signs, Pi: random permutation, G: Gaussian diagonal, H: Walsh-Hadamard (+-1).
    A column of H G Pi H B has squared norm L ||G||^2 exactly; its first D rows carry D/L of that
    in expectation, so scale = 1 / sqrt(D ||G||^2) gives unit column norm in expectation (as in
    Li et al.'s implementation). Stores three vectors of length L per member, B, G (with the scale)
    and the permutation's positions mod m (below): O(D) memory, the same for every d.
    """

    kind = "fastfood"

    def __init__(self, D, ds, seeds, device, dtype):
        super().__init__(D, ds, seeds, device, dtype)
        self.L = 1 << max(1, math.ceil(math.log2(D)))
        b, g, perm = [], [], []
        for s in self.seeds:
            gen = _generator(s)
            b.append(torch.randint(0, 2, (self.L,), generator=gen) * 2.0 - 1.0)
            perm.append(torch.randperm(self.L, generator=gen))
            g.append(torch.randn(self.L, generator=gen, dtype=torch.float64))
        g = torch.stack(g)
        scale = 1.0 / torch.sqrt(D * (g**2).sum(1, keepdim=True))  # (E, 1), in float64
        # z has only d_max non-zero entries, so the first transform needs only m of them (below)
        self.m = min(self.L, 1 << max(1, math.ceil(math.log2(self.d_max))))
        self.b = torch.stack(b)[:, None, :].to(dtype).to(device)  # (E, 1, L); z meets B[:m]
        self.b_m = self.b[..., : self.m]  # a view
        self.g = (g * scale).to(dtype).to(device)[:, None, :]  # (E, 1, L): G with the scale
        self.perm_m = (torch.stack(perm) % self.m).to(device)[:, None, :]  # (E, 1, L)

    # The first Walsh-Hadamard transform acts on B z, which is zero beyond its first m = 2^k >= d
    # entries. As H_L = H_(L/m) (x) H_m, H_L x is then H_m x_(:m) repeated L/m times, so Pi H_L x
    # reads H_m x_(:m) at the positions perm mod m: one small transform instead of a long one.
    # The transpose mirrors it: only the first d entries of H_L w are kept, and those are H_m
    # applied to the sum of w's L/m blocks of length m; with Pi^T in front, entry j of G H v is
    # added into position perm[j] mod m (one scatter-add into m entries, no permuted copy of
    # length L). Two long transforms a step, not four. The scale rides on G.
    #
    # Every transform runs in place on a temporary made here (``_fwht(..., inplace=True)``): with
    # fht-cpu that saves a copy of length L per transform, and G multiplies in place too.
    def _apply(self, z):
        x = _fwht(torch.nn.functional.pad(z, (0, self.m - z.shape[-1])) * self.b_m, inplace=True)
        x = torch.gather(x, -1, self.perm_m.expand(*x.shape[:-1], self.L)).mul_(self.g)
        return _fwht(x, inplace=True)[..., : self.D]

    def _transpose(self, v):
        x = v.new_zeros(*v.shape[:-1], self.L)  # v padded to L: a temporary of our own
        x[..., : self.D] = v
        x = _fwht(x, inplace=True).mul_(self.g)
        sums = x.new_zeros(*x.shape[:-1], self.m).scatter_add_(-1, self.perm_m.expand_as(x), x)
        return _fwht(sums, inplace=True).mul_(self.b_m)[..., : self.d_max]

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in (self.b, self.g, self.perm_m))
