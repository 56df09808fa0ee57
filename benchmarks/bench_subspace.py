"""Benchmark of dofcourse.subspace: vectorised ensembles, projection cost, memory.

Run:  .venv/bin/python benchmarks/bench_subspace.py        (about 5-10 minutes on 2 CPU cores)

Prints, each measured side by side in this one run:
1. ensemble speed: 32 subspace trainings of chapter 03's quick-mode model (MLP 64-64-64-10 on
   the 8x8 digits, Fastfood, d from 10 to 1000) as one vectorised computation vs a Python loop
   over the same 32 trainings, same steps;
2. projection cost: time per step of subspace training / time per step of ordinary training of
   the same model, for dense, sparse and Fastfood at d = 10, 100, 1000 (quick-mode MLP and
   Li et al.'s 784-200-200-10 MLP on the MNIST subset), by ``subspace.time_per_step`` (CPU time
   of this process on a CPU, so other programs on a shared machine count less);
3. memory: peak resident memory of a fresh process that trains a >= 10^6-parameter MLP in a
   d = 10^4 Fastfood subspace (a dense P would need 40 GB).
The machine's load average is printed before and after: on a shared machine, timings vary.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch
from timing import clock, load

from dofcourse import data, models, params, subspace
from dofcourse.device import get_device
from dofcourse.settings import TrainSettings

KINDS = ("dense", "sparse", "fastfood")
DIMS = (10, 100, 1000)


def bench_ensemble(steps: int, n: int = 32) -> None:
    device = get_device()
    ds = data.load("digits", device=device)
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=(64, 64)).to(device)
    dims = [(10, 30, 100, 200, 400, 1000)[i % 6] for i in range(n)]
    settings = TrainSettings(steps=steps, lr=0.03, optimizer="adam", batch_size=128)
    kw = dict(kind="fastfood", progress=False)
    subspace.train_ensemble(model, ds, settings.replace(steps=2), dims[:2], [0, 1], **kw)  # warm-up
    vec = clock(lambda: subspace.train_ensemble(model, ds, settings, dims, list(range(n)), **kw))
    loop = clock(lambda: [subspace.train_subspace(model, ds, settings, d, proj_seed=s, **kw)
                          for s, d in enumerate(dims)])  # fmt: skip
    print(f"\n1. ensemble of {n} subspace trainings ({steps} steps, D = "
          f"{params.count(model):,}, Fastfood, d in 10..1000) on {device}")  # fmt: skip
    print(f"   vectorised: {vec[0]:.2f} s wall ({vec[1]:.2f} s CPU); Python loop: {loop[0]:.2f} s "
          f"wall ({loop[1]:.2f} s CPU)")  # fmt: skip
    print(f"   speed-up: {loop[0] / vec[0]:.1f}x wall, {loop[1] / vec[1]:.1f}x CPU   [{load()}]")


def bench_cost(name: str, ds, model, n_steps: int) -> None:
    t_full = subspace.time_per_step(model, ds, kind=None, steps=n_steps)
    print(f"\n2. projection cost, {name} (D = {params.count(model):,}); ordinary step "
          f"{1e3 * t_full:.2f} ms; ratio = subspace step / ordinary step")  # fmt: skip
    print("   " + "kind".ljust(10) + "".join(f"d = {d:<8}" for d in DIMS))
    for kind in KINDS:
        ratios = [subspace.time_per_step(model, ds, kind=kind, d=d, steps=n_steps) / t_full
                  for d in DIMS]  # fmt: skip
        print("   " + kind.ljust(10) + "".join(f"{r:<12.2f}" for r in ratios))
    print(f"   [{load()}]")


def _peak_rss() -> int:
    """Peak resident memory of this process in bytes: VmHWM, which (unlike ru_maxrss) is not
    inherited from the parent across fork + exec."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux: KiB


def memory_child(steps: int) -> None:
    """Runs in a fresh process: train a 10^6-parameter MLP in a d = 10^4 Fastfood subspace."""
    ds = data.load("mnist_subset", device="cpu")
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=(1024, 200))
    start = time.perf_counter()
    settings = TrainSettings(steps=steps, lr=0.01, optimizer="adam", batch_size=128)
    run = subspace.train_subspace(model, ds, settings, 10_000, kind="fastfood", progress=False)
    peak = _peak_rss()
    print(json.dumps({"D": params.count(model), "peak_bytes": peak, "test_acc": run.test_acc,
                      "seconds": time.perf_counter() - start}))  # fmt: skip


def bench_memory(steps: int) -> None:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(steps)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    r = json.loads(out.strip().splitlines()[-1])
    dense = r["D"] * 10_000 * 4
    print(
        f"\n3. memory: MLP 784-1024-200-10 (D = {r['D']:,}) in a d = 10,000 Fastfood subspace, "
        f"{steps} Adam steps on the MNIST subset: peak RSS {r['peak_bytes'] / 2**20:.0f} MiB "
        f"(limit 1024 MiB) in {r['seconds']:.0f} s, test accuracy {r['test_acc']:.3f}"
    )
    print(f"   a dense P would store {dense / 1e9:.0f} GB (make_projection refuses it)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50, help="training steps per ensemble member")
    p.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--skip-large", action="store_true", help="skip the 784-200-200-10 costs")
    a = p.parse_args()
    if a.memory_child is not None:
        memory_child(a.memory_child)
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {get_device()}, "
          f"[{load()}]")  # fmt: skip
    if not torch.cuda.is_available():
        print("no GPU here: the GPU ensemble ratio (goal >= 20x) is not measured")
    bench_memory(steps=100)
    bench_ensemble(a.steps)
    digits = data.load("digits", device=get_device())
    torch.manual_seed(0)
    bench_cost(
        "quick-mode MLP 64-64-64-10 on digits, batch 128",
        digits,
        models.mlp(digits.input_shape, 10, hidden=(64, 64)).to(get_device()),
        20,
    )
    if not a.skip_large:
        mnist = data.load("mnist_subset", device=get_device())
        torch.manual_seed(0)
        bench_cost(
            "MLP 784-200-200-10 on the MNIST subset, batch 128",
            mnist,
            models.mlp(mnist.input_shape, 10).to(get_device()),
            10,
        )


if __name__ == "__main__":
    main()
