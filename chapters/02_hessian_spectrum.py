# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
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
# - see the bulk and the outliers, count the outliers and relate them to the number of classes;
# - split $H$ into its Gauss–Newton and residual parts and say which one carries the outliers;
# - compute MacKay's effective number of parameters $N_\text{eff}$ and watch it during training.
#
# **Prerequisites.** Chapter 00 (the training loop); eigenvalues of symmetric matrices; the chain
# rule for second derivatives.
#
# **Time.** Under a minute in quick mode (8×8 digits; 25 s measured) and about 8 minutes in full
# mode (MNIST subset) on two CPU cores. Re-runs read cached results and take a few seconds.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from dofcourse import cache, config, data, hessian, models, plotting, train

plotting.use_style()
# Quick mode's networks are small: one thread avoids the overhead (and, on a shared machine, the
# contention) of splitting tiny matrix products across cores.
torch.set_num_threads(config.size(full=torch.get_num_threads(), quick=1))
print(f"mode: {config.mode()}, torch threads: {torch.get_num_threads()}")

DATASET = config.size(full="mnist_subset", quick="digits")
HIDDEN = config.size(full=(100, 100), quick=(32, 32))
TARGET_LOSS = 0.1  # train every classifier to the same training loss (see below why)
K_TOP = 30  # how many top eigenvalues Lanczos returns
LANCZOS_STEPS = config.size(full=80, quick=60)
SLQ_PROBES, SLQ_STEPS = config.size(full=(8, 80), quick=(3, 50))
full_data = data.load(DATASET, seed=0)
print(full_data)

# %% [markdown]
# ## 1 · Hessian-vector products
#
# Storing $H$ for $D = 10^5$ takes $10^{10}$ numbers. But the methods of this chapter only ever
# need products $Hv$, and those cost about as much as two gradients. Differentiate the gradient
# along $v$:
#
# $$ H v = \frac{d}{dt}\, \nabla L(\theta + t v)\Big|_{t=0}. $$
#
# In `torch.func` this is a forward-mode derivative (`jvp`) of the reverse-mode gradient (`grad`) —
# *forward-over-reverse* — of the loss written as a pure function of the parameters with
# `functional_call`:
#
# ```python
# loss = lambda flat: F.cross_entropy(functional_call(model, unflatten(flat), (x,)), y)
# hvp = torch.func.jvp(torch.func.grad(loss), (theta,), (v,))[1]
# ```
#
# `dofcourse.hessian.hessian_operator(model, (x, y))` wraps exactly this (plus batching and the
# choice of a subset of parameters). PyHessian computes the same product by *double backward*,
# differentiating $\nabla L \cdot v$ with `torch.autograd.grad(..., create_graph=True)`;
# `benchmarks/bench_hessian.py` times both side by side (on our 2-core CPU, double backward was
# 1.3–2× faster; `torch.func` buys a pure, composable function of the parameters). First we check it on a network small enough that its whole
# Hessian fits on screen.

