# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
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
# 2. state Gordon's escape theorem with its probability bound, and see how loose (and how right) it is;
# 3. use the statistical dimension and the approximate kinematic formula to predict *where* a phase
#    transition happens and *how wide* it is;
# 4. predict the $\ell_1$ recovery phase transition of compressed sensing from one number;
# 5. compute exactly, for a quadratic well, the success probability of training in a random
#    subspace, and set it beside the width prediction $d^* \approx D - w^2$ of Larsen et al. (2022).
#
# **Prerequisites.** Chapter 03 (random subspaces); linear algebra (projections, eigenvalues);
# Gaussian random vectors. Chapter 02's Hessian spectra motivate section 5.
#
# **Time.** Quick mode (`DOFCOURSE_QUICK=1`): under a minute on two CPU cores (27 s measured).
# Full mode: about three minutes on two CPU cores (linear programs dominate; no GPU needed). A
# second run reads the cached sweeps and takes a few seconds.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from dofcourse import cache, config, plotting
from dofcourse import geometry as G
from dofcourse.geometry import demo

plotting.use_style()
print("mode:", config.mode())

# %% [markdown]
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
# * the $\ell_1$ ball: $h(g) = \|g\|_\infty$, $w = \mathbb{E}\max_i |g_i| \approx \sqrt{2\log D}$ —
#   tiny although the ball touches every axis;
# * a spherical cap of half-angle $\alpha$: $w = \mathbb{E}\|g\|\;\mathbb{E}\cos(\max(\varphi-\alpha,0))$,
#   $\varphi$ the angle between $g$ and the cap's centre (a 1-D integral), roughly $\sqrt D \sin\alpha$.
#
# `G.gaussian_width` takes a support function *or* a maximisation oracle $x^*(g)$ and returns the
# mean with a 95 % confidence interval.

# %%
D_w = config.size(full=400, quick=100)
n_w = config.size(full=20000, quick=4000)
width_rows = [
    (
        "subspace sphere, k=16",
        G.gaussian_width(D_w, support=G.support_subspace_sphere(16), n=n_w),
        G.expected_norm(16),
    ),
    ("cap, α=0.3", G.gaussian_width(D_w, support=G.support_cap(0.3), n=n_w), G.width_cap(D_w, 0.3)),
    ("cap, α=1.0", G.gaussian_width(D_w, support=G.support_cap(1.0), n=n_w), G.width_cap(D_w, 1.0)),
    (
        "l1 ball (oracle)",
        G.gaussian_width(D_w, oracle=G.oracle_l1_ball, n=n_w),
        G.width_l1_ball(D_w),
    ),
]
for name, est, exact in width_rows:
    print(f"{name:22s} Monte Carlo {est}   closed form {exact:.3f}")
fig = demo.fig_estimates(
    [(n, e.mean, e.hi - e.mean, x) for n, e, x in width_rows],
    f"Gaussian widths in D = {D_w}: Monte Carlo vs closed form",
    "w(S)",
)
plotting.save(fig, "04_widths_mc")
plt.show()

# %%
for name, est, exact in width_rows:
    assert est.agrees_with(exact), (
        f"{name}: Monte Carlo {est} disagrees with closed form {exact:.3f}"
    )

# %% [markdown]
# ## 2. Gordon's escape theorem
#
# Let $\lambda_k = \mathbb{E}\|g_k\|$ for $g_k \sim N(0, I_k)$, so $k/\sqrt{k+1} < \lambda_k < \sqrt k$.
#
# > **Theorem (Gordon 1988, "escape through a mesh"; constants as stated by Chandrasekaran, Recht,
# > Parrilo and Willsky 2012).** Let $S$ be a closed subset of the unit
# > sphere $S^{D-1}$ and let $A$ be a subspace of codimension $k$ (dimension $d = D - k$) drawn
# > uniformly at random. If $w(S) < \lambda_k$, then
# > $$ \Pr\{A \cap S = \emptyset\} \;\ge\; 1 - 3.5\, \exp\!\Big(-\frac{(\lambda_k - w(S))^2}{18}\Big). $$
#
# Since $\lambda_k \approx \sqrt k$: a random subspace *escapes* $S$ once its codimension $k$
# exceeds $w(S)^2$ by a margin. In three dimensions: a random plane through the origin against a cap.

# %%
fig = demo.fig_cap_and_plane()
plotting.save(fig, "04_cap_and_plane")
plt.show()

