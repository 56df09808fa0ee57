"""The Hessian of a network's loss, seen through Hessian-vector products.

A network with D parameters has a D×D Hessian: 10¹⁰ entries for D = 10⁵, far too many to store.
Everything here needs only products H v, which ``torch.func`` computes at the cost of a few
forward/backward passes (forward-over-reverse: the ``jvp`` of ``grad``). On top of H v:

* :func:`lanczos_eigs` and :func:`power_iteration` — the top-k eigenpairs;
* :func:`hutchinson_trace` — tr H with a confidence interval;
* :func:`slq` — the whole spectral density by stochastic Lanczos quadrature (Ghorbani et al. 2019);
* :meth:`HessianOperator.gauss_newton` / :meth:`HessianOperator.residual` — the two parts of
  H = G + R (outer-product / Gauss–Newton part and the part weighted by the loss residuals);
* :func:`exact_hessian`, :func:`exact_gauss_newton` — dense matrices for small models, used to
  check every estimator against ``torch.linalg.eigvalsh``;
* :func:`effective_parameters` (MacKay 1992), :func:`bulk_scale` and :func:`count_outliers`;
* :func:`summarize` and :func:`checkpoint_scrubber` — a spectrum per training checkpoint, and a
  slider to scrub through them.

Vectors live in the flattened space of the chosen parameters: a tensor of shape ``(D,)`` in the
order of ``HessianOperator.names``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, jvp, vjp, vmap

LossFn = Callable[[Tensor, Tensor], Tensor]


class LinearOperator(Protocol):
    """A symmetric D×D matrix known only through ``matvec`` (shape ``(D,) -> (D,)``)."""

    dim: int
    dtype: torch.dtype
    device: torch.device

    def matvec(self, v: Tensor) -> Tensor: ...


# --------------------------------------------------------------------------------------------
# The operator
# --------------------------------------------------------------------------------------------


def _as_xy(data: Any) -> tuple[Tensor, Tensor]:
    """Accept ``(x, y)`` or a course ``Dataset`` (its training split)."""
    if hasattr(data, "x_train") and hasattr(data, "y_train"):
        return data.x_train, data.y_train
    if isinstance(data, tuple | list) and len(data) == 2:
        x, y = data
        if isinstance(x, Tensor) and isinstance(y, Tensor):
            return x, y
    raise TypeError("data must be a tuple (x, y) of tensors or a dofcourse Dataset")


class HessianOperator:
    """The Hessian of the mean loss over ``(x, y)`` w.r.t. the parameters named in ``params``.

    The parameters are read once, when the operator is built (build a new one after training).
    With ``batch_size`` the data are split into batches and the products averaged with weights
    ``n_b / N`` — the same matrix as the full batch, with less memory. Parameters not selected are
    held fixed. ``loss_fn(outputs, y)`` must average over the batch (the default cross-entropy
    does); the Gauss–Newton split also assumes it is a sum of per-example terms.
    """

    def __init__(
        self,
        model: nn.Module,
        data: Any,
        *,
        params: Sequence[str] | None = None,
        loss_fn: LossFn = F.cross_entropy,
        batch_size: int | None = None,
    ) -> None:
        x, y = _as_xy(data)
        named = dict(model.named_parameters())
        if not named:
            raise ValueError("the model has no parameters: its Hessian is empty")
        if x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise ValueError(
                f"x and y must hold the same, non-zero number of examples: got {x.shape[0]} "
                f"inputs and {y.shape[0]} targets"
            )
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}")
        names = list(named) if params is None else list(params)
        unknown = [n for n in names if n not in named]
        if unknown or not names:
            raise ValueError(f"unknown or empty parameter selection {unknown or names}; "
                             f"the model has {list(named)}")
        self.model, self.loss_fn, self.names = model, loss_fn, names
        self.shapes = [named[n].shape for n in names]
        self.sizes = [named[n].numel() for n in names]
        self.theta = torch.cat([named[n].detach().reshape(-1) for n in names])
        self.dim, self.dtype, self.device = self.theta.numel(), self.theta.dtype, self.theta.device
        frozen = {n: p.detach() for n, p in named.items() if n not in names}
        self._fixed = {**frozen, **{n: b.detach() for n, b in model.named_buffers()}}
        self._check_forward(x, y)
        step = x.shape[0] if batch_size is None else batch_size
        self.batches = [(x[i : i + step], y[i : i + step]) for i in range(0, x.shape[0], step)]
        self.n = x.shape[0]

    def _check_forward(self, x: Tensor, y: Tensor) -> None:
        """One forward pass on two examples, so that bad data fail here with a clear message."""
        try:
            with torch.no_grad():
                out = self.outputs(self.theta, x[:2])
                self.loss_fn(out, y[:2])
        except (RuntimeError, IndexError, ValueError) as err:
            raise ValueError(
                f"the model and loss cannot be evaluated on x of shape {tuple(x.shape)} and y of "
                f"shape {tuple(y.shape)}, dtype {y.dtype}: {err}"
            ) from err
        if not y.is_floating_point() and out.dim() == 2:
            lo, hi = int(y.min()), int(y.max())
            if lo < 0 or hi >= out.shape[1]:
                raise ValueError(f"class labels must lie in 0..{out.shape[1] - 1} for a model "
                                 f"with {out.shape[1]} outputs, got labels {lo}..{hi}")

    def params(self, flat: Tensor) -> dict[str, Tensor]:
        """Split a flat vector ``(D,)`` into the named tensors (plus the fixed ones)."""
        chunks = torch.split(flat, self.sizes)
        own = {n: c.view(s) for n, c, s in zip(self.names, chunks, self.shapes, strict=True)}
        return {**self._fixed, **own}

    def outputs(self, flat: Tensor, x: Tensor) -> Tensor:
        """Network outputs ``(N, C)`` at parameters ``flat``."""
        return functional_call(self.model, self.params(flat), (x,))

    def loss_at(self, flat: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """The mean loss on ``(x, y)`` at parameters ``flat`` ``(D,)``: the function H is of."""
        return self.loss_fn(self.outputs(flat, x), y)

    def _average(self, per_batch: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
        total = None
        for x, y in self.batches:
            part = per_batch(x, y) * (x.shape[0] / self.n)
            total = part if total is None else total + part
        assert total is not None
        return total

    def loss(self) -> float:
        """The mean loss over all examples."""
        with torch.no_grad():
            return float(self._average(lambda x, y: self.loss_at(self.theta, x, y)))

    def gradient(self) -> Tensor:
        """The gradient of the mean loss, shape ``(D,)``."""
        return self._average(lambda x, y: grad(self.loss_at)(self.theta, x, y)).detach()

    def check_vector(self, v: Tensor) -> Tensor:
        if v.shape != (self.dim,):
            raise ValueError(f"vector must have shape ({self.dim},), got {tuple(v.shape)}")
        return v.to(device=self.device, dtype=self.dtype)

    def hvp(self, v: Tensor) -> Tensor:
        """H v, shape ``(D,)``: forward-mode derivative (``jvp``) of the reverse-mode gradient."""
        v = self.check_vector(v)

        def one(x: Tensor, y: Tensor) -> Tensor:
            return jvp(lambda t: grad(self.loss_at)(t, x, y), (self.theta,), (v,))[1]

        return self._average(one).detach()

    matvec = hvp

    def gn_vp(self, v: Tensor) -> Tensor:
        """G v with G = Jᵀ H_out J (J: outputs w.r.t. parameters, H_out: loss w.r.t. outputs)."""
        v = self.check_vector(v)

        def one(x: Tensor, y: Tensor) -> Tensor:
            out, jv = jvp(lambda t: self.outputs(t, x), (self.theta,), (v,))
            _, hjv = jvp(grad(lambda o: self.loss_fn(o, y)), (out.detach(),), (jv,))
            _, pullback = vjp(lambda t: self.outputs(t, x), self.theta)
            return pullback(hjv)[0]

        return self._average(one).detach()

    def gauss_newton(self) -> _Part:
        """The Gauss–Newton (outer-product) part G as an operator: positive semi-definite for a
        convex loss such as cross-entropy."""
        return _Part(self, lambda v: self.gn_vp(v))

    def residual(self) -> _Part:
        """The residual part R = H − G = Σ_c (∂ℓ/∂f_c) ∇²f_c; it vanishes where the loss does."""
        return _Part(self, lambda v: self.hvp(v) - self.gn_vp(v))


@dataclass
class _Part:
    """A matrix that shares the parameter space of a :class:`HessianOperator`."""

    parent: HessianOperator
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


def hessian_operator(
    model: nn.Module,
    data: Any,
    *,
    params: Sequence[str] | None = None,
    loss_fn: LossFn = F.cross_entropy,
    batch_size: int | None = None,
) -> HessianOperator:
    """Build the :class:`HessianOperator` of ``model`` on ``data`` (``(x, y)`` or a Dataset)."""
    return HessianOperator(model, data, params=params, loss_fn=loss_fn, batch_size=batch_size)


# --------------------------------------------------------------------------------------------
# Exact matrices for small models
# --------------------------------------------------------------------------------------------


def _check_small(op: LinearOperator, max_dim: int) -> None:
    if op.dim > max_dim:
        raise ValueError(f"D = {op.dim} is larger than max_dim = {max_dim}: a dense D×D matrix "
                         "would be too large; use lanczos_eigs or slq instead")


def exact_hessian(op: HessianOperator, max_dim: int = 4000) -> Tensor:
    """The dense Hessian ``(D, D)`` by ``torch.func.hessian`` (independent of :meth:`hvp`)."""
    _check_small(op, max_dim)
    h = op._average(lambda x, y: torch.func.hessian(op.loss_at)(op.theta, x, y)).detach()
    return (h + h.T) / 2


def dense(op: LinearOperator, max_dim: int = 4000, chunk_size: int = 64) -> Tensor:
    """The dense matrix ``(D, D)`` of any operator, by products with the basis vectors."""
    _check_small(op, max_dim)
    eye = torch.eye(op.dim, dtype=op.dtype, device=op.device)
    cols = torch.cat([torch.stack([op.matvec(e) for e in blk]) for blk in eye.split(chunk_size)])
    return (cols + cols.T) / 2


def exact_gauss_newton(op: HessianOperator, max_dim: int = 4000) -> Tensor:
    """The dense Gauss–Newton matrix G = (1/N) Σ_i J_iᵀ H_i J_i, shape ``(D, D)``.

    J_i ``(C, D)`` is the Jacobian of example i's outputs and H_i ``(C, C)`` the Hessian of its
    loss ℓ_i = ``loss_fn(f_i[None], y_i[None])`` w.r.t. those outputs, both from ``torch.func``
    (independent of :meth:`HessianOperator.gn_vp`); this assumes the loss is a mean of per-example
    terms. Memory: one ``(n_b, C, D)`` Jacobian per batch.
    """
    _check_small(op, max_dim)

    def per_example(o: Tensor, t: Tensor) -> Tensor:
        return torch.func.hessian(lambda oi: op.loss_fn(oi[None], t[None]))(o)

    def one(x: Tensor, y: Tensor) -> Tensor:
        jac = torch.func.jacrev(lambda t: op.outputs(t, x))(op.theta)  # (n, C, D)
        out = op.outputs(op.theta, x).detach()
        h_out = vmap(per_example)(out, y)  # (n, C, C)
        return torch.einsum("nci,ncd,ndj->ij", jac, h_out, jac) / x.shape[0]

    g = op._average(one).detach()
    return (g + g.T) / 2


# --------------------------------------------------------------------------------------------
# Lanczos, power iteration
# --------------------------------------------------------------------------------------------


@dataclass
class LanczosResult:
    """``alpha (m,)``, ``beta (m-1,)``: the tridiagonal T; ``basis (m, D)``: orthonormal rows."""

    alpha: Tensor
    beta: Tensor
    basis: Tensor

    def tridiagonal(self) -> Tensor:
        """T ``(m, m)`` in float64."""
        return torch.diag(self.alpha) + torch.diag(self.beta, 1) + torch.diag(self.beta, -1)


def _start(op: LinearOperator, seed: int, rademacher: bool = False) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    if rademacher:
        v = torch.randint(0, 2, (op.dim,), generator=g, dtype=torch.float64) * 2 - 1
    else:
        v = torch.randn(op.dim, generator=g, dtype=torch.float64)
    return v.to(op.device)


def _apply(op: LinearOperator, v: Tensor) -> Tensor:
    """op·v in float64 (the operator itself runs in its own dtype)."""
    return op.matvec(v.to(op.dtype)).to(torch.float64)


def lanczos(op: LinearOperator, steps: int, *, seed: int = 0, start: Tensor | None = None
            ) -> LanczosResult:
    """``steps`` Lanczos iterations from a random (or given) start, with full reorthogonalisation.

    Every new vector is orthogonalised twice against all earlier ones (Gram–Schmidt, float64), so
    the Ritz values do not repeat ("ghost" eigenvalues) as they do in plain Lanczos. Stops early if
    the Krylov space becomes invariant (β ≈ 0), so ``m ≤ steps``. Cost: ``m`` products, O(m²D).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    steps = min(steps, op.dim)
    q = _start(op, seed) if start is None else start.to(device=op.device, dtype=torch.float64)
    if q.shape != (op.dim,) or float(q.norm()) == 0:
        raise ValueError(f"start must be a non-zero vector of shape ({op.dim},)")
    basis = torch.zeros(steps, op.dim, dtype=torch.float64, device=op.device)
    basis[0] = q / q.norm()
    alpha, beta = [], []
    for j in range(steps):
        w = _apply(op, basis[j])
        alpha.append(float(w @ basis[j]))
        for _ in range(2):
            w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
        b = float(w.norm())
        scale = max(abs(a) for a in alpha) + (max(beta) if beta else 0.0)
        if j == steps - 1 or b <= 1e-10 * max(scale, 1e-30):
            break
        beta.append(b)
        basis[j + 1] = w / b
    m = len(alpha)
    return LanczosResult(torch.tensor(alpha, dtype=torch.float64),
                         torch.tensor(beta, dtype=torch.float64), basis[:m])


