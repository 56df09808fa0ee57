"""A chapter's quick-mode time on a quiet machine and with competing CPU-bound processes.

The course chooses its CPU threads from the CPUs the process may use, leaving one free
(``dofcourse.device``). This benchmark runs one chapter top to bottom in a fresh kernel (fresh
cache) four ways: with the course's choice and with one thread per core (torch's own default,
the behaviour before), each on the machine as it is and with ``--competitors`` busy-looping
processes beside it. It prints wall and kernel CPU time and the slow-down under load. With one
competitor on two cores the fair share is half the machine: the course's choice should stay
within 2.5x of its unloaded time (exit 1 if it does not).

Run: ``python benchmarks/bench_load.py [--chapter 03] [--competitors 1] [--no-compare]`` (or
``make bench``). Measured on a quiet 2-core machine, chapter 03 with the course's one thread:
40 s (38 s of CPU), 43 s with a competitor: 1.08x. On a 2-core machine that other work kept at
load 4-6: one thread 79 s (62 s with a competitor), 37 s of CPU; one thread per core 12.3 min
(19.1 min with a competitor), over 6 min of CPU, spent mostly waiting on the other thread.
On a machine shared with other work the "quiet" runs are not quiet: the load average is printed
with each run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUSY = "while True:\n    pass\n"


@contextlib.contextmanager
def competitors(n: int):
    procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(n)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def run_once(path: Path, threads: int, timeout: int):
    from dofcourse import runner

    os.environ.update(
        DOFCOURSE_THREADS=str(threads),
        OMP_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        DOFCOURSE_CACHE=tempfile.mkdtemp(prefix="dofcourse-bench-load-"),
    )
    return runner.measure_chapter(path, None, timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="03", help="the chapter's number (name prefix)")
    parser.add_argument("--competitors", type=int, default=1)
    parser.add_argument("--limit", type=float, default=2.5, help="allowed slow-down")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the one-thread-per-core runs (slow)"
    )
    args = parser.parse_args()
    os.environ.update(DOFCOURSE_QUICK="1", MPLBACKEND="Agg")
    os.environ["DOFCOURSE_FIGURES"] = tempfile.mkdtemp(prefix="dofcourse-bench-figures-")
    for name in ("DOFCOURSE_THREADS", "OMP_NUM_THREADS"):
        os.environ.pop(name, None)
    from dofcourse import device, runner

    (path,) = sorted((ROOT / "chapters").glob(f"{args.chapter}*.ipynb"))[:1]
    cpus = device.available_cpus()
    chosen = device.choose_threads(env={})
    print(f"{path.stem}, quick mode; {cpus} CPUs available; {args.competitors} competitor(s)")
    print(f"{'threads':<22} {'load':>5} {'wall':>8} {'CPU':>8}   slow-down")
    results = {}
    variants = [(f"{chosen} (course's choice)", chosen), (f"{cpus} (one per core)", cpus)]
    for label, threads in variants[:1] if args.no_compare else variants:
        for loaded in (False, True):
            load = os.getloadavg()[0]
            with competitors(args.competitors if loaded else 0):
                run = run_once(path, threads, args.timeout)
            results[label, loaded] = run.seconds
            ratio = f"{run.seconds / results[label, False]:.2f}x" if loaded else "-"
            state = "+ load" if loaded else ""
            print(
                f"{label:<22} {load:>5.2f} {runner.format_seconds(run.seconds):>8} "
                f"{runner.format_seconds(run.cpu_seconds):>8}   {ratio} {state}",
                flush=True,
            )
    label = f"{chosen} (course's choice)"
    slowdown = results[label, True] / results[label, False]
    verdict = "within" if slowdown <= args.limit else "OVER"
    print(f"course's choice: {slowdown:.2f}x slower under load, {verdict} the {args.limit}x limit")
    return 0 if slowdown <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
