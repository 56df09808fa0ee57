# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The Hessian spectrum: bulk, outliers, and effective parameters
#
# **The question.** A trained network sits at (or near) a minimum of its loss. In how many of its
# $D$ directions is that minimum actually curved, and in how many is it flat?
#
# The answer is in the eigenvalues of the Hessian $H = \nabla^2_\theta L(\theta)$, a $D \times D$
# matrix. For a trained classifier they split into a **bulk** piled up near zero and a handful of
# **outliers**, about one per class (Sagun et al. 2017; Papyan 2019). Almost every direction is
# flat.
#
# **Learning goals.** After this chapter you can
# - compute Hessian-vector products $Hv$ without ever forming $H$, and check them against the exact
#   Hessian of a tiny network;
# - find the top eigenvalues (Lanczos, power iteration), the trace (Hutchinson) and the whole
#   spectral density (stochastic Lanczos quadrature) of a Hessian with $10^5$ rows;
# - see the bulk and the outliers, count the outliers by a rule that reads the spectrum's own
#   structure, and relate them to the number of classes across random seeds;
# - split $H$ into its Gauss–Newton and residual parts and say which one carries the outliers;
# - compute MacKay's effective number of parameters $N_\text{eff}$ and watch it during training.
#
# **Prerequisites.** Chapter 00 (the training loop); eigenvalues of symmetric matrices; the chain
# rule for second derivatives.
#
# **Time:** quick ≈ 55 s, full ≈ 14 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread and an empty cache on a shared 2-core machine: 14 min of
# kernel CPU, 19.6 min wall at load 2–6, peak 1.9 GB; 3.9 min of CPU from the shipped results,
# most of it training the 10-class networks again, whose checkpoints are too large to ship)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 45-minute lecture. Start from the picture students know (a bowl) and ask how many of its $D$
# directions are curved. The three tools (Hessian-vector products, Lanczos, stochastic Lanczos
# quadrature) are what make the question answerable for any $D$; spend the time on the spectra.

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
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from dofcourse import config, data, exercises, models, params, plotting
from dofcourse import hessian as hs
from dofcourse.hessian import figures
from dofcourse.settings import TrainSettings

plotting.use_style()
print(f"mode: {config.mode()}, torch threads: {torch.get_num_threads()}")

DATASET = config.size(full="mnist_subset", quick="digits")
HIDDEN = config.size(full=(100, 100), quick=(32, 32))
SEEDS = config.size(full=[0, 1, 2, 3, 4], quick=[0, 1, 2])  # init_seed of each network
TARGET_LOSS = 0.1  # every classifier is trained to the same training loss (see below why)
GD = TrainSettings(steps=5000, lr=0.05)  # full-batch gradient descent
K_TOP = 20  # top eigenvalues for counting outliers: at least twice the outliers expected
LANCZOS_STEPS = config.size(full=80, quick=60)
SLQ_PROBES, SLQ_STEPS = config.size(full=(8, 80), quick=(3, 50))
full_data = data.load(DATASET)
print(full_data)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Hessian-vector products
#
# Storing $H$ for $D = 10^5$ takes $10^{10}$ numbers. But the methods of this chapter only ever
# need products $Hv$, and those cost about as much as two gradients. Differentiate the gradient
# along $v$:
#
# $$ H v = \frac{d}{dt}\, \nabla L(\theta + t v)\Big|_{t=0}. $$
#
# In `torch.func` this is a forward-mode derivative (`jvp`) of the reverse-mode gradient (`grad`),
# *forward-over-reverse*, of the loss written as a pure function of the flat parameters
# $\theta \in \mathbb R^D$ (the course's `params.Functional`):
#
# ```python
# net = params.Functional.of_module(model)                 # f(theta, x)
# loss = lambda theta: F.cross_entropy(net(theta, x), y)
# hvp = torch.func.jvp(torch.func.grad(loss), (net.theta0,), (v,))[1]
# ```
#
# `hs.hessian_operator(model, (x, y))` wraps exactly this (plus batching, the choice of a subset
# of parameters, and moving the data to the model's device). PyHessian computes the same product
# by *double backward*, differentiating $\nabla L \cdot v$ with
# `torch.autograd.grad(..., create_graph=True)`; `benchmarks/bench_hessian.py` times both side by
# side. First we check the product on a network small enough that its whole Hessian fits on
# screen.

