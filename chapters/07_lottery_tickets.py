# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Lottery tickets: iterative magnitude pruning, rewinding and linear mode connectivity
#
# **The question.** Chapters 03–06 trained a network inside a $d$-dimensional subspace of its
# $D$ parameters. The most natural subspace of all keeps a few *coordinates* and fixes the others
# at zero: a **sparse subnetwork**. Can a network with only 5 % of its weights train as well as
# the dense one — and if so, which 5 %, starting from which values?
#
# **The lottery ticket hypothesis** (Frankle & Carbin 2019), stated precisely. Train a dense
# network $f(x;\theta)$ from its random initialisation $\theta_0 \in \mathbb{R}^D$ for $T$ steps;
# it reaches test accuracy $a$. Then there is a mask $m \in \{0,1\}^D$ with $\|m\|_0 \ll D$ such
# that training the subnetwork $f(x; m \odot \theta)$ *from* $m \odot \theta_0$ (pruned weights held
# at exactly 0) for at most $T$ steps reaches test accuracy at least $a$. Such a subnetwork is
# *matching*; with its initial values it is a *winning ticket*. Frankle & Carbin found tickets with
# **iterative magnitude pruning (IMP)** in small networks (LeNet on MNIST, Conv-2/4/6 on CIFAR-10);
# in VGG-19 and ResNet-18 only with a lower learning rate or a learning-rate warm-up. Frankle,
# Dziugaite, Roy & Carbin (2020) repaired the recipe for deeper networks by **rewinding** to
# $\theta_k$, the weights after $k$ steps of dense training, instead of $\theta_0$ — and explained
# when that is needed: IMP's subnetworks reach full accuracy only from the $k$ where they are
# **stable**, i.e. two copies trained from $\theta_k$ with different mini-batch orders end in one
# *linearly connected* basin. For MNIST that holds already at $k = 0$; for ResNet-20, VGG-16 and
# ImageNet networks only after some training.
#
# **Learning goals.** After this chapter you can
# 1. write one level of global magnitude pruning and run IMP with rewinding to step $k$;
# 2. read an IMP curve against its two controls (random mask, random re-initialisation) and say
#    what each control rules out;
# 3. measure the error barrier on the line between two networks and run an instability analysis;
# 4. tell, from the barrier against $k$, from which rewind point tickets can work.
#
# **Prerequisites.** Chapter 00 (the training engine), chapter 03 (a network as a point
# $\theta\in\mathbb{R}^D$, training in a subspace); chapter 06's sparse-ticket baseline.
#
# **Time:** quick ≈ 1.5 min, full: not measured yet (2-core CPU quick; full is meant for one GPU)

# %%
import time

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch

from dofcourse import config, connectivity, data, exercises, params, plotting, pruning
from dofcourse.device import get_device
from dofcourse.settings import TrainSettings

plotting.use_style()
device = get_device()
print("mode:", config.mode(), "| device:", device)
t_start, cpu_start = time.perf_counter(), time.process_time()

# %% [markdown]
# **Sizes.** Quick mode prunes LeNet-300-100 (Frankle & Carbin's fully connected network:
# 784-300-100-10) on the embedded 5 000-image MNIST subset (4 000 for training), three epochs per
# level, three replicas. Full mode uses Conv-2 on CIFAR-10 when it has been downloaded
# (`data.fetch("cifar10")`), and the MNIST subset with five replicas, twice the steps and two more
# levels otherwise.

# %%
ds = data.load_or(config.size(full="cifar10", quick="mnist_subset"), "mnist_subset", device=device)
ON_CIFAR = ds.name.startswith("cifar")
SEEDS = list(range(config.size(full=5, quick=3)))  # replicas: their own init and batch order
LEVELS = config.size(full=16, quick=14)  # 0.8**14 = 4.4 % of the weights remain
STEPS = config.size(full=3000 if ON_CIFAR else 400, quick=200)  # T, steps per training
BATCH = 128 if ON_CIFAR else 60
LR, LR_HIGH = (0.05, 0.1) if ON_CIFAR else (0.1, 0.15)  # SGD, momentum 0.9
K_IMP = config.size(full=[0, 100, 500] if ON_CIFAR else [0, 20, 100], quick=[0, 20, 100])  # k
K_INST = config.size(full=[0, 25, 100, 250, 500, 1000] if ON_CIFAR else [0, 5, 20, 50, 100],
                     quick=[0, 5, 20, 50, 100])  # fmt: skip
