"""The fast Walsh-Hadamard transform H x, the engine of the Fastfood projection (chapter 03).

Two implementations give the same numbers (to float rounding), and :func:`_kernel` alone chooses
between them: fht-cpu's SIMD kernel where it installs, torch's batched passes everywhere else.
"""

from __future__ import annotations

import functools
import platform
import warnings
from collections.abc import Callable

import torch

from dofcourse import checks

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
