"""Benchmark: where a step of chapters 07 and 08's ensembles goes on one CPU thread (issue 25).

Run:  .venv/bin/python benchmarks/bench_ensemble_step.py [--steps 60]

Chapters 07 and 08 train LeNet-300-100 (D = 266,610) on the MNIST subset in quick mode, every
training a masked ensemble with its own mini-batch orders (``pruning.fit_flagged``, test split
only). Two tables:

1. CPU per step of an ensemble of E members, E = 1, 3, 6, 9, 12, and the least-squares line
   step(E) = a + b E: ``a`` is what a step costs whatever E (Python, dispatch), ``b`` what each
   member adds. Vectorising more of the chapters' trainings into one ensemble saves only ``a``
   per step; the rest scales with the member-steps trained.
2. The first layer (784 -> 300) of E = 9 members, forward and backward under ``vmap``: as
   ``F.linear`` (what ``functional_call`` of the ``nn.Linear`` runs: its batching rule computes
   the weight gradient as x^T g, (784, 300), and copies it transposed into the weight's
   (300, 784) layout) against the matrix products alone (the floor) and against W x^T, whose
   backward writes g^T x in the weight's own layout.

The load average is printed with each table; the machine these were measured on is shared.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from timing import clock, load
from torch.func import vmap

from dofcourse import data, pruning


def step_costs(steps: int) -> None:
    ds = data.load("mnist_subset")
    rec = pruning.recipe(ds)
    model, keep = rec.model, pruning.prunable(rec.model)
    sizes, per_step = [1, 3, 6, 9, 12], []
    for e in sizes:
        theta0 = pruning.initial_points(model, range(e))
        mask = torch.ones_like(theta0, dtype=torch.bool)
        for _ in range(5):  # 0.8**5 = 33 % of the weights, a mid-run IMP level
            mask = pruning.magnitude_prune(theta0, mask, keep)

        def fit(n: int, theta0=theta0, mask=mask, e=e) -> None:
            pruning.fit_flagged(model, ds, rec.settings.replace(steps=n), theta0, mask,
                                order_seeds=list(range(e)), eval_train=False,
                                progress=False)  # fmt: skip

        fit(2)  # warm-up
        # per step: (CPU of 2n steps - CPU of n steps) / n, best of two (start-up cancels)
        best = min(clock(lambda: fit(2 * steps))[1] - clock(lambda: fit(steps))[1]
                   for _ in range(2))  # fmt: skip
        per_step.append(best / steps * 1e3)
        print(f"   E = {e:2d}: {per_step[-1]:6.1f} ms CPU per step, "
              f"{per_step[-1] / e:5.2f} ms per member-step", flush=True)  # fmt: skip
    b, a = np.polyfit(sizes, per_step, 1)
    print(f"   step(E) = a + b E: a = {a:.1f} ms, b = {b:.2f} ms per member   [{load()}]")


def first_layer(n: int = 30) -> None:
    e = 9
    x = torch.randn(e, 60, 784)
    w = torch.randn(e, 300, 784, requires_grad=True)
    g = torch.randn(e, 60, 300)

    def run(forward) -> float:
        def once() -> None:
            forward().backward(g)
            w.grad = None

        once()
        return min(clock(lambda: [once() for _ in range(n)])[1] for _ in range(2)) / n * 1e3

    ways = {
        "vmap(F.linear) (the chapters' networks now)": lambda: vmap(F.linear)(x, w),
        "vmap(W x^T)^T (weight gradient in W's layout)": lambda: vmap(lambda a, b: (b @ a.T).T)(
            x, w
        ),
    }
    for name, fn in ways.items():
        print(f"   {name:48s} {run(fn):6.1f} ms CPU, forward + backward")

    def floor() -> None:
        torch.bmm(x, w.detach().transpose(1, 2))
        torch.bmm(g.transpose(1, 2), x)  # weight gradient (E, 300, 784)

    floor()
    t = min(clock(lambda: [floor() for _ in range(n)])[1] for _ in range(2)) / n * 1e3
    print(f"   {'the two matrix products alone':48s} {t:6.1f} ms CPU   [{load()}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("1. CPU per step of a masked LeNet-300-100 ensemble (own orders, batch 60), one thread")
    step_costs(args.steps)
    print("2. First layer (784 -> 300) of E = 9 members, batch 60, forward and backward")
    first_layer()


if __name__ == "__main__":
    main()
