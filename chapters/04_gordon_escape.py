# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · Gordon's escape theorem: when does a random subspace hit a set?
#
# **The question.** Chapter 03 trained networks inside a random affine subspace
# $\theta = \theta_0 + P z$ of dimension $d \ll D$ and found a threshold dimension. Why is there a
# threshold at all, and what sets it? Training in the subspace succeeds exactly when the subspace
# *hits* the sublevel set $\{L \le \epsilon\}$. So we ask a purely geometric question: **when does a
# random $d$-dimensional subspace meet a given set?** The answer is decided, sharply, by one
# number: the Gaussian width $w(S)$ of the set, or, for a convex cone, its statistical dimension
# $\delta$.
#
# **Learning goals.** After this chapter you can
# 1. define and estimate the Gaussian width of a set, and compute it in closed form for a subspace,
#    a spherical cap and the $\ell_1$ ball;
# 2. state Gordon's escape theorem with its probability bound, say which side of the threshold it
#    covers, and see how loose (and how right) it is;
# 3. use the statistical dimension and the approximate kinematic formula to predict *where* a phase
#    transition happens and *how wide* it is;
# 4. predict the $\ell_1$ recovery phase transition of compressed sensing from one number;
# 5. compute exactly, for a quadratic well, the success probability of training in a random
#    subspace, and set it beside the width prediction $d^* \approx D - w^2$ of Larsen et al. (2022);
# 6. tell when these theorems apply to chapter 03's structured (sparse, Fastfood) subspaces.
#
# **Prerequisites.** Chapter 03 (random subspaces); linear algebra (projections, eigenvalues);
# Gaussian random vectors. Chapter 02's Hessian spectra motivate section 5.
#
# **Time:** quick ≈ 25 s, full ≈ 3.5 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread on a shared 2-core machine: 3.4 min of kernel CPU, 8.8 min
# wall at load 5–6, peak 0.5 GB; 25 s of CPU from the shipped results)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 50-minute lecture, the most mathematical of the course. Keep one picture throughout: a random
# subspace and a set on the sphere; the Gaussian width says how big the set looks to it. Leave
# the constants of Gordon's theorem for the notebook; the location $k \approx w^2$ is the point.

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
from dofcourse import geometry as G
from dofcourse.geometry import demo, figures
from dofcourse.projections import make_projection

plotting.use_style()
print("mode:", config.mode())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Gaussian width
#
# For a set $S \subset \mathbb{R}^D$ and a standard Gaussian vector $g \sim N(0, I_D)$, the
# **Gaussian width** is
# $$ w(S) = \mathbb{E}\, \sup_{x \in S} \langle g, x\rangle = \mathbb{E}\, h_S(g), $$
# the average, over random directions, of how far $S$ reaches — $h_S$ is the *support function*.
# Below: the $\ell_1$ ball and its support lines in six directions; $h_S(u)$ is the distance from
# the origin to the line touching $S$ from direction $u$.

# %%
fig = demo.fig_width_2d()
plotting.save(fig, "04_width_2d")
plt.show()

# %% [markdown]
# Closed forms we will check the Monte Carlo estimate against:
#
# * the unit sphere of a $k$-dimensional subspace $L$: $h(g) = \|\Pi_L g\|$, so
#   $w = \mathbb{E}\|g_k\| = \sqrt2\,\Gamma(\tfrac{k+1}{2})/\Gamma(\tfrac k2) \approx \sqrt k$ —
#   the width of a subspace's sphere is the square root of its dimension (exercise below);
# * the $\ell_1$ ball: $h(g) = \|g\|_\infty$, $w = \mathbb{E}\max_i |g_i| \approx \sqrt{2\log D}$;
# * a spherical cap of half-angle $\alpha$: $w = \mathbb{E}\|g\|\;\mathbb{E}\cos(\max(\varphi-\alpha,0))$,
#   $\varphi$ the angle between $g$ and the cap's centre (a 1-D integral), roughly $\sqrt D \sin\alpha$.
#
# `G.gaussian_width` takes a support function *or* a maximisation oracle $x^*(g)$ and returns a
# `stats.Estimate`: the mean with its 95 % interval and standard error.
#
# **Think!** The $\ell_1$ ball in $\mathbb{R}^D$ ($D$ = 100 in quick mode, 400 in full mode)
# reaches distance 1 along every one of the $D$ axes, in both directions. Is its width larger or
# smaller than that of the unit sphere of a 16-dimensional subspace (about 4)? Than that of the
# unit sphere of $\mathbb{R}^D$ (about $\sqrt D$: 10, or 20)?

