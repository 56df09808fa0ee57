"""Random projections P: R^d -> R^D for training inside a random affine subspace.

A subspace training writes the parameters as theta = theta_0 + P z with z in R^d and trains only z
(Li et al. 2018; Larsen et al. 2022). This module builds P. Every kind

* is made from an integer seed, so a subspace is reproducible without storing it;
* has the same column scaling: **each column of P has unit Euclidean norm in expectation**
  (E ||P e_j||^2 = 1), the convention of Li et al. and Larsen et al. With this scaling a step of
  size eta in z moves theta by about eta, whatever d and D are, so one learning rate serves every d;
* applies z -> P z and v -> P^T v on batches: z of shape (..., d) gives (..., D).

Kinds (``make_projection(kind, D, d, seed)``):

=============  =========================================================  =============  ========
kind           construction                                               memory         P z cost
=============  =========================================================  =============  ========
"dense"        i.i.d. N(0, 1/D) entries                                   D d floats     O(D d)
"sparse"       +-c at ~rho D d random positions, rho = 1/sqrt(D) (*)     ~ d sqrt(D)    O(d sqrt D)
"fastfood"     scale * H G Pi H B (padded to L = 2^ceil(log2 D) rows)     O(D)           O(D log D)
"orthonormal"  Q of the QR decomposition of a Gaussian D x d matrix       D d floats     O(D d)
"identity"     P = I (d = D); ordinary training written as a subspace     nothing        O(D)
"basis"        the first d columns of a given orthonormal D x k basis     D d floats     O(D d)
"coordinates"  unit columns e_i at the first d of a given list of         d indices      O(d)
               coordinates (and the others held at zero, below)
=============  =========================================================  =============  ========

(*) Li et al.'s very sparse projection (Li, Hastie and Church 2006): each entry non-zero with
probability about rho. Positions are drawn with replacement and repeats merged, which keeps
about rho D d (1 - rho/2) of them; c = sqrt(d / number kept) restores E ||P e_j||^2 = 1.

The two **given** kinds (chapter 06) are not random: their directions come with the call, as
``basis=``. "basis" takes an orthonormal (D, k) matrix (every seed uses it), or a stack
(S, D, k) of them from which the seed picks one (a lottery subspace: the top singular vectors of
a training trajectory, one per trajectory). "coordinates" takes a list (D',) of distinct
coordinate indices in order of priority, or a stack (S, D') of them: member e trains the first
d_e of them and every other weight is held at **zero** (its ``anchor_mask``; ``subspace.Affine``
multiplies the anchor by it), so it is a sparse network, a lottery ticket, trained as a subspace.

Dense, orthonormal and basis matrices are refused, before anything is allocated, when their D d
floats exceed ``max_bytes`` (1 GiB by default).

For ensembles, ``stack_projections`` joins projections of one kind (different seeds, different d)
into a ``StackedProjection`` that maps Z of shape (E, d_max) to (E, D) in one vectorised
computation; member e uses only the first d_e entries of its row of Z (``mask`` marks them).
"""

from __future__ import annotations

import functools
import math
import platform
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import torch

from dofcourse import checks
from dofcourse import device as _device

KINDS = ("dense", "sparse", "fastfood", "orthonormal", "identity", "basis", "coordinates")
GIVEN = ("basis", "coordinates")  # kinds whose directions come with the call (``basis=``)
DEFAULT_MAX_BYTES = checks.DEFAULT_MAX_BYTES

__all__ = [
    "KINDS",
    "GIVEN",
    "DEFAULT_MAX_BYTES",
    "Projection",
    "StackedProjection",
    "make_projection",
    "stack_projections",
    "fwht",
    "member_bytes",
    "ensemble_bytes",
]


# --------------------------------------------------------------------------- fast Walsh-Hadamard
_HADAMARD: dict[tuple[int, torch.dtype, torch.device], torch.Tensor] = {}