K_MAIN = K_IMP[1]  # the rewound run of section 2
CONTROL_LEVELS = [3, 7, 11, LEVELS]  # 51 %, 21 %, 8.6 % and the last level's weights remain


model = pruning.network(ds)  # theta_0: Conv-2 on CIFAR-10, LeNet-300-100 on MNIST
settings = TrainSettings(steps=STEPS, lr=LR, momentum=0.9, batch_size=BATCH)
print(ds, f"\nD = {params.count(model):,}; {STEPS} steps of batch {BATCH} "
      f"({STEPS * BATCH / len(ds.y_train):.1f} epochs) per training")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One level of global magnitude pruning
#
# A mask is a boolean vector over $\theta \in \mathbb{R}^D$. Only the weights of linear and
# convolutional layers may be pruned; biases (and normalisation parameters) never are. One level of
# **global** magnitude pruning (open_lth's `sparse_global`, the code behind Frankle et al. 2020)
# ranks all remaining prunable weights of *all layers together* by $|\theta_i|$ and prunes the
# smallest $\lceil 0.2 \times \text{remaining}\rceil$. Repeating this $n$ times leaves
# $0.8^n$ of the weights: 80 %, 64 %, 51 %, …, 4.4 % after 14 levels.
#
# The mask acts functionally: the network computes with $m\odot\theta$, so a pruned weight gets
# zero gradient and stays exactly zero, and masked training runs through the same vectorised
# ensemble engine as every other chapter (`ensemble.Free(theta0, mask)`), all replicas at once.

# %%
keep = pruning.prunable(model)  # True at linear weights, False at biases
theta0 = pruning.initial_points(model, SEEDS[:1])  # (1, D)
trained, _ = pruning.fit(model, ds, settings, theta0, progress=False)  # dense, T steps
mask0 = torch.ones_like(trained, dtype=torch.bool)
mask1 = pruning.magnitude_prune(trained, mask0, keep, fraction=0.2)
print(f"prunable weights {int(keep.sum()):,} of D = {keep.numel():,}; pruned "
      f"{int((mask0 & ~mask1).sum()):,} = ceil(0.2 x {int(keep.sum()):,})")  # fmt: skip

layout = params.Layout.of_module(model)
w = layout.unflatten(trained[0])
m1 = layout.unflatten(mask1[0])
cut = trained[0][keep & ~mask1[0]].abs().max().item()
fig, ax = plt.subplots(figsize=(9, 5))
mags = trained[0][keep].abs()
bins = np.logspace(np.log10(mags[mags > 0].min().item()), np.log10(mags.max().item()), 60)
for name in layout.names:
    if name.endswith("weight"):
        kept = m1[name].float().mean().item()
        ax.hist(w[name].abs().flatten().cpu().numpy(), bins=bins, histtype="step", lw=2,
                weights=np.full(w[name].numel(), 1 / w[name].numel()),
                label=f"{name} ({w[name].numel():,} weights; keeps {kept:.0%})")  # fmt: skip
ax.axvline(cut, color="k", ls="--", lw=1.5, label=f"global cut |θ| = {cut:.3f}")
ax.set_xscale("log")
ax.set_xlim(left=1e-4)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=11)  # below the axes
plotting.label(ax, "One level of global pruning of the trained network",
               "weight magnitude |θ| (log scale)", "fraction of the layer's weights")  # fmt: skip
