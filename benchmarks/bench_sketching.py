"""Benchmark of dofcourse.sketching: CP-ALS exact vs leverage-sampled vs tensorly's parafac.

Run:  .venv/bin/python benchmarks/bench_sketching.py        (about 2-4 minutes on 2 CPU cores)

For synthetic rank-R tensors with 10 % noise (best fit about 0.90) of growing size, each method
runs the same number of ALS sweeps from the same random start: our exact ALS (dense MTTKRP), our
sampled ALS (CP-ARLS-LEV: s rows of each Khatri–Rao least-squares problem drawn from the product
of the factors' leverage scores), and tensorly's ``parafac`` (tol=0, so no early stop and no
per-sweep error). Printed per size: median over repeats of the CPU and wall seconds of the sweeps,
the median fit reached and how many starts reached the noise level (a start can end at a poor
solution: CP fitting is not convex), and the CPU-time ratios. The sampled method's cost per sweep
does not depend on the tensor's size; the exact ones grow with its number of entries. The
machine's load average is printed before and after: on a shared machine, wall times vary; CPU
times less so.
"""

from __future__ import annotations

import argparse
import statistics

from timing import load

from dofcourse import sketching as S

SIZES = ((100, 5, 600), (200, 5, 600), (300, 5, 600), (300, 10, 5000))  # (side, rank, s)


def bench(side: int, rank: int, s: int, n_iter: int, repeats: int) -> None:
    X = S.low_rank_tensor((side,) * 3, rank, noise=0.1, tensor_seed=0)
    runs: dict[str, list] = {}
    for rep in range(repeats):
        init = S.random_factors(X.shape, rank, seed=rep)
        results = [
            S.cp_als(X, init, n_iter),
            S.cp_als(X, init, n_iter, n_samples=s, sample_seed=rep),
        ]
        if S.have_tensorly():
            results.append(S.tensorly_cp(X, init, n_iter))
        for r in results:
            runs.setdefault(r.method, []).append(r)
    print(f"\n{side}^3 tensor ({X.size:,} entries), rank {rank}, {n_iter} sweeps, "
          f"median of {repeats} starts; {load()}")  # fmt: skip
    cpu = {}
    for method, rs in runs.items():
        cpu[method] = statistics.median(r.cpu_seconds for r in rs)
        wall = statistics.median(r.seconds for r in rs)
        fit = statistics.median(r.fit for r in rs)
        good = sum(r.fit > 0.89 for r in rs)  # reached the noise level (best fit about 0.90)
        print(f"  {method:32s} CPU {cpu[method]:7.3f} s  wall {wall:7.3f} s  median fit {fit:.4f}"
              f"  ({good}/{len(rs)} starts above 0.89)")  # fmt: skip
    exact = cpu["ALS (ours)"]
    ratios = ", ".join(f"{m}: {exact / c:.1f}x" for m, c in cpu.items() if m != "ALS (ours)")
    print(f"  CPU speed relative to our exact ALS: {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"CP-ALS benchmark; tensorly installed: {S.have_tensorly()}; {load()}")
    for side, rank, s in SIZES:
        bench(side, rank, s, args.iters, args.repeats)
    print(f"\ndone; {load()}")


if __name__ == "__main__":
    main()
