"""Benchmark: one grid of subspace trainings on a Dask local cluster of 1 and of 2 workers.

Run:  .venv/bin/python benchmarks/bench_cluster.py      (needs the optional `cluster` extra)

The grid is a fixed slice of chapter 05's quick grid at burn-in t = 0 (an MLP on the 8x8 digits,
Fastfood subspaces, 200 Adam steps, full-train accuracy every 20 steps): d = 2..256 in powers of
two and 16 projection seeds, 128 trainings in four vectorised chunks of 32 (``subspace.sweep``'s
chunk), so that two workers get equal shares. It runs three times with an empty cache each time:
in this process, on a ``LocalCluster`` of one single-threaded worker, and on one of two
single-threaded workers. The speed-up of two workers over one is the number to watch (goal
>= 1.7x on a quiet 2-core machine: the chunks are independent, so only the scheduling and the
transfer of the model and data cost anything). It also checks that the three runs give the same
numbers.

It ends with a cost model: trainings per second per worker here, and what chapter 05's full grid
(whose time the chapter's header states for one CPU) takes on N workers at the measured
efficiency. No GPU was measured here; the line says so.
"""

from __future__ import annotations

import os
import tempfile
import time

import pandas as pd
import torch
from timing import load

from dofcourse import data, models, subspace
from dofcourse.settings import TrainSettings

DIMS = [2**k for k in range(1, 9)]
SEEDS = list(range(16))
FULL_CPU_HOURS = 6.0  # chapter 05's header: full mode on one 2-core CPU, estimated from timed runs
COLUMNS = ["d", "proj_seed", "loss", "train_acc", "test_acc"]


def problem():
    ds = data.load("digits", device="cpu")
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(32,)), ds


def warm_up() -> None:
    """One short training in this process, so that no timed run pays for the first call's set-up
    (about 1 s: imports, vmap's tracing); in a long grid it is paid once per worker."""
    torch.set_num_threads(1)
    model, ds = problem()
    settings = TrainSettings(steps=5, lr=0.05, optimizer="adam", batch_size=128)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DOFCOURSE_CACHE"] = cache
        subspace.sweep(model, ds, settings, [2, 4], [0], eval_every=5, progress=False)


def run(executor=None) -> tuple[float, pd.DataFrame]:
    model, ds = problem()
    settings = TrainSettings(steps=200, lr=0.05, optimizer="adam", batch_size=128)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DOFCOURSE_CACHE"] = cache
        start = time.perf_counter()
        table = subspace.sweep(model, ds, settings, DIMS, SEEDS, eval_every=20, executor=executor,
                               progress=False)  # fmt: skip
        return time.perf_counter() - start, table


def main() -> None:
    import dask
    from distributed import Client, LocalCluster

    # Dask's nanny starts each worker with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
    # adaptive mmap threshold: every tensor above 128 KiB is then mapped and unmapped afresh, and
    # these small trainings ran 2x slower in a worker than here (7.5 s against 3.5 s). The README
    # gives the same setting for a cluster.
    dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
    print(load())
    warm_up()
    here, ref = run()
    times = {"this process (1 thread)": here}
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as c,
            Client(c) as client,
        ):
            client.run(warm_up)
            seconds, table = run(client)
            pd.testing.assert_frame_equal(table[COLUMNS], ref[COLUMNS])
            times[f"LocalCluster, {workers} worker(s)"] = seconds
    n = len(DIMS) * len(SEEDS)
    for name, seconds in times.items():
        print(f"{name:28s} {seconds:6.1f} s  {n / seconds:5.2f} trainings/s")
    one, two = times["LocalCluster, 1 worker(s)"], times["LocalCluster, 2 worker(s)"]
    print(f"speed-up of 2 workers over 1: {one / two:.2f}x (goal >= 1.7x on a quiet machine)")
    print("same numbers from every executor: yes")
    rate = n / two / 2  # trainings per second per worker
    efficiency = one / two / 2
    print(
        f"cost model: {rate:.1f} of these trainings per second per CPU worker; two workers use "
        f"{efficiency:.0%} of their second CPU. Chapter 05's full grid, about {FULL_CPU_HOURS:g} h "
        f"on a 2-core CPU (its header), would take about {FULL_CPU_HOURS / (8 * efficiency):.1f} h "
        f"on 8 such workers and {FULL_CPU_HOURS * 60 / (32 * efficiency):.0f} min on 32. "
        "GPU: not measured (no GPU was lent)."
    )
    print(load())


if __name__ == "__main__":
    main()
