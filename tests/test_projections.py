"""Tests for dofcourse.projections: scaling, orthogonality, adjoints, stacking, memory checks."""

import math
import sys

import pytest
import scipy.linalg
import torch

from dofcourse import device
from dofcourse.projections import fwht, hadamard, make_projection, stack_projections

RANDOM_KINDS = ["dense", "sparse", "fastfood", "orthonormal"]
D, d = 4096, 64


@pytest.fixture(scope="module")
def matrices():
    return {k: make_projection(k, D, d, seed=3, dtype=torch.float64).matrix() for k in RANDOM_KINDS}


@pytest.mark.parametrize("n", [1, 2, 8, 32, 64, 1024])
def test_fwht_equals_hadamard_matrix(n):
    x = torch.randn(3, n, dtype=torch.float64)
    h = torch.from_numpy(scipy.linalg.hadamard(n)).double()
    torch.testing.assert_close(fwht(x), x @ h.T)


def test_fwht_rejects_non_power_of_two():
    with pytest.raises(ValueError, match="power-of-two"):
        fwht(torch.zeros(12))


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_columns_have_unit_norm_in_expectation(matrices, kind):
    sq = matrices[kind].square().sum(0)  # (d,) squared column norms
    assert abs(sq.mean().item() - 1) < 0.05, f"{kind}: mean squared column norm {sq.mean():.3f}"
    # Each column is close to unit norm too: sparse fluctuates most (about sqrt(D) non-zeros).
    assert (sq - 1).abs().max().item() < 0.6


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_columns_nearly_orthogonal_for_small_d(matrices, kind):
    p = matrices[kind]
    gram = p.T @ p
    cos = gram / torch.outer(gram.diag().sqrt(), gram.diag().sqrt())
    off = (cos - torch.eye(d, dtype=cos.dtype)).abs().max().item()
    limit = 1e-10 if kind == "orthonormal" else 6 / math.sqrt(D)  # 6 standard deviations
    assert off < limit, f"{kind}: largest |cos| between columns {off:.4f}"
    # All of P^T P is near the identity: ||P^T P - I||_2 ~ 2 sqrt(d / D) = 0.25 for Gaussian P
    # (sparse adds column-norm noise); a rank-deficient P would give >= 1.
    assert torch.linalg.matrix_norm(gram - torch.eye(d, dtype=gram.dtype), 2) < 0.75


@pytest.mark.parametrize("kind", [*RANDOM_KINDS, "identity"])
def test_transpose_is_the_adjoint(kind):
    dd = 37 if kind != "identity" else 100
    p = make_projection(kind, 100, dd, seed=1, dtype=torch.float64)
    z, v = torch.randn(5, dd, dtype=torch.float64), torch.randn(5, 100, dtype=torch.float64)
    torch.testing.assert_close((p(z) * v).sum(1), (z * p.T(v)).sum(1))
    torch.testing.assert_close(p.T(v), v @ p.matrix())


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_backward_applies_the_transpose(kind):
    p = make_projection(kind, 300, 20, seed=2, dtype=torch.float64)
    z = torch.randn(20, dtype=torch.float64, requires_grad=True)
    v = torch.randn(300, dtype=torch.float64)
    (p(z) @ v).backward()
    torch.testing.assert_close(z.grad, p.T(v))


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_batched_shapes(kind):
    p = make_projection(kind, 50, 4, seed=0)
    assert p(torch.zeros(2, 3, 4)).shape == (2, 3, 50)
    assert p.T(torch.zeros(7, 50)).shape == (7, 4)
    assert p(torch.zeros(4)).shape == (50,)


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_same_seed_same_projection(kind):
    a = make_projection(kind, 200, 10, seed=5).matrix()
    assert torch.equal(a, make_projection(kind, 200, 10, seed=5).matrix())
    assert not torch.equal(a, make_projection(kind, 200, 10, seed=6).matrix())


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_stacked_members_equal_single_projections(kind):
    dims, seeds = [3, 9, 5], [0, 1, 2]
    st = stack_projections(kind, 120, dims, seeds, dtype=torch.float64)
    z = torch.randn(3, 9, dtype=torch.float64)
    v = torch.randn(3, 120, dtype=torch.float64)
    out, back = st.apply(z), st.transpose(v)
    for e, (dd, s) in enumerate(zip(dims, seeds, strict=True)):
        p = make_projection(kind, 120, dd, seed=s, dtype=torch.float64)
        torch.testing.assert_close(out[e], p(z[e, :dd]))  # padding beyond d_e is ignored
        torch.testing.assert_close(back[e, :dd], p.T(v[e]))
        assert back[e, dd:].abs().max().item() == 0 if dd < 9 else True


def test_dense_refused_before_allocation():
    with pytest.raises(ValueError, match="budget"):
        make_projection("dense", 10**6, 10**4)  # 40 GB: must fail at once, not allocate
    with pytest.raises(ValueError, match="budget"):
        make_projection("orthonormal", 1000, 100, max_bytes=1000)