def _check_k(op: LinearOperator, k: int) -> None:
    if not 1 <= k <= op.dim:
        raise ValueError(f"k must be between 1 and the dimension D = {op.dim}, got k = {k}")


def lanczos_eigs(op: LinearOperator, k: int, steps: int | None = None, *, seed: int = 0
                 ) -> tuple[Tensor, Tensor]:
    """Top-k (largest algebraic) eigenpairs from the Ritz pairs of a Lanczos run.

    Returns eigenvalues ``(k,)`` in decreasing order and eigenvectors ``(k, D)`` (float64).
    ``steps`` defaults to ``min(D, 2k + 40)``; extreme eigenvalues converge first, so a run a few
    times longer than k gives the top k to many digits.
    """
    _check_k(op, k)
    steps = min(op.dim, 2 * k + 40) if steps is None else steps
    if steps < k:
        raise ValueError(f"need at least k = {k} Lanczos steps, got steps = {steps}")
    res = lanczos(op, steps, seed=seed)
    if res.alpha.numel() < k:
        raise ValueError(f"the start vector lies in an invariant subspace of dimension "
                         f"{res.alpha.numel()} < k = {k}; try another seed")
    vals, vecs = torch.linalg.eigh(res.tridiagonal())
    order = torch.argsort(vals, descending=True)[:k]
    return vals[order], (res.basis.T @ vecs[:, order].to(res.basis.device)).T


