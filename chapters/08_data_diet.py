# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · Lottery tickets on a data diet: which data does the early training need?
#
# **The question.** Chapter 07 found sparse trainable networks by iterative magnitude pruning
# (IMP), rewinding the kept weights to $\theta_k$, the network after $k$ steps of dense training.
# Those $k$ steps use the whole training set. Do they need to? Paul, Larsen, Ganguli, Frankle &
# Dziugaite (2022) found that they do not: with the number of pre-training steps held fixed, a
# small *random* subset of the data gives a starting point as good as the full data, and a subset
# of *easy* examples gets to a good starting point in fewer steps than the full data or a random
# subset. They also found that the more training examples are *linearly mode connected* at a
# starting point, the better its tickets. The tool that tells easy from hard, early in training,
# is a score per example (Paul, Ganguli & Dziugaite 2021), which can also prune the training set
# itself.
#
# **Learning goals.** After this chapter you can
# 1. compute EL2N and GraNd scores (per-example gradients with `vmap(grad)`), look at the easiest
#    and hardest examples and say how stable the ranking is;
# 2. prune a training set by score and say when keeping only the hardest examples is harmless and
#    when it hurts;
# 3. pre-train on a random, easy or hard subset and compare the tickets IMP finds from there;
# 4. count the linearly mode connected examples at a starting point and relate them to the
#    quality of its tickets.
#
# **Prerequisites.** Chapter 07 (IMP, rewinding, the error barrier and instability analysis).
#
# **Time:** quick ≈ 4 min, full ≈ 8.5 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full on the
# MNIST subset, measured on 2026-12-07 with one thread on a shared 2-core machine: 8.4 min of kernel
# CPU, 21.0 min wall at load 5–7, peak 1.1 GB; 5.6 min of CPU from the shipped results, which leave
# out the IMP runs' weights, so those are recomputed. On CIFAR-10 full mode is meant for one GPU,
# not measured: see the end of the chapter)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 45-minute lecture; run the chapter before class (about three minutes in quick mode).
# Define EL2N on the board first (the norm of softmax minus one-hot, averaged over a few
# networks). Then the two questions: can the data itself be pruned, and does the short dense
# training before IMP's rewind point need all the data?

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
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats as st
from tqdm.auto import tqdm

from dofcourse import config, connectivity, data, diet, exercises, params, plotting, pruning
from dofcourse.device import get_device
from dofcourse.diet import figures

plotting.use_style()
device = get_device()
print("mode:", config.mode(), "| device:", device)
t_start, cpu_start = time.perf_counter(), time.process_time()

# %% [markdown]
# **Sizes.** As chapter 07: LeNet-300-100 on the embedded 5 000-image MNIST subset (4 000 for
# training) in quick mode; Conv-2 on CIFAR-10 in full mode when it has been downloaded, the MNIST
# subset with more replicas, steps and levels otherwise.