def _hadamard(m: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The (unnormalised, +-1) Sylvester Hadamard matrix of size m (a power of two), cached."""
    key = (m, dtype, device)
    if key not in _HADAMARD:
        h = torch.ones(1, 1, dtype=dtype, device=device)
        while h.shape[0] < m:
            h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
        _HADAMARD[key] = h
    return _HADAMARD[key]


def fwht(x: torch.Tensor, block: int | None = None) -> torch.Tensor:
    """Unnormalised fast Walsh-Hadamard transform H x along the last axis (length L = 2^k).

    x has any shape (..., L); the result has the same shape and dtype, and x is left unchanged.
    H is symmetric and H H = L I: the transform is self-adjoint. Chapter 03.

    Two implementations give the same numbers (to float rounding), and :func:`_kernel` alone
    chooses between them:

    * **fht-cpu** (FFHT's SIMD kernel, in place, on a copy here): CPU tensors of float32 or
      float64 that need no gradient, where the package is installed and the CPU has AVX2 (or is
      not x86). One vector of 2^18 in 0.12 ms against 0.63 ms for torch's passes; a batch of
      rows runs on the course's thread count (``torch.get_num_threads()``, which
      ``device.configure_threads`` and ``device.single_thread`` set).
    * **torch's transform**, everywhere else (GPU tensors, other dtypes, inputs that need a
      gradient, no fht-cpu), or when ``block`` is given. It uses H_L = H_a1 (x) H_a2 (x) ...
      (Sylvester matrices are Kronecker powers of H_2): the last axis is viewed as a grid of
      small axes of balanced sizes <= ``block`` (a power of two), and each pass applies a dense
      Hadamard matrix along the innermost axis by ONE matrix product that returns that axis
      first, (a, a) @ (L/a, a)^T -> (a, L/a), so no pass copies data to reorder it. Long
      vectors are memory-bound, so the default block is 8 for long inputs (rows x L >= 2^14)
      and 32 for short ones. On the CPU a long batch is transformed in chunks of rows of about
      1 MiB: each pass would otherwise allocate (and page-fault) a fresh output of the batch's
      size, which made a (32, 2^18) batch 5x slower than 32 single calls.

    ``benchmarks/bench_speed.py`` prints the times of both; ``benchmarks/README.md`` records them.
    """
    x = checks.tensor(x, "x", floating=True)
    n = x.shape[-1] if x.dim() else 0
    if block is not None:
        block = checks.integer(block, "block", min=2)
    if n < 1 or n & (n - 1) or (block is not None and block & (block - 1)):
        raise ValueError(
            f"fwht needs x with a power-of-two length along its last axis and a power-of-two "
            f"block, got length {n} and block {block}"
        )
    return _fwht(x, block)


@functools.cache
def _fht_cpu() -> dict[torch.dtype, Callable[..., None]] | None:
    """fht-cpu's in-place row kernels {dtype: kernel(array (rows, L), threads)}, or None where
    torch's transform must serve: the package is missing or fails to import, or the CPU is an
    x86 one without AVX2 (its x86 wheel is built with -mavx and has no run-time dispatch, so
    torch's own CPU check decides before the extension is loaded). It is a dependency on Linux
    only (x86_64, aarch64), where its wheels bundle their OpenMP library."""
    x86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
    if x86 and torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        return None
    try:
        with warnings.catch_warnings():  # its macOS build warns when Homebrew's libomp is missing
            warnings.simplefilter("ignore")
            import fht_cpu
    except Exception:  # ImportError, or a broken binary: never fail a course over a fast path
        return None
    return {torch.float32: fht_cpu.fht_2d_f32_rows, torch.float64: fht_cpu.fht_2d_f64_rows}


def _kernel(x: torch.Tensor, block: int | None) -> Callable[..., None] | None:
    """The one place the transform is chosen: fht-cpu's kernel for x, or None for torch's."""
    if block is not None or x.device.type != "cpu" or (x.requires_grad and torch.is_grad_enabled()):
        return None
    kernels = _fht_cpu()
    return None if kernels is None else kernels.get(x.dtype)


@functools.cache
def _pass_sizes(n: int, block: int) -> tuple[int, ...]:
    """The axis sizes (powers of two, <= block, balanced) whose product is n, outermost first."""
    k, kb = n.bit_length() - 1, max(1, block.bit_length() - 1)
    passes = -(-k // kb)  # as few passes as blocks of <= `block` allow
    return tuple(1 << (k // passes + (1 if i < k % passes else 0)) for i in range(passes))


_CHUNK = 1 << 18  # entries per chunk of rows for torch's passes on the CPU (1 MiB of float32)


def _fwht(x: torch.Tensor, block: int | None = None, *, inplace: bool = False) -> torch.Tensor:
    """:func:`fwht` without the checks, for the projections' own calls (a training step makes
    four: their checks would cost more than a short transform). With ``inplace=True`` x is a
    temporary of the caller's that may be overwritten: the result is then x itself when x is
    contiguous and fht-cpu serves (no copy), and otherwise a new tensor."""
    shape, n = x.shape, x.shape[-1]
    rows = x.numel() // n
    kernel = _kernel(x, block)
    if kernel is not None:
        if not (inplace and x.is_contiguous()):
            x = x.clone(memory_format=torch.contiguous_format)
        kernel(x.view(rows, n).numpy(), min(rows, torch.get_num_threads()))
        return x
    if block is None:
        block = 8 if rows * n >= 1 << 14 else 32
    x = x.reshape(rows, n)
    step = max(1, _CHUNK // n)
    if rows <= step or x.device.type != "cpu":  # (GPU allocators reuse memory: no chunks)
        return _passes(x, block).reshape(shape)
    out = x if inplace else torch.empty_like(x)
    for i in range(0, rows, step):
        out[i : i + step] = _passes(x[i : i + step], block)
    return out.reshape(shape)


def _passes(x: torch.Tensor, block: int) -> torch.Tensor:
    """Torch's transform of the rows of x (rows, n), one matrix product per pass."""
    rows = x.shape[0]
    for a in reversed(_pass_sizes(x.shape[1], block)):  # innermost axis first; each moves it first
        h = _hadamard(a, x.dtype, x.device)
        x = h @ x.view(-1, a).t() if rows == 1 else h @ x.view(rows, -1, a).transpose(1, 2)
    return x.reshape(rows, -1)


