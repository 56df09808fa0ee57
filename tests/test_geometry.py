"""Tests for dofcourse.geometry: widths, projections, statistical dimensions (exact small cases
and Monte Carlo against closed forms with fixed seeds)."""

import math

import numpy as np
import pytest

from dofcourse import geometry as G


@pytest.fixture
def rng():
    """A fresh generator per test: draws do not depend on which tests ran before."""
    return np.random.default_rng(1234)


def agrees(est, lo, hi=None, z=4.0):
    """The Monte Carlo estimate lies within z standard errors of the value (or interval)."""
    hi = lo if hi is None else hi
    return lo - z * est.stderr <= est.value <= hi + z * est.stderr


# --------------------------------------------------------------------------- random subspaces
def test_random_orthonormal_is_orthonormal_and_seeded():
    q = G.random_orthonormal(30, 7, n=4, seed=3)
    assert q.shape == (4, 30, 7)
    np.testing.assert_allclose(
        np.swapaxes(q, 1, 2) @ q, np.broadcast_to(np.eye(7), (4, 7, 7)), atol=1e-12
    )
    np.testing.assert_array_equal(q, G.random_orthonormal(30, 7, n=4, seed=3))


@pytest.mark.parametrize(
    "D, d, error, name",
    [(5, 6, ValueError, "at most 5"), (5, -1, ValueError, "d must"), (0, 0, ValueError, "D must"),
     (5, 2.5, TypeError, "d must")],
)  # fmt: skip
def test_random_orthonormal_rejects_bad_dims(D, d, error, name):
    with pytest.raises(error, match=name):
        G.random_orthonormal(D, d)
    with pytest.raises(ValueError, match="seed"):
        G.random_orthonormal(5, 2, seed=-1)


# --------------------------------------------------------------------------- Gaussian widths
def test_expected_norm_exact_values_and_bounds():
    assert G.expected_norm(1) == pytest.approx(math.sqrt(2 / math.pi))
    assert G.expected_norm(2) == pytest.approx(math.sqrt(math.pi / 2))
    for k in (1, 5, 50, 500):
        assert k / math.sqrt(k + 1) <= G.expected_norm(k) <= math.sqrt(k)


def test_width_of_subspace_sphere_matches_closed_form():
    est = G.gaussian_width(40, support=G.support_subspace_sphere(9), n=4000, seed=0)
    assert agrees(est, G.expected_norm(9)) and est.method == "t" and est.n == 4000
    assert est.lo < est.value < est.hi and est.level == 0.95


def test_width_of_l1_ball_by_support_and_by_oracle():
    exact = G.width_l1_ball(100)
    by_support = G.gaussian_width(100, support=G.support_l1_ball, n=4000, seed=1)
    by_oracle = G.gaussian_width(100, oracle=G.oracle_l1_ball, n=4000, seed=1)
    assert agrees(by_support, exact) and by_oracle.value == pytest.approx(by_support.value)
    assert G.width_l1_ball(1) == pytest.approx(math.sqrt(2 / math.pi))


@pytest.mark.parametrize("D, alpha", [(2, 0.7), (3, 1.2), (60, 0.3), (60, 2.5)])
def test_width_of_cap_matches_closed_form(D, alpha):
    est = G.gaussian_width(D, support=G.support_cap(alpha), n=6000, seed=2)
    assert agrees(est, G.width_cap(D, alpha))


def test_cap_width_limits():
    assert G.width_cap(10, math.pi) == pytest.approx(G.expected_norm(10))  # whole sphere
    assert G.width_cap(10, 0.0) == pytest.approx(0.0, abs=1e-9)  # one point


def test_gaussian_width_input_errors():
    with pytest.raises(ValueError, match="exactly one"):
        G.gaussian_width(5)
    with pytest.raises(ValueError, match="exactly one"):
        G.gaussian_width(5, support=G.support_l1_ball, oracle=G.oracle_l1_ball)
    with pytest.raises(ValueError, match="alpha"):
        G.support_cap(-0.1)
    with pytest.raises(ValueError, match="n must"):
        G.gaussian_width(5, support=G.support_l1_ball, n=1)
    with pytest.raises(TypeError, match="D must"):
        G.gaussian_width(5.0, support=G.support_l1_ball)


def test_a_wrong_width_is_caught_by_the_check():
    """The chapter's check (4 standard errors) fails for a support function that is off by 5 %."""
    exact = G.expected_norm(9)
    wrong = G.gaussian_width(40, support=lambda g: 1.05 * G.support_subspace_sphere(9)(g),
                             n=4000, seed=0)  # fmt: skip
    assert not agrees(wrong, exact)


def test_gordon_bound_is_a_probability_that_grows_with_codimension():
    k = np.arange(1, 400)
    b = G.gordon_miss_bound(k, 5.0)
    assert np.all((b >= 0) & (b <= 1)) and np.all(np.diff(b) >= -1e-12)
    assert b[0] == 0.0 and b[-1] > 0.9  # empty for small k, informative for large k


# --------------------------------------------------------------------------- projections
def _moreau_checks(project, g, polar=None):
    p = project(g)
    np.testing.assert_allclose(project(p), p, atol=1e-9)  # idempotent
    r = g - p
    np.testing.assert_allclose(np.sum(p * r, axis=1), 0.0, atol=1e-8)  # orthogonal parts
    if polar is not None:
        np.testing.assert_allclose(polar(g), r, atol=1e-9)  # g = Pi_C g + Pi_C° g
    return p, r


def test_orthant_moreau(rng):
    g = rng.standard_normal((200, 12))
    p, r = _moreau_checks(G.project_orthant, g, polar=lambda x: -G.project_orthant(-x))
    assert (p >= 0).all() and (r <= 0).all()