# %%
tiny = models.build(models.mlp, (1, 2, 2), 3, hidden=(5,), init_seed=0).double()  # a ReLU MLP
g = torch.Generator().manual_seed(0)
x_tiny = torch.randn(30, 1, 2, 2, generator=g, dtype=torch.float64)
y_tiny = torch.randint(0, 3, (30,), generator=g)
op_tiny = hs.hessian_operator(tiny, (x_tiny, y_tiny))
H_tiny = hs.exact_hessian(op_tiny)  # torch.func.hessian: D×D, a different code path
v = torch.randn(op_tiny.D, generator=g, dtype=torch.float64)
err = float((op_tiny.hvp(v) - H_tiny @ v).norm() / (H_tiny @ v).norm())
bias_sums = H_tiny[:, -3:].sum(dim=1)  # shift all output biases together: the loss is unchanged
print(f"D = {op_tiny.D}; relative difference between Hv and (exact H) v: {err:.1e}")
print(f"largest |row sum over the output-bias columns|: {float(bias_sums.abs().max()):.1e} "
      f"(largest |H_ij|: {float(H_tiny.abs().max()):.2f})")

lim = float(H_tiny.abs().max())
fig = figures.fig_tiny_hessian(H_tiny.numpy(), op_tiny.sizes)
plotting.save(fig, "ch02_tiny_hessian")
plt.show()

# %%
assert err < 1e-10, f"Hessian-vector product disagrees with the exact Hessian (rel. error {err:.1e})"
assert float(bias_sums.abs().max()) < 1e-12 * lim, "the output-bias columns should sum to zero in every row"
eig_tiny = torch.linalg.eigvalsh(H_tiny)
assert float(eig_tiny.abs().min()) < 1e-12 * lim, "shifting all logits together is exactly flat: H must have a zero eigenvalue"

# %% [markdown]
# The black lines separate the layers (first-layer weights, biases, second-layer weights, output
# biases). In every row, the entries in the last 3 columns (the output biases) sum to zero:
# adding the same constant to every logit changes nothing in a softmax, so the direction "all
# output biases up together" is exactly flat, and $H$ has an exact zero eigenvalue.
#
# ## 2 · The spectrum of a trained classifier
#
# We train MLPs with full-batch gradient descent (learning rate 0.05) until the training loss
# reaches $L = 0.1$, several initialisations at once (the course's ensemble trainer). Why stop
# there and not at zero? With cross-entropy, the Hessian of the loss with respect to the logits
# is $\operatorname{diag}(p) - p p^\top$, which vanishes as the predicted probabilities $p$ become
# one-hot: driving the loss to zero shrinks the *whole* spectrum towards zero. Comparing networks
# at the same training loss keeps the comparison fair. The training keeps checkpoints at
# log-spaced steps for section 7.

# %%
CKPTS = tuple(sorted({0, *np.unique(np.geomspace(1, GD.steps, 16).astype(int)).tolist()}))


def trained(classes, hidden=HIDDEN, seeds=SEEDS, checkpoints=()):
    """The data of the first `classes` classes and the training runs (one dict per seed)."""
    ds = full_data.classes(list(range(classes)))
    return ds, hs.train_classifiers(ds, hidden, seeds, settings=GD, target_loss=TARGET_LOSS,
                                    checkpoints=checkpoints)


ds10, runs10 = trained(10, checkpoints=CKPTS)
model10 = hs.classifier(ds10, HIDDEN, runs10[0]["theta"])
spec10 = hs.spectrum(model10, ds10, k=K_TOP, lanczos_steps=LANCZOS_STEPS, slq_probes=SLQ_PROBES,
                     slq_steps=SLQ_STEPS)
op10 = hs.hessian_operator(model10, ds10)
top10 = spec10.top
n_out10 = hs.count_outliers(top10)
print(f"{ds10.name}, hidden {HIDDEN}: D = {spec10.D:,}; steps to L = {TARGET_LOSS}: "
      f"{[r['steps'] for r in runs10]}; training loss {spec10.loss:.3f}")
print("top eigenvalues:", " ".join(f"{v:.3g}" for v in top10[:12].tolist()), "...")
print(f"outliers: {n_out10}")