def test_fastfood_memory_is_linear_in_D_not_d():
    small = make_projection("fastfood", 100_000, 10, seed=0).nbytes()
    large = make_projection("fastfood", 100_000, 10_000, seed=0).nbytes()
    assert small == large and large <= 16 * 2**17  # three vectors of length L = 2^17


def test_sparse_density_is_about_one_over_sqrt_D():
    p = make_projection("sparse", 10_000, 50, seed=0)
    nnz = (p.matrix() != 0).sum().item()
    assert abs(nnz / (10_000 * 50) - 1 / 100) < 0.001


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        make_projection("gaussian", 10, 2)
    with pytest.raises(ValueError, match="1 <= d <= D"):
        make_projection("dense", 10, 20)
    with pytest.raises(ValueError, match="identity"):
        make_projection("identity", 10, 5)
    with pytest.raises(ValueError, match="shape"):
        make_projection("fastfood", 10, 3)(torch.zeros(4))
    with pytest.raises(ValueError, match="equally many"):
        stack_projections("dense", 10, [2, 3], [0])


@pytest.mark.parametrize(("D", "d"), [(20, 5), (20, 16), (33, 3), (64, 64)])
def test_fastfood_is_the_explicit_product_of_its_factors(D, d):
    """P = scale [H G Pi H B]_(:D, :d), built as dense matrices from factors drawn again from the
    seed (signs B, permutation Pi, Gaussian G, in that order): the short-cuts (a small first
    transform, a scatter-add for Pi^T, the scale folded into G) must give exactly this matrix."""
    from dofcourse.projections.hadamard import _hadamard

    p = make_projection("fastfood", D, d, seed=3, dtype=torch.float64)
    L = p.stacked.L
    gen = torch.Generator().manual_seed(3)
    b = torch.randint(0, 2, (L,), generator=gen) * 2.0 - 1.0
    perm = torch.randperm(L, generator=gen)
    g = torch.randn(L, generator=gen, dtype=torch.float64)
    h = _hadamard(L, torch.float64, torch.device("cpu"))
    pi = torch.eye(L, dtype=torch.float64)[perm]  # (Pi x)_i = x_perm[i]
    full = h @ torch.diag(g) @ pi @ h @ torch.diag(b.double())
    expected = full[:D, :d] / torch.sqrt(D * g.square().sum())
    torch.testing.assert_close(p.matrix(), expected)
    v = torch.randn(D, dtype=torch.float64)
    torch.testing.assert_close(p.T(v), expected.T @ v)


def test_sparse_columns_have_unit_norm_in_expectation_even_when_dense():
    """At small D the density rho = 1/sqrt(D) is large and many drawn positions repeat; the
    columns must still have E ||P e_j||^2 = 1 (not 1 - rho/2 = 0.875 here)."""
    sq = torch.stack([
        make_projection("sparse", 16, 8, seed=s, dtype=torch.float64).matrix().square().sum(0)
        for s in range(400)
    ])  # fmt: skip
    assert abs(sq.mean().item() - 1) < 0.01, sq.mean()


# --------------------------------------------------------------------------- the two transforms
# fwht has two implementations, fht-cpu's SIMD kernel and torch's passes, chosen in one place
# (hadamard._kernel). Each is tested here against the other and against the Hadamard matrix.

needs_fht = pytest.mark.skipif(
    hadamard._fht_cpu() is None, reason="fht-cpu is not installed here (or the CPU lacks AVX2)"
)


@pytest.fixture
def torch_only(monkeypatch):
    """Torch's transform everywhere, as where fht-cpu is missing."""
    monkeypatch.setattr(hadamard, "_fht_cpu", lambda: None)


def _exact(x: torch.Tensor) -> torch.Tensor:
    """H x in float64 by the dense Sylvester matrix (scipy's, not the package's)."""
    h = torch.from_numpy(scipy.linalg.hadamard(x.shape[-1])).double()
    return x.double() @ h.T


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


# odd shapes: length 1 and 2, one row, lead axes, many short rows, long rows, a batch of long ones
SHAPES = [(1,), (2,), (3, 1), (2, 3, 8), (1, 64), (37, 32), (5, 1024), (2, 2**12), (3, 2**16)]


@needs_fht
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_fht_cpu_equals_torch_transform_and_hadamard_matrix(monkeypatch, shape, dtype):
    x = torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(len(shape)))
    before = x.clone()
    assert hadamard._kernel(x, None) is not None, "fht-cpu must serve a CPU float tensor"
    fast = fwht(x)
    assert torch.equal(x, before), "fwht leaves its input unchanged"
    monkeypatch.setattr(hadamard, "_fht_cpu", lambda: None)
    assert hadamard._kernel(x, None) is None
    slow = fwht(x)
    assert fast.shape == slow.shape == x.shape and fast.dtype == slow.dtype == dtype
    tol = 1e-6 if dtype == torch.float32 else 1e-14  # relative error of the whole transform
    assert _rel(fast, slow) < tol
    exact = _exact(x) if shape[-1] <= 2**12 else fwht(x.double())  # torch's, in float64
    assert _rel(fast, exact) < tol and _rel(slow, exact) < tol


