"""dofcourse.sketching: Khatri–Rao leverage bounds and CP-ALS, exact and sampled."""

import numpy as np
import pytest

from dofcourse import sketching as S

RNG = np.random.default_rng(11)


def test_khatri_rao_is_the_columnwise_kronecker_product_in_c_order():
    A, B, C = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 2)), RNG.standard_normal((2, 2))
    Z = S.khatri_rao([A, B, C])
    for r in range(2):
        np.testing.assert_allclose(Z[:, r], np.kron(np.kron(A[:, r], B[:, r]), C[:, r]))
    idx = np.array([[2, 1, 0], [0, 3, 1]])
    np.testing.assert_allclose(S.kr_rows([A, B, C], idx), Z[np.ravel_multi_index(idx.T, (3, 4, 2))])


def test_product_of_factor_leverage_bounds_the_khatri_rao_leverage_exactly_on_small_cases():
    A, B = RNG.standard_normal((6, 3)), RNG.standard_normal((5, 3))
    exact, bound = S.leverage_scores(S.khatri_rao([A, B])), S.kr_leverage_bound([A, B])
    assert np.all(exact <= bound + 1e-12)
    assert exact.sum() == pytest.approx(3) and bound.sum() == pytest.approx(9)  # R vs R^2
    # rank one: the Khatri–Rao product is the Kronecker product, the bound is an equality
    a, b = A[:, :1], B[:, :1]
    np.testing.assert_allclose(S.leverage_scores(S.khatri_rao([a, b])), S.kr_leverage_bound([a, b]))
    # ... and for the full Kronecker product of the columns it is an equality too
    kron = np.kron(A, B)
    np.testing.assert_allclose(S.leverage_scores(kron), S.kr_leverage_bound([A, B]), atol=1e-12)


def test_rows_are_drawn_from_the_product_distribution():
    A, B = RNG.standard_normal((4, 2)), RNG.standard_normal((3, 2))
    idx, w = S.sample_kr_rows([A, B], 200_000, sample_seed=1)
    freq = np.bincount(np.ravel_multi_index(idx.T, (4, 3)), minlength=12) / len(idx)
    p = S.kr_leverage_bound([A, B]) / 4  # sum of the bound: rank(A) rank(B) = 4
    np.testing.assert_allclose(freq, p, atol=0.005)
    np.testing.assert_allclose(w, 1 / np.sqrt(len(idx) * p[np.ravel_multi_index(idx.T, (4, 3))]))
    with pytest.raises(ValueError, match="share their number of columns"):
        S.sample_kr_rows([A, B[:, :1]], 3)


def test_unfolding_and_mttkrp_agree_with_the_khatri_rao_product():
    fs = S.random_factors((3, 4, 5, 2), 3, seed=0)
    X = S.cp_tensor(fs)
    for mode in range(4):
        others = [f for m, f in enumerate(fs) if m != mode]
        np.testing.assert_allclose(S.unfold(X, mode), fs[mode] @ S.khatri_rao(others).T)
        np.testing.assert_allclose(S.mttkrp(X, fs, mode), S.unfold(X, mode) @ S.khatri_rao(others))
    np.testing.assert_allclose(S.cp_fit(X, fs), 1.0)


def test_cp_als_recovers_an_exact_low_rank_tensor_and_sampling_stays_close():
    X = S.low_rank_tensor((15, 12, 10), 3, noise=0.0, tensor_seed=2)
    init = S.random_factors(X.shape, 3, seed=5)
    exact = S.cp_als(X, init, 60, track=True)
    assert exact.fit > 0.999 and len(exact.fit_trace) == 60 and exact.cpu_trace[-1] >= 0
    noisy = S.low_rank_tensor((15, 12, 10), 3, noise=0.1, tensor_seed=2)
    a = S.cp_als(noisy, init, 40)
    b = S.cp_als(noisy, init, 40, n_samples=100, sample_seed=0)
    assert a.fit == pytest.approx(0.9, abs=0.01) and b.fit > a.fit - 0.02
    with pytest.raises(ValueError, match="init must hold one factor per mode"):
        S.cp_als(X, S.random_factors((15, 12, 9), 3), 1)


def test_our_exact_als_matches_tensorly_step_for_step():
    pytest.importorskip("tensorly", reason="tensorly is the reference CP implementation")
    X = S.low_rank_tensor((10, 9, 8), 3, noise=0.05, tensor_seed=0)
    init = S.random_factors(X.shape, 3, seed=1)
    ours, theirs = S.cp_als(X, init, 5), S.tensorly_cp(X, init, 5)
    assert ours.fit == pytest.approx(theirs.fit, abs=1e-10)
    np.testing.assert_allclose(S.cp_tensor(ours.factors), S.cp_tensor(theirs.factors), atol=1e-8)


def test_compare_cp_lists_each_method_per_seed():
    out = S.compare_cp((20, 20, 20), 3, 0.1, 10, 80, [0, 1], library=S.have_tensorly())
    table = out["table"]
    assert len(table) == 2 * (3 if S.have_tensorly() else 2)
    assert set(out["traces"]) == {"ALS (ours)", "sampled ALS (ours, s=80)"}
    assert np.all(table["cpu_seconds"] >= 0) and np.all(table["fit"] < 1)


def test_cp_fit_without_forming_the_model_equals_the_direct_fit():
    X = S.low_rank_tensor((7, 6, 5), 2, noise=0.3, tensor_seed=1)
    fs = S.random_factors(X.shape, 2, seed=3)
    direct = 1 - np.linalg.norm(X - S.cp_tensor(fs)) / np.linalg.norm(X)
    assert S.cp_fit(X, fs) == pytest.approx(direct, abs=1e-10)
    with pytest.raises(ValueError, match="factors must hold one factor per mode"):
        S.cp_fit(X, S.random_factors((7, 6, 4), 2))


def test_public_helpers_refuse_bad_input_by_name():
    X = S.low_rank_tensor((4, 3, 2), 2, tensor_seed=0)
    with pytest.raises(ValueError, match="mode"):
        S.unfold(X, 3)
    with pytest.raises(ValueError, match="factors must hold one factor per mode"):
        S.mttkrp(X, S.random_factors((4, 3, 3), 2), 0)
    with pytest.raises(ValueError, match="A must have shape"):
        S.residual(np.ones((3, 2)), np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="residual_sweep table"):
        S.rows_needed("table", "uniform")
