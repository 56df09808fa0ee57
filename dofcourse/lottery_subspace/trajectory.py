"""The directions training itself chooses: the top singular vectors of a training trajectory.

Larsen et al. (2022, section 6) train the full network from theta_0, record every k-th update
u_j = theta_{jk} - theta_{(j-1)k} (k = 5, over 5 d_max steps), and take the top-d left singular
vectors of the uncentred update matrix U = [u_1 ... u_T] (D x T): a *lottery subspace*. Its
directions carry most of the motion of training; a subspace training anchored at theta_0 in their
span (``projections`` kind "basis") then needs far fewer dimensions than a random one.

Memory: U has D T entries. :func:`trajectory_directions` keeps U whole and takes an exact SVD
when it fits in ``max_bytes``; otherwise it never forms U and updates a rank-r SVD block by block
as the updates arrive (:class:`StreamingSVD`, exact while the updates span at most r dimensions,
the best rank-r summary of what it has seen otherwise). It refuses, before allocating, a run
whose work space cannot fit either. Several prefix lengths of one recorded run give the
directions of early and late stretches of training at once. Chapter 06.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from dofcourse import checks, experiment, train
from dofcourse.params import flatten
from dofcourse.projections import DEFAULT_MAX_BYTES
from dofcourse.settings import TrainSettings

METHODS = ("auto", "dense", "streaming")


class StreamingSVD:
    """Left singular vectors and values of a D x T matrix seen a block of columns at a time.

    Keeps U (D, r) and s (r,) such that U diag(s)^2 U^T is the best rank-r approximation of the
    Gram matrix of the columns seen so far (exactly the Gram matrix while their rank is <= r):
    each block B is appended as [U diag(s), B] = Q R, and R's SVD gives the new U and s. Work
    space: D (r + block) numbers.
    """

    def __init__(self, rank: int) -> None:
        self.rank = checks.integer(rank, "rank", min=1)
        self.u: Tensor | None = None
        self.s: Tensor | None = None

    def update(self, block: Tensor) -> None:
        """Append the columns of ``block`` (D, b)."""
        block = checks.tensor(block, "block", ndim=2, floating=True)
        if self.u is not None and block.shape[0] != self.u.shape[0]:
            raise ValueError(f"block must have {self.u.shape[0]} rows, got {block.shape[0]}")
        x = block if self.u is None else torch.cat([self.u * self.s, block.to(self.u)], dim=1)
        q, r = torch.linalg.qr(x)
        ur, sr, _ = torch.linalg.svd(r)
        k = min(self.rank, sr.numel())
        self.u, self.s = q @ ur[:, :k], sr[:k]


def _check_budget(need: int, what: str, max_bytes: int) -> None:
    checks.budget(need, what, "lower d (or the trajectory length), or raise max_bytes",
                  max_bytes=max_bytes)  # fmt: skip


@experiment.cached
def trajectory_directions(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    d: int,
    *,
    every: int = 5,
    lengths: Sequence[int] | None = None,
    method: str = "auto",
    rank: int | None = None,
    block: int = 64,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict:
    """Train a copy of ``model`` with ``settings`` (its ``steps`` replaced by the longest of
    ``lengths``, default [every * d]), record every ``every``-th update, and return for each
    length L {"lengths": [...], "basis": {L: (D, d) float32, orthonormal columns},
    "singular_values": {L: (min(d, L / every),)}, "method": "dense" or "streaming",
    "theta": {L: theta_L (D,)}, "theta_end": theta after the longest length (D,)}. The model is
    not changed.

    "basis_without_displacement" {L: (D, min(d, L / every - 1))} holds the top directions of the
    same updates with the net displacement theta_L - theta_0 projected out of every one: chapter
    06 asks how much of a lottery subspace is that one line.

    ``method="auto"`` keeps the D x T update matrix when its float32 entries fit in
    ``max_bytes`` (exact SVD), else streams with rank ``rank`` (default d + d // 4 + 8).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    settings = checks.settings(settings)
    d = checks.integer(d, "d", min=1)
    every = checks.integer(every, "every", min=1)
    lengths = [every * d] if lengths is None else lengths
    lengths = sorted(set(checks.integers(lengths, "lengths", min=every)))
    if any(length % every for length in lengths):
        raise ValueError(f"lengths must be multiples of every={every}, got {lengths}")
    method = checks.choice(method, "method", METHODS)
    D, T = flatten(model).numel(), lengths[-1] // every
    if d > D:
        raise ValueError(f"d = {d} exceeds the number of parameters D = {D}")
    rank = checks.integer(rank if rank is not None else d + d // 4 + 8, "rank", min=d)
    block = checks.integer(block, "block", min=1)
    max_bytes = checks.integer(max_bytes, "max_bytes", min=1)
    if method == "auto":
        method = "dense" if 4 * D * T <= max_bytes else "streaming"
    if method == "dense":
        _check_budget(4 * D * T, f"the dense {D} x {T} update matrix", max_bytes)
    else:
        _check_budget(4 * D * (rank + block) * 3, f"a streaming SVD of rank {rank}", max_bytes)

    trained = copy.deepcopy(model)
    theta0 = flatten(trained)
    state = {"prev": theta0, "cols": [], "pending": []}
    svd = StreamingSVD(rank)
    out: dict = {"lengths": lengths, "basis": {}, "singular_values": {}, "method": method,
                 "basis_without_displacement": {}, "theta": {}}  # fmt: skip

    def finish(length: int) -> None:
        if method == "dense":
            m = torch.stack(state["cols"], dim=1).double()
            u, s, _ = torch.linalg.svd(m, full_matrices=False)
        else:
            if state["pending"]:
                svd.update(torch.stack(state["pending"], dim=1).double())
                state["pending"] = []
            u, s = svd.u, svd.s
        k = min(d, s.numel())
        out["basis"][length] = u[:, :k].float().cpu()
        out["singular_values"][length] = s[:k].float().cpu()
        out["theta"][length] = state["prev"].float().cpu()
        # (I - g g^T) U has the left singular vectors of (I - g g^T) u diag(s): exact for the
        # dense SVD, the rank-r summary's for the streaming one; g lies in span(U), so one
        # direction fewer survives
        g = (state["prev"] - theta0).double()
        x = u * s
        x = x - torch.outer(g, g @ x) / g.dot(g).clamp_min(1e-300)
        v = torch.linalg.svd(x, full_matrices=False)[0]
        out["basis_without_displacement"][length] = v[:, : min(d, s.numel() - 1)].float().cpu()

    def on_step(step: int, net: nn.Module) -> None:
        if step % every:
            return
        now = flatten(net)
        col = now - state["prev"]
        state["prev"] = now
        (state["cols"] if method == "dense" else state["pending"]).append(col)
        if method == "streaming" and len(state["pending"]) == block:
            svd.update(torch.stack(state["pending"], dim=1).double())
            state["pending"] = []
        if step in lengths:
            finish(step)

    train.train(
        trained,
        data,
        settings.replace(steps=lengths[-1]),
        eval_every=lengths[-1],
        progress=False,
        on_step=on_step,
    )
    out["theta_end"] = flatten(trained).cpu()
    return out