# %%
D_w = config.size(full=400, quick=100)
n_w = config.size(full=20000, quick=4000)
width_rows = [
    ("subspace sphere, k=16",
     G.gaussian_width(D_w, support=G.support_subspace_sphere(16), n=n_w), G.expected_norm(16)),
    ("cap, α=0.3", G.gaussian_width(D_w, support=G.support_cap(0.3), n=n_w), G.width_cap(D_w, 0.3)),
    ("cap, α=1.0", G.gaussian_width(D_w, support=G.support_cap(1.0), n=n_w), G.width_cap(D_w, 1.0)),
    ("ℓ1 ball (oracle)", G.gaussian_width(D_w, oracle=G.oracle_l1_ball, n=n_w),
     G.width_l1_ball(D_w)),
]  # fmt: skip
for name, est, exact in width_rows:
    print(f"{name:22s} Monte Carlo {est}   closed form {exact:.3f}")
fig = demo.fig_estimates([(n, e, x, x) for n, e, x in width_rows],
                         f"Gaussian widths in D = {D_w}: Monte Carlo vs closed form", "w(S)")  # fmt: skip
plotting.save(fig, "04_widths_mc")
plt.show()

# %% [markdown]
# **Check:** each Monte Carlo estimate lies within four standard errors of its closed form (a
# support function off by a few per cent fails).

# %%
for name, est, exact in width_rows:
    assert abs(est.value - exact) <= 4 * est.stderr, f"{name}: Monte Carlo {est} vs {exact:.3f}"
print("checks passed: Monte Carlo widths agree with the closed forms")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Gordon's escape theorem
#
# Let $\lambda_k = \mathbb{E}\|g_k\|$ for $g_k \sim N(0, I_k)$, so $k/\sqrt{k+1} < \lambda_k < \sqrt k$.
#
# > **Theorem (Gordon 1988, "escape through a mesh"; with Gordon's constants 3.5 and 18, as quoted
# > by Larsen, Fort, Becker and Ganguli 2022).** Let $S$ be a closed subset of the unit sphere
# > $S^{D-1}$ and let $A$ be a subspace of codimension $k$ (dimension $d = D - k$) drawn uniformly
# > at random. If $w(S) < \lambda_k$, then
# > $$ \Pr\{A \cap S = \emptyset\} \;\ge\; 1 - 3.5\, \exp\!\Big(-\frac{(\lambda_k - w(S))^2}{18}\Big). $$
#
# Since $\lambda_k \approx \sqrt k$: a random subspace *escapes* $S$ once its codimension $k$
# exceeds $w(S)^2$ by a margin. Note what the theorem does **not** say: it bounds the probability of
# *missing* $S$ from below, for large codimension. That a subspace of *smaller* codimension does
# hit $S$ is not part of it; for that we need more (section 3). In three dimensions: a random plane
# through the origin against a cap.

# %%
fig = demo.fig_cap_and_plane()
plotting.save(fig, "04_cap_and_plane")
plt.show()

# %% [markdown]
# Now the real test in high dimension. Fix a cap $S$ of half-angle $\alpha$ in $\mathbb{R}^D$. A
# subspace meets the cap iff its orthonormal basis $P$ has $\|P^\top e\| \ge \cos\alpha$, and
# $\|P^\top e\|^2 \sim \mathrm{Beta}(d/2, (D-d)/2)$, so the miss probability is known exactly. We
# also measure it: the first $d$ columns of one Gaussian $D \times D$ matrix span a random
# $d$-dimensional subspace, so one matrix gives nested random subspaces of every dimension at once
# (`G.cap_hit_rates`, cached on disk).
#
# **Think!** Where will the measured miss probability jump from 0 to 1: near $k = w(S)^2$, or
# where Gordon's bound becomes informative?

# %%
D_g, alpha_g = config.size(full=400, quick=300), 0.2
n_g = config.size(full=400, quick=200)
w_cap = G.width_cap(D_g, alpha_g)
k = np.arange(D_g + 1)[::-1]  # codimension of the first d columns, d = 0..D
miss_mc = 1 - G.cap_hit_rates(D_g, alpha_g, n=n_g)
miss_exact = 1 - G.cap_hit_probability(D_g, np.arange(D_g + 1), alpha_g)
bound = G.gordon_miss_bound(k, w_cap)
k_informative = int(k[::-1][np.argmax(bound[::-1] > 0.9)]) if (bound > 0.9).any() else D_g

fig = figures.fig_gordon(k, miss_exact, miss_mc, bound, w_cap, k_informative, D_g, alpha_g, n_g)
plotting.save(fig, "04_gordon")
plt.show()

# %%
se = np.sqrt(miss_exact * (1 - miss_exact) / n_g)
assert np.all(np.abs(miss_mc - miss_exact) <= 4.5 * se + 1.5 / n_g), (
    "the measured miss probability disagrees with the exact Beta law"
)
assert np.all(miss_mc + 4.5 * se + 1.5 / n_g >= bound), "the measurement falls below Gordon's bound"
k_half = stats.crossing(k[::-1], miss_mc[::-1], 0.5)
assert abs(k_half - w_cap**2) < 2 * w_cap + 2, (
    f"the measured miss probability crosses 1/2 at k = {k_half:.1f}, far from w² = {w_cap**2:.0f}"
)
k_bound = stats.crossing(k[::-1], bound[::-1], 0.5)
assert k_bound > 3 * k_half, "Gordon's bound should only become informative far beyond the jump"
print(f"measured miss probability crosses 1/2 at k = {k_half:.1f}; w(S)^2 = {w_cap**2:.1f}; "
      f"the bound reaches 1/2 only at k = {k_bound:.0f}")  # fmt: skip

