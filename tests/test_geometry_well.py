"""Tests for the quadratic well and the elliptic sublevel cone of dofcourse.geometry."""

import math

import numpy as np
import pytest

from dofcourse import geometry as G


@pytest.fixture
def rng():
    """A fresh generator per test: draws do not depend on which tests ran before."""
    return np.random.default_rng(99)


def _well(D=30, stiff=5):
    lam = np.r_[np.full(stiff, 1.0), np.full(D - stiff, 0.05)]
    well = G.QuadraticWell.from_spectrum(lam)
    return well, well.start_at_loss(1.0, seed=1)


def test_bad_inputs_are_refused_clearly():
    with pytest.raises(ValueError, match="symmetric"):
        G.QuadraticWell(np.array([[1.0, 1.0], [0.0, 1.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="positive definite"):
        G.QuadraticWell(np.diag([1.0, -1.0]), np.zeros(2))
    well, th0 = _well()
    with pytest.raises(ValueError, match="eps"):
        G.success_curve(well, th0, -0.1)
    with pytest.raises(ValueError, match="already"):
        G.success_curve(well, th0, 2.0)
    with pytest.raises(ValueError, match="D"):
        G.subspace_minimum(well, th0, np.zeros((31, 31)))  # d > D


def test_subspace_minimum_exact_cases(rng):
    well, th0 = _well()
    full = G.random_orthonormal(30, 30, seed=0)
    assert G.subspace_minimum(well, th0, full)[0] == pytest.approx(0.0, abs=1e-10)
    # the line towards the minimum reaches it
    line = ((well.theta_star - th0) / np.linalg.norm(well.theta_star - th0))[:, None]
    assert G.subspace_minimum(well, th0, line)[0] == pytest.approx(0.0, abs=1e-10)
    # a direction orthogonal to H c does not lower the loss at all
    hc = well.h @ (th0 - well.theta_star)
    v = rng.standard_normal(30)
    v -= v @ hc / (hc @ hc) * hc
    v /= np.linalg.norm(v)
    expected = well.loss(th0)[0] - 0  # min over t of L(th0 + t v) with v ⟂ Hc is L(th0) minus
    curvature_gain = 0.0  # <Hc, v>^2 / (2 v^T H v) = 0
    assert G.subspace_minimum(well, th0, v[:, None])[0] == pytest.approx(expected - curvature_gain)


def test_nested_minima_match_direct_minimisation():
    well, th0 = _well()
    gs = np.random.default_rng(4).standard_normal((3, 30, 30))
    nested = G.minima_from_gaussians(well, th0, gs)
    assert nested.shape == (3, 31)
    for d in (1, 7, 19, 30):
        q = np.linalg.qr(gs[:, :, :d])[0]  # orthonormal basis of the first d columns
        np.testing.assert_allclose(
            nested[:, d], G.subspace_minimum(well, th0, q), rtol=1e-8, atol=1e-10
        )
    np.testing.assert_allclose(nested[:, 0], well.loss(th0)[0])
    assert np.all(np.diff(nested, axis=1) <= 1e-12)  # more dimensions never hurt
    np.testing.assert_array_equal(
        G.nested_minima(well, th0, 2, seed=1), G.nested_minima(well, th0, 2, seed=1)
    )


def test_isotropic_sublevel_cone_is_a_circular_cone(rng):
    D, eps = 20, 0.5
    well = G.QuadraticWell.from_spectrum(np.ones(D))
    th0 = np.zeros(D)
    th0[0] = 2.0  # ball of radius 1 at distance 2: half-angle pi/6 around -e_1
    cone = G.sublevel_cone(well, th0, eps)
    g = rng.standard_normal((500, D))
    np.testing.assert_allclose(cone.sphere_support(g), G.support_cap(math.pi / 6)(-g), atol=1e-9)


def test_elliptic_cone_projection_and_support_brute_force_3d(rng):
    well = G.QuadraticWell(np.diag([5.0, 1.0, 0.2]), np.zeros(3))
    th0 = np.array([1.0, 2.0, -3.0])
    eps = 0.3 * well.loss(th0)[0]
    cone = G.sublevel_cone(well, th0, eps)
    g = rng.standard_normal((200, 3))
    p = cone.project(g)
    np.testing.assert_allclose(cone.project(p), p, atol=1e-10)
    np.testing.assert_allclose(np.sum(p * (g - p), 1), 0.0, atol=1e-10)
    assert cone.contains(p, tol=1e-7).all()
    # brute force sup over the cone's directions: is theta0 + t u in the ellipsoid for some t?
    u = rng.standard_normal((200000, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    c = th0 - well.theta_star
    hc = well.h @ c
    inside = (u @ hc <= 0) & (
        (u @ hc) ** 2 >= (c @ hc - 2 * eps) * np.sum(u**2 * np.diag(well.h), 1)
    )
    brute = (g @ u[inside].T).max(axis=1)
    np.testing.assert_allclose(cone.sphere_support(g), brute, atol=0.02)
    assert (cone.sphere_support(g) < 0).any()  # the polar branch was exercised


def test_threshold_from_exact_curve_agrees_with_width_prediction():
    well, th0 = _well(D=40, stiff=4)
    eps = 0.05
    curve = G.success_curve(well, th0, eps, n=300, seed=0)
    cone = G.sublevel_cone(well, th0, eps)
    w = G.gaussian_width(40, support=cone.sphere_support, n=3000, seed=1)
    delta = G.statistical_dimension(cone.project, 40, n=3000, seed=2)
    assert delta.value - 1 - 0.5 <= w.value**2 <= delta.value + 0.5  # delta - 1 <= w^2 <= delta
    assert abs(curve.threshold() - (40 - w.value**2)) <= max(curve.width(), 2.0)


def test_success_curve_threshold_uses_the_course_crossing():
    curve = G.SuccessCurve(np.arange(5), np.array([0.0, 0.2, 0.6, 1.0, 1.0]), n=10)
    assert curve.threshold() == pytest.approx(1.75) and curve.width() == pytest.approx(2.75 - 0.5)
    never = G.SuccessCurve(np.arange(3), np.array([0.0, 0.1, 0.2]), n=10)
    assert never.threshold() == float("inf"), "a threshold beyond the grid is inf, not nan"
