"""The networks of chapter 10's confusion sweep: plain deep MLPs and their BN + skip twins.

Sankararaman et al. (ICML 2020) compare networks of growing width and depth, with and without
batch normalisation and skip connections. Here both kinds are fully connected ReLU networks of
``depth`` hidden layers of ``width`` units on flattened images:

* ``"plain"``: ``dofcourse.models.mlp`` with ``hidden = (width,) * depth``;
* ``"bn_skip"``: a pre-activation residual MLP. A first linear layer maps the input to ``width``
  units; each of the ``depth - 1`` blocks adds ``Linear(ReLU(BN(h)))`` to its input h; the head
  is ``Linear(ReLU(BN(h)))``. Same widths and depth, a few more parameters (the BN scales).

Batch normalisation keeps no running statistics here (``track_running_stats=False``): the
network normalises every batch it sees by that batch's own mean and variance, in training and in
evaluation alike. So it has no buffers, and ``torch.func`` (the ensemble's ``vmap``, per-example
gradients by ``jacrev``) treats it as the pure function of its parameters that it is; the price
is that the examples of a batch interact (``dofcourse.per_example`` says how that is
handled). Chapter 10.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from dofcourse import checks, models

ARCHS = ("plain", "bn_skip")
INITS = ("torch", "he")


def _he_init(model: nn.Module) -> nn.Module:
    """Re-initialise every linear layer of ``model`` in place by He et al. (2015): weights
    N(0, 2/fan_in) (``kaiming_normal_``, ReLU gain), biases zero; return ``model``. Draws from
    torch's global generator (``models.build`` seeds and forks it). Chapter 10."""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


class _Block(nn.Module):
    """h + Linear(ReLU(BN(h))): one pre-activation residual block of width ``width``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(width, track_running_stats=False)
        self.linear = nn.Linear(width, width)

    def forward(self, h: Tensor) -> Tensor:
        return h + self.linear(torch.relu(self.norm(h)))


def residual_mlp(input_shape: Sequence[int], n_classes: int, width: int, depth: int) -> nn.Module:
    """A residual MLP with batch normalisation: ``depth`` hidden layers of ``width`` units (the
    first linear, then ``depth - 1`` residual blocks), a BN + ReLU + linear head. Chapter 10."""
    shape = checks.integers(input_shape, "input_shape", min=1)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    n_classes = checks.integer(n_classes, "n_classes", min=2)
    width = checks.integer(width, "width", min=1)
    depth = checks.integer(depth, "depth", min=1)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(shape[0] * shape[1] * shape[2], width),
        *[_Block(width) for _ in range(depth - 1)],
        nn.BatchNorm1d(width, track_running_stats=False), nn.ReLU(), nn.Linear(width, n_classes),
    )  # fmt: skip


def network(
    input_shape: Sequence[int],
    n_classes: int,
    *,
    width: int,
    depth: int,
    arch: str = "plain",
    init_seed: int = 0,
    init: str = "torch",
) -> nn.Module:
    """The ``arch`` network (``"plain"`` or ``"bn_skip"``) of ``depth`` hidden layers of ``width``
    units, initialised from ``init_seed`` (the global generator is left untouched) by ``init``:
    ``"torch"`` (PyTorch's default for linear layers: weights and biases uniform with variance
    1/(3 fan_in)) or ``"he"`` (He et al. 2015: weights N(0, 2/fan_in), biases zero). Chapter 10."""
    arch = checks.choice(arch, "arch", ARCHS)
    width = checks.integer(width, "width", min=1)
    depth = checks.integer(depth, "depth", min=1)
    init = checks.choice(init, "init", INITS)

    def make() -> nn.Module:
        if arch == "plain":
            model = models.mlp(input_shape, n_classes, hidden=(width,) * depth)
        else:
            model = residual_mlp(input_shape, n_classes, width, depth)
        return _he_init(model) if init == "he" else model

    return models.build(make, init_seed=init_seed)
