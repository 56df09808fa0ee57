# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Quadratic networks: when does over-parameterization make the landscape benign?
#
# **The question.** Gradient descent on a non-convex loss can stop at a *spurious* local minimum:
# a point where no small step helps, yet the loss is not the best possible. For networks with a
# quadratic activation this can be watched, measured and proved about. How many hidden units does
# such a network need before gradient descent from a random start stops getting stuck?
#
# **Learning goals.** After this chapter you can
# - write a shallow quadratic network as a factorised quadratic form and count its degrees of
#   freedom against the dimension of the functions it can compute;
# - explain why its symmetries put exact zero eigenvalues in the Hessian at every critical point;
# - tell a spurious minimum, a saddle and a slowly converging run apart, from the gradient norm and
#   the smallest Hessian eigenvalue, not from the loss alone;
# - state what Soltanolkotabi–Javanmard–Lee, Du–Lee and Kazemipour–Larsen–Druckmann prove, with
#   their conditions, and see the width at which a sweep turns from failure to success.
#
# **Prerequisites.** Chapter 00; gradients and Hessians; eigenvalues of symmetric matrices.
#
# **Time.** About 20 seconds in quick mode and under a minute in full mode, on two CPU cores.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from dofcourse import cache, config, plotting
from dofcourse import landscape as ls
from dofcourse import quadratic as q

plotting.use_style()
print("mode:", config.mode())

# %% [markdown]
# ## 1. The model and its symmetry
#
# A shallow network with $m$ hidden units, quadratic activation $\sigma(z) = z^2$ and output
# weights $v \in \mathbb{R}^m$ computes
# $$
# f(x) \;=\; \sum_{j=1}^m v_j\,(w_j^\top x)^2 \;=\; x^\top \underbrace{W^\top \operatorname{diag}(v)\, W}_{A}\; x,
# \qquad W \in \mathbb{R}^{m\times d}.
# $$
# The network *is* the symmetric matrix $A$: a factorised quadratic form. Two counts matter.
# - **Degrees of freedom** of the parameters: $m d$ weights in $W$ plus $m$ output weights.
# - **Dimension of the function class**: symmetric $d\times d$ matrices, $d(d+1)/2$ numbers.
#
# But counting is not the whole story: $A = W^\top \operatorname{diag}(v) W$ has rank at most $m$,
# so a teacher of rank $d$ needs $m \ge d$ however many parameters one has.
#
# **Symmetry.** Many parameter points give the same $A$:
# - rescaling one neuron, $(w_j, v_j) \to (c\,w_j,\, v_j/c^2)$: $m$ directions;
# - rotating neurons into each other, $W \to QW$ with $Q^\top \operatorname{diag}(v) Q =
#   \operatorname{diag}(v)$ (ordinary rotations among neurons with the same output sign,
#   hyperbolic ones between signs): $m(m-1)/2$ directions.
#
# The loss is constant along each of these curves. At a critical point $\theta^*$ (zero gradient)
# the second derivative along such a curve is $u^\top H u$ for its tangent $u$ (the term with the
# gradient vanishes), so $u^\top H u = 0$; at a minimum, where $H \succeq 0$, this forces $Hu = 0$.
# **Every minimum has about $m + m(m-1)/2$ exact zero eigenvalues** (fewer when neurons are
# parallel or zero) that come from the symmetry and say nothing about the landscape. Below we check this count on a
# global minimum built by hand from the teacher's eigen-decomposition.

# %%
d_demo = 4
demo = q.planted_problem(d_demo, 2 * d_demo**2, seed=0)
evals, evecs = torch.linalg.eigh(demo.teacher)
w_star = evecs.T * evals.abs().sqrt()[:, None]  # neuron j = sqrt|lambda_j| u_j
v_star = torch.sign(evals)  # output weight = sign of the eigenvalue
star = (w_star, v_star)
print("max |f_student - y| at the hand-made solution:",
      float((q.shallow_forward(star, demo.x) - demo.y).abs().max()))