plotting.save(fig, "07_one_level")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# One cut for all layers. Read the legend: the first layer, whose weights start small (uniform
# within $\pm 1/\sqrt{784}$ at initialisation), loses more than the 20 % it would lose under a
# per-layer rate; the output layer, with larger weights (its fan-in is only 100), loses far fewer.
# Global pruning sets the layers' rates itself, and the difference compounds level after level
# (exercise 3 measures it at the last level).
#
# **IMP with rewinding**, for $R$ replicas at once:
# 1. train the dense network for $k$ steps: the rewind point $\theta_k$ ($k=0$: $\theta_0$);
# 2. train $m\odot\theta_k$ for the remaining $T-k$ steps;
# 3. prune 20 % of the remaining weights by magnitude; reset the rest to $\theta_k$; go to 2.
#
# `pruning.lottery` does this; every level is cached with its starting point and mask as key, so
# an interrupted run resumes at the level it reached, and a second run of this notebook redraws
# at once.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. IMP against its controls
#
# Two controls at the same sparsity tell what a ticket is made of:
# * **random mask**: a random mask with the same number of weights in every layer, from the same
#   $\theta_k$: is it the *mask* that matters?
# * **random re-initialisation**: the IMP mask on a fresh $\theta_0'$ (trained for all $T$
#   steps): is it the *initial values* under the mask that matter?
#
# **Think!** At 5 % of the weights, predict the test accuracy of the IMP ticket, of the random
# mask and of the re-initialised IMP mask, relative to the dense network's. Which
# control do you expect to fall first?

# %%
runs = {k: pruning.lottery(model, ds, settings, init_seeds=SEEDS, rewind_step=k, levels=LEVELS)
        for k in K_IMP}  # one progress bar per run, one step per level  # fmt: skip
run = runs[K_MAIN]
reinit_seeds = [1000 + s for s in SEEDS]
controls = pruning.controls(model, ds, settings.replace(steps=run.steps), run,
                            levels=CONTROL_LEVELS, reinit_seeds=reinit_seeds)  # fmt: skip
dense_acc = runs[0].test_acc[0]
print(f"dense network: test accuracy {dense_acc.mean():.3f} ± {dense_acc.std():.3f} (seeds)")
for k, r in runs.items():
    print(f"k = {k:4d}: " + "  ".join(f"{d:.1%}:{a:.3f}" for d, a in
                                      zip(r.density[::2], r.test_acc.mean(1)[::2])))  # fmt: skip

# %%
fig, ax = plt.subplots(figsize=(11, 6))
for (k, r), color in zip(runs.items(), ["#0072B2", "#009E73", "#56B4E9"]):
    if k in (0, K_MAIN):
        acc = r.test_acc
        plotting.band(ax, 100 * r.density, acc.mean(1), acc.mean(1) - acc.std(1),
                      acc.mean(1) + acc.std(1), label=f"IMP ticket, rewind k = {k}",
                      color=color)  # fmt: skip
for name, color, text in (("random_mask", "#D55E00", "random mask"),
                          ("reinit", "#CC79A7", "IMP mask, random re-init")):  # fmt: skip
    g = controls[controls.control == name].groupby("level")
    dens, mean, std = 100 * g.density.first(), g.test_acc.mean(), g.test_acc.std()
    plotting.band(ax, dens, mean, mean - std, mean + std, label=f"control: {text} (k = {K_MAIN})",
                  color=color)  # fmt: skip
ax.axhline(dense_acc.mean(), color="k", ls="--", lw=1.5, label="dense network")
ax.set_xscale("log")
ax.invert_xaxis()
ticks = [100, 51.2, 26.2, 13.4, 6.9, 3.5]
ax.set_xticks([t for t in ticks if t >= 100 * run.density[-1] - 1e-6],
              [f"{t:g}" for t in ticks if t >= 100 * run.density[-1] - 1e-6])  # fmt: skip
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=11)  # off the data
plotting.label(ax, f"IMP on {ds.name}: tickets keep (and beat) dense accuracy; controls fall",
               "weights remaining (%)", "test accuracy (mean ± std over seeds)")  # fmt: skip
