# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 10 · The phases of gradient descent: sharpness, effective parameters, gradient confusion
#
# **The question.** Chapter 02 measured the Hessian of a network *after* training and counted
# the directions the data determine. But the Hessian a network ends with depends on how it was
# trained. How does the step size of gradient descent shape the curvature it finds, does a count
# of effective parameters still compare networks trained at different step sizes, and why do
# some networks train faster than others with the same optimiser?
#
# **Where it fits.** Chapters 02–06 count degrees of freedom from the geometry of the landscape;
# chapter 09 showed that *how* a network is trained (the scale of its start) decides where it
# lands. This chapter follows training itself: the curvature along gradient descent (Cohen et
# al. 2021), a sharpness-adjusted count of effective parameters in the spirit of Wang and
# Roberts (2023), and how the gradients of different examples pull against each other
# (Sankararaman et al. 2020).
#
# **Learning goals.** After this chapter you can
# 1. explain why gradient descent with step η is stable on a quadratic only while the sharpness
#    λ_max is below $2/\eta$, and watch a network's sharpness rise to that edge, spike, and
#    settle below it, with its top eigenvectors turning;
# 2. compute MacKay's $N_\text{eff}$ along training, see it depend on the step size, and build
#    a count that does not: one measured in units of the sharpness;
# 3. compute per-example gradients, the gradient-confusion bound and the distribution of pairwise
#    cosines, and relate them to width, depth, batch normalisation with skip connections, and
#    SGD's speed.
#
# **Prerequisites.** Chapter 02 (Hessian-vector products, Lanczos, $N_\text{eff}$, SLQ);
# chapter 09 (how training decides where a network ends); chapter 00 (the training engine).
#
# **Time:** quick ≈ 2.5 min, full ≈ 21 min (2-core CPU, one thread, an empty cache; measured on
# 2026-12-07. Quick: 2.7 min of kernel CPU, 5.1 min wall at load 4, `make course MODE=quick
# ONLY=10 FRESH=1`. Full: 20.9 min wall, 18.9 min of kernel CPU, peak 1.6 GB, at load 2–3,
# `python -m dofcourse.runner --mode full --only 10 --fresh` with DOFCOURSE_SHIPPED=0, in one
# uninterrupted run; 34 s wall (25 s of CPU) from the shipped results. 2–3× as long on a busy
# laptop)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 45-minute lecture. Draw the quadratic picture first (section 1): every later result is read
# against the edge 2/η. Run the chapter before class (`make slides ONLY=10`): its runs take a
# minute or two on a laptop. Spend the time on the sharpness figure and the confusion sweep.

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
import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import SelectionSlider
from scipy.stats import spearmanr

from dofcourse import config, data, ensemble, exercises, models, per_example, plotting
from dofcourse import dynamics as dyn
from dofcourse.dynamics import figures
from dofcourse.params import Functional
from dofcourse.phase import conv2_small
from dofcourse.settings import TrainSettings

plotting.use_style()
print(f"mode: {config.mode()}, torch threads: {torch.get_num_threads()}")

DATASET = config.size(full="mnist_subset", quick="digits")
N_GD = config.size(full=500, quick=512)  # training examples for full-batch GD (sections 2-3)
# the network of sections 2-3: a small CNN (full) or an MLP (quick); section 4 uses MLPs in both
GD_NET = config.size(full=(conv2_small, {"channels": (4, 8)}),
                     quick=(models.mlp, {"hidden": (32, 32)}))  # fmt: skip
SEEDS = [0, 1, 2]  # init_seed of each network
LRS = config.size(full=(0.01, 0.1, 0.25), quick=(0.1, 0.25, 0.5))  # step sizes η of full-batch GD
GD_STEPS = config.size(full=300, quick=200)
EVERY = config.size(full=20, quick=5)  # measure the Hessian every EVERY steps
K_TOP = 3  # top eigenpairs followed (Lanczos)
full_data = data.load(DATASET)
gd_data = full_data.subsample(N_GD, sample_seed=0)
print(full_data, "| full-batch GD on", len(gd_data.y_train), "examples")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Why 2/η: gradient descent on a quadratic
#
# Near a point, the loss is approximately quadratic, $L(\theta) \approx \tfrac12 \theta^\top
# H\theta$. One step of gradient descent, $\theta \leftarrow \theta - \eta H\theta$, multiplies
# the component of $\theta$ along an eigenvector of $H$ with eigenvalue $\lambda$ by
# $(1 - \eta\lambda)$. It shrinks when $|1-\eta\lambda| < 1$, that is $0 < \lambda < 2/\eta$, and
# grows, flipping sign every step, when $\lambda > 2/\eta$. So GD is stable exactly while the
# **sharpness** $\lambda_\max$ stays below the **stability edge** $2/\eta$:
#
# ```python
# theta = theta - lr * lam * theta      # one GD step on ½ Σ λ_i θ_i²  (dyn.quadratic_gd)
# ```

