# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · Lottery subspaces: the directions that training itself chooses
#
# **The question.** Chapter 05 drew subspaces at random and found that a network needs a few
# hundred random directions to reach 90 % training accuracy, fewer after a little ordinary
# training. Random directions are the baseline: what one gets with no information. What if the
# directions are the ones ordinary training actually moves along? Larsen, Fort, Becker and
# Ganguli (ICLR 2022) record a training trajectory, take its top principal directions — a **lottery subspace** — and
# train a fresh start inside it. How many of *those* directions are needed, compared with random
# directions, burn-in directions, and the sparse **lottery ticket** of the same size?
#
# **Learning goals.** After this chapter you can
# 1. compute the principal directions of a training trajectory in bounded memory (exact SVD when
#    the update matrix fits, a streaming SVD when it does not);
# 2. train any given basis, and any set of chosen weights, as a subspace through the same engine
#    as random projections, and compare methods at matched $d$ by success probability;
# 3. measure how early in training the good directions appear, against where that early stretch
#    of training itself got;
# 4. compare subspaces by principal angles and energy fractions, against the random baseline,
#    and relate the trajectory's directions to the Hessian's stiff ones (chapter 02);
# 5. take a lottery subspace apart: how much of it is the one line from $\theta_0$ to the end of
#    training, and what the other directions are worth on their own.
#
# **Prerequisites.** Chapter 02 (Hessian spectra, Lanczos), chapter 03 (training in a subspace,
# the engine), chapter 05 (success probabilities, thresholds, burn-in; this chapter reuses its
# grid and its functions).
#
# **Time:** quick ≈ 1 min, full ≈ 2 h (quick measured on 2026-12-07 with `make course MODE=quick
# FRESH=1` on a quiet 2-core CPU: an empty cache, one thread; 2–3× as long on a busy laptop. Full
# is an estimate, not yet a run end to end: about 550 Conv-2 subspace trainings of its own at
# 14 s each, the rate chapter 05's full run measured on a shared 2-core machine at load 2, one
# thread; its 192 random and burn-in runs are chapter 05's, read from 05's cache or, in full
# mode, from the results that ship with the course; GPU time not measured)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 40-minute lecture. Contrast with chapter 05 at once: there the directions were random,
# here they come from the trajectory of training itself. Ask before each figure how many
# directions the lottery subspace needs; the answer (one to a few) surprises most students.
# End on the caveat: most of the power is one line, the net displacement.

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
import copy
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from dofcourse import config, data, exercises, hessian, models, phase, plotting, train
from dofcourse import lottery_subspace as lottery
from dofcourse.device import get_device
from dofcourse.lottery_subspace import figures
from dofcourse.params import count, flatten, load_into
from dofcourse.settings import TrainSettings

plotting.use_style()
device = get_device()
print("mode:", config.mode(), "| device:", device)

# the same model, data, subspace training and ordinary training as chapter 05 (its cache is reused)
DATASET = config.size(full="mnist_subset", quick="digits")
SEEDS = list(range(8))
DIMS = [2**k for k in config.size(full=range(1, 13), quick=range(1, 11))]
STEPS, BATCH, EVAL_EVERY = 200, 128, 20
EVAL_EXAMPLES = config.size(full=1000, quick=None)  # training images judged, as chapter 05
SUBSPACE = TrainSettings(steps=STEPS, lr=0.05, optimizer="adam", batch_size=BATCH)
ORDINARY = TrainSettings(steps=1, lr=0.05, momentum=0.9, batch_size=BATCH)
BURN_IN = 16  # steps of ordinary training before the burn-in subspace is drawn
EVERY = 5  # record every 5th update, as the reference code
LOTTERY_DIMS = [2**k for k in range(0, config.size(full=9, quick=8))]  # 1..256 / 1..128
LENGTHS = config.size(full=[25, 50, 100, 250, 500, 1280], quick=[25, 50, 100, 200, 640])
PRETRAIN = config.size(full=62, quick=22)  # 2 epochs before the ticket's mask, as the reference