def power_iteration(op: LinearOperator, k: int = 1, *, iters: int = 500, tol: float = 1e-6,
                    seed: int = 0) -> tuple[Tensor, Tensor]:
    """Top-k eigenpairs (largest in magnitude) by power iteration with deflation.

    Eigenpair j is found by iterating v ← (H − Σ_{i<j} λ_i u_i u_iᵀ) v until the Rayleigh quotient
    changes by less than ``tol`` (relative) or ``iters`` products are spent. Simple, but slow when
    |λ_{j+1}/λ_j| is close to 1 — which is why Lanczos is preferred. Returns ``(k,)``, ``(k, D)``.
    """
    _check_k(op, k)
    vals: list[float] = []
    vecs: list[Tensor] = []
    for j in range(k):
        v = _start(op, seed + j)
        lam = 0.0
        for _ in range(iters):
            for u in vecs:
                v = v - (u @ v) * u
            v = v / v.norm()
            w = _apply(op, v) - sum((lv * (u @ v) * u for lv, u in zip(vals, vecs, strict=True)),
                                    torch.zeros_like(v))
            new = float(v @ w)
            v = w
            if abs(new - lam) <= tol * abs(new):
                lam = new
                break
            lam = new
        vals.append(lam)
        vecs.append(v / v.norm())
    return torch.tensor(vals, dtype=torch.float64), torch.stack(vecs)


