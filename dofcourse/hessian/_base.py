"""What the Hessian tools share: the linear-operator protocol, a part of an operator, data input,
the memory an autograd graph keeps.

Taught in chapter 02.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor

LossFn = Callable[[Tensor, Tensor], Tensor]


class LinearOperator(Protocol):
    """A symmetric D×D matrix known only through ``matvec`` ((D,) -> (D,)). Chapter 02."""

    dim: int
    dtype: torch.dtype
    device: torch.device

    def matvec(self, v: Tensor) -> Tensor: ...


def check_operator(op: Any, name: str = "op") -> Any:
    """``op`` if it is a linear operator (``dim``, ``dtype``, ``device``, ``matvec``: a
    ``HessianOperator``, one of its parts), else one TypeError that names it. Chapter 02."""
    dim = getattr(op, "dim", None)
    if not (isinstance(dim, int) and dim >= 1 and callable(getattr(op, "matvec", None))):
        raise TypeError(
            f"{name} must be a linear operator such as hessian.hessian_operator(model, data) "
            f"(with dim and matvec), got {type(op).__name__}"
        )
    return op


def as_xy(data: Any) -> tuple[Tensor, Tensor]:
    """``(x, y)`` of a tuple of two tensors or of a course Dataset (its training split).
    Chapter 02."""
    if hasattr(data, "x_train") and hasattr(data, "y_train"):
        return data.x_train, data.y_train
    if isinstance(data, tuple | list) and len(data) == 2:
        return data[0], data[1]
    raise TypeError(
        f"data must be a tuple (x, y) of tensors or a dofcourse Dataset, got {type(data).__name__}"
    )


@dataclass
class Part:
    """A matrix in the parameter space of ``parent`` (a HessianOperator): its G or R part.
    Chapter 02."""

    parent: Any
    fn: Callable[[Tensor], Tensor]

    @property
    def dim(self) -> int:
        return self.parent.dim

    @property
    def dtype(self) -> torch.dtype:
        return self.parent.dtype

    @property
    def device(self) -> torch.device:
        return self.parent.device

    def matvec(self, v: Tensor) -> Tensor:
        return self.fn(v)


def saved_bytes(roots: Sequence[Tensor], exclude: Sequence[Tensor]) -> int:
    """Bytes of the distinct storages that the autograd graph behind ``roots`` keeps (the
    tensors its nodes saved for their backward, and the roots), those of ``exclude`` left out:
    ``HessianOperator.graph_bytes``. Chapter 02."""
    own = {t.untyped_storage().data_ptr() for t in exclude}
    sizes: dict[int, int] = {}

    def count(t: Any) -> None:
        if isinstance(t, Tensor) and t.untyped_storage().data_ptr() not in own:
            sizes[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()

    seen: set[int] = set()
    nodes = [r.grad_fn for r in roots if r.grad_fn is not None]
    for r in roots:
        count(r)
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for name in dir(node):
            if name.startswith("_saved_"):
                value = getattr(node, name)
                for t in value if isinstance(value, tuple | list) else (value,):
                    count(t)
        nodes.extend(n for n, _ in node.next_functions if n is not None)
    return sum(sizes.values())
