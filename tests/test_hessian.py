"""Every Hessian estimator checked against the exact Hessian of a small network (float64)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dofcourse import hessian as hs
from dofcourse.device import single_thread


def _net(seed: int = 0, n_in: int = 4, hidden: int = 6, n_out: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out)).double()


def _data(seed: int = 1, n: int = 40, n_in: int = 4, n_out: int = 3) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g, dtype=torch.float64)
    return x, torch.randint(0, n_out, (n,), generator=g)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """These products are tiny: splitting them across threads only adds overhead (and, on a shared
    machine, contention that slows them many-fold)."""
    with single_thread():
        yield


@pytest.fixture(scope="module")
def op() -> hs.HessianOperator:
    return hs.hessian_operator(_net(), _data())


@pytest.fixture(scope="module")
def exact(op: hs.HessianOperator) -> torch.Tensor:
    return hs.exact_hessian(op)


@pytest.fixture(scope="module")
def eigs(exact: torch.Tensor) -> torch.Tensor:
    return torch.linalg.eigvalsh(exact).flip(0)


def test_hvp_matches_autograd_hessian(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    """H v by jvp-of-grad equals the dense Hessian from torch.autograd.functional times v."""
    x, y = _data()
    ref = torch.autograd.functional.hessian(lambda t: op.loss_at(t, x, y), op.theta)
    assert torch.allclose(exact, ref, atol=1e-10)
    v = torch.randn(op.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(op.hvp(v), ref @ v, atol=1e-10)
    assert torch.allclose(hs.dense(op), ref, atol=1e-10)


def test_batches_average_to_full_batch(op: hs.HessianOperator) -> None:
    """Uneven batches (40 = 16 + 16 + 8) weighted by size give the full-batch product."""
    batched = hs.hessian_operator(_net(), _data(), batch_size=16)
    assert len(batched.batches) == 3
    v = torch.randn(op.dim, dtype=torch.float64)
    assert torch.allclose(batched.hvp(v), op.hvp(v), atol=1e-10)
    assert torch.allclose(batched.gradient(), op.gradient(), atol=1e-12)
    assert math.isclose(batched.loss(), op.loss(), rel_tol=1e-12)


def test_parameter_subset_is_a_block(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    """The Hessian w.r.t. the last layer is the matching diagonal block of the full Hessian."""
    sub = hs.hessian_operator(_net(), _data(), params=["2.weight", "2.bias"])
    start = op.dim - sub.dim
    assert sub.dim == 6 * 3 + 3
    assert torch.allclose(hs.exact_hessian(sub), exact[start:, start:], atol=1e-10)


def test_lanczos_top_eigenvalues(
    op: hs.HessianOperator, eigs: torch.Tensor, exact: torch.Tensor
) -> None:
    vals, vecs = hs.lanczos_eigs(op, k=5, steps=30)
    assert torch.allclose(vals, eigs[:5], rtol=1e-8, atol=1e-10)
    assert torch.allclose(vecs @ exact @ vecs.T, torch.diag(vals), atol=1e-8)


def test_lanczos_full_run_recovers_spectrum(op: hs.HessianOperator, eigs: torch.Tensor) -> None:
    """Run to the end, Lanczos with full reorthogonalisation finds every distinct eigenvalue.

    Cross-entropy is unchanged by adding a constant to all logits, so H has a null space (last
    layer: bias sum and one weight direction per hidden unit); the Krylov space holds the zero
    eigenvalue once and the run stops early, with a basis that stays orthonormal.
    """
    res = hs.lanczos(op, op.dim)
    m = res.basis.shape[0]
    assert m < op.dim
    assert torch.allclose(res.basis @ res.basis.T, torch.eye(m, dtype=torch.float64), atol=1e-10)
    ritz = torch.linalg.eigvalsh(res.tridiagonal())
    dist = (ritz[:, None] - eigs[None]).abs()
    assert float(dist.min(dim=1).values.max()) < 1e-8  # every Ritz value is an eigenvalue
    nonzero = eigs.abs() > 1e-8
    assert float(dist.min(dim=0).values[nonzero].max()) < 1e-8  # every eigenvalue is found


def test_power_iteration_with_deflation(op: hs.HessianOperator, eigs: torch.Tensor) -> None:
    by_magnitude = eigs[eigs.abs().argsort(descending=True)]
    vals, vecs = hs.power_iteration(op, k=3, iters=5000, tol=1e-12)
    assert torch.allclose(vals, by_magnitude[:3], rtol=1e-6)
    assert torch.allclose(vecs @ vecs.T, torch.eye(3, dtype=torch.float64), atol=1e-5)


def test_hutchinson_interval_covers_trace(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    est = hs.hutchinson_trace(op, n_probes=200, confidence=0.99)
    assert float(exact.trace()) in est
    assert est.hi - est.lo < 0.5 * abs(float(exact.trace()))  # informative, not vacuous


def test_hutchinson_interval_has_nominal_coverage() -> None:
    """Over 200 independent runs on a fixed matrix, a 90 % interval covers the trace ~90 %."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 30, generator=g, dtype=torch.float64)
    mat = _Matrix(a + a.T)
    hits = sum(
        float(mat.a.trace()) in hs.hutchinson_trace(mat, 30, confidence=0.9, seed=100 * i)
        for i in range(200)
    )
    assert 160 <= hits <= 195, f"90 % interval covered the trace in {hits} of 200 runs"