# %%
ds = data.load_or(config.size(full="cifar10", quick="mnist_subset"), "mnist_subset", device=device)
recipe = pruning.recipe(ds)  # chapter 07's network and training
model, settings = recipe.model, recipe.settings  # theta_0: Conv-2 on CIFAR-10, else LeNet-300-100
STEPS = settings.steps  # T, a whole training
N = len(ds.y_train)
SEEDS = list(range(config.size(full=5, quick=3)))
K_NETS = 10  # networks per score (Paul et al. 2021 average 10)
K_GRAND = config.size(full=10, quick=4)  # GraNd: per-example gradients are D numbers each
N_GRAND = config.size(full=N, quick=1000)  # examples scored by GraNd
SCORE_STEP = STEPS // 4  # EL2N after a quarter of the training
SCORE_TIMES = [STEPS // 20, STEPS // 8, STEPS // 4, STEPS // 2, STEPS]
KEEP = [0.1, 0.2, 0.4, 0.7]  # data pruning: fractions of the training set kept (and all of it)
DIET_SIZES = [N // 10, N // 4]  # pre-training subsets: 10 % and 25 % of the data
DIET = DIET_SIZES[0]  # the small subset that the checks are about
PRE = STEPS // 10  # pre-training steps k, the same for every subset
SPARSE = 3 * STEPS // 10 if recipe.on_cifar else 60  # sparse steps per IMP level: short, so
# that the starting point shows (on MNIST the same budget in both modes)
LEVELS = config.size(full=16, quick=14)  # 0.8**14 = 4.4 % of the weights remain

score_seeds = [100 + i for i in range(K_NETS)]  # K networks for the scores
other_seeds = [200 + i for i in range(K_NETS)]  # an independent second set
print(ds, f"\nD = {params.count(model):,}; EL2N from {K_NETS} networks after {SCORE_STEP} steps")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Scoring examples early in training: EL2N and GraNd
#
# For an example $(x, y)$ with one-hot label $e_y$ and a network $\theta_t$ trained for $t$ steps,
#
# $$ \text{EL2N}_t(x, y) = \mathbb{E}_{\theta_0}\,\big\|\,\mathrm{softmax}(f(\theta_t, x)) - e_y\big\|_2,
# \qquad \text{GraNd}_t(x, y) = \mathbb{E}_{\theta_0}\,\big\|\nabla_\theta\,\ell(f(\theta_t, x), y)\big\|_2 , $$
#
# the expectation over random initialisations (and data orders), estimated with $K = 10$
# networks. By the chain rule GraNd is EL2N's error vector pushed through the network's logit
# Jacobian $J$, so the two agree (up to a constant) when $J J^\top \approx c^2 I$ with one scale
# $c$ for every example — an isotropic Jacobian of constant size; EL2N is far cheaper. GraNd at $t = 0$ needs no training at all. The $K$ networks train as one vectorised
# ensemble; per-example gradients are one `vmap(grad(loss))` over a batch of examples (in quick
# mode GraNd uses 4 networks and 1 000 examples: each gradient is $D$ numbers):
#
# ```python
# def loss(theta, x, y): return F.cross_entropy(net(theta, x[None]), y[None])
# per_example_grads = vmap(grad(loss), in_dims=(None, 0, 0))(theta, xb, yb)   # (B, D)
# ```

# %%
el2n = diet.el2n(model, ds, settings, init_seeds=score_seeds, steps=SCORE_STEP)  # K networks
some = diet.random_subset(N, N_GRAND, seed=0)  # GraNd on these examples
grand = {t: diet.grand(model, ds, settings, init_seeds=score_seeds[:K_GRAND], steps=t,
                       examples=some, progress=False) for t in (0, SCORE_STEP)}  # fmt: skip
rho_g = {t: float(st.spearmanr(el2n[some], g).statistic) for t, g in grand.items()}
fig = figures.fig_el2n_grand(el2n[some], grand, rho_g, SCORE_STEP)
plotting.save(fig, "08_el2n_grand")
plt.show()

# %% [markdown]
# GraNd early in training ranks the examples almost as EL2N does (right). At initialisation, on
# our network, it does not (left): every prediction is then near uniform, so the gradient
# reflects the input and the random weights more than how hard the label is to learn.
#
# **This disagrees with a headline of Paul, Ganguli & Dziugaite (2021)**, who pruned CIFAR-10
# well by GraNd *at initialisation*. Kirsch (2023) re-ran their experiments: EL2N a few epochs
# into training reproduces, and GraNd later in training is useful, but GraNd at initialisation
# does no better than random pruning, and it correlates strongly with the norm of the input.
# Our small experiment sides with the replication.

# %%
print(f"Spearman ρ(GraNd, EL2N): {rho_g[0]:.2f} at t = 0, {rho_g[SCORE_STEP]:.2f} at t = "
      f"{SCORE_STEP}")  # fmt: skip
assert rho_g[SCORE_STEP] > 0.7, "GraNd early in training should rank examples as EL2N does"
assert rho_g[SCORE_STEP] > abs(rho_g[0]) + 0.4, "GraNd at initialisation should not"
print("checks passed: GraNd at t > 0 ranks like EL2N; at initialisation it does not")

# %% [markdown]
# Which examples does EL2N call easy, and which hard?

# %%
fig = figures.fig_easiest_hardest(ds.x_train, ds.y_train, el2n)
plotting.save(fig, "08_easiest_hardest")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The easiest examples are clean, typical digits (on the MNIST subset almost all round 0s). The
# hardest are odd: digits in an unusual style, ambiguous between two classes (a 9 that reads as a
# 0, a 3 that reads as a 7), or carrying a doubtful label — EL2N near $\sqrt 2 \approx 1.41$ means
# the networks are sure of *another* class. Look at the labels in the bottom row.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. How stable is the ranking?
#
# A score is only useful if it ranks the examples the same way every time. We compare Spearman's
# rank correlation of EL2N (a) from two independent sets of $K$ networks, (b) with fewer networks
# $K$, and (c) at different training times $t$ with the ranking at $t = $ `SCORE_STEP`.
#
# **Think!** Which will correlate better with the reference ranking: EL2N from $K = 1$ network at
# the same $t$, or EL2N from 10 networks at a different $t$?

# %%
per_net = diet.scores(model, ds, settings, score_seeds, SCORE_STEP, "el2n")  # (K, N), cached
second = diet.el2n(model, ds, settings, init_seeds=other_seeds, steps=SCORE_STEP)
rho_two = float(st.spearmanr(el2n, second).statistic)
rho_k = {k: float(st.spearmanr(per_net[:k].mean(0), second).statistic) for k in (1, 2, 5, 10)}
rho_t = {t: float(st.spearmanr(diet.el2n(model, ds, settings, init_seeds=score_seeds, steps=t,
                                         progress=False), second).statistic)
         for t in tqdm(SCORE_TIMES, desc="EL2N at each time t")}  # fmt: skip
print(f"two independent sets of {K_NETS}: Spearman {rho_two:.3f}")
print("K networks vs the second set:", {k: round(v, 3) for k, v in rho_k.items()})
print("time t vs the second set at t = SCORE_STEP:", {t: round(v, 3) for t, v in rho_t.items()})

fig = figures.fig_score_stability(rho_k, rho_t, SCORE_STEP)
plotting.save(fig, "08_score_stability")
plt.show()

# %% [markdown]
# Two independent sets of ten networks rank the 4 000 examples almost alike (the point at
# $t = $ `SCORE_STEP` on the right is that comparison). One network alone is noticeably noisier,
# and averaging more networks steadies the ranking (left). The ranking also *moves* with training
# time (right): after a few steps most examples are still poorly fit, and after the whole
# training most are fit well, so different examples stand out. For the **Think!**, compare the
# $K = 1$ point on the left with the points beside the reference time on the right: both the
# number of networks and the time matter, by similar amounts, which is why Paul et al. (2021)
# average about ten networks, all scored at one fixed, early time.

# %%
assert rho_two >= 0.7, f"EL2N rankings of two independent sets should agree (ρ = {rho_two:.2f})"
assert rho_k[10] > rho_k[1] + 0.05, "averaging networks should stabilise the ranking"
for t in (SCORE_TIMES[0], SCORE_TIMES[-1]):
    assert rho_t[t] < rho_two - 0.03, f"the ranking at t = {t} should differ ({rho_t[t]:.2f})"
print(f"checks passed: Spearman {rho_two:.2f} >= 0.7 between independent sets of {K_NETS} "
      f"networks; K = 10 beats K = 1 by {rho_k[10] - rho_k[1]:.2f}; at t = {SCORE_TIMES[0]} and "
      f"{STEPS} the ranking has drifted to {rho_t[SCORE_TIMES[0]]:.2f}, "
      f"{rho_t[STEPS]:.2f}")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Pruning the data itself
#
# Paul et al. (2021) train on the hardest fraction of the data only. Keeping the hardest examples
# drops the easy ones, which teach little once they are learned; but keep too few and the
# hardest are the mislabelled and odd ones, which teach the wrong thing. We train networks from
# scratch for the same $T$ steps on the hardest $x$ % by EL2N and on a random $x$ %, for several
# $x$ (every subset and seed is one member of one ensemble, each on its own pool of examples).
#
# **Think!** At $x = 10$ %, which wins: the hardest or a random 10 %? At $x = 70$ %?

# %%
# one grid over (subset, seed); x = 100 %: the hardest and a random part are both the whole
# training set, trained once and listed under both kinds
pruned = diet.data_pruning(model, ds, settings, SEEDS, scores=el2n, keep=KEEP)  # kind, x, seed
acc = {key: rows.test_acc.to_numpy() for key, rows in pruned.groupby(["kind", "fraction"])}
fig = figures.fig_data_pruning(acc, KEEP)
plotting.save(fig, "08_data_pruning")
plt.show()
for f in KEEP + [1.0]:
    print(f"x = {f:4.0%}: hardest {acc[('hardest', f)].mean():.3f}, random "
          f"{acc[('random', f)].mean():.3f}")  # fmt: skip

# %%
lo, hi = KEEP[0], KEEP[-1]
gap_lo = acc[("random", lo)].mean() - acc[("hardest", lo)].mean()
gap_hi = acc[("hardest", hi)].mean() - acc[("random", hi)].mean()
spread = max(acc[("random", lo)].std(), acc[("hardest", lo)].std())
assert gap_lo > max(2 * spread, 0.02), f"at x = {lo:.0%} the hardest should lose ({gap_lo:.3f})"
assert gap_hi > -0.02, f"at x = {hi:.0%} the hardest should about match random ({gap_hi:.3f})"
print(f"checks passed: at {lo:.0%} the hardest lose by {gap_lo:.3f}; at {hi:.0%} they are "
      f"{gap_hi:+.3f} against random")  # fmt: skip

# %% [markdown]
# Keeping only the hardest 10 % is a disaster: they are the odd, ambiguous and doubtfully
# labelled digits, and a network trained on them alone never sees a typical digit. From about
# 40 % on, the hardest examples do about as well as a random part of the same size (within a
# point or two, which is the noise of three seeds) — the easy examples they leave out add little.
# On CIFAR-10, Paul et al. (2021) could drop up to about half of the data, the easiest, without
# losing accuracy, and saw small gains; on our 4 000 MNIST digits the hardest part catches up
# with a random part but does not clearly beat it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Pre-training on a diet
#
# The main experiment of Paul et al. (2022), at our scale. Pre-train the dense network for a
# fixed $k$ = `PRE` steps on a subset of 10 % or 25 % of the data — random, easiest or hardest by
# EL2N (class-balanced) — then run IMP on the **full** data, rewinding to that point. Compare the
# tickets at a high sparsity with rewinding to $\theta_k$ pre-trained on the full data (for `PRE`
# steps, and for a quarter and 2.5 times as many), and with no pre-training at all ($k = 0$). In
# quick mode `PRE` = 20; on MNIST `SPARSE` = 60 steps in both modes.
#
# *One difference from Paul et al.* In their ResNets, tickets from $\theta_0$ fail: the
# pre-training is what makes tickets possible at all. In our small network tickets from
# $\theta_0$ work (chapter 07: it is stable at initialisation), so what is left to compare is the
# *quality of the starting point*. To see it, every ticket here gets the same short budget of
# `SPARSE` steps of sparse training per level, whatever its pre-training. As a control, $k = 0$
# also runs with `SPARSE` + `PRE` steps — the pre-training's steps spent on the sparse network
# instead.
#
# **Think!** Rank the starting points by the ticket accuracy you expect: full data, random 10 %,
# easiest 10 %, hardest 10 %, and $k = 0$. Does a larger subset help?

# %%
share = f"{DIET / N:.0%}"  # "10%": the small subsets, which the checks are about
starts = [pruning.Start(0, name="k = 0")] + [
    pruning.Start(k, name=f"full data, k = {k}") for k in (PRE // 4, PRE, 5 * PRE // 2)
] + [  # class-balanced; a random subset differs by replica, a scored one not
    diet.diet_start(kind, n, k=PRE, scores=el2n, labels=ds.y_train, init_seeds=SEEDS)
    for n in DIET_SIZES for kind in diet.DIETS
]  # fmt: skip
tickets = pruning.imp_grid(model, ds, settings, starts, init_seeds=SEEDS, levels=LEVELS,
                           level_steps=SPARSE)  # every start and replica: one ensemble  # fmt: skip
longer = diet.diet_lottery(model, ds, settings, init_seeds=SEEDS, pools=None, pretrain_steps=0,
                           levels=LEVELS, level_steps=SPARSE + PRE)  # the control  # fmt: skip
FIX = LEVELS
density = tickets["k = 0"].density[FIX]
final = {name: r.test_acc[FIX] for name, r in tickets.items()}
for name, a in final.items():
    print(f"{name:18s} ticket at {density:.1%}: {a.mean():.3f} ± {a.std():.3f}")
print(f"k = 0 with {SPARSE + PRE} sparse steps: {longer.test_acc[FIX].mean():.3f}")
n_div = {name: int(r.diverged.any(0).sum()) for name, r in [*tickets.items(), ("control", longer)]}
print("replicas that diverged (none has an accuracy):", {n: d for n, d in n_div.items() if d} or
      "none")  # fmt: skip

# %%
names = list(final)
fig = figures.fig_diet_tickets(final, f"full data, k = {PRE}", longer.test_acc[FIX],
                               f"control: k = 0 with {SPARSE + PRE} sparse steps",
                               f"Tickets at {density:.1%} of the weights, by starting point "
                               f"(k = {PRE} unless marked)")  # fmt: skip
plotting.save(fig, "08_diet_tickets")
plt.show()

# %% [markdown]
# **What we see.** A random 10 % of the data pre-trains as well as the full data for the same number
# of steps: the tickets found from there are as good — Paul et al.'s first finding, at our scale.
# The easiest 10 % do about as well; the hardest 10 % give a starting point no better than the
# others (slightly worse in some of our runs, as good in others: within a point, at the edge of
# what a few seeds resolve; they are the odd and doubtful digits of section 3). Pre-training helps with enough steps: a
# quarter of `PRE` gains nothing over $k = 0$, and the longest pre-training beats it clearly;
# whether `PRE` steps beat $k = 0$ by more than the spread of the replicas changes from run to run
# (the table above has this run's numbers). The control shows what pre-training is worth here:
# spending the `PRE` steps on the sparse network instead does at least as well. In this small,
# stable network a pre-trained start is worth about its own steps; in Paul et al.'s ResNets it is
# what makes tickets possible, and there the diet saves real compute. (With a few seeds,
# differences of a point between starting points are at the edge of what we can resolve: look at
# the dots.)
#
# **A larger subset does not help** at this step count: the 25 % subsets land among the 10 %
# ones, within the spread of the replicas. Which random examples a replica pre-trains on moves
# its ticket by a point or two (try other draws: `seed=` of `random_subset`), as much as what
# kind of subset it is. A start sees only `PRE` mini-batches anyway.
#
# *Not shown here:* Paul et al.'s second finding, that the *easiest* examples reach a good
# starting point in *fewer* steps than the full data. Exercise 4 tries it at our scale.

# %%
full = final[f"full data, k = {PRE}"]
k0, longest = final["k = 0"], final[f"full data, k = {5 * PRE // 2}"]
for kind in ("random", "easiest"):
    a = final[f"{kind} {share}"]
    assert a.mean() >= full.mean() - 0.015, f"{kind} {share}: {a.mean():.3f} vs {full.mean():.3f}"
assert longest.mean() - k0.mean() > max(longest.std() + k0.std(), 0.01), (
    "the longest pre-training should beat k = 0 by more than the seed spread"
)
hard = final[f"hardest {share}"]
others = np.mean([a.mean() for a in (full, final[f"random {share}"], final[f"easiest {share}"])])
assert hard.mean() < others + 0.01, (  # within a point: a few seeds do not resolve more
    f"hardest should pre-train no better than the others ({hard.mean():.3f} vs {others:.3f})"
)
assert not any(n_div.values()), "a run diverged (printed above)"
assert longer.test_acc[FIX].mean() >= full.mean() - 0.015, (
    "the control (k = 0 with the pre-training's steps) should be at least about as good as "
    "pre-training: a pre-trained start is worth no more than its own steps here"
)
print(f"checks passed: random and easiest {share} within 0.015 of full-data pre-training "
      f"({full.mean():.3f}); the longest pre-training beats k = 0 ({longest.mean():.3f} vs "
      f"{k0.mean():.3f}); hardest no better than the others; the control as good")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Linearly connected examples predict ticket quality
#
# Chapter 07's instability analysis, one example at a time. From each starting point train two
# copies on the full data with different mini-batch orders; for every training example take its
# loss at the copies' midpoint minus the mean of its two losses (`connectivity.midpoint_barrier`,
# as the `lth_diet` code). An example is *linearly mode connected* when that is at most
# $\varepsilon = 0.01$ (our choice of threshold). Paul et al. (2022) found that the more examples
# are connected at a starting point, the better its tickets. Their copies train for the whole
# training; ours for `SPARSE` steps, the budget of one IMP level here.
#
# **Think!** Which starting points will have the most connected examples?

# %%
EPS = 0.01
copies = {name: connectivity.instability(model, ds, settings.replace(steps=SPARSE), r.rewind,
                                         n_points=11, per_example=True, progress=False)
          for name, r in tqdm(tickets.items(), desc="two copies from each start")}  # fmt: skip
n_conn = {name: (c["midpoint"] <= EPS).sum(1).double().numpy() for name, c in copies.items()}
x_c = np.array([n_conn[n].mean() for n in names])
y_c = np.array([final[n].mean() for n in names])
easy = np.array([n.startswith("easiest") for n in names])
rho_all = float(st.spearmanr(x_c, y_c).statistic)
rho_rest = float(st.spearmanr(x_c[~easy], y_c[~easy]).statistic)
bar = np.array([copies[n]["barrier"].mean() for n in names])
fig = figures.fig_connected_examples(
    names, x_c, y_c, bar,
    f"Connected examples and ticket accuracy: Spearman ρ = {rho_all:.2f} over all starts",
    f"training examples connected at the start (midpoint loss barrier ≤ {EPS})",
    f"ticket test accuracy at {density:.1%}")  # fmt: skip
plotting.save(fig, "08_connected_examples")
plt.show()
for name in names:
    print(f"{name:18s} connected {n_conn[name].mean():6.0f}, error barrier "
          f"{copies[name]['barrier'].mean():.3f}, ticket {final[name].mean():.3f}")  # fmt: skip
print(f"Spearman ρ(connected, ticket): {rho_all:.2f} over all {len(names)} starts, {rho_rest:.2f} "
      "without the easiest; starts whose copies diverged:",
      [n for n, c in copies.items() if c["diverged"].any()] or "none")  # fmt: skip

# %% [markdown]
# **What Paul et al. found, what we see, and why.** They found that the number of connected
# examples tracks the quality of a starting point's tickets. We see it for the starts pre-trained
# on the full data: pre-training longer connects more examples, and gives better tickets. Over
# **all** the starts, though, the count ranks the tickets poorly (the ρ in the title, printed
# above): the starts pre-trained on the *easiest* examples break the pattern. They have fewer
# connected examples than the random starts of their size, and large error barriers, yet tickets
# as good. That is a finding of this chapter, not of the paper. Our reading (a hypothesis, not
# something this chapter measures): a network pre-trained only on easy examples is very confident
# and has not yet met the hard ones; two copies trained from it on the full data meet them in
# different orders and end apart on them, while the tickets, retrained on the full data level
# after level, do not inherit that. The checks below assert the full-data trend and this
# exception, both.
#
# The two measures of connectivity need not agree either: the error barrier counts *test errors*
# along the whole line, the connected examples ask whether each *training* example's loss rises
# by more than $\varepsilon$ at the midpoint. From $\theta_0$ the copies can stay in one basin
# (a small error barrier) while many examples' losses still rise a little at the midpoint:
# compare the $k = 0$ start's error barrier and its count in the table above.

# %%
by_k = [n_conn[f"full data, k = {k}"].mean() for k in (PRE // 4, PRE, 5 * PRE // 2)]
assert n_conn["k = 0"].mean() < by_k[1] < by_k[2], (
    f"pre-training on the full data should connect more examples: k = 0 "
    f"{n_conn['k = 0'].mean():.0f}, k = {PRE} {by_k[1]:.0f}, k = {5 * PRE // 2} {by_k[2]:.0f}"
)
assert not any(c["diverged"].any() for c in copies.values()), "a start's copies diverged"
most, none_ = final[f"full data, k = {5 * PRE // 2}"], final["k = 0"]
assert most.mean() - none_.mean() > max(most.std() + none_.std(), 0.01), (
    "on the full data, the most connected start should give better tickets than k = 0"
)
for p in (f"{n / N:.0%}" for n in DIET_SIZES):
    e, r = f"easiest {p}", f"random {p}"
    assert n_conn[e].mean() < n_conn[r].mean(), f"the {e} start should be less connected"
    assert final[e].mean() >= final[r].mean() - 0.015, f"yet its tickets as good as the {r} ones"
assert rho_all < 0.8, f"over all starts the count should not rank the tickets (ρ = {rho_all:.2f})"
print(f"checks passed: on the full data, longer pre-training connects more examples and gives "
      f"better tickets; the easiest starts are less connected than random ones yet as good, so "
      f"over all starts ρ = {rho_all:.2f} (Paul et al. 2022 found the count to track quality)")  # fmt: skip


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Exercises
#
# **Exercise 1 — EL2N by hand.** Complete `my_el2n`: for logits (N, C) and labels (N,), the norm
# of softmax minus one-hot, per example. The check compares it with the package on the K
# networks' logits.

# %%
def my_el2n(logits, y):
    """EL2N (N,) of one network's logits (N, C) for labels y (N,)."""
    # BEGIN SOLUTION
    onehot = torch.nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return (logits.softmax(1) - onehot).norm(dim=1)
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    net = params.Functional.of_module(model)
    theta = pruning.initial_points(model, score_seeds[:1])[0]
    mine = my_el2n(net(theta, ds.x_train[:500]), ds.y_train[:500]).cpu()
    ref = diet.el2n_per_network(net, theta[None], ds.x_train[:500], ds.y_train[:500])[0]
    assert torch.allclose(mine, ref, atol=1e-5), "differs from diet.el2n_per_network"
    print("your EL2N matches on 500 examples")


# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — a class-balanced easy subset.** Complete `my_easiest_balanced`: the `n` lowest
# scores within each class (`n // C` per class; the first `n % C` classes get one more), as
# sorted indices. The check compares it with `diet.easiest(..., class_balanced=True)`.

# %%
def my_easiest_balanced(scores, labels, n):
    """Sorted indices of a class-balanced easiest subset of size n."""
    # BEGIN SOLUTION
    classes = torch.unique(labels)
    per, extra = divmod(n, len(classes))
    picked = []
    for i, c in enumerate(classes.tolist()):
        idx = torch.nonzero(labels == c).squeeze(1)
        ranked = idx[torch.argsort(scores[idx], stable=True)]
        picked.append(ranked[: per + (i < extra)])
    return torch.sort(torch.cat(picked)).values
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    y_cpu = ds.y_train.cpu()
    for n in (25, 203):
        mine = my_easiest_balanced(el2n, y_cpu, n)
        assert torch.equal(mine, diet.easiest(el2n, n, labels=y_cpu, class_balanced=True))
    print("your balanced subset matches diet.easiest")


# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — predict, then measure: how many mislabelled examples hide at the top?** Flip
# the labels of 2 % of the training examples at random. **Predict first**: what fraction of the
# flipped examples will land among the 2 % of highest EL2N (computed on the noisy data, with the
# same $K$ networks and $t$)? Return it from `predicted_recall`, then run the cell.

# %%
def predicted_recall():
    """Your guess: the fraction of flipped labels among the 2 % of highest EL2N."""
    # BEGIN SOLUTION
    return 0.7  # mislabelled examples have EL2N near sqrt(2): most should be at the top
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    gen = torch.Generator().manual_seed(0)
    flip = torch.randperm(N, generator=gen)[: N // 50]
    noisy_y = ds.y_train.clone()
    noisy_y[flip] = (noisy_y[flip] + torch.randint(1, 10, (len(flip),), generator=gen)
                     .to(noisy_y.device)) % 10  # fmt: skip
    noisy = dataclasses.replace(ds, y_train=noisy_y, name=f"{ds.name}, 2 % labels flipped")
    noisy_scores = diet.el2n(model, noisy, settings, init_seeds=score_seeds, steps=SCORE_STEP,
                             progress=False)  # fmt: skip
    top = set(torch.argsort(noisy_scores, descending=True)[: N // 50].tolist())
    recall = len(top & set(flip.tolist())) / len(flip)
    print(f"measured: {recall:.0%} of the flipped labels are in the top 2 % by EL2N "
          f"(your guess {predicted_recall():.0%}; chance: 2 %)")  # fmt: skip
    assert recall > 0.3, "flipped labels should stand out by EL2N"

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 (open) — predict, then measure: easy data in fewer steps?** Paul et al. (2022)
# found that pre-training on the *easiest* examples reaches a good starting point for IMP in
# fewer steps than the full data or a random subset. **Predict first**: with only $k = 5$ or 10
# steps of pre-training, will the easiest 10 % give better tickets than the full data? Then
# measure it (each run takes about as long as one bar of section 4):
#
# ```python
# for k in (5, 10):
#     easy = diet.diet_start("easiest", DIET, k=k, scores=el2n, labels=ds.y_train,
#                            init_seeds=SEEDS)
#     r = pruning.imp_grid(model, ds, settings, [pruning.Start(k, name="full data"), easy],
#                          init_seeds=SEEDS, levels=LEVELS, level_steps=SPARSE)
#     print(k, {name: run.test_acc[FIX].mean().round(3) for name, run in r.items()})
# ```
#
# Compare with the full-data tickets of section 4 at $k$ = 20 and 50. If you see no head start
# for the easy data, what about our setting (network, data, the size of the subset, how the
# scores were computed) might differ from Paul et al.'s CIFAR-10 ResNets?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The paper's numbers and ours
#
# | | Paul et al. (2022), ResNets on CIFAR-10 | ours, full mode (CPU: MNIST subset) | ours, quick mode |
# | --- | --- | --- | --- |
# | a random subset pre-trains as well | holding the pre-training steps fixed, a small random fraction of the data gives a start as good for IMP as the full data | tickets at 2.8 %, $k$ = 40: random 10 % 0.920 ± 0.007, full data 0.911 ± 0.004 | at 4.4 %, $k$ = 20: random 10 % 0.912, full data 0.915 |
# | easy and hard subsets | the easiest examples reach a good start in fewer steps | same steps: easiest 10 % 0.912, hardest 10 % 0.909 | easiest 0.909, hardest 0.908 |
# | is pre-training needed? | yes: IMP from $\theta_0$ fails in their ResNets | no: $k = 0$ gives 0.891, the longest pre-training ($k$ = 100) 0.925, $k = 0$ with the pre-training's steps spent on the sparse network 0.930 | $k = 0$ 0.899, $k$ = 50 0.922, the control 0.921 |
# | connected examples predict tickets | the more examples are linearly mode connected, the better the tickets | along the full-data pre-training, yes; over all 10 starts Spearman ρ = 0.43 (0.67 without the easiest) | ρ = 0.05 (0.40 without the easiest) |
#
# Full and quick mode here are the runs of 2026-12-07; the cell below prints this run's numbers.
# *Why they differ.* **Data:** 4 000 MNIST digits instead of CIFAR-10's 50 000 images; a 10 %
# subset is 400 digits. **Model:** LeNet-300-100, stable at initialisation (chapter 07), where
# their ResNets are not: so a start here is worth about its own steps instead of being what makes
# tickets possible. **Steps:** 60 sparse steps per IMP level in both modes (their levels train to
# convergence), pre-training for $k$ = `PRE` = 40 steps in full mode and 20 in quick mode; with
# five or three replicas, differences of a point between starts are at the edge of what we
# resolve.
#
# **On CIFAR-10** (Conv-2, $D$ = 1,136,586, $T$ = 3 000), where it can be downloaded, full mode is
# meant for one GPU. Counting the chapter's trainings there (IMP from ten starts, the control, the
# scoring networks, the data-pruning runs and the connected-example copies) gives about 1.1
# million member-steps; at the 0.19 s of CPU per member-step timed on this CPU (Conv-2, batch 128,
# one thread, load 3) that is about 60 hours for the training steps alone, before GraNd's
# per-example gradients and the evaluations. The GPU time is not measured.

# %%
print(f"this run ({config.mode()} mode, {ds.name}): tickets at {density:.1%}, k = {PRE}: random "
      f"{share} {final[f'random {share}'].mean():.3f}, full data {full.mean():.3f}, easiest "
      f"{final[f'easiest {share}'].mean():.3f}, hardest {hard.mean():.3f} | k = 0 {k0.mean():.3f}, "
      f"longest {longest.mean():.3f}, control {longer.test_acc[FIX].mean():.3f} | connected vs "
      f"ticket: Spearman {rho_all:.2f} over all starts")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# * **EL2N** (the norm of softmax minus one-hot) and **GraNd** (the norm of the example's
#   gradient), averaged over ~10 networks trained briefly, rank examples from easy to hard early in
#   training; the hardest include odd, ambiguous and mislabelled examples. Rankings from
#   independent sets of networks agree well; one network is noisier, and the ranking drifts with
#   the training time.
# * **Data pruning**: keeping only the hardest examples costs nothing when most of the data is
#   kept (Paul et al. 2021 even gained a little on CIFAR-10), and is a disaster when little is —
#   then the hardest are the odd and doubtful ones.
# * **Pre-training on a diet**: the dense training before IMP's rewind point does not need the full
#   data. A random 10 % gives starting points as good as the full data for the same number of
#   steps; in our runs the easiest 10 % nearly as good, the hardest 10 % no better, and 25 % no better
#   than 10 % (which random examples are drawn matters as much). Paul et al. also
#   found that the easiest examples get there in fewer steps (exercise 4).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember (continued)
#
# * The number of **linearly mode connected examples** at a starting point tracked how good its
#   tickets are in Paul et al.'s networks: instability analysis, one example at a time. Here it
#   holds along the full-data pre-training, but not over all starts: the starts pre-trained on
#   the easiest examples are the least connected, yet give tickets as good as random ones.
# * In this small network tickets from $\theta_0$ also work (chapter 07), and a pre-trained start
#   is worth about its own steps; Paul et al.'s larger networks need the pre-training, and there
#   the diet saves real compute.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Sources
#
# * M. Paul, B. W. Larsen, S. Ganguli, J. Frankle, G. K. Dziugaite. *Lottery tickets on a data
#   diet: finding initializations with sparse trainable networks.* NeurIPS 2022 (pre-training on
#   random, easy and hard subsets before IMP; linearly connected examples; the `lth_diet` code's
#   subsets and per-example midpoint barrier).
# * M. Paul, S. Ganguli, G. K. Dziugaite. *Deep learning on a data diet: finding important
#   examples early in training.* NeurIPS 2021 (EL2N and GraNd; pruning the data by score; the
#   hardest examples hurt when few are kept).
# * A. Kirsch. *Does "Deep learning on a data diet" reproduce? Overall yes, but GraNd at
#   initialization does not.* TMLR 2023.
# * J. Frankle, G. K. Dziugaite, D. M. Roy, M. Carbin. *Linear mode connectivity and the lottery
#   ticket hypothesis.* ICML 2020 (rewinding and instability, chapter 07).

# %%
print(f"chapter time: {time.perf_counter() - t_start:.0f} s wall, "
      f"{time.process_time() - cpu_start:.0f} s CPU (this kernel)")  # fmt: skip