# %%
torch.manual_seed(0)
tiny = models.mlp((1, 2, 2), 3, hidden=(5,)).double()
g = torch.Generator().manual_seed(0)
x_tiny = torch.randn(30, 1, 2, 2, generator=g, dtype=torch.float64)
y_tiny = torch.randint(0, 3, (30,), generator=g)
op_tiny = hessian.hessian_operator(tiny, (x_tiny, y_tiny))
H_tiny = hessian.exact_hessian(op_tiny)  # torch.func.hessian: D×D, a different code path
v = torch.randn(op_tiny.dim, generator=g, dtype=torch.float64)
err = float((op_tiny.hvp(v) - H_tiny @ v).norm() / (H_tiny @ v).norm())
print(f"D = {op_tiny.dim}; relative difference between Hv and (exact H) v: {err:.1e}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 5.5))
lim = float(H_tiny.abs().max())
im = ax.imshow(H_tiny.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
fig.colorbar(im, ax=ax, label="$H_{ij}$")
ax.grid(False)
for edge in np.cumsum(op_tiny.sizes)[:-1] - 0.5:  # layer boundaries: W1, b1, W2, b2
    ax.axhline(edge, color="k", lw=0.8)
    ax.axvline(edge, color="k", lw=0.8)
plotting.label(ax, f"Exact Hessian of a tiny MLP (D = {op_tiny.dim})", "parameter j", "parameter i")
plotting.save(fig, "ch02_tiny_hessian")
plt.show()

# %%
bias_sums = H_tiny[:, -3:].sum(dim=1)  # shift all output biases together: the loss is unchanged
print(f"largest |row sum over the output-bias columns|: {float(bias_sums.abs().max()):.1e}")
assert err < 1e-10, f"Hessian-vector product disagrees with the exact Hessian (rel. error {err:.1e})"
print("check passed: Hv from torch.func equals the exact Hessian times v")

# %% [markdown]
# The black lines separate the layers (first-layer weights, biases, second-layer weights, output
# biases). In every row, the entries in the last 3 columns — the output biases — sum to zero:
# adding the same constant to every logit changes nothing in a softmax, so the direction
# "all output biases up together" is exactly flat, and $H$ has exact zero eigenvalues.
#
# ## 2 · The spectrum of a trained classifier
#
# We train an MLP with full-batch gradient descent (learning rate 0.05) until the training loss
# reaches $L = 0.1$. Why stop there and not at zero? With cross-entropy, the Hessian of the loss with
# respect to the logits is $\operatorname{diag}(p) - p p^\top$, which vanishes as the predicted
# probabilities $p$ become one-hot: driving the loss to zero shrinks the *whole* spectrum towards
# zero. Comparing networks at the same training loss keeps the comparison fair.

# %%
def fit(classes: int, hidden: tuple[int, ...], checkpoints: tuple[int, ...] = (), seed: int = 0):
    """Train an MLP on the first `classes` classes to TARGET_LOSS; cached.

    Returns (state_dict, history, {step: state_dict} for the requested checkpoint steps)."""
    ds = full_data.classes(list(range(classes)))

    def compute():
        torch.manual_seed(seed)
        model = models.mlp(ds.input_shape, classes, hidden=hidden).to(ds.x_train.device)
        saved = {}

        def keep(step, m):
            if step in checkpoints:
                saved[step] = {k: t.detach().clone() for k, t in m.state_dict().items()}

        hist = train.train(model, ds, steps=5000, lr=0.05, target_loss=TARGET_LOSS,
                           eval_every=1 if checkpoints else 5, callback=keep, progress=False)
        return model.state_dict(), hist, saved

    return cache.cached("ch02/fit", compute, data=ds.name, n_train=len(ds.x_train),
                        classes=classes, hidden=hidden, checkpoints=checkpoints, seed=seed,
                        target=TARGET_LOSS, lr=0.05, max_steps=5000)


def trained(classes: int, hidden: tuple[int, ...] = HIDDEN):
    """(model, dataset) with the trained weights loaded."""
    ds = full_data.classes(list(range(classes)))
    model = models.mlp(ds.input_shape, classes, hidden=hidden).to(ds.x_train.device)
    model.load_state_dict(fit(classes, hidden)[0])
    return model, ds


def top_eigs(model, ds, k=K_TOP):
    """Top-k Hessian eigenvalues by Lanczos (cached)."""
    return cache.cached(
        "ch02/top", lambda: hessian.lanczos_eigs(hessian.hessian_operator(model, ds), k,
                                                 LANCZOS_STEPS)[0], model=model, k=k,
        steps=LANCZOS_STEPS, n=len(ds.x_train))


model10, ds10 = trained(10)
op10 = hessian.hessian_operator(model10, ds10)
loss10, acc10 = train.evaluate(model10, ds10.x_train, ds10.y_train)
print(f"{ds10.name}, 10 classes, hidden {HIDDEN}: D = {op10.dim:,}, training loss {loss10:.3f}, "
      f"training accuracy {acc10:.3f}")

# %% [markdown]
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
# Gaussian of width $\sigma$ = 1 % of the spectral range (`SpectralDensity.density`): narrow
# enough to keep an outlier a separate bump, wide enough to merge the bulk's nodes into a curve.

# %%
top10 = top_eigs(model10, ds10)
dens10 = cache.cached("ch02/slq", lambda: hessian.slq(op10, SLQ_PROBES, SLQ_STEPS), model=model10,
                      probes=SLQ_PROBES, steps=SLQ_STEPS, n=len(ds10.x_train))
n_out10 = hessian.count_outliers(top10)
print("top eigenvalues:", " ".join(f"{v:.3g}" for v in top10[:15].tolist()), "...")
b10 = hessian.bulk_scale(top10)
print(f"bulk scale b = {b10:.3g}; outliers: {n_out10}")

# %% [markdown]
# **What counts as an outlier?** An eigenvalue that stands clear of the bulk — well above it *and*
# separated from it by a gap. Take the top $k = 30$ eigenvalues $\lambda_1 \ge \dots \ge
# \lambda_{30}$. With at most 15 outliers, the lower half $\lambda_{16}, \dots, \lambda_{30}$ lies
# in the bulk, and its median $b$ is a *bulk scale* that the outliers cannot move
# (`hessian.bulk_scale`). Then (`hessian.count_outliers`):
#
# 1. only eigenvalues above $3b$ are candidates (the top of the bulk sits at 2–5 $b$ here);
# 2. coming up from the bulk, the first candidate followed by a clear gap,
#    $\lambda_i / \lambda_{i+1} \ge 1.5$, is the last outlier: the outliers are
#    $\lambda_1, \dots, \lambda_i$.
#
# Both tests are ratios, so the rule does not depend on the scale of the loss or on how far
# training went. Why not simply "the widest gap"? Because the outliers are themselves spread over
# a decade — Papyan (2019) shows they have a hierarchical structure — and the widest gap often
# falls *between* two outliers rather than below the last one.

# %%
lam = np.linspace(float(dens10.nodes.min()), float(top10[0]) * 1.05, 2000)
rho = dens10.density(torch.tensor(lam)).numpy()
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5))
ax.plot(lam, rho, color="#0072B2", label="SLQ density")
ax.set_yscale("log")
ax.set_ylim(1e-6, rho.max() * 3)
ax.plot(top10[:n_out10], np.full(n_out10, 3e-6), "v", color="#D55E00", label="outliers (Lanczos)")
ax.plot(top10[n_out10:], np.full(len(top10) - n_out10, 3e-6), "|", color="#0072B2", ms=14,
        label="bulk's top (Lanczos)")
