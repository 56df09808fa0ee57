"""Quadratic networks: planted teachers, a many-seed trainer, exact Hessians, end-point classes.

A shallow network with quadratic activation and output weights ``v``,

    f(x) = sum_j v_j (w_j . x)^2 = x^T W^T diag(v) W x,       W: (m, d), v: (m,),

is a factorised quadratic form: the function is the symmetric matrix ``A = W^T diag(v) W`` and the
loss depends on the parameters only through ``A``. The chapter trains many random starts of such a
network on labels from a planted *teacher* matrix and asks which starts reach zero loss.

Everything here works on parameter *tuples* (``(W, v)`` for the shallow net, ``(W1, W2, v)`` for
the deep one). A leading seed axis (``S``) on every tensor of a tuple makes a stacked ensemble,
which :func:`train_gd` trains in one go with ``torch.func.vmap`` over ``torch.func.grad``. Tensors
are float64: Hessian eigenvalues near zero are the point of the chapter and need the precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import grad, grad_and_value, hessian, vmap
from tqdm.auto import tqdm

from dofcourse.device import single_thread

DTYPE = torch.float64
Params = tuple[Tensor, ...]
Forward = Callable[[Params, Tensor], Tensor]

SUCCESS = "global minimum"
SLOW = "still descending"
SPURIOUS = "spurious minimum"
SADDLE = "saddle"
LABELS = (SUCCESS, SLOW, SPURIOUS, SADDLE)


# ----------------------------------------------------------------------------- models
def shallow_forward(params: Params, x: Tensor) -> Tensor:
    """``f(x) = sum_j v_j (w_j . x)^2`` with ``params = (W (m, d), v (m,))``, ``x (n, d)``."""
    w, v = params
    return ((x @ w.T) ** 2) @ v


def deep_forward(params: Params, x: Tensor) -> Tensor:
    """A deeper quadratic net ``f(x) = v . (W_L ( ... (W_1 x)^2 ... ))^2``.

    ``params = (W_1 (m_1, d), ..., W_L (m_L, m_{L-1}), v (m_L,))``; ``x (n, d)`` → ``(n,)``. With
    ``L = 1`` this is :func:`shallow_forward`.
    """
    h = x
    for w in params[:-1]:
        h = (h @ w.T) ** 2
    return h @ params[-1]


def mse(forward: Forward, params: Params, x: Tensor, y: Tensor) -> Tensor:
    """Half the mean squared error ``(1/2n) sum_i (f(x_i) - y_i)^2`` (a scalar)."""
    return 0.5 * ((forward(params, x) - y) ** 2).mean()


def matrix_of(params: Params) -> Tensor:
    """The quadratic form ``A = W^T diag(v) W`` (``(d, d)``) a shallow net computes."""
    w, v = params
    return (w.T * v) @ w


# ----------------------------------------------------------------------------- teachers
@dataclass
class Problem:
    """A planted task: inputs ``x (n, d)`` ~ N(0, I), labels ``y = x^T A x`` ``(n,)``, teacher A."""

    x: Tensor
    y: Tensor
    teacher: Tensor

    @property
    def d(self) -> int:
        return self.x.shape[1]

    @property
    def n(self) -> int:
        return self.x.shape[0]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def teacher_matrix(
    d: int, rank: int | None = None, *, signs: str = "mixed", seed: int = 0
) -> Tensor:
    """A random symmetric ``(d, d)`` teacher of the given rank (default ``d``).

    Eigenvectors are uniformly random; eigenvalues have magnitude 1 and signs ``"mixed"``
    (alternating +, -, +, ...) or ``"psd"`` (all +). The matrix is scaled so that
    ``E[(x^T A x)^2] = 2 |A|_F^2 + tr(A)^2 = 1`` for ``x ~ N(0, I)``: labels have unit mean square
    and losses read as fractions of the label energy.
    """
    rank = d if rank is None else rank
    _check_positive(d=d, rank=rank)
    if rank > d:
        raise ValueError(f"rank must be at most d={d}, got {rank}")
    if signs not in ("mixed", "psd"):
        raise ValueError(f"signs must be 'mixed' or 'psd', got {signs!r}")
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=DTYPE))
    lam = torch.ones(rank, dtype=DTYPE)
    if signs == "mixed":
        lam[1::2] = -1.0
    a = (u[:, :rank] * lam) @ u[:, :rank].T
    return a / math.sqrt(2 * (a**2).sum() + a.trace() ** 2)


def planted_problem(
    d: int, n: int, rank: int | None = None, *, signs: str = "mixed", seed: int = 0
) -> Problem:
    """``n`` Gaussian inputs in ``R^d`` labelled by :func:`teacher_matrix` (same seed, same data)"""
    _check_positive(n=n)
    a = teacher_matrix(d, rank, signs=signs, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(n, d, generator=g, dtype=DTYPE)
    return Problem(x=x, y=((x @ a) * x).sum(1), teacher=a)


# ----------------------------------------------------------------------------- ensembles
def init_shallow(n_seeds: int, m: int, d: int, *, scale: float = 0.7, seed: int = 0) -> Params:
    """``n_seeds`` random shallow nets: ``W (S, m, d)`` with entries N(0, scale^2/d) and trainable
    output weights ``v (S, m)`` with entries N(0, scale^2/2), so random signs.

    The variances make each neuron *balanced* on average, ``|w_j|^2 ~ 2 v_j^2``: gradient flow
    conserves ``|w_j|^2 - 2 v_j^2`` (the rescaling symmetry), and an unbalanced start stays
    unbalanced, which makes the landscape badly conditioned and gradient descent slow.
    """
    _check_positive(n_seeds=n_seeds, m=m, d=d)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n_seeds, m, d, generator=g, dtype=DTYPE) * (scale / math.sqrt(d))
    v = torch.randn(n_seeds, m, generator=g, dtype=DTYPE) * (scale / math.sqrt(2))
    return (w, v)


def init_deep(n_seeds: int, widths: Sequence[int], d: int, *, seed: int = 0) -> Params:
    """``n_seeds`` random deep quadratic nets with hidden ``widths = (m_1, ..., m_L)``.

    Layer ``l`` has entries N(0, 1/fan_in) (for the second layer on, ``1/sqrt(3 * fan_in)`` keeps
    the squared activations, whose mean is about 1, from growing), ``v`` has entries N(0, 1/m_L).
    """
    _check_positive(n_seeds=n_seeds, d=d)
    if len(widths) == 0:
        raise ValueError("widths must name at least one hidden layer")
    _check_positive(**{f"widths[{i}]": w for i, w in enumerate(widths)})
    g = torch.Generator().manual_seed(seed)
    params, fan_in = [], d
    for layer, m in enumerate(widths):
        std = 1 / math.sqrt(fan_in) if layer == 0 else 1 / math.sqrt(3 * fan_in)
        params.append(torch.randn(n_seeds, m, fan_in, generator=g, dtype=DTYPE) * std)
        fan_in = m
    params.append(torch.randn(n_seeds, fan_in, generator=g, dtype=DTYPE) / math.sqrt(fan_in))
    return tuple(params)


def pad_neurons(params: Params, width: int) -> Params:
    """Widen a stacked shallow ensemble ``(W (S, m, d), v (S, m))`` to ``width`` neurons with zeros.

    A neuron with ``w_j = 0`` and ``v_j = 0`` has zero gradient in both
    (``df/dw_j = 2 v_j (w_j.x) x``, ``df/dv_j = (w_j.x)^2``), so gradient descent never moves it:
    the padded net *is* the width-``m`` net (used to add a spare neuron to a trained net).
    """
    w, v = params
    if width < w.shape[1]:
        raise ValueError(f"cannot pad {w.shape[1]} neurons down to {width}")
    extra = width - w.shape[1]
    return (
        torch.cat([w, w.new_zeros(w.shape[0], extra, w.shape[2])], dim=1),
        torch.cat([v, v.new_zeros(v.shape[0], extra)], dim=1),
    )


def n_seeds_of(params: Params) -> int:
    """The size ``S`` of the leading seed axis (checked equal on all tensors)."""
    sizes = {p.shape[0] for p in params}
    if len(sizes) != 1:
        raise ValueError(f"all tensors of a stacked ensemble need the same seed axis, got {sizes}")
    return sizes.pop()


def select(params: Params, i: int) -> Params:
    """Seed ``i`` of a stacked ensemble (drops the seed axis)."""
    return tuple(p[i] for p in params)


def stack(params: Sequence[Params]) -> Params:
    """Stack single nets into an ensemble (adds a leading seed axis)."""
    return tuple(torch.stack(ts) for ts in zip(*params, strict=True))


def train_gd(
    forward: Forward,
    params: Params,
    x: Tensor,
    y: Tensor,
    *,
    steps: int,
    lr: float,
    momentum: float = 0.0,
    record_every: int = 10,
    progress: bool = False,
) -> tuple[Params, Tensor]:
    """Full-batch gradient descent on :func:`mse` for a stacked ensemble, all seeds at once.

    The per-seed gradient is ``torch.func.grad_and_value`` of the loss, mapped over the seed axis
    with ``vmap``: one batched computation instead of ``S`` Python loops. ``momentum`` > 0 adds a
    heavy ball (``b <- momentum * b + g``, ``theta <- theta - lr * b``), which keeps the same fixed
    points and crosses the long, shallow valleys of these landscapes in fewer steps.

    A quartic loss has no global step-size limit, so each seed keeps its own step: when its loss
    more than doubles in one step, that step is undone, its step size halved and its ball stopped;
    the step then grows back by 1 % per step up to ``lr`` (an early blow-up does not freeze a seed).
    Returns the final parameters and the loss history ``(S, steps // record_every + 1)``.
    """
    _check_positive(steps=steps, record_every=record_every)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"need x of shape (n, d) and y of shape (n,), got {x.shape}, {y.shape}")
    n_seeds_of(params)
    with single_thread():
        return _descend(forward, params, x, y, steps, lr, momentum, record_every, progress)


def _descend(
    forward: Forward,
    params: Params,
    x: Tensor,
    y: Tensor,
    steps: int,
    lr: float,
    momentum: float,
    record_every: int,
    progress: bool,
) -> tuple[Params, Tensor]:
    """The loop of :func:`train_gd` (arguments already checked)."""
    n_seeds = n_seeds_of(params)
    step_fn = vmap(grad_and_value(lambda p: mse(forward, p, x, y)))
    rates = torch.full((n_seeds,), float(lr), dtype=params[0].dtype)
    ball = tuple(torch.zeros_like(p) for p in params)
    prev, prev_loss = params, torch.full_like(rates, math.inf)
    history = []
    for step in tqdm(range(steps + 1), disable=not progress, leave=False, desc="GD"):
        grads, loss = step_fn(params)
        bad = ~(loss <= 2 * prev_loss + 1e-12)
        if bad.any():
            params = tuple(
                torch.where(_expand(bad, p), q, p) for p, q in zip(params, prev, strict=True)
            )
            ball = tuple(torch.where(_expand(bad, b), 0.0, b) for b in ball)
            rates = torch.where(bad, rates / 2, rates)
            grads, loss = step_fn(params)
        if step % record_every == 0:
            history.append(loss)
        if step == steps:
            break
        ball = tuple(momentum * b + g for b, g in zip(ball, grads, strict=True))
        prev, prev_loss = params, loss
        rates = (rates * 1.01).clamp(max=lr)  # a halved step grows back (1 % a step) up to lr
        params = tuple(p - _expand(rates, b) * b for p, b in zip(params, ball, strict=True))
    return params, torch.stack(history, dim=1)


def _expand(per_seed: Tensor, like: Tensor) -> Tensor:
    """View a ``(S,)`` tensor so that it broadcasts against ``like (S, ...)``."""
    return per_seed.reshape(-1, *([1] * (like.ndim - 1)))


# ----------------------------------------------------------------------------- flat vectors
def flatten(params: Params) -> Tensor:
    """Concatenate one net's tensors into a vector ``(P,)``."""
    return torch.cat([p.reshape(-1) for p in params])


def unflatten(theta: Tensor, like: Params) -> Params:
    """Inverse of :func:`flatten`, with the shapes of ``like``."""
    out, i = [], 0
    for p in like:
        out.append(theta[i : i + p.numel()].reshape(p.shape))
        i += p.numel()
    return tuple(out)


def flat_loss(forward: Forward, like: Params, x: Tensor, y: Tensor) -> Callable[[Tensor], Tensor]:
    """The loss as a function of a flat parameter vector ``theta (P,)``."""
    return lambda theta: mse(forward, unflatten(theta, like), x, y)


def exact_hessian(forward: Forward, params: Params, x: Tensor, y: Tensor) -> Tensor:
    """The exact ``(P, P)`` Hessian of :func:`mse` at one net (``torch.func.hessian``)."""
    return hessian(flat_loss(forward, params, x, y))(flatten(params))


def loss_grad_hessian(
    forward: Forward, params: Params, x: Tensor, y: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Loss ``(S,)``, gradient ``(S, P)`` and Hessian ``(S, P, P)`` of a stacked ensemble."""
    single = select(params, 0)
    f = flat_loss(forward, single, x, y)
    theta = torch.stack([flatten(select(params, i)) for i in range(n_seeds_of(params))])
    return vmap(f)(theta), vmap(grad(f))(theta), vmap(hessian(f))(theta)


# ----------------------------------------------------------------------------- symmetry
def symmetry_directions(params: Params, tol: float = 1e-9) -> Tensor:
    """Orthonormal basis ``(P, k)`` of the directions that leave a shallow net's function unchanged.

    Two continuous symmetries keep ``A = W^T diag(v) W`` fixed:
    * *rescaling* a neuron, ``(w_j, v_j) -> (c w_j, v_j / c^2)``: tangent ``(w_j, -2 v_j)``;
    * *generalised rotations* ``W -> Q W`` with ``Q^T diag(v) Q = diag(v)`` (orthogonal rotations
      among neurons of one output sign, hyperbolic ones between signs): tangents ``K W`` with
      ``K = diag(v)^{-1} B`` for antisymmetric ``B`` (neurons with ``v_j = 0`` are skipped).
    The loss is constant along these curves, so at every critical point each tangent is an exact
    null vector of the Hessian. They are not evidence of anything and are projected out before
    asking whether a point is a minimum (see :func:`restricted_eigenvalues`).
    """
    w, v = params
    if w.ndim != 2 or v.shape != (w.shape[0],):
        raise ValueError(f"need one shallow net (W (m, d), v (m,)), got {w.shape}, {v.shape}")
    m = w.shape[0]
    tangents = []
    for j in range(m):
        dw, dv = torch.zeros_like(w), torch.zeros_like(v)
        dw[j], dv[j] = w[j], -2 * v[j]
        tangents.append(flatten((dw, dv)))
    live = [j for j in range(m) if v[j].abs() > tol]
    for a, j in enumerate(live):
        for k in live[a + 1 :]:
            dw = torch.zeros_like(w)
            dw[j], dw[k] = w[k] / v[j], -w[j] / v[k]
            tangents.append(flatten((dw, torch.zeros_like(v))))
    t = torch.stack(tangents, dim=1)
    u, s, _ = torch.linalg.svd(t, full_matrices=False)
    keep = s > tol * max(1.0, float(s.max()))
    return u[:, keep]


def restricted_eigenvalues(h: Tensor, directions: Tensor) -> Tensor:
    """Eigenvalues (ascending) of the Hessian ``h (P, P)`` on the orthogonal complement of
    ``directions (P, k)`` (an orthonormal basis), i.e. with the symmetry directions removed."""
    p = h.shape[0]
    if directions.shape[1] == 0:
        return torch.linalg.eigvalsh(h)
    q, _ = torch.linalg.qr(torch.cat([directions, torch.eye(p, dtype=h.dtype)], dim=1))
    comp = q[:, directions.shape[1] : p]
    return torch.linalg.eigvalsh(comp.T @ h @ comp)


# ----------------------------------------------------------------------------- classification
@dataclass
class EndPoints:
    """What an ensemble's end points are. All fields are ``(S,)`` tensors except ``labels``.

    ``lam_min`` is the smallest Hessian eigenvalue, ``lam_min_perp`` the smallest one once the
    exact symmetry directions are projected out (for deep nets, where none are computed, the two
    are equal); ``n_symmetry`` counts the directions removed.
    """

    loss: Tensor
    grad_norm: Tensor
    lam_min: Tensor
    lam_min_perp: Tensor
    n_symmetry: Tensor
    labels: list[str]

    def fraction(self, label: str) -> float:
        """Fraction of seeds with this label."""
        return sum(lab == label for lab in self.labels) / len(self.labels)

    def counts(self) -> dict[str, int]:
        """Number of seeds per label (all four labels, zeros included)."""
        return {lab: sum(x == lab for x in self.labels) for lab in LABELS}


def classify_one(
    loss: float,
    grad_norm: float,
    lam_min_perp: float,
    *,
    loss_tol: float = 1e-6,
    grad_tol: float = 1e-7,
    eig_tol: float = 1e-6,
) -> str:
    """Label one end point (losses are fractions of the label energy).

    * ``loss <= loss_tol``: a global minimum (the loss is zero there);
    * smallest restricted eigenvalue below ``-eig_tol``: a saddle (a direction of descent exists);
    * ``grad_norm <= grad_tol`` and no such eigenvalue: a spurious minimum (stuck, loss > 0);
    * otherwise still descending: the gradient has not vanished, gradient descent is moving; with a
      low-rank teacher this is the slow, sublinear approach to a global minimum.
    """
    if loss <= loss_tol:
        return SUCCESS
    if lam_min_perp < -eig_tol:
        return SADDLE
    if grad_norm <= grad_tol:
        return SPURIOUS
    return SLOW


def classify(forward: Forward, params: Params, x: Tensor, y: Tensor, **tols: float) -> EndPoints:
    """Loss, gradient norm and Hessian spectrum of every seed of an ensemble, and its label.

    For a shallow net (``forward is shallow_forward``) the symmetry directions are projected out
    before the smallest eigenvalue is taken. ``tols`` go to :func:`classify_one`.
    """
    with single_thread():
        return _classify(forward, params, x, y, **tols)


def _classify(forward: Forward, params: Params, x: Tensor, y: Tensor, **tols: float) -> EndPoints:
    """The body of :func:`classify`."""
    loss, g, h = loss_grad_hessian(forward, params, x, y)
    lam_min = torch.linalg.eigvalsh(h)[:, 0]
    perp, n_sym = [], []
    for i in range(n_seeds_of(params)):
        if forward is shallow_forward:
            dirs = symmetry_directions(select(params, i))
            perp.append(restricted_eigenvalues(h[i], dirs)[0])
            n_sym.append(dirs.shape[1])
        else:
            perp.append(lam_min[i])
            n_sym.append(0)
    lam_perp = torch.stack(perp)
    grad_norm = g.norm(dim=1)
    labels = [
        classify_one(float(a), float(b), float(c), **tols)
        for a, b, c in zip(loss, grad_norm, lam_perp, strict=True)
    ]
    return EndPoints(loss, grad_norm, lam_min, lam_perp, torch.tensor(n_sym), labels)


@dataclass
class Fit:
    """An ensemble trained until its end points are decided: final ``params`` (stacked),
    ``history`` ``(S, K)`` of the first round's losses, ``steps`` taken per seed ``(S,)``, and the
    classified ``ends``."""

    params: Params
    history: Tensor
    steps: Tensor
    ends: EndPoints


def fit_shallow(
    prob: Problem,
    m: int,
    *,
    n_seeds: int,
    steps: int,
    lr: float = 0.02,
    momentum: float = 0.9,
    rounds: int = 3,
    seed: int = 0,
) -> Fit:
    """Train ``n_seeds`` shallow nets of width ``m`` and classify where they end.

    Seeds still descending after ``steps`` steps get up to ``rounds - 1`` more rounds of ``steps``
    (only those seeds are trained), so that a slow approach to a spurious minimum is not
    mistaken for success. Seeds still descending after that are reported as such.
    """
    _check_positive(rounds=rounds)
    params = init_shallow(n_seeds, m, prob.d, seed=seed)
    params, history = train_gd(
        shallow_forward,
        params,
        prob.x,
        prob.y,
        steps=steps,
        lr=lr,
        momentum=momentum,
        record_every=max(1, steps // 100),
    )
    taken = torch.full((n_seeds,), steps)
    ends = classify(shallow_forward, params, prob.x, prob.y)
    for _ in range(rounds - 1):
        slow = torch.tensor([lab == SLOW for lab in ends.labels])
        if not slow.any():
            break
        more, _ = train_gd(
            shallow_forward,
            tuple(p[slow] for p in params),
            prob.x,
            prob.y,
            steps=steps,
            lr=lr,
            momentum=momentum,
            record_every=steps,
        )
        params = tuple(p.index_put((slow,), mp) for p, mp in zip(params, more, strict=True))
        taken = taken + steps * slow
        ends = classify(shallow_forward, params, prob.x, prob.y)
    return Fit(params, history, taken, ends)


# ----------------------------------------------------------------------------- statistics
def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a success probability (95 % for ``z = 1.96``).

    Better than ``p ± z sqrt(p(1-p)/n)`` near 0 and 1, where that interval collapses to a point.
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    p = successes / trials
    denom = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