# --------------------------------------------------------------------------------------------
# Trace and density
# --------------------------------------------------------------------------------------------


@dataclass
class TraceEstimate:
    """Hutchinson's estimate: ``mean`` of zᵀHz over probes, ``lo``/``hi`` a Student-t interval."""

    mean: float
    lo: float
    hi: float
    stderr: float
    samples: Tensor

    def __contains__(self, value: float) -> bool:
        return self.lo <= value <= self.hi


def hutchinson_trace(op: LinearOperator, n_probes: int = 100, *, confidence: float = 0.95,
                     seed: int = 0) -> TraceEstimate:
    """tr H ≈ mean of zᵀHz with Rademacher z (E zzᵀ = I), and a ``confidence`` interval.

    The interval is mean ± t_{n−1} · s/√n, exact for Gaussian samples and close to it for the sums
    of many terms these are. Variance of one sample: 2 Σ_{i≠j} H_ij² (Rademacher).
    """
    from scipy import stats

    if n_probes < 2:
        raise ValueError(f"n_probes must be at least 2 for an interval, got {n_probes}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    samples = torch.tensor([float(z @ _apply(op, z)) for z in
                            (_start(op, seed + i, rademacher=True) for i in range(n_probes))],
                           dtype=torch.float64)
    mean, se = float(samples.mean()), float(samples.std() / math.sqrt(n_probes))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n_probes - 1)) * se
    return TraceEstimate(mean, mean - half, mean + half, se, samples)