ax.legend()
plotting.label(ax, f"Spectral density, {ds10.name}, 10 classes", "eigenvalue λ",
               "density ρ(λ) (log scale)")
idx = np.arange(1, len(top10) + 1)
ax2.semilogy(idx[:n_out10], top10[:n_out10], "o", color="#D55E00", label="outliers")
ax2.semilogy(idx[n_out10:], top10[n_out10:], "o", color="#0072B2", label="bulk")
ax2.axhline(3 * b10, color="k", ls="--", lw=1.5, label="3 × bulk scale b")
ax2.axhline(b10, color="k", ls=":", lw=1.5, label="bulk scale b")
ax2.legend()
plotting.label(ax2, f"Top {len(top10)} eigenvalues (D = {op10.dim:,})", "index i (largest first)",
               "λ_i (log scale)")
plotting.save(fig, "ch02_spectrum")
plt.show()

# %% [markdown]
# Left: almost all the mass of the density sits in a narrow peak at $\lambda \approx 0$ — the
# bulk — and far to the right a few small bumps, each holding one eigenvalue out of thousands
# (density $\approx 1/D$ per bump, which is why the vertical axis must be logarithmic to see them).
# Right: the top eigenvalues; the outliers stand clear of the smoothly decaying bulk.
#
# **Check:** Lanczos and the simplest method of all, power iteration ($v \leftarrow Hv/\|Hv\|$),
# must agree on the largest eigenvalue.

# %%
lam_power, _ = hessian.power_iteration(op10, k=1, iters=500, tol=1e-5)
rel = abs(float(lam_power[0]) - float(top10[0])) / float(top10[0])
print(f"λ_max: Lanczos {float(top10[0]):.5g}, power iteration {float(lam_power[0]):.5g} "
      f"(relative difference {rel:.1e})")
assert rel < 0.01, f"Lanczos and power iteration disagree on λ_max by {100 * rel:.2f} % (> 1 %)"
print("check passed: the top Lanczos eigenvalue agrees with power iteration to 1 %")

