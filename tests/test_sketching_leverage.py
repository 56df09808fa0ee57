"""dofcourse.sketching: leverage scores and sampled least squares, on exact small cases."""

import numpy as np
import pytest

from dofcourse import sketching as S

RNG = np.random.default_rng(7)


def test_leverage_scores_are_the_hat_matrix_diagonal_and_sum_to_the_rank():
    A = RNG.standard_normal((30, 4))
    lev = S.leverage_scores(A)
    np.testing.assert_allclose(lev, np.diag(A @ np.linalg.pinv(A)), atol=1e-12)
    assert lev.sum() == pytest.approx(4.0) and np.all((lev >= 0) & (lev <= 1 + 1e-12))
    # rank-deficient: a repeated column does not count twice
    B = np.hstack([A, A[:, :1] + A[:, 1:2]])
    assert S.leverage_scores(B).sum() == pytest.approx(4.0)
    np.testing.assert_allclose(S.leverage_scores(B), lev, atol=1e-10)
    # scores do not change when the columns are mixed: they belong to the column space
    np.testing.assert_allclose(S.leverage_scores(A @ RNG.standard_normal((4, 4))), lev, atol=1e-10)
    # exact small case: the identity stacked on zeros puts all leverage on the first rows
    np.testing.assert_allclose(S.leverage_scores(np.vstack([np.eye(2), np.zeros((3, 2))])),
                               [1, 1, 0, 0, 0], atol=1e-15)  # fmt: skip


def test_spiked_system_has_a_few_rows_of_leverage_near_one():
    A, b = S.spiked_system(500, 10, 3, seed=1)
    lev = S.leverage_scores(A)
    top = np.sort(lev)[::-1]
    assert np.all(top[:3] > 0.9) and top[3] < 0.2 and lev.sum() == pytest.approx(10)
    assert A.shape == (500, 10) and b.shape == (500,)
    with pytest.raises(ValueError, match="n_spikes"):
        S.spiked_system(500, 10, 10)


def test_sampled_least_squares_with_every_row_once_is_exact_least_squares():
    A, b = RNG.standard_normal((40, 5)), RNG.standard_normal(40)
    exact = np.linalg.lstsq(A, b, rcond=None)[0]
    rows = np.arange(40)
    np.testing.assert_allclose(S.sampled_lstsq(A, b, rows, np.ones(40)), exact, atol=1e-12)
    # any common weight gives the same solution
    np.testing.assert_allclose(S.sampled_lstsq(A, b, rows, np.full(40, 3.0)), exact, atol=1e-12)
    # a consistent system is solved exactly by any sample that spans the columns
    x = RNG.standard_normal(5)
    r, w = S.draw_rows(S.probabilities(A, "leverage"), 12, sample_seed=3)
    np.testing.assert_allclose(S.sampled_lstsq(A, A @ x, r, w), x, atol=1e-10)


def test_importance_weights_make_the_sketched_gram_matrix_unbiased():
    A = RNG.standard_normal((20, 3)) * np.linspace(0.1, 3, 20)[:, None]
    for kind in ("uniform", "leverage"):
        p = S.probabilities(A, kind)
        assert p.sum() == pytest.approx(1.0)
        # exact expectation over one draw of s rows: sum_i s p_i (1 / (s p_i)) a_i a_i^T = A^T A
        np.testing.assert_allclose((A.T * (p * 1 / p)) @ A, A.T @ A)
        rows, w = S.draw_rows(p, 200_000, sample_seed=0)
        sketch = (w[:, None] * A[rows]).T @ (w[:, None] * A[rows])
        np.testing.assert_allclose(sketch, A.T @ A, rtol=0.03, atol=0.03 * np.abs(A.T @ A).max())


def test_bad_inputs_are_refused_clearly():
    with pytest.raises(ValueError, match="kind"):
        S.probabilities(np.ones((3, 2)), "random")
    with pytest.raises(ValueError, match="sum to 1"):
        S.draw_rows([0.5, 0.6], 3)
    with pytest.raises(ValueError, match="rows\\[0\\]"):
        S.sampled_lstsq(np.ones((3, 2)), np.ones(3), [5], [1.0])
    with pytest.raises(ValueError, match="weights"):
        S.sampled_lstsq(np.ones((3, 2)), np.ones(3), [0, 1], [1.0])
    with pytest.raises(ValueError, match="empty"):
        S.leverage_scores(np.ones((0, 2)))


