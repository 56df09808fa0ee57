"""The figures of chapter 07, drawn from its results (IMP runs, control and instability tables).

Each ``fig_*`` function returns a matplotlib Figure with a title and labelled axes; legends sit
beside or below the axes, never over the data. The chapter saves them with ``plotting.save``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from torch import Tensor, nn

from dofcourse import plotting
from dofcourse.connectivity import barrier
from dofcourse.params import Layout
from dofcourse.pruning.imp import ImpRun

TICKS = [100, 51.2, 26.2, 13.4, 6.9, 3.5, 1.8]  # 0.8**3n of the weights, in %


def weight_names(model: nn.Module) -> dict[str, str]:
    """Readable names of the weight matrices in ``layout`` order: ``"0.weight"`` ->
    ``"fc1 (784→300)"``, ``"conv1 (3→64)"``; the last linear layer is ``"out"``."""
    names, n_fc, n_conv = {}, 0, 0
    mods = dict(model.named_modules())
    layout = Layout.of_module(model)
    weights = [n for n in layout.names if n.endswith("weight")]
    for i, name in enumerate(weights):
        mod = mods[name.rpartition(".")[0]]
        if isinstance(mod, nn.Linear):
            n_fc += 1
            short = "out" if i == len(weights) - 1 else f"fc{n_fc}"
            names[name] = f"{short} ({mod.in_features}→{mod.out_features})"
        elif isinstance(mod, nn.Conv2d):
            n_conv += 1
            names[name] = f"conv{n_conv} ({mod.in_channels}→{mod.out_channels})"
        else:
            names[name] = name
    return names


def _density_axis(ax, lowest: float) -> None:
    ax.set_xscale("log")
    ax.invert_xaxis()
    ticks = [t for t in TICKS if t >= 100 * lowest - 1e-6]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()


def fig_one_level(model: nn.Module, trained: Tensor, mask: Tensor, keep: Tensor) -> Figure:
    """Histogram of |theta| per weight matrix of one trained network ``trained`` (D,), and the
    global cut of one pruning level (``mask`` (D,) after it; ``keep`` (D,) the prunable
    entries). The legend (below the axes) says what fraction each layer keeps."""
    layout = Layout.of_module(model)
    w, m = layout.unflatten(trained), layout.unflatten(mask)
    names = weight_names(model)
    cut = trained[keep & ~mask].abs().max().item()
    mags = trained[keep].abs()
    bins = np.logspace(np.log10(mags[mags > 0].min().item()), np.log10(mags.max().item()), 60)
    fig, ax = plt.subplots(figsize=(9, 5.2))
    for name, label in names.items():
        values = w[name].abs().flatten().cpu().numpy()
        kept = m[name].float().mean().item()
        share = np.full(len(values), 1 / len(values))
        ax.hist(values, bins=bins, histtype="step", lw=2, weights=share,
                label=f"{label}: {len(values):,} weights, keeps {kept:.0%}")  # fmt: skip
    ax.axvline(cut, color="k", ls="--", lw=1.5, label=f"global cut |θ| = {cut:.3f}")
    ax.set_xscale("log")
    ax.set_xlim(left=1e-4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=11)
    plotting.label(ax, "One level of global pruning of the trained network",
                   "weight magnitude |θ| (log scale)",
                   "fraction of the layer's weights")  # fmt: skip
    return fig


def fig_imp_curves(
    runs: Mapping[int, ImpRun],
    controls: pd.DataFrame,
    dense_acc: np.ndarray,
    shown: Sequence[int],
    k_main: int,
    data_name: str,
) -> Figure:
    """Test accuracy (mean ± std over replicas) against the weights remaining: the IMP tickets
    of the rewind steps ``shown``, the two controls (table of ``pruning.controls``, rewound to
    ``k_main``) and the dense network (``dense_acc`` (R,))."""
    fig, ax = plt.subplots(figsize=(11, 6))
    colors = ["#0072B2", "#009E73", "#56B4E9"]
    for (k, r), color in zip(((k, runs[k]) for k in shown), colors, strict=False):
        acc = r.test_acc
        plotting.band(ax, 100 * r.density, acc.mean(1), acc.mean(1) - acc.std(1),
                      acc.mean(1) + acc.std(1), label=f"IMP ticket, rewind k = {k}",
                      color=color)  # fmt: skip
    for name, color, text in (("random_mask", "#D55E00", "random mask"),
                              ("reinit", "#CC79A7", "IMP mask, random re-init")):  # fmt: skip
        g = controls[controls.control == name].groupby("level")
        dens, mean, std = 100 * g.density.first(), g.test_acc.mean(), g.test_acc.std()
        plotting.band(ax, dens, mean, mean - std, mean + std,
                      label=f"control: {text} (k = {k_main})", color=color)  # fmt: skip
    ax.axhline(dense_acc.mean(), color="k", ls="--", lw=1.5, label="dense network")
    _density_axis(ax, min(r.density[-1] for r in runs.values()))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=11)
    plotting.label(ax, f"IMP on {data_name}: tickets keep (and beat) dense accuracy; controls fall",
                   "weights remaining (%)", "test accuracy (mean ± std over seeds)")  # fmt: skip
    return fig


def fig_instability(
    inst: Mapping[float, pd.DataFrame],
    tickets: Mapping[int, np.ndarray],
    dense_acc: float,
    ticket_label: str,
) -> Figure:
    """Left: the error barrier (mean, min–max over replicas) against the rewind step k for each
    learning rate (tables of ``connectivity.instability_vs_k``), with Frankle et al.'s 2 % line.
    Right: the test accuracy of IMP tickets (R,) rewound to each k against the dense network."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 6.2), width_ratios=(3, 2))
    for (lr, table), color in zip(inst.items(), ["#0072B2", "#D55E00"], strict=False):
        g = table.groupby("k").barrier
        ks = np.array(sorted(table.k.unique()))
        plotting.band(ax, ks + 1, g.mean(), g.min(), g.max(), label=f"lr = {lr}", color=color)
    ax.axhline(0.02, color="gray", ls=":", lw=1.5, label="2 % (Frankle et al.'s 'stable')")
    ax.set_xscale("log")
    ax.set_xticks(ks + 1, [str(k) for k in ks])
    ax.minorticks_off()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=11)
    plotting.label(ax, r"Instability of the dense network: two copies from $\theta_k$",
                   "rewind step k (log scale)", "test error barrier (mean, min–max)")  # fmt: skip
    kt = np.array(sorted(tickets))
    acc = np.array([tickets[k] for k in kt])
    plotting.band(ax2, kt + 1, acc.mean(1), acc.min(1), acc.max(1), label=ticket_label,
                  color="#009E73")  # fmt: skip
    ax2.axhline(dense_acc, color="k", ls="--", lw=1.5, label="dense network")
    ax2.set_xscale("log")
    ax2.set_xticks(kt + 1, [str(k) for k in kt])
    ax2.minorticks_off()
    ax2.set_ylim(min(acc.min(), dense_acc) - 0.02, max(acc.max(), dense_acc) + 0.02)
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=11)
    plotting.label(ax2, "Tickets against the rewind step", "rewind step k (log scale)",
                   "test accuracy (mean, min–max)")  # fmt: skip
    fig.tight_layout()
    return fig