# %% [markdown]
# Hutchinson's estimator gives the trace: for random signs $z_i = \pm 1$, $\mathbb E[z^\top H z] =
# \operatorname{tr} H$, and averaging $n$ probes gives a Student-$t$ confidence interval. The trace
# is the sum of all $D$ eigenvalues; compare it with the sum of the outliers alone.

# %%
tr = hessian.hutchinson_trace(op10, n_probes=config.size(full=60, quick=20))
print(f"tr H: Hutchinson {tr.mean:.1f}, 95 % interval [{tr.lo:.1f}, {tr.hi:.1f}]")
print(f"sum of the {n_out10} outliers: {float(top10[:n_out10].sum()):.1f}, "
      f"i.e. {100 * float(top10[:n_out10].sum()) / tr.mean:.0f} % of the trace from "
      f"{100 * n_out10 / op10.dim:.2f} % of the directions")

# %% [markdown]
# ## 3 · Outliers and the number of classes
#
# Sagun et al. (2017) conjectured, and Papyan (2019) explained, that the number of outliers is set
# by the *data*: about one per class. The reason is the Gauss–Newton part of $H$ (section 5): the
# gradients of the logits cluster by class, and $C$ clusters of gradient vectors produce about $C$
# large directions. (A softmax ignores a common shift of all logits, so one combination can drop
# out, giving $C - 1$; the hierarchy of smaller outliers can add one or two more — "about one per
# class" is the honest statement.) We train the same MLP on the first 2, 5 and 10 classes.

# %%
CLASSES = (2, 5, 10)
tops = {}
for c in CLASSES:
    m, d = trained(c)
    tops[c] = top_eigs(m, d)
outliers = {c: hessian.count_outliers(tops[c]) for c in CLASSES}
print("classes → outliers:", outliers)
for factor, gap in ((2, 1.5), (5, 1.5), (3, 1.3), (3, 2.0)):
    print(f"  with candidates above {factor} b and gaps ≥ {gap}:",
          {c: hessian.count_outliers(tops[c], factor, gap) for c in CLASSES})

# %%
fig, ax = plt.subplots(figsize=(10, 5.5))
for c, color in zip(CLASSES, ["#009E73", "#E69F00", "#0072B2"], strict=True):
    rel_c = tops[c] / hessian.bulk_scale(tops[c])
    ax.semilogy(idx, rel_c, "o-", color=color, ms=5, lw=1,
                label=f"{c} classes: {outliers[c]} outliers")
    ax.semilogy(idx[: outliers[c]], rel_c[: outliers[c]], "o", color=color, ms=12, mfc="none",
                mew=2)
ax.axhline(3, color="k", ls="--", lw=1.5, label="candidates above 3 b")
ax.legend()
plotting.label(ax, "Outliers (circled) track the number of classes", "index i (largest first)",
               "λ_i / bulk scale b (log scale)")
plotting.save(fig, "ch02_outliers_vs_classes")
plt.show()

# %%
for c in (2, 5):
    assert abs(outliers[c] - c) <= 1, (
        f"{c} classes gave {outliers[c]} outliers; expected {c} ± 1 (one per class, or C − 1)")
assert outliers[2] < outliers[5] < outliers[10], f"outliers should grow with classes: {outliers}"
print("check passed: the number of outliers tracks the number of classes")

# %% [markdown]
# ## 4 · Width scales the bulk, the outliers stay
#
# Now fix the data (all 10 classes) and grow the network. Sagun et al. (2017) found that more
# parameters merely *scale the bulk* — more eigenvalues near zero — while the outliers, set by the
# data, stay where they are.

# %%
WIDTHS = config.size(full=(50, 100, 200), quick=(16, 32, 64))
by_width = {}
for w in WIDTHS:
    m, d = trained(10, (w, w))
    op_w = hessian.hessian_operator(m, d)
    dens_w = cache.cached("ch02/slq", lambda op_w=op_w: hessian.slq(op_w, SLQ_PROBES, SLQ_STEPS),
                          model=m, probes=SLQ_PROBES, steps=SLQ_STEPS, n=len(d.x_train))
    by_width[w] = (op_w.dim, top_eigs(m, d), dens_w)
    print(f"width {w}: D = {op_w.dim:,}, λ_max = {float(by_width[w][1][0]):.3g}, "
          f"outliers {hessian.count_outliers(by_width[w][1])}")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5))