def test_residual_sweep_leverage_needs_far_fewer_rows_on_a_coherent_matrix():
    A, b = S.spiked_system(2000, 10, 3, seed=0)
    table = S.residual_sweep(A, b, [50, 100, 200, 400, 800, 1600], list(range(10)))
    assert set(table["kind"]) == {"uniform", "leverage", "hybrid"}
    assert np.all(table["ratio"] >= 1 - 1e-12) and np.all(table["distinct"] <= table["n_samples"])
    lev, uni = S.rows_needed(table, "leverage"), S.rows_needed(table, "uniform")
    assert lev <= 400 and uni > 4 * lev, (lev, uni)
    assert S.rows_needed(table, "hybrid") <= lev


def test_combining_repeats_keeps_the_weighted_equations_and_the_solution():
    A, b = RNG.standard_normal((30, 3)), RNG.standard_normal(30)
    # exact small case: row 4 drawn three times with weight 2 is row 4 once with weight 2 sqrt(3)
    rows, w = S.combine_repeats([4, 7, 4, 4], [2.0, 1.0, 2.0, 2.0])
    np.testing.assert_array_equal(rows, [4, 7])
    np.testing.assert_allclose(w, [2 * np.sqrt(3), 1.0])
    drawn, weights = S.draw_rows(S.probabilities(A, "leverage"), 200, sample_seed=1)
    rows, w = S.combine_repeats(drawn, weights)
    assert len(rows) < len(drawn) and len(rows) == len(np.unique(drawn))
    gram = lambda r, v: (v[:, None] * A[r]).T @ (v[:, None] * A[r])  # noqa: E731
    np.testing.assert_allclose(gram(rows, w), gram(drawn, weights), rtol=1e-12)
    np.testing.assert_allclose(S.sampled_lstsq(A, b, rows, w),
                               S.sampled_lstsq(A, b, drawn, weights), atol=1e-12)  # fmt: skip


def test_hybrid_sampling_on_exact_small_cases():
    p = np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.05])
    # tau above every p: no deterministic rows, and the draw is plain sampling, repeats combined
    rows, w = S.draw_rows_hybrid(p, 40, sample_seed=3, tau=0.9)
    plain = S.combine_repeats(*S.draw_rows(p, 40, sample_seed=3))
    np.testing.assert_array_equal(rows, plain[0])
    np.testing.assert_allclose(w, plain[1])
    # tau = 0.15: rows 0 and 1 are taken once with weight 1; the other 3 draws come from rows 2-5
    # with q = p / 0.3 and weight 1 / sqrt(3 q)
    rows, w = S.draw_rows_hybrid(p, 5, sample_seed=0, tau=0.15)
    np.testing.assert_array_equal(rows[:2], [0, 1])
    np.testing.assert_allclose(w[:2], 1.0)
    assert set(rows[2:]) <= {2, 3, 4, 5} and len(set(rows)) == len(rows)
    counts = np.round(w[2:] ** 2 * 3 * p[rows[2:]] / 0.3).astype(int)  # sqrt(c) / sqrt(3 q)
    assert counts.sum() == 3
    # more rows above tau than samples: the s most probable, no random draws
    rows, w = S.draw_rows_hybrid(p, 2, sample_seed=0, tau=0.01)
    np.testing.assert_array_equal(rows, [0, 1])
    np.testing.assert_allclose(w, 1.0)
    # every row of non-zero probability fits in the budget: exact least squares
    A, b = RNG.standard_normal((6, 2)), RNG.standard_normal(6)
    rows, w = S.draw_rows_hybrid(p, 6, tau=0.01)
    np.testing.assert_allclose(S.sampled_lstsq(A, b, rows, w),
                               np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-12)  # fmt: skip
    with pytest.raises(ValueError, match="tau"):
        S.draw_rows_hybrid(p, 5, tau=0.0)


def test_hybrid_sketch_is_unbiased_and_never_misses_a_spike():
    A = RNG.standard_normal((20, 3)) * np.linspace(0.1, 3, 20)[:, None]
    p = S.probabilities(A, "leverage")
    sketches = []
    for seed in range(4000):
        rows, w = S.draw_rows_hybrid(p, 8, sample_seed=seed, tau=0.12)
        sketches.append((w[:, None] * A[rows]).T @ (w[:, None] * A[rows]))
    assert np.sum(p >= 0.12) == 2  # two rows are deterministic, six drawn
    np.testing.assert_allclose(np.mean(sketches, axis=0), A.T @ A, rtol=0.03,
                               atol=0.03 * np.abs(A.T @ A).max())  # fmt: skip
    A, b = S.spiked_system(2000, 10, 3, seed=0)
    spikes = np.flatnonzero(S.leverage_scores(A) > 0.9)
    for seed in range(20):
        rows, _ = S.sample_rows(A, "hybrid", 15, seed)
        assert set(spikes) <= set(rows) and len(rows) <= 15
