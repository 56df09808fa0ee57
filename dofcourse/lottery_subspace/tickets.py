"""Lottery tickets as subspaces: the coordinates one-shot magnitude pruning keeps (chapter 06).

A lottery ticket (Frankle and Carbin 2019) trains only some weights of the network, from their
initial values, with the others at zero: an axis-aligned subspace through theta_0 * mask, the
``projections`` kind "coordinates". Its mask follows the reference code of Larsen et al. (2022):
train the full network briefly, rank the weights by the magnitude they reached (one global
ranking over all layers), and keep the d largest: :func:`magnitude_ranking` returns that ranking
(cached), so that every d is the top d of one list. :func:`random_ranking` is the control: the
same number of weights, chosen at random.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from dofcourse import checks, experiment, train
from dofcourse.params import flatten
from dofcourse.settings import TrainSettings


@experiment.cached
def magnitude_ranking(model: nn.Module, data: train.Data, settings: TrainSettings) -> Tensor:
    """All D coordinates (int64) in decreasing order of |theta| after training a copy of
    ``model`` with ``settings`` (the short "pre-training" that chooses the mask)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    settings = checks.settings(settings)
    trained = copy.deepcopy(model)
    train.train(trained, data, settings, eval_every=settings.steps, progress=False)
    theta = flatten(trained).abs().cpu()
    return torch.argsort(theta, descending=True, stable=True)


def random_ranking(D: int, seed: int = 0) -> Tensor:
    """A uniformly random ordering of the D coordinates (int64): random masks of every size."""
    D = checks.integer(D, "D", min=1)
    checks.budget(8.0 * D, f"a ranking of D = {D} coordinates", "use a smaller D", name="D")
    return torch.randperm(D, generator=torch.Generator().manual_seed(checks.seed(seed)))
