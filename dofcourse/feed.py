"""Where data enter training: validated once, at the boundary (chapter 00).

:func:`check_data` takes a dataset (the :class:`Data` protocol: ``dofcourse.data.Dataset`` has
it), converts what is unambiguous (NumPy arrays, the dtype and device of the model) and refuses
the rest with a message that names the problem; :func:`check_model_fits` runs the model on two
examples so that a shape or label mismatch fails with the shapes named. ``train.train`` and
``ensemble.train_members`` call both (``dofcourse.train`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch

from dofcourse import checks
from dofcourse import device as _device


class Data(Protocol):
    """What training needs of a dataset (``dofcourse.data.Dataset`` has it)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def check_data(
    data: Any, dtype: torch.dtype, device: torch.device, *, classification: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)`` of ``data`` validated and moved to ``device``.

    Inputs become ``dtype`` (the model's); class labels must be integers ≥ 0 (converted to
    int64), regression targets floats. Refused: a missing attribute, an empty training split,
    mismatched lengths, NaN or infinite inputs.
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    device = _device.resolve(device, "device")
    names = ("x_train", "y_train", "x_test", "y_test")
    missing = [n for n in names if not hasattr(data, n)]
    if missing:
        raise TypeError(
            f"data must have x_train, y_train, x_test, y_test (a dofcourse Dataset); "
            f"{type(data).__name__} lacks {', '.join(missing)}"
        )
    out = []
    for split in ("train", "test"):
        x = checks.tensor(getattr(data, f"x_{split}"), f"data.x_{split}", floating=True)
        y = checks.tensor(getattr(data, f"y_{split}"), f"data.y_{split}")
        if len(x) != len(y):
            raise ValueError(f"data.x_{split} has {len(x)} rows but data.y_{split} has {len(y)}")
        if split == "train" and len(x) == 0:
            raise ValueError("data.x_train is empty: there is nothing to train on")
        if classification:
            if y.is_floating_point() or y.dtype == torch.bool or y.dim() != 1:
                raise TypeError(
                    f"data.y_{split} must be a 1-D tensor of integer class labels, got dtype "
                    f"{y.dtype} and shape {tuple(y.shape)}"
                )
            if len(y) and int(y.min()) < 0:
                raise ValueError(f"data.y_{split} holds negative class labels")
            y = y.to(device=device, dtype=torch.int64)
        else:
            y = checks.tensor(y, f"data.y_{split}", floating=True).to(device=device, dtype=dtype)
        if len(x) and not bool(torch.isfinite(x).all()):
            raise ValueError(f"data.x_{split} contains NaN or infinite values")
        out += [x.to(device=device, dtype=dtype), y]
    return out[0], out[1], out[2], out[3]


def check_model_fits(
    forward: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor | None,
    name: str = "data",
    *,
    y_test: torch.Tensor | None = None,
) -> None:
    """Run the model on two examples: a shape mismatch fails here, with the shapes named, and
    class labels the model has no output for too (in ``y``, and in the test labels ``y_test``
    when given). ``name`` is what the messages call the data (``x`` and ``y`` are its inputs and
    labels)."""
    if not callable(forward):
        raise TypeError(f"forward must be a model or a function of the inputs, got {forward!r}")
    x = checks.tensor(x, "x", floating=True)
    try:
        with torch.no_grad():
            out = forward(x[:2])
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        raise ValueError(
            f"the model cannot be applied to the inputs of {name}, of shape "
            f"{tuple(x.shape[1:])} (for example images of another size, or a model built for "
            f"other data): {err}"
        ) from err
    for labels, what in ((y, name), (y_test, f"{name}.y_test")):
        if labels is not None and out.dim() == 2 and len(labels):
            hi = int(labels.max())
            if hi >= out.shape[1]:
                raise ValueError(
                    f"{what} holds class label {hi}, which does not exist for a model with "
                    f"{out.shape[1]} outputs (labels must lie in 0..{out.shape[1] - 1})"
                )
