"""Peak memory of each chapter's kernel in quick mode, with one thread, as on Binder.

mybinder.org gives a session 1-2 GB of memory and one CPU; every quick-mode chapter must stay
under 1.5 GB. Each chapter runs top to bottom in a fresh kernel (fresh cache, so everything is
computed), with ``DOFCOURSE_THREADS=1`` and ``OMP_NUM_THREADS=1``; the kernel reports its own
peak resident memory (``ru_maxrss``, and that of any child process) at the end.

Run: ``python benchmarks/bench_memory.py [--only 03] [--limit-gb 1.5]`` (or ``make bench``).
Exits 1 when a chapter goes over the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="chapters whose names start with this")
    parser.add_argument("--limit-gb", type=float, default=1.5)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()
    os.environ.update(
        DOFCOURSE_QUICK="1",
        DOFCOURSE_THREADS="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
        DOFCOURSE_CACHE=tempfile.mkdtemp(prefix="dofcourse-bench-memory-"),
        DOFCOURSE_FIGURES=tempfile.mkdtemp(prefix="dofcourse-bench-figures-"),
    )
    from dofcourse import runner

    paths = sorted((ROOT / "chapters").glob(f"{args.only}*.ipynb"))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"quick mode, 1 thread, fresh cache; limit {args.limit_gb} GB; load average {load}")
    print(f"{'chapter':<28} {'wall':>8} {'CPU':>8} {'peak':>8}")
    over = []
    for path in paths:
        run = runner.measure_chapter(path, None, args.timeout)
        peak = run.peak_bytes / 2**30
        flag = "" if peak < args.limit_gb else f"  <- over {args.limit_gb} GB"
        if flag:
            over.append(run.name)
        print(
            f"{run.name:<28} {runner.format_seconds(run.seconds):>8} "
            f"{runner.format_seconds(run.cpu_seconds):>8} {peak:>5.2f} GB{flag}",
            flush=True,
        )
    print(f"{len(paths) - len(over)} of {len(paths)} chapters under {args.limit_gb} GB")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
