"""Li et al.'s very sparse random projection, stored as non-zeros and CSR (chapter 03)."""

from __future__ import annotations

import math
import warnings

import torch

from dofcourse.projections.base import StackedProjection, _generator


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

    def __init__(self, D, ds, seeds, device, dtype):
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