ds = data.load(DATASET, device=device)
torch.manual_seed(0)
model = config.size(
    full=lambda: phase.conv2_small(ds.input_shape, ds.n_classes),
    quick=lambda: models.mlp(ds.input_shape, ds.n_classes, hidden=(32,)),
)().to(device)
D = count(model)
print(ds)
print(f"D = {D:,}; trajectories of {LENGTHS[-1]} steps, every {EVERY}th update recorded")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea in a picture
#
# The network, data and training are chapter 05's: in quick mode a small MLP (one hidden layer of
# 32 units) on the 8×8 digits, in full mode Conv-2 on 4,000 MNIST training images ($D$ is
# printed above), and chapter 05's cached runs are reused.
#
# Train the full network from $\theta_0$ with ordinary SGD and record every fifth update
# $u_j = \theta_{5j} - \theta_{5(j-1)}$: over 640 steps (quick mode; 1,280 in full mode) that is
# $T$ = 128 (256) vectors in $\mathbb{R}^D$. Stack them as the columns of $U$ ($D \times T$) and
# take its singular value decomposition
# $U = \sum_i \sigma_i\, v_i w_i^\top$. The left singular vectors $v_i$ are the directions of the
# motion, ordered by how much of it they carry, $\sigma_i^2 / \sum_j \sigma_j^2$ (the SVD is
# *uncentred*, as in the reference code, so the net displacement counts too). The first $d$ of
# them span the lottery subspace of dimension $d$.
#
# **Think!** Of the $T$ recorded directions, how many carry 90 % of the motion: most of them,
# a dozen, or one? And how would you expect this to look next to the Hessian's spectrum of
# chapter 02 — a few large outliers over a flat bulk?

# %%
traj = lottery.trajectory_directions(model, ds, ORDINARY, LOTTERY_DIMS[-1], every=EVERY,
                                     lengths=LENGTHS)  # fmt: skip
sv = traj["singular_values"][LENGTHS[-1]].numpy()
end = load_into(copy.deepcopy(model), traj["theta_end"].to(device))  # theta at the trajectory's end
op = hessian.hessian_operator(end, (ds.x_train, ds.y_train), batch_size=4096)
hess_vals, hess_vecs = hessian.lanczos_eigs(op, 30)
share = np.cumsum(sv**2) / np.sum(sv**2)
theta0 = flatten(model).cpu()
displacement = traj["theta_end"] - theta0  # theta_T - theta_0
cos_disp = float(traj["basis"][LENGTHS[-1]][:, 0] @ displacement / displacement.norm())
print(
    f"SVD ({traj['method']}): the top direction carries {share[0]:.0%} of the motion, the "
    f"top 10 {share[9]:.0%}, 90 % needs {int(np.searchsorted(share, 0.9)) + 1} of {len(sv)}; "
    f"|cosine| of the top direction with theta_T - theta_0: {abs(cos_disp):.2f}"
)
fig = figures.fig_spectra(sv, hess_vals.cpu().numpy(), D)
plotting.save(fig, "06_spectra")
plt.show()
n90 = int(np.searchsorted(share, 0.9)) + 1
assert share[0] > 0.3, f"one direction should carry a large share of the motion, got {share[0]:.0%}"
assert n90 <= 0.1 * len(sv), f"90 % of the motion should need few directions, {n90} of {len(sv)}"
assert abs(cos_disp) > 0.6, f"it should be close to theta_T - theta_0, |cosine| {abs(cos_disp):.2f}"

