"""The IMP level loop on an ensemble of replicas, and the chunks it runs in (chapters 07, 08).

:func:`level_loop` trains rewind * mask (E, D), prunes by magnitude and repeats; the grid of
``imp.imp_runs`` calls it on chunks of points whose levels train equally long
(:func:`equal_lengths`, :func:`steps_per_level`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dofcourse import train
from dofcourse.pruning.masks import magnitude_prune
from dofcourse.pruning.rewind import chunk_size, even_parts, fit_flagged
from dofcourse.settings import TrainSettings


def level_loop(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    rewind: Tensor,
    order_seeds: list[int],
    levels: int,
    fraction: float,
    keep: Tensor,
    diverged: np.ndarray,
    progress: bool,
) -> dict:
    """The level loop: train rewind * mask (E, D) for ``settings.steps``, prune, repeat. Returns
    ``test_acc``, ``diverged`` (E, L+1) and ``prune_level`` (E, D) uint8 (the mask of level l is
    ``prune_level > l``)."""
    e = len(rewind)
    mask = torch.ones(rewind.shape, dtype=torch.bool)
    prune_level = torch.full(rewind.shape, levels + 1, dtype=torch.uint8)
    test = np.full((e, levels + 1), np.nan)
    flags = np.zeros((e, levels + 1), dtype=bool)
    div = diverged.copy()
    for lv in tqdm(range(levels + 1), desc="IMP levels", disable=not progress, leave=False):
        theta, hist, d = fit_flagged(model, data, settings, rewind, mask, order_seeds=order_seeds,
                                     eval_train=False, progress=False)  # fmt: skip
        div |= d
        flags[:, lv] = div
        test[:, lv] = np.where(div, np.nan, hist.test_acc[:, -1])
        if lv < levels:
            new = magnitude_prune(theta, mask, keep, fraction)
            prune_level[mask & ~new] = lv + 1
            mask = new
    return {"test_acc": test, "diverged": flags, "prune_level": prune_level}


def steps_per_level(settings: TrainSettings, level_steps: int | None, k: int) -> int:
    """Steps per level of a start rewound to k: the rest of ``settings.steps`` (T - k), unless
    ``level_steps`` is given."""
    return settings.steps - k if level_steps is None else level_steps


def equal_lengths(points: list[dict], fixed: dict) -> list[list[dict]]:
    """Chunks of points whose levels train for the same number of steps, of at most
    ``rewind.chunk_size`` points each (as even as that allows)."""
    groups: dict[int, list[dict]] = {}
    for p in points:
        n = steps_per_level(fixed["settings"], fixed.get("level_steps"), p["start"].k)
        groups.setdefault(n, []).append(p)
    return [part for g in groups.values() for part in even_parts(g, chunk_size(fixed["data"]))]
