"""Validation at the package's boundary: one clear error that names the argument.

Every public function checks its arguments once, where they enter the package, with these helpers
(scikit-learn's way: validate at the boundary, trust inside). A wrong argument then fails with a
``TypeError`` or ``ValueError`` that names the argument, says what was given and what is expected,
instead of a traceback from deep inside torch or numpy, or, worse, a silently wrong result
(``d=2.5`` quietly truncated to 2).

What is unambiguous is converted (a NumPy array to a tensor, a NumPy integer to an int); everything
else is refused.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

MAX_SEED = 2**63 - 1
DEFAULT_MAX_BYTES = 2**30  # what one stored object may take unless its call says otherwise


def _got(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def integer(value: Any, name: str, *, min: int | None = None, max: int | None = None) -> int:  # noqa: A002
    """``value`` as an ``int`` within [min, max]; bools, floats and strings are refused.

    A float such as ``10.0`` is refused too: a dimension or a step count given as a float is
    usually a computed value that was meant to be rounded, and rounding silently hides that.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_got(value)}")
    value = int(value)
    if min is not None and value < min:
        raise ValueError(f"{name} must be at least {min}, got {value}")
    if max is not None and value > max:
        raise ValueError(f"{name} must be at most {max}, got {value}")
    return value


def real(
    value: Any,
    name: str,
    *,
    min: float | None = None,  # noqa: A002
    max: float | None = None,  # noqa: A002
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval given; strings, bools and NaN are refused.

    ``open_min``/``open_max`` exclude the end points (``lr`` must be > 0, not ≥ 0).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_got(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if min is not None and (value < min or (open_min and value == min)):
        raise ValueError(f"{name} must be {'>' if open_min else '≥'} {min}, got {value}")
    if max is not None and (value > max or (open_max and value == max)):
        raise ValueError(f"{name} must be {'<' if open_max else '≤'} {max}, got {value}")
    return value


def seed(value: Any, name: str = "seed") -> int:
    """A seed for ``torch.Generator``/NumPy: an integer in 0..2**63 - 1."""
    return integer(value, name, min=0, max=MAX_SEED)


def boolean(value: Any, name: str) -> bool:
    """``value`` as a ``bool`` (NumPy's too); ``"yes"``, 0/1 and other stand-ins are refused."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_got(value)}")
    return bool(value)


def settings(value: Any, name: str = "settings") -> Any:
    """``value`` if it is a :class:`~dofcourse.settings.TrainSettings`, else one TypeError that
    names the argument and shows how to make one. The one settings check of the package."""
    from dofcourse.settings import TrainSettings  # settings imports this module

    if not isinstance(value, TrainSettings):
        raise TypeError(
            f"{name} must be a TrainSettings (e.g. TrainSettings(steps=100, lr=0.1)), "
            f"got {_got(value)}"
        )
    return value


def choice(value: Any, name: str, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``, else a ValueError that lists them."""
    options = tuple(options)
    if not isinstance(value, str | int | float | type(None)) or value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}, got {_got(value)}"
        )
    return value