plotting.save(fig, "07_imp_curves")
plt.show()

# %% [markdown]
# The tickets hold the dense accuracy down to a few percent of the weights — in fact they *beat*
# it. Frankle & Carbin saw the same for LeNet: its winning tickets learned faster than the dense
# network and reached a higher test accuracy. With our budget of three epochs, learning faster
# shows directly as higher accuracy. Both controls fall behind the tickets as the sparsity grows:
# the random mask furthest (at a few percent it drops to or below the dense network), the
# re-initialised IMP mask less far. A ticket is the mask **and** its initial values. And the
# tickets from $k = 0$ are as good as the rewound ones: section 3 says why.

# %%
dense_mean = dense_acc.mean()
for lv in [lv for lv in CONTROL_LEVELS if run.density[lv] <= 0.10]:
    ticket = run.test_acc[lv]
    for name in pruning.CONTROLS:
        ctrl = controls[(controls.control == name) & (controls.level == lv)].test_acc.to_numpy()
        margin = ticket.mean() - ctrl.mean()
        spread = ticket.std() + ctrl.std()
        print(f"{run.density[lv]:.1%} of weights: ticket {ticket.mean():.3f}, {name} "
              f"{ctrl.mean():.3f}; margin {margin:.3f} > spread {spread:.3f}")  # fmt: skip
        assert margin > max(spread, 0.01), (
            f"at {run.density[lv]:.1%} the rewound ticket should beat the {name} control by more "
            f"than the seed spread ({margin:.3f} vs {spread:.3f})"
        )
for k, r in runs.items():
    early = r.test_acc[1:3].mean()
    assert early >= dense_mean - 0.01, f"k={k}: first levels {early:.3f} vs dense {dense_mean:.3f}"
print(
    "checks passed: tickets beat both controls at <= 10 % of the weights; the first levels "
    "stay within a point of the dense network"
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. When does rewinding matter? Instability
#
# Here tickets work from $k = 0$: no rewinding is needed. Frankle et al. (2020) found the same for
# LeNet on MNIST, but not for ResNet-20 or VGG-16 on CIFAR-10 at their standard learning rates,
# where IMP from $\theta_0$ failed and worked again from a $\theta_k$ a few hundred to a few
# thousand iterations into training. What changes at that $k$?
#
# **Instability analysis.** From a point $\theta_k$ train two copies that differ *only* in their
# mini-batch order (the SGD noise). Evaluate the test error on the straight line between the two
# end points, $\theta(\alpha) = (1-\alpha)\,\theta^{(1)}_T + \alpha\,\theta^{(2)}_T$, and take the
# **error barrier**
# $$ \text{barrier} = \max_{\alpha\in[0,1]} \text{err}(\theta(\alpha)) - \tfrac12\big(\text{err}(\theta^{(1)}_T) + \text{err}(\theta^{(2)}_T)\big). $$
# If it is about zero (Frankle et al. allow 2 %), the two copies lie in one linearly connected
# basin: from $\theta_k$ on, the noise no longer decides *where* training ends. IMP relies on this:
# the mask is read off one training run and then used on another from the same $\theta_k$.
#
# We measure the barrier against $k$ at our learning rate and at a 1.5× larger one; the copies of
# all replicas train together as one ensemble, for the $T - k$ steps that remain. Beside it: the
# accuracy of section 2's tickets at the last level, against the $k$ they were rewound to.
#
# **Think!** Which of the two learning rates gives a larger barrier at $k=0$? Should the barrier
# grow or shrink with $k$?

# %%
inst = {lr: connectivity.instability_vs_k(model, ds, settings.replace(lr=lr), init_seeds=SEEDS,
                                          steps=K_INST)
        for lr in (LR, LR_HIGH)}  # fmt: skip
for lr, table in inst.items():
    b = table.groupby("k").barrier
    print(f"lr = {lr}: barrier by k " + ", ".join(f"{k}: {m:.3f}" for k, m in b.mean().items()))

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5), width_ratios=(3, 2))
for (lr, table), color in zip(inst.items(), ["#0072B2", "#D55E00"]):
    g = table.groupby("k").barrier
    x = np.array(K_INST) + 1
    plotting.band(ax, x, g.mean(), g.min(), g.max(), label=f"lr = {lr}", color=color)
