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
# Dziugaite, Roy & Carbin repaired the recipe for deeper networks by **rewinding** to
# $\theta_k$, the weights after $k$ steps of dense training, instead of $\theta_0$ (2019,
# "Stabilizing the lottery ticket hypothesis") — and explained (2020)
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
# **Time:** quick ≈ 4 min, full ≈ 10 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full on the
# MNIST subset, measured on 2026-12-07 with one thread on a shared 2-core machine: 10.3 min of
# kernel CPU, 27.8 min wall at load 5–9, peak 0.9 GB; 6.9 min of CPU from the shipped results, which
# leave out the IMP runs' weights, so those are recomputed. On CIFAR-10 full mode is meant for one
# GPU, not measured: see the end of the chapter)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 50-minute lecture; the quick run takes a few minutes, so run it before class. Draw one
# IMP round on the board (train, prune 20 % of the remaining weights, rewind, repeat) before the
# first figure. The two controls (random mask, new initialisation) are the argument: a ticket is
# the mask together with its starting values. Link rewinding to the instability barrier.

# %%
# Colab, Kaggle or a Jupyter without the course: install it first (about a minute)
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("dofcourse") is None:
    os.environ.setdefault("DOFCOURSE_QUICK", "1")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "git+https://github.com/dofcourse/dofcourse"]
    subprocess.run(pip, check=True)

# %%
import time

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch

from dofcourse import config, connectivity, data, exercises, params, plotting, pruning
from dofcourse.device import get_device
from dofcourse.pruning import figures

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
recipe = pruning.recipe(ds)  # the network and its training, shared with chapter 08
model, settings = recipe.model, recipe.settings  # theta_0: Conv-2 on CIFAR-10, else LeNet-300-100
STEPS, BATCH = settings.steps, settings.batch_size  # T, steps per training
LR, LR_HIGH = settings.lr, recipe.lr_high  # SGD, momentum 0.9
SEEDS = list(range(config.size(full=5, quick=3)))  # replicas: their own init and batch order
LEVELS = config.size(full=16, quick=14)  # 0.8**14 = 4.4 % of the weights remain
CIFAR = recipe.on_cifar
K_IMP = config.size(full=[0, 100, 500] if CIFAR else [0, 20, 100], quick=[0, 20, 100])  # k
K_INST = config.size(full=[0, 25, 100, 250, 500, 1000] if CIFAR else [0, 5, 20, 50, 100],
                     quick=[0, 5, 20, 50, 100])  # fmt: skip
K_MAIN = K_IMP[1]  # the rewound run of section 2
CONTROL_LEVELS = [3, 7, 11, LEVELS]  # 51 %, 21 %, 8.6 % and the last level's weights remain

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
# $0.8^n$ of the weights: 80 %, 64 %, 51 %, …, 4.4 % after 14 levels. *One departure:* open_lth
# leaves LeNet-300-100's output layer unpruned, and Frankle & Carbin pruned it at half the rate;
# here all three weight matrices are pruned together (`pruning.prunable(model, ignore=...)`
# leaves a layer out).
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
fig = figures.fig_one_level(model, trained[0], mask1[0], keep)
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
# `pruning.imp_grid` does this for several rewind steps $k$ and all replicas at once: a grid
# over (start, replica) in which every replica's whole IMP run is cached on its own, so an
# interrupted run resumes at the replicas it has not finished, and a second run of this notebook
# redraws at once. The replicas of one $k$ train together as one ensemble, each with its own mask.

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
imp = pruning.imp_grid(model, ds, settings, [pruning.Start(k) for k in K_IMP], init_seeds=SEEDS,
                       levels=LEVELS)  # one ImpRun per start, by name  # fmt: skip
runs = {k: imp[f"k = {k}"] for k in K_IMP}
run = runs[K_MAIN]
reinit_seeds = [1000 + s for s in SEEDS]
controls = pruning.controls(model, ds, settings.replace(steps=run.steps), run,
                            levels=CONTROL_LEVELS, reinit_seeds=reinit_seeds)  # fmt: skip
dense_acc = runs[0].test_acc[0]
print(f"dense network: test accuracy {dense_acc.mean():.3f} ± {dense_acc.std():.3f} (seeds)")
for k, r in runs.items():
    print(f"k = {k:4d}: " + "  ".join(f"{d:.1%}:{a:.3f}" for d, a in
                                      zip(r.density[::2], r.test_acc.mean(1)[::2])))  # fmt: skip
n_div = {f"k = {k}": int(r.diverged.any(0).sum()) for k, r in runs.items()}
print("replicas that diverged (none has an accuracy):", n_div, "| controls:",
      int(controls.diverged.sum()))  # fmt: skip

