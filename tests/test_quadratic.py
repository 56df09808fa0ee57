"""Quadratic networks on the shared engine: models, teachers, ensembles, symmetries, end points."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch.func import grad, jvp

from dofcourse import params as flat
from dofcourse import quadratic as q
from dofcourse.hessian import hessian_matrix
from dofcourse.settings import TrainSettings


def tiny(m=2, d=3, n=7, seed=0):
    prob = q.planted_problem(d, n, teacher_seed=seed, input_seed=seed + 1)
    return prob, q.select(q.init_shallow(1, m, d, init_seed=seed + 5), 0)


def exact_solution(prob):
    """A global minimum: the teacher's eigen-decomposition as neurons."""
    return q.exact_net(prob.teacher)


def test_shallow_forward_is_the_quadratic_form_and_deep_with_one_layer_is_shallow():
    prob, net = tiny()
    expected = torch.einsum("ni,ij,nj->n", prob.x, q.matrix_of(net), prob.x)
    torch.testing.assert_close(q.shallow_forward(net, prob.x), expected)
    torch.testing.assert_close(q.deep_forward(net, prob.x), expected)
    ones = torch.ones(net[1].shape, dtype=q.DTYPE)
    torch.testing.assert_close(
        q.psd_forward(net[:1], prob.x), q.shallow_forward((net[0], ones), prob.x)
    )


@pytest.mark.parametrize("signs", ["mixed", "psd"])
def test_teacher_has_rank_signs_and_unit_label_energy(signs):
    a = q.teacher_matrix(6, 4, signs=signs, teacher_seed=3)
    torch.testing.assert_close(a, a.T)
    assert q.inertia(a) == ((2, 2) if signs == "mixed" else (4, 0))
    assert math.isclose(float(2 * (a**2).sum() + a.trace() ** 2), 1.0, rel_tol=1e-12)
    prob = q.planted_problem(5, 20000, teacher_seed=1)
    assert abs(prob.energy - 1.0) < 0.1
    assert prob.x_train is prob.x and prob.x_test.shape == (0, 5) and prob.y_test.shape == (0,)


def test_seeds_name_what_they_seed():
    a = q.planted_problem(3, 5, teacher_seed=0, input_seed=1)
    b = q.planted_problem(3, 5, teacher_seed=0, input_seed=2)
    c = q.planted_problem(3, 5, teacher_seed=4, input_seed=1)
    torch.testing.assert_close(a.teacher, b.teacher)
    assert not torch.allclose(a.x, b.x)
    torch.testing.assert_close(a.x, c.x)
    assert not torch.allclose(a.teacher, c.teacher)


def test_deep_teacher_has_positive_labels_of_unit_mean_square():
    prob = q.deep_problem(4, 50)
    assert (prob.y >= 0).all() and math.isclose(prob.energy, 1.0, rel_tol=1e-12)
    torch.testing.assert_close(q.deep_forward(prob.teacher, prob.x), prob.y)


