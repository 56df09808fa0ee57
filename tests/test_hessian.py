"""Every Hessian estimator checked against the exact Hessian of a small network (float64)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dofcourse import hessian as hs
from dofcourse import params, stats
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


@pytest.mark.parametrize("method", ["forward", "reverse", "auto"])
def test_both_hvp_methods_equal_the_exact_hessian(method: str, exact: torch.Tensor) -> None:
    op = hs.hessian_operator(_net(), _data(), method=method, batch_size=15)
    v = torch.randn(op.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    assert torch.allclose(op.hvp(v), exact @ v, atol=1e-10)
    assert op.method in ("forward", "reverse")  # "auto" has measured and chosen one
    with pytest.raises(ValueError, match="method"):
        hs.hessian_operator(_net(), _data(), method="finite differences")


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
    for method in ("forward", "reverse"):  # products too, the other parameters held fixed
        by = hs.hessian_operator(_net(), _data(), params=["2.weight", "2.bias"], method=method)
        assert torch.allclose(hs.dense(by), exact[start:, start:], atol=1e-10), method


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
    est = hs.hutchinson_trace(op, n_probes=200, level=0.99)
    assert isinstance(est, stats.Estimate) and est.method == "t" and est.n == 200
    assert est.contains(float(exact.trace()))
    assert est.hi - est.lo < 0.5 * abs(float(exact.trace()))  # informative, not vacuous


def test_hutchinson_interval_has_nominal_coverage() -> None:
    """Over 200 independent runs on a fixed matrix, a 90 % interval covers the trace ~90 %."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 30, generator=g, dtype=torch.float64)
    mat = _Matrix(a + a.T)
    hits = sum(
        hs.hutchinson_trace(mat, 30, level=0.9, probe_seed=100 * i).contains(float(mat.a.trace()))
        for i in range(200)
    )
    assert 160 <= hits <= 195, f"90 % interval covered the trace in {hits} of 200 runs"


def test_slq_moments_exact_per_probe(op: hs.HessianOperator, exact: torch.Tensor) -> None:
    """Gauss quadrature with m nodes is exact for vᵀ H^p v, p ≤ 2m − 1."""
    dens = hs.slq(op, n_probes=1, steps=6, probe_seed=5)
    v = hs.start_vector(op, 5, rademacher=True)
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
    assert torch.allclose(
        n, torch.tensor([3.0, 100 / 101 + 10 / 11 + 0.5, 111 / 1e6], dtype=torch.float64), rtol=1e-5
    )
    with pytest.raises(ValueError, match="alpha"):
        hs.effective_parameters(lam, 0.0)


def test_effective_parameters_slq(exact: torch.Tensor, eigs: torch.Tensor) -> None:
    dens = hs.slq(_Matrix(exact), n_probes=100, steps=30)
    alphas = torch.tensor([1e-3, 1e-2, 1e-1])
    est = hs.effective_parameters_slq(dens, alphas)
    assert torch.allclose(est, hs.effective_parameters(eigs, alphas), rtol=0.15)


# Top-20 Hessian eigenvalues (in units of the bulk scale) measured on chapter 02's quick-mode
# MLPs: trained on 10, 5 and 2 classes, and at initialisation.
TRAINED_10 = [42.41, 35.96, 31.10, 26.38, 19.80, 15.46, 13.22, 10.52, 7.16, 4.24, 2.93, 2.33,
              2.22, 1.91, 1.77, 1.68, 1.59, 1.43, 1.33, 1.25]  # fmt: skip
TRAINED_5 = [65.18, 54.81, 29.95, 16.35, 7.55, 5.49, 4.98, 3.18, 3.07, 2.74, 2.50, 2.08, 1.95,
             1.93, 1.83, 1.62, 1.47, 1.43, 1.28, 1.21]  # fmt: skip
TRAINED_2 = [22.96, 7.59, 3.53, 2.50, 2.31, 2.15, 2.11, 2.03, 2.00, 1.95, 1.93, 1.85, 1.79, 1.75,
             1.67, 1.61, 1.54, 1.46, 1.38, 1.29]  # fmt: skip