def test_slq_moments_exact_per_probe(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    """Gauss quadrature with m nodes is exact for vᵀ H^p v, p ≤ 2m − 1."""
    dens = hs.slq(op, n_probes=1, steps=6, seed=5)
    v = hs._start(op, 5, rademacher=True)
    v = v / v.norm()
    for p in range(1, 12):
        quad = float((dens.weights[0] * dens.nodes[0] ** p).sum())
        direct = float(v @ torch.linalg.matrix_power(exact, p) @ v)
        assert math.isclose(quad, direct, rel_tol=1e-6, abs_tol=1e-12), p


def test_slq_moments_match_spectrum(exact: torch.Tensor, eigs: torch.Tensor) -> None:
    """Averaged over probes, the SLQ moments agree with (1/D) Σ λ^p within 4 standard errors."""
    dens = hs.slq(_Matrix(exact), n_probes=200, steps=12)
    assert torch.allclose(dens.weights.sum(dim=1), torch.ones(200, dtype=torch.float64))
    for p in (1, 2, 3, 4):
        vals = dens.per_probe(lambda t, p=p: t**p)
        err = abs(float(vals.mean()) - float((eigs**p).mean()))
        assert err < 4 * float(vals.std()) / math.sqrt(200), p
    grid = torch.linspace(float(eigs.min()) - 1, float(eigs.max()) + 1, 4001)
    dx = float(grid[1] - grid[0])
    rho = dens.density(grid)
    assert math.isclose(float(rho.sum()) * dx, 1.0, rel_tol=1e-3)
    assert math.isclose(float((rho * grid).sum()) * dx, dens.moment(1), rel_tol=1e-3, abs_tol=1e-6)


def test_gauss_newton_plus_residual_is_hessian(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    g = hs.exact_gauss_newton(op)
    assert torch.allclose(hs.dense(op.gauss_newton()), g, atol=1e-10)
    assert torch.allclose(hs.dense(op.residual()), exact - g, atol=1e-10)
    assert float(torch.linalg.eigvalsh(g).min()) > -1e-10  # PSD for cross-entropy


def test_gauss_newton_is_whole_hessian_for_linear_model() -> None:
    """For a linear model ∇²f = 0, so R = 0 and H = G."""
    torch.manual_seed(0)
    lin = nn.Linear(4, 3).double()
    op = hs.hessian_operator(lin, _data())
    assert torch.allclose(hs.exact_gauss_newton(op), hs.exact_hessian(op), atol=1e-12)


def test_mse_gauss_newton_is_jtj() -> None:
    """For ½‖f − y‖² summed (MSE with mean reduction × ½C), G = (1/N) JᵀJ."""
    net, (x, _) = _net(), _data()
    y = torch.randn(x.shape[0], 3, dtype=torch.float64)
    op = hs.hessian_operator(net, (x, y), loss_fn=lambda o, t: 0.5 * ((o - t) ** 2).sum(1).mean())
    jac = torch.func.jacrev(lambda t: op.outputs(t, x))(op.theta).reshape(-1, op.dim)
    assert torch.allclose(hs.exact_gauss_newton(op), jac.T @ jac / x.shape[0], atol=1e-10)


def test_effective_parameters() -> None:
    lam = torch.tensor([100.0, 10.0, 1.0, 0.0, -0.5])
    n = hs.effective_parameters(lam, torch.tensor([1e-6, 1.0, 1e6]))
    assert torch.allclose(n, torch.tensor([3.0, 100 / 101 + 10 / 11 + 0.5, 111 / 1e6],
                                                dtype=torch.float64), rtol=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        hs.effective_parameters(lam, 0.0)


def test_effective_parameters_slq(exact: torch.Tensor, eigs: torch.Tensor) -> None:
    dens = hs.slq(_Matrix(exact), n_probes=100, steps=30)
    alphas = torch.tensor([1e-3, 1e-2, 1e-1])
    est = hs.effective_parameters_slq(dens, alphas)
    assert torch.allclose(est, hs.effective_parameters(eigs, alphas), rtol=0.15)


def test_count_outliers() -> None:
    bulk = torch.logspace(-1, -1.5, 27)  # a smooth bulk; scale b ≈ 0.042, top ≈ 2.4 b
    assert math.isclose(hs.bulk_scale(bulk), float(bulk[13:].median()))
    assert hs.count_outliers(bulk) == 0
    assert hs.count_outliers(torch.cat([torch.tensor([5.0, 2.0, 0.4]), bulk])) == 3
    # outliers spread over a decade: the widest gap (50 → 3) lies between two of them
    assert hs.count_outliers(torch.cat([torch.tensor([50.0, 3.0, 1.0, 0.5]), bulk])) == 4
    # the last outlier is close to the one above it but clearly above the bulk
    assert hs.count_outliers(torch.cat([torch.tensor([8.0, 0.5, 0.45]), bulk])) == 3
    assert hs.count_outliers(torch.cat([torch.tensor([0.12]), bulk])) == 0  # not 3 b above
    # a gap low in the bulk does not count: only candidates above 3 b are considered
    stepped = torch.cat([torch.tensor([1.0]), torch.linspace(0.09, 0.08, 4),
                         torch.logspace(math.log10(0.05), math.log10(0.03), 25)])
    assert 0.08 / 0.05 >= 1.5 and 0.09 < 3 * hs.bulk_scale(stepped)
    assert hs.count_outliers(stepped) == 1
    with pytest.raises(ValueError, match="at least 10"):
        hs.count_outliers(torch.tensor([1.0, 0.5]))
    with pytest.raises(ValueError, match="not positive"):
        hs.count_outliers(torch.cat([torch.ones(5), -torch.ones(10)]))
    with pytest.raises(ValueError, match="exceed 1"):
        hs.count_outliers(bulk, factor=0.5)


def test_summarize_and_scrubber(op: hs.HessianOperator, eigs: torch.Tensor) -> None:
    import matplotlib

    matplotlib.use("Agg")
    s = hs.summarize(op, k=5, steps=25, alpha=1e-2, threshold=float(eigs[2]) * 0.99, n_probes=2)
    assert s.n_above == 3 and s.dim == op.dim
    assert math.isclose(float(s.top[0]), float(eigs[0]), rel_tol=1e-8)
    assert hs.checkpoint_scrubber([0, 10], [s, s]) is not None


class _Matrix:
    """A dense symmetric matrix as a LinearOperator."""

    def __init__(self, a: torch.Tensor) -> None:
        self.a, self.dim, self.dtype, self.device = a, a.shape[0], a.dtype, a.device

    def matvec(self, v: torch.Tensor) -> torch.Tensor:
        return self.a @ v


def test_bad_input_is_rejected(op: hs.HessianOperator) -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="no parameters"):
        hs.hessian_operator(nn.ReLU(), (x, y))
    with pytest.raises(ValueError, match="same, non-zero number"):
        hs.hessian_operator(_net(), (x, y[:-1]))
    with pytest.raises(ValueError, match="cannot be evaluated"):
        hs.hessian_operator(_net(), (x[:, :3], y))
    with pytest.raises(ValueError, match="cannot be evaluated"):
        hs.hessian_operator(_net(), (x, y + 5))  # labels beyond the 3 outputs
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        hs.hessian_operator(_net(), (x, torch.cat([y[:-1], torch.tensor([7])])))  # only the last
    with pytest.raises(ValueError, match="unknown"):
        hs.hessian_operator(_net(), (x, y), params=["nope"])
    with pytest.raises(TypeError, match="tuple"):
        hs.hessian_operator(_net(), x)
    with pytest.raises(ValueError, match="k must be between"):
        hs.lanczos_eigs(op, k=op.dim + 1)
    with pytest.raises(ValueError, match="k must be between"):
        hs.power_iteration(op, k=0)
    with pytest.raises(ValueError, match="shape"):
        op.hvp(torch.zeros(op.dim + 1, dtype=torch.float64))
    with pytest.raises(ValueError, match="max_dim"):
        hs.exact_hessian(op, max_dim=10)
    with pytest.raises(ValueError, match="n_probes"):
        hs.hutchinson_trace(op, n_probes=1)


def test_float32_model_on_course_mlp() -> None:
    """The course MLP in float32: Lanczos and power iteration agree on λ_max to 1e-3."""
    from dofcourse import models

    torch.manual_seed(0)
    net = models.mlp((1, 3, 3), 4, hidden=(8,))
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 1, 3, 3, generator=g), torch.randint(0, 4, (64,), generator=g)
    op32 = hs.hessian_operator(net, (x, y))
    top_l, _ = hs.lanczos_eigs(op32, 1)
    top_p, _ = hs.power_iteration(op32, 1, tol=1e-7)
    ref = torch.linalg.eigvalsh(hs.exact_hessian(op32).double())[-1]
    assert math.isclose(float(top_l[0]), float(ref), rel_tol=1e-3)
    assert math.isclose(float(top_p[0]), float(ref), rel_tol=1e-3)
    assert F.cross_entropy(net(x), y).item() == pytest.approx(op32.loss(), rel=1e-6)