m = len(v_star)
h_star = q.exact_hessian(q.shallow_forward, star, demo.x, demo.y)
eig_star = torch.linalg.eigvalsh(h_star)
n_zero = int((eig_star.abs() < 1e-9).sum())
print(f"parameters: {h_star.shape[0]}, function-class dimension d(d+1)/2 = {d_demo * (d_demo + 1) // 2}")
print(f"zero Hessian eigenvalues: {n_zero}; predicted by the symmetry, m + m(m-1)/2 = {m + m * (m - 1) // 2}")
print("their count is also P - d(d+1)/2:", h_star.shape[0] - d_demo * (d_demo + 1) // 2)

# %%
assert n_zero == m + m * (m - 1) // 2, (
    f"expected exactly m + m(m-1)/2 = {m + m * (m - 1) // 2} flat symmetry directions, got {n_zero}"
)
restricted = q.restricted_eigenvalues(h_star, q.symmetry_directions(star))
assert restricted.min() > 1e-6, "once the symmetry directions are removed the minimum must be strict"

# %% [markdown]
# With the symmetry directions projected out
# (`q.symmetry_directions` builds them, `q.restricted_eigenvalues` removes them) the remaining
# Hessian is positive definite: the hand-made solution is a strict minimum *up to symmetry*.
# This projection is what lets us use the smallest eigenvalue as evidence below. Without it, a
# point that is not exactly critical shows tiny negative eigenvalues along the symmetry directions
# (of the size of the gradient), which would make every almost-converged run look like a saddle.

# %% [markdown]
# ## 2. A planted teacher and a width sweep
#
# **Data.** Inputs $x_i \sim \mathcal{N}(0, I_d)$, labels $y_i = x_i^\top A^* x_i$ from a random
# symmetric teacher $A^*$ of full rank $d$ with eigenvalues of both signs, scaled so that
# $\mathbb{E}\,y^2 = 1$, so the zero function has loss $L \approx 1/2$. $n = 2d^2$ samples,
# four times the $d(d+1)/2$ unknowns. **Training.** Full-batch gradient descent with heavy-ball
# momentum on $L = \frac{1}{2n}\sum_i (f(x_i)-y_i)^2$, from many random starts, all trained at once
# by `torch.func.vmap` over `torch.func.grad`; $W$ and $v$ are both trained.
#
# **What theory says (conditions matter).**
# - *Soltanolkotabi, Javanmard & Lee (2019)*: for a quadratic-activation network with the output
#   weights $v$ **fixed** and having at least $d$ positive and at least $d$ negative entries, the
#   training loss as a function of $W$ has, for **any** data set, only global minima and strict
#   saddles (every saddle has a direction of negative curvature). Such a $v$ needs $m \ge 2d$.
# - *Du & Lee (2018)*: with $k$ hidden units and $n$ training points, $k \ge \sqrt{2n}$ suffices
#   for local search to find a global optimum, for general smooth convex losses (the proof uses a
#   smoothed-analysis argument; with weight decay they also bound the generalisation error). With
#   our $n = 2d^2$, $\sqrt{2n} = 2d$.
# - *Kazemipour, Larsen & Druckmann (2020)*: spurious minima and saddles exist, but can be escaped
#   with probability one when the number of neurons is at least the input dimension, $m \ge d$,
#   **and the norm of the training samples is used as a regressor**; deep over-parameterized
#   quadratic networks benefit from similar landscape properties. Their results do not depend on
#   the data distribution. Our plain network has no such regressor,
#   so $m \ge d$ is only where zero loss becomes *possible* for a rank-$d$ teacher.
#
# None of these is a statement about the network below *exactly* (we train $v$ too, and use no
# extra regressor); the sweep shows the picture they predict: below $d$ zero loss is impossible,
# between $d$ and $2d$ some starts get stuck, from about $2d$ on none do.
#
# **How we call a run stuck.** A fixed step budget and a loss threshold are not enough: a run can
# be slow without being stuck (section 3). At the end point we compute the loss, the gradient
# norm and the smallest Hessian eigenvalue with the symmetry directions removed, $\lambda_\perp$:
#
# | end point | loss | $\lVert\nabla L\rVert$ | $\lambda_\perp$ |
# | --- | --- | --- | --- |
# | global minimum | $\le 10^{-6}$ | — | — |
# | saddle (GD will leave it) | $> 10^{-6}$ | — | $< -10^{-6}$ |
# | **spurious minimum** (stuck) | $> 10^{-6}$ | $\le 10^{-7}$ | $\ge -10^{-6}$ |
# | still descending | $> 10^{-6}$ | $> 10^{-7}$ | $\ge -10^{-6}$ |
#
# Runs still descending after the budget are trained for up to two more budgets (only those), so
# a slow approach to a spurious minimum is caught. A run **succeeds** if it is not stuck.

