"""Subsets of the training data: the easiest, the hardest, or random, optionally class-balanced.

The index sets returned here are ``pools`` for the ensemble trainer (``ensemble.train_members``
and ``pruning.rewind_points`` train each member on its own pool). They follow the ``lth_diet``
code of Paul et al. (2022):

* :func:`by_score` (``SubsetByScore``): sort the examples by a score, ascending, and take ``n``
  from the low end (``end="low"``: the easiest by EL2N, the most linearly connected by a midpoint
  barrier) or the high end (the hardest), after skipping ``offset``. Class-balanced: ``n // C``
  per class from each class's own ranking, one more for the first ``n % C`` classes;
* :func:`random_subset` (``RandomSubset``): ``n`` examples uniformly at random; class-balanced:
  ``n // C`` per class, the remainder drawn from the examples left over.

Indices come back sorted (int64). Taught in chapter 08.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from dofcourse import checks


def _labels(labels: Tensor | None, n_all: int, class_balanced: bool) -> np.ndarray | None:
    if not checks.boolean(class_balanced, "class_balanced"):
        return None
    if labels is None:
        raise ValueError("class_balanced=True needs the labels")
    y = checks.tensor(labels, "labels", ndim=1, floating=False).cpu().numpy()
    if len(y) != n_all:
        raise ValueError(f"labels has {len(y)} entries for {n_all} examples")
    return y


def _classes(y: np.ndarray, n: int) -> np.ndarray:
    """The classes of ``y``; a class-balanced pick of ``n`` needs at least one of each."""
    classes = np.unique(y)
    if n < len(classes):
        raise ValueError(
            f"n={n} is fewer than the {len(classes)} classes: a class-balanced subset needs at "
            f"least one example of each class (n >= {len(classes)}), or class_balanced=False"
        )
    return classes


def by_score(
    scores: Tensor,
    n: int,
    *,
    end: str = "low",
    offset: int = 0,
    labels: Tensor | None = None,
    class_balanced: bool = False,
) -> Tensor:
    """The ``n`` examples at the ``end`` ("low" or "high") of ``scores`` (N,), after ``offset``."""
    s = checks.tensor(scores, "scores", ndim=1, floating=True, finite=True).cpu().numpy()
    n = checks.integer(n, "n", min=1, max=len(s))
    end = checks.choice(end, "end", ("low", "high"))
    offset = checks.integer(offset, "offset", min=0, max=len(s) - n)
    order = np.argsort(s, kind="stable")
    if end == "high":
        order = np.argsort(-s, kind="stable")
    y = _labels(labels, len(s), class_balanced)
    if y is None:
        return torch.as_tensor(np.sort(order[offset : offset + n]), dtype=torch.int64)
    classes = _classes(y, n)
    per, extra = divmod(n, len(classes))
    if offset % len(classes):
        raise ValueError(f"with class_balanced, offset must be a multiple of {len(classes)}")
    start = offset // len(classes)
    picked = []
    for i, c in enumerate(classes):
        ranked = order[y[order] == c]
        want = per + (i < extra)
        if start + want > len(ranked):
            raise ValueError(f"class {c} has only {len(ranked)} examples")
        picked.append(ranked[start : start + want])
    return torch.as_tensor(np.sort(np.concatenate(picked)), dtype=torch.int64)


def easiest(scores: Tensor, n: int, **kw) -> Tensor:
    """The ``n`` examples of lowest score (EL2N: the easiest)."""
    return by_score(scores, n, end="low", **kw)


def hardest(scores: Tensor, n: int, **kw) -> Tensor:
    """The ``n`` examples of highest score (EL2N: the hardest)."""
    return by_score(scores, n, end="high", **kw)


def random_subset(
    n_all: int,
    n: int,
    *,
    seed: int,
    labels: Tensor | None = None,
    class_balanced: bool = False,
) -> Tensor:
    """``n`` of the examples 0..n_all-1 at random (NumPy ``default_rng(seed)``)."""
    n_all = checks.integer(n_all, "n_all", min=1)
    n = checks.integer(n, "n", min=1, max=n_all)
    rng = np.random.default_rng(checks.seed(seed))
    y = _labels(labels, n_all, class_balanced)
    if y is None:
        return torch.as_tensor(np.sort(rng.choice(n_all, n, replace=False)), dtype=torch.int64)
    classes = _classes(y, n)
    per = n // len(classes)
    picked, left = [], []
    for c in classes:
        idx = rng.permutation(np.flatnonzero(y == c))
        if per > len(idx):
            raise ValueError(f"class {c} has only {len(idx)} examples")
        picked.append(idx[:per])
        left.append(idx[per:])
    rest = np.concatenate(left)
    picked.append(rng.choice(rest, n - per * len(classes), replace=False))
    return torch.as_tensor(np.sort(np.concatenate(picked)), dtype=torch.int64)
