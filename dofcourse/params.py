"""Flat parameter vectors: the one place where a network becomes a point theta in R^D.

The course's question is about D, the number of trainable scalar parameters. Every experiment that
treats a network as a point in R^D (a subspace theta_0 + P z, a Hessian-vector product, a pruning
mask, a line between two networks) goes through this module:

* :class:`Layout` records names and shapes of the parameters and maps a flat vector theta (D,) back
  to them (``unflatten``) and forth (``flatten``). It works for an ``nn.Module`` (its trainable
  parameters, in ``named_parameters`` order) and for a tuple of tensors (the quadratic networks of
  chapter 01).
* :class:`Functional` is a network as a pure function ``f(theta, x)`` of its flat parameters, built
  on ``torch.func.functional_call``. Frozen parameters and buffers are held fixed inside it. Being
  a pure function, it can be ``vmap``-ed over a stack of thetas (E, D) (``dofcourse.ensemble``),
  differentiated twice (``dofcourse.hessian``) and evaluated on a grid of points
  (``dofcourse.landscape``).

D always means this parameter count; P always names a projection (chapter 03), never a count.
Taught in chapter 00 (what D is) and chapter 03 (theta as a point moved inside a subspace).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import functional_call

from dofcourse import checks

Forward = Callable[[tuple[Tensor, ...], Tensor], Tensor]


@dataclass(frozen=True)
class Layout:
    """Names and shapes of D parameters laid end to end in a flat vector.

    ``names[i]`` is the i-th tensor's name (``"0.weight"`` for a module; ``"0"``, ``"1"``… for a
    tuple), ``shapes[i]`` its shape; the flat vector holds them in this order.
    """

    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of entries of each tensor."""
        return tuple(s.numel() for s in self.shapes)

    @property
    def D(self) -> int:  # noqa: N802 (the course's name for it)
        """The total number of parameters."""
        return sum(self.sizes)

    @staticmethod
    def of_module(model: nn.Module, names: Sequence[str] | None = None) -> Layout:
        """The trainable parameters of ``model`` (or those in ``names``), in module order."""
        named = dict(_module(model).named_parameters())
        if names is None:
            names = [n for n, p in named.items() if p.requires_grad]
        unknown = [n for n in names if n not in named]
        if unknown or not names:
            raise ValueError(
                f"parameter names {unknown or list(names)} are unknown or empty; "
                f"the model has {list(named)}"
            )
        return Layout(tuple(names), tuple(named[n].shape for n in names))

    @staticmethod
    def of_tensors(tensors: Sequence[Tensor]) -> Layout:
        """A tuple of tensors (one network of chapter 01, without a seed axis)."""
        return Layout(tuple(str(i) for i in range(len(tensors))), tuple(t.shape for t in tensors))

    def unflatten(self, theta: Tensor) -> dict[str, Tensor]:
        """theta (D,) as ``{name: tensor}`` views; works inside ``vmap`` (one row of (E, D))."""
        pieces = torch.split(theta, list(self.sizes), dim=-1)
        return {
            n: t.reshape(*theta.shape[:-1], *s)
            for n, t, s in zip(self.names, pieces, self.shapes, strict=True)
        }

    def unflatten_tuple(self, theta: Tensor) -> tuple[Tensor, ...]:
        """theta (..., D) as a tuple of tensors (..., *shape): a leading axis (seeds) is kept."""
        return tuple(self.unflatten(theta).values())

    def flatten(self, tensors: Mapping[str, Tensor] | Sequence[Tensor]) -> Tensor:
        """The inverse of :meth:`unflatten`: tensors (each ``(..., *shape)``) to (..., D)."""
        items = [tensors[n] for n in self.names] if isinstance(tensors, Mapping) else tensors
        if len(items) != len(self.shapes):
            raise ValueError(f"expected {len(self.shapes)} tensors, got {len(items)}")
        lead = items[0].shape[: items[0].dim() - len(self.shapes[0])]
        return torch.cat([t.reshape(*lead, -1) for t in items], dim=-1)


def flatten(obj: nn.Module | Sequence[Tensor]) -> Tensor:
    """A detached copy of the trainable parameters of a module (or of a tuple) as theta (D,)."""
    if isinstance(obj, nn.Module):
        trainable = [p.detach().reshape(-1) for p in obj.parameters() if p.requires_grad]
        if not trainable:
            raise ValueError("obj has no trainable parameters")
        return torch.cat(trainable)
    if isinstance(obj, str | bytes) or not isinstance(obj, Sequence) or not obj:
        raise TypeError(f"obj must be an nn.Module or a tuple of tensors, got {obj!r:.60}")
    return torch.cat(
        [checks.tensor(t, f"obj[{i}]").detach().reshape(-1) for i, t in enumerate(obj)]
    )