ax.axhline(0.02, color="gray", ls=":", lw=1.5, label="2 % (Frankle et al.'s 'stable')")
ax.set_xscale("log")
ax.set_xticks(np.array(K_INST) + 1, [str(k) for k in K_INST])
ax.legend(loc="upper right")  # the barriers fall to the lower right
plotting.label(ax, r"Instability of the dense network: two copies from $\theta_k$",
               "rewind step k (log scale)", "test error barrier (mean, min–max)")  # fmt: skip
acc_k = np.array([runs[k].test_acc[LEVELS] for k in K_IMP])  # (k, replicas)
plotting.band(ax2, np.array(K_IMP) + 1, acc_k.mean(1), acc_k.min(1), acc_k.max(1),
              label=f"IMP tickets at {run.density[LEVELS]:.1%}, lr = {LR}", color="#009E73")  # fmt: skip
ax2.axhline(dense_mean, color="k", ls="--", lw=1.5, label="dense network")
ax2.set_xscale("log")
ax2.set_xticks(np.array(K_IMP) + 1, [str(k) for k in K_IMP])
ax2.set_ylim(min(acc_k.min(), dense_mean) - 0.02, max(acc_k.max(), dense_mean) + 0.02)
ax2.legend(loc="lower right")
plotting.label(ax2, "Tickets against the rewind step", "rewind step k (log scale)",
               "test accuracy (mean, min–max)")  # fmt: skip
plotting.save(fig, "07_instability")
plt.show()

# %% [markdown]
# At our learning rate the dense network is **stable already at initialisation**: the mean barrier
# stays below the 2 % line for every $k$. That is the regime of LeNet in Frankle et al. (2020), and
# it is why the $k = 0$ tickets of section 2 are as good as the rewound ones (right: the tickets
# work from every $k$, because the barrier has vanished at every $k$; those from $k = 100$ are a
# little lower because each level trains them for the $T - k$ steps that remain). At the 1.5× larger
# learning rate the same network starts **unstable**: copies from $\theta_0$ end several points of
# error apart on the line between them. The barrier stays high for the first few steps and falls to
# about the 2 % line within the first few dozen — the early phase that, in ResNet-20 and VGG-16,
# lasts until the rewind point IMP needs.
#
# **What this small network does not show.** In Frankle et al.'s deeper networks, IMP from
# $\theta_0$ fails and rewinding is *needed*. Here it is not: at our learning rate there is no
# unstable phase to rewind past, so the chapter cannot show a $k = 0$ ticket failing. Whether the
# unstable start at the larger learning rate makes $k = 0$ tickets fail in this network is
# exercise 4's question — predict before you run it. (Frankle et al. tie a ticket's accuracy to
# the stability of the *sparse* subnetwork; the dense network's stability is a proxy.)

# %%
b_main = inst[LR].groupby("k").barrier.mean()
b_high = inst[LR_HIGH].groupby("k").barrier.mean()
late = b_high.iloc[-2:].mean()  # the last two rewind steps
k0_ticket = runs[0].test_acc[LEVELS].mean()
print(
    f"lr = {LR}: barrier {b_main.iloc[0]:.3f} at k = 0, {b_main.iloc[-1]:.3f} at k = {K_INST[-1]}"
)
print(f"lr = {LR_HIGH}: barrier {b_high.iloc[0]:.3f} at k = 0, {late:.3f} at k = "
      f"{K_INST[-2]} and {K_INST[-1]}")  # fmt: skip
