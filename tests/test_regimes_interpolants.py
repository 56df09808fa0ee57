"""dofcourse.regimes: the interpolants and the closed-form implicit bias, on exact small cases."""

import numpy as np
import pytest

from dofcourse import checks
from dofcourse import regimes as R


def test_min_l2_interpolant_is_the_pseudo_inverse_solution():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 15)), rng.standard_normal(6)
    np.testing.assert_allclose(R.min_l2_interpolant(X, y), np.linalg.pinv(X) @ y, atol=1e-12)
    # by hand on one equation: x1 + 2 x2 = 2 -> (0.4, 0.8)
    np.testing.assert_allclose(R.min_l2_interpolant([[1.0, 2.0]], [2.0]), [0.4, 0.8])


def test_min_l1_interpolant_exact_cases():
    # x1 + 2 x2 = 2: the l1 ball first touches the line at (0, 1), l1 norm 1 < 2 = |(2, 0)|
    np.testing.assert_allclose(R.min_l1_interpolant([[1.0, 2.0]], [2.0]), [0.0, 1.0], atol=1e-9)
    # enough Gaussian measurements recover a sparse vector exactly (chapter 04's transition)
    p = R.sparse_problem(40, 100, 4, seed=3)
    np.testing.assert_allclose(R.min_l1_interpolant(p.X, p.y), p.beta_star, atol=1e-7)
    assert p.error(R.min_l2_interpolant(p.X, p.y)) > 1.0  # the l2 one is dense and far off


def test_sparse_problem_is_what_it_says():
    p = R.sparse_problem(10, 30, 3, seed=1, n_test=7)
    assert p.X.shape == (10, 30) and p.x_test.shape == (7, 30) and (p.n, p.d) == (10, 30)
    assert np.count_nonzero(p.beta_star) == 3 and set(np.abs(p.beta_star[p.beta_star != 0])) == {1}
    np.testing.assert_allclose(p.y, p.X @ p.beta_star)
    np.testing.assert_allclose(p.y_test, p.x_test @ p.beta_star)
    assert np.array_equal(R.sparse_problem(10, 30, 3, seed=1).X, p.X)
    assert p.error(p.beta_star) == 0.0


def test_bad_inputs_are_refused_clearly():
    with pytest.raises(ValueError, match="n must be at most"):
        R.sparse_problem(30, 30, 3)
    with pytest.raises(ValueError, match="rows but y"):
        R.min_l2_interpolant(np.ones((3, 5)), np.ones(4))
    with pytest.raises(ValueError, match="no minimum-l2 interpolant"):
        R.min_l2_interpolant([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0])  # inconsistent
    with pytest.raises(ValueError, match="no minimum-l1"):
        R.min_l1_interpolant([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="alpha"):
        R.implicit_bias(np.ones((1, 2)), [1.0], 0.0)
    with pytest.raises(ValueError, match="NaN"):
        R.q_alpha([np.nan, 1.0], 1.0)


def test_checks_array_converts_and_refuses():
    import torch

    np.testing.assert_array_equal(checks.array(torch.tensor([[1, 2]]), "A", ndim=2), [[1.0, 2.0]])
    assert checks.array([True, False], "m").dtype == np.float64
    with pytest.raises(TypeError, match="A must be an array of numbers"):
        checks.array("abc", "A")
    with pytest.raises(ValueError, match="A must have 2 dimensions"):
        checks.array(np.zeros(3), "A", ndim=2)
    with pytest.raises(ValueError, match="infinite"):
        checks.array([1.0, np.inf], "A")


def test_q_alpha_is_the_stated_function():
    z = np.linspace(-30, 30, 61)
    alpha = 0.7
    q = R.q_alpha(z[:, None] * alpha**2, alpha) / alpha**2  # one coordinate per row
    np.testing.assert_allclose(q, 2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2))
    assert R.q_alpha(np.zeros(5), 0.3) == 0.0
    # its gradient is arcsinh(beta / (2 alpha^2)) (finite differences)
    beta, h = np.array([0.3, -2.0, 5.0]), 1e-6
    grad = [(R.q_alpha(beta + h * e, alpha) - R.q_alpha(beta - h * e, alpha)) / (2 * h)
            for e in np.eye(3)]  # fmt: skip
    np.testing.assert_allclose(grad, np.arcsinh(beta / (2 * alpha**2)), rtol=1e-6)


def test_implicit_bias_solves_its_optimality_conditions_and_has_the_two_limits():
    p = R.sparse_problem(20, 50, 3, seed=2)
    l1, l2 = R.min_l1_interpolant(p.X, p.y), R.min_l2_interpolant(p.X, p.y)
    for alpha in (1e-3, 0.1, 1.0, 10.0):
        beta = R.implicit_bias(p.X, p.y, alpha)
        np.testing.assert_allclose(p.X @ beta, p.y, atol=1e-9)
        # grad Q_alpha(beta) = arcsinh(beta / 2 alpha^2) lies in the row space of X
        g = np.arcsinh(beta / (2 * alpha**2))
        lam = np.linalg.lstsq(p.X.T, g, rcond=None)[0]
        np.testing.assert_allclose(p.X.T @ lam, g, atol=1e-6 * max(1, np.abs(g).max()))
        # and it beats other interpolants on Q_alpha
        for other in (l1, l2):
            assert R.q_alpha(beta, alpha) <= R.q_alpha(other, alpha) + 1e-9
    assert np.linalg.norm(R.implicit_bias(p.X, p.y, 1e-4) - l1) < 1e-3
    assert np.linalg.norm(R.implicit_bias(p.X, p.y, 30.0) - l2) < 1e-4