# %%
EIGS = torch.tensor([0.2, 1.0, 4.0], dtype=torch.float64)  # λ_max = 4: the edge is at η = 0.5
quad = {lr: dyn.quadratic_gd(EIGS, lr, 60) for lr in (0.3, 0.45, 0.55)}
fig = figures.fig_quadratic(EIGS, quad)
plotting.save(fig, "ch10_quadratic")
plt.show()
growth = float(quad[0.55][-1] / quad[0.55][-2])
print(f"η = 0.55: the distance grows by {growth:.3f} a step; |1 − η λ_max| = {abs(1 - 0.55 * 4):.3f}")

# %%
assert float(quad[0.45][-1]) < 1e-2 * float(quad[0.45][0]), "below the edge GD must converge"
assert float(quad[0.55][-1]) > 10 * float(quad[0.55][0]), "above the edge GD must diverge"
assert abs(growth - abs(1 - 0.55 * 4)) < 1e-6, "the sharpest direction grows by |1 − ηλ_max|"
print("check passed: the quadratic is stable exactly below η = 2/λ_max")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Sharpness through training
#
# A network's loss is not a fixed quadratic: its Hessian changes as the weights move. Cohen,
# Kaur, Li, Kolter and Talwalkar (ICLR 2021) followed $\lambda_\max$ along full-batch gradient
# descent and found two phases. First **progressive sharpening**: $\lambda_\max$ grows. Then,
# once it reaches $2/\eta$, the **edge of stability**: the quadratic picture says GD should
# diverge, yet it does not; the loss spikes, the sharpness is pushed back, and training goes on,
# no longer monotone.
#
# We train a small network by full-batch GD on cross-entropy at three step sizes, one network
# per seed (one vectorised ensemble per step size), and every few steps measure the top 3
# Hessian eigenpairs with chapter 02's Lanczos (`dyn.gd_sharpness`, cached). In quick mode the
# network is an MLP with two hidden layers of 32 units on 512 of the 8×8 digits, at
# η = 0.1, 0.25, 0.5; in full mode a small CNN (two 3×3 convolutions of 4 and 8 channels, each
# followed by ReLU and 2×2 average pooling, then a linear layer) on 500 MNIST images, at
# η = 0.01, 0.1, 0.25: the CNN sharpens faster and further, so its smallest step is smaller
# (at η = 0.02 it still reached its edge of 100 within 300 steps). $D$ is
# in the thousands in both (printed below).

# %% [markdown]
# **Think!** The three edges $2/\eta$ are 20, 8 and 4 (quick mode; 200, 20 and 8 in full
# mode). At initialisation $\lambda_\max$ is a few units at most. Which runs will reach their
# edge, and what will the loss do when they do? Where do you expect the sharpness to be at the
# end, relative to the edge?

# %%
gd_models = [models.build(GD_NET[0], gd_data.input_shape, gd_data.n_classes, **GD_NET[1],
                          init_seed=s, device=gd_data.x_train.device) for s in SEEDS]  # fmt: skip
runs = dyn.gd_sharpness(gd_models, gd_data, LRS, steps=GD_STEPS, every=EVERY, k=K_TOP,
                        lanczos_steps=15)
print(f"D = {Functional.of_module(gd_models[0]).D:,}")
for lr in LRS:
    r = runs[lr]
    top = r["top"][:, :, 0]
    rises = (np.diff(r["loss"], axis=1) > 0).sum(1)
    print(f"η = {lr:<4}  edge 2/η = {2 / lr:4.0f}  max λ_max {np.round(top.max(1), 1)}  "
          f"final λ_max {np.round(top[:, -1], 2)}  loss rises {rises}  "
          f"smallest overlap {np.round(np.nanmin(r['overlap'], 1), 2)}")

fig = figures.fig_sharpness(runs)
plotting.save(fig, "ch10_sharpness")
plt.show()

# %% [markdown]
# (a) At every step size the sharpness first grows by an order of magnitude. At the smallest
# step it stays below its edge and never meets it. At the two larger step sizes it runs into the
# edge and **overshoots** it; (b) the loss then jumps up instead of falling (a *catapult*), and
# (a) the sharpness is pushed back to the edge or below it: GD has left the sharp region for a
# flatter one. Where the sharpness meets the edge it can stay there for a while, oscillating
# around $2/\eta$ while the loss keeps falling on average but not step by step: the edge of
# stability proper (the CNN of full mode shows it longest). Once the examples are fitted the
# sharpness decays below the edge (quick mode's MLP shows it; Cohen et al. report the same late
# decrease for cross-entropy). (c) At the spikes the top eigenvectors **turn**: the top-3
# eigenspace after a spike overlaps only partly with the one before; at the small step it turns
# far less. This is the "shift across loss basins" at large learning rates that Wang and Roberts
# (2023) describe: the curvature the run ends with is chosen by the step size. What holds on
# every seed in both modes is the rise to the edge, the spike, and the ceiling.
#
# **Check** (every seed): the large steps reach their edge and the small one does not; the loss
# rises only at the large steps; at the end (the median of the last five measurements, since at
# the edge of stability the sharpness oscillates around it) every run is at most 10% above its
# edge; larger steps end at least 1.5 times flatter (in full mode between the two larger steps
# only: after 300 steps at η = 0.01 the CNN is still sharpening, its loss still near 1, so its
# end point is not comparable); the eigenspace turns more at the largest step than at the
# smallest.