@dataclass
class SpectralDensity:
    """Stochastic Lanczos quadrature: per probe, ``nodes (n_probes, m)`` and ``weights`` summing
    to 1 along each row; ``dim`` = D. Represents the spectral measure (1/D) Σ_i δ(λ − λ_i)."""

    nodes: Tensor
    weights: Tensor
    dim: int

    def per_probe(self, f: Callable[[Tensor], Tensor]) -> Tensor:
        """Σ_j w_j f(θ_j) for each probe v, shape ``(n_probes,)``: the quadrature of vᵀ f(H) v."""
        return (self.weights * f(self.nodes)).sum(dim=1)

    def expect(self, f: Callable[[Tensor], Tensor]) -> float:
        """(1/D) tr f(H) ≈ mean over probes of :meth:`per_probe`."""
        return float(self.per_probe(f).mean())

    def moment(self, p: int) -> float:
        """(1/D) Σ λ_i^p."""
        return self.expect(lambda t: t**p)

    def trace(self, f: Callable[[Tensor], Tensor]) -> float:
        """tr f(H) = D · :meth:`expect`."""
        return self.dim * self.expect(f)

    def density(self, grid: Tensor, sigma: float | None = None, rel_sigma: float = 0.01) -> Tensor:
        """The density on ``grid`` ``(G,)``: each node replaced by a Gaussian of width σ.

        σ defaults to ``rel_sigma`` × (largest − smallest node) — 1 % of the spectral range, which
        keeps isolated outliers as separate bumps while merging the bulk's nodes into a smooth
        curve. The result integrates to 1 over the real line (fraction of eigenvalues per unit λ).
        """
        if sigma is None:
            sigma = rel_sigma * float(self.nodes.max() - self.nodes.min()) or 1.0
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        z = (grid[:, None, None].double() - self.nodes[None]) / sigma
        g = torch.exp(-0.5 * z**2) / (sigma * math.sqrt(2 * math.pi))
        return (g * self.weights[None]).sum(dim=2).mean(dim=1)


