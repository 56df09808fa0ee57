"""Planted teachers: data whose labels a quadratic network of the right size can fit exactly.

A shallow teacher is a symmetric matrix A* (labels y = xᵀ A* x for Gaussian inputs x); a deep
teacher is a small deep quadratic net. A :class:`Problem` holds the inputs, labels and teacher, and
has the ``x_train``/``y_train`` (and empty test) fields that ``dofcourse.ensemble`` trains on. Its
:attr:`Problem.energy`, the mean squared label, is the unit of chapter 01's losses: the zero
function has loss energy / 2. The *inertia* of A* (how many positive and negative eigenvalues it
has) decides which output-weight signs can fit it (``quadratic.inertia``). Taught in chapter 01.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.quadratic.nets import DTYPE, deep_forward, init_deep, select


@dataclass
class Problem:
    """A planted task: inputs ``x`` (n, d) ~ N(0, I), labels ``y`` (n,), and the ``teacher``
    (a (d, d) matrix for labels xᵀ A x, a parameter tuple for a deep teacher, or None).
    Chapter 01."""

    x: Tensor
    y: Tensor
    teacher: Any = None

    def __post_init__(self) -> None:
        x = checks.tensor(self.x, "x", ndim=2, floating=True, finite=True)
        y = checks.tensor(self.y, "y", ndim=1, floating=True, finite=True)
        if len(y) != len(x) or len(x) == 0:
            raise ValueError(f"x (n, d) and y (n,) need the same n ≥ 1, got {len(x)} and {len(y)}")
        self.x, self.y = x, y

    @staticmethod
    def check(problem: Any, name: str = "problem") -> Problem:
        """``problem`` if it is a :class:`Problem`, else one TypeError that names it."""
        if not isinstance(problem, Problem):
            raise TypeError(
                f"{name} must be a quadratic.Problem (planted_problem, deep_problem), got "
                f"{type(problem).__name__}"
            )
        return problem

    @property
    def d(self) -> int:
        return self.x.shape[1]

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def energy(self) -> float:
        """The label energy mean(y²): losses are read as fractions of it (chapter 01)."""
        return float((self.y**2).mean())

    # the fields of a training set (dofcourse.ensemble): all examples train, none test
    @property
    def x_train(self) -> Tensor:
        return self.x

    @property
    def y_train(self) -> Tensor:
        return self.y

    @property
    def x_test(self) -> Tensor:
        return self.x[:0]

    @property
    def y_test(self) -> Tensor:
        return self.y[:0]


def teacher_matrix(
    d: int, rank: int | None = None, *, signs: str = "mixed", teacher_seed: int = 0
) -> Tensor:
    """A random symmetric (d, d) teacher of the given rank (default d). Chapter 01.

    Eigenvectors are uniformly random; eigenvalues have magnitude 1 and signs ``"mixed"``
    (alternating +, −, +, …) or ``"psd"`` (all +). The matrix is scaled so that
    E[(xᵀAx)²] = 2‖A‖_F² + tr(A)² = 1 for x ~ N(0, I): labels have unit mean square.
    """
    d = checks.integer(d, "d", min=1)
    rank = d if rank is None else checks.integer(rank, "rank", min=1, max=d)
    signs = checks.choice(signs, "signs", ("mixed", "psd"))
    g = torch.Generator().manual_seed(checks.seed(teacher_seed, "teacher_seed"))
    u, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=DTYPE))
    lam = torch.ones(rank, dtype=DTYPE)
    if signs == "mixed":
        lam[1::2] = -1.0
    a = (u[:, :rank] * lam) @ u[:, :rank].T
    return a / math.sqrt(2 * (a**2).sum() + a.trace() ** 2)


def exact_net(
    teacher: Tensor, m: int | None = None, *, extra_seed: int = 0
) -> tuple[Tensor, Tensor]:
    """A shallow net (W (m, d), v (m,)) that computes the teacher matrix exactly (zero loss).

    With m = d (the default) its neurons are the teacher's eigenvectors scaled by √|λ| with
    output weights sign(λ). With m > d, m − d neurons are random (from ``extra_seed``) and d more
    fit what remains of the teacher, so the neurons are in general position. Chapter 01.
    """
    a = checks.tensor(teacher, "teacher", ndim=2, floating=True, finite=True)
    d = a.shape[0]
    m = d if m is None else checks.integer(m, "m", min=d)
    g = torch.Generator().manual_seed(checks.seed(extra_seed, "extra_seed"))
    w_extra = torch.randn(m - d, d, generator=g, dtype=a.dtype) / math.sqrt(d)
    v_extra = torch.randn(m - d, generator=g, dtype=a.dtype)
    evals, evecs = torch.linalg.eigh(a - (w_extra.T * v_extra) @ w_extra)
    w = torch.cat([evecs.T * evals.abs().sqrt()[:, None], w_extra])
    return w, torch.cat([torch.sign(evals), v_extra])


def _inputs(n: int, d: int, input_seed: int) -> Tensor:
    g = torch.Generator().manual_seed(checks.seed(input_seed, "input_seed"))
    return torch.randn(checks.integer(n, "n", min=1), d, generator=g, dtype=DTYPE)


def planted_problem(
    d: int,
    n: int,
    rank: int | None = None,
    *,
    signs: str = "mixed",
    teacher_seed: int = 0,
    input_seed: int = 1,
) -> Problem:
    """``n`` Gaussian inputs in R^d (from ``input_seed``) labelled y = xᵀ A* x by
    :func:`teacher_matrix` (from ``teacher_seed``). Chapter 01."""
    a = teacher_matrix(d, rank, signs=signs, teacher_seed=teacher_seed)
    x = _inputs(n, d, input_seed)
    return Problem(x=x, y=((x @ a) * x).sum(1), teacher=a)


def deep_problem(
    d: int,
    n: int,
    widths: tuple[int, ...] = (2, 2),
    *,
    teacher_seed: int = 123,
    input_seed: int = 5,
) -> Problem:
    """``n`` Gaussian inputs labelled by a random deep quadratic net of hidden ``widths`` whose
    output weights are made positive, so its labels are ≥ 0; labels scaled to mean square 1 (the
    zero function then has loss 1/2). The teacher is the (scaled) parameter tuple. Chapter 01 §6.
    """
    d = checks.integer(d, "d", min=1)
    teacher_seed = checks.seed(teacher_seed, "teacher_seed")
    teacher = list(select(init_deep(1, widths, d, init_seed=teacher_seed), 0))
    teacher[-1] = teacher[-1].abs()
    x = _inputs(n, d, input_seed)
    y = deep_forward(tuple(teacher), x)
    scale = float(y.pow(2).mean().sqrt())
    teacher[-1] = teacher[-1] / scale
    return Problem(x=x, y=y / scale, teacher=tuple(teacher))