grid = np.linspace(-0.3, 1.0, 600)
for w, color in zip(WIDTHS, ["#009E73", "#E69F00", "#0072B2"], strict=True):
    dim, top, dens = by_width[w]
    ax.semilogy(idx, top, "o-", color=color, ms=5, lw=1, label=f"width {w} (D = {dim:,})")
    counts = dim * dens.density(torch.tensor(grid), sigma=0.05).numpy()
    ax2.semilogy(grid, counts, color=color, label=f"width {w}")
ax.legend()
plotting.label(ax, "Top eigenvalues: the outliers stay", "index i (largest first)",
               "λ_i (log scale)")
ax2.set_ylim(1, None)
ax2.legend()
plotting.label(ax2, "The bulk grows with D", "eigenvalue λ", "D·ρ(λ): eigenvalues per unit λ")
plotting.save(fig, "ch02_width")
plt.show()

# %% [markdown]
# Left: the top eigenvalues, outliers included, barely move while $D$ grows several-fold. Right:
# the number of eigenvalues per unit $\lambda$ (the density times $D$): the bulk near zero grows
# with $D$ — the extra parameters add flat directions, not curved ones.

# %%
lmax = [float(by_width[w][1][0]) for w in WIDTHS]
dims = [by_width[w][0] for w in WIDTHS]
assert max(lmax) < 2 * min(lmax), f"λ_max should stay put across widths, got {lmax}"
n_outs = [hessian.count_outliers(by_width[w][1]) for w in WIDTHS]
assert max(n_outs) - min(n_outs) <= 1, f"the number of outliers should not change with width: {n_outs}"
assert dims[-1] > 4 * dims[0]
print("check passed: D grew", f"{dims[-1] / dims[0]:.0f}-fold; λ_max stayed within a factor 2")

# %% [markdown]
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
# $\partial\ell/\partial f = p - \text{onehot}(y)$, which shrink as the fit improves. `hessian`
# gives both as operators ($Gv = J^\top(\nabla_f^2\ell\,(Jv))$ by a `jvp` then a `vjp`), and the
# unit tests check them against dense matrices. We compare their top eigenvalues on a small model.

# %%
model_s, ds_s = trained(10, (16,))
op_s = hessian.hessian_operator(model_s, ds_s)


def ritz(op, steps=LANCZOS_STEPS):
    """All Ritz values of a Lanczos run: accurate at both ends of the spectrum."""
    return torch.linalg.eigvalsh(hessian.lanczos(op, steps).tridiagonal()).flip(0)


parts = cache.cached("ch02/gn", lambda: {"H": ritz(op_s), "G": ritz(op_s.gauss_newton()),
                                         "R": ritz(op_s.residual())},
                     model=model_s, steps=LANCZOS_STEPS, n=len(ds_s.x_train))
print(f"D = {op_s.dim:,}; top 12 of H:", " ".join(f"{v:.3g}" for v in parts["H"][:12].tolist()))
print(" " * (len(f"D = {op_s.dim:,}; ") + 4) + "of G:",
      " ".join(f"{v:.3g}" for v in parts["G"][:12].tolist()))
print(f"R: largest {float(parts['R'][0]):.3g}, smallest {float(parts['R'][-1]):.3g}")

# %%
fig, ax = plt.subplots(figsize=(10, 5.5))
n_show = 20
i20 = np.arange(1, n_show + 1)
ax.semilogy(i20, parts["H"][:n_show], "o", ms=10, label="H (full Hessian)")
ax.semilogy(i20, parts["G"][:n_show], "x", ms=10, mew=2.5, label="G (Gauss–Newton)")
ax.semilogy(i20, parts["R"][:n_show], "s", ms=6, label="R (residual): largest λ")
ax.semilogy(i20, -parts["R"].flip(0)[:n_show], "^", ms=6, label="R (residual): |most negative λ|")
ax.axhline(3 * hessian.bulk_scale(parts["H"][:K_TOP]), color="k", ls="--", lw=1.5,
           label="3 × bulk scale b")
