"""Starting points of lottery tickets: replicas' initialisations and rewind points.

A ticket starts from theta_k: the dense network after k steps of ordinary training (k = 0 is the
initialisation theta_0). Frankle et al. (2020) call resetting to theta_k with k > 0 *rewinding*.
R replicas (different ``init_seeds``) move together as one vectorised ensemble
(``ensemble.train_members``), each with its own mini-batch order and, for chapter 08's
pre-training on a diet, its own pool of training examples.

:func:`fit` is the one way this package trains sparse or dense members: starting points (M, D),
optional boolean masks (M, D), per-member orders and pools. Taught in chapter 07.
"""

from __future__ import annotations

import copy
import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from dofcourse import checks, divergence, ensemble, experiment, models, train
from dofcourse.data import Dataset
from dofcourse.params import Functional, flatten
from dofcourse.settings import TrainSettings
from dofcourse.train import History


def network(data: Dataset) -> nn.Module:
    """The dense network theta_0 of chapters 07 and 08, on ``data``'s device: Conv-2 on CIFAR-10
    (Frankle & Carbin's small convolutional network), LeNet-300-100 (784-300-100-10, their fully
    connected one) on anything else; initialised from ``init_seed`` 0 (``models.build``: the
    caller's random state is left as it was). Chapter 07."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a dofcourse Dataset, got {type(data).__name__}")
    if data.name.startswith("cifar"):
        return models.build(models.conv2, data.input_shape, data.n_classes, init_seed=0,
                            device=data.device)  # fmt: skip
    return models.build(models.mlp, data.input_shape, data.n_classes, hidden=(300, 100),
                        init_seed=0, device=data.device)  # fmt: skip


def initial_points(model: nn.Module, init_seeds: Sequence[int]) -> Tensor:
    """Theta_0 (R, D) of ``model``'s architecture for each seed (on ``model``'s device).

    Each replica is a copy of ``model`` on the CPU whose layers are re-initialised
    (``reset_parameters``) from the seed (``models.build``): the same seed gives the same network
    on every device, and the global random state is left as it was.
    """
    _check_model(model)
    seeds = checks.seeds(init_seeds, "init_seeds")
    device = flatten(model).device
    for mname, m in model.named_modules():
        owned = [n for n, _ in m.named_parameters(recurse=False)]
        if owned and not callable(getattr(m, "reset_parameters", None)):
            raise ValueError(
                f"initial_points draws each replica by calling reset_parameters() on every "
                f"layer, but {type(m).__name__} {mname or '(the model)'} holds parameters "
                f"{', '.join(owned)} and has no reset_parameters: every replica would share "
                f"them. Give {type(m).__name__} a reset_parameters method"
            )
    cpu = copy.deepcopy(model).cpu()
    out = [flatten(models.build(_reinitialised, cpu, init_seed=s)) for s in seeds]
    return torch.stack(out).to(device)


def _reinitialised(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose layers are re-initialised (``reset_parameters``)."""
    clone = copy.deepcopy(model)
    for m in clone.modules():
        owns = next(m.parameters(recurse=False), None) is not None
        if (m is not clone or owns) and hasattr(m, "reset_parameters"):
            m.reset_parameters()
    return clone


def _check_model(model: nn.Module) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def check_pools(pools: Sequence[Tensor] | None) -> list[Tensor] | None:
    """None, or ``pools`` as a list of 1-D integer index tensors (NumPy converted), one per
    member; their range is checked against the data by the trainer."""
    if pools is None:
        return None
    if isinstance(pools, str | bytes) or not isinstance(pools, Iterable):
        raise TypeError(f"pools must be a list of index tensors, one per member, got {pools!r:.50}")
    out = [checks.tensor(p, f"pools[{i}]", ndim=1, floating=False) for i, p in enumerate(pools)]
    if not out:
        raise ValueError("pools must not be empty (None: every member sees all the data)")
    return out


