"""Tests for the intersection tests of dofcourse.geometry: LP, exact formulas, l1 recovery."""

import math

import numpy as np
import pytest

from dofcourse import geometry as G


def test_meets_orthant_exact_small_cases():
    p = np.array([[[1.0], [1.0]], [[1.0], [-1.0]], [[-1.0], [-2.0]]]) / math.sqrt(2)
    np.testing.assert_array_equal(G.meets_orthant(p), [True, False, True])
    full = G.random_orthonormal(6, 6, n=2, seed=0)
    assert G.meets_orthant(full).all()


def test_orthant_hit_probability_exact_values():
    assert G.orthant_hit_probability(10, 5)[0] == pytest.approx(0.5)  # d = D/2: exactly 1/2
    np.testing.assert_allclose(G.orthant_hit_probability(10, [0, 10]), [0.0, 1.0])
    assert G.orthant_hit_probability(2, 1)[0] == pytest.approx(0.5)  # a random line in the plane
    assert G.orthant_hit_probability(3, 1)[0] == pytest.approx(
        0.25
    )  # a line in R^3: 2 of 8 octants


def test_lp_orthant_test_agrees_with_wendel():
    D, n = 20, 300
    for d, seed in ((8, 1), (10, 2), (12, 3)):
        hits = G.meets_orthant(G.random_orthonormal(D, d, n=n, seed=seed))
        exact = G.orthant_hit_probability(D, d)[0]
        assert abs(hits.mean() - exact) < 4 * math.sqrt(exact * (1 - exact) / n) + 1e-9


def test_cap_hits_nested_monte_carlo_matches_beta_formula():
    D, alpha = 40, 1.1
    hits = G.nested_cap_hits(D, alpha, n=1000, seed=0)
    exact = G.cap_hit_probability(D, np.arange(D + 1), alpha)
    assert hits.shape == (1000, D + 1) and not hits[:, 0].any() and hits[:, -1].all()
    assert np.all(np.abs(hits.mean(0) - exact) < 4 * np.sqrt(exact * (1 - exact) / 1000) + 1e-9)


def test_l1_recovery_extremes_and_errors():
    assert G.l1_recovery(30, 3, 30, n=5, seed=0).all()  # square A: always
    assert not G.l1_recovery(30, 3, 2, n=5, seed=0).any()  # fewer measurements than nonzeros
    with pytest.raises(ValueError, match="sparsity"):
        G.l1_recovery(10, 11, 5, n=2)
    with pytest.raises(ValueError, match="measurements"):
        G.l1_recovery(10, 2, 12, n=2)


def test_l1_recovery_transition_sits_at_statistical_dimension():
    D, s = 50, 5
    delta = G.statdim_l1(D, s).value
    below = G.l1_recovery(D, s, int(delta - 8), n=40, seed=1).mean()
    above = G.l1_recovery(D, s, int(delta + 8), n=40, seed=2).mean()
    assert below < 0.3 and above > 0.7, (below, above, delta)
