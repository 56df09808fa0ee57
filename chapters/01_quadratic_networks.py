# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Quadratic networks: when does over-parameterization make the landscape benign?
#
# **The question.** Gradient descent on a non-convex loss can stop at a *spurious* local minimum:
# a point where no small step helps, yet the loss is not the best possible. For networks with a
# quadratic activation this can be watched, measured and proved about. How many hidden units does
# such a network need before gradient descent from a random start stops getting stuck, and *why*
# does it get stuck when it does?
#
# **Learning goals.** After this chapter you can
# - write a shallow quadratic network as a factorised quadratic form and count its degrees of
#   freedom against the dimension of the functions it can compute;
# - explain why its symmetries put exact zero eigenvalues in the Hessian at every critical point,
#   and count them;
# - tell a spurious minimum, a saddle, a slowly converging run and a width that is simply too
#   small apart, from the gradient norm and the smallest Hessian eigenvalue, not from the loss;
# - explain the spurious minima by the signs of the output weights (Sylvester's law of inertia),
#   and state what Soltanolkotabi–Javanmard–Lee, Du–Lee and Kazemipour–Larsen–Druckmann prove.
#
# **Prerequisites.** Chapter 00; gradients and Hessians; eigenvalues of symmetric matrices.
#
# **Time:** quick ≈ 1 min, full ≈ 2.5 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread on a shared 2-core machine: 2.4 min of kernel CPU, 5.1 min
# wall at load 3–5, peak 1.1 GB)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 45-minute lecture (quick mode runs in about a minute, so run it live or before class).
# The message in one line: more hidden units than the teacher needs make random starts succeed.
# Draw $A = W^\top \operatorname{diag}(v) W$ on the board; everything in the chapter is about the
# signs of $v$.

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

from dofcourse import config, exercises, plotting, stats
from dofcourse import landscape as ls
from dofcourse import quadratic as q
from dofcourse.params import flatten
from dofcourse.quadratic import figures
from dofcourse.settings import TrainSettings

plotting.use_style()
print("mode:", config.mode())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The model and its symmetry
#
# A shallow network with $m$ hidden units, quadratic activation $\sigma(z) = z^2$ and output
# weights $v \in \mathbb{R}^m$ computes
# $$
# f(x) \;=\; \sum_{j=1}^m v_j\,(w_j^\top x)^2 \;=\; x^\top \underbrace{W^\top \operatorname{diag}(v)\, W}_{A}\; x,
# \qquad W \in \mathbb{R}^{m\times d}.
# $$
# The network *is* the symmetric matrix $A$: a factorised quadratic form. Two counts matter.
# - **Degrees of freedom** of the parameters: $D = md + m$ ($W$ and $v$).
# - **Dimension of the function class**: symmetric $d\times d$ matrices, $d(d+1)/2$ numbers.
#
# Counting is not the whole story: $A = W^\top \operatorname{diag}(v) W$ has rank at most $m$, so
# a teacher of rank $d$ needs $m \ge d$ however many parameters one has.
#
# **Symmetry.** Many parameter points give the same $A$:
# - rescaling one neuron, $(w_j, v_j) \to (c\,w_j,\, v_j/c^2)$: one direction per neuron;
# - rotating neurons into each other, $W \to QW$ with $Q^\top \operatorname{diag}(v) Q =
#   \operatorname{diag}(v)$ (ordinary rotations among neurons with the same output sign,
#   hyperbolic ones between signs): one direction per pair of neurons.
#
# The loss is constant along each of these curves. At a critical point $\theta^*$ the second
# derivative along such a curve is $u^\top H u$ for its tangent $u$ (the gradient term vanishes),
# so $u^\top H u = 0$; at a minimum, where $H \succeq 0$, this forces $Hu = 0$. How many such
# directions are independent? While the neurons are linearly independent ($m \le d$), all
# $m + m(m-1)/2$ of them. Once the neurons span $\mathbb{R}^d$ ($m \ge d$) every nearby $A$ is
# reached, so the $D$ parameters map onto the $d(d+1)/2$ dimensions of $A$ and exactly
# $D - d(d+1)/2$ directions leave $A$ unchanged: **fewer** than $m + m(m-1)/2$ when $m > d$ (the
# tangents become dependent). The two counts agree at $m = d$. We check both on zero-loss
# minima built by hand (`q.exact_net`: the teacher's eigen-decomposition, plus random extra
# neurons for $m > d$).