def count(model: nn.Module) -> int:
    """D, the number of trainable scalar parameters of ``model``."""
    return sum(p.numel() for p in _module(model).parameters() if p.requires_grad)


def _module(model: nn.Module, name: str = "model") -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {model!r:.60}")
    return model


def load_into(model: nn.Module, theta: Tensor) -> nn.Module:
    """Copy theta (D,) into the trainable parameters of ``model`` in place, and return it
    (a NumPy array is converted; the values take the model's dtype)."""
    layout = Layout.of_module(model)
    theta = checks.tensor(theta, "theta", floating=True)
    if theta.shape != (layout.D,):
        raise ValueError(
            f"theta must have shape ({layout.D},) for this model, got {tuple(theta.shape)}"
        )
    named = dict(model.named_parameters())
    with torch.no_grad():
        for n, t in layout.unflatten(theta).items():
            named[n].copy_(t)
    return model


class Functional:
    """A network as a pure function ``f(theta, x)`` of its flat parameter vector theta (D,).

    Built from an ``nn.Module`` (:meth:`of_module`) or from a forward function of a parameter tuple
    (:meth:`of_forward`, chapter 01's quadratic nets). ``theta0`` (D,) is the network's current
    point, ``layout`` its :class:`Layout`, ``D``, ``dtype`` and ``device`` those of theta.
    ``convolutional`` says whether the network has convolution layers: ``dofcourse.ensemble``
    runs the members of such a network one after another on a CPU instead of through ``vmap``.
    """

    def __init__(
        self,
        fn: Callable[[Tensor, Tensor], Tensor],
        theta0: Tensor,
        layout: Layout,
        convolutional: bool = False,
    ):
        self.fn, self.theta0, self.layout = fn, theta0, layout
        self.convolutional = convolutional

    @property
    def D(self) -> int:  # noqa: N802
        return self.layout.D

    @property
    def dtype(self) -> torch.dtype:
        return self.theta0.dtype

    @property
    def device(self) -> torch.device:
        return self.theta0.device

    def __call__(self, theta: Tensor, x: Tensor) -> Tensor:
        """The outputs at parameters theta (D,) for inputs x (N, ...)."""
        return self.fn(theta, x)

    @staticmethod
    def of_module(model: nn.Module, names: Sequence[str] | None = None) -> Functional:
        """``model`` as f(theta, x): theta holds the trainable parameters (or those in ``names``);
        every other parameter and buffer is held at its current value (detached)."""
        layout = Layout.of_module(model, names)
        params = dict(model.named_parameters())
        dtypes = {params[n].dtype for n in layout.names}
        if len(dtypes) != 1:
            raise TypeError(f"all parameters in theta must share one dtype, got {dtypes}")
        fixed = {n: p.detach() for n, p in params.items() if n not in layout.names}
        fixed.update({n: b.detach() for n, b in model.named_buffers()})
        theta0 = torch.cat([params[n].detach().reshape(-1) for n in layout.names])
        # Looking for tied weights costs a walk over the module at every call (a fifth of a small
        # network's forward pass): only a model that has some needs it.
        tied = len(list(model.named_parameters(remove_duplicate=False))) > len(params)

        def fn(theta: Tensor, x: Tensor) -> Tensor:
            weights = {**fixed, **layout.unflatten(theta)} if fixed else layout.unflatten(theta)
            return functional_call(model, weights, (x,), tie_weights=tied)

        convolutional = any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules())
        return Functional(fn, theta0, layout, convolutional)

    @staticmethod
    def of_forward(forward: Forward, params: Sequence[Tensor]) -> Functional:
        """``forward(params_tuple, x)`` as f(theta, x), at the point ``params`` (no seed axis)."""
        layout = Layout.of_tensors(params)
        return Functional(
            lambda theta, x: forward(layout.unflatten_tuple(theta), x), flatten(params), layout
        )


def check_functional(net: object, name: str = "net") -> Functional:
    """``net`` if it is a :class:`Functional`, else one TypeError that names ``name`` and says how
    to make one. Chapters 03-10 (every function that takes a network as f(theta, x))."""
    if not isinstance(net, Functional):
        raise TypeError(
            f"{name} must be a params.Functional (params.Functional.of_module(model)), got "
            f"{type(net).__name__}"
        )
    return net


def check_point(net: Functional, theta: object, name: str = "theta") -> Tensor:
    """``theta``, a point (D,) of the network ``net``: a finite floating-point vector of ``net``'s
    D entries (NumPy converted), returned in ``net``'s dtype on its device. ``net`` is checked
    first (:func:`check_functional`). Chapters 09-10."""
    net = check_functional(net)
    theta = checks.tensor(theta, name, ndim=1, floating=True, finite=True)
    if theta.shape[0] != net.D:
        raise ValueError(f"{name} must have shape ({net.D},), got {tuple(theta.shape)}")
    return theta.to(net.device, net.dtype)
