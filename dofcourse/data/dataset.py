"""The :class:`Dataset` type: a classification dataset as tensors on one device.

Every chapter trains on a :class:`Dataset`: images ``(N, C, H, W)`` float32 and labels ``(N,)``
int64, already standardised and already on the compute device, so a mini-batch is one index into
a tensor (``dofcourse.train``). A dataset is frozen: :meth:`~Dataset.flat`,
:meth:`~Dataset.classes` and :meth:`~Dataset.subsample` return new datasets. Being a dataclass of
tensors, a dataset is part of a cached result's key by its content (``dofcourse.experiment``).
Taught in chapter 00; :meth:`~Dataset.classes` in chapter 02, :meth:`~Dataset.subsample` in
chapters 03 and 08.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dofcourse import checks
from dofcourse import device as _device


class DatasetError(Exception):
    """A dataset cannot be loaded: unknown name, a file missing offline, a checksum mismatch, or
    something in the way of a data file (the message says what to do). Chapter 00."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset as tensors on one device (chapter 00).

    ``x_train`` (N, C, H, W) float32 (or (N, C*H*W) after :meth:`flat`), ``y_train`` (N,) int64
    in ``0..n_classes-1``, ``x_test`` / ``y_test`` likewise, ``input_shape`` the shape of one
    example, ``name`` a label for plots and logs.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    input_shape: tuple[int, ...]
    name: str

    def __post_init__(self) -> None:
        """Types, shapes and lengths checked (NumPy arrays converted); the values themselves
        (NaN, label range) are checked where training starts (``train.check_data``)."""
        set_ = object.__setattr__
        for split in ("train", "test"):
            x = checks.tensor(getattr(self, f"x_{split}"), f"x_{split}", floating=True)
            y = checks.tensor(getattr(self, f"y_{split}"), f"y_{split}", ndim=1, floating=False)
            if len(x) != len(y):
                raise ValueError(f"x_{split} has {len(x)} rows but y_{split} has {len(y)}")
            set_(self, f"x_{split}", x)
            set_(self, f"y_{split}", y)
        set_(self, "n_classes", checks.integer(self.n_classes, "n_classes", min=1))
        set_(self, "input_shape", tuple(checks.integers(self.input_shape, "input_shape", min=1)))
        if tuple(self.x_train.shape[1:]) != self.input_shape:
            raise ValueError(f"input_shape {self.input_shape} is not the shape of one example of "
                             f"x_train {tuple(self.x_train.shape[1:])}")  # fmt: skip
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")

    @property
    def device(self) -> torch.device:
        """The device the tensors are on. Chapter 00."""
        return self.x_train.device

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={tuple(self.x_train.shape)}, "
            f"test={tuple(self.x_test.shape)}, n_classes={self.n_classes}, device={self.device})"
        )

    def to(self, device: torch.device | str) -> Dataset:
        """The same data on ``device``. Chapter 00."""
        device = _device.resolve(device, "device")
        moved = {f: getattr(self, f).to(device) for f in ("x_train", "y_train", "x_test", "y_test")}
        return dataclasses.replace(self, **moved)

    def flat(self) -> Dataset:
        """Each example flattened: x of shape (N, C*H*W), ``input_shape`` (C*H*W,). Chapter 00."""
        d = int(np.prod(self.input_shape))
        return dataclasses.replace(
            self,
            x_train=self.x_train.reshape(len(self.x_train), d),
            x_test=self.x_test.reshape(len(self.x_test), d),
            input_shape=(d,),
        )

    def classes(self, labels: Sequence[int]) -> Dataset:
        """Only the examples of ``labels`` (at least two), relabelled so that ``labels[i]`` becomes
        ``i`` (chapter 02: outliers of the Hessian against the number of classes).

        ``ds.classes([3, 8])`` is a binary 3-vs-8 problem with 3 → 0 and 8 → 1. The normalisation
        of the full dataset is kept (it is not recomputed on the subset). A single class is
        refused: there is nothing to classify.
        """
        labels = checks.integers(labels, "labels", min=0, max=self.n_classes - 1)
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels must not repeat, got {labels}")
        if len(labels) < 2:
            raise ValueError(
                f"labels must name at least two classes (one class is nothing to classify), "
                f"got {labels}"
            )
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

    def subsample(self, n_train: int, *, sample_seed: int = 0, seed: int | None = None) -> Dataset:
        """``n_train`` training examples drawn without replacement, stratified by class
        (chapters 03 and 08: fewer examples to fit).

        Each class keeps its share of ``n_train`` (largest-remainder rounding), so every class
        present keeps at least one example: ``n_train`` below the number of classes is refused.
        ``sample_seed`` chooses the examples within each class (their original order is kept).
        The test split is kept. ``seed`` is the old name of ``sample_seed`` (deprecated).
        """
        sample_seed = _renamed(seed, sample_seed, "sample_seed", default=0)
        sample_seed = checks.seed(sample_seed, "sample_seed")
        n = len(self.y_train)
        n_train = checks.integer(n_train, "n_train", min=1, max=n)
        y = self.y_train.cpu().numpy()
        present = len(np.unique(y))
        if n_train < present:
            raise ValueError(
                f"n_train={n_train} is fewer than the {present} classes of {self.name}: a "
                f"stratified subsample would drop classes (use .classes(...) to choose classes)"
            )
        idx = torch.as_tensor(_stratified(y, n_train, sample_seed), device=self.device)
        return dataclasses.replace(
            self,
            x_train=self.x_train[idx],
            y_train=self.y_train[idx],
            name=f"{self.name}[n={n_train}]",
        )


