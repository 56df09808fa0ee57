"""The course's datasets by name, and :func:`load`, the one way to get one.

``load(name)`` returns a :class:`~dofcourse.data.dataset.Dataset` on the compute device, every
channel standardised with the training split's statistics. Embedded datasets (``EMBEDDED``) ship
inside installed packages and are split by ``split_seed``; downloaded ones (``DOWNLOADED``) keep
their canonical train/test split, so ``split_seed`` does not apply to them. Taught in chapter 00.
"""

from __future__ import annotations

import torch

from dofcourse import device as _device
from dofcourse.data import embedded, formats
from dofcourse.data.dataset import Dataset, DatasetError, _renamed, from_arrays
from dofcourse.data.download import read_verified
from dofcourse.data.sources import SOURCES

EMBEDDED = ("digits", "mnist_subset")
DOWNLOADED = ("mnist", "fashion_mnist", "cifar10")
NAMES = EMBEDDED + DOWNLOADED


def load(
    name: str,
    *,
    split_seed: int = 0,
    device: torch.device | str | None = None,
    seed: int | None = None,
) -> Dataset:
    """Dataset ``name`` (one of :data:`NAMES`) as a normalised :class:`Dataset` on ``device``.

    ``split_seed`` (0..2**32 − 1) shuffles the stratified train/test split of the embedded
    datasets; the downloaded ones keep their canonical split and refuse any other split seed
    than 0. ``device`` defaults to :func:`dofcourse.device.get_device`. ``seed`` is the old name
    of ``split_seed`` (deprecated). Raises :class:`DatasetError` for an unknown name or a
    download that cannot be completed (the message says what to do). Chapter 00.
    """
    if not isinstance(name, str) or name not in NAMES:
        raise DatasetError(
            f"unknown dataset name={name!r}; choose one of {', '.join(map(repr, NAMES))} "
            f"(embedded, no network needed: {', '.join(map(repr, EMBEDDED))})"
        )
    split_seed = _renamed(seed, split_seed, "split_seed", default=0)
    split_seed = embedded.check_split_seed(split_seed)
    if name in DOWNLOADED and split_seed != 0:
        raise ValueError(
            f"split_seed={split_seed} does not apply to {name!r}: it keeps its canonical "
            "train/test split (use split_seed=0, or .subsample(n, sample_seed=...) for a "
            "random part of the training split)"
        )
    target = _device.get_device() if device is None else _check_device(device)
    if name in EMBEDDED:
        arrays = embedded.split_arrays(name, split_seed)
    elif name == "cifar10":
        arrays = formats.read_cifar10(read_verified(name)[0])
    else:
        files = [r.filename for r in SOURCES[name].files]
        arrays = formats.read_mnist_files(read_verified(name), files)
    return from_arrays(name, *arrays).to(target)


def load_or(name: str, fallback: str, *, device: torch.device | str | None = None) -> Dataset:
    """Dataset ``name``, or ``fallback`` where ``name`` cannot be loaded (a download not made, no
    network): chapters 07 and 08 in full mode take CIFAR-10 when it has been fetched and the
    embedded MNIST subset otherwise. Prints which one it took and why; an unknown name of
    either is still an error. Chapter 07.
    """
    if fallback not in NAMES:
        raise DatasetError(f"unknown fallback={fallback!r}; choose one of {', '.join(NAMES)}")
    if name not in NAMES:
        raise DatasetError(f"unknown dataset name={name!r}; choose one of {', '.join(NAMES)}")
    try:
        return load(name, device=device)
    except (DatasetError, OSError) as err:  # OSError: a read-only or unreachable data folder
        print(f"{name} is not available ({err}); using {fallback}")
        return load(fallback, device=device)


def _check_device(device: torch.device | str) -> torch.device:
    return _device.resolve(device, "device")


__all__ = ["DOWNLOADED", "EMBEDDED", "NAMES", "DatasetError", "load", "load_or"]