def integers(
    values: Any,
    name: str,
    *,
    min: int | None = None,
    max: int | None = None,  # noqa: A002
) -> list[int]:
    """A non-empty sequence of integers, each checked as :func:`integer` (``dims=[10.7]`` fails)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of integers, got {_got(values)}")
    if isinstance(values, torch.Tensor | np.ndarray):
        values = values.tolist()
    out = [integer(v, f"{name}[{i}]", min=min, max=max) for i, v in enumerate(values)]
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


def seeds(values: Any, name: str) -> list[int]:
    """A non-empty sequence of seeds, each checked as :func:`seed` (``proj_seeds=[0, 1]``)."""
    return integers(values, name, min=0, max=MAX_SEED)


def derive_seed(base: Any, *tags: Any) -> int:
    """A seed for one part of an experiment, derived from the experiment's seed ``base`` and
    non-negative integer ``tags`` (a grid point's coordinates, a replica's index): NumPy's
    ``SeedSequence`` hashes them together, so different tags give unrelated seeds and no two
    (base, tags) collide as ``base + 1000 * c + r`` does once r reaches 1000. The one
    seed-derivation helper of the package (chapter 04's grid points use it). Returns an int in
    0..2**32 - 1.
    """
    entropy = [seed(base, "base"), *(integer(t, f"tags[{i}]", min=0) for i, t in enumerate(tags))]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def tensor(
    value: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    floating: bool | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
    finite: bool = False,
) -> torch.Tensor:
    """``value`` as a tensor: NumPy arrays are converted; ``dtype``/``device`` convert if given.

    ``ndim`` (an int or several allowed) and ``floating`` (True: a float tensor is required;
    False: an integer one) are checked before any conversion, so the message shows what was given.
    ``finite=True`` refuses NaN and infinite entries (weights, inputs, scores: a NaN would
    otherwise be sorted, ranked or averaged into a plausible-looking wrong result).
    """
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{name} must be a numeric array, got an object array")
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (or a NumPy array), got {_got(value)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.dim() not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                f"got shape {tuple(value.shape)}"
            )
    if floating is True and not value.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {value.dtype}")
    if floating is False and (value.is_floating_point() or value.is_complex()):
        raise TypeError(f"{name} must hold integers, got dtype {value.dtype}")
    if finite and value.is_floating_point() and value.numel():
        bad = int((~torch.isfinite(value.detach())).sum())
        if bad:
            raise ValueError(
                f"{name} contains NaN or infinite values ({bad} of {value.numel()} entries)"
            )
    if dtype is not None or device is not None:
        value = value.to(device=device, dtype=dtype)
    return value


def labels(
    y: Any, name: str, n_classes: int, *, device: torch.device | None = None
) -> torch.Tensor:
    """Class labels as an int64 tensor in 0..n_classes-1 (integer NumPy/torch input converted).

    Float labels are refused even when they hold whole numbers: a float label usually means the
    wrong column was passed.
    """
    n_classes = integer(n_classes, "n_classes", min=1)
    y = tensor(y, name, ndim=1, floating=False)
    if y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels, got dtype torch.bool")
    if y.numel():
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(
                f"{name} must lie in 0..{n_classes - 1} for a model with {n_classes} outputs, "
                f"got labels {lo}..{hi}"
            )
    return y.to(device=device, dtype=torch.int64)


def array(
    value: Any, name: str, *, ndim: int | Sequence[int] | None = None, finite: bool = True
) -> np.ndarray:
    """``value`` (a NumPy array, a tensor, or a list of numbers) as a finite float64 NumPy array.

    For the NumPy/SciPy code of the course (linear programs, least squares, tensor
    decompositions, chapters 04, 09, A1). ``ndim`` is checked as in :func:`tensor`; integer and
    boolean input is converted (a design matrix of 0/1 entries is a matrix), text is refused,
    and so are NaN and infinite entries (``finite=False`` lets inf through: a threshold beyond its
    grid is a sample).
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, str | bytes) or np.asarray(value).dtype.kind in "USO":
        # np.asarray(["0.5"], float) would parse text silently: numbers only
        if not (isinstance(value, np.ndarray | list | tuple) and _all_numbers(value)):
            raise TypeError(f"{name} must be an array of numbers, got {_got(value)}")
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {_got(value)}") from err
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if out.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                f"got shape {out.shape}"
            )
    if np.isnan(out).any() or (finite and not np.all(np.isfinite(out))):
        raise ValueError(f"{name} contains {'NaN or infinite' if finite else 'NaN'} values")
    return out


def _all_numbers(value: Any) -> bool:
    """True when every leaf of a nested list/tuple/object array is a real number (not text)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return all(_all_numbers(v) for v in value)
    return isinstance(value, numbers.Real) and not isinstance(value, bool | str)


def reals(
    values: Any,
    name: str,
    *,
    min: float | None = None,  # noqa: A002
    max: float | None = None,  # noqa: A002
    open_min: bool = False,
    open_max: bool = False,
    scalar: bool = False,
) -> list[float]:
    """A non-empty sequence of numbers (a list, a NumPy array, a tensor), each checked as
    :func:`real` and named by its index (``alphas[2] must be > 0``). With ``scalar=True`` one
    number is accepted too, as a list of one (a single target ``eps=0.9``)."""
    if scalar and isinstance(values, numbers.Real) and not isinstance(values, bool):
        values = [values]
    if isinstance(values, torch.Tensor | np.ndarray):
        values = values.tolist()
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of numbers, got {_got(values)}")
    out = [
        real(v, f"{name}[{i}]", min=min, max=max, open_min=open_min, open_max=open_max)
        for i, v in enumerate(values)
    ]
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


def _gib(n_bytes: float) -> str:
    gib = n_bytes / 2**30
    return f"{gib:.2f} GiB" if gib >= 0.01 else f"{gib:.2g} GiB"


def memory_budget() -> int:
    """Bytes one call may allocate when it has no ``max_bytes`` argument: half the memory this
    machine has available now, and at least ``DEFAULT_MAX_BYTES`` (a shared lab machine or a
    Binder session must not be driven into swapping or the OOM killer by one careless call)."""
    import psutil

    return max(DEFAULT_MAX_BYTES, int(psutil.virtual_memory().available // 2))


def budget(
    n_bytes: float, what: str, fix: str, *, max_bytes: int | None = None, name: str = ""
) -> None:
    """Refuse, before allocating, ``what`` of about ``n_bytes`` bytes when it exceeds
    ``max_bytes`` (default :func:`memory_budget`): one ``ValueError`` that names the size, the
    argument that sets it and ``fix`` (what to change). The one budget check of the package."""
    n_bytes = real(n_bytes, "n_bytes", min=0.0)
    limit = memory_budget() if max_bytes is None else integer(max_bytes, "max_bytes", min=1)
    if n_bytes > limit:
        which = (
            f"the budget max_bytes={_gib(limit)}"
            if max_bytes is not None
            else f"the budget of {_gib(limit)} (half the memory available)"
        )
        raise ValueError(
            f"{what} would need about {_gib(n_bytes)}, more than {which}"
            f"{f' (set by {name})' if name else ''}; {fix}"
        )