# %% [markdown]
# Now the real test in high dimension. Fix a cap $S$ of half-angle $\alpha$ in $\mathbb{R}^D$. A
# subspace meets the cap iff its orthonormal basis $P$ has $\|P^\top e\| \ge \cos\alpha$, and
# $\|P^\top e\|^2 \sim \mathrm{Beta}(d/2, (D-d)/2)$, so the miss probability is known exactly. We
# also measure it: the first $d$ columns of one Gaussian $D \times D$ matrix span a random
# $d$-dimensional subspace, so one matrix gives nested random subspaces of every dimension at once.

# %%
D_g, alpha_g = config.size(full=400, quick=300), 0.2
n_g = config.size(full=400, quick=200)
w_cap = G.width_cap(D_g, alpha_g)
hits = cache.cached(
    "ch04/gordon",
    lambda: G.nested_cap_hits(D_g, alpha_g, n=n_g, seed=0),
    D=D_g,
    alpha=alpha_g,
    n=n_g,
)
k = np.arange(D_g + 1)[::-1]  # codimension of the first d columns, d = 0..D
miss_mc = 1 - hits.mean(axis=0)
miss_exact = 1 - G.cap_hit_probability(D_g, np.arange(D_g + 1), alpha_g)
bound = G.gordon_miss_bound(k, w_cap)
fig, ax = plt.subplots()
ax.plot(k, miss_exact, label="exact (Beta law)")
ax.plot(k[::5], miss_mc[::5], "o", ms=4, label=f"measured, {n_g} nested random subspaces")
ax.plot(k, bound, label="Gordon's lower bound")
ax.axvline(w_cap**2, color="k", ls="--", label=f"k = w(S)² = {w_cap**2:.0f}")
k_informative = int(np.argmax(bound[::-1] > 0.9)) if (bound > 0.9).any() else D_g
ax.set_xlim(0, k_informative)  # up to where the bound reaches 0.9
ax.legend(loc="lower right")
plotting.label(
    ax,
    f"Escape through a mesh: cap of half-angle {alpha_g} in D = {D_g}",
    "codimension k = D − d",
    "P(subspace misses S)",
)
plotting.save(fig, "04_gordon")
plt.show()

# %%
assert np.all(miss_exact >= bound - 1e-12), "Gordon's bound is violated by the exact probability"
assert np.all(miss_mc + 4 * np.sqrt(miss_exact * (1 - miss_exact) / n_g) + 1e-9 >= bound), (
    "the measured miss probability falls below Gordon's bound"
)
k_half = k[np.argmin(np.abs(miss_exact - 0.5))]
assert abs(k_half - w_cap**2) < 2 * w_cap + 2, (
    f"the miss probability crosses 1/2 at k = {k_half}, far from w² = {w_cap**2:.0f}"
)
print(f"miss probability crosses 1/2 at k = {k_half}; w(S)^2 = {w_cap**2:.1f}")

# %% [markdown]
# The bound is *correct but conservative*: the measured miss probability jumps from 0 to 1 right at
# $k \approx w(S)^2$, while the bound (with its constants 3.5 and 18) only becomes informative at
# several times that codimension. The location, $k \approx w^2$, is the sharp part; the next section
# makes the width of the jump precise too.
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
    (
        "subspace",
        G.statistical_dimension(G.project_subspace(q_sub), D_s, n=n_s),
        D_s // 3,
        D_s // 3,
    ),
    ("orthant", G.statistical_dimension(G.project_orthant, D_s, n=n_s), D_s / 2, D_s / 2),
    ("second-order", G.statistical_dimension(G.project_soc, D_s, n=n_s), D_s / 2, D_s / 2),
    (
        f"PSD {n_psd}x{n_psd}",
        G.statistical_dimension(G.project_psd, G.psd_dim(n_psd), n=n_s),
        G.statdim_psd(n_psd),
        G.statdim_psd(n_psd),
    ),
    (
        f"l1 descent, s={s_l1}",
        G.statistical_dimension(G.project_l1_descent(x_sparse), D_s, n=n_s),
        l1_form.lower,
        l1_form.upper,
    ),
]
for name, est, lo, hi in statdim_rows:
    print(
        f"{name:20s} Monte Carlo {est}   closed form {lo:.2f}" + (f"..{hi:.2f}" if hi != lo else "")
    )
fig = demo.fig_estimates(
    [(n, e.mean, e.hi - e.mean, hi) for n, e, lo, hi in statdim_rows],
    "Statistical dimension: Monte Carlo vs closed form",
    "δ(C)",
)
plotting.save(fig, "04_statdim")
plt.show()