AT_INIT = [2.24, 1.79, 1.64, 1.53, 1.38, 1.37, 1.36, 1.25, 1.23, 1.17, 1.13, 1.12, 1.09, 1.02, 1.0,
           0.958, 0.922, 0.899, 0.854, 0.827]  # fmt: skip


@pytest.mark.parametrize(
    ("eigs", "expected"), [(TRAINED_10, 9), (TRAINED_5, 4), (TRAINED_2, 2), (AT_INIT, 0)]
)
def test_count_outliers_on_measured_spectra(eigs, expected) -> None:
    """The Otsu split finds C − 1 outliers for 10 and 5 classes (the old gap rule said 7 for the
    5-class spectrum, whose second-level outliers have a 1.57 gap of their own), 2 for two
    classes (the widest gap alone says 1), and none at initialisation; the presence threshold
    does not move the count anywhere in 1.15–1.35; order and scale do not matter."""
    lam = torch.tensor(eigs, dtype=torch.float64)
    for min_gap in (1.15, 1.25, 1.35):
        assert hs.count_outliers(lam, min_gap=min_gap) == expected
    assert hs.count_outliers(1e-3 * lam.flip(0)) == expected
    n, gap = hs.outlier_split(lam)
    assert (gap >= 1.37) == (expected > 0) and (expected == 0 or n == expected)


def test_count_outliers_on_synthetic_spectra() -> None:
    bulk = torch.logspace(-1, -1.5, 27)  # a smooth bulk: no outliers
    assert math.isclose(hs.bulk_scale(bulk), float(np.median(bulk[13:].numpy())), rel_tol=1e-6)
    assert hs.count_outliers(bulk) == 0
    assert hs.count_outliers(torch.cat([torch.tensor([5.0, 2.0, 0.4]), bulk])) == 3
    # outliers spread over a decade: the widest gap (50 → 5) lies between two of them
    assert hs.count_outliers(torch.cat([torch.tensor([50.0, 5.0, 3.0, 2.0]), bulk])) == 4
    with pytest.raises(ValueError, match="at least 10"):
        hs.count_outliers(torch.tensor([1.0, 0.5]))
    with pytest.raises(ValueError, match="not positive"):
        hs.bulk_scale(torch.cat([torch.ones(5), -torch.ones(10)]))
    with pytest.raises(ValueError, match="min_gap"):
        hs.count_outliers(bulk, min_gap=0.5)


