"""Gradient confusion: how strongly the gradients of different examples pull against each other.

Sankararaman, De, Xu, Huang and Goldstein (ICML 2020) call a set of per-example losses f_i
η-confused at θ when ⟨∇f_i(θ), ∇f_j(θ)⟩ ≥ −η for all pairs i ≠ j: the smallest η that holds,

    η = −min_{i≠j} ⟨∇f_i, ∇f_j⟩,

bounds how much a step on one example can raise the loss of another. A small η (gradients
nearly orthogonal or aligned) lets SGD make progress on every example at once, and their
analysis shows SGD's speed degrading as η grows. Inner products scale with the gradients'
sizes, which change with width and depth for reasons of their own, so chapter 10 reads the
scale-free version next to it: the pairwise cosines cos(∇f_i, ∇f_j), their distribution, and
the most negative one (``min_cos``).

Per-example gradients come from ``dofcourse.per_example.gradients`` with ``together=True``, the
one function the course computes them with (chapter 08's GraNd uses it too): the rows of the
Jacobian of the vector of per-example losses (B,) of a mini-batch with respect to θ (D,). For a
network whose examples do not interact this is exactly the gradient of each example on its own;
with batch normalisation each example's loss depends on the whole batch through the batch
statistics, and row i is then the gradient of example i's loss *in its batch*: the rows sum to B
times the mini-batch gradient, the step SGD actually takes. Chapter 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from dofcourse import checks, per_example, train
from dofcourse.params import Functional, check_point


@dataclass
class Confusion:
    """Gradient confusion of one mini-batch of B examples. ``eta``: −min_{i≠j} ⟨g_i, g_j⟩ (the
    confusion bound); ``eta_rel``: eta / mean ‖g_i‖² (the bound in units of the gradients' own
    size); ``min_cos``: the most negative pairwise cosine; ``mean_cos``: the mean cosine;
    ``frac_negative``: the share of pairs with a negative cosine; ``cosines`` (B(B−1)/2,): every
    pairwise cosine. Chapter 10."""

    eta: float
    eta_rel: float
    min_cos: float
    mean_cos: float
    frac_negative: float
    cosines: Tensor


def confusion(grads: Tensor) -> Confusion:
    """The :class:`Confusion` of per-example gradients ``grads`` (B, D), B ≥ 2, from their Gram
    matrix G Gᵀ (B, B) in float64. Chapter 10."""
    g = checks.tensor(grads, "grads", ndim=2, floating=True).double()
    if g.shape[0] < 2:
        raise ValueError(f"need gradients of at least 2 examples, got {g.shape[0]}")
    if not bool(torch.isfinite(g).all()):
        raise ValueError("grads contains NaN or infinite values")
    gram = g @ g.T
    sq = gram.diagonal()
    if bool((sq <= 0).any()):
        raise ValueError("an example has a zero gradient: its cosines are undefined")
    i, j = torch.triu_indices(len(g), len(g), 1)
    inner = gram[i, j]
    cos = inner / (sq[i] * sq[j]).sqrt()
    eta = float(-inner.min())
    return Confusion(eta, eta / float(sq.mean()), float(cos.min()), float(cos.mean()),
                     float((cos < 0).double().mean()), cos.float().cpu())  # fmt: skip


def batch_confusion(
    net: Functional, theta: Tensor, data: train.Data, *, batch: int, n_batches: int, batch_seed: int
) -> list[Confusion]:
    """:func:`confusion` on ``n_batches`` disjoint random mini-batches of ``batch`` training
    examples of ``data`` (drawn by ``batch_seed``), at ``theta`` (D,). Chapter 10."""
    theta = check_point(net, theta)
    batch = checks.integer(batch, "batch", min=2)
    n_batches = checks.integer(n_batches, "n_batches", min=1)
    x, y, _, _ = train.check_data(data, net.dtype, net.device)
    train.check_model_fits(lambda xb: net.fn(theta, xb), x, y)
    if batch * n_batches > len(x):
        raise ValueError(f"{n_batches} batches of {batch} need {batch * n_batches} examples, "
                         f"the training split has {len(x)}")  # fmt: skip
    g = torch.Generator().manual_seed(checks.seed(batch_seed, "batch_seed"))
    order = torch.randperm(len(x), generator=g).to(x.device)
    out = []
    for b in range(n_batches):
        idx = order[b * batch : (b + 1) * batch]
        out.append(confusion(per_example.gradients(net, theta, x[idx], y[idx], together=True)))
    return out
