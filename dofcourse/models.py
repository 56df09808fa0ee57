"""The networks the course trains, from a fully connected net to a small ResNet.

Every constructor takes the input shape ``(C, H, W)`` and the number of classes, so the same call
builds a model for 8×8 digits, 28×28 MNIST or 32×32 CIFAR-10. Inputs are image batches of shape
``(N, C, H, W)``; the MLP flattens them itself. Their parameter count D, the number the course
asks about, is ``dofcourse.params.count(model)``. Sizes are checked when a model is built (a
layer of width 0, a float width, a one-class output): one error that names the argument. Chapter
00 compares them all; chapter 03 trains the MLP and LeNet-5 in random subspaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch
from torch import nn

from dofcourse import checks
from dofcourse import device as _device

Shape = tuple[int, int, int]
M = TypeVar("M", bound=nn.Module)


def build(
    ctor: Callable[..., M],
    *args: Any,
    init_seed: int,
    device: torch.device | str | None = None,
    **kwargs: Any,
) -> M:
    """``ctor(*args, **kwargs)`` initialised from ``init_seed``, then moved to ``device``: the one
    way the package makes a model from a seed (``models.build(models.mlp, (1, 28, 28), 10,
    hidden=(300, 100), init_seed=0)``).

    The constructor runs on the CPU with torch's CPU generator seeded by ``init_seed`` inside
    ``torch.random.fork_rng``: the same seed gives the same parameters on every device, and the
    caller's random state (CPU and accelerators) is left exactly as it was. Chapters 02, 07-10.
    """
    if not callable(ctor):
        raise TypeError(f"ctor must be a callable that returns a model, got {type(ctor).__name__}")
    init_seed = checks.seed(init_seed, "init_seed")
    device = None if device is None else _device.resolve(device)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(init_seed)  # the CPU generator only, and forked
        model = ctor(*args, **kwargs)
    return model if device is None else model.to(device)


def _check(input_shape: Sequence[int], n_classes: int) -> Shape:
    shape = checks.integers(input_shape, "input_shape", min=1)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    checks.integer(n_classes, "n_classes", min=2)
    return (shape[0], shape[1], shape[2])


def _flat_size(features: nn.Module, shape: Shape) -> int:
    """Size of ``features`` output for one input of ``shape`` (found by a dry run)."""
    with torch.no_grad():
        return features(torch.zeros(1, *shape)).numel()


def mlp(
    input_shape: Sequence[int], n_classes: int, hidden: Sequence[int] = (200, 200)
) -> nn.Module:
    """Fully connected ReLU net; ``hidden=(200, 200)`` on MNIST is Li et al.'s 784-200-200-10
    (chapters 00 and 03). ``hidden=()`` is a linear (softmax) classifier; every width must be ≥ 1.
    """
    shape = _check(input_shape, n_classes)
    if isinstance(hidden, str | bytes) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a sequence of layer widths, got {hidden!r}")
    hidden = [checks.integer(w, f"hidden[{i}]", min=1) for i, w in enumerate(hidden)]
    widths = [shape[0] * shape[1] * shape[2], *hidden]
    layers: list[nn.Module] = [nn.Flatten()]
    for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(w_in, w_out), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], n_classes))
    return nn.Sequential(*layers)


POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def conv_features(
    input_shape: Sequence[int], channels: Sequence[int], pool: str = "max"
) -> tuple[nn.Sequential, int]:
    """The convolutional trunk of the course's conv nets and its output size for one input of
    ``input_shape`` (C, H, W): per entry of ``channels`` a 3×3 conv ("same" padding), ReLU and
    2×2 ``pool`` ("max" or "avg"; skipped once the feature map is a single pixel), then a
    flatten. ``conv2``/``conv3`` (chapter 00) and ``phase.conv2_small`` (chapters 05-06) put
    their dense layers on it."""
    shape = checks.integers(input_shape, "input_shape", min=1)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    channels = checks.integers(channels, "channels", min=1)
    pool_layer = POOLS[checks.choice(pool, "pool", POOLS)]
    layers: list[nn.Module] = []
    c_in, side = shape[0], min(shape[1:])
    for c_out in channels:
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        if side >= 2:
            layers.append(pool_layer(2))
            side //= 2
        c_in = c_out
    features = nn.Sequential(*layers, nn.Flatten())
    return features, _flat_size(features, (shape[0], shape[1], shape[2]))


def _conv_net(shape: Shape, n_classes: int, channels: Sequence[int], fc: int) -> nn.Module:
    """:func:`conv_features` with max pooling, then two fully connected layers."""
    features, flat = conv_features(shape, channels)
    return nn.Sequential(
        features,
        nn.Linear(flat, fc),
        nn.ReLU(),
        nn.Linear(fc, fc),
        nn.ReLU(),
        nn.Linear(fc, n_classes),
    )


def conv2(input_shape: Sequence[int], n_classes: int, width: int = 32) -> nn.Module:
    """Two conv layers (``width``, ``2·width`` channels) and a 256-256 fully connected head
    (chapter 00: its first dense layer grows with the image's area)."""
    width = checks.integer(width, "width", min=1)
    return _conv_net(_check(input_shape, n_classes), n_classes, (width, 2 * width), fc=256)


def conv3(input_shape: Sequence[int], n_classes: int, width: int = 32) -> nn.Module:
    """Three conv layers (``width``, ``2·width``, ``4·width``) and a 256-256 head (chapter 00)."""
    width = checks.integer(width, "width", min=1)
    return _conv_net(_check(input_shape, n_classes), n_classes, (width, 2 * width, 4 * width), 256)


def lenet5(input_shape: Sequence[int], n_classes: int) -> nn.Module:
    """LeNet-5 (LeCun et al. 1998) with ReLU and max-pooling: 5×5 convs of 6 and 16 channels, then
    120-84 fully connected (chapters 00 and 03). The second conv is padded on inputs smaller than
    20 pixels (8×8 digits) so that the feature map does not vanish."""
    shape = _check(input_shape, n_classes)
    pad2 = 0 if min(shape[1:]) >= 20 else 2
    features = nn.Sequential(
        nn.Conv2d(shape[0], 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=pad2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
    )  # fmt: skip
    flat = _flat_size(features, shape)
    return nn.Sequential(
        features, nn.Linear(flat, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, n_classes),
    )  # fmt: skip


class _Block(nn.Module):
    """Basic residual block: two 3×3 convs with GroupNorm, and a 1×1 shortcut when shapes change."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.GroupNorm(min(8, c_out), c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.GroupNorm(min(8, c_out), c_out),
        )  # fmt: skip
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet_small(input_shape: Sequence[int], n_classes: int, width: int = 16) -> nn.Module:
    """A ResNet-8: a stem and three residual stages (``width``, 2·, 4· channels), one block each.

    GroupNorm instead of BatchNorm keeps the model a pure function of its parameters, which
    ``torch.func`` transforms (vmapped ensembles, Hessian-vector products) need. Global average
    pooling makes its D independent of the image size (chapter 00).
    """
    shape = _check(input_shape, n_classes)
    w = checks.integer(width, "width", min=1)
    return nn.Sequential(
        nn.Conv2d(shape[0], w, 3, padding=1, bias=False), nn.GroupNorm(min(8, w), w), nn.ReLU(),
        _Block(w, w, 1), _Block(w, 2 * w, 2), _Block(2 * w, 4 * w, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, n_classes),
    )  # fmt: skip
