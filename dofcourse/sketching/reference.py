"""The same CP decomposition by a well-kept library (tensorly), and the three side by side.

tensorly's ``parafac`` is the reference implementation of CP-ALS in Python (Kossaifi et al.
2019): started from the same factors and run for the same number of sweeps, it must reach the
same fit as our exact ALS, and its time is the honest yardstick for ours. tensorly is imported
inside :func:`tensorly_cp`, so the rest of the package works without it. Appendix A1.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dofcourse import checks, experiment
from dofcourse.sketching.cp_als import CPResult, cp_als, cp_fit, low_rank_tensor, random_factors
from dofcourse.sketching.khatri_rao import check_factors


def have_tensorly() -> bool:
    """True when tensorly can be imported."""
    return importlib.util.find_spec("tensorly") is not None


def tensorly_cp(X: object, init: Sequence[object], n_iter: int) -> CPResult:
    """tensorly's ``parafac`` from the factors ``init``, exactly ``n_iter`` sweeps (tol=0: no
    early stop, no per-sweep error), timed like :func:`~dofcourse.sketching.cp_als.cp_als`."""
    if not have_tensorly():
        raise ImportError("tensorly is not installed: `pip install tensorly` (PyPI)")
    import tensorly as tl
    from tensorly.decomposition import parafac

    X = checks.array(X, "X")
    fs = check_factors(init, "init", X.shape)
    init_cp = tl.cp_tensor.CPTensor((np.ones(fs[0].shape[1]), [f.copy() for f in fs]))
    n_iter = checks.integer(n_iter, "n_iter", min=1)
    w0, c0 = time.perf_counter(), time.process_time()
    out = parafac(X, init_cp.rank, n_iter_max=n_iter, init=init_cp, tol=0.0)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    factors = [np.asarray(f) * (out.weights if i == 0 else 1) for i, f in enumerate(out.factors)]
    return CPResult("tensorly parafac", factors, cp_fit(X, factors), wall, cpu, n_iter)


@experiment.cached
def compare_cp(shape: Sequence[int], rank: int, noise: float, n_iter: int, n_samples: int,
               init_seeds: Sequence[int], tensor_seed: int = 0,
               library: bool = True) -> dict:  # fmt: skip
    """Exact ALS, sampled ALS (``n_samples`` rows) and (if ``library``) tensorly's parafac on one
    synthetic rank-``rank`` tensor, from the same random start for each init seed.

    Returns {"table": one row per (method, init_seed) with fit, seconds, cpu_seconds;
    "traces": {method: {init_seed: (cpu_trace, fit_trace)}} for our two methods}. Timings are
    those of the run that computed the entry (a cached entry keeps them).
    """
    X = low_rank_tensor(shape, rank, noise, tensor_seed)
    seeds = checks.seeds(init_seeds, "init_seeds")
    n_iter = checks.integer(n_iter, "n_iter", min=1)
    n_samples = checks.integer(n_samples, "n_samples", min=1)
    library = checks.boolean(library, "library")
    rows, traces = [], {}
    for seed in seeds:
        init = random_factors(X.shape, rank, seed)
        runs = [
            cp_als(X, init, n_iter, track=True),
            cp_als(X, init, n_iter, n_samples=n_samples, sample_seed=seed, track=True),
        ]
        if library:
            runs.append(tensorly_cp(X, init, n_iter))
        for r in runs:
            rows.append({"method": r.method, "init_seed": seed, "fit": r.fit,
                         "seconds": r.seconds, "cpu_seconds": r.cpu_seconds})  # fmt: skip
            if r.cpu_trace:
                traces.setdefault(r.method, {})[seed] = (r.cpu_trace, r.fit_trace)
    return {"table": pd.DataFrame(rows), "traces": traces}
