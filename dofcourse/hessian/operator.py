"""The Hessian of a network's loss as an operator: products H v without ever forming H.

A network with D parameters has a D×D Hessian: 10¹⁰ entries for D = 10⁵, far too many to store.
Every method of chapter 02 needs only products H v, which ``torch.func`` computes at the cost of a
few forward/backward passes: the forward-mode derivative (``jvp``) of the reverse-mode gradient
(``grad``) of the loss written as a pure function of the flat parameters theta (D,)
(``params.Functional``). The operator also gives the two parts of H = G + R: the Gauss–Newton
(outer-product) part G = Jᵀ ∇²ℓ J and the residual part R, weighted by the loss's residuals.

Two ways to compute H v are kept, tested against each other and the exact Hessian, and the
faster is chosen by measuring both once (``method="auto"``): forward-over-reverse (``jvp`` of
``grad``, one forward-mode pass through the backward graph) and reverse-over-reverse (the
gradient of g·v, "double backward", as PyHessian does it: on a private copy of the module's own
parameter tensors, or on the flat theta for a pure function). Which wins depends on the model, the
batch and the device (on a CPU double backward is usually faster for MLPs). Where the data are
one batch, double backward keeps the gradient's graph, as PyHessian does, so that each later
product is a single backward pass (``HessianOperator.graph_bytes`` says what that holds).

Data enter here, once: inputs are moved to the device and dtype of the parameters, regression
targets too, class labels to the device. Taught in chapter 02.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import grad, jvp, vjp

from dofcourse import checks, feed
from dofcourse.hessian._base import LossFn, Part, as_xy, saved_bytes
from dofcourse.params import Functional, check_functional

METHODS = ("auto", "forward", "reverse")


class HessianOperator:
    """The Hessian of the mean loss over ``data`` w.r.t. the parameters named in ``params``.

    ``model`` is an ``nn.Module``; parameters not selected, and buffers, are held fixed
    (``params.Functional.of_module``). The parameters are read once, when the operator is built
    (build a new one after training). With ``batch_size`` the data are split into batches and the
    products averaged with weights n_b / N: the same matrix as the full batch, with less memory.
    ``loss_fn(outputs, y)`` must average over the batch (cross-entropy does); the Gauss–Newton
    split also assumes it is a mean of per-example terms. :meth:`of_functional` builds the
    operator of any pure network f(theta, x) (chapter 01's quadratic nets). Chapter 02.

    **Memory.** Where the data are one batch (no ``batch_size``, or one >= N), the first
    double-backward product keeps the graph of the gradient g (built with ``create_graph``), as
    PyHessian does, and every later product is one backward pass through it. That graph holds
    the forward pass's activations and the first backward's intermediate tensors for all N
    examples: ``graph_bytes`` (counted when it is built, the parameters and the data themselves
    not included; 0 while none is kept), e.g. 1.3 MB for the digits MLP 64-64-64-10 on 1,437
    examples and 10.9 MB for the MLP 784-200-200-10 on 4,000 (float32; both printed by
    ``benchmarks/bench_speed.py``). Pass ``batch_size`` to keep none: each product then rebuilds
    the gradient of each batch.
    """

    def __init__(
        self,
        model: nn.Module,
        data: Any,
        *,
        params: Sequence[str] | None = None,
        loss_fn: LossFn = F.cross_entropy,
        batch_size: int | None = None,
        method: str = "auto",
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not any(True for _ in model.parameters()):
            raise ValueError("the model has no parameters: its Hessian is empty")
        # One private copy of the module, read now: the pure function f(theta, x) is built on it,
        # and double backward runs on its own parameter tensors exactly as PyHessian does it
        # (through functional_call and the flat theta the same products ran at 0.90-0.98 of
        # PyHessian's speed; benchmarks/bench_speed.py).
        self._module = copy.deepcopy(model)
        self._setup(Functional.of_module(self._module, params), data, loss_fn, batch_size, method)
        named = dict(self._module.named_parameters())
        for name, p in named.items():
            p.requires_grad_(name in self.net.layout.names)
        self._params = [named[n] for n in self.net.layout.names]

    @classmethod
    def of_functional(
        cls,
        net: Functional,
        data: Any,
        *,
        loss_fn: LossFn = F.cross_entropy,
        batch_size: int | None = None,
        method: str = "auto",
    ) -> HessianOperator:
        """The Hessian at ``net.theta0`` of a pure network ``net`` (a ``params.Functional``)."""
        check_functional(net)
        op = cls.__new__(cls)
        op._setup(net, data, loss_fn, batch_size, method)
        op._module, op._params = None, []  # a pure function: double backward through theta
        return op

    def _setup(
        self, net: Functional, data: Any, loss_fn: LossFn, batch_size: int | None, method: str
    ) -> None:
        self.method = checks.choice(method, "method", METHODS)
        if batch_size is not None:
            batch_size = checks.integer(batch_size, "batch_size", min=1)
        self.net, self.loss_fn = net, loss_fn
        self.theta = net.theta0.detach()
        self.dim, self.dtype, self.device = net.D, net.dtype, net.device
        # the one place data meet the model: its device, and its dtype for inputs and float targets
        x, y = feed.check_xy(*as_xy(data), targets="either", dtype=self.dtype, device=self.device,
                             empty=False)  # fmt: skip
        labels = None if y.is_floating_point() else y
        feed.check_model_fits(lambda xb: self.outputs(self.theta, xb), x, labels)
        self._check_loss(x, y)
        step = x.shape[0] if batch_size is None else batch_size
        self.batches = [(x[i : i + step], y[i : i + step]) for i in range(0, x.shape[0], step)]
        self.n = x.shape[0]
        self._graph: tuple[list[Tensor], list[Tensor]] | None = None  # kept by _hvp_reverse
        self.graph_bytes = 0

    @property
    def D(self) -> int:  # noqa: N802 (the course's name for the parameter count)
        """The number of parameters (the operator's dimension)."""
        return self.dim

    @property
    def names(self) -> list[str]:
        """Names of the parameter tensors laid end to end in theta."""
        return list(self.net.layout.names)

    @property
    def sizes(self) -> list[int]:
        """Number of entries of each parameter tensor (layer boundaries in theta)."""
        return list(self.net.layout.sizes)

    @property
    def shapes(self) -> list[torch.Size]:
        return list(self.net.layout.shapes)

    def _check_loss(self, x: Tensor, y: Tensor) -> None:
        """The loss on two examples, so that targets the loss cannot take fail here, with a clear
        message (the model and the labels are checked before, ``feed.check_model_fits``)."""
        with torch.no_grad():
            out = self.outputs(self.theta, x[:2])
        try:
            with torch.no_grad():
                self.loss_fn(out, y[:2])
        except (RuntimeError, IndexError, ValueError) as err:
            raise ValueError(
                f"the loss cannot be evaluated on outputs of shape {tuple(out.shape)} and y of "
                f"shape {tuple(y.shape)}, dtype {y.dtype}: {err}"
            ) from err

    def outputs(self, theta: Tensor, x: Tensor) -> Tensor:
        """Network outputs (N, C) (or (N,)) at parameters theta (D,)."""
        return self.net(theta, x)

    def loss_at(self, theta: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """The mean loss on ``(x, y)`` at parameters theta (D,): the function of which H is the
        Hessian."""
        return self.loss_fn(self.outputs(theta, x), y)

    def average(self, per_batch: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
        """Σ_b (n_b / N) per_batch(x_b, y_b): a full-batch quantity from batches."""
        if len(self.batches) == 1:  # full batch: no weighting to do
            return per_batch(*self.batches[0])
        total = None
        for x, y in self.batches:
            part = per_batch(x, y) * (x.shape[0] / self.n)
            total = part if total is None else total + part
        assert total is not None
        return total

    def loss(self) -> float:
        """The mean loss over all examples."""
        with torch.no_grad():
            return float(self.average(lambda x, y: self.loss_at(self.theta, x, y)))

    def gradient(self) -> Tensor:
        """The gradient of the mean loss, (D,)."""
        return self.average(lambda x, y: grad(self.loss_at)(self.theta, x, y)).detach()

    def check_vector(self, v: Tensor) -> Tensor:
        """``v`` as a (D,) tensor of the operator's device and dtype (ValueError otherwise)."""
        v = checks.tensor(v, "v", floating=True)
        if v.shape != (self.dim,):
            raise ValueError(f"vector must have shape ({self.dim},), got {tuple(v.shape)}")
        return v.to(device=self.device, dtype=self.dtype)

    def hvp(self, v: Tensor) -> Tensor:
        """H v, (D,), by the faster of the two methods (``method="auto"``, measured on the first
        call) or by the one named: "forward" (``jvp`` of ``grad``) or "reverse" (double
        backward: the gradient of g·v)."""
        v = self.check_vector(v)
        if self.method == "auto":
            self.method = self._fastest(v)
        one = self._hvp_forward if self.method == "forward" else self._hvp_reverse
        return self.average(lambda x, y: one(v, x, y)).detach()

    def _hvp_forward(self, v: Tensor, x: Tensor, y: Tensor) -> Tensor:
        return jvp(lambda t: grad(self.loss_at)(t, x, y), (self.theta,), (v,))[1]

    def _hvp_reverse(self, v: Tensor, x: Tensor, y: Tensor) -> Tensor:
        keep = len(self.batches) == 1  # one batch: the gradient's graph serves every product
        with torch.enable_grad():
            graph = self._graph if keep and self._graph is not None else self._gradient(x, y)
            if keep and self._graph is None:
                self._graph = graph
            grads, ps = graph
            vs = [v] if self._module is None else list(self.net.layout.unflatten(v).values())
            hvs = torch.autograd.grad(grads, ps, grad_outputs=vs, retain_graph=keep)
        return hvs[0] if self._module is None else torch.cat([h.reshape(-1) for h in hvs])

    def _gradient(self, x: Tensor, y: Tensor) -> tuple[list[Tensor], list[Tensor]]:
        """(g, the tensors it is the gradient for): the mean loss's gradient on (x, y) with its
        graph (``create_graph``), on the module's own parameters or on a leaf copy of theta.
        Where the data are one batch it is kept, and ``graph_bytes`` counts what it holds."""
        ps = self._params if self._module is not None else [self.theta.detach().requires_grad_()]
        out = self._module(x) if self._module is not None else self.outputs(ps[0], x)
        grads = list(torch.autograd.grad(self.loss_fn(out, y), ps, create_graph=True))
        if len(self.batches) == 1:
            self.graph_bytes = saved_bytes(grads, exclude=[*ps, x, y])
        return grads, ps

    def _fastest(self, v: Tensor, reps: int = 2) -> str:
        """Time both methods on ``v`` (after a warm-up) and return the faster one's name."""
        seconds = {}
        for name, one in (("forward", self._hvp_forward), ("reverse", self._hvp_reverse)):
            self.average(lambda x, y, one=one: one(v, x, y))  # warm-up
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            start = time.perf_counter()
            for _ in range(reps):
                self.average(lambda x, y, one=one: one(v, x, y))
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            seconds[name] = time.perf_counter() - start
        best = min(seconds, key=seconds.get)
        if best == "forward":  # the reverse method's kept graph is not needed
            self._graph, self.graph_bytes = None, 0
        return best

    matvec = hvp

    def gn_vp(self, v: Tensor) -> Tensor:
        """G v with G = Jᵀ H_out J (J: outputs w.r.t. parameters, H_out: loss w.r.t. outputs)."""
        v = self.check_vector(v)

        def one(x: Tensor, y: Tensor) -> Tensor:
            out, jv = jvp(lambda t: self.outputs(t, x), (self.theta,), (v,))
            _, hjv = jvp(grad(lambda o: self.loss_fn(o, y)), (out.detach(),), (jv,))
            _, pullback = vjp(lambda t: self.outputs(t, x), self.theta)
            return pullback(hjv)[0]

        return self.average(one).detach()

    def gauss_newton(self) -> Part:
        """The Gauss–Newton part G as an operator: positive semi-definite for a loss convex in
        the outputs, such as cross-entropy."""
        return Part(self, self.gn_vp)

    def residual(self) -> Part:
        """The residual part R = H − G = Σ_c (∂ℓ/∂f_c) ∇²f_c; it vanishes where the loss does."""
        return Part(self, lambda v: self.hvp(v) - self.gn_vp(v))


def hessian_operator(
    model: nn.Module,
    data: Any,
    *,
    params: Sequence[str] | None = None,
    loss_fn: LossFn = F.cross_entropy,
    batch_size: int | None = None,
    method: str = "auto",
) -> HessianOperator:
    """The :class:`HessianOperator` of ``model`` on ``data`` (``(x, y)`` or a Dataset).
    Chapter 02."""
    return HessianOperator(
        model, data, params=params, loss_fn=loss_fn, batch_size=batch_size, method=method
    )