# %%
top_max = {lr: runs[lr]["top"][:, :, 0].max(1) for lr in LRS}
top_end = {lr: np.median(runs[lr]["top"][:, -5:, 0], 1) for lr in LRS}
rises = {lr: (np.diff(runs[lr]["loss"], axis=1) > 0).sum(1) for lr in LRS}
turn = {lr: np.nanmin(runs[lr]["overlap"], 1) for lr in LRS}
small, large = LRS[0], LRS[-1]
assert np.all(top_max[small] < 2 / small), f"η = {small} should not reach its edge: {top_max[small]}"
for lr in LRS[1:]:
    assert np.all(top_max[lr] > 2 / lr), f"η = {lr} should reach its edge {2 / lr}: {top_max[lr]}"
    assert np.all(rises[lr] >= 3), f"the loss should rise at η = {lr}: {rises[lr]} rises"
assert np.all(rises[small] == 0), f"at η = {small} the loss should fall monotonically: {rises[small]}"
for lr in LRS:
    assert np.all(top_end[lr] < 1.1 * 2 / lr), f"at the end λ_max must be at most 2/η = {2 / lr}: {top_end[lr]}"
FLATTER = config.size(full=LRS[1:], quick=LRS)  # full: η = 0.01 is still sharpening at the end
for a, b in zip(FLATTER[:-1], FLATTER[1:], strict=True):
    assert np.all(top_end[b] < top_end[a] / 1.5), f"larger steps should end flatter: {top_end}"
assert np.all(turn[large] < 0.6 * turn[small]), f"the eigenspace should turn more at η = {large}: {turn}"
for lr in LRS:
    print(f"η = {lr:<4}: max λ_max / edge {np.round(top_max[lr] * lr / 2, 2)}, at the end "
          f"{np.round(top_end[lr] * lr / 2, 2)}; loss rises {rises[lr]}; least overlap {np.round(turn[lr], 2)}")
print("check passed: sharpening to the edge, a spike, and a ceiling at 2/η")

# %% [markdown] slideshow={"slide_type": "notes"}
# Ask the class what GD "should" do once λ_max passes 2/η (diverge, by section 1), then show that
# it does not: the loss spikes and the run moves somewhere flatter. The step size chooses the
# curvature of the end point; that is the bridge to section 3.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Move the slider through the step sizes: each seed's sharpness against its edge, and its loss.
# The axes stay fixed, so only the curves move.

# %%
figures_panel = plotting.explore(
    lambda lr: figures.fig_one_rate(runs, lr), "ch10_one_rate",
    lr=SelectionSlider(options=list(LRS), value=LRS[-1], description="η"),
)
figures_panel

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Effective parameters at large learning rates
#
# Chapter 02 counted MacKay's (1992) effective parameters,
# $N_\text{eff}(\alpha) = \sum_i \lambda_i/(\lambda_i + \alpha)$: a direction counts when its
# curvature is well above the prior's precision $\alpha$. Section 2 showed that the step size
# sets the *scale* of the whole spectrum: a larger $\eta$ ends flatter. At a fixed $\alpha$,
# $N_\text{eff}$ then partly measures the step size, not the model.
#
# Wang and Roberts (2023) propose a **sharpness adjusted number of effective parameters**
# (SANE) that stays meaningful at large learning rates. We could not check their exact formula
# against the paper for this course, so we do **not** reproduce SANE here. We use our own count
# in its spirit, and define it precisely:
#
# $$ N_\text{adj}(c) \;=\; \sum_i \frac{\lambda_i}{\lambda_i + c\,\lambda_\max}
#    \;=\; N_\text{eff}(c\,\lambda_\max), $$
#
# MacKay's count with the prior's precision measured in units of the current sharpness: the
# number of directions whose curvature is within about a factor $1/c$ of the sharpest one
# (here $c = 0.01$). Scaling the whole spectrum, which is what the step size does, leaves it
# unchanged. Both counts are traces of a function of $H$: stochastic Lanczos quadrature
# (`hs.slq`, chapter 02) estimates them, at a few checkpoints of the same runs
# (`dyn.counts_along`, cached).