# %%
D = config.size(full=6, quick=4)
N = 2 * D**2
WIDTHS = config.size(full=[1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14], quick=[1, 2, 3, 4, 5, 6, 7, 8])
SEEDS = config.size(full=64, quick=32)
STEPS = config.size(full=1500, quick=600)
LR = 0.02

problem = q.planted_problem(D, N, seed=0)
print(f"d={D}, n={N}, widths {WIDTHS}, {SEEDS} seeds each, {STEPS} steps per round")


def run_width(point):
    return q.fit_shallow(problem, point["m"], n_seeds=SEEDS, steps=STEPS, lr=LR, seed=1000 + point["m"])


fits = cache.sweep("ch01/width_sweep", [{"m": m} for m in WIDTHS], run_width, desc="width sweep",
                   d=D, n=N, seeds=SEEDS, steps=STEPS, lr=LR)
for m, fit in zip(WIDTHS, fits, strict=True):
    print(f"m={m:2d}", fit.ends.counts())

# %%
ok = np.array([SEEDS - fit.ends.counts()[q.SPURIOUS] for fit in fits])
reached = np.array([fit.ends.counts()[q.SUCCESS] for fit in fits])
ci = np.array([q.wilson_interval(int(k), SEEDS) for k in ok])

fig, ax = plt.subplots()
plotting.band(ax, WIDTHS, ok / SEEDS, ci[:, 0], ci[:, 1], label="not stuck (95% Wilson interval)")
ax.plot(WIDTHS, reached / SEEDS, "s--", color="#009E73", label="reached loss $\\leq 10^{-6}$")
ax.axvspan(0, D - 0.5, color="grey", alpha=0.15, label="$m<d$: zero loss impossible")
ax.axvline(D, color="black", ls=":", lw=1.5)
ax.axvline(2 * D, color="#D55E00", ls=":", lw=1.5)
ax.text(D, 0.05, " $m=d$", fontsize=13)
ax.text(2 * D, 0.05, " $m=2d=\\sqrt{2n}$", fontsize=13, color="#D55E00")
ax.set_xlim(0.5, max(WIDTHS) + 0.5)
ax.set_xticks(WIDTHS)
ax.set_ylim(-0.03, 1.03)
ax.legend(loc="upper left", fontsize=11)
plotting.label(ax, f"Wider nets stop getting stuck (d={D}, n={N}, {SEEDS} seeds)",
               "hidden units m", "fraction of random starts")
plotting.save(fig, "01_width_sweep")
plt.show()

# %%
assert ok[-1] / SEEDS >= 0.9, f"at the largest width only {ok[-1]}/{SEEDS} runs escaped spurious minima"
assert ok[0] / SEEDS <= 0.5, f"at the smallest width {ok[0]}/{SEEDS} runs were not stuck: no failures to explain"

# %% [markdown]
# ## 3. Slow is not stuck: a low-rank teacher
#
# Take a teacher of rank 2 and a wide student ($m = 2d$). Zero loss is easy to reach, yet the
# loss falls slowly: the student has many more neurons than the teacher needs, and the superfluous
# ones must be switched off. The curvature along them vanishes as they shrink, so for a long
# stretch the loss decays like a power of the step — a nearly straight, shallow line on log–log
# axes — instead of geometrically. (For a plain factorisation $A = W^\top W$ with more neurons
# than the teacher's rank, gradient descent is known to stay sublinear to the end; our output
# weights $v$ are trained too and can switch a neuron off through $v_j$, so here the final phase
# speeds up again.) The same student on the full-rank teacher converges
# geometrically. With the budget and threshold of a naive rule, the slow runs count as failures;
# the gradient norm says they are still moving, and more steps confirm it.

# %%
LOW_SEEDS = config.size(full=32, quick=12)
BUDGET, EXTRA = STEPS // 2, 2 * STEPS  # the naive budget, and the steps after it
low = q.planted_problem(D, N, rank=2, seed=0)