def check_start(model: nn.Module, start: Tensor, name: str = "start") -> Tensor:
    """``start`` as a float (M, D) tensor with D the parameter count of ``model``; NaN or inf
    entries are refused (a network cannot start there)."""
    _check_model(model)
    if not isinstance(name, str):
        raise TypeError(f"name must be the argument's name (a str), got {name!r:.60}")
    start = checks.tensor(start, name, ndim=2, floating=True)
    D = flatten(model).numel()
    if start.shape[1] != D:
        raise ValueError(
            f"{name} must have shape (M, {D}) for this model, got {tuple(start.shape)}"
        )
    bad = ~torch.isfinite(start).all(1)
    if bool(bad.any()):
        rows = torch.nonzero(bad).squeeze(1).tolist()
        raise ValueError(f"{name} has NaN or inf entries in row(s) {rows[:10]}: a network cannot "
                         "start there")  # fmt: skip
    return start


def fit(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    start: Tensor,
    mask: Tensor | None = None,
    **options: Any,
) -> tuple[Tensor, History]:
    """Train M members of ``model``'s architecture from ``start`` (M, D) under boolean ``mask``
    (M, D) or (D,) (None: dense) as one ensemble; their final thetas (M, D, on the CPU, pruned
    entries exactly 0) and the ensemble's :class:`~dofcourse.train.History`. ``options`` are
    :func:`fit_flagged`'s keywords: ``order_seeds``, ``pools``, ``progress``, ``desc``.

    Raises :class:`~dofcourse.train.TrainingDiverged` when a member diverged (the ensemble's
    divergence monitor): its weights would mean nothing. The package's grids flag such runs
    instead (a ``diverged`` column) and report no accuracy for them. Chapter 07."""
    theta, hist, diverged = fit_flagged(model, data, settings, start, mask, **options)
    if diverged.any():
        raise divergence.error(diverged, "members", settings)
    return theta, hist


def fit_flagged(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    start: Tensor,
    mask: Tensor | None = None,
    *,
    order_seeds: Sequence[int] | None = None,
    pools: Sequence[Tensor] | None = None,
    eval_train: bool = True,
    progress: bool = True,
    desc: str = "members",
) -> tuple[Tensor, History, np.ndarray]:
    """:func:`fit` for the grids of chapters 07 and 08: also returns ``diverged`` (M,) boolean
    (the ensemble's divergence monitor; such a member is frozen at its last good point) and
    raises nothing. ``eval_train=False``: only the test split is evaluated (see
    ``ensemble.train_members``)."""
    start = check_start(model, start)
    net = Functional.of_module(model)
    start = start.detach().to(device=net.device, dtype=net.dtype)
    if mask is not None:
        mask = checks.tensor(mask, "mask", ndim=(1, 2))
        if mask.dtype != torch.bool:
            raise TypeError(f"mask must be a boolean tensor, got dtype {mask.dtype}")
    if order_seeds is not None:
        order_seeds = checks.seeds(order_seeds, "order_seeds")
    pools = check_pools(pools)
    members = ensemble.Free(start, None if mask is None else mask.to(net.device))
    with warnings.catch_warnings():  # divergence is returned as a flag (and warned by the caller)
        warnings.filterwarnings("ignore", message=r".*members diverged")
        run = ensemble.train_members(net, members, data, settings, order_seeds=order_seeds,
                                     pools=pools, eval_train=eval_train, progress=progress,
                                     desc=desc)  # fmt: skip
    theta = members.theta(run.u.to(net.device)).detach().cpu()
    return theta, run.history, np.asarray(run.diverged, dtype=bool)


def accuracy_rows(history: History, diverged: np.ndarray) -> list[dict]:
    """One row per member of a grid point: its final ``test_acc`` (NaN where it diverged) and
    ``diverged`` (chapters 07 and 08's batched trainings)."""
    acc = np.where(diverged, np.nan, history.test_acc[:, -1])
    return [{"test_acc": float(a), "diverged": bool(d)} for a, d in zip(acc, diverged, strict=True)]