# %% [markdown]
# The $\ell_1$ row's closed form is the formula $D\psi(s/D)$ (the upper end); the truth lies within
# $2\sqrt{D/s}$ below it. **Check:** each Monte Carlo estimate agrees with its closed form (or
# interval) within its confidence interval (three standard errors).

# %%
for name, est, lo, hi in statdim_rows:
    assert est.agrees_with(lo, hi), f"{name}: Monte Carlo {est} vs closed form [{lo:.2f}, {hi:.2f}]"

# %% [markdown]
# **The approximate kinematic formula** (Amelunxen et al. 2014, Theorem I). Let $C, K$ be convex
# cones in $\mathbb{R}^D$, one not a subspace, and $Q$ a uniformly random rotation. For each
# $\eta \in (0,1)$ there is a constant $a_\eta$ (of order $\sqrt{\log(1/\eta)}$, given explicitly in
# the paper) such that
# $$ \delta(C) + \delta(K) \le D - a_\eta\sqrt D \;\Rightarrow\; \Pr\{C \cap QK \ne \{0\}\} \le \eta, \qquad
#    \delta(C) + \delta(K) \ge D + a_\eta\sqrt D \;\Rightarrow\; \Pr\{C \cap QK \ne \{0\}\} \ge 1-\eta. $$
# For $K$ a random $d$-dimensional subspace ($\delta = d$): the subspace meets $C$ when
# $d > D - \delta(C)$, and the transition is at most $O(\sqrt D)$ wide. The orthant has
# $\delta = D/2$, so the transition sits at $d = D/2$. We test intersection by a linear program,
# $\max \mathbf 1^\top P z$ s.t. $Pz \ge 0$, $\mathbf 1^\top Pz \le 1$ (optimum 1 iff the subspace
# meets the orthant), and compare with the exact answer from Wendel's theorem.