def slq(op: LinearOperator, n_probes: int = 10, steps: int = 80, *, seed: int = 0
        ) -> SpectralDensity:
    """Spectral density by stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019).

    For each random unit probe v, ``steps`` Lanczos iterations from v give T = S diag(θ) Sᵀ; the
    Gauss quadrature nodes are θ and the weights the squared first components S_{0j}², so that
    Σ_j S_{0j}² θ_j^p = vᵀ H^p v exactly for p ≤ 2·steps − 1. Averaging over probes estimates
    (1/D) tr H^p: the moments of the spectrum.
    """
    if n_probes < 1:
        raise ValueError(f"n_probes must be at least 1, got {n_probes}")
    m = min(steps, op.dim)
    nodes = torch.zeros(n_probes, m, dtype=torch.float64)
    weights = torch.zeros(n_probes, m, dtype=torch.float64)
    for i in range(n_probes):
        res = lanczos(op, steps, start=_start(op, seed + i, rademacher=True))
        theta, s = torch.linalg.eigh(res.tridiagonal())
        r = theta.numel()
        nodes[i, :r], weights[i, :r] = theta.cpu(), (s[0] ** 2).cpu()
    return SpectralDensity(nodes, weights, op.dim)


# --------------------------------------------------------------------------------------------
# Effective parameters and outliers
# --------------------------------------------------------------------------------------------


def effective_parameters(eigs: Tensor | np.ndarray, alpha: float | Tensor) -> Tensor:
    """MacKay's N_eff = Σ_i λ_i / (λ_i + α) for each α (negative λ clipped to 0).

    Each direction counts ≈ 1 if its curvature λ is well above the prior precision α (the data
    determine it) and ≈ 0 if below (the prior does). ``alpha`` scalar or ``(A,)``; returns ``(A,)``.
    """
    lam = torch.as_tensor(eigs, dtype=torch.float64).clamp(min=0).reshape(1, -1)
    a = torch.as_tensor(alpha, dtype=torch.float64).reshape(-1, 1)
    if (a <= 0).any():
        raise ValueError("alpha must be positive")
    return (lam / (lam + a)).sum(dim=1)


def effective_parameters_slq(density: SpectralDensity, alpha: float | Tensor) -> Tensor:
    """N_eff from an SLQ density, D · E[λ₊/(λ₊ + α)]: for networks too large for all eigenvalues."""
    a = torch.as_tensor(alpha, dtype=torch.float64).reshape(-1)
    if (a <= 0).any():
        raise ValueError("alpha must be positive")
    return torch.tensor([density.trace(lambda t, a=float(ai): t.clamp(min=0) /
                                       (t.clamp(min=0) + a)) for ai in a], dtype=torch.float64)