ax.legend(loc="upper right", fontsize=11)
plotting.label(ax, f"H = G + R on a {ds_s.input_shape[1] * ds_s.input_shape[2]}-16-10 MLP "
               f"(D = {op_s.dim:,})", "index i (largest first)", "|eigenvalue| (log scale)")
plotting.save(fig, "ch02_gauss_newton")
plt.show()

# %% [markdown]
# The top eigenvalues of $H$ and of $G$ coincide: the outliers live in the Gauss–Newton part. The
# residual $R$ has eigenvalues of both signs, but all of them are far below the outlier threshold,
# at the scale of the bulk or smaller: $R$ spreads the bulk (and is the only source of negative
# curvature, since $G \succeq 0$) without creating outliers.

# %%
n_out_s = hessian.count_outliers(parts["H"][:K_TOP])
rel_gn = ((parts["H"][:n_out_s] - parts["G"][:n_out_s]).abs() / parts["H"][:n_out_s]).max()
r_scale = float(parts["R"].abs().max())
print(f"{n_out_s} outliers; max relative difference H vs G on them {float(rel_gn):.3f}; "
      f"largest |eigenvalue| of R {r_scale:.3g} vs smallest outlier {float(parts['H'][n_out_s - 1]):.3g}")
assert float(rel_gn) < 0.15, "the outliers of H should be outliers of G"
assert r_scale < float(parts["H"][n_out_s - 1]), "R should be smaller than every outlier"
print("check passed: the Gauss–Newton part carries the outliers")

# %% [markdown]
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
# $D \sum_j w_j f(\theta_j)$ averaged over probes (`hessian.effective_parameters_slq`).

# %%
alphas = torch.logspace(-5, 2, 29)
fig, ax = plt.subplots(figsize=(10, 5.5))
for w, color in zip(WIDTHS, ["#009E73", "#E69F00", "#0072B2"], strict=True):
    dim, _, dens = by_width[w]
    n_eff = hessian.effective_parameters_slq(dens, alphas)
    ax.loglog(alphas, n_eff, color=color, label=f"N_eff, width {w}")
    ax.axhline(dim, color=color, ls=":", lw=1.5)
ax.axvline(1e-2, color="k", ls="--", lw=1)
ax.text(1.2e-2, 3, "α = 0.01", fontsize=12)
ax.legend()
plotting.label(ax, "Effective parameters N_eff(α); dotted: D", "prior precision α",
               "N_eff (log scale)")
plotting.save(fig, "ch02_n_eff")
plt.show()

# %% [markdown]
# With a weak prior ($\alpha \to 0$) every direction with positive curvature counts and
# $N_\text{eff}$ climbs towards $D$ (it stops short: exactly flat and negatively curved directions
# never count); with a strong prior only the outliers do. At $\alpha = 0.01$ — a weight decay at
# the strong end of the usual range $10^{-4}$–$10^{-2}$ — the data determine only a small fraction
# of the parameters (about 10–20 % of $D$ for the small quick-mode networks, 3–5 % for the full-mode
# MNIST networks), and that fraction does not grow as the network widens — it tends to fall: the
# added parameters are mostly added flat directions. (These are SLQ estimates from a few probes; at the smallest $\alpha$ they
# are the least precise, since they depend on how the quadrature resolves the peak at zero.)

# %%
ALPHA = 1e-2
frac = {w: float(hessian.effective_parameters_slq(by_width[w][2], ALPHA)[0]) / by_width[w][0]
        for w in WIDTHS}
print("N_eff(0.01) / D by width:", {w: f"{f:.3f}" for w, f in frac.items()})
assert all(f < 0.25 for f in frac.values()), f"N_eff should be a small fraction of D: {frac}"
assert frac[WIDTHS[-1]] < frac[WIDTHS[0]], f"the fraction should not grow with width: {frac}"
print("check passed: N_eff is a small fraction of D")

# %% [markdown]
# **SANE.** Wang & Roberts (2023) propose a *sharpness-adjusted* variant of $N_\text{eff}$, SANE,
# designed to stay meaningful at large learning rates. We could not read the paper's definition
# while writing this chapter (only its abstract was available to us), so SANE is left out rather
# than replaced by a formula of our own under its name; see the paper, arXiv:2305.18490.
#
# ## 7 · How the spectrum evolves during training
#
# We train the 10-class network again and keep checkpoints along the way (log-spaced steps, since
# most changes happen early). At each checkpoint: the top eigenvalues (Lanczos), $N_\text{eff}$ at
# $\alpha = 0.01$ (SLQ), the number of eigenvalues above the fixed threshold $\lambda = 1$ and the
# number of outliers (both counted among the top 30 from Lanczos).

