"""Benchmark of dofcourse.pruning: one IMP level for R replicas, vectorised vs one at a time.

Run:  .venv/bin/python benchmarks/bench_pruning.py [--replicas 4] [--steps 100]

One IMP level is R sparse networks (LeNet-300-100 on the MNIST subset, each replica with its own
mask, at 20 % density, and its own mini-batch order) trained for the same number of SGD steps.
Three ways, timed side by side in this one run:

1. vectorised: ``pruning.fit`` trains the R masked replicas as one ``torch.func.vmap`` ensemble;
2. one at a time with the same engine (``pruning.fit`` on one replica, R times);
3. open_lth's way: a plain PyTorch loop per replica over an ``nn.Module`` whose weights are
   masked by ``torch.nn.utils.prune`` (the mask multiplies the weight before every forward).

Prints wall and CPU seconds and the speed-ups of 1 over 2 and 3. On a GPU (CUDA) when one is
present; the machine's load average is printed, because on a shared machine timings vary.

``--chunks`` also prints the CPU time per member and step of an ensemble of 1, 3, 12 and 33
masked members trained as the grids of chapters 07 and 08 train them (``pruning.fit_flagged``
with ``eval_train=False``): the measurement behind ``pruning.rewind.chunk_size``.
"""

from __future__ import annotations

import argparse

import torch
from timing import clock, load
from torch import nn
from torch.nn.utils import prune as torch_prune

from dofcourse import data, models, params, pruning
from dofcourse.device import get_device
from dofcourse.settings import TrainSettings, batch_order


def torch_prune_loop(model, ds, settings, theta0, masks, seeds) -> None:
    """open_lth's way: one masked nn.Module per replica, trained by a plain loop."""
    layout = params.Layout.of_module(model)
    for e in range(len(theta0)):
        net = params.load_into(models.mlp(ds.input_shape, ds.n_classes, hidden=(300, 100)),
                               theta0[e].cpu()).to(theta0.device)  # fmt: skip
        for name, piece in layout.unflatten(masks[e].float()).items():
            mod, _, kind = name.rpartition(".")
            if kind == "weight":
                torch_prune.custom_from_mask(net.get_submodule(mod), "weight", piece)
        opt = settings.optimizer_for(net.parameters())
        order = batch_order(len(ds.x_train), settings.batch_size, seeds[e], theta0.device)
        for _ in range(settings.steps):
            idx = next(order)
            loss = nn.functional.cross_entropy(net(ds.x_train[idx]), ds.y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--chunks", action="store_true", help="CPU per member-step by ensemble size"
    )
    args = parser.parse_args()
    device = get_device()
    ds = data.load("mnist_subset", device=device)
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=(300, 100)).to(device)
    keep = pruning.prunable(model)
    r_n = args.replicas
    theta0 = pruning.initial_points(model, range(r_n))
    masks = torch.ones_like(theta0, dtype=torch.bool)
    for _ in range(7):  # 0.8**7 = 21 % of the weights
        masks = pruning.magnitude_prune(theta0.cpu(), masks.cpu(), keep).to(device)
    settings = TrainSettings(steps=args.steps, lr=0.1, momentum=0.9, batch_size=60)
    seeds = list(range(r_n))
    kw = dict(progress=False)
    pruning.fit(model, ds, settings.replace(steps=2), theta0[:2], masks[:2], order_seeds=[0, 1],
                **kw)  # warm-up  # fmt: skip
    methods = {
        "vectorised ensemble (pruning.fit)": lambda st: pruning.fit(
            model, ds, st, theta0, masks, order_seeds=seeds, **kw
        ),
        "one replica at a time (pruning.fit)": lambda st: [
            pruning.fit(model, ds, st, theta0[e : e + 1], masks[e : e + 1], order_seeds=[e], **kw)
            for e in range(r_n)
        ],
        "open_lth's way (torch.nn.utils.prune)": lambda st: torch_prune_loop(
            model, ds, st, theta0, masks, seeds
        ),
    }
    long = settings.replace(steps=3 * args.steps)
    times = {name: (clock(lambda f=f: f(settings)), clock(lambda f=f: f(long)))
             for name, f in methods.items()}  # fmt: skip
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none present"
    print(f"One IMP level: {r_n} replicas of LeNet-300-100 (D = {params.count(model):,}, "
          f"{pruning.density(masks[0].cpu(), keep):.0%} of weights kept), {args.steps} SGD steps "
          f"of batch 60, on {device} (GPU: {gpu}); threads {torch.get_num_threads()}")  # fmt: skip
    print(
        "   a level includes pruning.fit's evaluations of the train and test splits at its "
        "start and end; per step = (time of 3x the steps - time of 1x) / (2x the steps)"
    )
    per_step = {}
    for name, ((w1, c1), (w3, c3)) in times.items():
        per_step[name] = ((w3 - w1) / (2 * args.steps), (c3 - c1) / (2 * args.steps))
        ms_w, ms_c = 1e3 * per_step[name][0], 1e3 * per_step[name][1]
        print(f"   {name:40s} level {w1:6.2f} s wall {c1:6.2f} s CPU | per step "
              f"{ms_w:6.2f} ms wall {ms_c:6.2f} ms CPU")  # fmt: skip
    vec, one, plain = (times[n][0] for n in methods)
    sv, so, sp = per_step.values()
    print(f"   ensemble speed-up, one level: {one[0] / vec[0]:.1f}x wall ({one[1] / vec[1]:.1f}x "
          f"CPU) over one at a time, {plain[0] / vec[0]:.1f}x wall ({plain[1] / vec[1]:.1f}x CPU) "
          f"over open_lth's way")  # fmt: skip
    print(f"   ensemble speed-up per training step: {so[1] / sv[1]:.1f}x CPU over one at a time, "
          f"{sp[1] / sv[1]:.1f}x CPU over open_lth's way   [{load()}]")  # fmt: skip
    if args.chunks:
        chunk_scan(model, ds, settings)


def chunk_scan(model, ds, settings) -> None:
    """CPU ms per member and step of masked ensembles of several sizes, two rounds, ABAB."""
    theta0 = pruning.initial_points(model, range(33))
    masks = torch.rand(theta0.shape, generator=torch.Generator().manual_seed(0)) < 0.3
    per = {e: [] for e in (1, 3, 12, 33)}
    for _ in range(2):
        for e in per:
            _, cpu = clock(lambda e=e: pruning.fit_flagged(
                model, ds, settings, theta0[:e], masks[:e], order_seeds=list(range(e)),
                eval_train=False, progress=False))  # fmt: skip
            per[e].append(1e3 * cpu / (e * settings.steps))
    sizes = ", ".join(f"E = {e}: {min(v):.1f} ms" for e, v in per.items())
    print(f"   CPU per member and step (best of 2), ensemble of E members: {sizes}   [{load()}]")


if __name__ == "__main__":
    main()