def bulk_scale(eigs: Tensor | np.ndarray) -> float:
    """A robust scale of the bulk's top: the median of the lower half of the top eigenvalues.

    ``eigs`` are the top-k eigenvalues (any order). As long as fewer than k/2 of them are
    outliers, the lower half lies in the bulk, and its median ignores the outliers entirely.
    """
    lam = torch.as_tensor(eigs, dtype=torch.float64).sort(descending=True).values
    if lam.numel() < 10:
        raise ValueError(f"need at least 10 top eigenvalues to measure the bulk, got {lam.numel()}")
    scale = float(lam[lam.numel() // 2 :].median())
    if scale <= 0:
        raise ValueError("the lower half of the top eigenvalues is not positive: no bulk scale")
    return scale


def count_outliers(eigs: Tensor | np.ndarray, factor: float = 3.0, min_gap: float = 1.5) -> int:
    """Number of outliers: the eigenvalues above the lowest clear gap that lies above the bulk.

    ``eigs`` are the top-k eigenvalues (any order), with k at least twice the number of outliers
    expected (k = 30 for up to 10 classes). Two tests, both in units free of the loss's scale:

    1. *well above the bulk*: only eigenvalues larger than ``factor`` × :func:`bulk_scale` can be
       outliers (the top of the bulk sits at 2–5 bulk scales in the runs of chapter 02);
    2. *separated by a gap*: sorted decreasingly, the outliers are λ_1 … λ_i for the largest i
       among those candidates with λ_i / λ_{i+1} ≥ ``min_gap`` — the bulk ends at the first clear
       gap met coming up from below.

    The widest gap alone is not used, because the outliers are spread over a decade among
    themselves (Papyan's hierarchy) and the widest gap often falls *between* two outliers.
    Returns 0 when no candidate is followed by a clear gap.
    """
    if factor <= 1 or min_gap <= 1:
        raise ValueError(f"factor and min_gap must exceed 1, got {factor} and {min_gap}")
    lam = torch.as_tensor(eigs, dtype=torch.float64).sort(descending=True).values
    scale = bulk_scale(lam)
    n_cand = min(int((lam > factor * scale).sum()), lam.numel() - 1)
    gaps = [i for i in range(n_cand) if lam[i] >= min_gap * lam[i + 1]]
    return gaps[-1] + 1 if gaps else 0


# --------------------------------------------------------------------------------------------
# A summary per checkpoint, and a widget to scrub through them
# --------------------------------------------------------------------------------------------


@dataclass
class SpectrumSummary:
    """Top eigenvalues ``(k,)`` (Lanczos), N_eff at ``alpha``, the threshold count, D."""

    top: Tensor
    n_eff: float
    n_above: int
    alpha: float
    threshold: float
    dim: int


def summarize(op: HessianOperator, *, k: int = 20, steps: int = 60, alpha: float = 1e-2,
              threshold: float = 1e-1, n_probes: int = 4, seed: int = 0) -> SpectrumSummary:
    """Top-k eigenvalues, N_eff(α) by SLQ, and how many eigenvalues exceed ``threshold``.

    The count uses the top-k Lanczos eigenvalues, so it saturates at k (choose k larger than the
    counts you expect).
    """
    top, _ = lanczos_eigs(op, k, steps, seed=seed)
    dens = slq(op, n_probes, steps, seed=seed + 1000)
    n_eff = float(effective_parameters_slq(dens, alpha)[0])
    return SpectrumSummary(top.cpu(), n_eff, int((top > threshold).sum()), alpha, threshold,
                           op.dim)


def checkpoint_scrubber(steps: Sequence[int], summaries: Sequence[SpectrumSummary],
                        draw: Callable[[int], None] | None = None) -> Any:
    """An ipywidgets slider over checkpoints; ``draw(i)`` plots checkpoint i (default: a bar chart
    of its top eigenvalues on a log axis). Works headless: it draws the first checkpoint at once.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if len(steps) != len(summaries) or not steps:
        raise ValueError("need one summary per checkpoint step, and at least one checkpoint")
    ymax = max(float(s.top.max()) for s in summaries) * 2
    ymin = min(float(s.top[s.top > 0].min()) for s in summaries if (s.top > 0).any()) / 2

    def default(i: int) -> None:
        s = summaries[i]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.bar(np.arange(1, len(s.top) + 1), s.top.clamp(min=ymin).numpy(), color="#0072B2")
        ax.axhline(s.threshold, color="#D55E00", ls="--", label=f"threshold {s.threshold:g}")
        ax.set_yscale("log")
        ax.set_ylim(ymin, ymax)
        ax.set_title(f"step {steps[i]}: λ_max = {float(s.top[0]):.3g}, "
                     f"N_eff(α={s.alpha:g}) = {s.n_eff:.0f} of D = {s.dim}")
        ax.set_xlabel("eigenvalue index (largest first)")
        ax.set_ylabel("eigenvalue λ")
        ax.legend()
        plt.show()

    return widgets.interact(draw or default,
                            i=widgets.IntSlider(0, 0, len(steps) - 1, 1, description="checkpoint"))
