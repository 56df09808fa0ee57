"""Quadratic networks: model, teachers, the many-seed trainer, exact Hessians, classification."""

import math

import pytest
import torch
from torch.func import grad, jvp

from dofcourse import quadratic as q


def tiny(m=2, d=3, n=7, seed=0):
    prob = q.planted_problem(d, n, seed=seed)
    params = q.select(q.init_shallow(1, m, d, seed=seed + 5), 0)
    return prob, params


def test_shallow_forward_is_the_quadratic_form():
    prob, params = tiny()
    a = q.matrix_of(params)
    expected = torch.einsum("ni,ij,nj->n", prob.x, a, prob.x)
    torch.testing.assert_close(q.shallow_forward(params, prob.x), expected)


def test_deep_forward_with_one_layer_is_shallow():
    prob, params = tiny()
    torch.testing.assert_close(q.deep_forward(params, prob.x), q.shallow_forward(params, prob.x))


@pytest.mark.parametrize("signs", ["mixed", "psd"])
def test_teacher_has_rank_signs_and_unit_label_energy(signs):
    a = q.teacher_matrix(6, 4, signs=signs, seed=3)
    torch.testing.assert_close(a, a.T)
    evals = torch.linalg.eigvalsh(a)
    nonzero = evals[evals.abs() > 1e-9]
    assert len(nonzero) == 4
    assert (nonzero < 0).sum() == (2 if signs == "mixed" else 0)
    assert math.isclose(float(2 * (a**2).sum() + a.trace() ** 2), 1.0, rel_tol=1e-12)


def test_planted_labels_have_unit_mean_square_on_average():
    prob = q.planted_problem(5, 20000, seed=1)
    assert abs(float((prob.y**2).mean()) - 1.0) < 0.1


def test_gradient_matches_autograd_and_the_closed_form():
    prob, (w, v) = tiny(m=3, d=4, n=9)
    gw, gv = grad(lambda p: q.mse(q.shallow_forward, p, prob.x, prob.y))((w, v))
    # closed form, r_i = f(x_i) - y_i:
    # dL/dv_j = mean r_i (w_j.x_i)^2, dL/dw_j = mean 2 r_i v_j (w_j.x_i) x_i
    z = prob.x @ w.T
    r = q.shallow_forward((w, v), prob.x) - prob.y
    torch.testing.assert_close(gv, (r[:, None] * z**2).mean(0))
    torch.testing.assert_close(gw, 2 * v[:, None] * ((r[:, None] * z).T @ prob.x) / prob.n)
    w2, v2 = w.clone().requires_grad_(), v.clone().requires_grad_()
    q.mse(q.shallow_forward, (w2, v2), prob.x, prob.y).backward()
    torch.testing.assert_close(gw, w2.grad)
    torch.testing.assert_close(gv, v2.grad)


@pytest.mark.parametrize("deep", [False, True])
def test_exact_hessian_matches_autograd_functional(deep):
    prob = q.planted_problem(3, 8, seed=2)
    if deep:
        forward, params = q.deep_forward, q.select(q.init_deep(1, (2, 2), 3, seed=1), 0)
    else:
        forward, params = q.shallow_forward, q.select(q.init_shallow(1, 2, 3, seed=1), 0)
    h = q.exact_hessian(forward, params, prob.x, prob.y)
    ref = torch.autograd.functional.hessian(
        q.flat_loss(forward, params, prob.x, prob.y), q.flatten(params)
    )
    torch.testing.assert_close(h, ref)
    torch.testing.assert_close(h, h.T)


def test_batched_loss_grad_hessian_match_single_seeds():
    prob = q.planted_problem(3, 8, seed=2)
    params = q.init_shallow(3, 2, 3, seed=4)
    loss, g, h = q.loss_grad_hessian(q.shallow_forward, params, prob.x, prob.y)
    for i in range(3):
        one = q.select(params, i)
        torch.testing.assert_close(loss[i], q.mse(q.shallow_forward, one, prob.x, prob.y))
        torch.testing.assert_close(h[i], q.exact_hessian(q.shallow_forward, one, prob.x, prob.y))
        f = q.flat_loss(q.shallow_forward, one, prob.x, prob.y)
        torch.testing.assert_close(g[i], grad(f)(q.flatten(one)))


def test_flatten_round_trip():
    params = q.select(q.init_deep(1, (3, 2), 4), 0)
    back = q.unflatten(q.flatten(params), params)
    for a, b in zip(params, back, strict=True):
        torch.testing.assert_close(a, b)


def test_vectorised_trainer_equals_one_seed_at_a_time():
    prob = q.planted_problem(3, 12, seed=0)
    params = q.init_shallow(3, 2, 3, seed=1)
    out, hist = q.train_gd(
        q.shallow_forward, params, prob.x, prob.y, steps=20, lr=0.02, momentum=0.5, record_every=5
    )
    assert hist.shape == (3, 5)
    for i in range(3):
        one = tuple(p[i : i + 1] for p in params)
        single, _ = q.train_gd(
            q.shallow_forward, one, prob.x, prob.y, steps=20, lr=0.02, momentum=0.5
        )
        for a, b in zip(single, out, strict=True):
            torch.testing.assert_close(a[0], b[i])


