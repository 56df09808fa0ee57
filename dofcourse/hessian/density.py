"""The trace and the whole spectral density of a Hessian, from a few random probes.

* :func:`hutchinson_trace`: tr H ≈ mean of zᵀ H z over random sign vectors z (E zzᵀ = I), reported
  as a ``stats.Estimate`` with a Student-t interval over the probes (``stats.mean_t``).
* :func:`slq`: stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019). For a random unit
  probe v, m Lanczos steps give T = S diag(θ) Sᵀ; the nodes θ_j with weights S_{0j}² are a Gauss
  quadrature rule for the spectrum seen from v: Σ_j S_{0j}² θ_j^p = vᵀ H^p v exactly for
  p ≤ 2m − 1. Averaged over probes this estimates (1/D) tr f(H) for any f: moments, counts,
  MacKay's effective number of parameters (``hessian.outliers``).

Taught in chapter 02.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from dofcourse import checks, stats
from dofcourse.hessian._base import LinearOperator, check_operator
from dofcourse.hessian.lanczos import apply, lanczos, start_vector


def hutchinson_trace(
    op: LinearOperator, n_probes: int = 100, *, level: float = 0.95, probe_seed: int = 0
) -> stats.Estimate:
    """tr H ≈ mean of zᵀ H z over ``n_probes`` Rademacher z, with a Student-t interval at
    ``level`` (exact for Gaussian samples, close to it for these sums of many terms). The
    variance of one sample is 2 Σ_{i≠j} H_ij². Probe i is drawn from seed ``probe_seed + i``.
    Chapter 02."""
    check_operator(op)
    n_probes = checks.integer(n_probes, "n_probes", min=2)
    probe_seed = checks.integer(probe_seed, "probe_seed", min=0, max=checks.MAX_SEED - n_probes)
    samples = [
        float(z @ apply(op, z))
        for z in (start_vector(op, probe_seed + i, rademacher=True) for i in range(n_probes))
    ]
    return stats.mean_t(samples, level)


@dataclass
class SpectralDensity:
    """Stochastic Lanczos quadrature: per probe, ``nodes`` (n_probes, m) and ``weights`` (rows sum
    to 1); ``dim`` = D. Represents the spectral measure (1/D) Σ_i δ(λ − λ_i). Chapter 02."""

    nodes: Tensor
    weights: Tensor
    dim: int

    def per_probe(self, f: Callable[[Tensor], Tensor]) -> Tensor:
        """Σ_j w_j f(θ_j) for each probe v, (n_probes,): the quadrature of vᵀ f(H) v."""
        return (self.weights * f(self.nodes)).sum(dim=1)

    def expect(self, f: Callable[[Tensor], Tensor]) -> float:
        """(1/D) tr f(H) ≈ the mean over probes of :meth:`per_probe`."""
        return float(self.per_probe(f).mean())

    def moment(self, p: int) -> float:
        """(1/D) Σ λ_i^p."""
        return self.expect(lambda t: t**p)

    def trace(self, f: Callable[[Tensor], Tensor]) -> float:
        """tr f(H) = D · :meth:`expect`."""
        return self.dim * self.expect(f)

    def support(self) -> tuple[float, float]:
        """(smallest, largest) node: Lanczos's estimates of λ_min and λ_max. A smoothed density
        (:meth:`density`) shows mass outside this range only because of its kernel width."""
        live = self.weights > 0
        return float(self.nodes[live].min()), float(self.nodes[live].max())

    def default_sigma(self, rel_sigma: float = 0.01) -> float:
        """The kernel width :meth:`density` uses: ``rel_sigma`` × the width of :meth:`support`."""
        lo, hi = self.support()
        return rel_sigma * (hi - lo) or 1.0

    def density(self, grid: Tensor, sigma: float | None = None, rel_sigma: float = 0.01) -> Tensor:
        """The density on ``grid`` (G,): each node replaced by a Gaussian of width σ.

        σ defaults to :meth:`default_sigma` (1 % of the spectral range), which keeps isolated
        outliers as separate bumps while merging the bulk's nodes into a smooth curve; structure
        narrower than σ is not resolved (the peak at zero is narrower). The result integrates to 1
        over the real line (fraction of eigenvalues per unit λ).
        """
        sigma = self.default_sigma(rel_sigma) if sigma is None else sigma
        sigma = checks.real(sigma, "sigma", min=0.0, open_min=True)
        z = (grid[:, None, None].double() - self.nodes[None]) / sigma
        g = torch.exp(-0.5 * z**2) / (sigma * math.sqrt(2 * math.pi))
        return (g * self.weights[None]).sum(dim=2).mean(dim=1)


def slq(
    op: LinearOperator, n_probes: int = 10, steps: int = 80, *, probe_seed: int = 0
) -> SpectralDensity:
    """The spectral density of ``op`` by stochastic Lanczos quadrature (see the module text):
    ``n_probes`` Rademacher probes (seeds ``probe_seed + i``), ``steps`` Lanczos steps each.
    Chapter 02."""
    check_operator(op)
    n_probes = checks.integer(n_probes, "n_probes", min=1)
    probe_seed = checks.integer(probe_seed, "probe_seed", min=0, max=checks.MAX_SEED - n_probes)
    m = min(checks.integer(steps, "steps", min=1), op.dim)
    nodes = torch.zeros(n_probes, m, dtype=torch.float64)
    weights = torch.zeros(n_probes, m, dtype=torch.float64)
    for i in range(n_probes):
        res = lanczos(op, m, start=start_vector(op, probe_seed + i, rademacher=True))
        theta, s = torch.linalg.eigh(res.tridiagonal())
        r = theta.numel()
        nodes[i, :r], weights[i, :r] = theta.cpu(), (s[0] ** 2).cpu()
    return SpectralDensity(nodes, weights, op.dim)