def fig_linear_path(rows: Sequence[tuple[pd.Series, str, str]], replica: int) -> Figure:
    """Test error and loss along the line between two copies, for each (row of an
    ``instability_vs_k`` table, label, colour) in ``rows``. The straight dotted line joins each
    curve's ends; the legend gives the error barrier (Frankle et al.: the maximum minus the mean
    of the ends) and the loss *bump* (the most the curve rises above that dotted line)."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.4))
    for j, what in enumerate(("error", "loss")):
        ax = axes[j]
        for row, text, color in rows:
            curve = row[what][0]
            ends = (1 - row.alphas) * curve[0] + row.alphas * curve[-1]
            value = barrier(curve) if what == "error" else float(np.max(curve - ends))
            name = "error barrier" if what == "error" else "bump above the line"
            ax.plot(row.alphas, curve, marker="o", color=color,
                    label=f"{text}: {name} {value:.3f}")  # fmt: skip
            ax.plot(row.alphas, ends, color=color, ls=":", lw=1.2)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=11)
        plotting.label(ax, f"Test {what} between two copies (replica {replica})",
                       "α (0 = copy 1, 1 = copy 2)", f"test {what}")  # fmt: skip
    fig.tight_layout()
    return fig


def fig_layer_density(run: ImpRun, per_layer: np.ndarray, names: Sequence[str]) -> Figure:
    """The fraction of its own weights each weight matrix keeps (``per_layer`` (L+1, layers))
    against the fraction of all prunable weights (``run.density``), log-log."""
    fig, ax = plt.subplots(figsize=(9, 5.2))
    for j, n in enumerate(names):
        ax.plot(100 * run.density, 100 * per_layer[:, j], marker="o", label=n)
    ax.plot(100 * run.density, 100 * run.density, color="k", ls="--", lw=1.5, label="all layers")
    ax.set_yscale("log")
    _density_axis(ax, run.density[-1])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=11)
    plotting.label(ax, "Global pruning prunes the big first layer hardest",
                   "weights remaining overall (%)",
                   "weights remaining in the layer (%)")  # fmt: skip
    return fig
