"""Pruning masks over a flat parameter vector: which entries may be pruned, and which are.

A mask is a boolean vector over theta (D,) (``dofcourse.params``), or a stack (R, D) for R
replicas: True keeps an entry, False prunes it. Masks act functionally: a pruned network is
theta * mask, trained through the shared ensemble trainer (``ensemble.Free(theta0, mask)``), so
pruned weights get zero gradient and stay exactly zero.

* :func:`prunable` marks the entries that pruning may touch: the weights of convolutional and
  linear layers. Biases and normalisation parameters are never pruned (as open_lth).
* :func:`magnitude_prune` is one level of global magnitude pruning (open_lth's
  ``sparse_global``): among the prunable weights still kept, the ``ceil(fraction * remaining)``
  of smallest magnitude are pruned, all layers ranked together.
* :func:`random_like` is the random-pruning control: a random mask with the same number of kept
  weights in every layer as a given mask.
* :func:`density` is the fraction of prunable weights kept.

Taught in chapter 07.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import Tensor, nn

from dofcourse import checks
from dofcourse.params import Layout

PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable(model: nn.Module, ignore: Sequence[str] = ()) -> Tensor:
    """Boolean (D,) over the trainable parameters of ``model`` (``params.Layout`` order): True at
    the weights of linear and convolutional layers, except those named in ``ignore``
    (e.g. ``("4.weight",)`` to keep an output layer dense)."""
    _check_model(model)
    if isinstance(ignore, str):
        ignore = (ignore,)  # one name
    if not isinstance(ignore, Iterable) or not all(isinstance(n, str) for n in ignore):
        raise TypeError(f"ignore must be a sequence of weight names such as ('4.weight',), got "
                        f"{ignore!r:.60}")  # fmt: skip
    layout = Layout.of_module(model)
    weights = {f"{n}.weight" if n else "weight" for n, m in model.named_modules()
               if isinstance(m, PRUNABLE_TYPES)}  # fmt: skip
    unknown = set(ignore) - weights
    if unknown:
        raise ValueError(f"ignore names {sorted(unknown)}, which are not prunable weights; "
                         f"the prunable weights are {sorted(weights)}")  # fmt: skip
    keep = weights - set(ignore)
    if not keep:
        raise ValueError("the model has no prunable (linear or convolutional) weights")
    return torch.cat([torch.full((s,), n in keep) for n, s in zip(layout.names, layout.sizes,
                                                                 strict=True)])  # fmt: skip


def _check_model(model: nn.Module) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def layer_index(model: nn.Module) -> Tensor:
    """Int64 (D,): the index of the parameter tensor (``Layout.names``) each entry belongs to."""
    _check_model(model)
    sizes = torch.tensor(Layout.of_module(model).sizes)
    return torch.repeat_interleave(torch.arange(len(sizes)), sizes)


def _check_masks(
    mask: Tensor, prunable_: Tensor, theta: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """(mask, prunable) as boolean tensors (NumPy converted), prunable on the mask's device."""
    mask = checks.tensor(mask, "mask", ndim=(1, 2))
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a boolean tensor, got dtype {mask.dtype}")
    if theta is not None and theta.shape != mask.shape:
        raise ValueError(f"theta {tuple(theta.shape)} and mask {tuple(mask.shape)} differ")
    prunable_ = checks.tensor(prunable_, "prunable", ndim=1)
    if prunable_.dtype != torch.bool:
        raise TypeError(f"prunable must be a boolean tensor, got dtype {prunable_.dtype}")
    if prunable_.shape[0] != mask.shape[-1]:
        raise ValueError(
            f"mask has D = {mask.shape[-1]} entries per row but prunable has "
            f"{prunable_.shape[0]}: one of them belongs to another model"
        )
    if bool((~mask & ~prunable_.to(mask.device)).any()):
        raise ValueError("mask prunes entries that are not prunable (a bias or a norm)")
    return mask, prunable_.to(mask.device)


def density(mask: Tensor, prunable_: Tensor) -> Tensor:
    """Fraction of the prunable weights that ``mask`` keeps: a 0-d tensor, or (R,) for (R, D)."""
    mask, prunable_ = _check_masks(mask, prunable_)
    if not bool(prunable_.any()):
        raise ValueError("prunable marks no weight as prunable: a density of nothing is undefined")
    return (mask & prunable_).sum(-1) / prunable_.sum()


def n_to_prune(remaining: int, fraction: float) -> int:
    """ceil(fraction * remaining): the number of weights one pruning level removes."""
    remaining = checks.integer(remaining, "remaining", min=0)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0)
    return math.ceil(fraction * remaining - 1e-9)


def magnitude_prune(
    theta: Tensor, mask: Tensor, prunable_: Tensor, fraction: float = 0.2
) -> Tensor:
    """One level of global magnitude pruning; returns the new mask (same shape as ``mask``).

    ``theta`` (D,) or (R, D): the trained weights; ``mask``: boolean, same shape, the current
    mask; ``prunable_`` (D,): :func:`prunable`. In each row, exactly
    ``ceil(fraction * remaining)`` of the remaining prunable weights are pruned, those of smallest
    |theta| over all layers together; ties go to the lower index. (open_lth keeps weights
    *strictly* above the magnitude of the ``ceil``-th smallest, which prunes one more.)
    """
    theta = checks.tensor(theta, "theta", ndim=(1, 2), floating=True, finite=True)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    mask, prunable_ = _check_masks(mask, prunable_, theta)
    rows_theta, rows_mask = theta.reshape(-1, theta.shape[-1]), mask.reshape(-1, mask.shape[-1])
    out = rows_mask.clone()
    for r in range(len(rows_mask)):
        alive = rows_mask[r] & prunable_
        k = n_to_prune(int(alive.sum()), fraction)
        score = torch.where(
            alive, rows_theta[r].detach().abs(), torch.full_like(rows_theta[r], math.inf)
        )
        order = torch.argsort(score, stable=True)
        out[r, order[:k]] = False
    return out.reshape(mask.shape)


def random_like(mask: Tensor, prunable_: Tensor, layers: Tensor, seed: int) -> Tensor:
    """A random mask with as many kept weights in every layer as ``mask`` (per row of (R, D)).

    ``layers`` (D,): :func:`layer_index`. Within each layer the kept prunable entries are drawn
    uniformly from ``torch.Generator().manual_seed(seed)`` (row r uses ``seed + r``); entries that
    are not prunable stay kept. This is the random-pruning control of chapter 07.
    """
    mask, prunable_ = _check_masks(mask, prunable_)
    layers = checks.tensor(layers, "layers", ndim=1, floating=False)
    if layers.shape != prunable_.shape:
        raise ValueError(f"layers must have shape {tuple(prunable_.shape)}")
    seed = checks.seed(seed)
    rows = mask.reshape(-1, mask.shape[-1]).cpu()
    pr, lay = prunable_.cpu(), layers.cpu()
    out = torch.ones_like(rows)
    for r in range(len(rows)):
        gen = torch.Generator().manual_seed(seed + r)
        for layer in torch.unique(lay[pr]).tolist():
            where = torch.nonzero(pr & (lay == layer)).squeeze(1)
            kept = int(rows[r, where].sum())
            chosen = where[torch.randperm(len(where), generator=gen)[:kept]]
            out[r, where] = False
            out[r, chosen] = True
    return out.reshape(mask.shape).to(mask.device)