# %% [markdown] slideshow={"slide_type": "slide"}
# **Lanczos** finds the top eigenvalues. From a random unit vector $q_1$ it builds an orthonormal
# basis $q_1, \dots, q_m$ of the Krylov space $\{q_1, Hq_1, \dots, H^{m-1}q_1\}$ in which $H$ is
# tridiagonal, $Q^\top H Q = T$. The extreme eigenvalues of the small $m \times m$ matrix $T$ (the
# *Ritz values*) converge to those of $H$ after a few dozen products. In floating point the basis
# loses orthogonality and spurious copies of eigenvalues appear; we re-orthogonalise each new
# vector against all earlier ones (*full reorthogonalisation*, cost $O(m^2 D)$, negligible here).
#
# **Stochastic Lanczos quadrature (SLQ)** gives the whole density $\rho(\lambda) =
# \frac1D\sum_i \delta(\lambda - \lambda_i)$ (Ghorbani, Krishnan & Xiao 2019). For a random unit
# probe $v$, write $T = S\,\mathrm{diag}(\theta)\,S^\top$; then the nodes $\theta_j$ with weights
# $w_j = S_{1j}^2$ are a Gauss quadrature rule for the spectral measure seen from $v$:
# $\sum_j w_j\, \theta_j^p = v^\top H^p v$ exactly for $p \le 2m - 1$, and the average over probes
# of $v^\top H^p v$ is $\frac1D \operatorname{tr} H^p$. To draw a curve, each node is replaced by a
# Gaussian of width $\sigma$: structure narrower than $\sigma$ is not resolved, and mass appears
# up to a few $\sigma$ beyond the extreme nodes although no eigenvalue lies there.
#
# **What counts as an outlier?** The top eigenvalues form two groups: a few large ones and the
# top of the bulk. We let the spectrum draw the line itself: among the splits of the top $k = 20$
# eigenvalues into an upper and a lower group, take the one that makes $\log\lambda$ vary least
# within the two groups (Otsu's threshold: the one-dimensional two-means split; `hs.outlier_split`).
# It needs $k$ at least twice the number of outliers. No threshold decides *where* the bulk ends;
# a single ratio decides whether there are outliers at all: a smoothly decaying spectrum also
# splits somewhere, so the two groups must be separated by a gap $\lambda_n/\lambda_{n+1} \ge 1.25$
# (at initialisation the split's gap is at most 1.11 in our runs, after training at least 1.37).
# Why not simply "the widest gap"? The outliers are themselves spread over a decade (Papyan 2019
# shows a hierarchy among them), and the widest gap often falls *between* two outliers.

# %%
lo_node, hi_node = spec10.density.support()
sigma = 0.003 * (hi_node - lo_node)
n_split, gap10 = hs.outlier_split(top10)
b10 = hs.bulk_scale(top10)
fig = figures.fig_spectrum(spec10, n_out10, n_split, gap10, sigma, lo_node, ds10.name)
plotting.save(fig, "ch02_spectrum")
plt.show()
near_zero = spec10.density.expect(lambda t: (t.abs() < 0.01 * hi_node).double())
print(f"Lanczos's smallest node λ_min ≈ {lo_node:.3f}; σ = {sigma:.3f}; fraction of eigenvalues with "
      f"|λ| < 1 % of λ_max: {near_zero:.3f}")

# %% [markdown]
# Left: almost all the mass sits in a narrow peak at $\lambda \approx 0$ (the bulk) and far to
# the right there are a few small bumps, each holding one eigenvalue out of thousands (density
# $\approx 1/D$ per bump, which is why the vertical axis must be logarithmic to see them). The
# grey band lies below the smallest Lanczos node: no eigenvalue is there, the curve only shows
# the kernel's width. Right: the top eigenvalues; the outliers stand clear of the smoothly
# decaying bulk.
#
# **Check:** Lanczos and the simplest method of all, power iteration ($v \leftarrow Hv/\|Hv\|$),
# must agree on the largest eigenvalue.

# %%
lam_power, _ = hs.power_iteration(op10, k=1, iters=500, tol=1e-5)
rel = abs(float(lam_power[0]) - float(top10[0])) / float(top10[0])
print(f"λ_max: Lanczos {float(top10[0]):.5g}, power iteration {float(lam_power[0]):.5g} (relative difference {rel:.1e})")
assert rel < 0.01, f"Lanczos and power iteration disagree on λ_max by {100 * rel:.2f} % (> 1 %)"
assert near_zero > 0.8, f"the bulk should hold most eigenvalues near zero, got {near_zero:.2f}"

# %% [markdown]
# Hutchinson's estimator gives the trace: for random signs $z_i = \pm 1$, $\mathbb E[z^\top H z] =
# \operatorname{tr} H$, and averaging $n$ probes gives a Student-$t$ confidence interval (a
# `stats.Estimate`). The trace is the sum of all $D$ eigenvalues; compare it with the sum of the
# outliers alone.

# %%
tr = hs.hutchinson_trace(op10, n_probes=config.size(full=100, quick=50))
out_sum = float(top10[:n_out10].sum())
print(f"tr H: {tr}")
print(f"sum of the {n_out10} outliers: {out_sum:.1f}, i.e. between {100 * out_sum / tr.hi:.0f} % and "
      f"{100 * out_sum / tr.lo:.0f} % of the trace (the 95 % interval), from "
      f"{100 * n_out10 / spec10.D:.2f} % of the directions")
assert tr.half_width < 0.3 * tr.value, f"the trace estimate is too uncertain to read: {tr}"
assert out_sum / tr.hi > 0.4, "the outliers should carry a large share of the trace even at the interval's top"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Outliers and the number of classes
#
# Sagun et al. (2017) conjectured, and Papyan (2019) explained, that the number of outliers is set
# by the *data*: about one per class. The reason is the Gauss–Newton part of $H$ (section 5): the
# gradients of the logits cluster by class, and $C$ clusters of gradient vectors produce about $C$
# large directions. A softmax ignores a common shift of all logits, so one combination drops out,
# giving $C - 1$; Papyan's next level of smaller outliers can add one or two more.

