"""The speed table: subspace steps, Hessian-vector products, the training loop, and memory.

Run:  .venv/bin/python benchmarks/bench_speed.py      (under a minute on a 2-core CPU)

Prints every row of the course's speed goals, each ratio measured side by side in this one run
(the two sides interleaved, medians of repeats, this process's CPU time on the CPU), with one
torch thread as the course uses on a 2-core machine:

1. subspace step / ordinary step (Adam, batch 128) for Fastfood and sparse projections, on
   Li et al.'s MLP 784-200-200-10 (D = 199,210) and on chapter 03's quick MLP (D = 8,970);
   goals <= 1.5x and <= 2x. Both sides use the course's optimiser (fused Adam). The identity
   projection (P = I, d = D) shows what the vectorised engine costs before any projection does,
   and the time of Fastfood's two long Walsh-Hadamard transforms alone is its floor.
2. Hessian-vector products per second, ``dofcourse.hessian`` against PyHessian's double backward
   on the same model and data; goal >= 1.0.
3. the training loop's time per step / a bare forward+backward+step of the same model (batch 64,
   the same fused SGD); goal <= 1.05.
4. peak memory of a fresh process training a ResNet-size model (about 1.1e7 parameters) in a
   d = 10^5 Fastfood subspace on the CPU; goal < 2 GB.
On a GPU (when one is lent) the same rows are measured there (wall time after synchronising).
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from timing import load

from dofcourse import data, hessian, models, params, projections, subspace, train
from dofcourse.device import get_device
from dofcourse.settings import TrainSettings

DEVICE = get_device()


def digits_mlp():
    ds = data.load("digits", device=DEVICE)
    torch.manual_seed(0)
    return ds, models.mlp(ds.input_shape, ds.n_classes, hidden=(64, 64)).to(DEVICE)


def mnist_mlp():
    ds = data.load("mnist_subset", device=DEVICE)
    torch.manual_seed(0)
    return ds, models.mlp(ds.input_shape, ds.n_classes, hidden=(200, 200)).to(DEVICE)


def subspace_rows() -> None:
    print("1. subspace step / ordinary step (Adam, batch 128), median of 5")
    for name, make, goal in (("MLP 784-200-200-10", mnist_mlp, 1.5), ("quick MLP", digits_mlp, 2)):
        ds, model = make()
        D = params.count(model)
        base = subspace.time_per_step(model, ds, kind=None)
        adam = "; ".join(f"{_adam_seconds(model, f) * 1e3:.2f} ms {w}" for f, w in _ADAM)
        print(f"   {name} (D = {D:,}): ordinary step {base * 1e3:.2f} ms (Adam's part: {adam})")
        ident = subspace.time_per_step(model, ds, kind="identity", d=D)
        print(f"     identity (d = D)   {ident / base:5.2f}x   (the engine alone)")
        for kind in ("fastfood", "sparse"):
            cells = []
            for d in (10, 1000):
                t = subspace.time_per_step(model, ds, kind=kind, d=d)
                cells.append(f"d = {d}: {t / base:5.2f}x")
            print(f"     {kind:9s} " + "   ".join(cells) + f"   (goal <= {goal}x)")
        L = projections.make_projection("fastfood", D, 10).stacked.L
        one = {block: _fwht_seconds(L, block) for block in (8, 32)}
        times = ", ".join(f"{t * 1e3:.2f} ms in blocks of {b}" for b, t in one.items())
        floor = 2 * min(one.values()) / base
        print(f"     Fastfood's floor: its two transforms of length 2^{L.bit_length() - 1} alone "
              f"take {floor:.2f}x the ordinary step (one: {times})")  # fmt: skip
    print(f"   [{load()}]")


_ADAM = ((True, "fused, as the course builds it"), (False, "with torch's default loop"))


def _adam_seconds(model: torch.nn.Module, fused: bool) -> float:
    m = copy.deepcopy(model)
    for p in m.parameters():
        p.grad = torch.randn_like(p)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, fused=fused)
    return statistics.median(_clock(opt.step, 50) for _ in range(5))


def _fwht_seconds(L: int, block: int) -> float:
    x = torch.randn(1, 1, L, device=DEVICE)
    return statistics.median(_clock(lambda: projections.fwht(x, block), 20) for _ in range(5))


def _double_backward(model, x, y, vs):
    ps = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(F.cross_entropy(model(x), y), ps, create_graph=True)
    return torch.autograd.grad(sum((g * v).sum() for g, v in zip(grads, vs, strict=True)), ps)


def _clock(fn, reps: int) -> float:
    fn()
    sync = DEVICE.type == "cuda"
    clock = time.perf_counter if sync else time.process_time
    start = clock()
    for _ in range(reps):
        fn()
    if sync:
        torch.cuda.synchronize()
    return (clock() - start) / reps


def hvp_rows() -> None:
    print("2. Hessian-vector products per second, dofcourse.hessian / PyHessian double backward")
    for name, make, reps in (("quick MLP", digits_mlp, 20), ("MLP 784-200-200-10", mnist_mlp, 3)):
        ds, model = make()
        op = hessian.hessian_operator(model, (ds.x_train, ds.y_train))
        v = torch.randn(op.D, device=op.device, generator=torch.Generator().manual_seed(0))
        vs = list(params.Layout.of_module(model).unflatten(v).values())
        op.hvp(v)  # the first call measures both methods and keeps the faster
        sides = {
            "pkg": lambda op=op, v=v: op.hvp(v),
            "ref": lambda m=model, d=ds, vs=vs: _double_backward(m, d.x_train, d.y_train, vs),
        }
        times = {"pkg": [], "ref": []}
        for i in range(8):  # ABBA: whichever runs second in a pair gains or loses a few per cent
            for side in ("pkg", "ref") if i % 2 == 0 else ("ref", "pkg"):
                times[side].append(_clock(sides[side], reps))
        pkg, ref = times["pkg"], times["ref"]
        p, r = statistics.median(pkg), statistics.median(ref)
        print(f"   {name} (D = {op.D:,}): {1 / p:7.1f} vs {1 / r:7.1f} HVP/s = {r / p:.2f} "
              f"(chose {op.method!r}; goal >= 1.0)")  # fmt: skip
    print(f"   [{load()}]")


def loop_row(steps: int = 300) -> None:
    ds, model = digits_mlp()
    x, y = ds.x_train, ds.y_train
    clock = time.perf_counter if DEVICE.type == "cuda" else time.process_time

    def bare() -> float:
        m = copy.deepcopy(model)
        opt = TrainSettings(steps, lr=0.05).optimizer_for(m.parameters())  # the one train uses
        gen = torch.Generator().manual_seed(0)
        start, i, perm = clock(), 0, torch.randperm(len(x), generator=gen).to(DEVICE)
        for _ in range(steps):
            if i + 64 > len(x):
                i, perm = 0, torch.randperm(len(x), generator=gen).to(DEVICE)
            idx = perm[i : i + 64]
            i += 64
            loss = F.cross_entropy(m(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return clock() - start

    def ours() -> float:
        m = copy.deepcopy(model)
        start = clock()
        train.train(m, ds, TrainSettings(steps=steps, lr=0.05, batch_size=64), eval_every=steps,
                    progress=False)  # fmt: skip
        return clock() - start

    ratio = statistics.median(ours() / bare() for _ in range(9))
    print(f"3. training loop / bare step (digits MLP 64-64-64-10, batch 64, {steps} steps, "
          f"2 evaluations included): {ratio:.3f} (median of 9; goal <= 1.05)")  # fmt: skip
    print(f"   [{load()}]")


def memory_child() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = models.resnet_small((3, 32, 32), 10, width=192)
    x, y = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))

    class Toy:
        x_train, y_train, x_test, y_test = x, y, x[:0], y[:0]

    settings = TrainSettings(steps=3, lr=1e-3, optimizer="adam", batch_size=32)
    start = time.perf_counter()
    subspace.train_subspace(model, Toy, settings, 100_000, kind="fastfood", max_bytes=2**31,
                            progress=False)  # fmt: skip
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))
    print(json.dumps({"D": params.count(model), "peak": peak, "s": time.perf_counter() - start}))


def memory_row() -> None:
    out = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    r = json.loads(out.stdout.strip().splitlines()[-1])
    gib = r["peak"] / 2**30
    print(f"4. peak memory, ResNet (D = {r['D']:,}) in a d = 100,000 Fastfood subspace, 3 Adam "
          f"steps on the CPU: {gib:.2f} GiB (goal < 2 GB; {r['s']:.0f} s)")  # fmt: skip


def main() -> None:
    if "--memory-child" in sys.argv:
        memory_child()
        return
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, device {DEVICE}, 1 thread  [{load()}]")
    subspace_rows()
    hvp_rows()
    loop_row()
    memory_row()
    if DEVICE.type == "cpu":
        print("GPU: not measured here (no GPU on this machine)")


if __name__ == "__main__":
    main()
