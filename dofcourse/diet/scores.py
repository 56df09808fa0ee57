"""How hard is each training example, early in training? EL2N and GraNd scores.

Paul, Ganguli & Dziugaite (2021) score every training example (x, y) with networks trained for a
few steps only:

* **EL2N**, the error L2 norm: ``|| softmax(f(theta_t, x)) - onehot(y) ||_2``, averaged over K
  networks (different initialisations and data orders) trained for t steps;
* **GraNd**, the gradient norm: ``|| grad_theta loss(f(theta_t, x), y) ||_2``, averaged the same
  way; at t = 0 it needs no training at all.

A high score marks a hard (atypical, ambiguous or mislabelled) example, a low one an easy one.
The K networks train together as one vectorised ensemble (the reference code trains them one
after another), from the same rewind points as chapter 07 (``pruning.rewind_points``); per-example
gradients come from ``dofcourse.per_example`` (``torch.func.vmap(grad)``, shared with chapter
10). Both are cached per (model, data, settings, t, seeds). Taught in chapter 08.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dofcourse import checks, ensemble, experiment, per_example, train
from dofcourse.params import Functional
from dofcourse.pruning.rewind import check_start, initial_points, replica_seeds, rewind_points
from dofcourse.settings import TrainSettings

KINDS = ("el2n", "grand")


@torch.no_grad()
def el2n_per_network(
    net: Functional, thetas: Tensor, x: Tensor, y: Tensor, chunk: int = 2048
) -> Tensor:
    """EL2N (K, N) of each network thetas (K, D) on each example of x (N, ...), y (N,)."""
    thetas, x, y = ensemble.check_examples(net, thetas, x, y, empty=False)
    chunk = checks.integer(chunk, "chunk", min=1)
    logits = ensemble.members_outputs(net, len(thetas))
    out = []
    for s in range(0, len(x), chunk):
        p = logits(thetas, x[s : s + chunk]).softmax(-1)  # (K, B, C)
        onehot = F.one_hot(y[s : s + chunk], p.shape[-1]).to(p.dtype)
        out.append((p - onehot).norm(dim=-1))
    return torch.cat(out, 1).cpu()


def grand_per_network(
    net: Functional, thetas: Tensor, x: Tensor, y: Tensor, chunk: int = 16
) -> Tensor:
    """GraNd (K, N): the norm of each example's loss gradient in theta, for each network.

    Per-example gradients come from ``per_example.gradient_norms`` (``vmap(grad(loss))`` over a
    chunk of examples: ``chunk`` bounds the memory, chunk x D floats)."""
    thetas, x, y = ensemble.check_examples(net, thetas, x, y, empty=False)
    chunk = checks.integer(chunk, "chunk", min=1)
    return torch.stack([per_example.gradient_norms(net, theta, x, y, chunk=chunk)
                        for theta in thetas])  # fmt: skip


@experiment.cached
def scores(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    init_seeds: Sequence[int],
    steps: int,
    kind: str = "el2n",
    examples: Tensor | None = None,
    progress: bool = True,
) -> Tensor:
    """Scores (K, N) of the N training examples by each of K networks (``init_seeds``) trained
    for ``steps`` steps of ``settings`` on all the training data (0: at initialisation; replica r
    in mini-batch order ``settings.order_seed + r``); only the training examples of index
    ``examples`` (n,) are scored when given: (K, n). Average over the K rows for EL2N or GraNd.
    Cached."""
    kind = checks.choice(kind, "kind", KINDS)
    steps = checks.integer(steps, "steps", min=0)
    settings = checks.settings(settings)
    if examples is not None and not len(checks.tensor(examples, "examples", floating=False)):
        raise ValueError("examples is empty: give the indices of the examples to score, or None "
                         "for every training example")  # fmt: skip
    theta0 = initial_points(model, init_seeds)
    thetas = theta0
    if steps > 0:
        thetas = rewind_points(model, data, settings.replace(steps=steps), theta0,
                               order_seeds=replica_seeds(settings, len(theta0)),
                               progress=progress)  # fmt: skip
    net = Functional.of_module(model)
    thetas = check_start(model, thetas, "thetas")
    x, y, _, _ = train.check_data(data, net.dtype, net.device)
    first = thetas[0].to(net.device, net.dtype)
    train.check_model_fits(lambda xb: net.fn(first, xb), x, y)
    if examples is not None:
        idx = checks.tensor(examples, "examples", ndim=1, floating=False).to(x.device)
        if len(idx) and (int(idx.min()) < 0 or int(idx.max()) >= len(x)):
            raise ValueError(f"examples must be indices in 0..{len(x) - 1} of the training split, "
                             f"got {int(idx.min())}..{int(idx.max())}")  # fmt: skip
        x, y = x[idx], y[idx]
    fn = el2n_per_network if kind == "el2n" else grand_per_network
    return fn(net, thetas, x, y)


def el2n(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    steps: int,
    progress: bool = True,
) -> Tensor:
    """EL2N (N,) of the training examples, averaged over the networks of ``init_seeds``."""
    return scores(model, data, settings, init_seeds, steps, "el2n", progress=progress).mean(0)


def grand(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    steps: int = 0,
    examples: Tensor | None = None,
    progress: bool = True,
) -> Tensor:
    """GraNd (N,) of the training examples (or (n,) of ``examples``), averaged over the networks
    of ``init_seeds``. Per-example gradients cost D numbers each: score a subset on a CPU."""
    out = scores(model, data, settings, init_seeds, steps, "grand", examples, progress=progress)
    return out.mean(0)