def budget_then_more(prob):
    """Train BUDGET steps (the naive budget), then EXTRA more from there; keep both end points."""
    start = q.init_shallow(LOW_SEEDS, 2 * D, D, seed=7)
    kw = dict(lr=LR, momentum=0.9, record_every=10)
    mid, h1 = q.train_gd(q.shallow_forward, start, prob.x, prob.y, steps=BUDGET, **kw)
    end, h2 = q.train_gd(q.shallow_forward, mid, prob.x, prob.y, steps=EXTRA, **kw)
    return mid, end, torch.cat([h1, h2[:, 1:]], dim=1)


runs = {name: cache.cached("ch01/convergence", lambda prob=prob: budget_then_more(prob),
                           teacher=prob.teacher, x=prob.x, seeds=LOW_SEEDS, steps=BUDGET,
                           extra=EXTRA, lr=LR)
        for name, prob in [("rank-2 teacher", low), (f"rank-{D} teacher", problem)]}

fig, ax = plt.subplots()
for (name, (_, _, hist)), color in zip(runs.items(), ["#D55E00", "#0072B2"], strict=True):
    t = np.arange(1, hist.shape[1]) * 10
    ax.loglog(t, hist[:, 1:].T.numpy(), alpha=0.6, color=color)
    ax.plot([], [], color=color, label=name)
ax.axhline(1e-6, color="black", ls=":", label="naive threshold")
ax.axvline(BUDGET, color="grey", ls="--", label="naive budget")
ax.set_ylim(1e-14, 3)
ax.legend(fontsize=11, loc="lower left")
plotting.label(ax, f"Same student (m={2 * D}), two teachers", "step", "training loss L")
plotting.save(fig, "01_slow_vs_stuck")
plt.show()

# %%
mid, end, _ = runs["rank-2 teacher"]
at_budget = q.classify(q.shallow_forward, mid, low.x, low.y)
at_end = q.classify(q.shallow_forward, end, low.x, low.y)
naive_fail = int((at_budget.loss > 1e-6).sum())
print(f"after {BUDGET} steps: naive 'failures' (loss > 1e-6): {naive_fail}/{LOW_SEEDS}")
print("  certified:", at_budget.counts())
print("  their gradient norms:", [f"{g:.1e}" for g, lo in zip(at_budget.grad_norm, at_budget.loss, strict=True) if lo > 1e-6])
print(f"after {BUDGET + EXTRA} steps:", at_end.counts(), f"; largest loss {float(at_end.loss.max()):.1e}")

# %%
assert naive_fail > 0, "the low-rank runs all converged within the budget: nothing slow to show"
assert at_budget.counts()[q.SPURIOUS] == 0, "a low-rank run was certified stuck: the criterion confuses slow with stuck"
assert float(at_end.loss.max()) < float(at_budget.loss.max()), "the slow runs did not keep descending"

# %% [markdown]
# ## 4. A spurious minimum, inspected — and a saddle
#
# Take a run that got stuck at a width where zero loss *is* possible ($m \ge d$). Its gradient is
# zero to machine precision, its Hessian has no negative eigenvalue (beyond the exact symmetry
# zeros), and its loss is far from zero: a genuine spurious local minimum.

# %%
candidates = [(m, fit, i) for m, fit in zip(WIDTHS, fits, strict=True) if m >= D
              for i, lab in enumerate(fit.ends.labels) if lab == q.SPURIOUS]
assert candidates, "no spurious minimum found at any width m >= d; try more seeds"
m_sp, fit_sp, i_sp = candidates[0]
spurious = q.select(fit_sp.params, i_sp)
h_sp = q.exact_hessian(q.shallow_forward, spurious, problem.x, problem.y)
sym_sp = q.symmetry_directions(spurious)
raw = torch.linalg.eigvalsh(h_sp)
perp = q.restricted_eigenvalues(h_sp, sym_sp)
g_sp = torch.func.grad(q.flat_loss(q.shallow_forward, spurious, problem.x, problem.y))(q.flatten(spurious))
loss_sp = float(q.mse(q.shallow_forward, spurious, problem.x, problem.y))
print(f"width m={m_sp}: loss L = {loss_sp:.4f}, |grad| = {float(g_sp.norm()):.1e}")
print("smallest raw Hessian eigenvalues:", [f"{e:.1e}" for e in raw[:8].tolist()])
print(f"{sym_sp.shape[1]} symmetry directions removed; smallest remaining:",
      [f"{e:.2e}" for e in perp[:4].tolist()])
