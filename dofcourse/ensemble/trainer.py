"""``train_members``: E members of one network trained together as one vectorised computation
(see the package text; chapters 01, 03, 05-08).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.func import vmap
from tqdm.auto import tqdm

from dofcourse import checks
from dofcourse.ensemble.batches import _Batches
from dofcourse.ensemble.evaluate import (
    LOSSES,
    _Evaluator,
    _loss_fn,
    _members_on_shared_batch,
)
from dofcourse.ensemble.members import EnsembleRun, Members
from dofcourse.params import Functional, check_functional
from dofcourse.settings import TrainSettings
from dofcourse.train import (
    BATCH_DIVERGENCE_FACTOR,
    DIVERGENCE_FACTOR,
    Data,
    History,
    check_data,
    check_model_fits,
)


def train_members(
    net: Functional,
    members: Members,
    data: Data,
    settings: TrainSettings,
    *,
    loss: str = "cross_entropy",
    order_seeds: Sequence[int] | None = None,
    pools: Sequence[Tensor] | None = None,
    eval_every: int | None = None,
    test: bool = True,
    eval_train: bool = True,
    target_acc: float | None = None,
    target_loss: float | None = None,
    guard: bool = False,
    on_eval: Callable[[int, Tensor], None] | None = None,
    progress: bool = True,
    desc: str = "ensemble",
) -> EnsembleRun:
    """Train the E ``members`` of the network ``net`` on ``data`` together (see the module text).

    Evaluations (loss and accuracy on the whole training split, and test accuracy if ``test``)
    are made at step 0, every ``eval_every`` steps (default: only at the end) and at the end; a
    member whose training loss reaches ``target_loss`` or accuracy ``target_acc`` there stops
    (its coordinates are frozen), and training ends when all have stopped. ``on_eval(step, U)``
    is called after each evaluation (trajectories, checkpoints).

    ``eval_train=False`` skips the training split: the evaluations then measure the test split
    only, and not at step 0 (``loss`` and ``train_acc`` are NaN in the history, as is
    ``test_acc`` at step 0). For trainings whose only result is the final test accuracy (IMP
    levels, chapters 07 and 08: the two training-set evaluations cost as much as 60 steps). The
    divergence monitor then watches every mini-batch loss against the first batch's.

    ``guard`` (full-batch only; chapter 01's quartic losses have no global step-size limit) gives
    every member its own step scale: a step after which its loss more than doubled is undone, its
    scale halved and its momentum cleared; the scale then grows back by 1 % a step up to 1. A jump
    in the step before an evaluation is undone before the evaluation, so the history, the
    divergence test and the final coordinates never see a step the guard would undo.

    A member diverges when its loss becomes non-finite or exceeds ``DIVERGENCE_FACTOR`` times its
    start, at an evaluation or at any step (a mini-batch's loss: ``BATCH_DIVERGENCE_FACTOR``), so
    a loss that exploded and fell back to chance between evaluations is caught; it is frozen at
    its last good point, flagged in ``diverged`` and counted in a warning.
    """
    checks.choice(loss, "loss", LOSSES)
    check_functional(net)
    if not all(callable(getattr(members, m, None)) for m in ("init", "theta")):
        raise TypeError(
            f"members must be a parametrisation with init() and theta(U) (ensemble.Free, "
            f"subspace.Affine), got {type(members).__name__}"
        )
    if not isinstance(settings, TrainSettings):
        raise TypeError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    device, dtype = net.device, net.dtype
    if target_acc is not None:
        target_acc = checks.real(target_acc, "target_acc", min=0.0, max=1.0)
    if target_loss is not None:
        target_loss = checks.real(target_loss, "target_loss", min=0.0)
    eval_train = checks.boolean(eval_train, "eval_train")
    if not eval_train and (target_acc is not None or target_loss is not None or guard):
        raise ValueError("target_acc, target_loss and guard need eval_train=True")
    x, y, x_test, y_test = check_data(data, dtype, device, classification=loss == "cross_entropy")
    every = (
        settings.steps if eval_every is None else checks.integer(eval_every, "eval_every", min=1)
    )
    u = members.init().detach().to(device=device, dtype=dtype).requires_grad_(True)
    e = u.shape[0]
    with torch.no_grad():  # one forward pass on two examples: a shape mismatch fails here
        first = members.theta(u)[0]
    classes = loss == "cross_entropy"
    check_model_fits(lambda xb: net.fn(first, xb), x, y if classes else None,
                     y_test=y_test if classes else None)  # fmt: skip
    batches = _Batches(x, y, e, settings, order_seeds, pools, device)
    full_batch = batches.shared and settings.is_full_batch(len(x))
    if guard and not full_batch:
        raise ValueError("guard=True needs full-batch training with one shared order")
    step_factor = DIVERGENCE_FACTOR if full_batch else BATCH_DIVERGENCE_FACTOR
    opt = settings.optimizer_for([u])
    shared_logits = _members_on_shared_batch(net, e)
    own_logits = vmap(net.fn, in_dims=(0, 0))
    per_member = _loss_fn(loss)
    evaluate = _Evaluator(shared_logits, loss)

    steps_log: list[int] = []
    log: dict[str, list[Tensor]] = {"loss": [], "train_acc": [], "test_acc": []}
    active = torch.ones(e, dtype=torch.bool, device=device)
    state = {"n_active": e}
    stopped = torch.zeros(e, dtype=torch.bool, device=device)
    diverged = torch.zeros(e, dtype=torch.bool, device=device)
    scale = torch.ones(e, dtype=dtype, device=device)
    start_loss: Tensor | None = None

    def record(step: int) -> None:
        nonlocal start_loss
        if not eval_train:
            nan = torch.full((e,), np.nan, dtype=torch.float64)
            te = nan
            if test and len(x_test) and step > 0:
                with torch.no_grad():
                    te = evaluate(members.theta(u), x_test, y_test)[1].cpu()
            steps_log.append(step)
            for k, v in zip(log, (nan, nan, te), strict=True):
                log[k].append(v)
            if on_eval is not None:
                on_eval(step, u.detach().clone())
            return
        with torch.no_grad():
            thetas = members.theta(u)
            l_tr, a_tr = evaluate(thetas, x, y)
            a_te = (
                evaluate(thetas, x_test, y_test)[1]
                if test and len(x_test)
                else torch.full_like(l_tr, np.nan)
            )
        steps_log.append(step)
        for k, v in zip(log, (l_tr, a_tr, a_te), strict=True):
            log[k].append(v.cpu())
        if start_loss is None:
            start_loss = l_tr.to(dtype)
        bad = ~(l_tr.to(dtype) <= DIVERGENCE_FACTOR * start_loss.clamp_min(1e-3)) & active
        diverged.logical_or_(bad)
        reached = torch.zeros_like(active)
        if target_loss is not None:
            reached |= l_tr <= target_loss
        if target_acc is not None:
            reached |= a_tr >= target_acc
        stopped.logical_or_(reached & active & ~bad)
        active.logical_and_(~(bad | reached))
        state["n_active"] = int(active.sum())  # one sync per evaluation, not per step
        if on_eval is not None:
            on_eval(step, u.detach().clone())  # a copy: the live tensor keeps moving

    def batch_losses(xb: Tensor, yb: Tensor) -> Tensor:
        logits = shared_logits if batches.shared else own_logits
        return per_member(logits(members.theta(u), xb), yb)

    def undo_jumps(losses: Tensor, xb: Tensor, yb: Tensor) -> Tensor:
        """guard: undo the last step of each active member whose loss more than doubled."""
        with torch.no_grad():
            worse = ~(losses <= 2 * prev_loss + 1e-12) & active
        if not bool(worse.any()):
            return losses
        assert prev is not None  # the guard keeps the last parameters
        with torch.no_grad():
            u[worse] = prev[worse]
            scale[worse] /= 2
            buf = opt.state.get(u, {}).get("momentum_buffer")
            if buf is not None:
                buf[worse] = 0
        return batch_losses(xb, yb)

    def checked_record(step: int) -> None:
        if guard:  # a jump is undone before it is recorded (or judged as divergence)
            with torch.no_grad():
                undo_jumps(batch_losses(x, y), x, y)
        record(step)

    start = time.perf_counter()
    record(0)
    prev = u.detach().clone() if guard else None
    prev_loss = torch.full((e,), float("inf"), dtype=dtype, device=device)
    done = 0
    limit: Tensor | None = None  # the per-member loss a step must stay under (from start_loss)
    bar = tqdm(range(1, settings.steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        if state["n_active"] == 0:
            break
        xb, yb = batches.next()
        losses = batch_losses(xb, yb)
        if guard:
            losses = undo_jumps(losses, xb, yb)
        with torch.no_grad():  # non-finite, or far above its start (NaN fails the <=)
            if limit is None:
                if start_loss is None:  # eval_train=False: the first batch's losses
                    start_loss = torch.where(losses.isfinite(), losses, 1.0).detach()
                limit = step_factor * start_loss.clamp_min(1e-3)
            fine = bool((losses <= limit).all())  # one test and one sync in the usual case
            blown = None if fine else ~(losses <= limit) & active
        if blown is not None and bool(blown.any()):
            diverged.logical_or_(blown)
            active.logical_and_(~blown)
            state["n_active"] = int(active.sum())
            losses = torch.where(blown, torch.zeros_like(losses), losses)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        before = u.detach().clone() if (guard or state["n_active"] < e) else None
        opt.step()
        if before is not None:
            with torch.no_grad():
                s = (scale if guard else torch.ones_like(scale)) * active
                u.copy_(before + s[:, None] * (u - before))
            if guard:
                prev, prev_loss = before, losses.detach()
                scale.mul_(1.01).clamp_(max=1.0)
        done = step
        if step % every == 0 or step == settings.steps:
            checked_record(step)
            if progress:
                bar.set_postfix(
                    loss=f"{float(log['loss'][-1].mean()):.3g}", active=state["n_active"]
                )
    if steps_log[-1] != done:
        checked_record(done)
    seconds = time.perf_counter() - start
    if bool(diverged.any()):
        warnings.warn(
            f"{int(diverged.sum())} of {e} members diverged (loss non-finite or more than "
            f"{DIVERGENCE_FACTOR:g}x its start) and were stopped; lower lr={settings.lr:g}",
            stacklevel=2,
        )
    hist = History(
        step=np.array(steps_log),
        loss=torch.stack(log["loss"], 1).numpy(),
        train_acc=torch.stack(log["train_acc"], 1).numpy(),
        test_acc=torch.stack(log["test_acc"], 1).numpy(),
        stopped_early=bool(stopped.all()),
        seconds=seconds,
    )
    return EnsembleRun(
        u=u.detach().cpu(),
        history=hist,
        stopped=stopped.cpu().numpy(),
        diverged=diverged.cpu().numpy(),
        seconds=seconds,
    )
