"""The speed table: subspace steps, Hessian-vector products, the training loop, and memory.

Run:  .venv/bin/python benchmarks/bench_speed.py

(3.9 minutes of CPU time; 13 minutes of wall time on a shared 2-core CPU at load 7-12, where it
got 29 % of a core. It prints each row's wall time.)

Prints every row of the course's speed goals, each ratio measured side by side in this one run
(medians of repeats, this process's CPU time on the CPU), with one torch thread as the course
uses on a 2-core machine. Where a row has a before and an after, both are measured here: torch's
Walsh-Hadamard transform is the "before" of fht-cpu's (``projections.hadamard._kernel`` is
pointed at torch's for that side), and PyHessian itself is the reference of the HVP row.

1. subspace step / ordinary step (Adam, batch 128) for Fastfood and sparse projections, on
   Li et al.'s MLP 784-200-200-10 (D = 199,210; goal <= 1.6x) and on chapter 03's quick MLP
   (D = 8,970; goal <= 1.5x); Fastfood with fht-cpu's transform and with torch's; one member's
   step inside a 32-member Fastfood ensemble (goal <= 1.3x). Both sides use the course's
   optimiser (fused Adam). The identity projection (P = I, d = D) shows what the vectorised
   engine costs before any projection does.
2. the Walsh-Hadamard transform alone: one vector and a batch of 32 of length 2^18, torch's
   (blocks of 8; the batch in chunks of rows, and as it was, in one piece) and fht-cpu's.
3. Hessian-vector products per second, ``dofcourse.hessian`` against PyHessian 0.1 itself on
   the same model, data and mean loss, both keeping the graph of their one batch; goal >= 1.0.
4. the training loop's time per step / a bare forward+backward+step of the same model (batch 64,
   the same fused SGD); goal <= 1.05.
5. peak memory of a fresh process training a ResNet-size model (about 1.1e7 parameters) in a
   d = 10^5 Fastfood subspace on the CPU; goal < 2 GB.
On a GPU (when one is lent) the same rows are measured there (wall time after synchronising).
What was tried and measured is in ``benchmarks/README.md``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from timing import load, pyhessian_products

from dofcourse import data, hessian, models, params, projections, subspace, train
from dofcourse.device import get_device
from dofcourse.projections import hadamard
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


@contextlib.contextmanager
def torch_transform():
    """Inside: torch's Walsh-Hadamard transform everywhere, as where fht-cpu is not installed."""
    saved = hadamard._fht_cpu
    hadamard._fht_cpu = lambda: None
    try:
        yield
    finally:
        hadamard._fht_cpu = saved


@contextlib.contextmanager
def whole_batches():
    """Inside: torch's transform passes over a whole batch at once, as before it took chunks."""
    saved = hadamard._CHUNK
    hadamard._CHUNK = 1 << 62
    try:
        yield
    finally:
        hadamard._CHUNK = saved


FHT = hadamard._fht_cpu() is not None and DEVICE.type == "cpu"  # fht-cpu serves here


def _both(fn):
    """(fn() with fht-cpu's transform, fn() with torch's), or (None, fn()) without fht-cpu."""
    fast = fn() if FHT else None
    with torch_transform():
        return fast, fn()


def _cells(fast, slow, base) -> str:
    return (f"{fast / base:5.2f}x (torch's transform: {slow / base:.2f}x)" if fast is not None
            else f"{slow / base:5.2f}x (torch's transform; fht-cpu not installed)")  # fmt: skip


def subspace_rows() -> None:
    print("1. subspace step / ordinary step (Adam, batch 128), median of 5")
    for name, make, goal in (
        ("MLP 784-200-200-10", mnist_mlp, 1.6),
        ("quick MLP", digits_mlp, 1.5),
    ):
        ds, model = make()
        D = params.count(model)
        base = subspace.time_per_step(model, ds, kind=None)
        adam = "; ".join(f"{_adam_seconds(model, f) * 1e3:.2f} ms {w}" for f, w in _ADAM)
        print(f"   {name} (D = {D:,}): ordinary step {base * 1e3:.2f} ms (Adam's part: {adam})")
        ident = subspace.time_per_step(model, ds, kind="identity", d=D)
        print(f"     identity (d = D)   {ident / base:5.2f}x   (the engine alone)")
        for d in (10, 1000):
            fast, slow = _both(functools.partial(_fastfood, model, ds, d=d))
            print(f"     fastfood d = {d:4d}: {_cells(fast, slow, base)}   (goal <= {goal}x)")
        for d in (10, 1000):
            t = subspace.time_per_step(model, ds, kind="sparse", d=d)
            print(f"     sparse   d = {d:4d}: {t / base:5.2f}x   (goal <= {goal}x)")
        if D > 10**5:
            fast, slow = _both(functools.partial(_fastfood, model, ds, d=1000, n=32))
            with torch_transform(), whole_batches():
                before = _fastfood(model, ds, d=1000, n=32)
            print(f"     one member of a 32-member Fastfood ensemble, d = 1000: "
                  f"{_cells(fast, slow, base)[:-1]}; in one piece, as before: "
                  f"{before / base:.2f}x)   (goal <= 1.3x)")  # fmt: skip
    print(f"   [{load()}]")