print("output weights v:", [f"{x:+.2f}" for x in spurious[1].tolist()])

# %%
assert loss_sp > 1e-3, "the 'spurious' point has (almost) zero loss"
assert float(g_sp.norm()) < 1e-6, f"gradient norm {float(g_sp.norm()):.1e} is not ~0: not a critical point"
assert float(perp.min()) > -1e-6, f"negative eigenvalue {float(perp.min()):.1e}: a saddle, not a minimum"

# %% [markdown]
# **Over-parameterization turns it into a saddle.** Add one neuron to this net with $w_{new}=0$.
# Nothing changes: the function, the loss and the zero gradient are the same. But the Hessian
# block of the new neuron is $2 v_{new} G$ with $G = \frac1n\sum_i r_i x_i x_i^\top$, the
# residual-weighted covariance ($r_i = f(x_i)-y_i$); $G \ne 0$ because the point is not a global
# minimum of the convex problem in $A$. Choosing the sign of $v_{new}$ against an eigenvalue of
# $G$ makes that block negative: a strict saddle, with the escape direction $w_{new} \propto$ the
# eigenvector. (Where does that eigenvector point? The zero gradient, $2v_jGw_j = 0$, says $G$
# annihilates every live neuron, so $G \ne 0$ forces the neurons to span less than
# $\mathbb{R}^d$: the stuck net has wasted a neuron, and $G$ lives on the directions it misses.)
# This is the mechanism behind the theorems: with enough neurons, a spare one is always
# available to open a descent direction.

# %%
r_sp = q.shallow_forward(spurious, problem.x) - problem.y
G = (problem.x.T * r_sp) @ problem.x / problem.n
g_evals = torch.linalg.eigvalsh(G)
v_new = -0.5 if g_evals[-1] > -g_evals[0] else 0.5  # opposite sign to G's largest |eigenvalue|
w_pad, v_pad = q.pad_neurons(tuple(p[None] for p in spurious), m_sp + 1)
v_pad[0, -1] = v_new
saddle = (w_pad[0], v_pad[0])
h_sd = q.exact_hessian(q.shallow_forward, saddle, problem.x, problem.y)
lam_sd, vec_sd = ls.hessian_directions(h_sd, 1, exclude=q.symmetry_directions(saddle))
g_sd = torch.func.grad(q.flat_loss(q.shallow_forward, saddle, problem.x, problem.y))(q.flatten(saddle))
print(f"saddle (width {m_sp + 1}): |grad| = {float(g_sd.norm()):.1e}, smallest eigenvalue = {float(lam_sd[0]):.3f}")

# %%
assert float(g_sd.norm()) < 1e-6, "the padded point should still be critical"
assert float(lam_sd[0]) < -1e-3, f"no negative eigenvalue at the saddle ({float(lam_sd[0]):.1e})"

# %%
ESCAPE_STEPS = config.size(full=2000, quick=1000)
g0 = torch.Generator().manual_seed(0)
kick = 1e-4 * torch.randn(q.flatten(saddle).shape, generator=g0, dtype=q.DTYPE)
starts = q.stack([saddle, q.unflatten(q.flatten(saddle) + kick, saddle)])
_, esc_hist = q.train_gd(q.shallow_forward, starts, problem.x, problem.y, steps=ESCAPE_STEPS, lr=LR,
                         momentum=0.9, record_every=10)
esc_rel = esc_hist

fig, ax = plt.subplots()
t_axis = np.arange(esc_hist.shape[1]) * 10
ax.semilogy(t_axis, esc_rel[0].numpy(), label="start exactly at the saddle")
ax.semilogy(t_axis, esc_rel[1].numpy(), label="start $10^{-4}$ away")
ax.legend()
plotting.label(ax, f"Escaping the saddle (width {m_sp + 1})", "step", "training loss L")
plotting.save(fig, "01_saddle_escape")
plt.show()

# %%
assert esc_rel[0, -1] > 0.5 * loss_sp, "exactly at the saddle gradient descent should not move"
assert esc_rel[1, -1] < 1e-3 * loss_sp, f"the perturbed run did not escape (loss {float(esc_rel[1, -1]):.1e})"

