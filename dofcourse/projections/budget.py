"""Memory estimates of subspace trainings, before anything is built (chapter 03).

The one budget of the projections: ``stack_projections`` refuses an ensemble whose
:func:`ensemble_bytes` exceeds its ``max_bytes``, and ``subspace.sweep`` cuts its chunks with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dofcourse import checks
from dofcourse.projections.base import KINDS

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
    kind, D, ds, element_size = _check_estimate(kind, D, [d], element_size, "d")
    d = ds[0]
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
