"""Benchmark of dofcourse.diet: EL2N from K networks, and per-example gradient norms (GraNd).

Run:  .venv/bin/python benchmarks/bench_diet.py [--nets 10] [--steps 50] [--examples 256]

Prints, each measured side by side in this one run (LeNet-300-100 on the MNIST subset):
1. EL2N over K networks trained for a few steps: the K networks as one vectorised ensemble
   (``pruning.fit`` + ``diet.el2n_per_network``) against K trainings one after another (the
   reference code's way);
2. GraNd, the norm of every example's loss gradient: ``torch.func.vmap(grad(loss))`` over a chunk
   of examples against a loop that calls ``backward`` once per example.
Wall and CPU seconds and their ratios; on a GPU (CUDA) when one is present. The machine's load
average is printed, because on a shared machine timings vary.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from timing import clock, load

from dofcourse import data, diet, models, params, pruning
from dofcourse.device import get_device
from dofcourse.settings import TrainSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--examples", type=int, default=256)
    args = parser.parse_args()
    device = get_device()
    ds = data.load("mnist_subset", device=device)
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=(300, 100)).to(device)
    net = params.Functional.of_module(model)
    settings = TrainSettings(steps=args.steps, lr=0.1, momentum=0.9, batch_size=60)
    theta0 = pruning.initial_points(model, range(args.nets))
    seeds = list(range(args.nets))
    kw = dict(progress=False)

    def vectorised() -> torch.Tensor:
        theta, _ = pruning.fit(model, ds, settings, theta0, order_seeds=seeds, **kw)
        return diet.el2n_per_network(net, theta, ds.x_train, ds.y_train).mean(0)

    def one_by_one() -> torch.Tensor:
        rows = []
        for e in range(args.nets):
            theta, _ = pruning.fit(model, ds, settings, theta0[e : e + 1], order_seeds=[e], **kw)
            rows.append(diet.el2n_per_network(net, theta, ds.x_train, ds.y_train)[0])
        return torch.stack(rows).mean(0)

    pruning.fit(model, ds, settings.replace(steps=2), theta0[:2], order_seeds=[0, 1], **kw)
    vec, seq = clock(vectorised), clock(one_by_one)
    threads = torch.get_num_threads()
    print(f"1. EL2N of {len(ds.y_train):,} examples from K = {args.nets} networks trained "
          f"{args.steps} steps (D = {net.D:,}) on {device}, threads {threads}")  # fmt: skip
    print(f"   vectorised ensemble {vec[0]:6.2f} s wall {vec[1]:6.2f} s CPU; one after another "
          f"{seq[0]:6.2f} s wall {seq[1]:6.2f} s CPU")  # fmt: skip
    print(f"   speed-up {seq[0] / vec[0]:.1f}x wall, {seq[1] / vec[1]:.1f}x CPU   [{load()}]")

    n = args.examples
    x, y, theta = ds.x_train[:n], ds.y_train[:n], theta0[0]

    def loop() -> torch.Tensor:
        m = params.load_into(models.mlp(ds.input_shape, ds.n_classes, hidden=(300, 100)),
                             theta.cpu()).to(device)  # fmt: skip
        out = torch.empty(n)
        for i in range(n):
            m.zero_grad(set_to_none=True)
            F.cross_entropy(m(x[i : i + 1]), y[i : i + 1]).backward()
            out[i] = torch.sqrt(sum(p.grad.square().sum() for p in m.parameters())).item()
        return out

    def vmapped() -> torch.Tensor:
        return diet.grand_per_network(net, theta[None], x, y)[0]

    torch.testing.assert_close(vmapped(), loop(), rtol=1e-4, atol=1e-5)
    vm, lp = clock(vmapped), clock(loop)
    print(f"2. GraNd of {n} examples, one network (D = {net.D:,}): vmap(grad) in chunks of 16 "
          f"{vm[0]:.2f} s wall {vm[1]:.2f} s CPU; loop over examples {lp[0]:.2f} s wall "
          f"{lp[1]:.2f} s CPU")  # fmt: skip
    print(f"   speed-up {lp[0] / vm[0]:.1f}x wall, {lp[1] / vm[1]:.1f}x CPU (the two agree to "
          f"1e-4)   [{load()}]")  # fmt: skip
    if not torch.cuda.is_available():
        print("   (no GPU on this machine: the GPU ratios were not measured)")


if __name__ == "__main__":
    main()