# %%
n_steps10 = fit(10, HIDDEN)[1].step[-1]
CKPTS = tuple(sorted({0, *np.unique(np.geomspace(1, n_steps10, 9).astype(int)).tolist()}))
_, hist_ev, states = fit(10, HIDDEN, checkpoints=CKPTS)
THRESH = 1.0


def summary_at(step):
    m = models.mlp(ds10.input_shape, 10, hidden=HIDDEN)
    m.load_state_dict(states[step])
    return hessian.summarize(hessian.hessian_operator(m, ds10), k=K_TOP, steps=EV_STEPS,
                             alpha=ALPHA, threshold=THRESH, n_probes=4, seed=0)


steps_ev = sorted(states)
EV_STEPS = config.size(full=60, quick=50)
summaries = cache.sweep("ch02/evolution", [{"step": s} for s in steps_ev],
                        lambda p: summary_at(p["step"]), desc="spectrum per checkpoint",
                        model=model10, ckpts=CKPTS, k=K_TOP, alpha=ALPHA, thresh=THRESH,
                        steps=EV_STEPS, probes=4)
loss_at = dict(zip(hist_ev.step, hist_ev.loss, strict=True))
n_out_ev = [hessian.count_outliers(s.top) for s in summaries]
print("step:", steps_ev)
print("λ_max:", [round(float(s.top[0]), 2) for s in summaries])
print("N_eff:", [round(s.n_eff) for s in summaries], "outliers:", n_out_ev)

# %%
fig, axes = plt.subplots(1, 3, figsize=(17, 5))
x_ev = np.array(steps_ev) + 1
axes[0].loglog(x_ev, [float(s.top[0]) for s in summaries], "o-", label="λ_max")
axes[0].loglog(x_ev, [loss_at[s] for s in steps_ev], "s--", label="training loss")
axes[0].legend()
plotting.label(axes[0], "Sharpness and loss", "step + 1", "value (log scale)")
axes[1].semilogx(x_ev, [s.n_eff for s in summaries], "o-", color="#009E73")
axes[1].set_ylim(0, None)
plotting.label(axes[1], f"N_eff(α = {ALPHA:g}); D = {op10.dim:,}", "step + 1", "N_eff")
axes[2].semilogx(x_ev, [s.n_above for s in summaries], "o-", color="#D55E00",
                 label=f"eigenvalues above λ = {THRESH:g}")
axes[2].semilogx(x_ev, n_out_ev, "s--", color="#0072B2", label="outliers")
axes[2].axhline(10, color="k", ls=":", lw=1.5, label="number of classes")
axes[2].legend(fontsize=11)
plotting.label(axes[2], "Sharp directions", "step + 1", "count")
plotting.save(fig, "ch02_evolution")
plt.show()

# %% [markdown]
# At initialisation there are no outliers: the top eigenvalues decay smoothly into the bulk. While
# the loss sits on its initial plateau little changes; when the loss starts to fall,
# $\lambda_\text{max}$ grows by an order of magnitude and, within a few dozen steps, the outliers
# separate from the bulk — about one per class — and stay. The count above a *fixed* threshold
# ($\lambda > 1$) rises too, but it mixes outliers with the top of the bulk, which moves as
# training goes on; that is why we measure outliers against the bulk.
#
# $N_\text{eff}(0.01)$ stays a small fraction of $D$ throughout. Its wiggles from checkpoint to
# checkpoint are mostly estimation error, not dynamics: with $\alpha = 0.01$, $N_\text{eff}$
# depends on how the eigenvalues inside the narrow peak at zero straddle $\alpha$, and a few SLQ
# probes with a few dozen nodes resolve that peak only coarsely (more probes and steps shrink the
# wiggles, at a proportional cost). Scrub through the checkpoints to watch the top eigenvalues
# (each frame is the Lanczos top-30 at one checkpoint; the dashed line is $\lambda = 1$).

