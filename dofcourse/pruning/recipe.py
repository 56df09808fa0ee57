"""The recipe of chapters 07 and 08: which network, how long, which batch and learning rates.

Frankle & Carbin (2019) prune Conv-2 on CIFAR-10 and LeNet-300-100 on MNIST; the chapters take
CIFAR-10 where it has been downloaded and the embedded MNIST subset otherwise
(``data.load_or``), so the recipe follows the data: :func:`recipe` gives the network theta_0
(``rewind.network``) and the SGD settings (momentum 0.9) for it, in the running mode
(``config.size``: quick mode trains T = 200 steps). Both chapters read it from here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from dofcourse import config
from dofcourse.data import Dataset
from dofcourse.pruning.rewind import network
from dofcourse.settings import TrainSettings


@dataclass(frozen=True)
class Recipe:
    """``model`` (theta_0 on the data's device), ``settings`` (T = ``settings.steps`` steps of
    SGD with momentum 0.9, its batch and learning rate), ``lr_high`` (the larger learning rate
    of chapter 07's instability analysis) and ``on_cifar`` (Conv-2 on CIFAR-10, or LeNet-300-100
    on MNIST). Chapters 07 and 08."""

    model: nn.Module
    settings: TrainSettings
    lr_high: float
    on_cifar: bool


def recipe(data: Dataset) -> Recipe:
    """The network and training of chapters 07 and 08 for ``data`` (see the module text): on
    CIFAR-10, T = 3000 steps (full mode) of batch 128 at lr 0.05 (0.1 the larger); otherwise
    T = 400 steps (full) of batch 60 at lr 0.1. Quick mode: T = 200.

    The larger rate is the smallest of 0.12 and 0.15 at which copies from theta_0 end apart
    (error barrier above 2 %) in T steps. Measured for LeNet-300-100 on the MNIST subset (the
    chapters' seeds: 0-2 at T = 200, 0-4 at T = 400; 2026-12): at T = 200, lr 0.12 is stable
    (barrier 0.013) and 0.15 is not (0.082, falling to 0.023 at k = 100); at T = 400, lr 0.12
    is not (0.034, falling to 0.009) and 0.15 trains erratically (barrier 0.15-0.17 at every k
    up to 100, ends at 70-79 % test accuracy)."""
    model = network(data)  # checks data
    on_cifar = data.name.startswith("cifar")
    steps = config.size(full=3000 if on_cifar else 400, quick=200)
    lr_high = 0.1 if on_cifar else config.size(full=0.12, quick=0.15)
    batch, lr = (128, 0.05) if on_cifar else (60, 0.1)
    settings = TrainSettings(steps=steps, lr=lr, momentum=0.9, batch_size=batch)
    return Recipe(model, settings, lr_high, on_cifar)
