"""Building projections: ``stack_projections`` (E members of one kind), ``make_projection`` and
its one-member view ``Projection`` (chapters 03, 04, 06).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dofcourse import checks
from dofcourse import device as _device
from dofcourse.projections.base import DEFAULT_MAX_BYTES, GIVEN, KINDS, StackedProjection
from dofcourse.projections.budget import ensemble_bytes
from dofcourse.projections.dense import _Dense, _Identity, _Orthonormal
from dofcourse.projections.fastfood import _Fastfood
from dofcourse.projections.given import _Basis, _Coordinates
from dofcourse.projections.sparse import _Sparse

# The random kinds are drawn from seeds; the given kinds take their directions too (``basis``):
# two constructor signatures, so two tables.
_DRAWN_KINDS: dict[str, type[StackedProjection]] = {
    c.kind: c for c in (_Dense, _Sparse, _Fastfood, _Orthonormal, _Identity)
}
_GIVEN_KINDS: dict[str, type[_Basis] | type[_Coordinates]] = {
    c.kind: c for c in (_Basis, _Coordinates)
}


def stack_projections(
    kind: str,
    D: int,
    ds: Sequence[int],
    seeds: Sequence[int],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    max_bytes: int = DEFAULT_MAX_BYTES,
    basis: torch.Tensor | None = None,
) -> StackedProjection:
    """E projections of one kind (member e: dimension ds[e], seed seeds[e]) applied together.

    Member e equals ``make_projection(kind, D, ds[e], seeds[e])`` exactly. ``basis`` gives the
    directions of the given kinds ("basis", "coordinates"; see the module text) and only those.
    """
    kind = checks.choice(kind, "kind", KINDS)
    D = checks.integer(D, "D", min=1)
    ds = checks.integers(ds, "ds", min=1)
    if max(ds) > D:
        raise ValueError(f"need 1 <= d <= D for every member, got D={D} and ds={ds}")
    if isinstance(seeds, str | bytes) or not hasattr(seeds, "__len__"):
        raise TypeError(f"seeds must be a sequence of integer seeds, got {seeds!r}")
    seeds = [checks.seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    if len(ds) != len(seeds):
        raise ValueError(f"need equally many ds and seeds, got {len(ds)} and {len(seeds)}")
    device = _device.resolve(device) if device is not None else torch.device("cpu")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    max_bytes = checks.integer(max_bytes, "max_bytes", min=1)
    need = ensemble_bytes(kind, D, ds, torch.finfo(dtype).bits // 8)
    other = (
        ", use kind='fastfood' (O(D) memory per member) or 'sparse'"
        if kind in ("dense", "orthonormal")
        else ""
    )
    checks.budget(need, f"{len(ds)} {kind} projection(s) with D={D}, d up to {max(ds)} (built "
                  "and trained: ensemble_bytes)", "train fewer members at once (subspace.sweep "
                  f"cuts its chunks to fit){other}, or raise max_bytes if the machine has the "
                  "memory", max_bytes=max_bytes)  # fmt: skip
    if kind in GIVEN:
        if basis is None:
            raise ValueError(f"kind={kind!r} needs its directions: pass basis=")
        return _GIVEN_KINDS[kind](D, ds, seeds, device, dtype, basis)
    if basis is not None:
        raise ValueError(
            f"basis= is for the given kinds {GIVEN}; kind={kind!r} is drawn from seeds"
        )
    return _DRAWN_KINDS[kind](D, ds, seeds, device, dtype)


class Projection:
    """One projection P (D x d): ``P(z)``: (..., d) -> (..., D); ``P.T(v)``: (..., D) -> (..., d).

    A thin view of a one-member ``StackedProjection``; ``matrix()`` materialises P (small D only).
    """

    def __init__(self, stacked: StackedProjection):
        self.stacked = stacked
        self.kind, self.D, self.d = stacked.kind, stacked.D, stacked.d_max
        self.seed = stacked.seeds[0]

    def __repr__(self) -> str:
        return f"Projection(kind={self.kind!r}, D={self.D}, d={self.d}, seed={self.seed})"

    def _batched(self, x: torch.Tensor, n_in: int, fn, name: str) -> torch.Tensor:
        x = checks.tensor(x, name, floating=True)
        if x.dim() == 0 or x.shape[-1] != n_in:
            raise ValueError(
                f"{name} must have shape (..., {n_in}) for {self!r}, got {tuple(x.shape)}"
            )
        lead = x.shape[:-1]
        out = fn(x.reshape(1, -1, n_in))
        return out.reshape(*lead, out.shape[-1])

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """P z for z of shape (..., d); returns (..., D) in the projection's dtype (z is converted
        to it, for every kind). Differentiable in z."""
        return self._batched(z, self.d, self.stacked.apply, "z")

    def T(self, v: torch.Tensor) -> torch.Tensor:  # noqa: N802 (reads like the math)
        """P^T v for v of shape (..., D); returns (..., d). Differentiable in v."""
        return self._batched(v, self.D, self.stacked.transpose, "v")

    def matrix(self) -> torch.Tensor:
        """P as a dense (D, d) tensor (applies P to the identity; for tests and small D)."""
        size = 2 * self.D * self.d * self.stacked.dtype.itemsize
        checks.budget(size, f"P as a dense {self.D} x {self.d} matrix",
                      "apply P to vectors (P(z), P.T(v)) instead of forming it")  # fmt: skip
        eye = torch.eye(self.d, dtype=self.stacked.dtype, device=self.stacked.mask.device)
        return self(eye).T

    def nbytes(self) -> int:
        """Bytes stored to represent P."""
        return self.stacked.nbytes()


def make_projection(
    kind: str,
    D: int,
    d: int,
    seed: int = 0,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    max_bytes: int = DEFAULT_MAX_BYTES,
    basis: torch.Tensor | None = None,
) -> Projection:
    """A random D x d projection of the given kind, reproducible from ``seed`` (for the given
    kinds "basis" and "coordinates": the directions in ``basis``, the seed picking one of a
    stack).

    Columns have unit norm in expectation (see the module docstring). ``max_bytes`` is the memory
    budget checked, before allocation, for the stored kinds ("dense", "orthonormal", "basis").
    """
    D, d = checks.integer(D, "D", min=1), checks.integer(d, "d", min=1)
    if d > D:
        raise ValueError(f"need 1 <= d <= D, got d={d} for D={D}")
    seed = checks.seed(seed, "seed")
    st = stack_projections(kind, D, [d], [seed], device=device, dtype=dtype, max_bytes=max_bytes,
                           basis=basis)  # fmt: skip
    return Projection(st)
