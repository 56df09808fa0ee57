"""The file formats of the downloadable datasets, read into NumPy arrays.

- IDX (MNIST, Fashion-MNIST), gzipped or not: :func:`read_idx`;
- CIFAR-10's python tarball of pickled batches, read without extracting it.

Both give images (N, C, H, W) float32 in [0, 1] and int64 labels; a file that is not in the
format raises a :class:`DatasetError` that says to delete it. Chapter 00 says where the data come
from.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    try:
        raw = path.read_bytes()
    except OSError as err:  # a folder, an unreadable file
        raise DatasetError(
            f"cannot read {path} as an IDX file ({err}); delete it and reload"
        ) from err
    return _parse_idx(raw, str(path))


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """An IDX file's bytes (gzipped or not) as an array; ``name`` is what errors call it."""
    if raw[:2] == b"\x1f\x8b":  # gzip
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:  # a broken gzip stream
            raise DatasetError(
                f"cannot read {name} as an IDX file ({err}); delete it and reload"
            ) from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{name} is not an IDX file (bad magic number); delete it and reload")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise DatasetError(f"{name} is truncated (its header is cut short); delete it")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    if len(raw) - offset != int(np.prod(dims)) * dtype.itemsize:
        raise DatasetError(f"{name} is truncated or padded (header says {dims}); delete it")
    values = np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims)
    return values.astype(dtype.newbyteorder("="))


def read_mnist_files(files: Sequence[bytes], names: Sequence[str]) -> tuple[np.ndarray, ...]:
    """MNIST-style files' verified contents (train images, train labels, test images, test
    labels; ``names`` for messages) → arrays. Chapter 00."""
    out = []
    for i in (0, 2):
        images, labels = _parse_idx(files[i], names[i]), _parse_idx(files[i + 1], names[i + 1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(
                f"{names[i]} / {names[i + 1]}: expected (N, H, W) images and (N,) labels, "
                f"got {images.shape} and {labels.shape}"
            )
        x = images[:, None].astype(np.float32)
        x /= 255.0
        out += [x, labels.astype(np.int64)]
    return tuple(out)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds only what CIFAR-10's batches hold (dicts, lists, bytes, ints and
    NumPy arrays): any other class or function a pickle names is refused, never called."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a CIFAR-10 batch")
        return super().find_class(module, name)


def read_cifar10(archive: bytes, name: str = "cifar-10-python.tar.gz") -> tuple[np.ndarray, ...]:
    """CIFAR-10's python tarball (pickled batches ``data_batch_1..5``, ``test_batch``) → arrays.

    ``archive`` is the tarball's verified contents (``download.read_verified``: the bytes that
    were checked are the bytes parsed), ``name`` what messages call it. Each batch is a dict with
    ``b"data"`` (n, 3072) uint8 in channel-major order (1024 red, 1024 green, 1024 blue values
    per image) and ``b"labels"`` (a list of n ints); it is unpickled by an unpickler that builds
    nothing else. Read without extracting the archive. Chapter 00.
    """
    batches = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar:  # in archive order, so the gzip stream is read once
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and (base.startswith("data_batch_") or base == "test_batch"):
                    with tar.extractfile(member) as f:
                        batches[base] = _ArraysOnly(f, encoding="bytes").load()
    except (tarfile.TarError, pickle.UnpicklingError, EOFError, OSError) as err:
        raise DatasetError(f"{name} is not CIFAR-10's archive ({err}); delete it") from err
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if n not in batches]
    if missing:
        raise DatasetError(f"{name} lacks {missing}; delete it and load again")

    def arrays(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # Straight to float32 and scaled in place: the training images alone are 0.6 GB.
        x = np.concatenate([np.asarray(batches[k][b"data"]) for k in keys], dtype=np.float32)
        x /= 255.0
        y = np.concatenate([np.asarray(batches[k][b"labels"], dtype=np.int64) for k in keys])
        return x.reshape(-1, 3, 32, 32), y

    return (*arrays(names[:5]), *arrays(names[5:]))