# %%
D_o = config.size(full=100, quick=40)
n_o = config.size(full=100, quick=30)
d_o = np.arange(D_o // 4, 3 * D_o // 4 + 1, config.size(full=2, quick=2))


def orthant_sweep():
    return np.array(
        [G.meets_orthant(G.random_orthonormal(D_o, int(d), n=n_o, seed=int(d))).mean() for d in d_o]
    )


p_orthant = cache.cached("ch04/orthant", orthant_sweep, D=D_o, n=n_o, d=d_o)
d_fine = np.arange(D_o + 1)
fig, ax = plt.subplots()
ax.axvspan(
    D_o / 2 - math.sqrt(D_o) / 2,
    D_o / 2 + math.sqrt(D_o) / 2,
    color="grey",
    alpha=0.2,
    label="D/2 ± √D/2",
)
ax.plot(d_fine, G.orthant_hit_probability(D_o, d_fine), label="exact (Wendel)")
se = np.sqrt(p_orthant * (1 - p_orthant) / n_o)
ax.errorbar(d_o, p_orthant, yerr=se, fmt="o", capsize=3, label=f"LP test, {n_o} subspaces per d")
ax.axvline(D_o - D_o / 2, color="k", ls="--", label="D − δ(orthant) = D/2")
ax.legend(loc="upper left")
plotting.label(
    ax,
    f"A random d-subspace meets the orthant of R^{D_o}",
    "subspace dimension d",
    "P(meets orthant)",
)
plotting.save(fig, "04_orthant")
plt.show()

# %%
exact_o = G.orthant_hit_probability(D_o, d_o)
assert np.all(np.abs(p_orthant - exact_o) <= 4 * np.sqrt(exact_o * (1 - exact_o) / n_o) + 0.05), (
    "the LP intersection test disagrees with Wendel's exact probability"
)
lo_o, hi_o = (
    G.crossing(d_fine, G.orthant_hit_probability(D_o, d_fine), 0.1),
    G.crossing(d_fine, G.orthant_hit_probability(D_o, d_fine), 0.9),
)
assert hi_o - lo_o < 2 * math.sqrt(D_o), f"transition 10%→90% spans {hi_o - lo_o:.1f} > 2√D"
print(
    f"10%→90% transition: d from {lo_o:.1f} to {hi_o:.1f} (width {hi_o - lo_o:.1f}, √D = {math.sqrt(D_o):.1f})"
)

# %% [markdown]
# ## 4. A phase transition people know: $\ell_1$ recovery
#
# Take an $s$-sparse $x_0 \in \mathbb{R}^D$, measure $b = A x_0$ with a Gaussian $A \in
# \mathbb{R}^{m \times D}$, and solve basis pursuit $\min \|x\|_1$ s.t. $Ax = b$ (a linear program).
# It recovers $x_0$ exactly iff the null space of $A$ — a random subspace of dimension $D - m$ —
# misses the descent cone $\mathcal D(\|\cdot\|_1, x_0)$. By the kinematic formula, recovery
# switches from failure to success at $m \approx \delta(\mathcal D)$ (Amelunxen et al. 2014,
# Theorem II).

# %%
D_l = config.size(full=100, quick=60)
n_l = config.size(full=50, quick=20)
sparsities = [D_l // 20, D_l // 10, D_l // 5]
m_grid = np.arange(2, config.size(full=75, quick=45), config.size(full=2, quick=3))


def l1_sweep():
    return {
        s: np.array(
            [G.l1_recovery(D_l, s, int(m), n=n_l, seed=1000 * s + int(m)).mean() for m in m_grid]
        )
        for s in sparsities
    }


p_l1 = cache.cached("ch04/l1_recovery", l1_sweep, D=D_l, n=n_l, s=sparsities, m=m_grid)
fig, ax = plt.subplots()
for i, s in enumerate(sparsities):
    ax.plot(m_grid, p_l1[s], "o-", color=f"C{i}", label=f"s = {s}")
    ax.axvline(G.statdim_l1(D_l, s).value, color=f"C{i}", ls="--")
ax.legend(title="dashed: δ of the ℓ1 cone", loc="lower right")
plotting.label(
    ax, f"ℓ1 recovery in D = {D_l}: success vs measurements", "measurements m", "P(exact recovery)"
)
plotting.save(fig, "04_l1_recovery")
plt.show()

# %%
for s in sparsities:
    m_half, delta = G.crossing(m_grid, p_l1[s], 0.5), G.statdim_l1(D_l, s).value
    print(f"s = {s:3d}: success crosses 1/2 at m = {m_half:5.1f}; δ = {delta:5.1f}")
    assert abs(m_half - delta) <= 5, (
        f"s={s}: the transition at m={m_half:.1f} is far from δ={delta:.1f}"
    )

# %% [markdown]
# A coarse phase diagram: success probability over (sparsity, measurements), with the curve
# $m = \delta(s)$ on top. Below the curve basis pursuit fails, above it succeeds.

# %%
s_pd = np.unique(np.linspace(1, D_l // 2, config.size(full=12, quick=6)).astype(int))
m_pd = np.unique(np.linspace(4, D_l - 4, config.size(full=16, quick=8)).astype(int))
n_pd = config.size(full=20, quick=6)


def phase_diagram():
    return np.array(
        [
            [
                G.l1_recovery(D_l, int(s), int(m), n=n_pd, seed=7 * int(s) + 31 * int(m)).mean()
                for s in s_pd
            ]
            for m in m_pd
        ]
    )


pd_grid = cache.cached("ch04/phase_diagram", phase_diagram, D=D_l, s=s_pd, m=m_pd, n=n_pd)
fig, ax = plt.subplots()
mesh = ax.pcolormesh(s_pd, m_pd, pd_grid, shading="nearest", cmap="viridis", vmin=0, vmax=1)
fig.colorbar(mesh, ax=ax, label="P(exact recovery)")
s_line = np.arange(1, D_l // 2 + 1)
ax.plot(s_line, [G.statdim_l1(D_l, int(s)).value for s in s_line], "w-", lw=3, label="m = δ(s)")
ax.legend(loc="lower right")
plotting.label(ax, f"ℓ1 recovery phase diagram, D = {D_l}", "sparsity s", "measurements m")
plotting.save(fig, "04_phase_diagram")
plt.show()

# %% [markdown]
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
# Geometrically the subspace succeeds iff it meets the cone of directions from $\theta_0$ into
# the ellipsoid $\{L \le \epsilon\}$; its intersection with the unit sphere is the sublevel set
# *projected onto the unit sphere around $\theta_0$*, $S(\epsilon, \theta_0)$. Gordon then predicts
# the threshold
# $$ d^* \approx D - w\big(S(\epsilon,\theta_0)\big)^2 . $$
# This is how Larsen, Fort, Becker and Ganguli (ICLR 2022) explain the threshold training
# dimension. Their abstract: via Gordon's escape theorem, "the training dimension plus the Gaussian
# width of the desired loss sub-level set, projected onto a unit sphere surrounding the
# initialization, must exceed the total number of parameters for the success probability to be
# large"; their introduction: the threshold training dimension "is equal to the dimension of the
# full parameter space minus the squared Gaussian width of the desired loss sublevel set projected
# onto the unit sphere around initialization". For a quadratic well they derive an analytic bound
# on the threshold in terms of the Hessian spectrum and the distance of the initialization from the
# minimum. We do not reproduce that bound here: we compute the width numerically (Monte Carlo over
# the exact support function of the cone) and the success probability exactly.
#
# The spectrum follows chapter 02: a few stiff directions (eigenvalue 1) and many flat ones.

# %%
D_q = config.size(full=200, quick=100)
n_q = config.size(full=400, quick=100)
n_qw = config.size(full=4000, quick=800)
lam = demo.well_spectrum(D_q, n_stiff=D_q // 10, flat=0.03)
r_main = cache.cached(
    "ch04/well_main",
    lambda: demo.well_threshold(lam, 1.0, 0.1, n=n_q, n_width=n_qw),
    lam=lam,
    loss0=1.0,
    eps=0.1,
    n=n_q,
    n_width=n_qw,
)
fig, ax = plt.subplots()
ax.plot(r_main["d"], r_main["p"], label="exact minimum in random subspaces")
ax.axvline(r_main["predicted"], color="C1", ls="--", label=f"D − w² = {r_main['predicted']:.1f}")
ax.axvspan(
    r_main["threshold"] - r_main["width"] / 2,
    r_main["threshold"] + r_main["width"] / 2,
    color="grey",
    alpha=0.2,
    label="measured transition (10–90 %)",
)
ax.legend(loc="lower right")
plotting.label(
    ax,
    f"Quadratic well, D = {D_q}: L(θ0) = 1, target ε = 0.1",
    "training dimension d",
    "P(min over subspace ≤ ε)",
)
plotting.save(fig, "04_well_curve")
plt.show()
print(
    f"exact threshold (P = 1/2): {r_main['threshold']:.1f};  D - w^2 = {r_main['predicted']:.1f}; "
    f"transition width {r_main['width']:.1f}"
)

# %%
gap = abs(r_main["threshold"] - r_main["predicted"])
assert gap <= r_main["width"], (
    f"the exact threshold {r_main['threshold']:.1f} and the width prediction {r_main['predicted']:.1f}"
    f" differ by more than the transition width {r_main['width']:.1f}"
)

# %% [markdown]
# **How the threshold moves.** Lower targets $\epsilon$ shrink the sublevel set, so its projected
# width falls and the threshold rises; a start closer to the minimum (lower $L(\theta_0)$) makes the
# set look bigger from $\theta_0$, so the threshold falls — the two trends Larsen et al. report for
# real networks. Flatter spectra (more flat directions, lower flat curvature) make the sublevel set
# longer in many directions and lower the threshold.

# %%
eps_grid = np.geomspace(0.01, 0.5, config.size(full=8, quick=5))
starts = [1.0, 2.0]
spectra = {
    "10% stiff, flat 0.03": lam,
    "10% stiff, flat 0.003": demo.well_spectrum(D_q, D_q // 10, 0.003),
}


def threshold_sweep():
    out = {}
    for name, spec in spectra.items():
        for loss0 in starts:
            out[(name, loss0)] = [
                demo.well_threshold(spec, loss0, e, n=n_q // 2, n_width=n_qw // 4) for e in eps_grid
            ]
    return out


sweep = cache.cached(
    "ch04/well_sweep",
    threshold_sweep,
    spectra=spectra,
    starts=starts,
    eps=eps_grid,
    n=n_q,
    n_width=n_qw,
)
fig, ax = plt.subplots(figsize=(12, 5))
for i, ((name, loss0), rows) in enumerate(sweep.items()):
    exact = [r["threshold"] for r in rows]
    ax.plot(
        eps_grid, [r["predicted"] for r in rows], "-", color=f"C{i}", label=f"{name}, L(θ0)={loss0}"
    )
    ax.errorbar(
        eps_grid, exact, yerr=[r["width"] / 2 for r in rows], fmt="o", color=f"C{i}", capsize=3
    )
ax.set_xscale("log")
ax.legend(
    loc="upper left",
    bbox_to_anchor=(1.01, 1),
    fontsize=10,
    title="line: D − w²; dots: exact (bar: ½ transition width)",
    title_fontsize=10,
)
plotting.label(
    ax,
    "Threshold training dimension of a quadratic well",
    "target loss ε",
    "threshold dimension d*",
)
plotting.save(fig, "04_well_thresholds")
plt.show()

# %%
for key, rows in sweep.items():
    for e, r in zip(eps_grid, rows, strict=True):
        assert abs(r["threshold"] - r["predicted"]) <= max(r["width"], 2.0), (
            f"{key}, eps={e:.3f}: exact {r['threshold']:.1f} vs D - w^2 = {r['predicted']:.1f}"
        )
    thresholds = [r["threshold"] for r in rows]
    assert thresholds[0] >= thresholds[-1], f"{key}: threshold should fall as eps grows"

# %% [markdown]
# ## 6. Explore: move the transition
#
# Choose the number of stiff directions, the curvature of the flat ones, the target $\epsilon$, the
# starting loss — and, on the right, the sparsity of an $\ell_1$ recovery problem — and watch the
# threshold move. (Headless runs draw the default setting once.)

# %%
demo.threshold_demo(
    D=config.size(full=200, quick=60),
    n=config.size(full=200, quick=40),
    n_width=config.size(full=1000, quick=200),
)

# %% [markdown]
# ## 7. Exercises
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


for k_ex in (1, 4, 25):
    mc = G.gaussian_width(50, support=G.support_subspace_sphere(k_ex), n=4000, seed=k_ex)
    print(
        f"k = {k_ex:2d}: by hand {subspace_width(k_ex):.3f}, Monte Carlo {mc}, sqrt(k) = {math.sqrt(k_ex):.3f}"
    )
    assert mc.agrees_with(subspace_width(k_ex)), "the hand formula disagrees with Monte Carlo"

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


est_o = G.statistical_dimension(G.project_orthant, 30, n=4000, seed=5)
print(f"formula {orthant_statdim(30)}, Monte Carlo {est_o}")
assert est_o.agrees_with(orthant_statdim(30)), "the orthant formula disagrees with Monte Carlo"

# %% [markdown]
# ## What to remember
#
# * The **Gaussian width** $w(S) = \mathbb{E}\sup_{x\in S}\langle g,x\rangle$ measures how big a set
#   looks to a random subspace; $w^2$ acts as its dimension (a $k$-dimensional sphere has $w^2\approx k$).
# * **Gordon's escape theorem:** a random subspace of codimension $k$ misses $S \subset S^{D-1}$ with
#   probability at least $1 - 3.5e^{-(\lambda_k - w)^2/18}$; the constants are loose, but the
#   location $k \approx w(S)^2$ of the jump is sharp.
# * For convex cones the **statistical dimension** $\delta = \mathbb{E}\|\Pi_C g\|^2$ (≈ $w^2$) makes
#   this exact: a random $d$-subspace meets $C$ when $d > D - \delta(C)$, with a transition of width
#   $O(\sqrt D)$ (approximate kinematic formula). Orthant, second-order and PSD cones: $\delta = D/2$.
# * **ℓ1 recovery** from $m$ Gaussian measurements succeeds when $m > \delta$ of the ℓ1 descent cone,
#   $\approx D\psi(s/D)$ — the compressed-sensing phase transition is this same geometry.
# * **Training in a random subspace** of a quadratic well succeeds when $d > D - w^2$, with
#   $w$ the width of the sublevel set projected onto the sphere around $\theta_0$: smaller targets
#   raise the threshold, better starts and flatter landscapes lower it. Chapter 05 measures the same
#   transition on real networks.
#
# ## Sources
#
# * Y. Gordon. On Milman's inequality and random subspaces which escape through a mesh in
#   $\mathbb{R}^n$. *Geometric Aspects of Functional Analysis*, LNM 1317, 1988.
# * D. Amelunxen, M. Lotz, M. B. McCoy, J. A. Tropp. Living on the edge: phase transitions in
#   convex programs with random data. *Information and Inference*, 2014.
# * B. W. Larsen, S. Fort, N. Becker, S. Ganguli. How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective. *ICLR* 2022.
# * V. Chandrasekaran, B. Recht, P. A. Parrilo, A. S. Willsky. The convex geometry of linear
#   inverse problems. *Foundations of Computational Mathematics*, 2012 (Gordon's theorem in the
#   form used here).
# * J. G. Wendel. A problem in geometric probability. *Math. Scand.* 11, 1962 (the orthant formula).