@needs_fht
def test_fht_cpu_in_place_on_a_temporary_and_a_copy_otherwise():
    x = torch.randn(3, 256)
    expected = _exact(x)
    y = x.clone()
    out = hadamard._fwht(y, inplace=True)
    assert out.data_ptr() == y.data_ptr(), "a contiguous temporary is transformed where it lies"
    assert _rel(out, expected) < 1e-6
    t = torch.randn(256, 3).t()  # not contiguous: transformed on a copy, left unchanged
    before = t.clone()
    assert _rel(hadamard._fwht(t, inplace=True), _exact(before)) < 1e-6
    assert torch.equal(t, before)


def test_fallback_chosen_in_one_place(monkeypatch):
    x = torch.randn(4, 8)
    assert hadamard._kernel(torch.empty(4, 8, device="meta"), None) is None  # not the CPU
    assert hadamard._kernel(x.half(), None) is None  # a dtype fht-cpu lacks
    assert hadamard._kernel(x, 8) is None  # a block asks for torch's passes
    assert hadamard._kernel(x.clone().requires_grad_(), None) is None  # a gradient is needed
    # Other dtypes and inputs that need a gradient get torch's transform, with its gradient.
    torch.testing.assert_close(fwht(x.bfloat16()).float(), fwht(x), rtol=2e-2, atol=0.1)
    leaf = x.clone().requires_grad_()
    fwht(leaf).sum().backward()
    torch.testing.assert_close(leaf.grad, fwht(torch.ones(4, 8)))  # H is symmetric: H 1
    # No fht-cpu on an x86 CPU without AVX2 (its wheel has no run-time dispatch) ...
    try:
        hadamard._fht_cpu.cache_clear()
        with monkeypatch.context() as m:
            m.setattr(hadamard.platform, "machine", lambda: "x86_64")
            m.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "DEFAULT")
            assert hadamard._fht_cpu() is None
        hadamard._fht_cpu.cache_clear()
        with monkeypatch.context() as m:  # ... nor when it fails to import
            m.setitem(sys.modules, "fht_cpu", None)
            assert hadamard._fht_cpu() is None
            assert hadamard._kernel(x, None) is None
            torch.testing.assert_close(fwht(x.double()), _exact(x))
    finally:
        hadamard._fht_cpu.cache_clear()


def test_fht_cpu_threads_follow_the_course_choice(monkeypatch):
    calls = []

    def kernel(array, threads):
        calls.append((array.shape, threads))

    monkeypatch.setattr(hadamard, "_fht_cpu", lambda: {torch.float32: kernel})
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        fwht(torch.zeros(5, 2, 16))
        fwht(torch.zeros(2, 16))
        fwht(torch.zeros(16))
        with device.single_thread():
            fwht(torch.zeros(5, 16))
    finally:
        torch.set_num_threads(before)
    assert calls == [((10, 16), 3), ((2, 16), 2), ((1, 16), 1), ((5, 16), 1)]


@pytest.mark.parametrize("inplace", [False, True])
def test_torch_transform_in_chunks_equals_unchunked(torch_only, monkeypatch, inplace):
    x = torch.randn(37, 64, dtype=torch.float64)
    whole = hadamard._fwht(x.clone())  # 37 x 64 entries: one chunk
    monkeypatch.setattr(hadamard, "_CHUNK", 128)  # two rows a chunk, the last one alone
    y = x.clone()
    chunked = hadamard._fwht(y, inplace=inplace)
    assert torch.equal(chunked, whole)
    assert _rel(chunked, _exact(x)) < 1e-14
    assert (chunked.data_ptr() == y.data_ptr()) == inplace  # in place only when allowed
    if not inplace:
        assert torch.equal(y, x)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fastfood_same_with_either_transform(monkeypatch, dtype):
    """Members of a stacked Fastfood projection, one vector and a batch, both directions: the
    fht-cpu path (in place on the step's temporaries) equals torch's transform."""
    st = stack_projections("fastfood", 3000, [10, 300, 64], [0, 1, 2], dtype=dtype)
    gen = torch.Generator().manual_seed(0)
    z, v = torch.randn(3, 4, 300, generator=gen), torch.randn(3, 4, 3000, generator=gen)
    fast = (st.apply(z), st.transpose(v), st.apply(z[:, 0]), st.transpose(v[:, 0]))
    monkeypatch.setattr(hadamard, "_fht_cpu", lambda: None)
    slow = (st.apply(z), st.transpose(v), st.apply(z[:, 0]), st.transpose(v[:, 0]))
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == dtype and _rel(a, b) < tol