# %% [markdown]
# The bound is *correct but conservative*: the measured miss probability jumps from 0 to 1 right at
# $k \approx w(S)^2$, while the bound (with its constants 3.5 and 18) only becomes informative at
# several times that codimension. The location, $k \approx w^2$, is the sharp part; the next section
# makes the other side of the jump and its width precise too.
#
# ## 3. Statistical dimension and the approximate kinematic formula
#
# For a closed convex cone $C$, let $\Pi_C$ be the Euclidean projection onto $C$. The
# **statistical dimension** is
# $$ \delta(C) = \mathbb{E}\,\|\Pi_C(g)\|^2 , $$
# and it satisfies $\delta(C) - 1 \le w(C \cap S^{D-1})^2 \le \delta(C)$ — it is the squared width,
# made exact. For a $k$-dimensional subspace $\delta = k$. By Moreau's decomposition
# $g = \Pi_C(g) + \Pi_{C^\circ}(g)$ with orthogonal parts ($C^\circ$ the polar cone),
# $\delta(C) + \delta(C^\circ) = D$.
#
# Closed forms we check: the nonnegative orthant, the second-order cone
# $\{(x,t): \|x\| \le t\}$ and the PSD cone are self-dual, so $\delta = D/2$; for the descent cone
# of the $\ell_1$ norm at an $s$-sparse point, Amelunxen, Lotz, McCoy and Tropp (2014, Prop. 4.5):
# $$ D\,\psi(s/D) - 2\sqrt{D/s} \;\le\; \delta \;\le\; D\,\psi(s/D), \qquad
#    \psi(\rho) = \inf_{\tau\ge 0}\; \rho(1+\tau^2) + (1-\rho)\,\mathbb{E}\big[(|g|-\tau)_+^2\big]. $$