# %% [markdown]
# **Think!** How many outliers do you expect for 2 classes, for 5? And at initialisation, before
# any training, where the logits carry no information about the classes yet?

# %%
CLASSES = (2, 5, 10)
counts, counts_init, tops = {}, {}, {}
for c in CLASSES:
    ds_c, runs_c = (ds10, runs10) if c == 10 else trained(c)
    tops[c], counts[c], counts_init[c] = [], [], []
    for seed, run in zip(SEEDS, runs_c, strict=True):
        top = hs.spectrum(hs.classifier(ds_c, HIDDEN, run["theta"]), ds_c, k=K_TOP,
                          lanczos_steps=LANCZOS_STEPS, slq_probes=0).top
        top0 = hs.spectrum(hs.classifier(ds_c, HIDDEN, init_seed=seed), ds_c, k=K_TOP,
                           lanczos_steps=LANCZOS_STEPS, slq_probes=0).top
        tops[c].append(top)
        counts[c].append(hs.count_outliers(top))
        counts_init[c].append(hs.count_outliers(top0))
    print(f"{c:2d} classes: outliers per seed {counts[c]} (at initialisation {counts_init[c]})")
for min_gap in (1.15, 1.35):
    print(f"  with the presence gap {min_gap} instead of 1.25:",
          {c: [hs.count_outliers(t, min_gap=min_gap) for t in tops[c]] for c in CLASSES})

# %%
fig = figures.fig_outliers_vs_classes(counts, counts_init, tops)
plotting.save(fig, "ch02_outliers_vs_classes")
plt.show()

# %%
medians = {c: float(np.median(counts[c])) for c in CLASSES}
for c in CLASSES:
    assert medians[c] in (c - 1, c), f"{c} classes: median {medians[c]} outliers over seeds, expected C − 1 or C"
    assert all(c - 2 <= k <= c + 1 for k in counts[c]), f"{c} classes: a seed far from C: {counts[c]}"
    assert all(k == 0 for k in counts_init[c]), f"{c} classes: outliers at initialisation {counts_init[c]}"
assert medians[2] < medians[5] < medians[10], f"outliers should grow with the classes: {medians}"
print("check passed: the number of outliers tracks the number of classes, on every seed; none at initialisation")

# %% [markdown]
# **Answer.** About one per class: on every seed the count is $C - 1$ or $C$ (the median, checked
# above), so one or two outliers for 2 classes and four or five for 5. At initialisation there are
# none: the outliers appear with training, as the logits come to separate the classes.

# %% [markdown] slideshow={"slide_type": "notes"}
# The count of outliers follows the number of classes, on every seed, and is zero at
# initialisation. Ask why the classes should matter: the Gauss–Newton part (section 5) answers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Width scales the bulk, the outliers stay
#
# Now fix the data (all 10 classes) and grow the network. Sagun et al. (2017) found that more
# parameters merely *scale the bulk* (more eigenvalues near zero) while the outliers, set by the
# data, stay where they are.

# %% [markdown]
# **Think!** If you double the width of every hidden layer, D roughly quadruples. What happens to
# $\lambda_\text{max}$, to the number of outliers, and to the number of eigenvalues near zero?

# %%
WIDTHS = config.size(full=(50, 100, 200), quick=(16, 32, 64))
by_width = {}
for w in WIDTHS:
    ds_w, runs_w = (ds10, runs10) if (w, w) == tuple(HIDDEN) else trained(10, (w, w), seeds=SEEDS[:1])
    sp_w = hs.spectrum(hs.classifier(ds_w, (w, w), runs_w[0]["theta"]), ds_w, k=K_TOP,
                       lanczos_steps=LANCZOS_STEPS, slq_probes=SLQ_PROBES, slq_steps=SLQ_STEPS)
    flat_count = sp_w.density.trace(lambda t, lm=float(sp_w.top[0]): (t.abs() < 0.01 * lm).double())
    by_width[w] = (sp_w, flat_count)
    print(f"width {w}: D = {sp_w.D:,}, λ_max = {float(sp_w.top[0]):.3g}, outliers {hs.count_outliers(sp_w.top)}, "
          f"eigenvalues with |λ| < 1 % of λ_max ≈ {flat_count:,.0f} ({flat_count / sp_w.D:.0%} of D)")

# %%
fig = figures.fig_width(by_width)
plotting.save(fig, "ch02_width")
plt.show()

# %% [markdown]
# Left: the top eigenvalues, outliers included, barely move while $D$ grows several-fold. Right:
# the number of eigenvalues per unit $\lambda$ (the density times $D$): the peak near zero grows
# with $D$; the extra parameters add flat directions, not curved ones.