# --------------------------------------------------------------------------- stacked projections
class StackedProjection(ABC):
    """E projections of one kind, applied together: Z (E, d_max) -> (E, D) and back.

    Attributes: ``kind``, ``D``, ``ds`` (list of E dims), ``seeds``, ``dtype``, ``d_max``, ``mask``
    (E, d_max) float tensor, 1 where coordinate j < d_e is used by member e. Coordinates beyond
    d_e are ignored by ``apply`` and receive zero from ``transpose``, so padded entries of z get
    zero gradient and stay at zero under SGD or Adam. ``anchor_mask`` is None, or (E, D) 0/1 for a
    kind that holds some weights at zero (the "coordinates" kind): the anchor is multiplied by it.
    """

    kind: str
    anchor_mask: torch.Tensor | None = None

    def __init__(self, D: int, ds: Sequence[int], seeds: Sequence[int], device, dtype):
        self.D, self.ds, self.seeds, self.dtype = D, list(ds), list(seeds), dtype
        self.d_max = max(self.ds)
        col = torch.arange(self.d_max, device=device)
        self.mask = (col[None, :] < torch.tensor(self.ds, device=device)[:, None]).float()

    @property
    def n(self) -> int:
        """Number of stacked members E."""
        return len(self.ds)

    @abstractmethod
    def _apply(self, z: torch.Tensor) -> torch.Tensor:
        """(E, N, d_max) -> (E, N, D), with z already masked."""

    @abstractmethod
    def _transpose(self, v: torch.Tensor) -> torch.Tensor:
        """(E, N, D) -> (E, N, d_max), before masking."""

    @abstractmethod
    def nbytes(self) -> int:
        """Bytes of tensors stored to represent the projections."""

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """P_e z_e for every member: z (E, d_max) or (E, N, d_max) -> (E, D) or (E, N, D).

        Differentiable in z; the backward pass applies the transpose (the adjoint).
        """
        z = self._check(z, self.d_max, "z")
        if z.dim() == 2:
            return self.map(z)
        padded = min(self.ds) < self.d_max  # only then are there coordinates to mask out
        return _Apply.apply(z * self.mask[:, None, :].to(z.dtype) if padded else z, self)

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """:meth:`apply` for z (E, d_max) already in this projection's dtype and on its device,
        without the checks: the training step's path (``subspace.Affine`` checks its input once).
        """
        if min(self.ds) < self.d_max:  # only then are there coordinates to mask out
            z = z * self.mask.to(z.dtype)
        return _Apply.apply(z[:, None], self).squeeze(1)

    def transpose(self, v: torch.Tensor) -> torch.Tensor:
        """P_e^T v_e for every member: v (E, D) or (E, N, D) -> (E, d_max) or (E, N, d_max)."""
        v = self._check(v, self.D, "v")
        squeeze = v.dim() == 2
        v = v[:, None] if squeeze else v
        out = _Transpose.apply(v, self)
        if min(self.ds) < self.d_max:
            out = out * self.mask[:, None, :].to(v.dtype)
        return out.squeeze(1) if squeeze else out

    def _check(self, t: torch.Tensor, last: int, name: str) -> torch.Tensor:
        """``t`` checked for shape, in the projection's dtype and on its device: every kind
        converts a floating-point input the same way (NumPy arrays too), so the result always
        has the projection's dtype; integer input is refused."""
        t = checks.tensor(t, name, ndim=(2, 3), floating=True)
        if t.shape[0] != self.n or t.shape[-1] != last:
            raise ValueError(
                f"{name} must have shape ({self.n}, {last}) or ({self.n}, N, {last}), "
                f"got {tuple(t.shape)}"
            )
        return t.to(device=self.mask.device, dtype=self.dtype)


class _Apply(torch.autograd.Function):
    """z -> P z whose backward is the explicit transpose (no graph through the construction)."""

    @staticmethod
    def forward(ctx, z, proj):  # noqa: D102
        ctx.proj = proj
        return proj._apply(z)

    @staticmethod
    def backward(ctx, g):  # noqa: D102
        return ctx.proj._transpose(g), None


class _Transpose(torch.autograd.Function):
    """v -> P^T v whose backward is P."""

    @staticmethod
    def forward(ctx, v, proj):  # noqa: D102
        ctx.proj = proj
        return proj._transpose(v)

    @staticmethod
    def backward(ctx, g):  # noqa: D102
        return ctx.proj._apply(g), None


