"""Losses and evaluation of K networks at once: per-member losses for training, and loss and
accuracy over a whole split in chunks of examples (``evaluate_members``; chapters 05, 07, 08).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import vmap

from dofcourse import checks
from dofcourse.feed import check_model_fits, check_xy
from dofcourse.params import Functional, check_functional

LOSSES = ("cross_entropy", "mse")


def _loss_fn(kind: str) -> Callable[[Tensor, Tensor], Tensor]:
    """Per-member mean loss: outputs (E, B, C) or (E, B) and targets (B,) or (E, B) -> (E,)."""
    if kind == "cross_entropy":

        def ce(out: Tensor, y: Tensor) -> Tensor:
            e, b, c = out.shape
            if e == 1 and y.dim() == 1:  # one member: the plain mean, as dofcourse.train takes it
                return F.cross_entropy(out.squeeze(0), y).unsqueeze(0)
            y = y.expand(e, b) if y.dim() == 1 else y
            return (
                F.cross_entropy(out.reshape(e * b, c), y.reshape(-1), reduction="none")
                .view(e, b)
                .mean(1)
            )

        return ce

    def mse(out: Tensor, y: Tensor) -> Tensor:
        return 0.5 * (out - y).square().mean(1)

    return mse


class _Evaluator:
    """Loss and accuracy of all members on a whole split, in chunks of examples."""

    def __init__(self, logits, loss_kind: str, chunk: int = 2048) -> None:
        self.logits, self.kind, self.chunk = logits, loss_kind, chunk

    @torch.no_grad()
    def __call__(self, thetas: Tensor, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        e = thetas.shape[0]
        loss = torch.zeros(e, dtype=torch.float64, device=thetas.device)
        correct = torch.zeros(e, dtype=torch.float64, device=thetas.device)
        for s in range(0, len(x), self.chunk):
            out, yb = self.logits(thetas, x[s : s + self.chunk]), y[s : s + self.chunk]
            n = len(yb)
            if self.kind == "cross_entropy":
                ce = F.cross_entropy(out.reshape(e * n, -1), yb.repeat(e), reduction="none")
                loss += ce.view(e, n).sum(1).double()
                correct += (out.argmax(-1) == yb).sum(1).double()
            else:
                loss += 0.5 * (out - yb).square().sum(1).double()
        n_all = max(len(x), 1)
        acc = correct / n_all if self.kind == "cross_entropy" else torch.full_like(loss, np.nan)
        return loss / n_all, acc


def one_by_one(net: Functional) -> bool:
    """True when the members of ``net`` are better run one after another than through ``vmap``:
    a convolutional network on a CPU. ``vmap`` turns E convolutions with their own weights into
    one grouped convolution, which oneDNN runs slowly: for chapter 05's Conv-2 (D = 20,490, batch
    128, one thread) a training step took 2x, and an evaluation 4x, as long per member as the same
    member alone (``benchmarks/bench_phase.py``). On a GPU, and for dense layers (batched matrix
    products), ``vmap`` is the faster."""
    return net.convolutional and net.device.type == "cpu"


def members_outputs(
    net: Functional, e: int, shared: bool = True
) -> Callable[[Tensor, Tensor], Tensor]:
    """outputs (E, B, ...) of E members at thetas (E, D) on one batch x (B, ...) (``shared``) or
    each on its own batch x (E, B, ...). Through ``vmap``, or member by member where
    :func:`one_by_one` says so; for a single member, one plain call (vmap's batching rules cost
    more than they save at E = 1; ``squeeze``, not ``thetas[0]``, whose backward would fill a zero
    (1, D) tensor every step)."""
    if e == 1:
        if shared:
            return lambda thetas, x: net.fn(thetas.squeeze(0), x).unsqueeze(0)
        return lambda thetas, x: net.fn(thetas.squeeze(0), x.squeeze(0)).unsqueeze(0)
    if one_by_one(net):
        if shared:
            return lambda thetas, x: torch.stack([net.fn(t, x) for t in thetas.unbind(0)])
        return lambda thetas, x: torch.stack(
            [net.fn(t, xi) for t, xi in zip(thetas.unbind(0), x.unbind(0), strict=True)]
        )
    return vmap(net.fn, in_dims=(0, None if shared else 0))


def eval_chunk(net: Functional) -> int:
    """Examples per evaluation pass: 256 for a convolutional network on a CPU (its activations for
    2,048 images of 28x28 already fill 50 MB; for Conv-2, one thread, chunks of 128-256 took half
    the time of one chunk of 2,048), 2,048 otherwise."""
    return 256 if one_by_one(net) else 2048


def check_examples(
    net: Functional,
    thetas: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    loss: str = "cross_entropy",
    empty: bool = True,
) -> tuple[Tensor, Tensor, Tensor]:
    """The one boundary check of every function that evaluates networks at points ``thetas``
    (K, D) on examples ``x`` (N, ...), ``y`` (N,) (``evaluate_members``, chapter 07's lines and
    barriers, chapter 08's scores): returns thetas, x and y on the network's device and dtype,
    with y as class labels (int64 >= 0) for ``loss="cross_entropy"`` and as floats for "mse".
    Checks thetas' shape, x and y with ``feed.check_xy``, and runs the network at thetas[0] on
    two examples, so that a mismatch of model and data fails here, not deep inside torch.
    ``empty=False`` refuses N = 0."""
    checks.choice(loss, "loss", LOSSES)
    check_functional(net)
    thetas = checks.tensor(thetas, "thetas", ndim=2, floating=True)
    if thetas.shape[1] != net.D:
        raise ValueError(f"thetas must have shape (K, {net.D}), got {tuple(thetas.shape)}")
    thetas = thetas.to(device=net.device, dtype=net.dtype)
    targets = "labels" if loss == "cross_entropy" else "values"
    x, y = check_xy(x, y, targets=targets, dtype=net.dtype, device=net.device, empty=empty)
    if len(x):
        labels = y if loss == "cross_entropy" else None
        check_model_fits(lambda xb: net.fn(thetas[0], xb), x, labels, name="x and y")
    return thetas, x, y


def evaluate_members(
    net: Functional,
    thetas: Tensor,
    x: Tensor,
    y: Tensor,
    *,
    loss: str = "cross_entropy",
    chunk: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Mean loss (E,) and accuracy (E,) of the networks at parameters ``thetas`` (E, D) on all of
    ``x`` (N, ...), ``y`` (N,), in one vectorised pass per chunk of examples (float64 sums).

    ``chunk``: examples per pass (default :func:`eval_chunk`). Accuracy is NaN for
    ``loss="mse"``. The points can be anything: ensemble members, points along a line between two
    networks (chapter 07), a grid on a plane.
    """
    thetas, x, y = check_examples(net, thetas, x, y, loss=loss)
    e = thetas.shape[0]
    chunk = eval_chunk(net) if chunk is None else checks.integer(chunk, "chunk", min=1)
    evaluate = _Evaluator(members_outputs(net, e), loss, chunk)
    return evaluate(thetas, x, y)