# %% [markdown]
# ## 5. Seeing the landscape
#
# Slices through the two points: the loss along $\theta + a u$ for a random, filter-normalised
# direction $u$ (each neuron perturbed in proportion to its own size; Li et al. 2018) and for the
# Hessian eigenvectors that matter: the flattest non-symmetry direction at the spurious minimum,
# the negative-curvature direction at the saddle.

# %%
alphas = torch.linspace(-1.0, 1.0, 81, dtype=q.DTYPE)
f_sp = q.flat_loss(q.shallow_forward, spurious, problem.x, problem.y)
f_sd = q.flat_loss(q.shallow_forward, saddle, problem.x, problem.y)
_, flat_sp = ls.hessian_directions(h_sp, 2, exclude=sym_sp)
rand_sp = ls.random_direction(spurious, seed=1)
rand_sd = ls.random_direction(saddle, seed=1)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5))
ls.plot_slice_1d(ax1, alphas, ls.slice_1d(f_sp, q.flatten(spurious), rand_sp, alphas), "random (filter-normalised)")
ls.plot_slice_1d(ax1, alphas, ls.slice_1d(f_sp, q.flatten(spurious), flat_sp[:, 0], alphas), "flattest Hessian direction")
ax1.legend(fontsize=11)
plotting.label(ax1, f"Spurious minimum (m={m_sp}): up in every direction", "step size a", "training loss L")
ls.plot_slice_1d(ax2, alphas, ls.slice_1d(f_sd, q.flatten(saddle), rand_sd, alphas), "random (filter-normalised)")
ls.plot_slice_1d(ax2, alphas, ls.slice_1d(f_sd, q.flatten(saddle), vec_sd[:, 0], alphas), "negative-curvature direction")
ax2.legend(fontsize=11)
plotting.label(ax2, f"Saddle (m={m_sp + 1}): one way down", "step size a", "training loss L")
fig.tight_layout()
plotting.save(fig, "01_slices_1d")
plt.show()

# %%
grid = torch.linspace(-0.8, 0.8, config.size(full=61, quick=41), dtype=q.DTYPE)
z_sp = ls.slice_2d(f_sp, q.flatten(spurious), flat_sp[:, 0], flat_sp[:, 1], grid, grid)
z_sd = ls.slice_2d(f_sd, q.flatten(saddle), vec_sd[:, 0], rand_sd / rand_sd.norm(), grid, grid)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
ls.plot_slice_2d(ax1, grid, grid, z_sp)
plotting.label(ax1, "Spurious minimum: a bowl", "flattest Hessian dir.", "second flattest")
ls.plot_slice_2d(ax2, grid, grid, z_sd)
plotting.label(ax2, "Saddle: a pass", "negative-curvature dir.", "random dir. (unit)")
fig.tight_layout()
plotting.save(fig, "01_slices_2d")
plt.show()

# %%
centre = len(grid) // 2
assert float(z_sp.min()) >= float(z_sp[centre, centre]) - 1e-9, "the spurious minimum is not the lowest point of its slice"
assert float(z_sd.min()) < float(z_sd[centre, centre]) - 1e-3, "the saddle slice shows no way down"

# %% [markdown]
# ### Explore
# Move the sliders — the width $m$ and the teacher's rank — and press **train**: a small ensemble
# is trained (a few seconds) and the figure shows how its end points split, and a 2-D slice around
# the worst one. Try $m < \text{rank}$ (zero loss impossible), $m$ just above the rank, and
# $m \ge 2d$. Below the widget, the figure for its starting values ($m = d = 4$, full rank).

# %%
EXPLORE = dict(d=4, n=32, n_seeds=8, steps=config.size(full=1000, quick=600))
display(ls.explorer(**EXPLORE))
fig, explored = ls.explore(4, 4, **EXPLORE)
plotting.save(fig, "01_explorer")
plt.show()
print(explored.counts())