# %% [markdown]
# One direction carries a large share of the motion (73 % in quick mode; 45 % of Conv-2's 1,280
# steps in full mode): with an uncentred SVD it is close to the net displacement
# $\theta_T - \theta_0$ (the cosine printed above: 0.90 in quick mode, 0.72 in full), the line
# from the start to where training went. A handful of directions carry 90 % of the motion (5 of
# 128 in quick mode, 16 of 256 in full). Keep this in mind for what follows: section 5 asks how much of a lottery
# subspace's power is that one line. The rest
# falls off steeply, like the Hessian's outliers over its bulk: training moves in few directions.
# (Section 4 shows these two spectra are related by more than their shape.)
#
# In code, a lottery subspace is one `on_step` hook and one SVD; the package adds the memory
# budget (the $D \times T$ matrix is refused before it is allocated when it would not fit, and
# a streaming SVD that never forms it takes over) and the cache:
#
# ```python
# updates, prev = [], flatten(model)
# def record(step, net):                      # train.train(..., on_step=record)
#     if step % 5 == 0:
#         now = flatten(net); updates.append(now - prev); prev = now
# V, sigma, _ = torch.linalg.svd(torch.stack(updates, 1), full_matrices=False)
# basis = V[:, :d]                            # the lottery subspace of dimension d
# ```
#
# Training in it goes through the engine like any projection: `subspace.sweep(...,
# kind="basis", basis=stack_of_bases)` (the seed picks one basis of the stack: here seed $s$ is
# the trajectory recorded with mini-batch order $s$), anchored at $\theta_0$, with the same Adam
# and budget as chapter 05's random subspaces.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Four ways to choose $d$ directions
#
# At matched $d$, same optimiser, same budget and same target:
#
# * **random** — a random subspace through $\theta_0$ (chapter 05, $t = 0$);
# * **burn-in** — a random subspace through $\theta_{16}$ (chapter 05);
# * **lottery subspace** — the top $d$ trajectory directions, through $\theta_0$;
# * **lottery ticket** — train only $d$ weights, from their initial values, all others at zero:
#   the $d$ largest in magnitude after 2 epochs of ordinary training (one-shot global magnitude
#   pruning, as the reference code). It is a subspace too — spanned by $d$ coordinate axes,
#   through $\theta_0$ with the pruned weights zeroed (kind `"coordinates"`; the tests check it
#   is exactly masked training).
#
# One caution on "same optimiser". Adam moves every trainable coordinate by about its learning
# rate per step, which suits the directions of a subspace but is a large step for a single raw
# weight of this network. The reference code (`lottery_ticket.py`) retrains its tickets with SGD
# with momentum 0.9 instead, at a rate of 0.1 for its first 400 steps, then 0.03, 0.01 and 0.003.
# So the tickets are trained twice: with the common Adam, and as the reference does, **lottery
# ticket (SGD)** (our budget of 200 steps lies inside the schedule's first stage, so that is
# SGD with momentum at 0.1 throughout). If the ticket's result were an artefact of Adam, the two
# would differ.
#
# **Think!** The ticket and the lottery subspace both use information from a short training. Which
# do you expect to need fewer dimensions, and by how much?

# %%
runs = lottery.compare_methods(model, ds, SUBSPACE, DIMS, SEEDS, ordinary=ORDINARY,
                               burn_in=BURN_IN, pretrain_steps=PRETRAIN, every=EVERY,
                               lottery_dims=LOTTERY_DIMS, lengths=LENGTHS,
                               eval_every=EVAL_EVERY, eval_examples=EVAL_EXAMPLES,
                               progress=True)  # fmt: skip
TICKET_SGD = SUBSPACE.replace(optimizer="sgd", lr=0.1, momentum=0.9)  # the reference's retraining
sgd_tickets = lottery.ticket_sweep(model, ds, TICKET_SGD, DIMS, SEEDS,
                                   pretrain=ORDINARY.replace(steps=PRETRAIN),
                                   eval_every=EVAL_EVERY, eval_examples=EVAL_EXAMPLES,
                                   progress=True)  # fmt: skip
runs = pd.concat([runs, sgd_tickets.assign(method="lottery ticket (SGD)")], ignore_index=True)
EPS = 0.9
th = phase.thresholds(runs, [EPS, 0.95, 0.98], by=("method",))
print(th.pivot(index="method", columns="eps", values="d_star").round(1).to_string())
fig = figures.fig_methods(runs, [EPS, 0.95, 0.98], D)
plotting.save(fig, "06_methods")
plt.show()

# %%
d_at = th[th.eps == EPS].set_index("method").d_star
gain = d_at["random"] / d_at["lottery subspace"]
print(
    f"eps = {EPS}: lottery subspace d* = {d_at['lottery subspace']:.1f}, random "
    f"{d_at['random']:.0f} ({gain:.0f}x fewer), lottery ticket {d_at['lottery ticket']:.0f}"
)
assert gain >= 30, f"the lottery subspace should need >= 30x fewer dims than random, got {gain:.1f}"
for ticket in ("lottery ticket", "lottery ticket (SGD)"):
    for e in (EPS, 0.95):
        d_e = th[th.eps == e].set_index("method").d_star
        ratio = d_e[ticket] / d_e["random"]
        assert 1 / 2 <= ratio <= 2, f"{ticket} at {e}: d* {ratio:.2f}x random's, not about equal"
    assert d_at[ticket] >= 8 * d_at["lottery subspace"], f"the {ticket} should need far more"
print(f"checks passed: the lottery subspace needs {gain:.0f}x fewer dimensions than random; "
      f"the ticket is within 2x of random at eps = {EPS} and 0.95, trained with Adam or with the "
      f"reference's SGD")  # fmt: skip