stable_at_init = b_main.iloc[0] < 0.02
assert stable_at_init or b_main.iloc[0] > b_main.iloc[-1] + 0.02, (
    "at the training lr the barrier should be ~0 at k = 0 (stable at init, as the text says) or "
    "fall with k"
)
assert b_high.iloc[0] > late + 0.02 and b_high.iloc[0] > 2 * late, (
    f"at lr = {LR_HIGH} the barrier should fall from k = 0 to k = {K_INST[-2]}, {K_INST[-1]}"
)
assert b_high.iloc[0] > b_main.iloc[0] + 0.01, "the larger lr should be less stable at k = 0"
if stable_at_init:
    assert acc_k.mean(1).min() >= dense_mean - 0.01, (
        f"stable at every k: the tickets from every k should match the dense network "
        f"({np.round(acc_k.mean(1), 3)} vs {dense_mean:.3f})"
    )
    assert k0_ticket >= dense_mean - 0.01, (
        f"stable at init: k = 0 tickets at {run.density[LEVELS]:.1%} should match the dense "
        f"network ({k0_ticket:.3f} vs {dense_mean:.3f})"
    )
print("checks passed: stable at init at lr", LR, "(and k = 0 tickets match) | unstable at init, "
      "stable later, at lr", LR_HIGH)  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The line between two copies
#
# What the barrier summarises: test error and loss along the line between two copies. The figure
# starts with the least stable pair (the larger learning rate, from $\theta_0$) beside a stable one
# (the training learning rate, from $\theta_0$, grey). Choose the learning rate, the rewind step
# and the replica; the figure below the controls is redrawn. (For a curve that only rises, the
# barrier is half the difference of its ends: a barrier well above that is a bump.) Frankle et
# al. measure the barrier in test *error*, as section 3 does; the loss beside it need not show
# the same bump.


# %%
def draw_path(lr=LR_HIGH, k=0, replica=0):
    """Test error and loss on the line between the two copies of (lr, k, replica), beside the
    same replica's pair at the training lr from theta_0 (grey)."""
    rows = {key: t[(t.k == kk) & (t.replica == replica)].iloc[0]
            for key, t, kk in (("sel", inst[lr], k), ("ref", inst[LR], 0))}  # fmt: skip
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
    for j, what in enumerate(("error", "loss")):
        ax = axes[j]
        for key, color, text in (("ref", "gray", f"lr = {LR}, k = 0"),
                                 ("sel", "#D55E00", f"lr = {lr}, k = {k}")):  # fmt: skip
            row = rows[key]
            curve = row[what][0]
            ax.plot(row.alphas, curve, marker="o", color=color,
                    label=f"{text}: barrier {connectivity.barrier(curve):.3f}")  # fmt: skip
            ax.plot([0, 1], [curve[0], curve[-1]], color=color, ls=":", lw=1.2)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=11)  # below the axes
        plotting.label(ax, f"Test {what} between two copies (replica {replica})",
                       "α (0 = copy 1, 1 = copy 2)", f"test {what}")  # fmt: skip
    fig.tight_layout()
    return fig


at_init = inst[LR_HIGH][inst[LR_HIGH].k == 0]
worst = int(at_init.replica[at_init.barrier.idxmax()])  # the least stable replica
plotting.explore(draw_path, name="07_linear_path",
                 lr=W.Dropdown(options=[LR, LR_HIGH], value=LR_HIGH, description="lr"),
                 k=W.SelectionSlider(options=K_INST, value=0, description="rewind k"),
                 replica=W.IntSlider(value=worst, min=0, max=len(SEEDS) - 1,
                                     description="replica"))  # fmt: skip

# %% [markdown]
# An unstable pair has a bump in the middle of the line: each end is a good network, their average
# is not. A stable pair is flat (or even better in the middle): the two copies are two points of
# one basin.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Exercises
#
# **Exercise 1 — one level of global magnitude pruning.** Complete `my_prune`: among the entries
# that are both kept (`mask`) and prunable, prune the $\lceil$`fraction`$\times$remaining$\rceil$
# with the smallest $|\theta|$, all layers together. The check compares it with the package on the
# trained network of section 1, for three levels in a row.


