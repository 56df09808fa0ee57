"""How to train: one frozen, validated, hashable settings type, and the mini-batch order it fixes.

Every training in the course, of one network (``dofcourse.train``) or of an ensemble
(``dofcourse.ensemble``), is described by a :class:`TrainSettings`: number of steps, learning
rate, optimiser, batch size, momentum, weight decay and the seed of the mini-batch order. The
values are checked once, when the settings are made, so a wrong one fails there with a message
that names it; being frozen and hashable, the settings are part of a cached result's key
(``dofcourse.experiment``) as they are.

Seeds are named by what they seed: ``order_seed`` here is the order of the mini-batches only; the
initialisation, the projection of a subspace and the data split each have their own seed argument
where they are made (``init_seed``, ``proj_seed``, ``split_seed``).
Taught in chapter 00 (a first training run) and used by every chapter after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from dofcourse import checks
from dofcourse import device as _device

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TrainSettings:
    """Settings of one training run.

    ``batch_size=None`` (or ≥ the number of examples) trains full-batch. ``momentum`` applies to
    SGD only (heavy ball, as ``torch.optim.SGD``); Adam uses torch's default betas.
    """

    steps: int
    lr: float
    optimizer: str = "sgd"
    batch_size: int | None = None
    momentum: float = 0.0
    weight_decay: float = 0.0
    order_seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "steps", checks.integer(self.steps, "steps", min=1))
        set_(self, "lr", checks.real(self.lr, "lr", min=0.0, open_min=True))
        set_(self, "optimizer", checks.choice(self.optimizer, "optimizer", OPTIMIZERS))
        if self.batch_size is not None:
            set_(self, "batch_size", checks.integer(self.batch_size, "batch_size", min=1))
        set_(
            self,
            "momentum",
            checks.real(self.momentum, "momentum", min=0.0, max=1.0, open_max=True),
        )
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"momentum applies to optimizer='sgd' only, got {self.optimizer!r}")
        set_(self, "weight_decay", checks.real(self.weight_decay, "weight_decay", min=0.0))
        set_(self, "order_seed", checks.seed(self.order_seed, "order_seed"))

    def replace(self, **changes: Any) -> TrainSettings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def optimizer_for(self, params: Any) -> torch.optim.Optimizer:
        """The ``torch.optim`` optimiser these settings describe, over ``params`` (tensors).

        Fused (one kernel for all tensors) where torch has it, floating-point tensors on a CPU or
        a GPU: on a CPU, Adam's step for Li et al.'s MLP (D = 199,210) takes about a third of the
        time of torch's default loop over the tensors (``benchmarks/bench_speed.py`` prints both),
        and the result is the same up to rounding.
        """
        params = list(params)
        fused = all(
            isinstance(p, torch.Tensor)
            and p.is_floating_point()
            and p.device.type in ("cpu", "cuda")
            for p in params
        )
        if self.optimizer == "sgd":
            return torch.optim.SGD(
                params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay,
                fused=fused or None,
            )  # fmt: skip
        return torch.optim.Adam(
            params, lr=self.lr, weight_decay=self.weight_decay, fused=fused or None
        )

    def is_full_batch(self, n: int) -> bool:
        """True when a step uses all ``n`` examples."""
        return self.batch_size is None or self.batch_size >= n


def batch_order(
    pool: int | torch.Tensor,
    batch_size: int | None,
    seed: int,
    device: torch.device | str = "cpu",
) -> Iterator[torch.Tensor | None]:
    """The endless stream of mini-batch index tensors (batch_size,), a fresh permutation per epoch.

    ``pool`` is the number of examples n (indices 0..n-1) or a tensor of the indices to draw from
    (a data subset, chapter 08). The last incomplete batch of an epoch is dropped, so every step
    sees ``batch_size`` examples. Yields ``None`` forever for full-batch training over all n
    examples. The permutation is drawn on the CPU from ``seed``: the same order on every device.
    """
    if isinstance(pool, torch.Tensor):
        idx = checks.tensor(pool, "pool", ndim=1, floating=False).to("cpu", torch.int64)
        n = len(idx)
    else:
        idx, n = None, checks.integer(pool, "pool", min=0)
    if n < 1:
        raise ValueError("pool: cannot draw mini-batches from an empty set of examples")
    batch_size, seed = _check_batches(batch_size, seed)  # now, not at the first next()
    device = _device.resolve(device, "device")
    return _orders(idx, n, batch_size, seed, device)


def _orders(idx, n, batch_size, seed, device) -> Iterator[torch.Tensor | None]:
    if batch_size is None or batch_size >= n:
        if idx is None:
            while True:
                yield None
        full = idx.to(device)
        while True:
            yield full
    gen = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(n, generator=gen)
        if idx is not None:
            perm = idx[perm]
        perm = perm.to(device)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perm[start : start + batch_size]


def batch_stream(
    x: torch.Tensor, y: torch.Tensor, batch_size: int | None, seed: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The endless stream of mini-batches (x_b, y_b) in the order of :func:`batch_order`.

    The examples are permuted once per epoch (one gather of the whole set) and the batches are
    slices of it: views, not copies, so a step pays no indexing of its own. Full batch: (x, y).
    """
    x, y = checks.tensor(x, "x"), checks.tensor(y, "y")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    batch_size, seed = _check_batches(batch_size, seed)  # now, not at the first next()
    return _stream(x, y, batch_size, seed)


def _stream(x, y, batch_size, seed) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    n = len(x)
    if batch_size is None or batch_size >= n:
        while True:
            yield x, y
    gen = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(n, generator=gen).to(x.device)
        xs, ys = x[perm], y[perm]
        for start in range(0, n - batch_size + 1, batch_size):
            yield xs[start : start + batch_size], ys[start : start + batch_size]


def _check_batches(batch_size: int | None, seed: int) -> tuple[int | None, int]:
    if batch_size is not None:
        batch_size = checks.integer(batch_size, "batch_size", min=1)
    return batch_size, checks.seed(seed, "seed")
