"""dofcourse.regimes: the diagonal network, per-member step sizes, tangent kernels, kappa runs."""

import numpy as np
import pytest
import torch
from torch import nn

from dofcourse import data, ensemble, params
from dofcourse import regimes as R
from dofcourse.settings import TrainSettings


def test_scaled_members_are_gradient_descent_at_their_own_rate():
    p = R.sparse_problem(8, 20, 2, seed=0)
    net = R.diagonal_net(20)
    w0 = torch.full((2, 40), 0.5, dtype=torch.float64)
    scale = torch.tensor([1.0, 0.5], dtype=torch.float64)
    base = TrainSettings(steps=30, lr=0.02)
    run = ensemble.train_members(net, R.Scaled(w0, scale), p, base, loss="mse", test=False,
                                 progress=False)  # fmt: skip
    theta = R.Scaled(w0, scale).theta(run.u)
    for e, c in enumerate(scale.tolist()):
        alone = ensemble.train_members(net, ensemble.Free(w0[e : e + 1]), p,
                                       base.replace(lr=0.02 * c**2), loss="mse", test=False,
                                       progress=False)  # fmt: skip
        torch.testing.assert_close(theta[e], alone.u[0], rtol=1e-10, atol=1e-12)


def test_scaled_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="positive"):
        R.Scaled(torch.zeros(2, 3), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="rows"):
        R.Scaled(torch.zeros(2, 3), torch.ones(2), fixed=torch.ones(3, 1))
    with pytest.raises(ValueError, match="plain SGD"):
        R.plain_gd(TrainSettings(steps=1, lr=0.1, momentum=0.9))
    theta = R.Scaled(torch.zeros(2, 3), torch.ones(2), fixed=torch.ones(2, 1)).theta(
        torch.ones(2, 3)
    )
    assert theta.shape == (2, 4) and torch.all(theta[:, -1] == 1)


def test_gradient_descent_at_a_tiny_step_ends_at_the_closed_form_bias():
    p = R.sparse_problem(6, 14, 2, seed=4)
    alphas = [0.3, 0.6, 2.0]  # 0.1 needs 3x the steps (9,400 at lr 0.2) for the same check
    q = np.array([R.implicit_bias(p.X, p.y, a) for a in alphas])
    gaps = {}
    for lr in (0.4, 0.2):
        run = R.train_diagonal(p, alphas, lr=lr, max_steps=50_000, rtol=1e-10, eval_every=200,
                               progress=False)  # fmt: skip
        assert np.all(run["loss"] <= 1e-10)
        gaps[lr] = np.linalg.norm(run["beta"] - q, axis=1) / np.linalg.norm(q, axis=1)
    # within 0.1 % of Q_alpha's minimiser, and the gap halves with the step: gradient flow's limit
    assert np.all(gaps[0.2] < 1e-3), gaps
    assert np.all(gaps[0.2][:2] < 0.6 * gaps[0.4][:2]), gaps
    np.testing.assert_allclose(run["beta"], R.beta_of(run["w"]))
    # the weights move less, relative to their start, the larger alpha is
    assert np.all(np.diff(run["moved"]) < 0)


def test_diagonal_net_and_beta_of():
    net = R.diagonal_net(3)
    w = torch.tensor([1.0, 2.0, 0.0, 0.0, 1.0, 3.0], dtype=torch.float64)
    np.testing.assert_allclose(R.beta_of(w), [1.0, 3.0, -9.0])
    x = torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64)
    assert float(net(w, x)) == pytest.approx(-5.0)


def test_alpha_sweep_table_shows_both_regimes():
    table = R.alpha_sweep(12, 30, 2, [1e-3, 10.0], [0], max_steps=6000, rtol=1e-5)
    small, large = table.iloc[0], table.iloc[1]
    assert small.dist_l1 < 0.05 * small.norm_star and small.error < 0.01
    assert large.dist_l2 < 1e-3 * small.norm_star
    assert small.moved > 1 > large.moved
    assert {"error_q", "error_l1", "error_l2", "dist_q", "steps", "beta"} <= set(table.columns)
    with pytest.raises(ValueError, match="alphas"):
        R.alpha_sweep(12, 30, 2, [0.0], [0])


def test_tangent_kernel_of_a_linear_model_is_c_times_the_gram_matrix():
    lin = nn.Linear(4, 3, bias=False)
    f = params.Functional.of_module(lin)
    x = torch.randn(5, 4)
    k = R.tangent_kernel(f, f.theta0, x, chunk=2)
    torch.testing.assert_close(k, 3 * (x @ x.T).double(), rtol=1e-5, atol=1e-5)
    assert R.kernel_change(k, k) == {"change": 0.0, "distance": pytest.approx(0.0, abs=1e-12)}
    ch = R.kernel_change(k, 2 * k)  # a rescaled kernel: changed, but the same shape
    assert ch["change"] == pytest.approx(1.0) and ch["distance"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="theta"):
        R.tangent_kernel(f, torch.zeros(5), x)


def test_output_scaled_net_starts_at_zero_and_kappa_rides_along():
    torch.manual_seed(0)
    g = params.Functional.of_module(nn.Sequential(nn.Flatten(), nn.Linear(4, 3)))
    f = R.output_scaled(g)
    members = R.kappa_members(g, [0.1, 10.0])
    thetas = members.theta(members.init())
    x = torch.randn(6, 1, 2, 2)
    assert thetas.shape == (2, g.D + 1) and torch.all(f(thetas[0], x) == 0)
    u = torch.ones_like(members.init())
    # theta = theta_0 + sqrt(min(1, kappa)) u / kappa
    torch.testing.assert_close(members.moved(u)[:, 0], torch.tensor([0.1**0.5 / 0.1, 0.1]))


def test_kappa_sweep_lazy_at_large_kappa_rich_at_small():
    ds = data.load("digits", device="cpu").subsample(200, sample_seed=0)
    settings = TrainSettings(steps=150, lr=0.5, batch_size=50)
    table = R.kappa_sweep(ds, [0.05, 500.0], [0], hidden=32, settings=settings, n_kernel=20)
    rich, lazy = table.iloc[0], table.iloc[1]
    assert lazy.kernel_change < 0.05 < 1 < rich.kernel_change
    assert lazy.moved < 0.1 < rich.moved and lazy.kernel_distance < rich.kernel_distance
    assert rich.train_acc > 0.9 and lazy.train_acc > 0.9
    with pytest.raises(ValueError, match="plain SGD"):
        R.kappa_sweep(ds, [1.0], [0], settings=TrainSettings(steps=1, lr=0.1, optimizer="adam"))