# %% [markdown]
# The lottery subspace reaches each target with one to a few directions where random subspaces
# need a couple of hundred. But look at why. Its first direction is close to the displacement
# $\theta_T - \theta_0$ of a run that went on to fit the data, so a single free coordinate can slide
# $\theta_0$ towards where that run ended: the subspace *contains* a path to a solution, which no
# random subspace of small dimension does. At $\epsilon = 0.9$ the line alone is enough ($d^* = 1$,
# the smallest $d$ of the grid, so "1" here means "at most 1"). That is fair — the reference code
# builds its lottery subspaces exactly so, from one training run of $5\,d_{\max}$ steps — but it is
# a weaker statement than "training's directions are better": section 5 takes the line out and
# looks at what is left. The ticket of the same size does about as well as a random subspace
# here, and it does so whether it is retrained with the common Adam or with the reference code's
# SGD: the result is not an artefact of the optimiser. $d$ coordinate axes chosen by magnitude
# after 2 epochs hold no such path, and every weight outside them is pinned at zero.
#
# Two more things the figure shows. Burn-in helps the random subspace (its anchor is better) at
# 90 %, but far less than choosing the directions. And at the stricter targets the lottery
# subspace's success probability *falls back* at its largest $d$: the extra directions are stiff
# ones (section 4), along which Adam — which moves every coordinate of $z$ by about its learning
# rate per step, however small its gradient — takes steps far too long. Exercise 3 tests that
# explanation.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Early against late: how soon the good directions appear
#
# The trajectory above is 640 steps long (quick mode). Build lottery subspaces from its first
# 25, 50, 100, 200 steps instead (one recorded run per seed gives all of them) and train in them.
# Compare each with the point that stretch of training reached, $\theta_L$: the lottery subspace
# of the first $L$ steps passes near it — with all $L/5$ directions it contains it exactly — so
# reaching $\theta_L$'s accuracy is no surprise. The question is what a *few* of its directions
# reach, and whether they lead further than the $L$ steps went.
#
# **Think!** $\theta_{25}$, after 25 steps, is already far above chance (the table below gives its
# training accuracy). Will the best 4-dimensional lottery subspace of those 25 steps, trained for
# 200 Adam steps, get well past $\theta_{25}$'s accuracy, or stop near it?