# %%
lmax = [float(by_width[w][0].top[0]) for w in WIDTHS]
dims = np.array([by_width[w][0].D for w in WIDTHS])
flat = np.array([by_width[w][1] for w in WIDTHS])
n_outs = [hs.count_outliers(by_width[w][0].top) for w in WIDTHS]
assert max(lmax) < 2 * min(lmax), f"λ_max should stay put across widths, got {lmax}"
assert max(n_outs) - min(n_outs) <= 1, f"the number of outliers should not change with width: {n_outs}"
assert np.all(flat / dims > 0.7), f"most eigenvalues should lie near zero at every width: {flat / dims}"
assert flat[-1] / flat[0] > 0.8 * dims[-1] / dims[0], f"the near-zero count should grow with D: {flat} for D = {dims}"
print(f"check passed: D grew {dims[-1] / dims[0]:.0f}-fold, the near-zero count {flat[-1] / flat[0]:.0f}-fold; λ_max stayed within a factor 2")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · The Gauss–Newton part carries the outliers
#
# Write the network's outputs (logits) as $f(\theta) \in \mathbb R^C$ per example and the loss as
# $L = \frac1N \sum_i \ell(f_i, y_i)$. The chain rule splits the Hessian in two:
#
# $$ H = \underbrace{\frac1N \sum_i J_i^\top\, \nabla_f^2 \ell_i\, J_i}_{G:\ \text{Gauss–Newton}}
#    \;+\; \underbrace{\frac1N \sum_i \sum_c \frac{\partial \ell_i}{\partial f_c}\,
#    \nabla_\theta^2 f_{i,c}}_{R:\ \text{residual}}, $$
#
# with $J_i = \partial f_i / \partial \theta$. $G$ is positive semi-definite (cross-entropy is
# convex in the logits) and has rank at most $N(C-1)$; $R$ is weighted by the residuals
# $\partial\ell/\partial f = p - \text{onehot}(y)$, which shrink as the fit improves. The operator
# gives both ($Gv = J^\top(\nabla_f^2\ell\,(Jv))$ by a `jvp` then a `vjp`), and the unit tests
# check them against dense matrices. We compare their top eigenvalues on a small model.

# %%
ds_s, runs_s = trained(10, (16,), seeds=SEEDS[:1])
model_s = hs.classifier(ds_s, (16,), runs_s[0]["theta"])
parts = hs.gauss_newton_parts(model_s, ds_s, steps=LANCZOS_STEPS)
print(f"D = {params.count(model_s):,}; top 12 of H:", " ".join(f"{v:.3g}" for v in parts["H"][:12].tolist()))
print("                 of G:", " ".join(f"{v:.3g}" for v in parts["G"][:12].tolist()))
print(f"R: largest {float(parts['R'][0]):.3g}, smallest {float(parts['R'][-1]):.3g}")

widths_s = (math.prod(ds_s.input_shape), 16, ds_s.n_classes)  # the MLP's layer widths
fig = figures.fig_gauss_newton(parts, K_TOP, widths_s, params.count(model_s))
plotting.save(fig, "ch02_gauss_newton")
plt.show()

# %%
n_out_s = hs.count_outliers(parts["H"][:K_TOP])
rel_gn = ((parts["H"][:n_out_s] - parts["G"][:n_out_s]).abs() / parts["H"][:n_out_s]).max()
r_scale = float(parts["R"].abs().max())
print(f"{n_out_s} outliers; max relative difference H vs G on them {float(rel_gn):.3f}; "
      f"largest |eigenvalue| of R {r_scale:.3g} vs smallest outlier {float(parts['H'][n_out_s - 1]):.3g}")
assert n_out_s >= 5, f"the small model should have outliers too, found {n_out_s}"
assert float(rel_gn) < 0.15, "the outliers of H should be outliers of G"
assert r_scale < float(parts["H"][n_out_s - 1]), "R should be smaller than every outlier"
print("check passed: the Gauss–Newton part carries the outliers")

# %% [markdown]
# The top eigenvalues of $H$ and of $G$ coincide: the outliers live in the Gauss–Newton part. The
# residual $R$ has eigenvalues of both signs, but all of them are far below the outliers, at the
# scale of the bulk or smaller: $R$ spreads the bulk (and is the only source of negative
# curvature, since $G \succeq 0$) without creating outliers.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · The effective number of parameters
#
# MacKay (1992) asked how many parameters the data actually determine. Put a Gaussian prior of
# precision $\alpha$ on the weights (the Bayesian reading of weight decay $\frac\alpha2\|\theta\|^2$).
# Near the minimum the posterior precision is $H + \alpha I$, and along an eigenvector with
# curvature $\lambda_i$ the data pin the parameter down if $\lambda_i \gg \alpha$ and leave it to
# the prior if $\lambda_i \ll \alpha$. Counting the first kind, softly:
#
# $$ N_\text{eff}(\alpha) = \sum_{i=1}^{D} \frac{\lambda_i}{\lambda_i + \alpha}. $$
#
# (Negative eigenvalues are clipped to zero.) For a network with $D$ in the tens of thousands we
# cannot list all $\lambda_i$, but this is a trace, $\operatorname{tr} f(H)$ with
# $f(\lambda) = \lambda/(\lambda+\alpha)$, and SLQ estimates any such trace:
# $D \sum_j w_j f(\theta_j)$ averaged over probes (`hs.effective_parameters_slq`).