# %%
ALPHA, C_ADJ = 0.01, 0.01
COUNT_STEPS = [*config.size(full=(0, 40, 100), quick=(0, 25, 50, 100)), GD_STEPS]  # multiples of EVERY
at = [list(runs[LRS[0]]["checkpoints"]).index(s) for s in COUNT_STEPS]
counts = {lr: [dyn.counts_along(gd_models[0], gd_data, runs[lr]["thetas"][e][at], alpha=ALPHA,
                                c=C_ADJ, n_probes=3, steps=30) for e in range(len(SEEDS))]
          for lr in LRS}
fig = figures.fig_counts(COUNT_STEPS, counts, ALPHA, C_ADJ)
plotting.save(fig, "ch10_counts")
plt.show()
end_neff = np.array([[counts[lr][e]["n_eff"][-1] for lr in LRS] for e in range(len(SEEDS))])
end_adj = np.array([[counts[lr][e]["n_adj"][-1] for lr in LRS] for e in range(len(SEEDS))])
spread_neff = [dyn.relative_spread(v) for v in end_neff]
spread_adj = [dyn.relative_spread(v) for v in end_adj]
for e, seed in enumerate(SEEDS):
    print(f"seed {seed}: at step {GD_STEPS}, N_eff({ALPHA:g}) by η {np.round(end_neff[e])} "
          f"(spread {spread_neff[e]:.2f});  N_adj({C_ADJ:g}) {np.round(end_adj[e])} "
          f"(spread {spread_adj[e]:.2f})")

# %% [markdown]
# (a) At a fixed $\alpha$ the counts of the three step sizes end apart, ordered by the step
# size: the larger the step, the flatter the spectrum, the fewer directions above $\alpha$. (The
# curves are noisy: three SLQ probes resolve the peak at zero only coarsely, chapter 02.) (b) The
# adjusted count ends closer together: its "relative spread" (max − min over the step sizes,
# divided by the mean) is smaller, by the factor printed above: at least 3 times on every seed
# in quick mode; in full mode 2 to 6 times (over 3 in the median), because the CNN's η = 0.01
# run is still sharpening when its 300 steps end, so its spectrum does not yet have a trained
# network's shape. The adjusted count still changes along training: it falls as training
# concentrates the curvature in a few top directions (chapter 02's outliers), a change in the
# *shape* of the spectrum, which it is built to see.
#
# **Check** (every seed): $N_\text{eff}(\alpha)$ at the end is at least 1.5 times smaller at the
# largest step than at the smallest; across the step sizes, the adjusted count's relative spread
# at the end is at most a third of $N_\text{eff}$'s (in full mode at most half on every seed and
# a third in the median over the seeds, for the reason above).

# %%
assert np.all(end_neff[:, -1] < end_neff[:, 0] / 1.5), f"larger steps should end with a smaller N_eff: {end_neff}"
less = np.array(spread_neff) / np.array(spread_adj)  # how many times less N_adj varies, per seed
PER_SEED = config.size(full=2, quick=3)  # full: the η = 0.01 run is still sharpening at the end
print(f"N_adj varies {np.round(less, 1)} times less than N_eff across η (median {np.median(less):.1f})")
for e, seed in enumerate(SEEDS):
    assert less[e] >= PER_SEED, (
        f"seed {seed}: the adjusted count should vary at least {PER_SEED}x less across η than "
        f"N_eff: {spread_adj[e]:.2f} vs {spread_neff[e]:.2f}")
