"""Benchmark: one grid of subspace trainings on a Dask local cluster of 1 and of 2 workers.

Run:  .venv/bin/python benchmarks/bench_cluster.py      (needs the optional `cluster` extra)

The grid is a fixed slice of chapter 05's quick grid (an MLP on the 8x8 digits, Fastfood
subspaces, d = 2..1024 in powers of two, 8 projection seeds: 88 trainings in 11 vectorised
chunks). It runs three times with an empty cache each time: in this process, on a
``LocalCluster`` of one single-threaded worker, and on one of two single-threaded workers. The
speed-up of two workers over one is the number to watch (goal ≥ 1.7x on a quiet 2-core machine:
the chunks are independent, so only the scheduling and the transfer of the model and data
cost anything). It also checks that the three runs give the same numbers.

It ends with a cost model: trainings per second here and what the full-mode course grid would
take on N such workers. No GPU was measured here; the line says so.
"""

from __future__ import annotations

import os
import tempfile
import time

import pandas as pd
import torch

from dofcourse import data, models, subspace
from dofcourse.settings import TrainSettings

DIMS = [2**k for k in range(1, 11)] + [1536]
SEEDS = list(range(8))
COLUMNS = ["d", "proj_seed", "loss", "train_acc", "test_acc"]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def problem():
    ds = data.load("digits", device="cpu")
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(32,)), ds


def run(executor=None) -> tuple[float, pd.DataFrame]:
    model, ds = problem()
    settings = TrainSettings(steps=150, lr=0.05, optimizer="adam", batch_size=128)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DOFCOURSE_CACHE"] = cache
        start = time.perf_counter()
        table = subspace.sweep(model, ds, settings, DIMS, SEEDS, executor=executor, progress=False)
        return time.perf_counter() - start, table


def main() -> None:
    from distributed import Client, LocalCluster

    print(load())
    torch.set_num_threads(1)
    here, ref = run()
    times = {"this process (1 thread)": here}
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as c,
            Client(c) as client,
        ):
            client.run(torch.set_num_threads, 1)
            run(client)  # warm-up: workers import torch and the package
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
    full = 10 * 13 * 6 * 3  # chapter 05 full grid: 10 seeds x 13 dims x 6 burn-ins x 3 problems
    print(
        f"cost model: {rate:.2f} of these trainings per second per CPU worker; a grid of {full} "
        f"such trainings takes about {full / rate / 60:.0f} CPU-worker-minutes, "
        f"{full / rate / 60 / 8:.1f} min on 8 workers. GPU: not measured (no GPU was lent)."
    )
    print(load())


if __name__ == "__main__":
    main()
