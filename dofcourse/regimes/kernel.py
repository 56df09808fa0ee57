"""The empirical tangent kernel of a network and how much it changed during training.

Near its parameters theta a network is linear in a change dtheta: f(theta + dtheta, x) ~
f(theta, x) + J(x) dtheta, with J(x) = df/dtheta (C x D for C outputs). Gradient descent then
moves the outputs on the training inputs by -eta K r, with the *tangent kernel*

    K(x, x') = sum_c <grad_theta f_c(x), grad_theta f_c(x')>  (summed over the C outputs).

In the lazy regime K hardly changes during training, and the trained network is (close to) kernel
regression with K at the initialisation; in the rich regime K itself is learned (Chizat, Oyallon
and Bach 2019). This module computes K on a few inputs with ``torch.func`` (vjp, jvp and vmap) and
two measures of its change between two parameter vectors:

* the relative change ||K_1 - K_0||_F / ||K_0||_F (scale and shape);
* the kernel distance 1 - <K_0, K_1>_F / (||K_0||_F ||K_1||_F) (shape only; Fort et al. 2020).

Chapter 09.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor
from torch.func import jvp, vjp, vmap

from dofcourse import checks
from dofcourse.params import Functional, check_point
from dofcourse.train import check_model_fits


def tangent_kernel(net: Functional, theta: Tensor, x: Tensor, chunk: int = 50) -> Tensor:
    """K (m, m) of ``net`` at parameters ``theta`` (D,) on inputs ``x`` (m, ...), float64.

    Built from kernel-vector products J (J^T v), one pullback and one push-forward per unit vector
    v of the m x C outputs (``chunk`` of them at a time, vectorised), so memory stays at
    chunk x D numbers: the Jacobian (m, C, D) itself is never stored (it would not fit for an MNIST
    network: 100 inputs x 10 classes x 200 000 parameters in float64 is 1.6 GB).
    """
    theta = check_point(net, theta)
    x = checks.tensor(x, "x", floating=True, finite=True).to(net.device, net.dtype)
    check_model_fits(lambda xb: net(theta, xb), x, None, name="x")
    chunk = checks.integer(chunk, "chunk", min=1)
    with torch.no_grad():
        mc = net(theta, x[:1]).numel() * len(x)  # m x C outputs: K is (m C)^2 numbers
    checks.budget(8.0 * (2 * mc * mc + chunk * net.D), f"the tangent kernel of {len(x)} inputs",
                  "use fewer inputs x", name="x")  # fmt: skip

    def outputs(th: Tensor) -> Tensor:
        return net(th, x).reshape(-1)  # (m * C,)

    out, pullback = vjp(outputs, theta)

    def column(v: Tensor) -> Tensor:  # J J^T v
        return jvp(outputs, (theta,), pullback(v))[1]

    eye = torch.eye(out.numel(), dtype=out.dtype, device=out.device)
    with torch.no_grad(), warnings.catch_warnings():
        # torch's forward-mode AD scripts a helper on first use and warns about its own jit
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        full = torch.cat([vmap(column)(eye[s : s + chunk]) for s in range(0, len(eye), chunk)])
    m = len(x)
    blocks = full.double().reshape(m, -1, m, full.shape[0] // m)  # (m, C, m, C)
    return blocks.diagonal(dim1=1, dim2=3).sum(-1)  # sum over the classes: (m, m)


def kernel_change(k0: Tensor, k1: Tensor) -> dict[str, float]:
    """{"change": ||K1 - K0|| / ||K0||, "distance": 1 - <K0, K1> / (||K0|| ||K1||)} (Frobenius)."""
    k0 = checks.tensor(k0, "k0", ndim=2, floating=True, finite=True).double()
    k1 = checks.tensor(k1, "k1", ndim=2, floating=True, finite=True).double()
    if k0.shape != k1.shape or k0.shape[0] != k0.shape[1]:
        raise ValueError(f"k0 and k1 must be square of one shape, got {k0.shape} and {k1.shape}")
    n0, n1 = torch.linalg.norm(k0), torch.linalg.norm(k1)
    if n0 == 0 or n1 == 0:
        raise ValueError("a kernel is zero: the network's outputs do not depend on theta")
    return {
        "change": float(torch.linalg.norm(k1 - k0) / n0),
        "distance": float(1 - (k0 * k1).sum() / (n0 * n1)),
    }
