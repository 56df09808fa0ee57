"""Where data enter training: validated once, at the boundary (chapter 00).

:func:`check_xy` is the one check of examples, inputs ``x`` (N, ...) and targets ``y``: every
public function that takes data calls it (``train.train`` and ``ensemble.train_members`` through
:func:`check_data`, the evaluators through ``ensemble.check_examples`` and ``train.evaluate``, the
Hessian operator of chapter 02). :func:`check_data` applies it to both splits of a dataset (the
:class:`Data` protocol: ``dofcourse.data.Dataset`` has it). Both convert what is unambiguous
(NumPy arrays, the dtype and device of the model) and refuse the rest with a message that names
the problem; :func:`check_model_fits` runs the model on two examples so that a shape or label
mismatch fails with the shapes named (``dofcourse.train`` re-exports all three).
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


TARGETS = ("labels", "values", "either")


def check_xy(
    x: Any,
    y: Any,
    *,
    targets: str = "labels",
    names: tuple[str, str] = ("x", "y"),
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    empty: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Examples ``x`` (N, ...) and targets ``y`` validated, as ``(x, y)`` on ``device``.

    ``targets="labels"``: ``y`` (N,) holds integer class labels >= 0 (returned as int64; the upper
    end is the model's to check, :func:`check_model_fits`); ``"values"``: ``y`` (N, ...) holds
    finite floats (returned in ``dtype``); ``"either"``: labels if ``y`` is an integer tensor,
    values otherwise (the Hessian of chapter 02 takes any loss). ``x`` must be finite floats
    (returned in ``dtype``) with as many rows as ``y``; ``empty=False`` refuses N = 0. ``names``
    are what the messages call ``x`` and ``y``. NumPy arrays are converted.
    """
    targets = checks.choice(targets, "targets", TARGETS)
    xn, yn = names
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    if device is not None:
        device = _device.resolve(device, "device")
    x = checks.tensor(x, xn, floating=True, finite=True)
    y = checks.tensor(y, yn)
    if len(x) != len(y):
        raise ValueError(f"{xn} has {len(x)} rows but {yn} has {len(y)}")
    if not checks.boolean(empty, "empty") and len(x) == 0:
        raise ValueError(f"{xn} and {yn} are empty: there are no examples to use")
    if targets == "labels" or (targets == "either" and not y.is_floating_point()):
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool or y.dim() != 1:
            raise TypeError(
                f"{yn} must be a 1-D tensor of integer class labels, got dtype {y.dtype} and "
                f"shape {tuple(y.shape)}"
            )
        if len(y) and int(y.min()) < 0:
            raise ValueError(f"{yn} holds negative class labels")
        y = y.to(device=device, dtype=torch.int64)
    else:
        y = checks.tensor(y, yn, floating=True, finite=True).to(device=device, dtype=dtype)
    return x.to(device=device, dtype=dtype), y


def check_data(
    data: Any, dtype: torch.dtype, device: torch.device, *, classification: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)`` of ``data`` validated and moved to ``device``:
    :func:`check_xy` on each split, with class labels (``classification``) or regression targets,
    and a non-empty training split. Inputs become ``dtype`` (the model's). Refused besides: a
    missing attribute.
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
    targets = "labels" if classification else "values"
    x, y = check_xy(data.x_train, data.y_train, targets=targets, dtype=dtype, device=device,
                    names=("data.x_train", "data.y_train"), empty=False)  # fmt: skip
    x_test, y_test = check_xy(data.x_test, data.y_test, targets=targets, dtype=dtype,
                              device=device, names=("data.x_test", "data.y_test"))  # fmt: skip
    return x, y, x_test, y_test


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
