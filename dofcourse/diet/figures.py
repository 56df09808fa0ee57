"""The figures of chapter 08, drawn from its results (scores, subsets, tickets by start).

Each ``fig_*`` function returns a matplotlib Figure with a title and labelled axes; legends and
labels sit beside the data, never over it. The chapter saves them with ``plotting.save``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from dofcourse import plotting

# one hue per kind of start (Okabe-Ito; easiest and hardest far apart), one marker per size
COLORS = {"k": "#000000", "full": "#0072B2", "random": "#009E73", "easiest": "#E69F00",
          "hardest": "#CC79A7"}  # fmt: skip
MARKERS = ["o", "s", "^", "D", "v", "P"]


def kind_of(name: str) -> str:
    """The kind of a start from its name: "k", "full", "random", "easiest" or "hardest"."""
    return name.split(" ")[0]


def fig_el2n_grand(el2n: Tensor, grand: Mapping[int, Tensor], rho: Mapping[int, float],
                   score_step: int) -> Figure:  # fmt: skip
    """GraNd at each time t (n,) against EL2N (n,) of the same examples, one panel per t."""
    fig, axes = plt.subplots(1, len(grand), figsize=(6.5 * len(grand), 4.8))
    for ax, (t, g) in zip(np.atleast_1d(axes), grand.items(), strict=True):
        ax.scatter(el2n, g, s=6, alpha=0.4)
        plotting.label(ax, f"GraNd at t = {t} vs EL2N (Spearman ρ = {rho[t]:.2f})",
                       f"EL2N at t = {score_step}", f"GraNd at t = {t}")  # fmt: skip
    fig.tight_layout()
    return fig


def fig_easiest_hardest(x: Tensor, y: Tensor, scores: Tensor, n: int = 10) -> Figure:
    """The ``n`` easiest (top row) and hardest (bottom row) training images ``x`` (N, C, H, W)
    by ``scores`` (N,), titled with their label ``y`` and score."""
    order = torch_argsort(scores)
    fig, axes = plt.subplots(2, n, figsize=(1.5 * n, 4.4), layout="constrained")
    for row, (idx, kind) in enumerate(((order[:n], "easiest"), (order[::-1][:n], "hardest"))):
        for ax, i in zip(axes[row], idx.tolist(), strict=True):
            img = x[i].cpu().permute(1, 2, 0)  # (H, W, C)
            img = (img - img.min()) / (img.max() - img.min())
            ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray_r")
            ax.set_title(f"y={int(y[i])}\n{float(scores[i]):.2f}", fontsize=11)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(kind, fontsize=13)
    fig.suptitle(f"The {n} easiest (top) and hardest (bottom) training examples by EL2N "
                 "(label, score)")  # fmt: skip
    return fig


def torch_argsort(scores: Tensor) -> np.ndarray:
    """Indices that sort ``scores`` ascending (a NumPy array, stable)."""
    return np.argsort(scores.detach().cpu().numpy(), kind="stable")


def fig_score_stability(rho_k: Mapping[int, float], rho_t: Mapping[int, float],
                        score_step: int) -> Figure:  # fmt: skip
    """Spearman rho with an independent ranking against the number of networks K (left) and
    against the training time t of the scores (right)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 4.8), sharey=True)
    ax1.plot(list(rho_k), list(rho_k.values()), marker="o")
    plotting.label(ax1, "More networks, steadier ranking", "networks K averaged",
                   "Spearman ρ with an independent K = 10")  # fmt: skip
    ax2.plot(list(rho_t), list(rho_t.values()), marker="o", color="#D55E00")
    ax2.axvline(score_step, color="gray", ls=":", lw=1.5, label=f"reference t = {score_step}")
    ax2.legend(loc="lower center")
    plotting.label(ax2, "Rankings drift with training time",
                   "training steps t of the K = 10 networks", "Spearman ρ")  # fmt: skip
    return fig


def fig_data_pruning(acc: Mapping[tuple[str, float], np.ndarray], keep: Sequence[float]) -> Figure:
    """Test accuracy (mean, min–max over seeds) of networks trained on the hardest x % by EL2N
    and on a random x %, against x (``acc[(kind, x)]`` (seeds,), x in ``keep`` and 1.0)."""
    fig, ax = plt.subplots(figsize=(9, 5))
    xs = list(keep) + [1.0]
    for kind, color in (("hardest", "#D55E00"), ("random", "#0072B2")):
        a = np.array([acc[(kind, f)] for f in xs])
        plotting.band(ax, 100 * np.array(xs), a.mean(1), a.min(1), a.max(1),
                      label="hardest x % by EL2N" if kind == "hardest" else "random x %",
                      color=color)  # fmt: skip
    ax.legend(loc="lower right")
    plotting.label(ax, "Data pruning: keep the hardest, or a random part?",
                   "training examples kept, x (%)", "test accuracy (mean, min–max)")  # fmt: skip
    return fig


def fig_diet_tickets(final: Mapping[str, np.ndarray], reference: str, control: np.ndarray,
                     control_label: str, title: str) -> Figure:  # fmt: skip
    """A dot plot of the tickets' test accuracy by starting point: every replica (small dots)
    and the mean ± std (large dot, bar), coloured by kind; dashed: the mean of ``reference``;
    dotted: the control (R,). No bars: differences of a point are not made to look large."""
    fig, ax = plt.subplots(figsize=(15, 5.8))
    names = list(final)
    for i, name in enumerate(names):
        a, color = final[name], COLORS[kind_of(name)]
        ax.errorbar(i, a.mean(), yerr=a.std(), color=color, marker="o", ms=11, capsize=6, lw=2)
        ax.scatter(np.full(len(a), i) + 0.18, a, color=color, s=16, alpha=0.8, zorder=3)
    ax.axhline(final[reference].mean(), color=COLORS["full"], ls="--", lw=1.5,
               label=f"pre-trained on the {reference}")  # fmt: skip
    ax.axhline(control.mean(), color="gray", ls=":", lw=2, label=control_label)
    ax.set_xticks(range(len(names)), [n.replace(", ", "\n") if n.startswith(("full", "k =")) else
                                      n.replace(" ", "\n") for n in names])  # fmt: skip
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=11)
    plotting.label(ax, title, "starting point of IMP (pre-training data, steps k)",
                   "ticket test accuracy (replicas; mean ± std)")  # fmt: skip
    return fig


def fig_connected_examples(names: Sequence[str], connected: np.ndarray, accuracy: np.ndarray,
                           barriers: np.ndarray, title: str, xlabel: str, ylabel: str
                           ) -> Figure:  # fmt: skip
    """Ticket accuracy against the number of connected examples, one point per start (mean over
    replicas): colour by kind, marker by start within its kind; each point is named in the
    legend beside the axes, with its error barrier (no labels among the points)."""
    fig, ax = plt.subplots(figsize=(13, 5.8))
    seen: dict[str, int] = {}
    for name, xv, yv, b in zip(names, connected, accuracy, barriers, strict=True):
        kind = kind_of(name)
        marker = MARKERS[seen.get(kind, 0) % len(MARKERS)]
        seen[kind] = seen.get(kind, 0) + 1
        ax.scatter(xv, yv, s=110, color=COLORS[kind], marker=marker, zorder=3,
                   label=f"{name} (error barrier {100 * b:.1f} %)")  # fmt: skip
    ax.margins(x=0.1, y=0.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=11)
    plotting.label(ax, title, xlabel, ylabel)
    fig.tight_layout()
    return fig
