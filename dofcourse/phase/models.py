"""Conv-2, the small convolutional network of Larsen et al. (2022): the full-size model of
chapters 05 and 06.

Two 3x3 convolutions ("same" padding) with [16, 32] channels, each followed by ReLU and 2x2
average pooling, then one dense layer to the classes: D = 20,490 on 28x28 MNIST. It differs
from ``models.conv2`` (max pooling, two hidden dense layers of 256). Without normalisation
layers it is a pure function of its parameters, as ``torch.func`` needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from dofcourse import checks
from dofcourse.models import conv_features


def conv2_small(
    input_shape: Sequence[int], n_classes: int, channels: Sequence[int] = (16, 32)
) -> nn.Module:
    """Conv-2: per entry of ``channels`` a 3x3 conv, ReLU and 2x2 average pooling (skipped once
    the feature map is a single pixel), then a dense layer. Inputs (N, C, H, W)."""
    n_classes = checks.integer(n_classes, "n_classes", min=2)
    features, flat = conv_features(input_shape, channels, pool="avg")
    return nn.Sequential(features, nn.Linear(flat, n_classes))