def test_subspace_moreau_and_rejects_non_orthonormal(rng):
    q = G.random_orthonormal(15, 4, seed=0)
    g = rng.standard_normal((100, 15))
    _moreau_checks(G.project_subspace(q), g)
    with pytest.raises(ValueError, match="orthonormal"):
        G.project_subspace(2 * q)


def test_soc_moreau_and_self_duality(rng):
    g = rng.standard_normal((300, 9))
    p, r = _moreau_checks(G.project_soc, g, polar=lambda x: -G.project_soc(-x))
    assert (np.linalg.norm(p[:, :-1], axis=1) <= p[:, -1] + 1e-12).all()


def test_psd_moreau_and_vec_isometry(rng):
    n = 5
    a = rng.standard_normal((3, n, n))
    a = a + np.swapaxes(a, 1, 2)
    v = G.sym_to_vec(a)
    np.testing.assert_allclose(G.vec_to_sym(v), a)
    np.testing.assert_allclose(np.sum(v**2, 1), np.sum(a**2, axis=(1, 2)))
    g = rng.standard_normal((100, G.psd_dim(n)))
    p, _ = _moreau_checks(G.project_psd, g, polar=lambda x: -G.project_psd(-x))
    assert np.linalg.eigvalsh(G.vec_to_sym(p)).min() > -1e-10


def test_l1_descent_moreau_and_membership(rng):
    x = np.zeros(20)
    x[[1, 4, 7]] = [2.0, -1.0, 0.5]
    g = rng.standard_normal((300, 20))
    p, r = _moreau_checks(G.project_l1_descent(x), g, polar=G.project_l1_polar(x))
    assert G.in_l1_descent(x, p, tol=1e-8).all()
    # the polar part is tau times a subgradient: signs on the support, |.| <= tau off it
    tau = r[:, 1] / 1.0
    np.testing.assert_allclose(r[:, 4], -tau, atol=1e-12)
    assert (np.abs(r[:, [0, 2, 3]]) <= tau[:, None] + 1e-12).all() and (tau >= 0).all()


def test_l1_descent_projection_brute_force_in_2d(rng):
    # x = e_1 in R^2: D = {y : y_1 + |y_2| <= 0}, a quarter plane around -e_1
    x = np.array([1.0, 0.0])
    angles = np.linspace(3 * math.pi / 4, 5 * math.pi / 4, 20001)
    rays = np.stack([np.cos(angles), np.sin(angles)], 1)
    g = rng.standard_normal((50, 2))
    brute = np.maximum((g @ rays.T).max(axis=1), 0.0)  # ||Pi_D g|| = max(sup <g, u>, 0)
    got = np.linalg.norm(G.project_l1_descent(x)(g), axis=1)
    np.testing.assert_allclose(got, brute, atol=1e-6)


def test_l1_descent_rejects_zero_point():
    with pytest.raises(ValueError, match="nonzero"):
        G.project_l1_descent(np.zeros(4))


# --------------------------------------------------------------------------- statistical dimension
@pytest.mark.parametrize(
    "name, project, D, exact",
    [
        ("orthant", G.project_orthant, 40, 20.0),
        ("soc", G.project_soc, 31, 15.5),
        ("psd", G.project_psd, G.psd_dim(6), G.statdim_psd(6)),
        ("subspace", G.project_subspace(G.random_orthonormal(25, 6, seed=1)), 25, 6.0),
    ],
)
def test_statdim_monte_carlo_matches_closed_form(name, project, D, exact):
    est = G.statistical_dimension(project, D, n=3000, seed=7)
    assert agrees(est, exact), f"{name}: {est} vs {exact}"


def test_closed_forms():
    assert G.statdim_orthant(10) == 5 and G.statdim_soc(7) == 3.5 and G.statdim_psd(3) == 3.0
    assert G.statdim_subspace(4) == 4.0


def test_psi_l1_is_the_minimum_at_the_stationary_point():
    for rho in (0.02, 0.1, 0.3, 0.7):
        psi, tau = G.psi_l1(rho)
        # McCoy-Tropp stationarity: rho/(1-rho) = sqrt(2/pi) e^(-tau^2/2)/tau - erfc(tau/sqrt 2)
        lhs = rho / (1 - rho)
        rhs = math.sqrt(2 / math.pi) * math.exp(-(tau**2) / 2) / tau - math.erfc(tau / math.sqrt(2))
        assert lhs == pytest.approx(rhs, abs=1e-6)
        assert 0 < psi < 1
    assert G.psi_l1(1.0)[0] == 1.0 and G.psi_l1(0.0)[0] == 0.0
    assert float(G.gaussian_tail_moment(0.0)) == pytest.approx(1.0)  # E g^2


@pytest.mark.parametrize("D, s", [(100, 5), (100, 30), (60, 60)])
def test_statdim_l1_monte_carlo_within_formula_bounds(D, s):
    x = np.zeros(D)
    x[:s] = 1.0
    est = G.statistical_dimension(G.project_l1_descent(x), D, n=3000, seed=11)
    f = G.statdim_l1(D, s)
    assert f.lower <= f.upper and agrees(est, f.lower, f.upper), (est, f)


def test_statdim_l1_rejects_bad_sparsity():
    with pytest.raises(ValueError, match="sparsity"):
        G.statdim_l1(10, 11)
    with pytest.raises(ValueError, match="sparsity"):
        G.statdim_l1(10, 0)
    with pytest.raises(ValueError, match="rho"):
        G.psi_l1(1.5)