def orthonormal_basis(D: int, d: int, generator: torch.Generator) -> torch.Tensor:
    """(D, d) float64 orthonormal basis of a uniformly random d-dimensional subspace of R^D.

    Q of the QR decomposition of a Gaussian matrix, with the signs of R's diagonal moved into Q:
    the sign fix makes Q Haar-distributed (and independent of the LAPACK sign convention).
    """
    q, r = torch.linalg.qr(torch.randn(D, d, generator=generator, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def _generator(seed: int) -> torch.Generator:
    # Random numbers are always drawn on the CPU, so a seed gives the same P on every device.
    return torch.Generator().manual_seed(int(seed))


class _DenseLike(StackedProjection):
    """Stored matrices W (E, D, d_max), zero beyond column d_e."""

    def __init__(self, D, ds, seeds, device, dtype, max_bytes):
        super().__init__(D, ds, seeds, device, dtype)
        need = self.n * D * self.d_max * torch.finfo(dtype).bits // 8
        checks.budget(need, f"a {self.kind} projection of {self.n} x {D} x {self.d_max} floats",
                      "use kind='fastfood' (O(D) memory) or 'sparse', or raise max_bytes",
                      max_bytes=max_bytes)  # fmt: skip
        self.w = torch.zeros(self.n, D, self.d_max, dtype=dtype, device=device)
        for e, (d, s) in enumerate(zip(self.ds, self.seeds, strict=True)):
            self.w[e, :, :d] = self._member(D, d, s, dtype).to(device)

    def _apply(self, z):
        return torch.matmul(z, self.w.transpose(1, 2))

    def _transpose(self, v):
        return torch.matmul(v, self.w)

    def nbytes(self):
        return self.w.numel() * self.w.element_size()


class _Dense(_DenseLike):
    kind = "dense"

    @staticmethod
    def _member(D, d, seed, dtype):
        g = _generator(seed)
        return torch.randn(D, d, generator=g, dtype=torch.float64).div_(math.sqrt(D)).to(dtype)


class _Orthonormal(_DenseLike):
    kind = "orthonormal"

    @staticmethod
    def _member(D, d, seed, dtype):
        return orthonormal_basis(D, d, _generator(seed)).to(dtype)


class _Identity(_DenseLike):
    kind = "identity"

    def __init__(self, D, ds, seeds, device, dtype, max_bytes):
        if any(d != D for d in ds):
            raise ValueError(f"the identity projection needs d = D = {D}, got d = {ds}")
        StackedProjection.__init__(self, D, ds, seeds, device, dtype)

    def _apply(self, z):
        return z

    def _transpose(self, v):
        return v

    def map(self, z):
        return z  # P = I: no custom autograd function needed (autograd's own identity)

    def nbytes(self):
        return 0


def _csr(rows, cols, vals, shape, device) -> torch.Tensor:
    """The CSR matrix with these non-zeros (positions distinct), with 32-bit indices when they fit:
    with 64-bit ones torch's CPU product converts them at every call."""
    index = torch.int32 if max(rows.numel(), *shape) < 2**31 else torch.int64
    order = torch.argsort(rows * shape[1] + cols)
    crow = torch.zeros(shape[0] + 1, dtype=torch.int64)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
        warnings.filterwarnings("ignore", message="Sparse CSR", category=UserWarning)
        return torch.sparse_csr_tensor(
            crow.to(index), cols[order].to(index), vals[order], shape, check_invariants=False
        ).to(device)


class _Sparse(StackedProjection):
    """Block-diagonal sparse matrix (E D) x (E d_max), stored for speed on a CPU as its non-zeros
    (row, column, value) and as CSR matrices. P^T v is a CSR product (``torch.mv``: sqrt(D)
    non-zeros per row; D = 199,210, d = 1000: 0.16 ms against 0.96 ms for gathering v). P z is a
    CSR product too when P is small (E D <= 2^16) or has >= 6 non-zeros per row, and otherwise
    gathers z at the columns and adds the products into the rows (``index_add_``): with ~2
    non-zeros in each of 2*10^5 rows a CSR product costs 2x more. (CPU times, one thread; the
    whole subspace step is timed in ``benchmarks/bench_speed.py``.) Chapter 03."""

    kind = "sparse"

    def __init__(self, D, ds, seeds, device, dtype, max_bytes):
        super().__init__(D, ds, seeds, device, dtype)
        rho = 1.0 / math.sqrt(D)
        rows, cols, vals = [], [], []
        for e, (d, s) in enumerate(zip(self.ds, self.seeds, strict=True)):
            g = _generator(s)
            nnz = max(d, round(D * d * rho))
            flat = torch.randint(0, D * d, (nnz,), generator=g).unique()
            sign = torch.randint(0, 2, (flat.numel(),), generator=g) * 2.0 - 1.0
            rows.append(flat // d + e * D)
            cols.append(flat % d + e * self.d_max)
            # Positions are drawn with replacement and repeats merged (``unique``), so there are
            # about D d rho (1 - rho/2) of them, not D d rho. Scaling by the count drawn makes
            # the squared norms of the d columns sum to d exactly: E ||P e_j||^2 = 1 for each.
            vals.append(sign * math.sqrt(d / flat.numel()))
        rows, cols, vals = torch.cat(rows), torch.cat(cols), torch.cat(vals).to(dtype)
        self.rows = rows.to(device)  # global rows e D + r, sorted (row-major positions)
        self.cols = cols.to(device)  # global columns e d_max + c
        self.vals = vals.to(device)
        n_rows, n_cols = self.n * D, self.n * self.d_max
        self.csr_t = _csr(cols, rows, vals, (n_cols, n_rows), device)  # P^T
        small = n_rows <= 2**16 or rows.numel() >= 6 * n_rows
        self.csr = _csr(rows, cols, vals, (n_rows, n_cols), device) if small else None

    def _apply(self, z):
        e, n = z.shape[0], z.shape[1]  # z and v are in the projection's dtype (apply, map)
        if n == 1 and self.csr is not None:
            return torch.mv(self.csr, z.reshape(e * self.d_max)).view(e, 1, self.D)
        # z (E, N, d_max) -> (N, E d_max): gather at the columns, scale, add into the rows
        if n == 1:  # the training step: 1-D indexing, 1.5x faster than along a second axis
            flat = z.reshape(e * self.d_max)
            picked = flat.index_select(0, self.cols) * self.vals
            out = flat.new_zeros(e * self.D).index_add_(0, self.rows, picked)
            return out.view(e, 1, self.D)
        flat = z.transpose(0, 1).reshape(n, e * self.d_max)
        picked = flat.index_select(1, self.cols) * self.vals
        out = flat.new_zeros(n, e * self.D).index_add_(1, self.rows, picked)
        return out.view(n, e, self.D).transpose(0, 1)

    def _transpose(self, v):
        e, n = v.shape[0], v.shape[1]
        if n == 1:
            return torch.mv(self.csr_t, v.reshape(e * self.D)).view(e, 1, self.d_max)
        out = torch.sparse.mm(self.csr_t, v.transpose(0, 1).reshape(n, e * self.D).T)
        return out.T.reshape(n, e, self.d_max).transpose(0, 1)

    def nbytes(self):
        mats = [self.rows, self.cols, self.vals]
        for m in (self.csr_t, self.csr) if self.csr is not None else (self.csr_t,):
            mats += [m.crow_indices(), m.col_indices(), m.values()]
        return sum(t.numel() * t.element_size() for t in mats)


class _Fastfood(StackedProjection):
    """P = scale * [H G Pi H B]_{first D rows, first d columns}, L = 2^ceil(log2 D).

    B: random signs, Pi: random permutation, G: Gaussian diagonal, H: Walsh-Hadamard (+-1).
    A column of H G Pi H B has squared norm L ||G||^2 exactly; its first D rows carry D/L of that
    in expectation, so scale = 1 / sqrt(D ||G||^2) gives unit column norm in expectation (as in
    Li et al.'s implementation). Stores three vectors of length L per member, B, G (with the scale)
    and the permutation's positions mod m (below): O(D) memory, the same for every d.
    """

    kind = "fastfood"

    def __init__(self, D, ds, seeds, device, dtype, max_bytes):
        super().__init__(D, ds, seeds, device, dtype)
        self.L = 1 << max(1, math.ceil(math.log2(D)))
        b, g, perm = [], [], []
        for s in self.seeds:
            gen = _generator(s)
            b.append(torch.randint(0, 2, (self.L,), generator=gen) * 2.0 - 1.0)
            perm.append(torch.randperm(self.L, generator=gen))
            g.append(torch.randn(self.L, generator=gen, dtype=torch.float64))
        g = torch.stack(g)
        scale = 1.0 / torch.sqrt(D * (g**2).sum(1, keepdim=True))  # (E, 1), in float64
        # z has only d_max non-zero entries, so the first transform needs only m of them (below)
        self.m = min(self.L, 1 << max(1, math.ceil(math.log2(self.d_max))))
        self.b = torch.stack(b)[:, None, :].to(dtype).to(device)  # (E, 1, L); z meets B[:m]
        self.b_m = self.b[..., : self.m]  # a view
        self.g = (g * scale).to(dtype).to(device)[:, None, :]  # (E, 1, L): G with the scale
        self.perm_m = (torch.stack(perm) % self.m).to(device)[:, None, :]  # (E, 1, L)

    # The first Walsh-Hadamard transform acts on B z, which is zero beyond its first m = 2^k >= d
    # entries. As H_L = H_(L/m) (x) H_m, H_L x is then H_m x_(:m) repeated L/m times, so Pi H_L x
    # reads H_m x_(:m) at the positions perm mod m: one small transform instead of a long one.
    # The transpose mirrors it: only the first d entries of H_L w are kept, and those are H_m
    # applied to the sum of w's L/m blocks of length m; with Pi^T in front, entry j of G H v is
    # added into position perm[j] mod m (one scatter-add into m entries, no permuted copy of
    # length L). Two long transforms a step, not four. The scale rides on G.
    #
    # Every transform runs in place on a temporary made here (``_fwht(..., inplace=True)``): with
    # fht-cpu that saves a copy of length L per transform, and G multiplies in place too.
    def _apply(self, z):
        x = _fwht(torch.nn.functional.pad(z, (0, self.m - z.shape[-1])) * self.b_m, inplace=True)
        x = torch.gather(x, -1, self.perm_m.expand(*x.shape[:-1], self.L)).mul_(self.g)
        return _fwht(x, inplace=True)[..., : self.D]

    def _transpose(self, v):
        x = v.new_zeros(*v.shape[:-1], self.L)  # v padded to L: a temporary of our own
        x[..., : self.D] = v
        x = _fwht(x, inplace=True).mul_(self.g)
        sums = x.new_zeros(*x.shape[:-1], self.m).scatter_add_(-1, self.perm_m.expand_as(x), x)
        return _fwht(sums, inplace=True).mul_(self.b_m)[..., : self.d_max]

    def nbytes(self):
        return sum(t.numel() * t.element_size() for t in (self.b, self.g, self.perm_m))


def _stacked(basis, name: str, floating: bool) -> tuple[torch.Tensor, bool]:
    """(``basis`` as a stack (S, ...) of given directions, whether it was a single one)."""
    if not isinstance(basis, torch.Tensor):
        raise TypeError(
            f"basis must be a torch.Tensor for kind={name!r}, got {type(basis).__name__}"
        )
    if floating != basis.is_floating_point():
        want = (
            "floating-point (an orthonormal basis)" if floating else "integer (coordinate indices)"
        )
        raise TypeError(f"basis for kind={name!r} must be {want}, got dtype {basis.dtype}")
    single = basis.dim() == (2 if floating else 1)
    return (basis[None] if single else basis), single


def _pick(stack: torch.Tensor, seed: int, single: bool, name: str) -> torch.Tensor:
    """The seed's entry of the stack; a single given basis serves every seed."""
    if single:
        return stack[0]
    if not 0 <= seed < stack.shape[0]:
        raise ValueError(
            f"kind={name!r}: seed {seed} picks none of the {stack.shape[0]} given bases"
        )
    return stack[seed]


class _Basis(_DenseLike):
    """Columns of given orthonormal bases: member e uses basis[seed_e][:, :d_e]."""

    kind = "basis"

    def __init__(self, D, ds, seeds, device, dtype, max_bytes, basis):
        stack, self._single = _stacked(basis, self.kind, floating=True)
        if stack.dim() != 3 or stack.shape[1] != D or stack.shape[2] < max(ds):
            raise ValueError(
                f"basis must have shape ({D}, k) or (S, {D}, k) with k >= d = {max(ds)}, "
                f"got {tuple(basis.shape)}"
            )
        for s in sorted(set(seeds)):
            q = _pick(stack, s, self._single, self.kind)[:, : max(ds)].double()
            err = (q.T @ q - torch.eye(q.shape[1], dtype=q.dtype, device=q.device)).abs().max()
            if err > 1e-3:
                raise ValueError(f"basis {s} is not orthonormal (max |Q^T Q - I| = {err:.2g})")
        self._stack = stack
        super().__init__(D, ds, seeds, device, dtype, max_bytes)

    def _member(self, D, d, seed, dtype):
        return _pick(self._stack, seed, self._single, self.kind)[:, :d].to(dtype)


class _Coordinates(StackedProjection):
    """Unit columns e_i: member e trains coordinates idx[seed_e][:d_e]; the rest are held at 0."""

    kind = "coordinates"

    def __init__(self, D, ds, seeds, device, dtype, max_bytes, basis):
        super().__init__(D, ds, seeds, device, dtype)
        stack, single = _stacked(basis, self.kind, floating=False)
        if stack.dim() != 2 or stack.shape[1] < self.d_max:
            raise ValueError(
                f"coordinates must have shape (k,) or (S, k) with k >= d = {self.d_max}, got "
                f"{tuple(basis.shape)}"
            )
        idx = torch.stack([_pick(stack, s, single, self.kind)[: self.d_max] for s in self.seeds])
        idx = idx.long()
        if idx.min() < 0 or idx.max() >= D:
            raise ValueError(f"coordinate indices must lie in 0..{D - 1}")
        if any(len(set(row.tolist())) < len(row) for row in idx):
            raise ValueError("coordinate indices must be distinct")
        self.idx = idx.to(device)[:, None, :]  # (E, 1, d_max)
        kept = torch.zeros(self.n, D, dtype=dtype, device=device)
        self.anchor_mask = kept.scatter_(1, idx.to(device), self.mask.to(dtype))

    def _apply(self, z):
        out = torch.zeros(*z.shape[:2], self.D, dtype=z.dtype, device=z.device)
        return out.scatter_add(-1, self.idx.expand(-1, z.shape[1], -1), z)

    def _transpose(self, v):
        return torch.gather(v, -1, self.idx.expand(-1, v.shape[1], -1))

    def nbytes(self):
        return self.idx.numel() * self.idx.element_size() + self.anchor_mask.numel() * 4


_CLASSES = {c.kind: c for c in (_Dense, _Sparse, _Fastfood, _Orthonormal, _Identity, _Basis,
                                _Coordinates)}  # fmt: skip


def stack_projections(
    kind: str,
    D: int,
    ds: Sequence[int],
    seeds: Sequence[int],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    max_bytes: int = DEFAULT_MAX_BYTES,
    basis: torch.Tensor | None = None,
) -> StackedProjection:
    """E projections of one kind (member e: dimension ds[e], seed seeds[e]) applied together.

    Member e equals ``make_projection(kind, D, ds[e], seeds[e])`` exactly. ``basis`` gives the
    directions of the given kinds ("basis", "coordinates"; see the module text) and only those.
    """
    kind = checks.choice(kind, "kind", KINDS)
    D = checks.integer(D, "D", min=1)
    ds = checks.integers(ds, "ds", min=1)
    if max(ds) > D:
        raise ValueError(f"need 1 <= d <= D for every member, got D={D} and ds={ds}")
    if isinstance(seeds, str | bytes) or not hasattr(seeds, "__len__"):
        raise TypeError(f"seeds must be a sequence of integer seeds, got {seeds!r}")
    seeds = [checks.seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    if len(ds) != len(seeds):
        raise ValueError(f"need equally many ds and seeds, got {len(ds)} and {len(seeds)}")
    device = _device.resolve(device) if device is not None else torch.device("cpu")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    max_bytes = checks.integer(max_bytes, "max_bytes", min=1)
    need = ensemble_bytes(kind, D, ds, torch.finfo(dtype).bits // 8)
    other = (
        ", use kind='fastfood' (O(D) memory per member) or 'sparse'"
        if kind in ("dense", "orthonormal")
        else ""
    )
    checks.budget(need, f"{len(ds)} {kind} projection(s) with D={D}, d up to {max(ds)} (built "
                  "and trained: ensemble_bytes)", "train fewer members at once (subspace.sweep "
                  f"cuts its chunks to fit){other}, or raise max_bytes if the machine has the "
                  "memory", max_bytes=max_bytes)  # fmt: skip
    if kind in GIVEN:
        if basis is None:
            raise ValueError(f"kind={kind!r} needs its directions: pass basis=")
        return _CLASSES[kind](D, ds, seeds, device, dtype, max_bytes, basis)
    if basis is not None:
        raise ValueError(
            f"basis= is for the given kinds {GIVEN}; kind={kind!r} is drawn from seeds"
        )
    return _CLASSES[kind](D, ds, seeds, device, dtype, max_bytes)


# ensemble_bytes's allowance for what its count leaves out (see there).
ESTIMATE_MARGIN = 1.25


def member_bytes(kind: str, D: int, d: int, element_size: int = 4) -> int:
    """Estimated bytes one ensemble member of a subspace training needs, before it is built.

    Stored matrices (dense, orthonormal: D d entries), the sparse matrix and its transpose
    (about d sqrt(D) entries, each with three or four indices), and the D-length work space of a
    training step (theta, its gradient, and for Fastfood about a dozen transforms of length
    L = 2^ceil(log2 D)). The network's own activations come on top. Used to cut ensembles into
    chunks that fit.
    """
    kind, D, d, element_size = _check_estimate(kind, D, [d], element_size, "d")
    d = d[0]
    L = 1 << max(1, math.ceil(math.log2(max(D, 2))))
    work = 6 * D * element_size  # theta, P z, their gradients, reshaped copies (measured)
    if kind in ("dense", "orthonormal", "basis"):
        return D * d * element_size + work
    if kind == "coordinates":
        return 8 * d + D * element_size + work
    if kind == "sparse":
        nnz = max(d, round(d * math.sqrt(D)))
        # stored: (row, column, value) with 64-bit indices, and P^T (and for small or dense P,
        # P too) in CSR with 32-bit indices: 16 + 8 index bytes and 2-3 values a non-zero; then
        # the gathered products of a step's forward and backward pass (about four more values)
        return nnz * (24 + 7 * element_size) + work
    if kind == "fastfood":
        return 12 * L * element_size + 3 * 8 * L + work
    return work


def _check_estimate(kind, D, ds, element_size, name="ds") -> tuple[str, int, list[int], int]:
    return (
        checks.choice(kind, "kind", KINDS),
        checks.integer(D, "D", min=1),
        checks.integers(ds, name, min=1),
        checks.integer(element_size, "element_size", min=1),
    )


def ensemble_bytes(kind: str, D: int, ds: Sequence[int], element_size: int = 4) -> int:
    """Estimated peak bytes of an ensemble of subspace trainings with dimensions ``ds``, before it
    is built: its members (:func:`member_bytes`; the stored kinds padded to max(ds)) and the
    largest temporary of building them (a dense member is drawn in float64 and then converted,
    an orthonormal one goes through a QR decomposition, the sparse indices are concatenated),
    plus a quarter (``ESTIMATE_MARGIN``) for what the count leaves out: the allocator's slack and
    the network's own activations (measured peaks reached 101 % of the bare count on a busy
    machine). :func:`stack_projections` refuses an ensemble above its ``max_bytes``;
    ``subspace.sweep`` cuts its chunks with it. Measured against the peak resident memory of a
    real training in ``tests/test_bad_inputs.py``. Chapter 03.
    """
    kind, D, ds, element_size = _check_estimate(kind, D, ds, element_size)
    d_max = max(ds)
    if kind in ("dense", "orthonormal", "basis"):
        members = len(ds) * member_bytes(kind, D, d_max, element_size)
        per_entry = {"dense": 8 + element_size, "orthonormal": 3 * 8 + element_size}
        count = members + D * d_max * per_entry.get(kind, element_size)
    else:
        count = sum(member_bytes(kind, D, d, element_size) for d in ds)
        if kind == "sparse":
            # the per-member lists of indices and values, then their concatenation
            count += sum(40 * max(d, round(d * math.sqrt(D))) for d in ds)
    return math.ceil(ESTIMATE_MARGIN * count)


class Projection:
    """One projection P (D x d): ``P(z)``: (..., d) -> (..., D); ``P.T(v)``: (..., D) -> (..., d).

    A thin view of a one-member ``StackedProjection``; ``matrix()`` materialises P (small D only).
    """

    def __init__(self, stacked: StackedProjection):
        self.stacked = stacked
        self.kind, self.D, self.d = stacked.kind, stacked.D, stacked.d_max
        self.seed = stacked.seeds[0]

    def __repr__(self) -> str:
        return f"Projection(kind={self.kind!r}, D={self.D}, d={self.d}, seed={self.seed})"

    def _batched(self, x: torch.Tensor, n_in: int, fn, name: str) -> torch.Tensor:
        x = checks.tensor(x, name, floating=True)
        if x.dim() == 0 or x.shape[-1] != n_in:
            raise ValueError(
                f"{name} must have shape (..., {n_in}) for {self!r}, got {tuple(x.shape)}"
            )
        lead = x.shape[:-1]
        out = fn(x.reshape(1, -1, n_in))
        return out.reshape(*lead, out.shape[-1])

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """P z for z of shape (..., d); returns (..., D) in the projection's dtype (z is converted
        to it, for every kind). Differentiable in z."""
        return self._batched(z, self.d, self.stacked.apply, "z")

    def T(self, v: torch.Tensor) -> torch.Tensor:  # noqa: N802 (reads like the math)
        """P^T v for v of shape (..., D); returns (..., d). Differentiable in v."""
        return self._batched(v, self.D, self.stacked.transpose, "v")

    def matrix(self) -> torch.Tensor:
        """P as a dense (D, d) tensor (applies P to the identity; for tests and small D)."""
        size = 2 * self.D * self.d * self.stacked.dtype.itemsize
        checks.budget(size, f"P as a dense {self.D} x {self.d} matrix",
                      "apply P to vectors (P(z), P.T(v)) instead of forming it")  # fmt: skip
        eye = torch.eye(self.d, dtype=self.stacked.dtype, device=self.stacked.mask.device)
        return self(eye).T

    def nbytes(self) -> int:
        """Bytes stored to represent P."""
        return self.stacked.nbytes()


def make_projection(
    kind: str,
    D: int,
    d: int,
    seed: int = 0,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
    max_bytes: int = DEFAULT_MAX_BYTES,
    basis: torch.Tensor | None = None,
) -> Projection:
    """A random D x d projection of the given kind, reproducible from ``seed`` (for the given
    kinds "basis" and "coordinates": the directions in ``basis``, the seed picking one of a
    stack).

    Columns have unit norm in expectation (see the module docstring). ``max_bytes`` is the memory
    budget checked, before allocation, for the stored kinds ("dense", "orthonormal", "basis").
    """
    D, d = checks.integer(D, "D", min=1), checks.integer(d, "d", min=1)
    if d > D:
        raise ValueError(f"need 1 <= d <= D, got d={d} for D={D}")
    seed = checks.seed(seed, "seed")
    st = stack_projections(kind, D, [d], [seed], device=device, dtype=dtype, max_bytes=max_bytes,
                           basis=basis)  # fmt: skip
    return Projection(st)