# %%
D_s = config.size(full=200, quick=60)
n_s = config.size(full=20000, quick=3000)
s_l1 = D_s // 10
x_sparse = np.zeros(D_s)
x_sparse[:s_l1] = 1.0
l1_form = G.statdim_l1(D_s, s_l1)
n_psd = int((math.sqrt(8 * D_s + 1) - 1) / 2)  # largest n with n(n+1)/2 <= D_s
q_sub = G.random_orthonormal(D_s, D_s // 3, seed=0)
statdim_rows = [
    ("subspace", G.statistical_dimension(G.project_subspace(q_sub), D_s, n=n_s), D_s // 3, D_s // 3),
    ("orthant", G.statistical_dimension(G.project_orthant, D_s, n=n_s), D_s / 2, D_s / 2),
    ("second-order", G.statistical_dimension(G.project_soc, D_s, n=n_s), D_s / 2, D_s / 2),
    (f"PSD {n_psd}×{n_psd}", G.statistical_dimension(G.project_psd, G.psd_dim(n_psd), n=n_s),
     G.statdim_psd(n_psd), G.statdim_psd(n_psd)),
    (f"ℓ1 descent, s={s_l1}", G.statistical_dimension(G.project_l1_descent(x_sparse), D_s, n=n_s),
     l1_form.lower, l1_form.upper),
]  # fmt: skip
for name, est, lo, hi in statdim_rows:
    interval = f"{lo:.2f}" + (f"..{hi:.2f}" if hi != lo else "")
    print(f"{name:20s} Monte Carlo {est}   closed form {interval}")
fig = demo.fig_estimates(statdim_rows, "Statistical dimension: Monte Carlo vs closed form", "δ(C)")
plotting.save(fig, "04_statdim")
plt.show()

# %% [markdown]
# The $\ell_1$ row's closed form is an interval (the grey bar): the formula $D\psi(s/D)$ is its
# upper end, and the truth lies within $2\sqrt{D/s}$ below it. **Check:** each Monte Carlo estimate
# agrees with its closed form (or interval) within four standard errors.

# %%
for name, est, lo, hi in statdim_rows:
    assert lo - 4 * est.stderr <= est.value <= hi + 4 * est.stderr, (
        f"{name}: Monte Carlo {est} vs closed form [{lo:.2f}, {hi:.2f}]"
    )
print("checks passed: Monte Carlo statistical dimensions agree with the closed forms")

# %% [markdown] slideshow={"slide_type": "slide"}
# **The approximate kinematic formula** (Amelunxen et al. 2014, Theorem I). Let $C, K$ be convex
# cones in $\mathbb{R}^D$, one not a subspace, and $Q$ a uniformly random rotation. For each
# $\eta \in (0,1)$ there is a constant $a_\eta$ (of order $\sqrt{\log(1/\eta)}$, given explicitly in
# the paper) such that
# $$ \delta(C) + \delta(K) \le D - a_\eta\sqrt D \;\Rightarrow\; \Pr\{C \cap QK \ne \{0\}\} \le \eta, \qquad
#    \delta(C) + \delta(K) \ge D + a_\eta\sqrt D \;\Rightarrow\; \Pr\{C \cap QK \ne \{0\}\} \ge 1-\eta. $$
# Unlike Gordon's theorem it has **both sides**, and it needs **convexity**. For $K$ a random
# $d$-dimensional subspace ($\delta = d$): the subspace meets $C$ when $d > D - \delta(C)$ and
# misses it when $d < D - \delta(C)$, and the transition is at most $O(\sqrt D)$ wide. The orthant
# has $\delta = D/2$, so the transition sits at $d = D/2$. We test intersection by a linear program,
# $\max \mathbf 1^\top P z$ s.t. $Pz \ge 0$, $\mathbf 1^\top Pz \le 1$ (optimum 1 iff the subspace
# meets the orthant; `G.orthant_sweep`, cached), and compare with the exact answer from Wendel's
# theorem.

# %%
D_o = config.size(full=100, quick=40)
n_o = config.size(full=100, quick=30)
step_o = 2
d_o = np.arange(D_o // 4, 3 * D_o // 4 + 1, step_o)
orthant = G.orthant_sweep(D_o, d_o, n=n_o)
p_orthant = orthant["p"].to_numpy()
fig = figures.fig_orthant(D_o, d_o, p_orthant, n_o)
plotting.save(fig, "04_orthant")
plt.show()

# %%
exact_o = G.orthant_hit_probability(D_o, d_o)
assert np.all(np.abs(p_orthant - exact_o) <= 4 * np.sqrt(exact_o * (1 - exact_o) / n_o) + 0.05), (
    "the LP intersection test disagrees with Wendel's exact probability"
)
low, high = d_o <= D_o / 2 - math.sqrt(D_o), d_o >= D_o / 2 + math.sqrt(D_o)
assert p_orthant[low].max() < 0.25 and p_orthant[high].min() > 0.75, (
    "the measured transition should be complete within D/2 ± √D"
)
d_half = stats.crossing(d_o, p_orthant, 0.5)
assert abs(d_half - D_o / 2) <= math.sqrt(D_o) / 2 + step_o, f"measured 1/2 at d = {d_half:.1f}"
print(f"measured: P < 0.25 for d <= {D_o / 2 - math.sqrt(D_o):.1f}, P > 0.75 for "
      f"d >= {D_o / 2 + math.sqrt(D_o):.1f}, 1/2 crossed at d = {d_half:.1f} (D/2 = {D_o / 2:g})")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A phase transition people know: $\ell_1$ recovery
#
# Take an $s$-sparse $x_0 \in \mathbb{R}^D$, measure $b = A x_0$ with a Gaussian $A \in
# \mathbb{R}^{m \times D}$, and solve basis pursuit $\min \|x\|_1$ s.t. $Ax = b$ (a linear program).
# It recovers $x_0$ exactly iff the null space of $A$ — a random subspace of dimension $D - m$ —
# misses the descent cone $\mathcal D(\|\cdot\|_1, x_0)$. By the kinematic formula, recovery
# switches from failure to success at $m \approx \delta(\mathcal D)$ (Amelunxen et al. 2014,
# Theorem II).
#
# **Think!** With $D$ unknowns (60 in quick mode, 100 in full mode), how many measurements does
# a vector with $D/20$ nonzero entries need (3, or 5)? One with $D/5$ (12, or 20)? (Counting
# unknowns says $D/20$ and $D/5$; the geometry says more.)

# %%
D_l = config.size(full=100, quick=60)
n_l = config.size(full=50, quick=20)
sparsities = [D_l // 20, D_l // 10, D_l // 5]
m_grid = np.arange(2, config.size(full=75, quick=45), config.size(full=2, quick=3))
l1_table = G.l1_sweep(D_l, sparsities, m_grid, n=n_l)
p_l1 = {s: l1_table[l1_table["s"] == s]["p"].to_numpy() for s in sparsities}
fig = figures.fig_l1_recovery(D_l, m_grid, p_l1)
plotting.save(fig, "04_l1_recovery")
plt.show()

# %%
for s in sparsities:
    m_half, delta = stats.crossing(m_grid, p_l1[s], 0.5), G.statdim_l1(D_l, s).value
    print(f"s = {s:3d}: success crosses 1/2 at m = {m_half:5.1f}; δ = {delta:5.1f}")
    assert abs(m_half - delta) <= 5, f"s={s}: the transition at m={m_half:.1f} is far from δ"

# %% [markdown]
# A coarse phase diagram: success probability over (sparsity, measurements), with the curve
# $m = \delta(s)$ on top (the same cached `G.l1_sweep`, on a grid).

# %%
s_pd = np.unique(np.linspace(1, D_l // 2, config.size(full=12, quick=6)).astype(int))
m_pd = np.unique(np.linspace(4, D_l - 4, config.size(full=16, quick=8)).astype(int))
n_pd = config.size(full=20, quick=6)
pd_table = G.l1_sweep(D_l, s_pd, m_pd, n=n_pd)
pd_grid = pd_table.pivot(index="m", columns="s", values="p").to_numpy()  # (len(m_pd), len(s_pd))
fig = figures.fig_l1_phase_diagram(D_l, s_pd, m_pd, pd_grid)
plotting.save(fig, "04_phase_diagram")
plt.show()

# %%
delta_pd = np.array([[G.statdim_l1(D_l, int(s)).value for s in s_pd] for _ in m_pd])
gap = m_pd[:, None] - delta_pd  # measurements beyond the predicted threshold
below, above = pd_grid[gap <= -8], pd_grid[gap >= 8]
assert below.size >= 3 and above.size >= 3, "the grid should reach both sides of the curve"
assert below.mean() < 0.1 and above.mean() > 0.9, (
    f"recovery should fail below m = δ(s) - 8 (got {below.mean():.2f}) and succeed above "
    f"m = δ(s) + 8 (got {above.mean():.2f})"
)
print(f"phase diagram: mean success {below.mean():.2f} in {below.size} cells below δ(s) - 8, "
      f"{above.mean():.2f} in {above.size} cells above δ(s) + 8")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "notes"}
# Students who know compressed sensing will recognise the $\ell_1$ phase diagram; tell the others
# it is the same geometry as the next section's: a random subspace meeting a cone.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The bridge to training: the quadratic well
#
# Take $L(\theta) = \tfrac12(\theta-\theta^*)^\top H(\theta-\theta^*)$ and train inside the random
# affine subspace $\theta_0 + \mathrm{span}(P)$, $P \in \mathbb{R}^{D\times d}$ orthonormal. With
# $c = \theta_0 - \theta^*$ the best point of the subspace has loss
# $$ \min_z L(\theta_0 + Pz) = \tfrac12 c^\top H c - \tfrac12 (P^\top H c)^\top (P^\top H P)^{-1}(P^\top H c), $$
# so "does training in this subspace reach $L \le \epsilon$?" is answered *exactly*, and the success
# probability over random subspaces is a Monte Carlo over $P$ alone. (With one random rotation
# and a Cholesky factorisation, all $d = 0..D$ come at once.)
#
# Geometrically the subspace succeeds iff it meets the cone $K$ of directions from $\theta_0$ into
# the ellipsoid $\{L \le \epsilon\}$; its intersection with the unit sphere is the sublevel set
# *projected onto the unit sphere around $\theta_0$*, $S(\epsilon, \theta_0)$. The two theorems
# then give the two sides of a threshold:
#
# * **Gordon** (section 2): if the codimension $D - d$ exceeds $w(S)^2$ by a margin, the subspace
#   misses $S$ with high probability: training *fails* for $d$ well below $D - w(S)^2$.
# * **Success above the threshold** is not in Gordon's theorem. Here it follows from convexity:
#   the ellipsoid is convex, so $K$ is a convex (elliptic) cone, and the kinematic formula of
#   section 3, with $\delta(K) \approx w(S)^2$, says a subspace with $d$ well above $D - \delta(K)$
#   meets it with high probability.
#
# Together: $d^* \approx D - w(S(\epsilon,\theta_0))^2$. This is how Larsen, Fort, Becker and Ganguli
# (ICLR 2022) explain the threshold training dimension: via Gordon's escape theorem, "the training
# dimension plus the Gaussian width of the desired loss sub-level set, projected onto a unit sphere
# surrounding the initialization, must exceed the total number of parameters for the success
# probability to be large". For a real network the sublevel set need not be convex, so the success
# side is then an empirical observation (chapter 05), not a theorem. For a quadratic well they
# derive an analytic bound on the threshold from the Hessian spectrum and the distance of the
# initialization from the minimum; we do not reproduce it here: we compute the width numerically
# (Monte Carlo over the exact support function of the cone) and the success probability exactly.
#
# The spectrum follows chapter 02: a few stiff directions (eigenvalue 1) and many flat ones.

# %%
D_q = config.size(full=200, quick=100)
n_q = config.size(full=400, quick=100)
n_qw = config.size(full=4000, quick=800)
lam = demo.well_spectrum(D_q, n_stiff=D_q // 10, flat=0.03)
LOSS0, EPS_Q = 1.0, 0.1  # the start's loss and the target
r_main = G.well_threshold(lam, LOSS0, EPS_Q, n=n_q, n_width=n_qw)
fig = figures.fig_well_curve(r_main, D_q, LOSS0, EPS_Q)
plotting.save(fig, "04_well_curve")
plt.show()
print(f"exact threshold (P = 1/2): {r_main['threshold']:.1f};  D - w^2 = {r_main['predicted']:.1f}; "
      f"transition width {r_main['width']:.1f}")  # fmt: skip

# %%
gap_q = abs(r_main["threshold"] - r_main["predicted"])
assert gap_q <= r_main["width"], (
    f"the exact threshold {r_main['threshold']:.1f} and the width prediction "
    f"{r_main['predicted']:.1f} differ by more than the transition width {r_main['width']:.1f}"
)
assert 0.1 * D_q < r_main["threshold"] < 0.9 * D_q, "the transition should lie inside (0, D)"

# %% [markdown] slideshow={"slide_type": "slide"}
# **How the threshold moves.** Lower targets $\epsilon$ shrink the sublevel set, so its projected
# width falls and the threshold rises; a start closer to the minimum (lower $L(\theta_0)$) makes the
# set look bigger from $\theta_0$, so the threshold falls — the two trends Larsen et al. report for
# real networks.
#
# **Think!** What should a *flatter* landscape (the flat directions' curvature 0.003 instead of
# 0.03) do to the threshold?

# %%
eps_grid = np.geomspace(0.01, 0.5, config.size(full=8, quick=5))
starts = [1.0, 2.0]
spectra = {
    "flat 0.03": lam,
    "flat 0.003": demo.well_spectrum(D_q, D_q // 10, 0.003),
}
well_tables = {name: G.well_sweep(spec, starts, eps_grid, n=n_q // 2, n_width=n_qw // 4)
          for name, spec in spectra.items()}  # fmt: skip
fig = figures.fig_well_thresholds(well_tables, starts)
plotting.save(fig, "04_well_thresholds")
plt.show()

# %%
tol = 2.0  # dimensions: the noise of a threshold read from n_q / 2 random subspaces
for name, table in well_tables.items():
    for _, r in table.iterrows():
        assert abs(r["threshold"] - r["predicted"]) <= max(r["width"], tol), (
            f"{name}, {r['loss0']}, eps={r['eps']:.3f}: exact {r['threshold']:.1f} vs "
            f"D - w^2 = {r['predicted']:.1f}"
        )
    for loss0 in starts:
        thr = table[table["loss0"] == loss0].sort_values("eps")["threshold"].to_numpy()
        assert np.all(np.diff(thr) <= tol) and thr[0] - thr[-1] > 3 * tol, (
            f"{name}, L0={loss0}: the threshold should fall as eps grows, got {np.round(thr, 1)}"
        )
    near, far = (table[table["loss0"] == s].sort_values("eps")["threshold"].to_numpy()
                 for s in starts)  # fmt: skip
    assert np.all(far >= near - tol) and np.mean(far - near) > tol, (
        f"{name}: a start farther from the minimum should need more dimensions"
    )
steep, flat = (
    well_tables[n].sort_values(["loss0", "eps"])["threshold"].to_numpy() for n in spectra
)
assert np.all(flat <= steep + tol) and np.mean(steep - flat) > tol, (
    "a flatter landscape should lower the threshold"
)
print("checks passed: thresholds match D - w^2; they fall with eps, rise with the starting loss, "
      "and fall when the landscape is flatter")  # fmt: skip

# %% [markdown]
# Flatter directions make the ellipsoid $\{L \le \epsilon\}$ longer along them, so from $\theta_0$
# it covers a larger part of the sphere: a larger width, a lower threshold.
#
# ## 6. Explore: move the transition
#
# Choose the number of stiff directions, the curvature of the flat ones, the target $\epsilon$, the
# starting loss — and, on the right, the sparsity of an $\ell_1$ recovery problem — and watch the
# threshold move. The figure is drawn for the starting values; move a slider to redraw it.

# %%
demo.threshold_demo(D=config.size(full=200, quick=60), n=config.size(full=200, quick=40),
                    n_width=config.size(full=1000, quick=200), name="04_threshold_demo")  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Which subspaces do the theorems cover?
#
# Gordon's theorem and the kinematic formula are about **uniformly random** subspaces: their law
# does not change under rotations. A dense Gaussian $P$ spans exactly such a subspace (a Gaussian
# matrix times a rotation is again Gaussian). Chapter 03's favourite projections do not: a sparse
# $P$ has mostly zero entries, aligned with the coordinate axes, and Fastfood's
# $H G \Pi H B$ is built from a handful of random diagonals and one permutation. Their spans are
# random, but not rotation-invariant, so none of the numbers above is promised for them. That
# chapter 03 found the same accuracy curve for dense, sparse and Fastfood projections is an
# *empirical* finding about those landscapes, not a consequence of these theorems. Exercise 3
# shows that for a set aligned with the axes, the difference is large.
#
# ## 8. Exercises
#
# **Exercise 1 — the Gaussian width of a subspace, by hand.** Let $L$ be a $k$-dimensional subspace
# and $S = L \cap S^{D-1}$ its unit sphere. Show that $h_S(g) = \|\Pi_L g\|$, that $\Pi_L g$ is a
# standard Gaussian in $k$ dimensions, and hence $w(S) = \mathbb{E}\|g_k\|
# = \sqrt2\,\Gamma(\frac{k+1}2)/\Gamma(\frac k2)$. Complete the function (use `math.lgamma`) and
# compare with Monte Carlo. Why does Gordon's theorem then say a random subspace of codimension
# $k' > k$ misses $L$ (and what is the exact answer)?


# %%
def subspace_width(k: int) -> float:
    """Gaussian width of the unit sphere of a k-dimensional subspace."""
    # BEGIN SOLUTION
    return math.sqrt(2) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    for k_ex in (1, 4, 25):
        mc = G.gaussian_width(50, support=G.support_subspace_sphere(k_ex), n=4000, seed=k_ex)
        print(f"k = {k_ex:2d}: by hand {subspace_width(k_ex):.3f}, Monte Carlo {mc}, "
              f"sqrt(k) = {math.sqrt(k_ex):.3f}")  # fmt: skip
        assert abs(mc.value - subspace_width(k_ex)) <= 4 * mc.stderr, "disagrees with Monte Carlo"

# %% [markdown]
# *(Answer to the last question: two subspaces of dimensions $k$ and $D - k'$ in general position
# meet only at 0 when $k + D - k' \le D$, i.e. $k' \ge k$ — exactly $w^2 \approx k$, up to the
# $\lambda_k$ vs $\sqrt k$ gap.)*
#
# **Exercise 2 — why $\delta(\text{orthant}) = D/2$.** Projection onto the orthant clips each
# coordinate at 0, so $\|\Pi(g)\|^2 = \sum_i (g_i)_+^2$. Compute $\mathbb{E}(g_i)_+^2$ using the
# symmetry of $g_i$, and give a second proof from $\delta(C) + \delta(C^\circ) = D$ and the
# self-duality of the orthant ($C^\circ = -C$). Complete the function returning
# $\mathbb{E}\|\Pi(g)\|^2$ for the orthant of $\mathbb{R}^D$.


# %%
def orthant_statdim(D: int) -> float:
    """Statistical dimension of the nonnegative orthant of R^D."""
    # BEGIN SOLUTION
    # E (g_i)_+^2 = E g_i^2 / 2 = 1/2 by symmetry of g_i; sum over D coordinates
    return D * 0.5
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    est_o = G.statistical_dimension(G.project_orthant, 30, n=4000, seed=5)
    print(f"formula {orthant_statdim(30)}, Monte Carlo {est_o}")
    assert abs(est_o.value - orthant_statdim(30)) <= 4 * est_o.stderr, "disagrees with Monte Carlo"

# %% [markdown]
# **Exercise 3 — predict, then measure: structured subspaces and the orthant.** Section 3 showed a
# uniformly random subspace of dimension $d = D/2$ meets the orthant with probability exactly 1/2
# (and almost never at $d = D/2 - \sqrt D$). **Predict first** the probability for the span of a
# dense Gaussian, a sparse and a Fastfood projection (`make_projection(kind, D, d, seed)`), at
# both dimensions; return your guesses from `predict_structured`. Then complete
# `structured_hit_rate`, which measures it with `G.meets_orthant` (it takes a stack of bases of
# shape (n, D, d), orthonormal or not) over the seeds 0..n-1.


# %%
def predict_structured() -> dict[str, tuple[float, float]]:
    """Your guess of P(span(P) meets the orthant) at (d = D/2 - sqrt(D), d = D/2), per kind."""
    # BEGIN SOLUTION
    # dense: a uniformly random subspace (Wendel). sparse: rows of P that are all zero make those
    # coordinates of Pz zero for every z, so fewer constraints must hold: more hits.
    return {"dense": (0.03, 0.5), "sparse": (0.7, 0.9), "fastfood": (0.1, 0.5)}
    # END SOLUTION


def structured_hit_rate(kind: str, D: int, d: int, n: int) -> float:
    """Fraction of the n subspaces span(P), P = make_projection(kind, D, d, seed) for seed in
    0..n-1, that meet the nonnegative orthant."""
    # BEGIN SOLUTION
    bases = [make_projection(kind, D, d, seed=s, dtype=torch.float64).matrix() for s in range(n)]
    return float(G.meets_orthant(torch.stack(bases).numpy()).mean())
    # END SOLUTION


# %%
D_x, n_x = 40, config.size(full=300, quick=120)
d_x = (D_x // 2 - int(math.sqrt(D_x)), D_x // 2)
with exercises.checking("Exercise 3"):
    guesses = predict_structured()
    measured = {kind: tuple(structured_hit_rate(kind, D_x, d, n_x) for d in d_x)
                for kind in ("dense", "sparse", "fastfood")}  # fmt: skip
    uniform = tuple(float(G.orthant_hit_probability(D_x, d)[0]) for d in d_x)
    print(f"d = {d_x}:   uniform (Wendel) {np.round(uniform, 2)}")
    for kind, rates in measured.items():
        print(f"{kind:9s} measured {np.round(rates, 2)}   your guess {guesses[kind]}")
    noise = [4 * math.sqrt(max(u * (1 - u), 0.02) / n_x) for u in uniform]
    assert all(abs(m - u) <= e for m, u, e in zip(measured["dense"], uniform, noise)), (
        "a dense Gaussian P spans a uniformly random subspace: it should match Wendel's formula"
    )
    assert all(m > u + e for m, u, e in zip(measured["sparse"], uniform, noise)), (
        "sparse subspaces should meet the orthant far more often than uniform ones"
    )
    assert measured["fastfood"][0] > uniform[0] + noise[0], (
        "Fastfood subspaces should meet it more often below D/2: a wider transition"
    )

# %% [markdown]
# Sparse subspaces hit the orthant much more often: a row of $P$ that is all zero (likely when
# each entry is non-zero with probability $1/\sqrt D$) fixes that coordinate of $Pz$ at 0 for
# every $z$, which the orthant allows, so fewer sign constraints remain. Fastfood's transition is
# centred near $D/2$ but much wider than the kinematic formula's $O(\sqrt D)$. The orthant is the
# worst case for axis-aligned constructions; the sublevel sets of a trained network have no reason
# to be aligned with the parameter axes, which is why chapter 03 could not tell the three apart —
# but that is an observation to check, not a theorem to quote.
#
# ## What to remember
#
# * The **Gaussian width** $w(S) = \mathbb{E}\sup_{x\in S}\langle g,x\rangle$ measures how big a set
#   looks to a random subspace; $w^2$ acts as its dimension (a $k$-dimensional sphere has $w^2\approx k$).
# * **Gordon's escape theorem** (constants 3.5 and 18 from Gordon 1988): a random subspace of
#   codimension $k$ misses $S \subset S^{D-1}$ with probability at least
#   $1 - 3.5e^{-(\lambda_k - w)^2/18}$. It covers the *failure* side only; the constants are loose,
#   but the location $k \approx w(S)^2$ of the jump is sharp.
# * For convex cones the **statistical dimension** $\delta = \mathbb{E}\|\Pi_C g\|^2$ (≈ $w^2$) gives
#   both sides: a random $d$-subspace meets $C$ when $d > D - \delta(C)$ and misses it below, with a
#   transition of width $O(\sqrt D)$ (approximate kinematic formula).
# * **ℓ1 recovery** from $m$ Gaussian measurements succeeds when $m > \delta$ of the ℓ1 descent cone,
#   $\approx D\psi(s/D)$ — the compressed-sensing phase transition is this same geometry.
# * **Training in a random subspace** of a quadratic well succeeds when $d > D - w^2$, with
#   $w$ the width of the sublevel set projected onto the sphere around $\theta_0$: smaller targets
#   raise the threshold, better starts and flatter landscapes lower it. Chapter 05 measures the same
#   transition on real networks, where convexity (and hence the success side) is not guaranteed.
# * The theorems assume **uniformly random** subspaces; sparse and Fastfood projections are not,
#   and can behave very differently on sets aligned with the axes.
#
# ## Sources
#
# * Y. Gordon. On Milman's inequality and random subspaces which escape through a mesh in
#   $\mathbb{R}^n$. *Geometric Aspects of Functional Analysis*, LNM 1317, 1988 (the escape theorem
#   and its constants).
# * B. W. Larsen, S. Fort, N. Becker, S. Ganguli. How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective. *ICLR* 2022 (the theorem as stated here; the
#   threshold training dimension).
# * D. Amelunxen, M. Lotz, M. B. McCoy, J. A. Tropp. Living on the edge: phase transitions in
#   convex programs with random data. *Information and Inference*, 2014 (statistical dimension,
#   approximate kinematic formula, ℓ1 recovery).
# * V. Chandrasekaran, B. Recht, P. A. Parrilo, A. S. Willsky. The convex geometry of linear
#   inverse problems. *Foundations of Computational Mathematics*, 2012 (Gordon's theorem applied to
#   recovery problems).
# * J. G. Wendel. A problem in geometric probability. *Math. Scand.* 11, 1962 (the orthant formula).
# * Q. Le, T. Sarlós, A. Smola. Fastfood — approximating kernel expansions in loglinear time. *ICML*
#   2013; P. Li, T. Hastie, K. Church. Very sparse random projections. *KDD* 2006.