# %%
early = {
    n: lottery.lottery_sweep(model, ds, SUBSPACE, [d for d in LOTTERY_DIMS if d <= n // EVERY],
                             SEEDS, trajectory=ORDINARY, every=EVERY, lengths=LENGTHS, length=n,
                             eval_every=EVAL_EVERY, eval_examples=EVAL_EXAMPLES,
                             record=LOTTERY_DIMS[-1], progress=True)
    for n in LENGTHS
}  # fmt: skip
# the recorded runs themselves (cached by the sweeps), for the point theta_L each one reached
recorded = [lottery.trajectory_directions(model, ds, ORDINARY.replace(order_seed=s),
                                          LOTTERY_DIMS[-1], every=EVERY, lengths=LENGTHS)
            for s in SEEDS]  # fmt: skip
end_acc = [
    float(np.median([train.evaluate(load_into(copy.deepcopy(model), r["theta"][n].to(device)),
                                    ds.x_train, ds.y_train)[1] for r in recorded]))
    for n in LENGTHS
]  # fmt: skip
SHOW_D = [1, 4, 16]
lottery_acc = {
    d: [early[n][early[n].d == d].best_train_acc.median() if d <= n // EVERY else np.nan
        for n in LENGTHS]
    for d in SHOW_D
}  # fmt: skip
random_runs = runs[runs.method == "random"].drop(columns="method")
random_acc = {d: float(random_runs[random_runs.d == d].best_train_acc.median()) for d in (4, 128)}
K = 8
full_basis = traj["basis"][LENGTHS[-1]][:, :K]
overlap = [lottery.energy_fraction(traj["basis"][n][:, :K], full_basis) for n in LENGTHS]
print(
    pd.DataFrame(
        {
            "steps recorded L": LENGTHS,
            "acc(theta_L)": end_acc,
            **{f"lottery d={d}": v for d, v in lottery_acc.items()},
            f"top-{K} overlap with the whole run": overlap,
        }
    )
    .round(3)
    .to_string(index=False)
)
print(f"random subspaces at theta_0, median best accuracy: d = 4: {random_acc[4]:.3f}, "
      f"d = 128: {random_acc[128]:.3f}")  # fmt: skip
fig = figures.fig_early(LENGTHS, end_acc, lottery_acc, {128: random_acc[128]}, overlap, K)
plotting.save(fig, "06_early")
plt.show()

# %%
for n, acc_n in zip(LENGTHS, end_acc, strict=True):
    d_n = max(d for d in LOTTERY_DIMS if d <= min(16, n // EVERY))  # a handful of directions
    got = early[n][early[n].d == d_n].best_train_acc.median()
    assert acc_n - 0.03 <= got <= acc_n + 0.05, (
        f"L = {n}: the lottery subspace (d = {d_n}) should reach about what theta_L reached "
        f"({acc_n:.3f}), got {got:.3f}"
    )
    rand_n = random_runs[random_runs.d == max(d_n, min(DIMS))].best_train_acc.median()
    assert got - rand_n >= 0.3, f"L = {n}: d = {d_n} should beat as many random directions by far"
print("checks passed: from every stretch, at most 16 directions reach about what it reached")

# %% [markdown]
# The good directions do appear early: four directions from the first 25 steps already reach
# about what $\theta_{25}$ reached, where four random directions stay near chance and even 128
# random ones do little better (the numbers are printed above). By a hundred steps the top directions of the early stretch are mostly
# those of the whole run (right). But a lottery subspace reaches about what its own stretch of
# training reached, and not much more: it is a compact record of where training went — a
# handful of coordinates that can retrace the trip — rather than a shortcut past it. The same
# observation makes burn-in work (chapter 05); burn-in keeps the *point* reached early, the
# lottery subspace the *directions* that lead to it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. What the directions are: overlap with the Hessian's stiff directions
#
# Chapter 02 found a few outlier eigenvalues of the Hessian, the stiff directions. Compare the
# top-$k$ trajectory directions with the top-$k$ Hessian eigenvectors at the trajectory's end.
# For orthonormal bases $A$, $B$ the singular values of $A^\top B$ are the cosines of the
# **principal angles**; their mean square $\|A^\top B\|_F^2 / k$ is the **energy fraction** of
# $\mathrm{span}(A)$ inside $\mathrm{span}(B)$. A random $k$-subspace holds $k/D$ of it on average
# (a random unit vector has cosine about $1/\sqrt D$ with any fixed direction).

# %%
ks = [2, 5, 10, 20, 30]
H = hess_vecs.T.float().cpu()  # (D, 30), the top 30 eigenvectors
V = traj["basis"][LENGTHS[-1]]
gen = torch.Generator().manual_seed(0)
rand = torch.linalg.qr(torch.randn(D, max(ks), generator=gen))[0]
lot = [lottery.energy_fraction(V[:, :k], H[:, :k]) for k in ks]
rnd = [lottery.energy_fraction(rand[:, :k], H[:, :k]) for k in ks]
base = [lottery.random_energy_fraction(D, k) for k in ks]
first = float(lottery.principal_cosines(V[:, :1], H[:, :10])[0])
print(pd.DataFrame({"k": ks, "lottery": lot, "random": rnd, "k/D": base}).round(4).to_string(
    index=False))  # fmt: skip
print(
    f"the top trajectory direction (the displacement) has cosine {first:.3f} with the top-10 "
    "Hessian eigenspace"
)
fig = figures.fig_overlap(ks, lot, rnd, base)
plotting.save(fig, "06_overlap")
plt.show()

# %%
k10 = ks.index(10)
assert lot[k10] > 0.3 and lot[k10] > 50 * base[k10], (
    f"the top-10 overlap {lot[k10]:.3f} should be a large fraction, far above k/D = {base[k10]}"
)
assert rnd[k10] < 5 * base[k10], "a random subspace should sit near the k/D baseline"
print(f"check passed: top-10 overlap {lot[k10]:.2f} vs random baseline {base[k10]:.4f}")

# %% [markdown]
# From $k = 5$ on, roughly half of the trajectory's top-$k$ directions lies in the Hessian's top-$k$
# eigenspace, about a hundred times the random baseline: SGD's updates are dominated by the stiff
# directions, where the gradient is large and the iterates oscillate (Gur-Ari, Roberts and Dyer
# 2018 found that the gradient lies mostly in this tiny subspace). The exception is the top
# direction, the displacement, almost orthogonal to them (the cosine printed; at $k = 2$ the
# overlap is still at the baseline): the net progress is made along the flat valley floor, the
# oscillation across the stiff walls. Which of the two kinds makes a lottery subspace good?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Is a lottery subspace more than one line?
#
# Take the line out. Project the net displacement $\theta_T - \theta_0$ out of every recorded
# update, take the top directions of what remains (`lottery_sweep(..., displacement=False)`; the
# recorded runs are reused from the cache) and train in them from $\theta_0$ as before. Beside
# them: the full lottery subspace and random subspaces, at every $d$, by the median over the seeds
# of the best training accuracy (the band spans the lowest to the highest seed).
#
# **Think!** Without the displacement, what is left are mostly the Hessian's stiff directions —
# the ones SGD's updates are largest along. Will 8 of them train the network better than 8 random
# directions? Will 64 of them reach 90 %?

# %%
rest_dims = [d for d in LOTTERY_DIMS if d < LOTTERY_DIMS[-1]] + [LOTTERY_DIMS[-1] - 1]
rest = lottery.lottery_sweep(model, ds, SUBSPACE, rest_dims, SEEDS, trajectory=ORDINARY,
                             every=EVERY, lengths=LENGTHS, eval_every=EVAL_EVERY,
                             eval_examples=EVAL_EXAMPLES,
                             displacement=False, record=LOTTERY_DIMS[-1],
                             progress=True)  # fmt: skip
lottery_runs = runs[runs.method == "lottery subspace"].drop(columns="method")
end_acc_T = train.evaluate(end, ds.x_train, ds.y_train)[1]
compared = {
    "random subspace": random_runs,
    "lottery subspace": lottery_runs,
    "lottery subspace without θ_T − θ_0": rest,
}


def median_acc(table: pd.DataFrame, d: int) -> float:
    """Median over seeds of the best training accuracy at the largest dimension <= d."""
    return float(table[table.d == table.d[table.d <= d].max()].best_train_acc.median())


print("median best training accuracy (d = 128: 127 without the line)")
print(
    pd.DataFrame(
        {name: [median_acc(t, d) for d in (2, 8, 64, 128)] for name, t in compared.items()},
        index=["d = 2", "d = 8", "d = 64", "d = 128"],
    )
    .round(3)
    .to_string()
)
d_rest = phase.thresholds(rest, EPS, by=(), n_boot=None).d_star[0]
print(f"d*({EPS}): lottery subspace {d_at['lottery subspace']:.1f}, without the displacement "
      f"{d_rest:.0f}" + (f" (not reached up to d = {max(rest_dims)})" if math.isinf(d_rest) else "")
      + f", random {d_at['random']:.0f}")  # fmt: skip
fig = figures.fig_displacement(compared, end_acc_T, D)
plotting.save(fig, "06_displacement")
plt.show()

# %%
gain8 = median_acc(rest, 8) - median_acc(random_runs, 8)
assert gain8 >= 0.2, f"8 directions without the line should still beat 8 random ones: {gain8:.2f}"
near = median_acc(rest, LOTTERY_DIMS[-1]) - median_acc(random_runs, LOTTERY_DIMS[-1])
assert abs(near) < 0.05, f"the {LOTTERY_DIMS[-1] - 1} left should do about as random ones: {near}"
assert d_rest >= 16 * d_at["lottery subspace"], (
    f"without the line, {EPS} should need far more directions: d* = {d_rest} vs "
    f"{d_at['lottery subspace']}"
)
print(f"checks passed: without the line, 8 directions still beat random by {gain8:.2f}, but "
      f"reaching {EPS} needs d* = {d_rest:.0f} instead of {d_at['lottery subspace']:.0f}")  # fmt: skip

# %% [markdown]
# Without the line the lottery subspace loses its power at the targets that matter: 127 of the
# remaining directions get about as far as 128 random ones, near 90 %, and not every seed gets
# there. What is left is not worthless: a handful of directions lift the network
# to about 60 %, where as many random ones stay near chance — the stiff directions are where the
# loss falls fastest at first — but then it stalls. Song, Ahn and Yun (2025) found the same for
# ordinary training: projecting SGD's updates onto the top Hessian eigenspace, where most of the
# gradient lies, stops the loss from falling; the progress is made in the flat bulk.
#
# So, at this size, a lottery subspace beats random ones because it contains the way from
# $\theta_0$ to a trained network — mostly one straight line, along which the loss falls all the
# way (Goodfellow, Vinyals and Saxe 2015 found such straight paths for many networks) — not
# because the directions SGD moves along most are good ones to train in. The paper's point
# stands: information from one training run finds subspaces far smaller than random ones, so a
# random subspace's threshold says how many directions are needed *without* that information,
# not how many are needed at all. But the information is, above all, *where training ended*.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Explore: how many steps of training to record
#
# Choose the length of the recorded trajectory and the target; the lottery subspace's $P(d)$
# redraws beside the random subspace's. (Drawn once at the starting values without
# interaction.)

# %%
figures.explore_lengths(early, random_runs, D, eps=0.95, start=LENGTHS[2], name="06_explore")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Exercises
#
# **Exercise 1 — principal angles by hand.** For orthonormal $A$ ($D \times a$) and $B$
# ($D \times b$), the cosines of the principal angles are the singular values of $A^\top B$. Write
# it, and check it on two planes in $\mathbb{R}^3$ that share one axis and meet the other at 60°.

# %%
def my_principal_cosines(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosines of the principal angles between span(a) and span(b), largest first."""
    # BEGIN SOLUTION
    return torch.linalg.svdvals(a.T @ b)
    # END SOLUTION


with exercises.checking("Exercise 1"):
    c60 = math.cos(math.radians(60))
    a_ex = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    b_ex = torch.tensor([[1.0, 0.0], [0.0, c60], [0.0, math.sin(math.radians(60))]],
                        dtype=torch.float64)  # fmt: skip
    got = my_principal_cosines(a_ex, b_ex)
    torch.testing.assert_close(got, torch.tensor([1.0, c60], dtype=torch.float64))
    torch.testing.assert_close(got, lottery.principal_cosines(a_ex, b_ex))
    print("cosines", got.numpy().round(3), "= the package's")


# %% [markdown]
# **Exercise 2 — a lottery subspace by hand.** Train a copy of the model for 100 steps of
# `ORDINARY` training, record every 5th update with `on_step`, and return the top-$d$ left
# singular vectors of the update matrix. The check compares your subspace with the package's
# (same seed, same steps): the energy fraction must be 1.

# %%
def my_lottery_basis(net: torch.nn.Module, steps: int, every: int, d: int) -> torch.Tensor:
    """(D, d) orthonormal: the top-d directions of the recorded updates of `steps` steps."""
    from dofcourse import train
    from dofcourse.params import flatten

    # BEGIN SOLUTION
    net = copy.deepcopy(net)
    updates, prev = [], [flatten(net)]

    def record(step, m):
        if step % every == 0:
            now = flatten(m)
            updates.append(now - prev[0])
            prev[0] = now

    train.train(net, ds, ORDINARY.replace(steps=steps), progress=False, on_step=record)
    u, _, _ = torch.linalg.svd(torch.stack(updates, 1).double(), full_matrices=False)
    return u[:, :d].float()
    # END SOLUTION


with exercises.checking("Exercise 2"):
    mine = my_lottery_basis(model, 100, EVERY, 8).cpu()
    ref = lottery.trajectory_directions(model, ds, ORDINARY, 8, every=EVERY, lengths=[100])
    frac = lottery.energy_fraction(mine, ref["basis"][100])
    assert frac > 0.999, f"your subspace holds {frac:.4f} of the package's"
    print(f"energy fraction of yours in the package's: {frac:.4f}")


# %% [markdown]
# **Exercise 3 — predict, then measure: Adam or SGD in a lottery subspace.** Section 2 blamed
# Adam for the dip of the lottery subspace at its largest $d$. At the largest lottery $d$, will
# SGD with momentum (learning rate 0.05, the same budget) reach a higher or a lower training
# accuracy than Adam? Write down the accuracy you expect from each, then run the cell.

# %%
def predicted_accuracies() -> dict[str, float]:
    """Your prediction of the mean best training accuracy at the largest lottery d."""
    # BEGIN SOLUTION
    # SGD moves each direction in proportion to its gradient, so the stiff extra directions move
    # little and the displacement direction carries the run; Adam moves them all alike.
    return {"adam": 0.90, "sgd": 0.99}
    # END SOLUTION


d_big = LOTTERY_DIMS[-1]
sgd = SUBSPACE.replace(optimizer="sgd", momentum=0.9)
at_big = runs[(runs.method == "lottery subspace") & (runs.d == d_big)]
measured = {  # the same four seeds for both
    "adam": at_big[at_big.proj_seed.isin(SEEDS[:4])].best_train_acc.mean(),
    "sgd": lottery.lottery_sweep(model, ds, sgd, [d_big], SEEDS[:4], trajectory=ORDINARY,
                                 every=EVERY, lengths=LENGTHS, eval_every=EVAL_EVERY,
                                 eval_examples=EVAL_EXAMPLES,
                                 progress=False).best_train_acc.mean(),
}  # fmt: skip
with exercises.checking("Exercise 3"):
    print(f"your prediction: {predicted_accuracies()}")
print(
    f"measured at d = {d_big}: Adam {measured['adam']:.3f}, SGD with momentum {measured['sgd']:.3f}"
)
assert measured["sgd"] > measured["adam"] + 0.02, "SGD should not dip where Adam does"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The paper's findings and ours
#
# | | the paper (Larsen et al. 2022) | ours, full mode (Conv-2, MNIST subset) | ours, quick mode (MLP, digits) |
# | --- | --- | --- | --- |
# | lottery against random subspaces | a lottery subspace reaches a target with far fewer dimensions than a random or a burn-in subspace | not measured yet: full mode has not run end to end (header: about 2 h) | $d^*(0.9)$: lottery subspace 1, burn-in 95, random 133 |
# | lottery tickets | one-shot magnitude-pruned tickets of the same size, compared at matched $d$ | not measured yet | $d^*(0.9)$ = 135 (Adam), 141 (the reference's SGD): no better than random |
# | one line | (not in the paper) | not measured yet | without $\theta_T - \theta_0$, 8 directions beat random by 0.43 in accuracy but never reach 0.9 up to $d$ = 127 |
#
# Quick mode is the run of 2026-12-07; the cell below prints this run's numbers. *Why they will
# differ.* **Model and data:** Conv-2 on 4,000 MNIST images in full mode against an MLP of $D$ =
# 2,410 on the 8×8 digits; the paper trains Conv-2 and other networks on the full datasets.
# **Budget:** 200 steps in every subspace; trajectories of 1,280 steps in full mode, 640 in
# quick mode. **Judge:** success on a fixed 1,000 training images in full mode, on all of them
# in quick mode.

# %%
by_method = th[th.eps == EPS].set_index("method").d_star
print(f"this run ({config.mode()} mode, D = {D:,}): d* at eps = {EPS} by method:",
      {m: round(float(v), 1) for m, v in by_method.items()})  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# * Training moves in few directions: the top few singular vectors of a trajectory's updates
#   carry most of its motion, and they appear within the first few dozen steps.
# * A subspace spanned by them — a lottery subspace — reaches a target with one or a few
#   dimensions where a random subspace needs hundreds and a burn-in subspace somewhat fewer;
#   a lottery ticket of the same size does no better than a random subspace here, retrained with
#   Adam or with the reference code's SGD.
# * Most of that is one line: the top direction is close to the displacement $\theta_T - \theta_0$.
#   With it projected out, the rest (mostly the Hessian's stiff directions) gives a fast start and
#   then stalls, no better than random directions at the targets that matter. A lottery subspace
#   built from $L$ steps reaches about what those $L$ steps reached: a compact record of where
#   training went, not a shortcut past it.
# * Any basis and any set of weights can be trained as a subspace through the same engine (kinds
#   `"basis"` and `"coordinates"`), which is what makes the comparison fair: same optimiser,
#   same budget, same success criterion. The optimiser still matters — Adam's equal steps per
#   coordinate hurt in a basis of very unequal directions — so check a conclusion with the
#   optimiser the original work used, as section 2 does for the tickets.
#
# ## Sources
#
# * B. W. Larsen, S. Fort, N. Becker, S. Ganguli. *How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective.* ICLR 2022 (lottery subspaces from the top
#   principal directions of the trajectory, every 5th update over $5\,d_{\max}$ steps; comparison
#   with random and burn-in subspaces and one-shot magnitude-pruned tickets; reference code
#   `lottery_subspace.py`, `lottery_ticket.py` in ganguli-lab/degrees-of-freedom).
# * G. Gur-Ari, D. A. Roberts, E. Dyer. Gradient descent happens in a tiny subspace. 2018.
# * M. Song, K. Ahn, C. Yun. Does SGD really happen in tiny subspaces? ICLR 2025 (updates
#   projected onto the top Hessian eigenspace stop reducing the loss).
# * I. J. Goodfellow, O. Vinyals, A. M. Saxe. Qualitatively characterizing neural network
#   optimization problems. ICLR 2015 (the loss along the straight line from the initialisation
#   to a trained network).
# * J. Frankle, M. Carbin. The lottery ticket hypothesis: finding sparse, trainable neural
#   networks. ICLR 2019.
# * M. Brand. Fast low-rank modifications of the thin singular value decomposition. *Linear
#   Algebra and its Applications*, 2006 (the streaming SVD).
# * N. Halko, P.-G. Martinsson, J. A. Tropp. Finding structure with randomness. *SIAM Review*, 2011.