# %% [markdown]
# ## 6. Deeper quadratic networks
#
# Stack two quadratic layers, $f(x) = v^\top \big(W_2 (W_1 x)^{2}\big)^{2}$, a polynomial of
# degree 4 in $x$. The teacher is a random net of the same shape with widths $(2, 2)$; students
# have widths $(m, m)$ and are trained as before. Kazemipour, Larsen & Druckmann prove that deep
# over-parameterized quadratic networks share the benign landscape properties of the shallow ones
# (in their setting); here we only measure.
#
# One caveat changes the criterion. The narrow students often end near the *zero function*
# ($L \approx 1/2$). With one unit per layer the output $v\,(\cdot)^2$ has the sign of $v$, and a
# start with the unlucky sign has nothing to fit with. These end points are nearly flat: tiny
# gradient, smallest Hessian eigenvalue close to zero (printed below), so within a budget the
# second-order test cannot cleanly say "minimum" or "slow saddle". We therefore count a run as
# successful when its loss is below $0.05$, a tenth of the zero function's: the stuck runs sit at
# $L \approx 0.5$, the others far below $0.05$.

# %%
DEEP_D, DEEP_N = 4, config.size(full=120, quick=60)
DEEP_WIDTHS = config.size(full=[1, 2, 3, 4, 6, 8], quick=[1, 2, 4, 6])
DEEP_SEEDS = config.size(full=32, quick=16)
DEEP_STEPS = config.size(full=1500, quick=600)
deep_teacher = q.select(q.init_deep(1, (2, 2), DEEP_D, seed=123), 0)
xd = torch.randn(DEEP_N, DEEP_D, generator=torch.Generator().manual_seed(5), dtype=q.DTYPE)
yd = q.deep_forward(deep_teacher, xd)
yd = yd / yd.pow(2).mean().sqrt()  # mean square 1: the zero function has loss 1/2


def run_deep(point):
    start = q.init_deep(DEEP_SEEDS, (point["m"], point["m"]), DEEP_D, seed=point["m"])
    params, _ = q.train_gd(q.deep_forward, start, xd, yd, steps=DEEP_STEPS, lr=0.01, momentum=0.9)
    return q.classify(q.deep_forward, params, xd, yd)


deep_ends = cache.sweep("ch01/deep_sweep", [{"m": m} for m in DEEP_WIDTHS], run_deep,
                        desc="deep sweep", x=xd, y=yd, seeds=DEEP_SEEDS, steps=DEEP_STEPS)
deep_ok = np.array([int((e.loss < 0.05).sum()) for e in deep_ends])
deep_ci = np.array([q.wilson_interval(int(k), DEEP_SEEDS) for k in deep_ok])
for m, e in zip(DEEP_WIDTHS, deep_ends, strict=True):
    stuck = e.loss >= 0.05
    print(f"widths ({m},{m}): {int((~stuck).sum())}/{DEEP_SEEDS} below 0.05;",
          "stuck runs: loss", [f"{x:.2f}" for x in e.loss[stuck].tolist()],
          "|grad| max", f"{float(e.grad_norm[stuck].max()) if stuck.any() else 0:.0e}",
          "|lambda_min| max", f"{float(e.lam_min[stuck].abs().max()) if stuck.any() else 0:.0e}")

fig, ax = plt.subplots()
plotting.band(ax, DEEP_WIDTHS, deep_ok / DEEP_SEEDS, deep_ci[:, 0], deep_ci[:, 1],
              label="loss < 0.05 (95% Wilson interval)")
ax.set_ylim(-0.03, 1.03)
ax.set_xticks(DEEP_WIDTHS)
ax.legend(loc="lower right")
plotting.label(ax, "Two quadratic layers: wider is benign too", "hidden units per layer m",
               "fraction of random starts")
plotting.save(fig, "01_deep_sweep")
plt.show()

# %%
assert deep_ok[-1] / DEEP_SEEDS >= 0.9, f"widest deep net: only {deep_ok[-1]}/{DEEP_SEEDS} succeeded"
assert deep_ok[0] / DEEP_SEEDS <= 0.8, f"narrowest deep net: {deep_ok[0]}/{DEEP_SEEDS} succeeded; expected a good fraction stuck"

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — the gradient of the factorised form.** With residuals $r_i = f(x_i) - y_i$ and
# $L = \frac1{2n}\sum_i r_i^2$, show that
# $\partial L/\partial v_j = \frac1n \sum_i r_i (w_j^\top x_i)^2$ and
# $\partial L/\partial W = 2\operatorname{diag}(v)\, W G$ with $G = \frac1n\sum_i r_i x_i x_i^\top$.
# Implement both and compare with `torch.func.grad`. (Then read off the saddle argument of
# section 4: at $w_j = 0$ both partial derivatives vanish.)

