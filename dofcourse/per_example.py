"""Per-example gradients: the gradient of each example's loss in the parameters, one row each.

The course needs them twice: chapter 08's GraNd scores (the norm of each row) and chapter 10's
gradient confusion (the inner products and cosines of the rows). Both compute them here, with
one function, :func:`gradients`, which knows the two meanings "the gradient of example i's
loss" can have:

* ``together=False`` (the default): each example on its own, ``torch.func.vmap(grad(loss))``
  over single examples: row i is ∂ℓ(f(θ, x_i), y_i)/∂θ. The network must treat examples
  independently (no batch statistics); it is the cheap way (one backward per example).
* ``together=True``: the examples form one mini-batch, and row i is the gradient of example i's
  loss *in that batch*: the Jacobian (B, D) of the vector of per-example losses (B,) by
  ``torch.func.jacrev``. With batch normalisation (batch statistics) every example's loss
  depends on the whole batch, single examples cannot even be normalised, and this is the only
  meaning; the rows still sum to B times the mini-batch gradient, the step SGD takes. For a
  network without batch statistics both meanings agree row for row (the tests check it); this
  one costs B backward passes of the batch.

:func:`gradient_norms` is GraNd's use: the norms (N,) of ``together=False`` rows, chunk by
chunk, so that N × D numbers never sit in memory at once. Chapters 08 and 10.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import grad, jacrev, vmap

from dofcourse import checks, feed
from dofcourse.params import Functional, check_point


def _checked(net: Functional, theta: Tensor, x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
    """theta (D,), x (B, ...) and y (B,) checked against ``net`` and moved to its device."""
    theta = check_point(net, theta)
    x = checks.tensor(x, "x", floating=True, finite=True).to(net.device, net.dtype)
    y = checks.labels(y, "y", n_classes=2**62, device=net.device)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must hold the same, non-zero number of examples, got "
                         f"{len(x)} and {len(y)}")  # fmt: skip
    feed.check_model_fits(lambda xb: net.fn(theta, xb), x, y, "the batch (x, y)")
    return theta, x, y


def _rows(net: Functional, theta: Tensor, x: Tensor, y: Tensor, together: bool) -> Tensor:
    """The per-example gradients (B, D) of checked inputs (see the module text)."""
    if together:
        return jacrev(lambda t: F.cross_entropy(net.fn(t, x), y, reduction="none"))(theta)

    def loss(t: Tensor, xi: Tensor, yi: Tensor) -> Tensor:
        return F.cross_entropy(net.fn(t, xi[None]), yi[None])

    return vmap(grad(loss), in_dims=(None, 0, 0))(theta, x, y)


def gradients(
    net: Functional, theta: Tensor, x: Tensor, y: Tensor, *, together: bool = False
) -> Tensor:
    """The gradients (B, D) of the B per-example cross-entropy losses of ``net`` at ``theta``
    (D,) on ``x`` (B, ...), ``y`` (B,): row i is ∂ℓ_i/∂θ, each example on its own, or with
    ``together`` the examples as one mini-batch (at least 2; needed with batch normalisation;
    see the module text). Memory B × D. Chapters 08 and 10."""
    together = checks.boolean(together, "together")
    if together and len(checks.tensor(x, "x")) < 2:
        raise ValueError(f"a mini-batch needs at least 2 examples, got {len(x)}")
    theta, x, y = _checked(net, theta, x, y)
    return _rows(net, theta, x, y, together).detach()


def gradient_norms(
    net: Functional, theta: Tensor, x: Tensor, y: Tensor, *, chunk: int = 16
) -> Tensor:
    """The norms (N,), on the CPU, of the per-example gradients (each example on its own) of
    ``net`` at ``theta`` (D,) on ``x`` (N, ...), ``y`` (N,), ``chunk`` examples at a time: memory
    chunk × D (16 kept the chunk in cache and was 2.7× faster than 64 for chapter 08's MLP on a
    CPU). Chapter 08's GraNd."""
    chunk = checks.integer(chunk, "chunk", min=1)
    theta, x, y = _checked(net, theta, x, y)
    out = torch.empty(len(x))
    for s in range(0, len(x), chunk):
        rows = _rows(net, theta, x[s : s + chunk], y[s : s + chunk], together=False)
        out[s : s + chunk] = rows.norm(dim=1).cpu()
    return out
