"""A network trained with an output scale kappa: lazy for large kappa, rich for small (chapter 09).

Chizat, Oyallon and Bach (2019) scale a model h(theta) to kappa h and its loss to 1/kappa^2; as
kappa grows, gradient descent fits the data while the weights move by O(1/kappa), so the network
stays linear in its weights and training is kernel regression with the tangent kernel at the
start (the *lazy* regime). Small kappa forces the weights to move far (the *rich* regime).

We write it as a parametrisation of the shared trainer (:class:`~dofcourse.regimes.scaled.Scaled`):
with theta = theta_0 + w / kappa and f(w, x) = kappa (g(theta, x) - g(theta_0, x)), plain
gradient descent on w with the ordinary loss is exactly Chizat et al.'s scaled dynamics
(d theta/dt = -(1/kappa) J^T dl/df), and the output starts at 0 for every kappa. For kappa < 1 the
step must shrink with kappa (the network's curvature grows like 1/kappa), so member e steps at
lr * min(1, kappa_e).
Subtracting g(theta_0) keeps the random initial function out of the comparison.

:func:`kappa_runs` trains one member per kappa from one initialisation of a two-layer ReLU net
(``dofcourse.models.mlp``) and reports test accuracy, the change of the tangent kernel and the
relative distance moved; :func:`kappa_sweep` runs the cached grid over (init_seed, kappa).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from dofcourse import checks, experiment, models, train
from dofcourse.ensemble import train_members
from dofcourse.params import Functional, Layout, check_functional
from dofcourse.regimes.interpolants import _positives
from dofcourse.regimes.kernel import kernel_change, tangent_kernel
from dofcourse.regimes.scaled import Scaled, plain_gd
from dofcourse.settings import TrainSettings


def output_scaled(g: Functional) -> Functional:
    """f(theta_ext, x) = kappa (g(theta, x) - g(theta_0, x)) with theta_ext = (theta, kappa),
    D + 1 numbers; theta_0 = ``g.theta0``."""
    check_functional(g, "g")
    theta0 = g.theta0.detach()

    def fn(theta_ext: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return theta_ext[-1] * (g(theta_ext[:-1], x) - g(theta0, x))

    layout = Layout(("theta", "kappa"), (torch.Size([g.D]), torch.Size([1])))
    return Functional(fn, torch.cat([theta0, theta0.new_ones(1)]), layout, g.convolutional)


def kappa_members(g: Functional, kappas: Sequence[float]) -> Scaled:
    """One member per kappa, all from g's theta_0: theta = theta_0 + sqrt(min(1, kappa)) u / kappa
    (GD on u at rate lr is GD on w at rate lr min(1, kappa)); kappa rides along as a fixed value."""
    check_functional(g, "g")
    k = torch.tensor(_positives(kappas, "kappas"), dtype=g.dtype, device=g.device)
    anchor = g.theta0.detach()[None].repeat(len(k), 1)
    return Scaled(anchor, torch.sqrt(k.clamp(max=1.0)) / k, fixed=k[:, None])


def _per_init(points: list[dict], fixed: dict) -> list[list[dict]]:
    seeds = sorted({p["init_seed"] for p in points})
    return [[p for p in points if p["init_seed"] == s] for s in seeds]


@experiment.batched(axes=("init_seed", "kappa"), chunk=_per_init, sort_by=("init_seed", "kappa"))
def kappa_runs(points: list[dict], data: train.Data, hidden: int, settings: TrainSettings,
               n_kernel: int = 100) -> list[dict]:  # fmt: skip
    """Train the points of one init_seed together; per kappa: final training loss and accuracy,
    test accuracy, kernel change and distance on ``n_kernel`` test inputs, distance moved
    ||theta - theta_0|| / ||theta_0||."""
    plain_gd(settings)
    x = data.x_train
    n_classes = getattr(data, "n_classes", None) or int(data.y_train.max()) + 1
    model = models.build(models.mlp, tuple(x.shape[1:]), n_classes, hidden=(hidden,),
                         init_seed=points[0]["init_seed"], device=x.device)  # fmt: skip
    g = Functional.of_module(model)
    members = kappa_members(g, [p["kappa"] for p in points])
    run = train_members(output_scaled(g), members, data, settings, progress=False)
    thetas = members.theta(run.u.to(g.device))[:, :-1]
    probe = data.x_test[: checks.integer(n_kernel, "n_kernel", min=2)]
    k0 = tangent_kernel(g, g.theta0, probe)
    out = []
    for e in range(len(points)):
        change = kernel_change(k0, tangent_kernel(g, thetas[e], probe))
        moved = float(torch.linalg.norm(thetas[e] - g.theta0) / torch.linalg.norm(g.theta0))
        out.append({"loss": float(run.history.loss[e, -1]),
                    "train_acc": float(run.history.train_acc[e, -1]),
                    "test_acc": float(run.history.test_acc[e, -1]),
                    "kernel_change": change["change"], "kernel_distance": change["distance"],
                    "moved": moved, "diverged": bool(run.diverged[e])})  # fmt: skip
    return out


def kappa_sweep(data: train.Data, kappas: Sequence[float], init_seeds: Sequence[int], *,
                hidden: int = 256, settings: TrainSettings, n_kernel: int = 100,
                progress: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every (init_seed, kappa) for a two-layer ReLU net of width ``hidden`` on ``data`` (flat
    inputs): a cached table, one row per run (columns of :func:`kappa_runs`)."""
    seeds = checks.seeds(init_seeds, "init_seeds")
    kappas = _positives(kappas, "kappas")
    plain_gd(settings)
    hidden = checks.integer(hidden, "hidden", min=1)
    n_kernel = checks.integer(n_kernel, "n_kernel", min=2)
    x = getattr(data, "x_train", None)
    train.check_data(data, torch.float32, x.device if isinstance(x, torch.Tensor) else "cpu")
    return experiment.grid(kappa_runs, {"init_seed": seeds, "kappa": kappas}, data=data,
                           hidden=hidden, settings=settings, n_kernel=n_kernel,
                           progress=progress, desc="kappa sweep")  # fmt: skip