def test_flat_form_goes_through_params_layout():
    net = q.select(q.init_deep(1, (3, 2), 4), 0)
    ens = q.init_deep(5, (3, 2), 4, init_seed=1)
    theta = q.thetas(ens)
    assert theta.shape == (5, flat.Layout.of_tensors(net).D)
    for a, b in zip(q.from_thetas(theta, net), ens, strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(theta[2], flat.flatten(q.select(ens, 2)))
    prob = q.planted_problem(4, 9)
    f = q.flat_loss(q.deep_forward, net, prob.x, prob.y)
    torch.testing.assert_close(f(flat.flatten(net)), q.mse(q.deep_forward, net, prob.x, prob.y))


def test_gradient_matches_the_closed_form():
    prob, (w, v) = tiny(m=3, d=4, n=9)
    gw, gv = grad(lambda p: q.mse(q.shallow_forward, p, prob.x, prob.y))((w, v))
    z, r = prob.x @ w.T, q.shallow_forward((w, v), prob.x) - prob.y
    torch.testing.assert_close(gv, (r[:, None] * z**2).mean(0))
    torch.testing.assert_close(gw, 2 * v[:, None] * ((r[:, None] * z).T @ prob.x) / prob.n)
    torch.testing.assert_close(gw, 2 * v[:, None] * (w @ q.residual_covariance((w, v), prob)))


def test_one_exact_hessian_for_every_net_of_an_ensemble():
    prob = q.planted_problem(3, 8, teacher_seed=2)
    ens = q.init_deep(3, (2, 2), 3, init_seed=4)
    loss, g, h = q.loss_grad_hessian(q.deep_forward, ens, prob)
    for i in range(3):
        one = q.select(ens, i)
        f = q.flat_loss(q.deep_forward, one, prob.x, prob.y)
        theta = flat.flatten(one)
        ref = torch.autograd.functional.hessian(f, theta)
        torch.testing.assert_close(h[i], ref)
        torch.testing.assert_close(h[i], hessian_matrix(f, theta))
        torch.testing.assert_close(g[i], grad(f)(theta))
        torch.testing.assert_close(loss[i], f(theta))


def settings(steps=20, lr=0.02, momentum=0.5):
    return TrainSettings(steps=steps, lr=lr, momentum=momentum)


def test_vectorised_ensemble_equals_one_net_at_a_time():
    prob = q.planted_problem(3, 12)
    ens = q.init_shallow(3, 2, 3, init_seed=1)
    out, hist = q.train_gd(q.shallow_forward, ens, prob, settings(), eval_every=5)
    assert hist.loss.shape == (3, 5) and list(hist.step) == [0, 5, 10, 15, 20]
    for i in range(3):
        alone, h1 = q.train_gd(q.shallow_forward, q.select(ens, slice(i, i + 1)), prob, settings())
        for a, b in zip(alone, out, strict=True):
            torch.testing.assert_close(a[0], b[i])
        assert math.isclose(float(h1.loss[0, -1]), float(hist.loss[i, -1]), rel_tol=1e-9)


def test_gradient_descent_with_momentum_decreases_the_loss():
    prob = q.planted_problem(4, 40)
    _, hist = q.train_gd(
        q.shallow_forward, q.init_shallow(4, 8, 4), prob, settings(300, momentum=0.9)
    )
    assert (hist.loss[:, -1] < 0.1 * hist.loss[:, 0]).all()


@pytest.mark.parametrize("eval_every", [1, 7])
def test_too_large_a_step_is_halved_per_net_instead_of_diverging(eval_every):
    """The guard of ``ensemble.train_members`` (the per-net step halving chapter 01 relies on):
    a jump is undone before any evaluation sees it, so no net is stopped as diverged."""
    prob = q.planted_problem(3, 10)
    start = q.init_shallow(2, 3, 3, scale=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "members diverged" warning fails the test
        _, hist = q.train_gd(q.shallow_forward, start, prob, settings(300, lr=5.0, momentum=0.0),
                             eval_every=eval_every)  # fmt: skip
    assert np.isfinite(hist.loss).all() and (hist.loss <= 10 * hist.loss[:, :1]).all()
    assert (hist.loss[:, -1] < 0.5 * hist.loss[:, 0]).all()
    # without the guard the same step blows up at once
    w, v = q.select(start, 0)
    w = w - 5.0 * grad(lambda p: q.mse(q.shallow_forward, p, prob.x, prob.y))((w, v))[0]
    assert q.mse(q.shallow_forward, (w, v), prob.x, prob.y) > 10 * hist.loss[0, 0]


def test_zero_neurons_never_move_so_padding_is_exact():
    prob = q.planted_problem(3, 15)
    ens = q.init_shallow(2, 2, 3, init_seed=1)
    small, _ = q.train_gd(q.shallow_forward, ens, prob, settings(30, momentum=0.0))
    wide, _ = q.train_gd(q.shallow_forward, q.pad_neurons(ens, 4), prob, settings(30, momentum=0.0))
    torch.testing.assert_close(wide[0][:, :2], small[0])
    assert wide[0][:, 2:].abs().max() == 0 and wide[1][:, 2:].abs().max() == 0


@pytest.mark.parametrize(("m", "d"), [(2, 4), (3, 3), (8, 4)])
def test_symmetry_directions_count_and_are_null_at_a_minimum(m, d):
    """m + m(m−1)/2 directions while the neurons are independent (m ≤ d); D − d(d+1)/2 once they
    span R^d (m ≥ d; checked at zero-loss minima, where they are null vectors of the Hessian)."""
    prob = q.planted_problem(d, 3 * d * d, teacher_seed=1)
    net = q.exact_net(prob.teacher, m) if m >= d else tiny(m, d, seed=2)[1]
    net = (net[0] * 1.3, net[1] / 1.69)  # rescaled neurons: the same function
    dirs = q.symmetry_directions(net)
    D = net[0].numel() + net[1].numel()
    assert dirs.shape[1] == (m + m * (m - 1) // 2 if m <= d else D - d * (d + 1) // 2)
    torch.testing.assert_close(dirs.T @ dirs, torch.eye(dirs.shape[1], dtype=dirs.dtype))
    layout = flat.Layout.of_tensors(net)
    for k in range(dirs.shape[1]):
        tangent = layout.unflatten_tuple(dirs[:, k])
        _, df = jvp(lambda p: q.shallow_forward(p, prob.x), (net,), (tangent,))
        assert df.abs().max() < 1e-10
    if m >= d:
        loss, _, h = q.loss_grad_hessian(q.shallow_forward, q.stack([net]), prob)
        assert float(loss[0]) < 1e-20
        assert (h[0] @ dirs).abs().max() < 1e-9
        restricted = q.restricted_eigenvalues(h[0], dirs)
        assert restricted.numel() == D - dirs.shape[1] == d * (d + 1) // 2
        assert restricted.min() > 1e-6  # a strict minimum once the symmetry is removed


def test_fixed_output_weights_leave_only_rotations():
    w = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=q.DTYPE)
    dirs = q.symmetry_directions((w,))
    assert dirs.shape == (12, 3)  # so(3): three rotations among three neurons
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(1), dtype=q.DTYPE)
    for k in range(3):
        _, df = jvp(lambda t: q.psd_forward((t,), x), (w,), (dirs[:, k].reshape(3, 4),))
        assert df.abs().max() < 1e-10


def test_classify_one_rules():
    assert q.classify_one(1e-9, 1.0, -1.0) == q.SUCCESS
    assert q.classify_one(0.1, 1e-12, -1e-3) == q.SADDLE
    assert q.classify_one(0.1, 1e-12, -1e-9) == q.SPURIOUS
    assert q.classify_one(1e-4, 1e-3, 1e-9) == q.SLOW


def test_classify_finds_a_global_minimum_and_the_saddle_at_the_origin():
    prob = q.planted_problem(3, 12)
    origin = (torch.zeros(3, 3, dtype=q.DTYPE), torch.tensor([1.0, -1.0, 1.0], dtype=q.DTYPE))
    ends = q.classify(q.shallow_forward, q.stack([exact_solution(prob), origin]), prob,
                      symmetry=q.symmetry_directions)  # fmt: skip
    assert ends.labels == [q.SUCCESS, q.SADDLE]
    assert ends.grad_norm[1] == 0 and ends.lam_min_perp[1] < -1e-3
    assert ends.counts()[q.SADDLE] == 1 and ends.fraction(q.SUCCESS) == 0.5


def test_loss_tolerance_is_relative_to_the_label_energy():
    prob = q.planted_problem(3, 12)
    ens = q.init_shallow(4, 3, 3, init_seed=2)
    out, _ = q.train_gd(q.shallow_forward, ens, prob, settings(200, momentum=0.9))
    ends = q.classify(q.shallow_forward, out, prob, symmetry=q.symmetry_directions)
    c = 1e3  # labels 1000 times larger: a net with W scaled by c^(1/2) computes them
    big = q.Problem(prob.x, c * prob.y, c * prob.teacher)
    scaled = (out[0] * math.sqrt(c), out[1])
    ends_big = q.classify(q.shallow_forward, scaled, big, symmetry=q.symmetry_directions,
                          grad_tol=1e-7 * c**1.5, eig_tol=1e-6 * c)  # fmt: skip
    torch.testing.assert_close(ends_big.rel_loss, ends.rel_loss)
    assert ends_big.labels == ends.labels


def test_slow_runs_of_a_wrapped_psd_net_are_still_descending_not_saddles():
    """f = ‖Wx‖² on a rank-1 teacher with 3 neurons converges slowly. With its rotations passed as
    the symmetry they are recognised as slow; the forward being a wrapper changes nothing."""
    prob = q.planted_problem(3, 30, rank=1, signs="psd", teacher_seed=2)
    start = (q.init_shallow(4, 3, 3, init_seed=3)[0],)
    out, _ = q.train_gd(q.psd_forward, start, prob, settings(400, momentum=0.9))

    def wrapped(p, x):
        return q.psd_forward(p, x)

    ends = q.classify(wrapped, out, prob, symmetry=q.symmetry_directions)
    assert all(lab in (q.SLOW, q.SUCCESS) for lab in ends.labels), ends.labels
    assert q.SLOW in ends.labels
    bare = q.classify(wrapped, out, prob)  # without the symmetry: tiny negative eigenvalues
    assert (bare.lam_min <= ends.lam_min_perp).all()


def test_sylvester_signs_decide_what_can_be_represented():
    a = q.teacher_matrix(4, teacher_seed=0)  # two positive, two negative eigenvalues
    v = torch.tensor([[1.0, 2.0, -1.0, -0.5], [1.0, 1.0, 1.0, -1.0]], dtype=q.DTYPE)
    assert q.can_represent(v, a).tolist() == [True, False]
    pos, neg = q.sign_counts(v[1])
    assert (int(pos), int(neg)) == (3, 1)
    w = torch.randn(2, 4, 4, generator=torch.Generator().manual_seed(0), dtype=q.DTYPE)
    for i in range(2):  # Wᵀ diag(v) W never has more negative eigenvalues than v has
        assert q.inertia(q.matrix_of((w[i], v[i])))[1] <= int(q.sign_counts(v[i])[1])


def test_a_spare_neuron_turns_a_stuck_point_into_a_saddle():
    prob = q.planted_problem(3, 20)
    w, v = exact_solution(prob)
    near = q.stack([(w[:2], v[:2])])  # two of three eigen-neurons, then descend to a minimum
    out, _ = q.train_gd(q.shallow_forward, near, prob, settings(1500, momentum=0.9))
    stuck = q.select(out, 0)
    loss, g, _ = q.loss_grad_hessian(q.shallow_forward, out, prob)
    assert float(g.norm()) < 1e-9 and float(loss[0]) > 1e-3  # critical, with positive loss
    saddle = q.add_spare_neuron(stuck, prob)
    torch.testing.assert_close(q.shallow_forward(saddle, prob.x), q.shallow_forward(stuck, prob.x))
    ends = q.classify(q.shallow_forward, q.stack([saddle]), prob, symmetry=q.symmetry_directions)
    assert ends.labels == [q.SADDLE] and float(ends.grad_norm[0]) < 1e-10


def test_capacity_limited_runs_are_marked_not_called_spurious():
    z = torch.zeros(4, dtype=q.DTYPE)
    ends = q.EndPoints(torch.tensor([0.30, 0.30002, 0.45, 0.31], dtype=q.DTYPE), z, z, z, z,
                       torch.zeros(4), [q.SPURIOUS, q.SPURIOUS, q.SPURIOUS, q.SADDLE])  # fmt: skip
    marked = q.mark_capacity(ends)
    assert marked.labels == [q.CAPACITY, q.CAPACITY, q.SPURIOUS, q.SADDLE]


def test_fit_gives_slow_runs_more_rounds_and_width_sweep_is_cached(monkeypatch):
    prob = q.planted_problem(3, 18)
    s = TrainSettings(steps=60, lr=0.02, momentum=0.9)
    one = q.fit(q.shallow_forward, q.init_shallow(4, 3, 3, init_seed=1003), prob, s)
    assert set(one.steps.tolist()) <= {60, 120, 180}
    fits = q.width_sweep(prob, [1, 3], n_seeds=4, settings=s, progress=False)
    assert [f.params[0].shape[1] for f in fits] == [1, 3]
    assert q.SPURIOUS not in fits[0].ends.labels or q.CAPACITY in fits[0].ends.labels
    monkeypatch.setattr(q.experiments, "fit", None)  # a second call must not train again
    again = q.width_sweep(prob, [1, 3], n_seeds=4, settings=s, progress=False)
    assert again[1].ends.labels == fits[1].ends.labels


@pytest.mark.parametrize(
    "call",
    [
        lambda: q.teacher_matrix(3, 4),
        lambda: q.teacher_matrix(3, signs="pos"),
        lambda: q.planted_problem(3, 0),
        lambda: q.init_shallow(2, 0, 3),
        lambda: q.init_deep(2, (), 3),
        lambda: q.Problem(torch.zeros(4, 3), torch.zeros(5)),
        lambda: q.train_gd(
            q.shallow_forward,
            q.init_shallow(1, 2, 3),
            q.planted_problem(3, 4),
            TrainSettings(steps=1, lr=0.1, batch_size=2),
        ),  # fmt: skip
        lambda: q.pad_neurons(q.init_shallow(1, 3, 2), 2),
        lambda: q.symmetry_directions((torch.zeros(2, 2), torch.zeros(3))),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