def test_summarize_checkpoint_figure_and_slider(
    op: hs.HessianOperator, eigs: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dofcourse.hessian import figures

    s = hs.summarize(op, k=12, steps=40, alpha=1e-2, threshold=float(eigs[2]) * 0.99, n_probes=2)
    assert s.n_above == 3 and s.dim == op.dim and s.top.shape == (12,)
    assert math.isclose(float(s.top[0]), float(eigs[0]), rel_tol=1e-8)
    assert s.n_outliers == hs.count_outliers(s.top)
    fig = figures.fig_checkpoint([0, 10], [s, s], 1)
    assert fig.axes[0].get_title().startswith("step 10:") and len(fig.axes[0].patches) == 12
    plt.close("all")
    drawn = []
    real = figures.fig_checkpoint

    def spy(steps, sums, i):
        fig = real(steps, sums, i)
        drawn.append(fig.axes[0].get_title())
        return fig

    monkeypatch.setattr(figures, "fig_checkpoint", spy)
    panel = figures.explore_checkpoints([0, 10], [s, s])
    slider = panel.children[-1]
    assert (slider.min, slider.max, slider.value) == (0, 1, 1)
    assert drawn[-1].startswith("step 10:"), "the widget starts at the last checkpoint"
    slider.value = 0  # moving the slider redraws the figure of that checkpoint
    assert drawn[-1].startswith("step 0:")
    plt.close("all")
    with pytest.raises(ValueError, match="one summary per checkpoint"):
        figures.explore_checkpoints([0], [s, s])


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
    with pytest.raises(ValueError, match="x has 40 rows but y has 39"):
        hs.hessian_operator(_net(), (x, y[:-1]))
    with pytest.raises(ValueError, match="cannot be applied to the inputs of data"):
        hs.hessian_operator(_net(), (x[:, :3], y))
    with pytest.raises(ValueError, match="which does not exist for a model with 3 outputs"):
        hs.hessian_operator(_net(), (x, y + 5))  # labels beyond the 3 outputs
    with pytest.raises(ValueError, match="negative class labels"):
        hs.hessian_operator(_net(), (x, y - 1))
    with pytest.raises(ValueError, match="x and y are empty"):
        hs.hessian_operator(_net(), (x[:0], y[:0]))
    with pytest.raises(ValueError, match="y contains NaN"):
        hs.hessian_operator(_net(), (x, torch.full((len(x), 3), math.nan)), loss_fn=F.mse_loss)
    with pytest.raises(ValueError, match="the loss cannot be evaluated"):
        hs.hessian_operator(_net(), (x, torch.zeros(len(x), 5)), loss_fn=F.mse_loss)
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


def test_data_are_moved_to_the_model_dtype_and_device() -> None:
    """A float64 model with float32 data (the chapter-02 §7 bug was data on another device than
    the model): the operator converts the data once, at its boundary, and agrees with float64."""
    x64, y = _data()
    op32 = hs.hessian_operator(_net(), (x64.float(), y))
    op64 = hs.hessian_operator(_net(), (x64, y))
    for xb, yb in op32.batches:
        assert xb.dtype == torch.float64 and xb.device == op32.device and yb.dtype == torch.int64
    v = torch.randn(op64.dim, dtype=torch.float32, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(op32.hvp(v), op64.hvp(v.double()), rtol=1e-6, atol=1e-6)
    reg = hs.hessian_operator(_net(), (x64.float(), torch.randn(40, 3)),
                              loss_fn=lambda o, t: ((o - t) ** 2).mean())  # fmt: skip
    assert reg.batches[0][1].dtype == torch.float64  # regression targets take the model's dtype


@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_operator_of_a_pure_network_matches_the_one_exact_hessian(method: str) -> None:
    """``HessianOperator.of_functional`` on a quadratic net, by either method (the reverse one
    differentiates through the flat theta, having no module): its products equal chapter 01's
    exact Hessian (``hessian_matrix``, the same function ``exact_hessian`` uses)."""
    from dofcourse import quadratic as q

    prob = q.planted_problem(3, 20)
    net = q.select(q.init_shallow(1, 4, 3, init_seed=2), 0)
    half_mse = lambda o, t: 0.5 * ((o - t) ** 2).mean()  # noqa: E731
    op = hs.HessianOperator.of_functional(
        q.functional(q.shallow_forward, net), prob, loss_fn=half_mse, method=method
    )
    h = q.loss_grad_hessian(q.shallow_forward, q.stack([net]), prob)[2][0]
    torch.testing.assert_close(hs.exact_hessian(op), h)
    torch.testing.assert_close(hs.dense(op), h)
    assert op.D == params.Layout.of_tensors(net).D == 16


@dataclass(frozen=True)
class _Tiny:
    """A four-class dataset of 2×2 images, enough to train and measure an MLP in a test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int = 4
    input_shape: tuple[int, ...] = (1, 2, 2)


def _tiny_data() -> _Tiny:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(80) % 4
    x = torch.randn(80, 1, 2, 2, generator=g) + 2 * F.one_hot(y, 4).float().reshape(80, 1, 2, 2)
    return _Tiny(x, y, x[:0], y[:0])


def test_train_classifiers_reach_the_target_and_are_cached(monkeypatch) -> None:
    from dofcourse.settings import TrainSettings

    data = _tiny_data()
    s = TrainSettings(steps=400, lr=0.5)
    runs = hs.train_classifiers(data, (6,), [0, 1], settings=s, target_loss=0.3,
                                checkpoints=(0, 1, 5), progress=False)  # fmt: skip
    assert len(runs) == 2 and runs[0]["steps"] < 400 and runs[0]["loss"] <= 0.3 + 1e-9
    assert sorted(runs[0]["checkpoints"]) == [0, 1, 5, runs[0]["steps"]]
    model = hs.classifier(data, (6,), runs[0]["theta"])
    assert F.cross_entropy(model(data.x_train), data.y_train).item() == pytest.approx(
        runs[0]["loss"], rel=1e-5
    )
    first = hs.classifier(data, (6,), init_seed=1)
    torch.testing.assert_close(params.flatten(first), runs[1]["checkpoints"][0])
    monkeypatch.setattr(hs.classifiers.ensemble, "train_members", None)  # cached: no training
    again = hs.train_classifiers(data, (6,), [1], settings=s, target_loss=0.3,
                                 checkpoints=(0, 1, 5), progress=False)  # fmt: skip
    torch.testing.assert_close(again[0]["theta"], runs[1]["theta"])


def test_spectrum_and_gauss_newton_parts_of_a_trained_classifier() -> None:
    from dofcourse.settings import TrainSettings

    data = _tiny_data()
    run = hs.train_classifiers(data, (6,), [0], settings=TrainSettings(steps=300, lr=0.5),
                               target_loss=0.3, progress=False)[0]  # fmt: skip
    assert run["checkpoints"] == {}  # none asked for: theta is not kept twice (shipped size)
    model = hs.classifier(data, (6,), run["theta"])
    spec = hs.spectrum(model, data, k=10, lanczos_steps=40, slq_probes=2, slq_steps=20)
    exact = torch.linalg.eigvalsh(hs.exact_hessian(hs.hessian_operator(model, data))).flip(0)
    torch.testing.assert_close(spec.top, exact[:10].double(), rtol=1e-4, atol=1e-6)
    assert spec.D == params.count(model) and spec.loss <= 0.3 + 1e-6
    parts = hs.gauss_newton_parts(model, data, steps=spec.D)
    assert float(parts["G"].min()) > -1e-5  # G is positive semi-definite
    torch.testing.assert_close(parts["H"][:3], exact[:3].double(), rtol=1e-4, atol=1e-6)


def test_reverse_keeps_the_gradient_graph_for_one_batch(exact: torch.Tensor) -> None:
    """One batch: the first double-backward product keeps the gradient's graph (as PyHessian
    does) and later products reuse it, still exact; with batches none is kept."""
    g = torch.Generator().manual_seed(5)
    vs = [torch.randn(exact.shape[0], dtype=torch.float64, generator=g) for _ in range(3)]
    kept = hs.hessian_operator(_net(), _data(), method="reverse")
    assert kept.graph_bytes == 0  # nothing is built before the first product
    first = kept.hvp(vs[0])
    held = kept.graph_bytes
    for v in vs:
        torch.testing.assert_close(kept.hvp(v), exact @ v, rtol=0, atol=1e-10)
    assert torch.equal(kept.hvp(vs[0]), first) and kept.graph_bytes == held, "one graph, reused"
    # what it holds: at least the activations of the 40 examples (hidden 6, outputs 3, float64),
    # and not the data or the parameters, nor anything like one copy per product
    n, widths = 40, 6 + 3
    assert n * widths * 8 <= held <= 12 * n * widths * 8, held
    batched = hs.hessian_operator(_net(), _data(), method="reverse", batch_size=15)
    torch.testing.assert_close(batched.hvp(vs[1]), exact @ vs[1], rtol=0, atol=1e-10)
    assert batched.graph_bytes == 0


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_products_equal_pyhessians() -> None:
    """The package's products equal PyHessian's own (a dev dependency) on the same model, data
    and mean loss, where PyHessian keeps the graph of its one batch."""
    import copy

    pyhessian = pytest.importorskip("pyhessian")
    net, (x, y) = _net(), _data()
    ph = pyhessian.hessian(copy.deepcopy(net), F.cross_entropy, data=(x, y), cuda=False)
    ours = hs.hessian_operator(net, (x, y), method="reverse")
    v = torch.randn(ours.D, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    vs = list(params.Layout.of_module(net).unflatten(v).values())
    theirs = torch.cat(
        [t.reshape(-1) for t in pyhessian.hessian_vector_product(ph.gradsH, ph.params, vs)]
    )
    torch.testing.assert_close(ours.hvp(v), theirs, rtol=1e-12, atol=1e-14)