def _stratified(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` elements of ``y`` with class proportions kept (largest remainder,
    at least one per class when ``n`` ≥ the number of classes)."""
    values, counts = np.unique(y, return_counts=True)
    exact = n * counts / counts.sum()
    quota = np.maximum(np.floor(exact).astype(int), 1)
    while quota.sum() > n:  # the minimum of one was taken from the classes most over quota
        quota[np.argmax(np.where(quota > 1, quota - exact, -np.inf))] -= 1
    short = n - quota.sum()
    quota[np.argsort(-(exact - quota), kind="stable")[:short]] += 1
    rng = np.random.default_rng(seed)
    chosen = [
        rng.permutation(np.flatnonzero(y == v))[:q] for v, q in zip(values, quota, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


def from_arrays(
    name: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> Dataset:
    """A :class:`Dataset` (on the CPU) with every channel standardised by training statistics.

    ``x`` arrays are (N, C, H, W) float32 and may be changed in place. The training images then
    have mean 0 and standard deviation 1 per channel; the test images get the same transform. The
    statistics are float64 sums over chunks, so no full-size temporary is made (CIFAR-10's
    training images alone are 0.6 GB as float32). Labels are integers in 0..9. Chapter 00.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    x_train, x_test = _images(x_train, "x_train"), _images(x_test, "x_test")
    y_train, y_test = (
        _labels(y_train, "y_train", len(x_train)),
        _labels(y_test, "y_test", len(x_test)),
    )
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_train and x_test hold images of different shapes: "
                         f"{x_train.shape[1:]} and {x_test.shape[1:]}")  # fmt: skip
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


def _images(x: np.ndarray, name: str) -> np.ndarray:
    """Images (N, C, H, W) as a float32 NumPy array (the same array when it is one), finite."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"{name} must be a float NumPy array of images (N, C, H, W), got "
                        f"{type(x).__name__} {getattr(x, 'dtype', '')}")  # fmt: skip
    if x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"{name} must hold images (N >= 1, C, H, W), got shape {x.shape}")
    x = x if x.dtype == np.float32 else x.astype(np.float32)
    if not all(bool(torch.isfinite(c).all()) for c in torch.from_numpy(x).split(1024)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _labels(y: np.ndarray, name: str, n: int) -> np.ndarray:
    """Labels (n,) in 0..9 as int64."""
    y = checks.tensor(y, name, ndim=1, floating=False)
    if len(y) != n:
        raise ValueError(f"{name} must hold one label per image ({n}), got {len(y)}")
    if n and (int(y.min()) < 0 or int(y.max()) > 9):
        raise ValueError(f"{name} must hold labels in 0..9, got {int(y.min())}..{int(y.max())}")
    return y.to(torch.int64).numpy()


def _renamed(old: int | None, new: int, name: str, *, default: int) -> int:
    """The value of a seed argument that was renamed: the new name wins; the old one (``seed``)
    still works, with a DeprecationWarning, until every caller has moved."""
    if old is None:
        return new
    if new != default:
        raise TypeError(f"give {name} only (seed is its old name), not both")
    warnings.warn(f"seed= is now called {name}=", DeprecationWarning, stacklevel=3)
    return old
