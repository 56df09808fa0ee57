"""``train_members``: E members of one network trained together as one vectorised computation
(see the package text; chapters 01, 03, 05-08).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from dofcourse import checks
from dofcourse.divergence import BATCH_DIVERGENCE_FACTOR, DIVERGENCE_FACTOR, Monitor, warn
from dofcourse.ensemble.batches import _Batches
from dofcourse.ensemble.evaluate import (
    LOSSES,
    _Evaluator,
    _loss_fn,
    eval_chunk,
    members_outputs,
)
from dofcourse.ensemble.guard import StepGuard
from dofcourse.ensemble.members import EnsembleRun, Members
from dofcourse.feed import Data, check_data, check_model_fits
from dofcourse.params import Functional, check_functional
from dofcourse.settings import TrainSettings
from dofcourse.train import History


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
    eval_examples: int | None = None,
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

    ``eval_examples``: the training split's evaluations use a fixed subset of this many of its
    examples (drawn once, with seed 0) instead of all of them; training still draws its batches
    from all. Chapter 05's full mode decides success on 1,000 of its 4,000 images: with all of
    them, a Conv-2 run's eleven evaluations cost 80 % of its 200 training steps.

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
    target_acc, target_loss, eval_train = _check_options(
        net, members, settings, loss, target_acc, target_loss, eval_train, guard
    )
    device, dtype = net.device, net.dtype
    x, y, x_test, y_test = check_data(data, dtype, device, classification=loss == "cross_entropy")
    x_eval, y_eval = x, y
    if eval_examples is not None:
        keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
        keep = keep[: checks.integer(eval_examples, "eval_examples", min=1)].to(device)
        x_eval, y_eval = x[keep], y[keep]
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
    shared_logits = members_outputs(net, e)
    own_logits = members_outputs(net, e, shared=False)
    per_member = _loss_fn(loss)
    evaluate = _Evaluator(shared_logits, loss, eval_chunk(net))
    monitor = Monitor(e, dtype, device, step_factor, target_loss, target_acc)
    log = _Log()

    def record(step: int) -> None:
        """Evaluate, log, judge (divergence, targets) and report the members at ``step``."""
        with torch.no_grad():
            if eval_train:
                thetas = members.theta(u)
                l_tr, a_tr = evaluate(thetas, x_eval, y_eval)
                has_test = test and len(x_test)
                a_te = (
                    evaluate(thetas, x_test, y_test)[1] if has_test else l_tr.new_full((e,), np.nan)
                )
            else:
                l_tr = a_tr = a_te = torch.full((e,), np.nan, dtype=torch.float64)
                if test and len(x_test) and step > 0:
                    a_te = evaluate(members.theta(u), x_test, y_test)[1]
        log.add(step, l_tr, a_tr, a_te)
        if eval_train:
            monitor.at_evaluation(l_tr, a_tr)
        if on_eval is not None:
            on_eval(step, u.detach().clone())  # a copy: the live tensor keeps moving

    def batch_losses(xb: Tensor, yb: Tensor) -> Tensor:
        logits = shared_logits if batches.shared else own_logits
        return per_member(logits(members.theta(u), xb), yb)

    def checked_record(step: int) -> None:
        if guard_ is not None:  # a jump is undone before it is recorded (or judged)
            with torch.no_grad():
                guard_.undo_jumps(batch_losses(x, y), monitor.active, partial(batch_losses, x, y))
        record(step)

    start = time.perf_counter()
    record(0)
    guard_ = StepGuard(u, opt) if guard else None
    ones = torch.ones(e, dtype=dtype, device=device)
    done = 0
    bar = tqdm(range(1, settings.steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        if monitor.n_active == 0:
            break
        xb, yb = batches.next()
        losses = batch_losses(xb, yb)
        if guard_ is not None:
            losses = guard_.undo_jumps(losses, monitor.active, partial(batch_losses, xb, yb))
        losses = monitor.at_step(losses)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        before = u.detach().clone() if (guard_ is not None or monitor.n_active < e) else None
        opt.step()
        if before is not None:  # frozen members go back; the guard scales each member's step
            with torch.no_grad():
                s = (guard_.scale if guard_ is not None else ones) * monitor.active
                u.copy_(before + s[:, None] * (u - before))
            if guard_ is not None:
                guard_.accept(before, losses)
        done = step
        if step % every == 0 or step == settings.steps:
            checked_record(step)
            if progress:
                bar.set_postfix(
                    loss=f"{float(log.last_loss().mean()):.3g}", active=monitor.n_active
                )
    if log.steps[-1] != done:
        checked_record(done)
    seconds = time.perf_counter() - start
    warn(monitor.diverged.cpu().numpy(), "members", settings)
    hist = log.history(stopped_early=bool(monitor.stopped.all()), seconds=seconds)
    return EnsembleRun(
        u=u.detach().cpu(),
        history=hist,
        stopped=monitor.stopped.cpu().numpy(),
        diverged=monitor.diverged.cpu().numpy(),
        seconds=seconds,
    )


def _check_options(
    net: Functional,
    members: Members,
    settings: TrainSettings,
    loss: str,
    target_acc: float | None,
    target_loss: float | None,
    eval_train: bool,
    guard: bool,
) -> tuple[float | None, float | None, bool]:
    """train_members' arguments checked (one clear error each): (target_acc, target_loss,
    eval_train) as plain values."""
    checks.choice(loss, "loss", LOSSES)
    check_functional(net)
    if not all(callable(getattr(members, m, None)) for m in ("init", "theta")):
        raise TypeError(
            f"members must be a parametrisation with init() and theta(U) (ensemble.Free, "
            f"subspace.Affine), got {type(members).__name__}"
        )
    settings = checks.settings(settings)
    if target_acc is not None:
        target_acc = checks.real(target_acc, "target_acc", min=0.0, max=1.0)
    if target_loss is not None:
        target_loss = checks.real(target_loss, "target_loss", min=0.0)
    eval_train = checks.boolean(eval_train, "eval_train")
    if not eval_train and (target_acc is not None or target_loss is not None or guard):
        raise ValueError("target_acc, target_loss and guard need eval_train=True")
    return target_acc, target_loss, eval_train


class _Log:
    """The evaluations of a training: their steps and (E,) loss, train_acc, test_acc each."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: dict[str, list[Tensor]] = {"loss": [], "train_acc": [], "test_acc": []}

    def add(self, step: int, loss: Tensor, train_acc: Tensor, test_acc: Tensor) -> None:
        self.steps.append(step)
        for k, v in zip(self.values, (loss, train_acc, test_acc), strict=True):
            self.values[k].append(v.cpu())

    def last_loss(self) -> Tensor:
        return self.values["loss"][-1]

    def history(self, *, stopped_early: bool, seconds: float) -> History:
        """A :class:`~dofcourse.train.History` of (E, n_evaluations) arrays."""
        return History(
            step=np.array(self.steps),
            **{k: torch.stack(v, 1).numpy() for k, v in self.values.items()},
            stopped_early=stopped_early,
            seconds=seconds,
        )
