"""Chapter 05's subspace trainings: as the chapter runs them, and as the reference code does.

Run:  .venv/bin/python benchmarks/bench_phase.py            (about 2 minutes on 2 CPU cores)
      .venv/bin/python benchmarks/bench_phase.py --full     (adds Conv-2 on the MNIST subset:
                                                             11 more minutes at load 3.5)

Chapter 05 trains hundreds of subspaces (burn-in t x d x seed). The engine trains a chunk of them
as one ensemble (``subspace.train_ensemble``, what ``subspace.sweep`` runs); the reference code
trains them one after another, evaluating on the whole training set every 20 steps. Both are
measured here side by side, in this one run, on the same runs of the chapter's grid (d mixed over
the chapter's powers of two, Fastfood, Adam, batch 128, evaluations every 20 steps), and reported
as trainings per second, by wall clock and by process CPU time (on a shared machine CPU time is
the steadier of the two).

* Quick mode (an MLP on the 8x8 digits): both evaluate on the whole training set, so the ratio is
  the gain of vectorising alone.
* Full mode (Conv-2, D = 20,490, on the MNIST subset): the chapter judges success on a fixed
  1,000 of the 4,000 training images (``eval_examples``), and on a CPU the ensemble runs a
  convolutional network's members one after another (``ensemble.evaluate.one_by_one``: vmap's
  grouped convolutions were slower), so the ratio is the gain of the smaller evaluation.

On a GPU (when one is present) the same is measured there.
"""

from __future__ import annotations

import argparse

import torch
from timing import clock, load

from dofcourse import data, models, phase, subspace
from dofcourse.device import get_device
from dofcourse.params import count
from dofcourse.settings import TrainSettings


def bench(
    name: str,
    model: torch.nn.Module,
    ds,
    n: int,
    steps: int,
    dims: list[int],
    eval_examples: int | None = None,
) -> float:
    settings = TrainSettings(steps=steps, lr=0.05, optimizer="adam", batch_size=128)
    ds_ = [dims[i % len(dims)] for i in range(n)]
    seeds = list(range(n))
    kw = {"kind": "fastfood", "eval_every": 20, "progress": False}

    def vectorised() -> None:  # as the chapter runs them
        subspace.train_ensemble(model, ds, settings, ds_, seeds, eval_examples=eval_examples, **kw)

    def loop() -> None:
        for d, s in zip(ds_, seeds, strict=True):
            subspace.train_subspace(model, ds, settings, d, proj_seed=s, **kw)

    subspace.train_ensemble(model, ds, settings.replace(steps=2), ds_[:2], [0, 1], **kw)  # warm
    vec, one = clock(vectorised), clock(loop)
    judged = "all" if eval_examples is None else f"{eval_examples:,}"
    print(f"\n{name} (D = {count(model):,}) on {get_device()}: {n} subspace trainings of {steps} "
          f"Adam steps, d in {min(dims)}..{max(dims)}")  # fmt: skip
    print(f"   as chapter 05 runs them: one ensemble, training accuracy on {judged} of the "
          f"{len(ds.x_train):,} images; the reference: one at a time, on all of them")  # fmt: skip
    print(f"   chapter's way:    {vec[0]:6.1f} s wall, {vec[1]:6.1f} s CPU -> "
          f"{n / vec[0]:6.2f} trainings/s (wall), {n / vec[1]:6.2f} /s (CPU)")  # fmt: skip
    print(f"   one at a time:    {one[0]:6.1f} s wall, {one[1]:6.1f} s CPU -> "
          f"{n / one[0]:6.2f} trainings/s (wall), {n / one[1]:6.2f} /s (CPU)")  # fmt: skip
    print(f"   speed-up: {one[0] / vec[0]:.1f}x wall, {one[1] / vec[1]:.1f}x CPU   [{load()}]")
    return one[1] / vec[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help="also Conv-2 on the MNIST subset")
    p.add_argument("--steps", type=int, default=200, help="Adam steps per training")
    p.add_argument("--n-full", type=int, default=8, help="Conv-2 trainings timed each way")
    a = p.parse_args()
    device = get_device()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device} "
          f"[{load()}]")  # fmt: skip
    if not torch.cuda.is_available():
        print("no GPU here: the GPU ratio (goal >= 20x) is not measured in this run")
    digits = data.load("digits", device=device)
    torch.manual_seed(0)
    mlp = models.mlp(digits.input_shape, digits.n_classes, hidden=(32,)).to(device)
    dims = [2**k for k in range(1, 11)]
    ratio = bench("quick mode: MLP 64-32-10 on the 8x8 digits", mlp, digits, 32, a.steps, dims)
    print(f"\nquick-mode ratio {ratio:.1f}x CPU (goal >= 3x on 2 CPU cores)")
    if a.full:
        mnist = data.load("mnist_subset", device=device)
        torch.manual_seed(0)
        conv = phase.conv2_small(mnist.input_shape, mnist.n_classes).to(device)
        ratio = bench("full mode: Conv-2 on the MNIST subset", conv, mnist, a.n_full, a.steps,
                      [2**k for k in range(1, 13)], eval_examples=1000)  # fmt: skip
        print(f"\nfull-mode ratio {ratio:.1f}x CPU (goal >= 6x on 2 CPU cores)")


if __name__ == "__main__":
    main()