# %%
def my_prune(theta, mask, prunable, fraction=0.2):
    """New boolean mask (D,): theta (D,) trained weights, mask (D,) current, prunable (D,)."""
    # BEGIN SOLUTION
    alive = mask & prunable
    n = int(np.ceil(fraction * int(alive.sum())))
    score = torch.where(alive, theta.abs(), torch.full_like(theta, float("inf")))
    new = mask.clone()
    new[torch.argsort(score, stable=True)[:n]] = False
    return new
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    mine, ref = mask0[0], mask0[0]
    for _ in range(3):
        mine = my_prune(trained[0], mine, keep)
        ref = pruning.magnitude_prune(trained[0], ref, keep)
        assert torch.equal(mine, ref), "your mask differs from pruning.magnitude_prune"
    print(f"three levels agree: {pruning.density(mine, keep):.3f} of the weights remain")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a barrier from a curve.** Complete `my_barrier`, the error (or loss) barrier of
# a curve sampled at $\alpha = 0, \dots, 1$: the maximum over the line minus the mean of the two
# ends. The check runs it on every curve of section 3.


# %%
def my_barrier(curve):
    """Barrier of a 1-D array of values along the line (first = alpha 0, last = alpha 1)."""
    # BEGIN SOLUTION
    curve = np.asarray(curve, dtype=float)
    return curve.max() - (curve[0] + curve[-1]) / 2
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    for table in inst.values():
        for row in table.itertuples():
            assert abs(my_barrier(row.error[0]) - row.barrier) < 1e-9
    assert abs(my_barrier([0.1, 0.3, 0.2, 0.1]) - 0.2) < 1e-12
    print("your barrier matches connectivity.barrier on", sum(len(t) for t in inst.values()),
          "curves")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — predict, then measure: which layer keeps its weights?** Global pruning ranks all
# layers together. At the last level of the IMP run (about 4 % of all weights), what fraction of
# its own weights does each layer of LeNet-300-100 keep? Write your guesses in
# `predict_layer_density` (one number per weight matrix, first layer first), then complete
# `layer_density`, which measures it from a mask.


# %%
def predict_layer_density():
    """Your guess of the fraction kept by each weight matrix at the last IMP level."""
    # BEGIN SOLUTION
    return [0.03, 0.1, 0.5]  # the large first layer is pruned hardest, the output layer least
    # END SOLUTION


def layer_density(mask, layout):
    """Fraction kept of each weight matrix (names ending in 'weight'), in layout order."""
    # BEGIN SOLUTION
    parts = layout.unflatten(mask.float())
    return [parts[n].mean().item() for n in layout.names if n.endswith("weight")]
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    names = [n for n in layout.names if n.endswith("weight")]
    levels_x = np.arange(LEVELS + 1)
    per_level = np.array([layer_density(run.masks[lv][0], layout) for lv in levels_x])
    fig, ax = plt.subplots(figsize=(9, 5))
    for j, n in enumerate(names):
        ax.plot(100 * run.density, 100 * per_level[:, j], marker="o", label=n)
    ax.plot(100 * run.density, 100 * run.density, color="k", ls="--", lw=1.5, label="all layers")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.legend(loc="lower left")
    plotting.label(ax, "Global pruning prunes the big first layer hardest",
                   "weights remaining overall (%)", "weights remaining in the layer (%)")  # fmt: skip
    plotting.save(fig, "07_layer_density")
    plt.show()
    guess = predict_layer_density()
    print("measured:", np.round(per_level[-1], 3), "| your guess:", guess)
    total = sum(layout.unflatten(keep.float())[n].numel() * d for n, d in zip(names, per_level[-1]))
    assert abs(total / keep.sum().item() - run.density[-1]) < 1e-6, "layer densities must add up"
    assert per_level[-1][0] < run.density[-1] < per_level[-1][-1]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 (open) — predict, then measure: tickets at the larger learning rate.** Section 3