# %%
ALPHA = 1e-2
fig = figures.fig_n_eff(by_width, ALPHA)
plotting.save(fig, "ch02_n_eff")
plt.show()

# %% [markdown]
# With a weak prior ($\alpha \to 0$) every direction with positive curvature counts and
# $N_\text{eff}$ grows towards $D$, though it stops well short (exactly flat and negatively curved
# directions never count); with a strong prior it falls to a handful of directions, the sharpest
# of the outliers. At $\alpha = 0.01$, a weight decay at the strong end of the usual range
# $10^{-4}$–$10^{-2}$, the data determine only a few per cent of the parameters (printed above),
# and that fraction does not grow as the network widens beyond the noise of the estimate: the
# added parameters are mostly added flat directions. (These are SLQ estimates from a few probes; at the smallest
# $\alpha$ they are the least precise, since they depend on how the quadrature resolves the peak
# at zero.)

# %%
frac = {w: float(hs.effective_parameters_slq(by_width[w][0].density, ALPHA)[0]) / by_width[w][0].D
        for w in WIDTHS}
print("N_eff(0.01) / D by width:", {w: f"{f:.3f}" for w, f in frac.items()})
assert all(f < 0.25 for f in frac.values()), f"N_eff should be a small fraction of D: {frac}"
assert frac[WIDTHS[-1]] < frac[WIDTHS[0]], f"the fraction should not grow with width: {frac}"
print("check passed: N_eff is a small fraction of D")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · How the spectrum evolves during training
#
# The 10-class network of section 2 kept checkpoints at log-spaced steps (most changes happen
# early). At each: the top eigenvalues (Lanczos), $N_\text{eff}$ at $\alpha = 0.01$ (SLQ), the
# number of eigenvalues above the fixed threshold $\lambda = 1$ and the number of outliers.

# %%
steps_ev = sorted(runs10[0]["checkpoints"])
sums = hs.summaries(ds10, HIDDEN, runs10[0]["checkpoints"], k=K_TOP, steps=config.size(full=60, quick=50),
                    alpha=ALPHA, threshold=1.0, n_probes=config.size(full=4, quick=2))
loss_at = dict(zip(runs10[0]["eval_steps"].tolist(), runs10[0]["loss_curve"].tolist(), strict=True))
n_out_ev = [s.n_outliers for s in sums]
print("step:    ", steps_ev)
print("λ_max:   ", [round(float(s.top[0]), 2) for s in sums])
print("N_eff:   ", [round(s.n_eff) for s in sums])
print("outliers:", n_out_ev)

fig = figures.fig_evolution(steps_ev, sums, loss_at, ALPHA, spec10.D, 10)
plotting.save(fig, "ch02_evolution")
plt.show()

# %% [markdown]
# At initialisation there are no outliers: the top eigenvalues decay smoothly into the bulk. While
# the loss sits on its initial plateau little changes; when the loss starts to fall,
# $\lambda_\text{max}$ grows by an order of magnitude and the outliers separate from the bulk,
# about one per class, and stay. The count above a *fixed* threshold ($\lambda > 1$) rises too,
# but it mixes outliers with the top of the bulk, which moves as training goes on; that is why we
# measure outliers against the bulk. (That count is taken among the top 20 Lanczos eigenvalues, so
# it cannot exceed 20: in full mode it reaches that cap, and the true count is larger.)
# $N_\text{eff}(0.01)$ stays a small fraction of $D$ throughout; it rises by a factor of a few
# while the loss falls and comes back later (in full mode most clearly), and part of its movement
# from checkpoint to checkpoint is estimation error (a few SLQ probes resolve the narrow peak at
# zero only coarsely).