assert np.median(less) >= 3, f"the adjusted count should vary at least 3x less in the median: {less}"
print(f"check passed: spread of N_adj {np.round(spread_adj, 2)} vs N_eff {np.round(spread_neff, 2)}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Be explicit that N_adj is this course's count, not SANE's published formula, which we could
# not check. The point to keep: a count measured against a fixed α partly measures the step size.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Gradient confusion
#
# SGD steps on a mini-batch. Whether a step on some examples helps or hurts the others depends on
# how their gradients relate. Sankararaman, De, Xu, Huang and Goldstein (ICML 2020) call the
# per-example losses $f_i$ **$\eta$-confused** at $\theta$ when
# $\langle \nabla f_i, \nabla f_j\rangle \ge -\eta$ for all $i \ne j$; the smallest such
# $\eta = -\min_{i\ne j}\langle \nabla f_i, \nabla f_j\rangle$ is the **confusion bound** (this
# $\eta$ is theirs, not a step size). Their analysis shows SGD slowing as confusion grows, and
# predicts that confusion falls as networks get wider, rises as plain networks get deeper, and
# that batch normalisation with skip connections removes the depth penalty.
#
# Inner products scale with the size of the gradients, which changes with width and depth for
# reasons of its own, so we also read their cosines. Per-example gradients come from one
# function of the course, `per_example.gradients` (chapter 08's GraNd uses it too). Here the
# examples of a mini-batch are taken *together*: the rows are the Jacobian of the vector of
# per-example losses,
#
# ```python
# losses = lambda t: F.cross_entropy(net.fn(t, x), y, reduction="none")   # (B,)
# grads = torch.func.jacrev(losses)(theta)                                  # (B, D)
# ```
#
# Without batch normalisation this is `vmap(grad)` over single examples, row for row (what
# `together=False` computes, for GraNd; the tests check the two agree). With batch normalisation
# the examples of a batch interact through the batch statistics, single examples cannot even be
# normalised, and row $i$ is the gradient of example $i$'s loss *in its batch*; the rows still
# sum to $B$ times the batch gradient SGD uses.
#
# The sweep: plain ReLU MLPs and residual MLPs with batch normalisation ("BN + skips"), four
# widths at depth 2 and four depths at width 64, three seeds each. It uses MLPs in both modes
# (on the MNIST subset in full mode, where sections 2-3 use a CNN): a fully connected layer's
# width and the number of layers can be varied independently, with a BN + skip twin at every
# point, whereas a CNN's depth also changes its pooling and receptive field; and a CNN of 512
# channels on 28×28 images does not fit the hour of full mode on a 2-core CPU. At each point:
# the confusion of two random mini-batches of 32 at initialisation and after 20 SGD steps, and
# the SGD steps (learning rate 0.05, batches of 32) to a training loss of 0.3
# (`dyn.confusion_sweep`, cached point by point).

# %% [markdown]
# **Think!** Before running it: will a wider network's per-example gradients be more or less
# aligned? Which network will SGD train fastest, and which may not reach the target at all?

# %%
WIDTHS, DEPTHS = (16, 64, 256, 512), (2, 4, 6, 8)
SGD = TrainSettings(steps=config.size(full=2000, quick=600), lr=0.05, batch_size=32)
TARGET = 0.3
sweep_kw = dict(archs=list(dyn.ARCHS), init_seeds=SEEDS, settings=SGD, target_loss=TARGET,
                eval_every=10, along_step=20, batch=32, n_batches=2)
by_width = dyn.confusion_sweep(full_data, widths=WIDTHS, depths=[2], **sweep_kw)
by_depth = dyn.confusion_sweep(full_data, widths=[64], depths=DEPTHS, **sweep_kw)
cols = ["eta_init", "eta_rel_init", "min_cos_init", "frac_negative_init", "min_cos_along", "steps"]
print(by_width.groupby(["arch", "width"])[cols].median().round(3).to_string())
print(by_depth.groupby(["arch", "depth"])[cols].median().round(3).to_string())
fig = figures.fig_confusion(by_width, by_depth)
plotting.save(fig, "ch10_confusion")
plt.show()

# %% [markdown]
# (a) Wider is less confused: the most negative cosine in a batch moves towards zero as the width
# grows, for both architectures. (c) And SGD reaches the target in fewer steps. (b) Depth is
# where this measurement parts from the paper's prediction: at PyTorch's default initialisation
# the plain network's confusion does **not** rise with depth; it stays flat or falls slightly
# (at He's initialisation it does rise: see the end of this section).
# (d) Yet SGD slows sharply with depth in the plain network (the deepest ones may not reach the
# target within the step budget: missing points), while with BN + skips the steps stay flat or even fall. What
# slows the deep plain network here is the *size* of its gradients, not their angles: the mean
# squared per-example gradient norm (printed below) shrinks several-fold from depth 2 to depth 8
# in the plain network (vanishing gradients at this initialisation) and grows with BN + skips.
# So BN + skips do remove the depth penalty on speed, as the paper reports; at this size the
# penalty shows in the gradients' size rather than in their confusion.
#
# After 20 SGD steps ("along training", the `_along` columns) the cosines order the networks by
# speed less well (the rank correlation printed below is weaker than at initialisation, on some
# seeds far weaker): the networks have moved by different amounts in those steps, so they are
# compared at different stages of training.

# %%
def per_seed(table, arch, x, col):
    """{x value: array over seeds} of one column for one architecture."""
    t = table[table["arch"] == arch].sort_values("init_seed")
    return {v: g[col].to_numpy() for v, g in t.groupby(x)}


by_depth["grad_sq"] = by_depth["eta_init"] / by_depth["eta_rel_init"]  # mean ‖g_i‖² of a batch
print(by_depth.groupby(["arch", "depth"])["grad_sq"].median().round(2).to_string())
hist = figures.fig_cosines(by_width, "width")
plotting.save(hist, "ch10_cosines")
plt.show()

# %% [markdown]
# The histogram pools the pairwise cosines of one batch per seed. Most pairs of examples are
# nearly orthogonal with a slightly negative cosine (examples of different classes pull a
# little apart); a narrow network has a much wider spread, with pairs that pull strongly
# against each other.
#
# **Check** (every seed): confusion falls with width (the widest network's below 0.6 times the
# narrowest's, both architectures) and so do the steps to target; across the width sweep the
# steps follow confusion (Spearman rank correlation at least 0.7 over the eight networks); the
# plain network slows with depth (depth 4 takes over 1.5 times the steps of depth 2; depth 8 over
# twice, or never arrives) while BN + skips stay within 1.25 times; the plain network's confusion
# does not rise with depth at this initialisation (at most 1.15 times depth 2's) while its
# gradients shrink (mean squared norm at depth 8 below half depth 2's).

# %%
for arch in dyn.ARCHS:
    conf = per_seed(by_width, arch, "width", "min_cos_init")
    steps = per_seed(by_width, arch, "width", "steps")
    w0, w1 = WIDTHS[0], WIDTHS[-1]
    assert np.all(-conf[w1] < 0.6 * -conf[w0]), f"{arch}: confusion should fall with width: {conf}"
    assert np.all(steps[w1] < 0.6 * steps[w0]), f"{arch}: SGD should be faster when wider: {steps}"
rho, rho_along = [], []
for seed in SEEDS:
    t = by_width[by_width["init_seed"] == seed]
    rho.append(spearmanr(-t["min_cos_init"], t["steps"])[0])
    rho_along.append(spearmanr(-t["min_cos_along"], t["steps"])[0])
print(f"rank correlation of confusion and steps across widths: at init {np.round(rho, 2)}, "
      f"after 20 steps {np.round(rho_along, 2)}")
assert min(rho) >= 0.7, f"the steps to target should follow confusion across widths: ρ = {rho}"
steps_p = per_seed(by_depth, "plain", "depth", "steps")
steps_b = per_seed(by_depth, "bn_skip", "depth", "steps")
d0, d1 = DEPTHS[0], DEPTHS[-1]
assert np.all(steps_p[DEPTHS[1]] > 1.5 * steps_p[d0]), f"plain nets should slow with depth: {steps_p}"
assert np.all(steps_p[d1] > 2 * steps_p[d0]), f"plain nets should slow with depth: {steps_p}"
assert np.all(steps_b[d1] <= 1.25 * steps_b[d0]), f"BN + skips should remove the depth penalty: {steps_b}"
conf_p = per_seed(by_depth, "plain", "depth", "min_cos_init")
grad_p = per_seed(by_depth, "plain", "depth", "grad_sq")
assert np.all(-conf_p[d1] <= 1.15 * -conf_p[d0]), f"measured: confusion did not rise with depth: {conf_p}"
assert np.all(grad_p[d1] < 0.5 * grad_p[d0]), f"the plain net's gradients should shrink with depth: {grad_p}"
print(f"check passed: Spearman ρ per seed {np.round(rho, 2)}; plain steps by depth "
      f"{ {d: v.tolist() for d, v in steps_p.items()} }")

# %% [markdown] slideshow={"slide_type": "notes"}
# The depth result at PyTorch's default is a measured disagreement with the paper's prediction,
# worth discussing: which initialisation does the paper's analysis assume, and what else changes
# with depth (gradient size)? The next slide answers the first question.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Depth at He's initialisation
#
# The paper's depth penalty concerns networks at standard initialisations whose scale is not
# adjusted to the depth. PyTorch's default for linear layers is an unusual start for a deep ReLU
# network: weights and biases of variance $1/(3\,\text{fan-in})$, a sixth of the
# $2/\text{fan-in}$ that keeps the size of a ReLU signal from layer to layer, so in a deep plain
# network the signal shrinks layer after layer until the biases carry it (the vanishing gradients
# measured above). He et al.'s (2015) initialisation, weights $\mathcal N(0, 2/\text{fan-in})$
# and zero biases, the standard one for ReLU networks, keeps the signal's size at any depth. We
# measure the confusion at initialisation again at He's initialisation, over depths 2 to 32
# (width 64). The most negative cosine of a batch is an extreme over 496 pairs and varies a lot
# from one network to the next, so this measurement uses eight mini-batches of 32 per network
# (their average) and eight seeds: it costs little, since it measures at initialisation only.

# %%
DEPTHS_HE, SEEDS_HE = (2, 8, 16, 32), list(range(8))
he_kw = dict(sweep_kw, init_seeds=SEEDS_HE, settings=SGD.replace(steps=10), along_step=0,
             n_batches=8, init="he")  # measured at initialisation only
by_depth_he = dyn.confusion_sweep(full_data, widths=[64], depths=DEPTHS_HE, **he_kw)
print(by_depth_he.groupby(["arch", "depth"])[["min_cos_init", "mean_cos_init", "eta_rel_init"]]
      .median().round(3).to_string())
fig = figures.fig_depth_inits({"PyTorch's default": by_depth, "He": by_depth_he})
plotting.save(fig, "ch10_depth_inits")
plt.show()

# %% [markdown]
# (a) At PyTorch's default the most negative cosine does not move with depth. (b) At He's
# initialisation the plain network's confusion **rises with depth**, as the paper predicts, and
# BN + skips weaken the trend: flat on the digits of quick mode, a far smaller rise on the MNIST
# subset of full mode (the ratios are printed below). The paper's depth claim reproduces at He's
# initialisation, and not at PyTorch's default. (Why the two starts differ is not taken apart
# here; a hint: the mean cosine, printed above, grows with depth at He's initialisation, so the
# deep network's per-example gradients share more of their direction.) On the digits the rise
# is modest next to the spread between seeds, which is why this check looks at eight of them.
# (Its 10 SGD steps, whose results are not used, are there to run the same code as the sweep
# above; measured after 20 steps instead, one of full mode's networks at He's initialisation had
# an example with an exactly zero gradient, whose cosines are undefined.)
#
# **Check** (eight seeds): at He's initialisation the plain network's confusion at depth 32 is at
# least 1.2 times its confusion at depth 2 (medians over the seeds), and higher on at least six
# of the eight seeds (a coin would manage that one time in seven); with BN + skips it rises by
# less than 1.5 times, and the plain network's rise is at least 1.3 times BN + skips'.

# %%
conf_he = {a: per_seed(by_depth_he, a, "depth", "min_cos_init") for a in dyn.ARCHS}
dh0, dh1 = DEPTHS_HE[0], DEPTHS_HE[-1]
rise = {a: float(np.median(conf_he[a][dh1]) / np.median(conf_he[a][dh0])) for a in dyn.ARCHS}
print(f"He init, −min cosine, depth {dh1} over depth {dh0} (median over seeds): "
      f"plain {rise['plain']:.2f}, BN + skips {rise['bn_skip']:.2f}")
higher = int((conf_he["plain"][dh1] < conf_he["plain"][dh0]).sum())
print(f"plain: more confused at depth {dh1} than at depth {dh0} on {higher} of {len(SEEDS_HE)} seeds")
assert higher >= 6, f"plain: deeper should be more confused on most seeds: {conf_he['plain']}"
assert rise["plain"] >= 1.2, f"plain: confusion should rise with depth at He init: {rise}"
assert rise["bn_skip"] <= 1.5, f"BN + skips should weaken the depth trend: {rise}"
assert rise["plain"] >= 1.3 * rise["bn_skip"], f"BN + skips should weaken the depth trend: {rise}"
print("check passed: at He's initialisation confusion rises with depth, and BN + skips weaken that")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: the confusion bound
#
# Complete `confusion_bound`: from per-example gradients `grads` (B, D), return
# $\eta = -\min_{i\ne j}\langle g_i, g_j\rangle$ (only pairs of *different* examples). The check
# compares it with the package on a real mini-batch.

# %%
def confusion_bound(grads: torch.Tensor) -> float:
    """−min over pairs i ≠ j of ⟨g_i, g_j⟩ for per-example gradients grads (B, D)."""
    # BEGIN SOLUTION
    gram = grads.double() @ grads.double().T
    off = ~torch.eye(len(grads), dtype=torch.bool)
    return float(-gram[off].min())
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    net_ex = Functional.of_module(dyn.network(full_data.input_shape, 10, width=64, depth=2))
    g_ex = per_example.gradients(net_ex, net_ex.theta0, full_data.x_train[:32], full_data.y_train[:32],
                                 together=True)
    mine, ref = confusion_bound(g_ex), dyn.confusion(g_ex).eta
    print(f"your bound {mine:.4f}, the package's {ref:.4f}")
    assert abs(mine - ref) < 1e-6 * abs(ref), "the bound differs from the package's"
    assert confusion_bound(torch.tensor([[1.0, 0.0], [0.0, 1.0]])) == 0.0, "orthogonal gradients are not confused"

# %% [markdown]
# ### Exercise 2: predict, then measure — the largest stable step
#
# The $\eta = 0.1$ run of section 2 ends at a point whose sharpness is printed below. **Before
# measuring**, predict from section 1 the largest step size $\eta^*$ at which gradient descent
# started *there* does not blow up along the sharpest direction. The check then runs 20 steps
# of full-batch GD from that point at $0.8\,\eta^*$ and at $2\,\eta^*$ (the course's engine):
# below your edge the loss must end lower than it started, above it it must at least double (the engine
# stops a run whose loss passes ten times its start and warns that it diverged).

# %%
lam_end = float(runs[small]["top"][0, -1, 0])
theta_end = runs[small]["thetas"][0, -1]
print(f"λ_max at the end of the η = {small} run (seed {SEEDS[0]}): {lam_end:.3f}")


def predicted_edge(lam_max: float) -> float:
    """The largest stable step size of gradient descent at a point of sharpness lam_max."""
    # BEGIN SOLUTION
    return 2 / lam_max
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    edge = predicted_edge(lam_end)
    net_end = Functional.of_module(gd_models[0])
    after = {}
    for f in (0.8, 2.0):
        run = ensemble.train_members(net_end, ensemble.Free(theta_end[None].clone()), gd_data,
                                     TrainSettings(steps=20, lr=f * edge), eval_every=1,
                                     test=False, progress=False)
        after[f] = run.history.loss[0]
    print(f"predicted η* = {edge:.3f}; loss at the start {after[0.8][0]:.4f}; at 0.8 η*: after 20 "
          f"steps {after[0.8][-1]:.4f}, highest {after[0.8][1:].max():.4f}; at 2 η*: highest "
          f"{after[2.0][1:].max():.4f}")
    assert after[0.8][-1] < after[0.8][0], "below the predicted edge the loss should keep falling"
    assert after[2.0].max() > 2 * after[2.0][0], "above the predicted edge the loss should blow up"

# %% [markdown]
# ### Exercise 3: how far did the eigenspace turn?
#
# Complete `overlap`: for two sets of $k$ orthonormal vectors (rows of `u` and `v`, shape
# (k, D)), return $\|U V^\top\|_F^2 / k$, which is 1 when they span the same space (whatever the
# basis) and 0 when they are orthogonal. The check compares it with section 2's measure on the
# top eigenvectors just before and just after the first loss spike of the $\eta = 0.5$ run.

# %%
def overlap(u: torch.Tensor, v: torch.Tensor) -> float:
    """‖U Vᵀ‖_F² / k for orthonormal rows u, v of shape (k, D)."""
    # BEGIN SOLUTION
    return float((u.double() @ v.double().T).square().sum()) / u.shape[0]
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    r = runs[large]
    spike = int(np.argmax(np.diff(r["loss"][0]) > 0))  # the first step whose loss rose
    i = int(np.searchsorted(r["checkpoints"], spike, side="right")) - 1  # last checkpoint before it
    net_r = Functional.of_module(gd_models[0])
    _, v_before = dyn.top_eigenpairs(net_r, r["thetas"][0, i], gd_data, K_TOP, 15)
    _, v_after = dyn.top_eigenpairs(net_r, r["thetas"][0, i + 2], gd_data, K_TOP, 15)
    mine = overlap(v_before, v_after)
    print(f"first spike at step {spike}: overlap of the top-{K_TOP} eigenspaces at steps "
          f"{r['checkpoints'][i]} and {r['checkpoints'][i + 2]}: {mine:.3f}")
    assert abs(mine - dyn.eigenspace_overlap(v_before, v_after)) < 1e-9, "differs from the package's"
    assert abs(overlap(v_before, v_before) - 1) < 1e-9, "a space overlaps fully with itself"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# - Gradient descent with step $\eta$ is stable on a quadratic only while the sharpness is below
#   $2/\eta$. On a network the sharpness first **rises** (progressive sharpening) until it meets
#   $2/\eta$; then the loss spikes, the top eigenvectors turn, and GD moves to a flatter region:
#   $2/\eta$ is a ceiling, and the step size chooses how flat the end point is.
# - So a curvature count at a fixed prior precision, MacKay's $N_\text{eff}(\alpha)$, partly
#   measures the step size. Measuring curvature in units of the sharpness,
#   $N_\text{eff}(c\,\lambda_\max)$ (the chapter's own count in the spirit of Wang and Roberts'
#   SANE), compares runs at different step sizes.
# - **Gradient confusion**, $-\min_{i\ne j}\langle\nabla f_i, \nabla f_j\rangle$, and the
#   cosines of per-example gradients tell how much a step on some examples hurts others. Wider
#   networks are less confused and train faster with SGD, and across widths the speed follows
#   the confusion. Deep plain networks train slowly and BN + skips fix that; at PyTorch's
#   default initialisation the cause was the gradients' shrinking size, not a rise in confusion.
#   At He's initialisation (a standard one, not rescaled with depth) confusion does rise with
#   depth in the plain network, and BN + skips weaken that rise.
#
# ## Sources
#
# - Cohen, Kaur, Li, Kolter, Talwalkar. *Gradient descent on neural networks typically occurs at
#   the edge of stability.* ICLR 2021: progressive sharpening and λ_max at 2/η.
# - Wang, Roberts. *SANE: the phases of gradient descent through sharpness adjusted number of
#   effective parameters.* 2023 (arXiv:2305.18490): a sharpness-adjusted count of effective
#   parameters that is robust to large learning rates, and Hessian shifts across "loss basins".
#   The count used here is the chapter's own, in that spirit; SANE's exact formula was not
#   checked against the paper.
# - He, Zhang, Ren, Sun. *Delving deep into rectifiers.* ICCV 2015: the initialisation
#   N(0, 2/fan-in) that keeps a ReLU signal's size through depth.
# - Sankararaman, De, Xu, Huang, Goldstein. *The impact of neural network overparameterization on
#   gradient confusion and stochastic gradient descent.* ICML 2020: the confusion bound, width,
#   depth, batch normalisation and skip connections.
# - MacKay. *Bayesian interpolation.* Neural Computation, 1992: the effective number of
#   parameters.
# - Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari. *The large learning rate phase of deep
#   learning: the catapult mechanism.* 2020: the spike that throws GD to a flatter region.
