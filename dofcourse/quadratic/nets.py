"""Quadratic networks: the models of chapter 01 and their random initialisations.

A shallow network with quadratic activation and output weights v,

    f(x) = Σ_j v_j (w_j · x)² = xᵀ Wᵀ diag(v) W x,       W (m, d), v (m,),

is a factorised quadratic form: the function *is* the symmetric matrix A = Wᵀ diag(v) W, and the
loss depends on the parameters only through A. Parameters are tuples of tensors: ``(W, v)`` for
the shallow net, ``(W_1, …, W_L, v)`` for a deep one, ``(W,)`` for f = ‖W x‖² (v fixed to 1, the
symmetric factorisation of chapter 01 §3). A leading seed axis S on every tensor of a tuple makes
an ensemble. As points θ ∈ R^D they go through ``dofcourse.params`` (:func:`functional`,
:func:`thetas`). Tensors are float64: the Hessian eigenvalues near zero that chapter 01 reads
need the precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from dofcourse import checks
from dofcourse.params import Functional, Layout

DTYPE = torch.float64
Params = tuple[Tensor, ...]
Forward = Callable[[Params, Tensor], Tensor]


def shallow_forward(params: Params, x: Tensor) -> Tensor:
    """f(x) = Σ_j v_j (w_j · x)² with ``params = (W (m, d), v (m,))``, x (n, d) → (n,).
    Chapter 01."""
    w, v = params
    return ((x @ w.T) ** 2) @ v


def psd_forward(params: Params, x: Tensor) -> Tensor:
    """f(x) = ‖W x‖² = xᵀ WᵀW x with ``params = (W (m, d),)``: the shallow net with every output
    weight fixed at 1, so A = WᵀW is positive semi-definite (symmetric matrix sensing).
    Chapter 01."""
    return ((x @ params[0].T) ** 2).sum(-1)


def deep_forward(params: Params, x: Tensor) -> Tensor:
    """f(x) = v · (W_L ( … (W_1 x)² … ))² with ``params = (W_1 (m_1, d), …, W_L (m_L, m_{L−1}),
    v (m_L,))``, x (n, d) → (n,). With L = 1 this is :func:`shallow_forward`. Chapter 01."""
    h = x
    for w in params[:-1]:
        h = (h @ w.T) ** 2
    return h @ params[-1]


def mse(forward: Forward, params: Params, x: Tensor, y: Tensor) -> Tensor:
    """Half the mean squared error (1/2n) Σ_i (f(x_i) − y_i)², a scalar (the ensemble trainer's
    ``loss="mse"``). Chapter 01."""
    return 0.5 * ((forward(params, x) - y) ** 2).mean()


def check_params(params: Params, name: str = "params", n: int | None = None) -> Params:
    """``params`` as a tuple of floating-point tensors (NumPy arrays converted; ``n`` of them if
    given: 2 for a shallow net (W, v)), or one error that names it. Chapter 01."""
    if isinstance(params, str | bytes | Tensor) or not isinstance(params, Sequence) or not params:
        raise TypeError(f"{name} must be a tuple of tensors (a quadratic net), got {params!r:.60}")
    out = tuple(checks.tensor(t, f"{name}[{i}]", floating=True) for i, t in enumerate(params))
    if n is not None and len(out) != n:
        raise ValueError(f"{name} must hold {n} tensors (W, v of a shallow net), got {len(out)}")
    return out


def matrix_of(params: Params) -> Tensor:
    """The quadratic form A = Wᵀ diag(v) W (d, d) of a shallow net (or (S, d, d) for an
    ensemble). Chapter 01."""
    w, v = check_params(params, n=2)
    return (w.transpose(-1, -2) * v[..., None, :]) @ w


def functional(forward: Forward, net: Params) -> Functional:
    """The net ``forward`` as a pure function f(θ, x) of its flat parameters θ (D,), at the point
    ``net`` (one network, no seed axis): ``params.Functional.of_forward``. Chapter 01."""
    if not callable(forward):
        raise TypeError(f"forward must be a network function f(params, x), got {forward!r:.60}")
    return Functional.of_forward(forward, check_params(net, "net"))


def flat_loss(forward: Forward, net: Params, x: Tensor, y: Tensor) -> Callable[[Tensor], Tensor]:
    """The loss :func:`mse` on (x, y) as a function of flat parameters θ (D,) laid out like the
    single net ``net``: the function whose Hessian, slices and gradients chapter 01 takes."""
    f = functional(forward, net)
    x = checks.tensor(x, "x", ndim=2, floating=True, finite=True).to(f.theta0)
    y = checks.tensor(y, "y", ndim=1, floating=True, finite=True).to(f.theta0)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    return lambda theta: 0.5 * ((f(theta, x) - y) ** 2).mean()


def thetas(params: Params) -> Tensor:
    """An ensemble (every tensor with a leading seed axis S) as flat parameters (S, D).
    Chapter 01."""
    params = check_params(params)
    n_seeds_of(params)
    return Layout.of_tensors(select(params, 0)).flatten(params)


def from_thetas(theta: Tensor, like: Params) -> Params:
    """Flat parameters (D,) or (S, D) back to tensors shaped as the single net ``like``.
    Chapter 01."""
    layout = Layout.of_tensors(check_params(like, "like"))
    theta = checks.tensor(theta, "theta", ndim=(1, 2), floating=True)
    if theta.shape[-1] != layout.D:
        raise ValueError(f"theta must have shape (D,) or (S, D) with D = {layout.D} for this "
                         f"net, got {tuple(theta.shape)}")  # fmt: skip
    return layout.unflatten_tuple(theta)


def init_shallow(n_seeds: int, m: int, d: int, *, scale: float = 0.7, init_seed: int = 0) -> Params:
    """``n_seeds`` random shallow nets: W (S, m, d) with entries N(0, scale²/d) and trainable
    output weights v (S, m) with entries N(0, scale²/2), so of random signs. Chapter 01.

    The variances make each neuron *balanced* on average, |w_j|² ≈ 2 v_j²: gradient flow
    conserves |w_j|² − 2 v_j² (the rescaling symmetry), and an unbalanced start stays unbalanced,
    which makes the landscape badly conditioned and gradient descent slow.
    """
    n_seeds = checks.integer(n_seeds, "n_seeds", min=1)
    m, d = checks.integer(m, "m", min=1), checks.integer(d, "d", min=1)
    scale = checks.real(scale, "scale", min=0.0, open_min=True)
    g = torch.Generator().manual_seed(checks.seed(init_seed, "init_seed"))
    w = torch.randn(n_seeds, m, d, generator=g, dtype=DTYPE) * (scale / math.sqrt(d))
    v = torch.randn(n_seeds, m, generator=g, dtype=DTYPE) * (scale / math.sqrt(2))
    return (w, v)


def init_deep(n_seeds: int, widths: Sequence[int], d: int, *, init_seed: int = 0) -> Params:
    """``n_seeds`` random deep quadratic nets with hidden ``widths`` (m_1, …, m_L). Chapter 01.

    Layer l has entries N(0, 1/fan_in) (from the second layer on 1/(3 fan_in), which keeps the
    squared activations, of mean about 1, from growing); v has entries N(0, 1/m_L).
    """
    n_seeds, d = checks.integer(n_seeds, "n_seeds", min=1), checks.integer(d, "d", min=1)
    widths = checks.integers(widths, "widths", min=1)
    g = torch.Generator().manual_seed(checks.seed(init_seed, "init_seed"))
    params, fan_in = [], d
    for layer, m in enumerate(widths):
        std = 1 / math.sqrt(fan_in) if layer == 0 else 1 / math.sqrt(3 * fan_in)
        params.append(torch.randn(n_seeds, m, fan_in, generator=g, dtype=DTYPE) * std)
        fan_in = m
    params.append(torch.randn(n_seeds, fan_in, generator=g, dtype=DTYPE) / math.sqrt(fan_in))
    return tuple(params)


def pad_neurons(params: Params, width: int) -> Params:
    """Widen a shallow ensemble (W (S, m, d), v (S, m)) to ``width`` neurons with zeros.

    A neuron with w_j = 0 and v_j = 0 has zero gradient in both (∂f/∂w_j = 2 v_j (w_j·x) x,
    ∂f/∂v_j = (w_j·x)²), so gradient descent never moves it: the padded net *is* the width-m net.
    Chapter 01 (a spare neuron turns a spurious minimum into a saddle).
    """
    w, v = check_params(params, n=2)
    width = checks.integer(width, "width", min=1)
    if width < w.shape[1]:
        raise ValueError(f"cannot pad {w.shape[1]} neurons down to {width}")
    extra = width - w.shape[1]
    return (
        torch.cat([w, w.new_zeros(w.shape[0], extra, w.shape[2])], dim=1),
        torch.cat([v, v.new_zeros(v.shape[0], extra)], dim=1),
    )


def n_seeds_of(params: Params) -> int:
    """The size S of the leading seed axis (checked equal on all tensors). Chapter 01."""
    params = check_params(params)
    if any(p.dim() == 0 for p in params):
        raise ValueError("params must have a leading seed axis on every tensor")
    sizes = {p.shape[0] for p in params}
    if len(sizes) != 1:
        raise ValueError(f"all tensors of a stacked ensemble need the same seed axis, got {sizes}")
    return sizes.pop()


def select(params: Params, i: int | Tensor) -> Params:
    """Net ``i`` of an ensemble (drops the seed axis), or a sub-ensemble for a mask, indices or
    a slice.
    Chapter 01."""
    params = check_params(params)
    if not isinstance(i, Tensor | slice):
        i = checks.integer(i, "i", min=0, max=n_seeds_of(params) - 1)
    return tuple(p[i] for p in params)


def stack(nets: Sequence[Params]) -> Params:
    """Single nets stacked into an ensemble (adds a leading seed axis). Chapter 01."""
    if isinstance(nets, str | bytes) or not isinstance(nets, Sequence) or not nets:
        raise TypeError(
            f"nets must be a non-empty list of nets (tuples of tensors), got {nets!r:.60}"
        )
    nets = [check_params(n, f"nets[{i}]") for i, n in enumerate(nets)]
    if len({tuple(tuple(t.shape) for t in n) for n in nets}) != 1:
        raise ValueError("nets must all have the same shapes")
    return tuple(torch.stack(ts) for ts in zip(*nets, strict=True))