# %%
fig = figures.fig_imp_curves(runs, controls, dense_acc, [0, K_MAIN], K_MAIN, ds.name)
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
assert not any(n_div.values()) and not controls.diverged.any(), "a run diverged (printed above)"
held = run.test_acc.mean(1)[run.density >= 0.04]  # every level down to 4 % of the weights
assert held.min() >= dense_mean - 0.01, (
    f"the rewound tickets should hold the dense accuracy down to 4 % of the weights "
    f"(lowest {held.min():.3f} vs dense {dense_mean:.3f})"
)
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
# the random mask below the re-initialised mask: at the last level, and on average over the levels
# <= 10 % by more than twice the standard error of that average (replicas are independent runs;
# at 8.6 % the two are within noise of each other in full mode)
sparse = [lv for lv in CONTROL_LEVELS if run.density[lv] <= 0.10]
fall = pruning.random_mask_gap(controls, sparse)
gaps, gap, se = fall["gaps"], fall["mean"], fall["se"]
print(f"the random mask below the re-initialised mask at {len(sparse)} levels <= 10 %: "
      f"{np.round(gaps, 3)}, on average {gap:.3f} (standard error {se:.3f})")  # fmt: skip
assert gaps[-1] > 0 and gap > max(2 * se, 0.005), (
    "the random mask should fall furthest (below the re-init control)"
)
last = controls[controls.level == CONTROL_LEVELS[-1]].groupby("control").test_acc  # the table's
print(
    "checks passed: no run diverged; tickets hold the dense accuracy down to 4 % and beat both "
    "controls at <= 10 % of the weights; the random mask falls furthest"
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
# We measure the barrier against $k$ at our learning rate and at a larger one, `LR_HIGH`: the
# smallest we tried at which copies from $\theta_0$ end apart in $T$ steps (0.15 for the quick
# mode's $T$ = 200 steps; 0.12 for full mode's 400, where 0.15 trains erratically — the recipe's
# docstring has the numbers). The copies of all replicas train together as one ensemble, for
# the $T - k$ steps that remain. Beside it: the
# accuracy of section 2's tickets at the last level, against the $k$ they were rewound to.
#
# **Think!** Which of the two learning rates gives a larger barrier at $k=0$? Should the barrier
# grow or shrink with $k$?

# %%
inst = {lr: connectivity.instability_vs_k(model, ds, settings.replace(lr=lr), init_seeds=SEEDS,
                                          ks=K_INST)
        for lr in (LR, LR_HIGH)}  # fmt: skip
for lr, table in inst.items():
    b = table.groupby("k").barrier
    print(f"lr = {lr}: barrier by k " + ", ".join(f"{k}: {m:.3f}" for k, m in b.mean().items()))

# %%
acc_k = np.array([runs[k].test_acc[LEVELS] for k in K_IMP])  # (k, replicas)
fig = figures.fig_instability(inst, dict(zip(K_IMP, acc_k, strict=True)), dense_mean,
                              f"IMP tickets at {run.density[LEVELS]:.1%}, lr = {LR}")  # fmt: skip
plotting.save(fig, "07_instability")
plt.show()

# %% [markdown]
# At our learning rate the dense network is **stable already at initialisation**: the mean barrier
# stays below the 2 % line for every $k$. That is the regime of LeNet in Frankle et al. (2020), and
# it is why the $k = 0$ tickets of section 2 are as good as the rewound ones (right: the tickets
# work from every $k$, because the barrier has vanished at every $k$; those from the largest $k$
# may be a little lower, because each level trains them only for the $T - k$ steps that remain).
# At the larger learning rate `LR_HIGH` the same network starts **unstable**: copies from
# $\theta_0$ end points of error apart on the line between them. The barrier stays high for the
# first few steps (it need not fall at once) and then falls towards the 2 % line — the early
# phase that, in ResNet-20 and VGG-16, lasts until the rewind point IMP needs.
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
early, late = b_high.iloc[:2].max(), b_high.iloc[-2:].mean()  # k = 0 or 5; the last two k
k0_ticket = runs[0].test_acc[LEVELS].mean()
print(f"lr = {LR}: barrier at most {b_main.max():.3f} (k = {b_main.idxmax()})")
print(f"lr = {LR_HIGH}: barrier {b_high.iloc[0]:.3f} at k = 0, {early:.3f} at most early, "
      f"{late:.3f} at k = {K_INST[-2]} and {K_INST[-1]}")  # fmt: skip
print("pairs whose copies diverged:", {lr: int(t.diverged.sum()) for lr, t in inst.items()})
assert not any(t.diverged.any() for t in inst.values()), "a copy diverged (printed above)"
assert b_main.max() < 0.02, (
    f"at lr = {LR} the dense network should be stable at every k, k = 0 included (the text says "
    f"so): barrier {b_main.max():.3f} at k = {b_main.idxmax()}"
)
assert b_high.iloc[0] > max(0.02, b_main.iloc[0] + 0.01), (
    f"at lr = {LR_HIGH} the network should start unstable, less stable than at lr = {LR}"
)
assert early > late + 0.02 and early > 2 * late, (
    f"at lr = {LR_HIGH} the barrier should fall from its early height to k = {K_INST[-2]}, "
    f"{K_INST[-1]}"
)
assert acc_k.mean(1).min() >= dense_mean - 0.01, (
    f"stable at every k: the tickets from every k should match the dense network "
    f"({np.round(acc_k.mean(1), 3)} vs {dense_mean:.3f})"
)
assert k0_ticket >= dense_mean - 0.01, (
    f"stable at init: k = 0 tickets at {run.density[LEVELS]:.1%} should match the dense "
    f"network ({k0_ticket:.3f} vs {dense_mean:.3f})"
)
print(f"checks passed: stable at every k at lr {LR} (and the tickets from every k match the "
      f"dense network) | unstable at init, stabler later, at lr {LR_HIGH}")  # fmt: skip


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The line between two copies
#
# What the barrier summarises: test error and loss along the line between two copies. The figure
# starts with the least stable pair (the larger learning rate, from $\theta_0$) beside a stable one
# (the training learning rate, from $\theta_0$, grey). Choose the learning rate, the rewind step
# and the replica; the figure below the controls is redrawn. The error panel gives Frankle et
# al.'s error barrier (the maximum minus the mean of the two ends: for a curve that only rises,
# half the difference of its ends). The loss panel gives the **bump**: how far the curve rises
# above the dotted straight line between its ends, which is zero for a curve that never leaves
# that line and so cannot be mistaken for a difference of the ends.

# %%
def draw_path(lr=LR_HIGH, k=0, replica=0):
    """Test error and loss on the line between the two copies of (lr, k, replica), beside the
    same replica's pair at the training lr from theta_0 (grey)."""
    row = {key: t[(t.k == kk) & (t.seed == SEEDS[replica])].iloc[0]
           for key, t, kk in (("sel", inst[lr], k), ("ref", inst[LR], 0))}  # fmt: skip
    return figures.fig_linear_path([(row["ref"], f"lr = {LR}, k = 0", "gray"),
                                    (row["sel"], f"lr = {lr}, k = {k}", "#D55E00")], replica)  # fmt: skip


at_init = inst[LR_HIGH][inst[LR_HIGH].k == 0]
worst = SEEDS.index(int(at_init.seed[at_init.barrier.idxmax()]))  # the least stable replica
plotting.explore(draw_path, name="07_linear_path",
                 lr=W.Dropdown(options=[LR, LR_HIGH], value=LR_HIGH, description="lr"),
                 k=W.SelectionSlider(options=K_INST, value=0, description="rewind k"),
                 replica=W.IntSlider(value=worst, min=0, max=len(SEEDS) - 1,
                                     description="replica"))  # fmt: skip

# %%
ends = {
    lr: 1 - np.stack(t[t.k == 0].error.to_list())[:, 0, [0, -1]].mean() for lr, t in inst.items()
}
print("test accuracy of the copies' ends, from theta_0: " +
      ", ".join(f"lr = {lr}: {a:.3f}" for lr, a in ends.items()))  # fmt: skip
assert ends[LR_HIGH] < ends[LR], "the larger learning rate should end less well in T steps"
print("check passed: the copies at the larger learning rate end with a higher test error")


# %% [markdown]
# An unstable pair has a bump in the middle of the line: the average of the two copies is worse
# than either. A stable pair is flat (or even better in the middle): the two copies are two
# points of one basin. Look at the ends, too (printed above): at the larger learning rate the
# copies themselves end with a higher test error than at the training rate — $T$ steps at a step
# size near its limit train less well. So the instability we measure at that rate mixes two
# things: SGD noise sending the copies to different basins, and erratic training near the
# step-size limit. Frankle et al.'s deeper networks are unstable at their *standard* learning
# rates, where the copies end well trained; this small network is stable at its own.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Exercises
#
# **Exercise 1 — one level of global magnitude pruning.** Complete `my_prune`: among the entries
# that are both kept (`mask`) and prunable, prune the $\lceil \texttt{fraction} \times \text{remaining} \rceil$
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
    fig = figures.fig_layer_density(run, per_level, [figures.weight_names(model)[n]
                                                     for n in names])  # fmt: skip
    plotting.save(fig, "07_layer_density")
    plt.show()
    guess = predict_layer_density()
    print("measured:", np.round(per_level[-1], 3), "| your guess:", guess)
    total = sum(layout.unflatten(keep.float())[n].numel() * d for n, d in zip(names, per_level[-1]))
    assert abs(total / keep.sum().item() - run.density[-1]) < 1e-6, "layer densities must add up"
    assert per_level[-1][0] < run.density[-1] < per_level[-1][-1]

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 (open) — predict, then measure: tickets at the larger learning rate.** Section 3
# showed that at lr = `LR_HIGH` the dense network is unstable at $\theta_0$ and stabler a few
# dozen steps later. **Predict first**: will the IMP tickets from $k = 0$ at that learning rate
# fall below those from $k = 20$ at the last level? Then run IMP at that rate (two runs, about as long as
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
# ## The papers' numbers and ours
#
# | | the paper | ours, full mode (CPU: MNIST subset) | ours, quick mode |
# | --- | --- | --- | --- |
# | winning tickets | Frankle & Carbin (2019), LeNet-300-100 on MNIST: tickets of less than 10–20 % of the weights match the dense network; above that size they learn faster and reach a higher test accuracy | at 2.8 % of the weights (16 levels), $k = 0$: 0.946 against the dense 0.918 ± 0.014; the random mask falls to 0.893, the re-initialised mask to 0.919 | at 4.4 % (14 levels), $k = 0$: 0.945 against the dense 0.912 ± 0.011; random mask 0.884, re-initialised 0.913 |
# | stability at $\theta_0$ | Frankle et al. (2020): LeNet on MNIST stable from initialisation; ResNet-20 and VGG-16 on CIFAR-10 only after a few hundred to a few thousand iterations | barrier at most 0.009 at lr = 0.1, every $k$ | at most 0.012 at lr = 0.1, every $k$ |
# | a larger learning rate | (not in the papers) | lr = 0.12: barrier 0.034 at $k = 0$, 0.011 at $k$ = 50, 100 | lr = 0.15: 0.082 at $k = 0$, 0.026 at $k$ = 50, 100 |
#
# Full mode here is the run of 2026-12-07 on the MNIST subset, quick mode the run of the same
# day; the cell below prints this run's numbers. *Why they differ.* **Data:** 4 000 training
# images instead of MNIST's 60 000, so our dense network ends at about 92 % where Frankle &
# Carbin's reaches about 98 %. **Steps:** $T$ = 400 steps of 60 (6 epochs) in full mode, 200 in
# quick mode, against their 50 000 iterations: our dense network is far from converged, so the
# tickets' faster learning shows as a higher final accuracy, by more than in the paper. **Model:**
# the same LeNet-300-100, with all three layers pruned at one global rate (section 1), and
# quick mode stops at 4.4 % of the weights (14 levels), full mode at 2.8 % (16).
#
# **On CIFAR-10** (Conv-2, $D$ = 1,136,586, $T$ = 3 000 steps of 128), where it can be
# downloaded, full mode is meant for one GPU. Timed on this CPU: one member-step takes 0.19 s of
# CPU time (5 members, each on its own batches, run one after another as the ensemble runs a
# convolutional network on a CPU; one thread, load 3); the chapter's trainings come to about
# 1.1 million member-steps (IMP 0.71 M, controls 0.12 M, instability 0.32 M), so about 60 hours
# of CPU time for the training steps alone, plus the evaluations. The GPU time is not measured.

# %%
print(f"this run ({config.mode()} mode, {ds.name}, T = {STEPS}): tickets at "
      f"{run.density[LEVELS]:.1%}, k = 0: {runs[0].test_acc[LEVELS].mean():.3f} against the dense "
      f"{dense_mean:.3f}; last level: random mask {last.mean()['random_mask']:.3f}, re-initialised "
      f"{last.mean()['reinit']:.3f} | barrier at most {b_main.max():.3f} at lr = {LR} | lr = "
      f"{LR_HIGH}: {b_high.iloc[0]:.3f} at k = 0, {late:.3f} at k = {K_INST[-2]}, {K_INST[-1]}")  # fmt: skip

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
# * J. Frankle, G. K. Dziugaite, D. M. Roy, M. Carbin. *Stabilizing the lottery ticket
#   hypothesis.* arXiv:1903.01611, 2019 (rewinding to an early iteration; superseded by:)
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