# %%
grow = float(sums[-1].top[0]) / float(sums[0].top[0])
assert grow > 5, f"λ_max should grow several-fold during training, grew {grow:.1f}×"
assert n_out_ev[0] == 0, f"no outliers at initialisation, found {n_out_ev[0]}"
assert 8 <= n_out_ev[-1] <= 11, f"the trained net should have about 10 outliers: {n_out_ev[-1]}"
print(f"check passed: λ_max grew {grow:.0f}-fold; no outliers at the start, {n_out_ev[-1]} at the end")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Scrub through the checkpoints with the slider (each frame is the top 20 from Lanczos at one
# checkpoint; orange: outliers; dashed: $\lambda = 1$). The figure starts at the last checkpoint,
# so it shows in any copy of the notebook, with or without a kernel.

# %%
figures.explore_checkpoints(steps_ev, sums, name="ch02_checkpoint")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# ### Exercise 1: a Hessian-vector product by finite differences
#
# Before automatic differentiation, $Hv$ was computed from two gradients:
# $Hv \approx \big(\nabla L(\theta + \varepsilon v) - \nabla L(\theta - \varepsilon v)\big)/(2\varepsilon)$,
# with error $O(\varepsilon^2)$ (plus rounding error $O(\text{machine precision}/\varepsilon)$).
# Complete `hvp_fd`; `grad_at(theta)` returns the gradient at a flat parameter vector. The check
# compares your product with the exact one on the tiny float64 network of section 1.
#
# One caveat: a ReLU network's loss is only *piecewise* smooth. Its gradient jumps where a hidden
# unit's pre-activation $a = w^\top x + b$ changes sign, so the difference quotient holds only
# while $\theta \pm \varepsilon v$ stay on the same side of every such kink. Along $\theta + tv$ a
# pre-activation crosses zero at $t = -a/\dot a$ ($\dot a$: its rate of change along $v$); the
# check first finds the nearest crossing and asserts that it lies beyond $\varepsilon$. (The tiny
# network is seeded for this reason too: over 300 random initialisations, 9 put a kink within
# $\varepsilon = 10^{-4}$ of $\theta$ and the difference quotient was off by a factor 10–170.)

# %%
def grad_at(theta: torch.Tensor) -> torch.Tensor:
    """Gradient of the tiny network's loss at the flat parameter vector theta, shape (D,)."""
    return torch.func.grad(op_tiny.loss_at)(theta, x_tiny, y_tiny)


def hvp_fd(v: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """H v by central differences of the gradient around op_tiny.theta."""
    # BEGIN SOLUTION
    theta = op_tiny.theta
    return (grad_at(theta + eps * v) - grad_at(theta - eps * v)) / (2 * eps)
    # END SOLUTION


# %%
p_now, p_dir = op_tiny.net.layout.unflatten(op_tiny.theta), op_tiny.net.layout.unflatten(v)
pre = x_tiny.flatten(1) @ p_now["1.weight"].T + p_now["1.bias"]  # (examples, hidden units)
pre_rate = x_tiny.flatten(1) @ p_dir["1.weight"].T + p_dir["1.bias"]  # d pre / dt along v
t_kink = float((pre.abs() / pre_rate.abs()).min())
print(f"nearest ReLU kink along θ + t v: |t| = {t_kink:.1e} (the step ε = 1e-4)")
assert t_kink > 2e-4, f"a ReLU switches within 2ε of θ (|t| = {t_kink:.1e}): no difference quotient can match Hv there"
with exercises.checking("Exercise 1"):
    fd_err = float((hvp_fd(v) - H_tiny @ v).norm() / (H_tiny @ v).norm())
    print(f"relative error of the finite-difference Hv: {fd_err:.1e}")
    assert fd_err < 1e-5, "finite differences should match H v to about ε² ≈ 1e-8 (relative)"

# %% [markdown]
# ### Exercise 2: counting sharp directions with SLQ
#
# Using only an SLQ density (no new Hessian products), estimate the number of eigenvalues larger
# than a threshold $t$: $\#\{i : \lambda_i > t\} = \operatorname{tr}\, \mathbf 1[H > t]$, another
# trace of a function of $H$. Complete `count_above`. The check uses a matrix whose eigenvalues we
# know, $H = Q\,\operatorname{diag}(\lambda)\,Q^\top$ with a random rotation $Q$: 12 outliers
# between 5 and 20 and a bulk of 388 eigenvalues below 0.5. Any object with `dim`, `dtype`,
# `device` and `matvec` is an operator for Lanczos and SLQ.

# %%
class KnownSpectrum:
    """The symmetric matrix Q diag(eigs) Qᵀ, Q a random rotation, as a linear operator."""

    def __init__(self, eigs: torch.Tensor, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.q, _ = torch.linalg.qr(torch.randn(len(eigs), len(eigs), generator=g, dtype=torch.float64))
        self.eigs, self.dim, self.dtype, self.device = eigs, len(eigs), torch.float64, torch.device("cpu")

    def matvec(self, v: torch.Tensor) -> torch.Tensor:
        return self.q @ (self.eigs * (self.q.T @ v))


g = torch.Generator().manual_seed(1)
known = KnownSpectrum(torch.cat([5 + 15 * torch.rand(12, generator=g, dtype=torch.float64),
                                 0.5 * torch.rand(388, generator=g, dtype=torch.float64)]))
dens_known = hs.slq(known, n_probes=40, steps=40)


def count_above(dens: hs.SpectralDensity, t: float) -> float:
    """SLQ estimate of the number of eigenvalues above t."""
    # BEGIN SOLUTION
    return dens.trace(lambda lam: (lam > t).double())
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    est_known = count_above(dens_known, 2.0)
    print(f"eigenvalues above 2: SLQ {est_known:.1f}, truth 12")
    assert abs(est_known - 12) <= 3, "with 40 probes the SLQ count should be within ±3 of 12"
    t_edge = float(math.sqrt(top10[n_out10 - 1] * top10[n_out10]))  # inside the gap
    print(f"the trained network, eigenvalues above {t_edge:.3g}: SLQ ({SLQ_PROBES} probes) "
          f"{count_above(spec10.density, t_edge):.1f}, Lanczos {n_out10}")

# %% [markdown]
# ### Exercise 3: predict, then measure
#
# SLQ's moments were accurate, but its count of the trained network's outliers above can be off
# by several with a few probes (quick mode's 3; full mode's 8 do better). Why? For one probe $v = z/\sqrt D$ ($z$ random signs), an outlier $u_i$ contributes
# $D\,(v^\top u_i)^2 = (z^\top u_i)^2$ to the count: on average 1, but random. **Before
# measuring**, predict the standard deviation over probes of the one-probe count of $n$ outliers.
# (Hint: for a unit vector $u$ spread over many coordinates, $z^\top u$ is close to a standard
# Gaussian; what is the variance of the square of a standard Gaussian, and are the $n$ terms
# independent?) The check measures it on the known spectrum, one probe at a time, with your
# `count_above`.

# %%
def predicted_probe_sd(n: int) -> float:
    """Predicted standard deviation over probes of a one-probe SLQ count of n outliers."""
    # BEGIN SOLUTION
    return math.sqrt(2 * n)
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    one_probe = [count_above(hs.SpectralDensity(dens_known.nodes[i : i + 1], dens_known.weights[i : i + 1],
                                                dens_known.dim), 2.0) for i in range(len(dens_known.nodes))]
    measured_sd = float(np.std(one_probe, ddof=1))
    print(f"one-probe counts: mean {np.mean(one_probe):.1f}, sd {measured_sd:.2f}; predicted sd {predicted_probe_sd(12):.2f}")
    assert 1 / 1.35 < predicted_probe_sd(12) / measured_sd < 1.35, "the prediction misses the measured spread"
    print(f"so with {SLQ_PROBES} probes a count of {n_out10} outliers is uncertain by about "
          f"±{predicted_probe_sd(n_out10) / math.sqrt(SLQ_PROBES):.1f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# - $Hv$ costs about two gradients (`jvp` of `grad`); with it, Lanczos gives the top eigenvalues,
#   Hutchinson the trace and stochastic Lanczos quadrature the whole density, for any $D$.
# - The Hessian of a trained classifier is a **bulk** of eigenvalues near zero plus a few
#   **outliers**, about one per class ($C-1$ in most of our runs, on every seed). Outliers are
#   found by the spectrum's own structure (a split of the log spectrum), not a fixed threshold;
#   at initialisation there are none.
# - The outliers come from the Gauss–Newton part $J^\top \nabla^2_f\ell\, J$ and are set by the
#   data; making the network wider adds eigenvalues to the bulk, not outliers.
# - **Flat directions dominate.** Only a small fraction of the parameters are "well determined"
#   ($N_\text{eff} \ll D$), and the fraction does not grow with $D$. A sublevel set around a
#   minimum is therefore wide in most directions: chapter 04 measures that width (Gaussian width),
#   and chapters 03 and 05 train inside random subspaces that exploit it.
#
# ## Sources
#
# - Sagun, Evci, Güney, Dauphin, Bottou. *Empirical analysis of the Hessian of over-parametrized
#   neural networks.* 2017 (arXiv:1706.04454): the spectrum is a bulk near zero plus outliers;
#   more parameters scale the bulk, the data (e.g. the number of clusters) set the outliers.
# - Papyan. *Measurements of three-level hierarchical structure in the outliers in the spectrum of
#   deepnet Hessians.* ICML 2019: the outliers and the class structure of the Gauss–Newton part.
# - Ghorbani, Krishnan, Xiao. *An investigation into neural net optimization via Hessian eigenvalue
#   density.* ICML 2019: stochastic Lanczos quadrature for network Hessians.
# - MacKay. *Bayesian interpolation.* Neural Computation, 1992: the effective number of
#   parameters $\gamma = \sum_i \lambda_i/(\lambda_i + \alpha)$.
# - Otsu. *A threshold selection method from gray-level histograms.* IEEE Trans. Systems, Man, and
#   Cybernetics, 1979: the two-group split used to count outliers.
# - Hutchinson. *A stochastic estimator of the trace of the influence matrix for Laplacian
#   smoothing splines.* 1990. Golub & Meurant, *Matrices, moments and quadrature*, 1994 (Lanczos
#   quadrature). Yao, Gholami, Keutzer, Mahoney. *PyHessian.* 2020 (double-backward products).
# - Further reading: Wang, Roberts. *SANE: the phases of gradient descent through sharpness
#   adjusted number of effective parameters.* 2023 (arXiv:2305.18490), a variant of $N_\text{eff}$
#   designed to stay meaningful at large learning rates.