def _fastfood(model: torch.nn.Module, ds, d: int, n: int = 1) -> float:
    """Seconds of one member's Fastfood step, inside an ensemble of n."""
    if n == 1:
        return subspace.time_per_step(model, ds, kind="fastfood", d=d)
    return subspace.time_per_step(model, ds, kind="fastfood", d=d, n=n, steps=5, repeats=3) / n


def transform_rows(L: int = 2**18, rows: int = 32) -> None:
    print(f"2. Walsh-Hadamard transform of length 2^{L.bit_length() - 1}, float32, CPU ms "
          "(median of 5)")  # fmt: skip
    x = torch.randn(rows, L, device=DEVICE)
    # in place on zeros: repeated transforms of data would overflow (H H = L I); same work
    buf = torch.zeros(rows, L, device=DEVICE)
    one = {b: _seconds(lambda b=b: projections.fwht(x[:1], b)) for b in (8, 32)}
    line = ", ".join(f"{t * 1e3:.3f} (blocks of {b})" for b, t in one.items())
    if FHT:
        fht_one = _seconds(lambda: hadamard._fwht(buf[0], inplace=True))
        line += f"; fht-cpu in place {fht_one * 1e3:.3f}"
    print(f"   one vector: torch {line}")
    singles = _seconds(lambda: [projections.fwht(r, 8) for r in x], 3)
    chunked = _seconds(lambda: projections.fwht(x, 8), 3)
    inplace = _seconds(lambda: hadamard._fwht(buf, 8, inplace=True), 3)
    with whole_batches():
        whole = _seconds(lambda: projections.fwht(x, 8), 3)
    print(f"   a batch of {rows}: torch in chunks {chunked * 1e3:.1f} (in place on a temporary "
          f"{inplace * 1e3:.1f}; in one piece, as before: {whole * 1e3:.1f}); {rows} single "
          f"calls {singles * 1e3:.1f} (goal: chunks no slower)")  # fmt: skip
    if FHT:
        fht = _seconds(lambda: hadamard._fwht(buf, inplace=True), 3)
        print(f"   a batch of {rows}: fht-cpu in place {fht * 1e3:.2f} ({torch.get_num_threads()} "
              "thread)")  # fmt: skip
    print(f"   [{load()}]")


_ADAM = ((True, "fused, as the course builds it"), (False, "with torch's default loop"))


def _adam_seconds(model: torch.nn.Module, fused: bool) -> float:
    m = copy.deepcopy(model)
    for p in m.parameters():
        p.grad = torch.randn_like(p)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, fused=fused)
    return statistics.median(_clock(opt.step, 50) for _ in range(5))


def _seconds(fn, reps: int = 20) -> float:
    return statistics.median(_clock(fn, reps) for _ in range(5))


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
    print("3. Hessian-vector products per second, dofcourse.hessian / PyHessian, whole data as "
          "one batch")  # fmt: skip
    for name, make, reps in (("quick MLP", digits_mlp, 20), ("MLP 784-200-200-10", mnist_mlp, 3)):
        ds, model = make()
        op = hessian.hessian_operator(model, (ds.x_train, ds.y_train))
        v = torch.randn(op.D, device=op.device, generator=torch.Generator().manual_seed(0))
        vs = list(params.Layout.of_module(model).unflatten(v).values())
        ref, ref_name = pyhessian_products(model, ds.x_train, ds.y_train)
        hv, theirs = op.hvp(v), torch.cat([t.reshape(-1) for t in ref(vs)])  # the first call
        err = float((hv - theirs).norm() / theirs.norm())  # measures both methods, keeps one
        sides = {"pkg": lambda op=op, v=v: op.hvp(v), "ref": lambda ref=ref, vs=vs: ref(vs)}
        times = {"pkg": [], "ref": []}
        for i in range(8):  # ABBA: whichever runs second in a pair gains or loses a few per cent
            for side in ("pkg", "ref") if i % 2 == 0 else ("ref", "pkg"):
                times[side].append(_clock(sides[side], reps))
        pkg, ref = times["pkg"], times["ref"]
        p, r = statistics.median(pkg), statistics.median(ref)
        print(f"   {name} (D = {op.D:,}, N = {op.n:,}): {1 / p:7.1f} vs {1 / r:7.1f} HVP/s = "
              f"{r / p:.2f} (goal >= 1.0; chose {op.method!r}, its kept graph "
              f"{op.graph_bytes / 1e6:.1f} MB; products differ by {err:.0e})")  # fmt: skip
    print(f"   reference: {ref_name}  [{load()}]")


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
    print(f"4. training loop / bare step (digits MLP 64-64-64-10, batch 64, {steps} steps, "
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
    print(f"5. peak memory, ResNet (D = {r['D']:,}) in a d = 100,000 Fastfood subspace, 3 Adam "
          f"steps on the CPU: {gib:.2f} GiB (goal < 2 GB; {r['s']:.0f} s)")  # fmt: skip


def main() -> None:
    if "--memory-child" in sys.argv:
        memory_child()
        return
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, device {DEVICE}, 1 thread  [{load()}]")
    seconds = []
    for row in (subspace_rows, transform_rows, hvp_rows, loop_row, memory_row):
        start = time.perf_counter()
        row()
        seconds.append(f"{time.perf_counter() - start:.0f}")
    if DEVICE.type == "cpu":
        print("GPU: not measured here (no GPU on this machine)")
    print(f"wall seconds of rows 1-5: {', '.join(seconds)}  [{load()}]")


if __name__ == "__main__":
    main()