# %%
d_demo = 4
demo = q.planted_problem(d_demo, 2 * d_demo**2)
counts = {}
for m_demo in (d_demo, 2 * d_demo):
    net = q.exact_net(demo.teacher, m_demo)
    loss, _, h = q.loss_grad_hessian(q.shallow_forward, q.stack([net]), demo)
    eig = torch.linalg.eigvalsh(h[0])
    n_zero = int((eig.abs() < 1e-9 * eig.abs().max()).sum())
    sym = q.symmetry_directions(net)
    D_demo = flatten(net).numel()
    counts[m_demo] = (n_zero, sym.shape[1], m_demo + m_demo * (m_demo - 1) // 2,
                      D_demo - d_demo * (d_demo + 1) // 2)
    print(f"m={m_demo}: D={D_demo}, loss {float(loss[0]):.0e}; zero eigenvalues {n_zero}, "
          f"symmetry directions {sym.shape[1]}; m+m(m-1)/2 = {counts[m_demo][2]}, "
          f"D - d(d+1)/2 = {counts[m_demo][3]}")
    restricted = q.restricted_eigenvalues(h[0], sym)
    print(f"   smallest eigenvalue with the symmetry removed: {float(restricted.min()):.3f}")

# %%
for m_demo, (n_zero, n_sym, _pairs, fibre) in counts.items():
    assert n_zero == n_sym == fibre, f"m={m_demo}: {n_zero} zero eigenvalues, {n_sym} symmetry directions, D - d(d+1)/2 = {fibre}"
assert counts[d_demo][2] == counts[d_demo][3] and counts[2 * d_demo][2] > counts[2 * d_demo][3], counts
assert float(restricted.min()) > 1e-3, "with the symmetry removed the minimum must be strict"

# %% [markdown]
# With the symmetry directions projected out (`q.symmetry_directions` builds them,
# `q.restricted_eigenvalues` removes them) the rest of the Hessian is positive definite: the
# hand-made solutions are strict minima *up to symmetry*. This projection is what lets us use the
# smallest eigenvalue as evidence below. Without it, a point that is not exactly critical shows
# tiny negative eigenvalues along the symmetry directions (of the size of the gradient), which
# would make every almost-converged run look like a saddle.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. A planted teacher and a width sweep
#
# **Data.** Inputs $x_i \sim \mathcal{N}(0, I_d)$, labels $y_i = x_i^\top A^* x_i$ from a random
# symmetric teacher $A^*$ of full rank $d$ with eigenvalues of both signs (its *inertia*: two
# positive, two negative for quick mode's $d=4$; three and three for full mode's $d = 6$), scaled
# so that $\mathbb{E}\,y^2 = 1$. $n = 2d^2$ samples: $4d/(d+1)$ times the $d(d+1)/2$ unknowns
# (3.2 times for $d = 4$, 3.4 for $d = 6$). **Training.** Full-batch
# gradient descent with heavy-ball momentum on $L = \frac{1}{2n}\sum_i (f(x_i)-y_i)^2$ from many
# random starts, all trained at once by the course's ensemble trainer (`torch.func.vmap` over
# the nets); $W$ and $v$ are both trained. Losses are reported relative to the label energy
# $\frac1n\sum_i y_i^2$ (the zero function has relative loss $1/2$).
#
# **What theory says (conditions matter).**
# - *Soltanolkotabi, Javanmard & Lee (2019)*: with the output weights $v$ **fixed** and having at
#   least $d$ positive and at least $d$ negative entries, the training loss as a function of $W$
#   has, for **any** data set, only global minima and strict saddles. Such a $v$ needs $m \ge 2d$.
# - *Du & Lee (2018)*: with $k$ hidden units and $n$ training points, $k \ge \sqrt{2n}$ suffices
#   for local search to find a global optimum, for general smooth convex losses. With our
#   $n = 2d^2$, $\sqrt{2n} = 2d$.
# - *Kazemipour, Larsen & Druckmann (2020)*: spurious minima and saddles exist, but can be
#   escaped with probability one when the number of neurons is at least the input dimension,
#   $m \ge d$, **and the norm of the training samples is used as a regressor**; deep
#   over-parameterized quadratic networks benefit from similar landscape properties. Our plain
#   network has no such regressor, so $m \ge d$ is only where zero loss becomes *possible*.
#
# **How we call a run stuck.** A fixed step budget and a loss threshold are not enough: a run can
# be slow without being stuck (section 3). At the end point we compute the relative loss, the
# gradient norm and the smallest Hessian eigenvalue with the symmetry directions removed,
# $\lambda_\perp$:
#
# | end point | relative loss | $\lVert\nabla L\rVert$ | $\lambda_\perp$ |
# | --- | --- | --- | --- |
# | global minimum | $\le 10^{-6}$ | — | — |
# | saddle (GD will leave it) | $> 10^{-6}$ | — | $< -10^{-6}$ |
# | **spurious minimum** (stuck) | $> 10^{-6}$ | $\le 10^{-7}$ | $\ge -10^{-6}$ |
# | still descending | $> 10^{-6}$ | $> 10^{-7}$ | $\ge -10^{-6}$ |
#
# Runs still descending after the budget get up to two more budgets (only they), so a slow
# approach to a spurious minimum is caught. Below $m = d$ no run can reach zero loss; there a run
# that ends at the lowest loss any start of that width reached is labelled **best at this width**
# (a capacity limit), and only the runs stuck *above* it count as spurious.

# %% [markdown]
# **Think!** Before running the sweep: at which width $m$ do you expect random starts to stop
# getting stuck: right at $m = d$, where zero loss becomes possible, or later? And which runs
# would you expect to get stuck at $m = d$?

# %%
d = config.size(full=6, quick=4)
n = 2 * d**2
WIDTHS = config.size(full=[1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14], quick=[1, 2, 3, 4, 5, 6, 7, 8])
SEEDS = config.size(full=64, quick=32)
STEPS = config.size(full=1500, quick=600)
GD = TrainSettings(steps=STEPS, lr=0.02, momentum=0.9)

problem = q.planted_problem(d, n)
print(f"d={d}, n={n}, teacher inertia (positive, negative) = {q.inertia(problem.teacher)}; "
      f"widths {WIDTHS}, {SEEDS} seeds each, {STEPS} steps per round")
fits = q.width_sweep(problem, WIDTHS, n_seeds=SEEDS, settings=GD)
for m, fit in zip(WIDTHS, fits, strict=True):
    print(f"m={m:2d}", {k: v for k, v in fit.ends.counts().items() if v})

# %%
spurious = np.array([fit.ends.counts()[q.SPURIOUS] for fit in fits])
best = np.array([fit.ends.counts()[q.SUCCESS] + fit.ends.counts()[q.CAPACITY] for fit in fits])

fig = figures.fig_width_sweep(WIDTHS, spurious, best, SEEDS, d, n)
plotting.save(fig, "01_width_sweep")
plt.show()

# %%
wide = [i for i, m in enumerate(WIDTHS) if m >= 2 * d]
mid = [i for i, m in enumerate(WIDTHS) if d <= m < 2 * d]
narrow = [i for i, m in enumerate(WIDTHS) if m < d]
between = stats.wilson(int(spurious[mid].sum()), len(mid) * SEEDS)  # all runs with d <= m < 2d
assert all(spurious[i] / SEEDS <= 0.1 for i in wide), f"spurious minima at m >= 2d: {spurious[wide]}"
assert between.lo > 0.02, f"spurious minima should occur between d and 2d: {spurious[mid]}"
assert between.lo > spurious[wide].sum() / (len(wide) * SEEDS), "runs should get stuck more often below 2d than above"
best_narrow = [float(fits[i].ends.rel_loss.min()) for i in narrow]  # the best loss each narrow width reached
assert min(best_narrow) > 1e-3 and all(np.diff(best_narrow) < 0), f"below m = d zero loss is impossible and each neuron helps: {best_narrow}"

# %% [markdown]
# **Answer.** Later than $m = d$. Zero loss is possible from $m = d$ on, yet between $d$ and $2d$
# some random starts still end in a spurious minimum (the orange band above); from $m = 2d$ on
# (almost) none do (the check allows at most 10 % of the runs). At $m = d$ the runs that get
# stuck are those whose output weights $v$ end up with too few of one sign, as the next slide
# shows by counting them.

# %% [markdown] slideshow={"slide_type": "notes"}
# Before the figure, take guesses for the Think! question. Then point at the band between $d$ and
# $2d$: zero loss is possible there, yet some starts get stuck. The next slide explains which ones.

# %% [markdown] slideshow={"slide_type": "slide"}
# ### Why do runs get stuck? Count the signs
#
# A stuck run at $m = d$ has plenty of parameters, so what is missing? Look at the signs of its
# output weights. **Sylvester's law of inertia** says that $A = W^\top \operatorname{diag}(v) W$
# has at most as many positive eigenvalues as $v$ has positive entries, and at most as many
# negative eigenvalues as $v$ has negative entries: a congruence cannot create eigenvalues of a
# sign that $\operatorname{diag}(v)$ lacks. A net whose $v$ has three positive entries and one
# negative one cannot represent a teacher with two negative eigenvalues, wherever $W$ goes. This
# is exactly why Soltanolkotabi, Javanmard & Lee require at least $d$ output weights of each sign:
# then every teacher's inertia can be represented. Below: for every run with $m \ge d$, the sign
# counts of its output weights **at the end**, and where it ended.

# %%
need_pos, need_neg = q.inertia(problem.teacher)
rows = []
for m, fit in zip(WIDTHS, fits, strict=True):
    if m < d:
        continue
    pos, neg = q.sign_counts(fit.params[1])
    start_v = q.init_shallow(SEEDS, m, d, init_seed=1000 + m)[1]  # the sweep's starts
    flipped = (torch.sign(start_v) != torch.sign(fit.params[1])).any(1)
    for i, lab in enumerate(fit.ends.labels):
        rows.append((m, int(pos[i]), int(neg[i]), lab, bool(flipped[i])))
ok_signs = np.array([p >= need_pos and g >= need_neg for _, p, g, _, _ in rows])
labels = np.array([lab for *_, lab, _ in rows])
for lab in (q.SUCCESS, q.SPURIOUS):
    sel = labels == lab
    print(f"{lab:>17}: {sel.sum():3d} runs, {ok_signs[sel].sum():3d} with signs that can represent the teacher")
print(f"runs with enough of each sign that reached the global minimum: "
      f"{(ok_signs & (labels == q.SUCCESS)).sum()} of {ok_signs.sum()}")
print(f"runs in which some output weight changed sign during training: {sum(r[4] for r in rows)} of {len(rows)}")

fig = figures.fig_signs(rows, need_pos, need_neg, d)
plotting.save(fig, "01_signs")
plt.show()

# %%
sp = labels == q.SPURIOUS
assert ok_signs[labels == q.SUCCESS].all(), "a global minimum with too few of one sign contradicts Sylvester's law"
assert sp.sum() > 0 and ok_signs[sp].mean() <= 0.1, f"{ok_signs[sp].sum()} of {sp.sum()} spurious minima had enough of each sign"
assert (labels[ok_signs] == q.SUCCESS).mean() >= 0.9, "runs with enough of each sign should reach the global minimum"

# %% [markdown]
# In this sweep every spurious minimum has output weights whose signs cannot represent the
# teacher, and every run with enough of each sign reached zero loss (with other seeds a rare
# exception appears: enough of each sign is necessary for zero loss, not sufficient). Signs are not fixed at the start: an output
# weight changes sign when it passes through zero during training (the count above), so the
# start alone does not decide the outcome. Width helps because with more neurons it becomes
# likely that enough of each sign survive, and Soltanolkotabi–Javanmard–Lee's condition (at least
# $d$ of each sign, kept fixed) removes the trap altogether.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Slow is not stuck
#
# Take a teacher of rank 2 and a wide student ($m = 2d$). Zero loss is easy to reach, yet the
# loss can fall slowly: the student has many more neurons than the teacher needs, and the
# superfluous ones must be switched off, along directions whose curvature vanishes as they
# shrink. For the *symmetric* factorisation $f(x) = \lVert Wx\rVert^2$ (all output weights fixed
# at $+1$: symmetric matrix sensing) with more neurons than the teacher's rank, Xiong, Ding & Du
# (2023) prove that randomly initialised gradient descent converges only at the rate $1/T^2$,
# against $e^{-cT}$ with exactly as many neurons as the rank. We measure it: the slope of
# $\log L$ against $\log T$ over the last decade of steps. Our student with trainable $v$ can
# switch a neuron off through $v_j$ as well, and speeds up again at the end.

# %% [markdown]
# **Think!** With the naive rule "a run failed if its loss is above $10^{-6}$ after the budget",
# how many of the rank-2 runs would fail? What would the gradient norm of those runs tell you?

# %%
LOW_SEEDS = config.size(full=32, quick=12)
BUDGET = STEPS // 2
EXTRA = config.size(full=6000, quick=2700)
low = q.planted_problem(d, n, rank=2)
low_psd = q.planted_problem(d, n, rank=2, signs="psd")
cases = {"(W, v), rank-2 teacher": (low, False), f"(W, v), rank-{d} teacher": (problem, False),
         "‖Wx‖², rank-2 PSD teacher": (low_psd, True)}
runs = {name: q.convergence(prob, 2 * d, n_seeds=LOW_SEEDS, settings=GD.replace(steps=BUDGET),
                            extra_steps=EXTRA, psd=psd)
        for name, (prob, psd) in cases.items()}

fig = figures.fig_slow_vs_stuck(runs, cases, "‖Wx‖², rank-2 PSD teacher", BUDGET, 2 * d)
plotting.save(fig, "01_slow_vs_stuck")
plt.show()
psd_steps, psd_rel = runs["‖Wx‖², rank-2 PSD teacher"]["steps"], runs["‖Wx‖², rank-2 PSD teacher"]["loss"]
last = psd_steps >= psd_steps[-1] / 10  # the last decade of steps
psd_slopes = np.polyfit(np.log(psd_steps[last]), np.log(psd_rel[:, last].T), 1)[0]
print(f"‖Wx‖²: slope of log L against log T over the last decade: median {np.median(psd_slopes):.2f} "
      f"(range {psd_slopes.min():.2f} .. {psd_slopes.max():.2f} over the seeds)")

# %%
verdicts = {}
for name, run in runs.items():
    prob, psd = cases[name]
    forward = q.psd_forward if psd else q.shallow_forward
    at_budget = q.classify(forward, run["mid"], prob, symmetry=q.symmetry_directions)
    at_end = q.classify(forward, run["end"], prob, symmetry=q.symmetry_directions)
    naive = at_budget.rel_loss > 1e-6
    verdicts[name] = (int(naive.sum()), at_budget.counts(), at_end.counts())
    print(f"{name}: naive failures after {BUDGET} steps {int(naive.sum())}/{LOW_SEEDS}; certified "
          f"{ {k: v for k, v in at_budget.counts().items() if v} }; after {BUDGET + EXTRA}: "
          f"{ {k: v for k, v in at_end.counts().items() if v} }")

# %%
psd_name, low_name = "‖Wx‖², rank-2 PSD teacher", "(W, v), rank-2 teacher"
for name in (psd_name, low_name):
    naive, budget_counts, _ = verdicts[name]
    assert naive > 0, f"{name}: every run converged within the budget: nothing slow to show"
    assert budget_counts[q.SPURIOUS] == 0, f"{name}: a slow run was certified stuck: {budget_counts}"
assert -2.8 < np.median(psd_slopes) < -1.3, f"the symmetric factorisation should decay like 1/T^2 to the end: {psd_slopes}"
assert verdicts[f"(W, v), rank-{d} teacher"][0] == 0, "the full-rank teacher should be fitted within the budget (no slow phase)"
assert verdicts[psd_name][2][q.SPURIOUS] == verdicts[low_name][2][q.SPURIOUS] == 0, "a slow run ended stuck"

# %% [markdown]
# The symmetric factorisation keeps descending to the end along a straight line of slope close
# to $-2$ on log–log axes, $L \propto 1/T^2$, as Xiong, Ding & Du prove: it crosses the naive
# threshold only well after the naive budget (about ten times later in quick mode; in full mode,
# whose budget is 2.5 times longer, 1.5–2 times later). None of the slow runs is certified stuck
# at the budget: their gradient is small but not zero (a run passing a region of negative
# curvature is labelled a saddle, which is not stuck either). The projection matters here: with
# $v$ fixed only the rotations among neurons are exact symmetries
# (`symmetry=q.symmetry_directions` gives just those for $(W,)$); without it, tiny negative
# eigenvalues along them would make almost-converged runs look like saddles. Most students with trainable $v$ on the rank-2 teacher leave the slow line soon
# after the budget and converge geometrically; the full-rank teacher never had a slow phase.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A spurious minimum, inspected, and a saddle
#
# Take a run that got stuck at a width where zero loss *is* possible ($m \ge d$). Its gradient is
# zero to machine precision, its Hessian has no negative eigenvalue (beyond the exact symmetry
# zeros), and its loss is far from zero: a genuine spurious local minimum.

# %%
candidates = [(m, fit, i) for m, fit in zip(WIDTHS, fits, strict=True) if m >= d
              for i, lab in enumerate(fit.ends.labels) if lab == q.SPURIOUS]
assert candidates, "no spurious minimum found at any width m >= d; try more seeds"
m_sp, fit_sp, i_sp = candidates[0]
stuck = q.select(fit_sp.params, i_sp)
_, g_sp, h_sp = q.loss_grad_hessian(q.shallow_forward, q.stack([stuck]), problem)
sym_sp = q.symmetry_directions(stuck)
raw = torch.linalg.eigvalsh(h_sp[0])
perp = q.restricted_eigenvalues(h_sp[0], sym_sp)
print(f"width m={m_sp}: relative loss {float(fit_sp.ends.rel_loss[i_sp]):.4f}, |grad| = {float(g_sp.norm()):.1e}")
print("smallest raw Hessian eigenvalues:", [f"{e:.1e}" for e in raw[:6].tolist()])
print(f"{sym_sp.shape[1]} symmetry directions removed; smallest remaining:", [f"{e:.2e}" for e in perp[:4].tolist()])
print("output weights v:", [f"{x:+.2f}" for x in stuck[1].tolist()], f"(teacher: {need_pos}+, {need_neg}-)")

# %%
assert float(perp.min()) > 1e-4, f"smallest eigenvalue off the symmetry {float(perp.min()):.1e}: not a strict minimum up to symmetry"
assert not bool(q.can_represent(stuck[1], problem.teacher)), "this stuck run's signs could represent the teacher"

# %% [markdown]
# **Over-parameterization turns it into a saddle.** Add one neuron to this net with $w_{new}=0$.
# Nothing changes: the function, the loss and the zero gradient are the same. But the Hessian
# block of the new neuron is $2 v_{new} G$ with $G = \frac1n\sum_i r_i x_i x_i^\top$, the
# residual-weighted covariance ($r_i = f(x_i)-y_i$); $G \ne 0$ because the point is not a global
# minimum of the convex problem in $A$. Choosing the sign of $v_{new}$ against an eigenvalue of
# $G$ makes that block negative: a strict saddle, with the escape direction $w_{new} \propto$ the
# eigenvector (`q.add_spare_neuron`). The new neuron brings the sign the stuck net lacked. This
# is the mechanism behind the theorems: with enough neurons, a spare one is always available to
# open a descent direction.

# %%
saddle = q.add_spare_neuron(stuck, problem)
at_saddle = q.classify(q.shallow_forward, q.stack([saddle]), problem, symmetry=q.symmetry_directions)
print(f"saddle (width {m_sp + 1}): {at_saddle.labels[0]}, |grad| = {float(at_saddle.grad_norm[0]):.1e}, "
      f"smallest eigenvalue off the symmetry = {float(at_saddle.lam_min_perp[0]):.3f}, "
      f"new output weight {float(saddle[1][-1]):+.1f}")

ESCAPE_STEPS = config.size(full=2000, quick=1000)
kick = 1e-4 * torch.randn(flatten(saddle).shape, generator=torch.Generator().manual_seed(0), dtype=q.DTYPE)
starts = q.stack([saddle, q.from_thetas(flatten(saddle) + kick, saddle)])
escaped, esc = q.train_gd(q.shallow_forward, starts, problem, GD.replace(steps=ESCAPE_STEPS))
after = q.classify(q.shallow_forward, escaped, problem, symmetry=q.symmetry_directions)
print("start exactly at the saddle ->", after.labels[0], "; start 1e-4 away ->", after.labels[1])

fig = figures.fig_saddle_escape(esc.step, esc.loss, problem.energy, m_sp + 1)
plotting.save(fig, "01_saddle_escape")
plt.show()

# %%
assert at_saddle.labels == [q.SADDLE] and float(at_saddle.lam_min_perp[0]) < -1e-3, "the spare neuron should open a direction of negative curvature"
assert after.labels[1] == q.SUCCESS, f"the perturbed run should escape to a global minimum, got {after.labels[1]}"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Seeing the landscape
#
# Slices through the two points: the loss along $\theta + a u$ for a random, filter-normalised
# direction $u$ (each neuron perturbed in proportion to its own size; Li et al. 2018) and along
# the Hessian eigenvectors that matter: the flattest non-symmetry direction at the spurious
# minimum, the negative-curvature direction at the saddle.

# %%
alphas = torch.linspace(-1.0, 1.0, 81, dtype=q.DTYPE)
f_sp = q.flat_loss(q.shallow_forward, stuck, problem.x, problem.y)
f_sd = q.flat_loss(q.shallow_forward, saddle, problem.x, problem.y)
_, flat_sp = ls.hessian_directions(h_sp[0], 2, exclude=sym_sp)
h_sd = q.loss_grad_hessian(q.shallow_forward, q.stack([saddle]), problem)[2][0]
_, vec_sd = ls.hessian_directions(h_sd, 1, exclude=q.symmetry_directions(saddle))
rand_sp = ls.random_direction(stuck, direction_seed=1)
rand_sd = ls.random_direction(saddle, direction_seed=1)
theta_sp, theta_sd = flatten(stuck), flatten(saddle)

line_sp = [ls.slice_1d(f_sp, theta_sp, u, alphas) for u in (rand_sp, flat_sp[:, 0])]  # random, flattest
line_sd = [ls.slice_1d(f_sd, theta_sd, u, alphas) for u in (rand_sd, vec_sd[:, 0])]  # random, negative curvature
fig = figures.fig_slices_1d(alphas, line_sp, line_sd, m_sp)
plotting.save(fig, "01_slices_1d")
plt.show()

# %%
grid = torch.linspace(-0.8, 0.8, config.size(full=61, quick=41), dtype=q.DTYPE)
z_sp = ls.slice_2d(f_sp, theta_sp, flat_sp[:, 0], flat_sp[:, 1], grid, grid)
z_sd = ls.slice_2d(f_sd, theta_sd, vec_sd[:, 0], rand_sd / rand_sd.norm(), grid, grid)
fig = figures.fig_slices_2d(grid, z_sp, z_sd)
plotting.save(fig, "01_slices_2d")
plt.show()

# %%
centre = len(grid) // 2
assert float(z_sp.min()) >= float(z_sp[centre, centre]) - 1e-9, "the spurious minimum is not the lowest point of its slice"
assert float(z_sd.min()) < float(z_sd[centre, centre]) - 1e-3, "the saddle slice shows no way down"

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explore
# Move a slider (the width $m$ or the teacher's rank) and let go: a small ensemble is trained
# (a few seconds) and the figure redraws how its end points split, and a 2-D slice around the
# worst one. Try $m < \text{rank}$ (zero loss impossible), $m$ just above the rank, and
# $m \ge 2d$. The figure starts at $m = d = 4$, full rank, so it shows in any copy of the
# notebook; the counts of those end points are printed below it.

# %%
EXPLORE = dict(d=4, n=32, n_seeds=8, steps=config.size(full=1000, quick=600))
panel = ls.explorer(**EXPLORE, name="01_explorer")
print({k: v for k, v in panel.ends.counts().items() if v})
panel

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Deeper quadratic networks
#
# Stack two quadratic layers, $f(x) = v^\top \big(W_2 (W_1 x)^{2}\big)^{2}$, a polynomial of
# degree 4 in $x$. The teacher is a random net of the same shape with widths $(2, 2)$ and
# **positive** output weights, so every label is $\ge 0$; labels are scaled to mean square 1.
# Students have widths $(m, m)$ and are trained as before. Kazemipour, Larsen & Druckmann prove
# that deep over-parameterized quadratic networks share the benign landscape properties of the
# shallow ones (in their setting); here we measure where the runs fail, and why.
#
# The hidden activations $h_j = (\cdot)^2$ are never negative, so $f = \sum_j v_j h_j$ can only be
# positive through the $v_j > 0$.

# %% [markdown]
# **Think!** A student whose output weights are *all negative* computes $f \le 0$ everywhere. What
# is the best such a student can do on labels $y \ge 0$, and what relative loss does that give?

# %%
DEEP_WIDTHS = config.size(full=[1, 2, 3, 4, 6, 8], quick=[1, 2, 4, 6])
DEEP_SEEDS = config.size(full=32, quick=16)
deep = q.deep_problem(4, config.size(full=120, quick=60))
deep_runs = q.deep_sweep(deep, DEEP_WIDTHS, n_seeds=DEEP_SEEDS,
                         settings=TrainSettings(steps=config.size(full=1500, quick=600), lr=0.01, momentum=0.9))
deep_stuck, deep_neg, deep_neg0 = [], [], []
for m, run in zip(DEEP_WIDTHS, deep_runs, strict=True):
    stuck_m = run["ends"].rel_loss >= 0.05
    deep_stuck.append(stuck_m)
    deep_neg.append((run["v"] <= 0).all(1))
    deep_neg0.append((run["v0"] < 0).all(1))
    print(f"widths ({m},{m}): {int(stuck_m.sum())}/{DEEP_SEEDS} stuck (loss >= 0.05 of the label energy); their losses",
          [f"{x:.2f}" for x in run["ends"].rel_loss[stuck_m].tolist()],
          f"and largest |grad| {float(run['ends'].grad_norm[stuck_m].max()) if stuck_m.any() else 0:.0e}; "
          f"all v < 0 at the start: {int(deep_neg0[-1].sum())}, at the end: {int(deep_neg[-1].sum())}")
k_stuck = np.array([int(s.sum()) for s in deep_stuck])
st_lo, st_hi = stats.wilson_bounds(k_stuck, DEEP_SEEDS)

fig = figures.fig_deep_sweep(DEEP_WIDTHS, k_stuck, st_lo, st_hi, deep_neg, deep_neg0, DEEP_SEEDS)
plotting.save(fig, "01_deep_sweep")
plt.show()

# %%
agree = torch.cat([s == neg for s, neg in zip(deep_stuck, deep_neg, strict=True)]).float().mean()
stuck_losses = torch.cat([r["ends"].rel_loss[s] for r, s in zip(deep_runs, deep_stuck, strict=True)])
assert agree >= 0.9, f"the stuck runs should be those whose output weights all ended non-positive ({float(agree):.2f} agree)"
assert k_stuck[-1] / DEEP_SEEDS <= 0.1 and k_stuck[0] >= k_stuck[-1] + 3, f"stuck counts by width: {k_stuck}"
assert len(stuck_losses) and ((stuck_losses - 0.5).abs() < 0.05).float().mean() >= 0.8, "stuck runs should sit at the zero function (relative loss 1/2)"

# %% [markdown]
# The stuck runs are, with few exceptions (the check asks for 90 % agreement), those whose output
# weights all ended up $\le 0$ (most of them started that way; in a few runs an output weight
# crossed zero early and the run escaped): they slide towards the zero function $f \equiv 0$, the
# best a non-positive function can do on labels $\ge 0$ (relative loss $1/2$; most stuck runs sit
# within 0.05 of it). Their gradient is not zero (printed above: they are still
# creeping towards $f \equiv 0$, a flat valley of minima), so we count them by their loss. With
# more output weights it becomes unlikely that all of them have the wrong sign: in this
# experiment width helps for the same reason as in the shallow net, through the signs of $v$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **Exercise 1: the gradient of the factorised form.** With residuals $r_i = f(x_i) - y_i$ and
# $L = \frac1{2n}\sum_i r_i^2$, show that
# $\partial L/\partial v_j = \frac1n \sum_i r_i (w_j^\top x_i)^2$ and
# $\partial L/\partial W = 2\operatorname{diag}(v)\, W G$ with $G = \frac1n\sum_i r_i x_i x_i^\top$.
# Implement both; the check compares them with `torch.func.grad`. (Then read off the saddle
# argument of section 4: at $w_j = 0$ both partial derivatives vanish.)

# %%
def factorised_gradient(w, v, x, y):
    """Closed-form (dL/dW (m, d), dL/dv (m,)) for the shallow quadratic net."""
    # BEGIN SOLUTION
    r = q.shallow_forward((w, v), x) - y
    gram = (x.T * r) @ x / x.shape[0]
    return 2 * v[:, None] * (w @ gram), ((x @ w.T) ** 2 * r[:, None]).mean(0)
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    for seed in range(3):
        w_t, v_t = q.select(q.init_shallow(1, 3, d, init_seed=seed), 0)
        mine = factorised_gradient(w_t, v_t, problem.x, problem.y)
        ref = torch.func.grad(lambda p: q.mse(q.shallow_forward, p, problem.x, problem.y))((w_t, v_t))
        for a, b in zip(mine, ref, strict=True):
            torch.testing.assert_close(a, b)
    print("Exercise 1: the closed-form gradient matches torch.func.grad")

# %% [markdown]
# **Exercise 2: what does counting predict?** Count parameters against the function class: the
# smallest width $m$ whose parameter count $m(d+1)$ reaches $d(d+1)/2$. Compare it with where
# the sweep turns. Why is the count not enough? (Hint: what is the largest rank of
# $W^\top \operatorname{diag}(v)W$, and how many parameters does the symmetry of section 1 use?)

# %%
def counting_threshold(d):
    """Smallest width m whose parameter count m(d+1) reaches d(d+1)/2."""
    # BEGIN SOLUTION
    return math.ceil(d * (d + 1) / 2 / (d + 1))
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    for d_ex in range(1, 30):
        m_ex = counting_threshold(d_ex)
        assert m_ex * (d_ex + 1) >= d_ex * (d_ex + 1) / 2, f"d={d_ex}: m={m_ex} has too few parameters"
        assert (m_ex - 1) * (d_ex + 1) < d_ex * (d_ex + 1) / 2, f"d={d_ex}: m={m_ex} is not the smallest"
    print(f"d={d}: counting says m >= {counting_threshold(d)}; the rank says m >= {d}; "
          f"the sweep is reliable from about m = 2d = {2 * d}")

# %% [markdown]
# *Answer to the "why":* the map $(W, v) \mapsto A$ is not onto the symmetric matrices for
# $m < d$: its image has rank at most $m$. And parameters are spent on the symmetry (section 1),
# so the parameter count overstates the count of *useful* degrees of freedom. Even where zero loss
# is possible, the signs of $v$ decide whether it is reachable (section 2).
#
# **Exercise 3: predict, then measure.** Section 6 found the deep students stuck when all their
# output weights have the wrong sign. Suppose that happens exactly when all $m$ output weights
# start negative (they are drawn independently from a symmetric distribution). **Before looking
# at the numbers**, write down the fraction of stuck students you predict at width $m$. The check
# compares your prediction with how many students did start with all output weights negative,
# and with the stuck fractions measured. (A few runs escape when an output weight crosses zero
# early in training, so your prediction should be an upper estimate of the stuck fraction.)

# %%
def predicted_stuck_fraction(m):
    """Predicted fraction of deep students (hidden widths (m, m)) that end at the zero function."""
    # BEGIN SOLUTION
    return 0.5**m
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    predicted = np.array([predicted_stuck_fraction(m) for m in DEEP_WIDTHS])
    for m, p, k, lo, hi in zip(DEEP_WIDTHS, predicted, k_stuck, st_lo, st_hi, strict=True):
        print(f"m={m}: predicted {p:.3f}, measured {k}/{DEEP_SEEDS} = {k / DEEP_SEEDS:.3f} [{lo:.3f}, {hi:.3f}]")
    all_negative = sum(int(s.sum()) for s in deep_neg0)  # starts with every output weight < 0
    expected, spread = DEEP_SEEDS * predicted.sum(), math.sqrt(DEEP_SEEDS * (predicted * (1 - predicted)).sum())
    print(f"starts with all output weights negative: {all_negative}; your prediction: {expected:.1f} ± {spread:.1f}")
    assert abs(all_negative - expected) <= 3 * spread, "the prediction misses how often all output weights start negative"
    assert np.all(st_lo <= predicted + 1e-12), "the stuck fraction is clearly above the prediction at some width"

# %% [markdown]
# **Exercise 4 (open).** Fix the output weights to $\pm 1$ with $p$ positive and $q$ negative
# entries (the setting of Soltanolkotabi–Javanmard–Lee), train only $W$ (`q.train_gd` with a
# forward that closes over the fixed $v$, and `q.symmetry_directions(..., v=...)` for
# `q.classify`), and sweep $p = q$. Where does it turn, and how does it compare with
# $p, q \ge d$? What happens with $p \ge d$ but $q < $ the number of negative eigenvalues of the
# teacher?

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
# - A shallow quadratic network is a factorised quadratic form $A = W^\top\operatorname{diag}(v)W$.
#   Its symmetries put exact zero Hessian eigenvalues at every critical point: $m + m(m-1)/2$ of
#   them for $m \le d$, $D - d(d+1)/2$ for $m \ge d$. Remove them before reading the spectrum.
# - Below the width the teacher needs ($m < \operatorname{rank}A^*$) zero loss is impossible: the
#   best a run can do is the best loss the width allows (a capacity limit). Just above it, random starts
#   can end in **spurious minima** (zero gradient, no negative curvature, positive loss); with
#   $m \gtrsim 2d$ none of ours did.
# - **The spurious minima are sign traps.** By Sylvester's law of inertia a net whose output
#   weights have fewer negative (positive) entries than the teacher has negative (positive)
#   eigenvalues cannot fit it. Every spurious minimum we found was one, and nearly every run with
#   enough of each sign succeeded. A spare neuron of the missing sign turns the trap into a
#   strict saddle.
# - **Slow is not stuck.** Judge an end point by gradient norm and curvature, not by the loss after
#   a fixed budget: the over-parameterized symmetric factorisation converges like $1/T^2$.
# - The rest of the course turns the question around: more degrees of freedom than the problem
#   needs make the landscape benign; **how few can we get away with?** (Chapters 03–08.)
#
# ## Sources
# - M. Soltanolkotabi, A. Javanmard, J. D. Lee. Theoretical insights into the optimization
#   landscape of over-parameterized shallow neural networks. IEEE Trans. Inf. Theory, 2019
#   (arXiv:1707.04926).
# - S. S. Du, J. D. Lee. On the power of over-parametrization in neural networks with quadratic
#   activation. ICML 2018 (arXiv:1803.01206).
# - A. Kazemipour, B. W. Larsen, S. Druckmann. Avoiding spurious local minima in deep quadratic
#   networks. 2020 (arXiv:2001.00098).
# - N. Xiong, L. Ding, S. S. Du. How over-parameterization slows down gradient descent in matrix
#   sensing: the curses of symmetry and initialization. ICLR 2024 (arXiv:2310.01769).
# - J. J. Sylvester. A demonstration of the theorem that every homogeneous quadratic polynomial is
#   reducible by real orthogonal substitutions to the form of a sum of positive and negative
#   squares. Philosophical Magazine, 1852 (the law of inertia).
# - H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein. Visualizing the loss landscape of neural
#   nets. NeurIPS 2018 (filter normalisation).