# showed that at lr = `LR_HIGH` the dense network is unstable at $\theta_0$ and stable from
# $k = 20$. **Predict first**: will the IMP tickets from $k = 0$ at that learning rate fall below
# those from $k = 20$ at the last level? Then run IMP at that rate (two runs, about as long as
# section 2) and measure the instability of the *sparse* tickets themselves, with their masks —
# Frankle et al. (2020) tie a ticket's accuracy to the stability of the sparse subnetwork:
#
# ```python
# high = settings.replace(lr=LR_HIGH)
# hi_runs = {k: pruning.lottery(model, ds, high, init_seeds=SEEDS, rewind_step=k, levels=LEVELS)
#            for k in (0, 20)}
# for k, r in hi_runs.items():
#     sparse = connectivity.instability(model, ds, high.replace(steps=r.steps), r.rewind,
#                                       mask=r.masks[-1])
#     print(k, r.test_acc[-1].mean(), sparse["barrier"].mean())
# ```
#
# Is the dense network's instability at $\theta_0$ a good predictor of the tickets' accuracy in
# this small network? What would you change to make IMP from $\theta_0$ fail?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# * **IMP**: train, prune the 20 % smallest remaining weights globally, reset the rest to
#   $\theta_k$, repeat; $0.8^n$ of the weights remain after $n$ levels. Masks act functionally, so
#   sparse replicas train together as one vectorised ensemble.
# * A **winning ticket** trains to the dense accuracy (here: above it) with a few percent of the
#   weights. The two controls fail at high sparsity: a random mask from the same $\theta_k$, and
#   the IMP mask on a new initialisation. The ticket is the mask together with its starting values.
# * **Instability**: train two copies from $\theta_k$ with different data orders; the error
#   barrier on the line between them says whether SGD noise still decides the basin. Frankle et
#   al. (2020) found that tickets work from the rewind points where they are stable: LeNet on
#   MNIST (and our network at lr = 0.1) is stable from $\theta_0$, so $k = 0$ works; deeper
#   networks on CIFAR-10 and ImageNet become stable only after some training — hence
#   **rewinding**. A larger learning rate delays stability in our network too (section 3).
# * **The course's thread.** A ticket is a subspace too: the $\|m\|_0$ coordinate axes the mask
#   keeps, through $\theta_k$ — sparse and aligned with the coordinates, where chapter 03's random
#   subspaces were dense and rotated. Chapter 06 compared such a sparse ticket with lottery
#   subspaces at the same number of degrees of freedom; here we found it by pruning. Chapter 08
#   asks how much *data* the $k$ steps before the rewind point need.
#
# ## Sources
#
# * J. Frankle, M. Carbin. *The lottery ticket hypothesis: finding sparse, trainable neural
#   networks.* ICLR 2019 (the hypothesis, IMP, the random re-initialisation and random-mask
#   controls; LeNet-300-100 tickets that learn faster and generalise better than the dense net).
# * J. Frankle, G. K. Dziugaite, D. M. Roy, M. Carbin. *Linear mode connectivity and the lottery
#   ticket hypothesis.* ICML 2020 (instability analysis, the error barrier, rewinding; LeNet stable
#   at initialisation, ResNet-20 and VGG-16 stable only after early training).
# * open_lth (facebookresearch/open_lth): the reference code; `sparse_global` pruning of 20 % of
#   the remaining weights per level.
# * M. Paul, B. W. Larsen, S. Ganguli, J. Frankle, G. K. Dziugaite. *Lottery tickets on a data diet:
#   finding initializations with sparse trainable networks.* NeurIPS 2022 (chapter 08).
# * B. W. Larsen, S. Fort, N. Becker, S. Ganguli. *How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective.* ICLR 2022 (lottery subspaces vs sparse tickets,
#   chapter 06).

# %%
print(f"chapter time: {time.perf_counter() - t_start:.0f} s wall, "
      f"{time.process_time() - cpu_start:.0f} s CPU (this kernel)")  # fmt: skip
