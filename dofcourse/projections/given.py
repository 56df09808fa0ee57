"""The two given kinds of chapter 06: columns of given orthonormal bases ("basis") and given
coordinates with every other weight held at zero ("coordinates", a lottery ticket as a subspace).

``basis`` is one (D, k) matrix or (k,) index list that every seed uses, or a stack (S, ...) from
which the seed picks one.
"""

from __future__ import annotations

import torch

from dofcourse.projections.base import StackedProjection
from dofcourse.projections.dense import _DenseLike


def _stacked(basis, name: str, floating: bool) -> tuple[torch.Tensor, bool]:
    """(``basis`` as a stack (S, ...) of given directions, whether it was a single one)."""
    if not isinstance(basis, torch.Tensor):
        raise TypeError(
            f"basis must be a torch.Tensor for kind={name!r}, got {type(basis).__name__}"
        )
    if floating != basis.is_floating_point():
        want = (
            "floating-point (an orthonormal basis)" if floating else "integer (coordinate indices)"
        )
        raise TypeError(f"basis for kind={name!r} must be {want}, got dtype {basis.dtype}")
    single = basis.dim() == (2 if floating else 1)
    return (basis[None] if single else basis), single


def _pick(stack: torch.Tensor, seed: int, single: bool, name: str) -> torch.Tensor:
    """The seed's entry of the stack; a single given basis serves every seed."""
    if single:
        return stack[0]
    if not 0 <= seed < stack.shape[0]:
        raise ValueError(
            f"kind={name!r}: seed {seed} picks none of the {stack.shape[0]} given bases"
        )
    return stack[seed]


class _Basis(_DenseLike):
    """Columns of given orthonormal bases: member e uses basis[seed_e][:, :d_e]."""

    kind = "basis"

    def __init__(self, D, ds, seeds, device, dtype, basis):
        stack, self._single = _stacked(basis, self.kind, floating=True)
        if stack.dim() != 3 or stack.shape[1] != D or stack.shape[2] < max(ds):
            raise ValueError(
                f"basis must have shape ({D}, k) or (S, {D}, k) with k >= d = {max(ds)}, "
                f"got {tuple(basis.shape)}"
            )
        for s in sorted(set(seeds)):
            q = _pick(stack, s, self._single, self.kind)[:, : max(ds)].double()
            err = (q.T @ q - torch.eye(q.shape[1], dtype=q.dtype, device=q.device)).abs().max()
            if err > 1e-3:
                raise ValueError(f"basis {s} is not orthonormal (max |Q^T Q - I| = {err:.2g})")
        self._stack = stack
        super().__init__(D, ds, seeds, device, dtype)

    def _member(self, D, d, seed, dtype):
        return _pick(self._stack, seed, self._single, self.kind)[:, :d].to(dtype)


class _Coordinates(StackedProjection):
    """Unit columns e_i: member e trains coordinates idx[seed_e][:d_e]; the rest are held at 0."""

    kind = "coordinates"

    def __init__(self, D, ds, seeds, device, dtype, basis):
        super().__init__(D, ds, seeds, device, dtype)
        stack, single = _stacked(basis, self.kind, floating=False)
        if stack.dim() != 2 or stack.shape[1] < self.d_max:
            raise ValueError(
                f"coordinates must have shape (k,) or (S, k) with k >= d = {self.d_max}, got "
                f"{tuple(basis.shape)}"
            )
        idx = torch.stack([_pick(stack, s, single, self.kind)[: self.d_max] for s in self.seeds])
        idx = idx.long()
        if idx.min() < 0 or idx.max() >= D:
            raise ValueError(f"coordinate indices must lie in 0..{D - 1}")
        if any(len(set(row.tolist())) < len(row) for row in idx):
            raise ValueError("coordinate indices must be distinct")
        self.idx = idx.to(device)[:, None, :]  # (E, 1, d_max)
        kept = torch.zeros(self.n, D, dtype=dtype, device=device)
        self.anchor_mask = kept.scatter_(1, idx.to(device), self.mask.to(dtype))

    def _apply(self, z):
        out = torch.zeros(*z.shape[:2], self.D, dtype=z.dtype, device=z.device)
        return out.scatter_add(-1, self.idx.expand(-1, z.shape[1], -1), z)

    def _transpose(self, v):
        return torch.gather(v, -1, self.idx.expand(-1, v.shape[1], -1))

    def nbytes(self):
        return self.idx.numel() * self.idx.element_size() + self.anchor_mask.numel() * 4
