"""The file formats of the downloadable datasets, read into NumPy arrays.

- IDX (MNIST, Fashion-MNIST), gzipped or not: :func:`read_idx`;
- CIFAR-10's python tarball of pickled batches, read without extracting it.

Both give images (N, C, H, W) float32 in [0, 1] and int64 labels; a file that is not in the
format raises a :class:`DatasetError` that says to delete it. Chapter 00 says where the data come
from.
"""

from __future__ import annotations

import gzip
import os
import pickle
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dofcourse.data.dataset import DatasetError

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path | str) -> np.ndarray:
    """Parse a (gzipped) IDX file, the format of MNIST and Fashion-MNIST, into an array.

    Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then each
    dimension as a big-endian uint32; the data follow in C order. Images are 2051 = 0x00000803,
    labels 2049 = 0x00000801. Chapter 00.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got {path!r}")
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # a folder, a broken gzip stream, an unreadable file
        raise DatasetError(
            f"cannot read {path} as an IDX file ({err}); delete it and reload"
        ) from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path} is not an IDX file (bad magic number); delete it and reload")
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(dims)) * dtype.itemsize:
        raise DatasetError(f"{path} is truncated or padded (header says {dims}); delete it")
    values = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims)
    return values.astype(dtype.newbyteorder("="))


def read_mnist_files(paths: Sequence[Path]) -> tuple[np.ndarray, ...]:
    """MNIST-style files (train images, train labels, test images, test labels) → arrays.
    Chapter 00."""
    out = []
    for images_path, labels_path in (paths[0:2], paths[2:4]):
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(
                f"{images_path} / {labels_path}: expected (N, H, W) images and (N,) labels, "
                f"got {images.shape} and {labels.shape}"
            )
        x = images[:, None].astype(np.float32)
        x /= 255.0
        out += [x, labels.astype(np.int64)]
    return tuple(out)


def read_cifar10(archive: Path) -> tuple[np.ndarray, ...]:
    """CIFAR-10's python tarball (pickled batches ``data_batch_1..5``, ``test_batch``) → arrays.

    Each batch is a dict with ``b"data"`` (n, 3072) uint8 in channel-major order (1024 red, 1024
    green, 1024 blue values per image) and ``b"labels"`` (a list of n ints). Read straight from
    the verified archive without extracting it. Chapter 00.
    """
    batches = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:  # in archive order, so the gzip stream is read once
            base = member.name.rsplit("/", 1)[-1]
            if member.isfile() and (base.startswith("data_batch_") or base == "test_batch"):
                with tar.extractfile(member) as f:
                    batches[base] = pickle.load(f, encoding="bytes")
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if n not in batches]
    if missing:
        raise DatasetError(f"{archive} lacks {missing}; delete it and load again")

    def arrays(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # Straight to float32 and scaled in place: the training images alone are 0.6 GB.
        x = np.concatenate([np.asarray(batches[k][b"data"]) for k in keys], dtype=np.float32)
        x /= 255.0
        y = np.concatenate([np.asarray(batches[k][b"labels"], dtype=np.int64) for k in keys])
        return x.reshape(-1, 3, 32, 32), y

    return (*arrays(names[:5]), *arrays(names[5:]))