# %%
grow = float(summaries[-1].top[0]) / float(summaries[0].top[0])
assert grow > 5, f"λ_max should grow several-fold during training, grew {grow:.1f}×"
assert abs(n_out_ev[-1] - 10) <= 2, f"the trained net should have about 10 outliers: {n_out_ev[-1]}"
print(f"check passed: λ_max grew {grow:.0f}-fold; {n_out_ev[-1]} outliers at the end")

# %%
scrubber = hessian.checkpoint_scrubber(steps_ev, summaries)

# %% [markdown]
# ### Exercise 1: a Hessian-vector product by finite differences
#
# Before automatic differentiation, $Hv$ was computed from two gradients:
# $Hv \approx \big(\nabla L(\theta + \varepsilon v) - \nabla L(\theta - \varepsilon v)\big)/(2\varepsilon)$,
# with error $O(\varepsilon^2)$ (plus rounding error $O(\text{machine precision}/\varepsilon)$).
# Complete `hvp_fd`; `grad_at(theta)` returns the gradient at a flat parameter vector. The cell
# after it compares your product with the exact one on the tiny float64 network of section 1.

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
fd_err = float((hvp_fd(v) - H_tiny @ v).norm() / (H_tiny @ v).norm())
print(f"relative error of the finite-difference Hv: {fd_err:.1e}")
assert fd_err < 1e-5, "finite differences should match H v to about ε² ≈ 1e-8 (relative)"

# %% [markdown]
# ### Exercise 2: counting sharp directions with SLQ
#
# Using only the SLQ density `dens10` (no new Hessian products), estimate the number of
# eigenvalues larger than a threshold $t$: $\#\{i : \lambda_i > t\} = \operatorname{tr}\,
# \mathbf 1[H > t]$, another trace of a function of $H$. Complete `count_above`; the check compares
# it at the bulk edge with the Lanczos count. (Why is SLQ's answer only approximate here, when its
# moments were so accurate? Think about how many quadrature nodes a single outlier gets.)

# %%
def count_above(dens: hessian.SpectralDensity, t: float) -> float:
    """SLQ estimate of the number of eigenvalues above t."""
    # BEGIN SOLUTION
    return dens.trace(lambda lam: (lam > t).double())
    # END SOLUTION


# %%
t_edge = float(math.sqrt(top10[n_out10 - 1] * top10[n_out10]))  # inside the gap
est = count_above(dens10, t_edge)
print(f"eigenvalues above {t_edge:.3g}: SLQ {est:.1f}, Lanczos {n_out10}")
assert abs(est - n_out10) <= max(3.0, 0.5 * n_out10), "SLQ count should be near the outlier count"

# %% [markdown]
# ## What to remember
#
# - $Hv$ costs about two gradients (`jvp` of `grad`); with it, Lanczos gives the top eigenvalues,
#   Hutchinson the trace and stochastic Lanczos quadrature the whole density, for any $D$.
# - The Hessian of a trained classifier is a **bulk** of eigenvalues near zero plus a few
#   **outliers**, about one per class ($C-1$ with softmax). Outliers are defined by a *gap* in the
#   log spectrum, not by a fixed threshold.
# - The outliers come from the Gauss–Newton part $J^\top \nabla^2_f\ell\, J$ and are set by the
#   data; making the network wider adds eigenvalues to the bulk, not outliers.
# - **Flat directions dominate.** Only a small fraction of the parameters are "well determined"
#   ($N_\text{eff} \ll D$), and the fraction does not grow with $D$. A sublevel set around a minimum is
#   therefore wide in most directions — chapter 04 measures that width (Gaussian width), and
#   chapters 03 and 05 train inside random subspaces that exploit it.
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
# - Wang, Roberts. *SANE: the phases of gradient descent through sharpness adjusted number of
#   effective parameters.* 2023 (arXiv:2305.18490) — not used here, see section 6.
# - Hutchinson. *A stochastic estimator of the trace of the influence matrix for Laplacian
#   smoothing splines.* 1990. Golub & Meurant, *Matrices, moments and quadrature*, 1994 (Lanczos
#   quadrature). Yao, Gholami, Keutzer, Mahoney. *PyHessian.* 2020 (double-backward products).
