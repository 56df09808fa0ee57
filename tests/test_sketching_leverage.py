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
    assert set(table["kind"]) == {"uniform", "leverage"} and np.all(table["ratio"] >= 1 - 1e-12)
    lev, uni = S.rows_needed(table, "leverage"), S.rows_needed(table, "uniform")
    assert lev <= 400 and uni > 4 * lev, (lev, uni)