def test_gradient_descent_decreases_the_loss():
    prob = q.planted_problem(4, 40, seed=0)
    _, hist = q.train_gd(
        q.shallow_forward, q.init_shallow(4, 8, 4), prob.x, prob.y, steps=300, lr=0.02, momentum=0.9
    )
    assert (hist[:, -1] < 0.1 * hist[:, 0]).all()


def test_zero_neurons_never_move_so_padding_is_exact():
    prob = q.planted_problem(3, 15, seed=0)
    params = q.init_shallow(2, 2, 3, seed=1)
    small, _ = q.train_gd(q.shallow_forward, params, prob.x, prob.y, steps=30, lr=0.02)
    wide, _ = q.train_gd(
        q.shallow_forward, q.pad_neurons(params, 4), prob.x, prob.y, steps=30, lr=0.02
    )
    torch.testing.assert_close(wide[0][:, :2], small[0])
    assert wide[0][:, 2:].abs().max() == 0 and wide[1][:, 2:].abs().max() == 0


def exact_solution(prob, extra=0):
    """A global minimum: the teacher's eigen-decomposition as neurons (plus ``extra`` dead ones)."""
    evals, evecs = torch.linalg.eigh(prob.teacher)
    w = evecs.T * evals.abs().sqrt()[:, None]
    v = torch.sign(evals)
    return q.select(q.pad_neurons((w[None], v[None]), len(v) + extra), 0)


def test_symmetry_directions_leave_the_function_unchanged_and_are_null_at_a_minimum():
    prob = q.planted_problem(3, 12, seed=0)
    params = exact_solution(prob)
    params = (params[0] * 1.3, params[1] / 1.69)  # rescaled neurons: still a global minimum
    dirs = q.symmetry_directions(params)
    m = params[1].numel()
    assert dirs.shape[1] == m + m * (m - 1) // 2
    torch.testing.assert_close(dirs.T @ dirs, torch.eye(dirs.shape[1], dtype=dirs.dtype))
    for k in range(dirs.shape[1]):
        tangent = q.unflatten(dirs[:, k], params)
        _, df = jvp(lambda p: q.shallow_forward(p, prob.x), (params,), (tangent,))
        assert df.abs().max() < 1e-10
    h = q.exact_hessian(q.shallow_forward, params, prob.x, prob.y)
    assert (h @ dirs).abs().max() < 1e-10
    restricted = q.restricted_eigenvalues(h, dirs)
    assert restricted.numel() == h.shape[0] - dirs.shape[1]
    assert restricted.min() > 1e-6  # a strict minimum once the symmetry is removed


def test_classify_one_rules():
    assert q.classify_one(1e-9, 1.0, -1.0) == q.SUCCESS
    assert q.classify_one(0.1, 1e-12, -1e-3) == q.SADDLE
    assert q.classify_one(0.1, 1e-12, -1e-9) == q.SPURIOUS
    assert q.classify_one(1e-4, 1e-3, 1e-9) == q.SLOW


def test_classify_finds_a_global_minimum_and_the_saddle_at_the_origin():
    prob = q.planted_problem(3, 12, seed=0)
    good = exact_solution(prob)
    origin = (torch.zeros(3, 3, dtype=q.DTYPE), torch.tensor([1.0, -1.0, 1.0], dtype=q.DTYPE))
    ends = q.classify(q.shallow_forward, q.stack([good, origin]), prob.x, prob.y)
    assert ends.labels == [q.SUCCESS, q.SADDLE]
    assert ends.grad_norm[1] == 0 and ends.lam_min_perp[1] < -1e-3
    assert ends.counts()[q.SADDLE] == 1 and ends.fraction(q.SUCCESS) == 0.5


def test_wilson_interval():
    lo, hi = q.wilson_interval(0, 20)
    assert lo == 0 and 0.1 < hi < 0.2  # the interval at 0/20 is not a point
    lo, hi = q.wilson_interval(10, 20)
    assert lo < 0.5 < hi and math.isclose(lo + hi, 1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: q.teacher_matrix(3, 4),
        lambda: q.teacher_matrix(3, signs="pos"),
        lambda: q.planted_problem(3, 0),
        lambda: q.init_shallow(2, 0, 3),
        lambda: q.init_deep(2, (), 3),
        lambda: q.train_gd(
            q.shallow_forward,
            q.init_shallow(1, 2, 3),
            torch.zeros(4, 3),
            torch.zeros(4),
            steps=1,
            lr=-1.0,
        ),
        lambda: q.train_gd(
            q.shallow_forward,
            q.init_shallow(1, 2, 3),
            torch.zeros(4, 3),
            torch.zeros(5),
            steps=1,
            lr=0.1,
        ),
        lambda: q.wilson_interval(3, 2),
        lambda: q.pad_neurons(q.init_shallow(1, 3, 2), 2),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_too_large_a_step_is_halved_per_seed_instead_of_diverging():
    prob = q.planted_problem(3, 10, seed=0)
    start = q.init_shallow(2, 3, 3, scale=2.0)
    _, hist = q.train_gd(q.shallow_forward, start, prob.x, prob.y, steps=300, lr=5.0)
    assert torch.isfinite(hist).all()
    assert (hist[:, -1] < hist[:, 0]).all()