# %%
def factorised_gradient(w, v, x, y):
    """Closed-form (dL/dW (m, d), dL/dv (m,)) for the shallow quadratic net."""
    # BEGIN SOLUTION
    r = q.shallow_forward((w, v), x) - y
    gram = (x.T * r) @ x / x.shape[0]
    return 2 * v[:, None] * (w @ gram), ((x @ w.T) ** 2 * r[:, None]).mean(0)
    # END SOLUTION


w_t, v_t = q.select(q.init_shallow(1, 3, D, seed=3), 0)
mine = factorised_gradient(w_t, v_t, problem.x, problem.y)
ref = torch.func.grad(lambda p: q.mse(q.shallow_forward, p, problem.x, problem.y))((w_t, v_t))
for a, b in zip(mine, ref, strict=True):
    torch.testing.assert_close(a, b)
print("closed-form gradient matches torch.func.grad")

# %% [markdown]
# **Exercise 2 — what does counting predict?** Count parameters against the function class:
# the smallest $m$ with $m(d+1) \ge d(d+1)/2$. Compare with where the sweep turns. Why is the
# count not enough? (Hint: what is the largest rank of $W^\top \operatorname{diag}(v)W$?)

# %%
def counting_threshold(d):
    """Smallest width m whose parameter count m(d+1) reaches d(d+1)/2."""
    # BEGIN SOLUTION
    return math.ceil(d * (d + 1) / 2 / (d + 1))
    # END SOLUTION


print(f"d={D}: counting says m >= {counting_threshold(D)}; the rank says m >= {D}; "
      f"the sweep is reliable from about m = 2d = {2 * D}")
assert counting_threshold(D) == math.ceil(D / 2)

# %% [markdown]
# *Answer to the "why":* the map $(W, v) \mapsto A$ is not onto the symmetric matrices for
# $m < d$: its image has rank at most $m$. Parameters are wasted on the symmetry (section 1), so
# the count of parameters overstates the count of *useful* degrees of freedom.
#
# **Exercise 3 (open).** Fix the output weights to $\pm 1$ with $p$ positive and $q$ negative
# entries (the setting of Soltanolkotabi–Javanmard–Lee) and repeat the sweep over $p = q$. Where
# does it turn, and how does it compare with $p, q \ge d$?

# %% [markdown]
# ## What to remember
# - A shallow quadratic network is a factorised quadratic form $A = W^\top\operatorname{diag}(v)W$.
#   Its symmetries put about $m + m(m-1)/2$ exact zero Hessian eigenvalues at every critical point;
#   remove them before reading the spectrum.
# - Below the width the teacher needs ($m < \operatorname{rank}A^*$) zero loss is impossible; just
#   above it, random starts can end in **spurious minima** (zero gradient, no negative curvature,
#   positive loss); with $m \gtrsim 2d$ none of ours did, as the theorems lead one to expect.
# - **Slow is not stuck.** Judge an end point by gradient norm and curvature, not by the loss after
#   a fixed budget: low-rank teachers converge sublinearly.
# - Why width helps: a spare neuron at $w=0$ turns a spurious minimum into a strict saddle, which
#   gradient descent leaves after any small perturbation.
# - The rest of the course turns the question around: more degrees of freedom than the problem
#   needs make the landscape benign — **how few can we get away with?** (Chapters 03–08.)
#
# ## Sources
# - M. Soltanolkotabi, A. Javanmard, J. D. Lee. Theoretical insights into the optimization
#   landscape of over-parameterized shallow neural networks. IEEE Trans. Inf. Theory, 2019
#   (arXiv:1707.04926).
# - S. S. Du, J. D. Lee. On the power of over-parametrization in neural networks with quadratic
#   activation. ICML 2018 (arXiv:1803.01206).
# - A. Kazemipour, B. W. Larsen, S. Druckmann. Avoiding spurious local minima in deep quadratic
#   networks. 2020 (arXiv:2001.00098).
# - H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein. Visualizing the loss landscape of neural
#   nets. NeurIPS 2018 (filter normalisation).
