"""Mini-batches for E members: one shared order, or each member its own order and pool of
examples (``order_seeds``: replicas, chapter 07; ``pools``: data subsets, chapter 08).
"""

from __future__ import annotations

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.settings import batch_order, batch_stream


class _Batches:
    """Mini-batches for every member: shared, x_b (B, ...), or one per member, x_b (E, B, ...)."""

    def __init__(self, x, y, e, settings, order_seeds, pools, device):
        n_train = len(x)
        self.x, self.y = x, y
        self.shared = order_seeds is None and pools is None
        if self.shared:
            self.it = batch_stream(x, y, settings.batch_size, settings.order_seed)
            return
        seeds = list(order_seeds) if order_seeds is not None else [settings.order_seed] * e
        seeds = [checks.seed(s, f"order_seeds[{i}]") for i, s in enumerate(seeds)]
        if len(seeds) != e:
            raise ValueError(f"order_seeds must have one seed per member ({e}), got {len(seeds)}")
        if pools is not None:
            if len(pools) != e:
                raise ValueError(
                    f"pools must have one index set per member ({e}), got {len(pools)}"
                )
            pools = [
                checks.tensor(p, f"pools[{i}]", ndim=1, floating=False) for i, p in enumerate(pools)
            ]
            for i, p in enumerate(pools):
                if p.numel() == 0 or int(p.min()) < 0 or int(p.max()) >= n_train:
                    raise ValueError(f"pools[{i}] must be non-empty indices in 0..{n_train - 1}")
            sizes = {len(p) for p in pools}
            full = settings.batch_size is None or settings.batch_size >= min(sizes)
            if full and len(sizes) > 1:
                raise ValueError("full-batch training on pools needs pools of equal size")
        else:
            pools = [torch.arange(n_train)] * e
        self.its = [
            batch_order(p, settings.batch_size, s, device)
            for p, s in zip(pools, seeds, strict=True)
        ]

    def next(self) -> tuple[Tensor, Tensor]:
        if self.shared:
            return next(self.it)
        idx = torch.stack([next(it) for it in self.its])
        return self.x[idx], self.y[idx]