def warned(cached: Callable[..., dict], what: str) -> Callable[..., dict]:
    """The public face of a cached function whose result holds a ``diverged`` flag (chapters 07
    and 08): the same call, then ``divergence.warn`` about ``what`` on every call, from the
    cache too. Its name is ``cached``'s without the leading underscore; its signature, type hints
    and docstring are ``cached``'s."""
    signature = inspect.signature(cached)

    @functools.wraps(cached)
    def public(*args: Any, **kwargs: Any) -> dict:  # ``cached``'s signature, by __wrapped__
        out = cached(*args, **kwargs)
        settings = signature.bind(*args, **kwargs).arguments["settings"]
        divergence.warn(out["diverged"], what, settings)
        return out

    public.__name__ = cached.__name__.lstrip("_")
    public.__qualname__ = cached.__qualname__.lstrip("_")
    return public


@experiment.cached
def rewind_points(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    theta0: Tensor,
    order_seeds: Sequence[int] | None = None,
    pools: Sequence[Tensor] | None = None,
    progress: bool = True,
) -> Tensor:
    """Theta_k (R, D, CPU): the dense networks theta0 (R, D) after ``settings.steps`` = k steps.

    ``order_seeds`` gives each replica its mini-batch order; ``pools`` (one index tensor per
    replica) restricts each replica to a subset of the training data (chapter 08's pre-training
    on a diet). Cached; a replica that diverged raises ``TrainingDiverged`` (nothing is stored).
    """
    theta0 = check_start(model, theta0, "theta0")
    theta, _, diverged = fit_flagged(model, data, settings, theta0, order_seeds=order_seeds,
                                     pools=pools, eval_train=False, progress=progress,
                                     desc="rewind")  # fmt: skip
    if diverged.any():
        raise divergence.error(diverged, "rewind points", settings)
    return theta


def chunk_size(data: train.Data) -> int:
    """Members per ensemble for the grids of chapters 07 and 08: 12 on a CPU, where a
    LeNet-300-100 step costs least per member at about 8-16 members (measured: 6.1, 4.2, 3.7 and
    5.1 ms of CPU per member and step at 1, 3, 11 and 33 members; more spill out of the caches),
    64 on a GPU."""
    x = getattr(data, "x_train", None)
    return 64 if isinstance(x, Tensor) and x.device.type != "cpu" else 12


def even_parts(items: list, most: int) -> list[list]:
    """``items`` cut into the fewest runs of at most ``most``, of sizes as equal as possible."""
    if not items:
        return []
    n = -(-len(items) // most)
    size, extra = divmod(len(items), n)
    cuts = np.cumsum([0] + [size + (i < extra) for i in range(n)])
    return [items[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def replica_seeds(settings: TrainSettings, n: int) -> list[int]:
    """Mini-batch order of each of n replicas: ``settings.order_seed + r``."""
    checks.settings(settings)
    n = checks.integer(n, "n", min=0)
    if n and settings.order_seed + n - 1 > checks.MAX_SEED:
        raise ValueError(
            f"settings.order_seed={settings.order_seed} leaves no room for the order seeds of "
            f"{n} replicas (order_seed + r, r < {n}, must be at most 2**63-1): use a smaller "
            "order_seed"
        )
    return [settings.order_seed + r for r in range(n)]


def start_points(
    model: nn.Module, data: train.Data, settings: TrainSettings, init_seeds: Sequence[int], k: int
) -> Tensor:
    """Theta_k (R, D) for the replicas ``init_seeds``: theta_0 if k = 0, else :func:`rewind_points`
    after k steps of ``settings`` (replica r in the order of :func:`replica_seeds`). Chapter 07's
    IMP runs and instability analysis share these points (and their cache entries)."""
    checks.settings(settings)
    k = checks.integer(k, "k", min=0)
    theta0 = initial_points(model, init_seeds)
    if k == 0:
        return theta0
    seeds = replica_seeds(settings, len(theta0))
    return rewind_points(
        model, data, settings.replace(steps=k), theta0, order_seeds=seeds, progress=False
    )
