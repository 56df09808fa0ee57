# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # A1 · Leverage-score sampling: how many rows does a least-squares problem need?
#
# **The question.** A least-squares problem $\min_x \|Ax - b\|$ with $A \in \mathbb{R}^{m\times n}$
# and $m \gg n$ has only $n$ unknowns: $n$ degrees of freedom, pinned down by $m$ equations. Most
# of those equations are redundant. Can we solve the problem from a **small sample of its rows**,
# and which rows must the sample contain? The answer is the rows' **leverage scores**
# (Drineas, Mahoney and Muthukrishnan 2006). The idea pays off where $m$ is astronomically large:
# inside CP tensor decomposition, whose least-squares problems have one row per entry of a tensor
# slice and a Khatri–Rao structure that lets us sample them without ever writing them down
# (Larsen and Kolda 2022).
#
# **Where it fits.** The course asks how many degrees of freedom a network needs; this appendix
# asks the same question of the data. A least-squares problem has exactly $n$ degrees of freedom,
# and the answer here is that a multiple of $n$ well-chosen equations pins them down, however
# many there are. Chapter 08 chose training examples by a heuristic score (EL2N); for least squares
# the right score is known, and the guarantee is a theorem.
#
# **Learning goals.** After this chapter you can
# 1. compute leverage scores from a thin QR factorisation and say what they measure;
# 2. solve least squares from rows drawn by leverage score with importance weights, and show why
#    uniform sampling fails on a matrix with a few high-leverage rows;
# 3. bound the leverage scores of a Khatri–Rao product by its factors' scores, check the bound
#    exactly, and sample from it without forming the product;
# 4. run CP-ALS with leverage-sampled least squares and compare its fit and time with ordinary
#    CP-ALS, ours and tensorly's.
#
# **Prerequisites.** Linear algebra: QR factorisation, orthogonal projections, the normal
# equations of least squares. No earlier chapter is needed; chapter 03's theme (how few
# directions a problem really uses) returns here for rows instead of parameters.
#
# **Time:** quick ≈ 30 s, full ≈ 3.5 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread on a shared 2-core machine: 3.4 min of kernel CPU, 10.4 min
# wall at load 6–9, peak 1.1 GB; 14 s of CPU from the shipped results)

# %% [markdown] slideshow={"slide_type": "notes"}
# An optional 30-minute appendix lecture. The link to the course: degrees of freedom again,
# here of a least-squares problem ($n$ unknowns, carried unequally by the rows). Show the
# leverage scores first, then why uniform sampling fails when a few rows are essential.

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
from ipywidgets import IntSlider

from dofcourse import config, exercises, plotting
from dofcourse import sketching as S
from dofcourse.sketching import figures

plotting.use_style()
print("mode:", config.mode())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Leverage scores
#
# Let $Q \in \mathbb{R}^{m\times r}$ be an orthonormal basis of the column space of $A$ (from a
# thin QR factorisation, $r = \operatorname{rank} A$). The **leverage score** of row $i$ is
# $$ \ell_i = \|Q_{i,:}\|^2 = (AA^+)_{ii}, $$
# the $i$-th diagonal entry of the projection onto $\operatorname{range}(A)$: how much the fitted
# value at row $i$ depends on $b_i$ itself. Every $\ell_i \in [0, 1]$, and they sum to $r$. A row
# with $\ell_i \approx 1$ is the only one that sees some direction of $x$: leave it out and that
# direction is undetermined.
#
# Our test matrix has $m$ Gaussian rows, except that the last few columns are seen (almost) only
# by a few "spike" rows, one each, placed at random.

# %%
M, N_COLS, SPIKES = config.size(full=20_000, quick=5_000), 20, 5
A, b = S.spiked_system(M, N_COLS, SPIKES, noise=0.1, seed=0)
lev = S.leverage_scores(A)
print(f"A is {M} × {N_COLS}; leverage scores sum to {lev.sum():.6f}; "
      f"the {SPIKES} largest: {np.round(np.sort(lev)[-SPIKES:], 4)}; median {np.median(lev):.2e}")  # fmt: skip
fig = figures.fig_leverage(A)
plotting.save(fig, "A1_leverage_scores")
plt.show()

# %%
assert abs(lev.sum() - np.linalg.matrix_rank(A)) < 1e-8, "scores must sum to the rank"
assert np.sum(lev > 0.9) == SPIKES and np.sort(lev)[-SPIKES - 1] < 0.05
print(f"check passed: scores sum to rank {N_COLS}; exactly {SPIKES} rows have a score above 0.9")


# %% [markdown]
# ### Exercise 1: leverage scores from the SVD
#
# Any orthonormal basis of $\operatorname{range}(A)$ gives the same scores. Complete
# `leverage_svd(A)` using the left singular vectors of a thin SVD (`np.linalg.svd(A,
# full_matrices=False)`); the check compares it with the package's QR version.

# %%
def leverage_svd(A: np.ndarray) -> np.ndarray:
    """Leverage scores (m,) of a full-rank A (m, n) from its thin SVD."""
    # BEGIN SOLUTION
    U = np.linalg.svd(A, full_matrices=False)[0]
    return np.sum(U**2, axis=1)
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    np.testing.assert_allclose(leverage_svd(A), lev, atol=1e-10)
    print("your SVD scores agree with the QR scores to 1e-10")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Least squares from sampled rows
#
# Draw $s$ row indices $i_1, \dots, i_s$ independently with probabilities $p_i$, and solve the
# small weighted problem
# $$ \min_x \sum_{t=1}^{s} w_t^2\,(A_{i_t}x - b_{i_t})^2, \qquad w_t = \frac{1}{\sqrt{s\,p_{i_t}}} . $$
# The weights make the sketch unbiased: $\mathbb{E}[A^\top S^\top SA] = A^\top A$. How many rows
# are enough? In the form Larsen and Kolda (2022) use (after Drineas et al. 2006, 2011): if
# $p_i \ge \beta\,\ell_i / n$ for every row, for some $\beta \in (0, 1]$, then
# $$ s = \frac{n}{\beta}\,\max\!\Big(C \log\frac{n}{\delta},\ \frac{1}{\delta\varepsilon}\Big) $$
# rows give, with probability at least $1 - \delta$, a residual within a factor $1 + \varepsilon$
# of the optimum ($C$ is a constant). Leverage sampling, $p_i = \ell_i / n$, has $\beta = 1$: the
# number of rows grows with the $n$ unknowns, not with the $m$ equations. Uniform sampling,
# $p_i = 1/m$, qualifies only with $\beta = 1/\mu$, where $\mu = m \max_i \ell_i / n$ is the
# *coherence*; here $\max_i \ell_i \approx 1$, so $\mu \approx m/n$ (printed below) and the
# bound asks for more rows than $A$ has.

# %%
rows, weights = S.draw_rows(S.probabilities(A, "leverage"), 200, sample_seed=0)
x_hat = S.sampled_lstsq(A, b, rows, weights)
x_star = np.linalg.lstsq(A, b, rcond=None)[0]
print(f"coherence mu = m max(l) / n = {M * lev.max() / N_COLS:.0f}; 200 leverage-sampled rows: "
      f"residual {S.residual(A, b, x_hat):.3f} vs optimal {S.residual(A, b, x_star):.3f} from "
      f"all {M} rows")  # fmt: skip


# %% [markdown] slideshow={"slide_type": "slide"}
# **Think!** How many rows does each kind of sampling need to get within 10 % of the optimal
# residual on this matrix: tens, hundreds, thousands, more than $m$?
#
# ### Exercise 2 (predict, then measure): when does uniform sampling see every spike?
#
# Uniform sampling can only fit a spike row's direction if it draws that row. Predict the number
# of rows $s$, drawn uniformly with replacement from $m$, at which **all** `SPIKES` spike rows are
# drawn with probability 0.9. (Hint: each is missed with probability $(1 - 1/m)^s \approx
# e^{-s/m}$; treat the misses as independent.) The check draws 4000 samples of that size.

# %%
def predict_rows_for_all_spikes(m: int, spikes: int, prob: float = 0.9) -> float:
    """s such that s uniform draws (with replacement) from m rows hit all spikes w.p. prob."""
    # BEGIN SOLUTION
    # (1 - e^{-s/m})^spikes = prob  =>  s = -m log(1 - prob^(1/spikes))
    return -m * np.log(1 - prob ** (1 / spikes))
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    s_guess = int(round(predict_rows_for_all_spikes(M, SPIKES)))
    rng = np.random.default_rng(0)  # each draw: how many of the s rows fall on each spike
    counts = rng.multinomial(s_guess, [1 / M] * SPIKES + [1 - SPIKES / M], size=4000)
    hit_all = np.mean(np.all(counts[:, :SPIKES] > 0, axis=1))
    print(f"you predicted s = {s_guess} ({s_guess / M:.1f} m); with it all {SPIKES} spikes are "
          f"drawn in {hit_all:.1%} of 4000 tries")  # fmt: skip
    assert 0.87 <= hit_all <= 0.93, "not quite: solve (1 - exp(-s/m))^spikes = 0.9 for s"

# %% [markdown]
# So uniform sampling needs *more rows than the matrix has* before it can be trusted here. Now the
# residual itself, for both kinds of sampling, over many seeds:

# %%
SIZES = config.size(full=[25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600],
                    quick=[25, 50, 100, 200, 400, 800, 1600, 3200])  # fmt: skip
SAMPLE_SEEDS = list(range(config.size(full=100, quick=20)))
table = S.residual_sweep(A, b, SIZES, SAMPLE_SEEDS)
fig = figures.fig_residuals(table, N_COLS)
plotting.save(fig, "A1_sampled_least_squares")
plt.show()
need = {kind: S.rows_needed(table, kind, within=0.1, share=0.9) for kind in S.sampled_ls.KINDS}
print("rows needed for 90 % of seeds within 10 % of optimal:",
      {k: (f"{v:.0f}" if np.isfinite(v) else f"more than {SIZES[-1]}") for k, v in need.items()})  # fmt: skip

# %% [markdown]
# Leverage sampling reaches the optimum within 10 % with a few hundred rows, about ten times the
# number of unknowns, and keeps improving as $s$ grows. Uniform sampling misses a spike row in
# almost every sample of these sizes; the missed direction is then fitted only from the bulk rows'
# tiny entries in that column, which amplifies their noise, and the residual stays several to tens
# of times too large until $s$ is a few times $m$ (exercise 2).

# %%
assert need["leverage"] <= 20 * N_COLS, f"leverage sampling needed {need['leverage']} rows"
assert need["uniform"] >= 8 * need["leverage"], need
enough = min(s for s in SIZES if s >= need["leverage"])  # where leverage sampling succeeds
there = table[(table.kind == "uniform") & (table.n_samples == enough)]
assert there.ratio.median() > 2, "with as many rows, uniform sampling should be far off"
print(f"check passed: leverage sampling is within 10 % of optimal (90 % of {len(SAMPLE_SEEDS)} "
      f"seeds) from {need['leverage']:.0f} rows; with {enough} rows uniform sampling's median "
      f"residual is ×{there.ratio.median():.1f}, and it needs "
      + (f"{need['uniform']:.0f} rows" if np.isfinite(need["uniform"]) else f"more than {SIZES[-1]}"))  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ### 2b. Larsen and Kolda's practical sampling: keep the heavy rows, combine repeats
#
# Look at what leverage sampling spends its budget on here. Each spike row has probability
# $p_i = \ell_i/n \approx 1/n$, so a sample of $s$ rows draws each spike about $s/n$ times: the
# spikes together take a share `SPIKES`$/n$ of all draws (a quarter here) for a handful of rows,
# and the copies add nothing that a single, heavier copy would not. And at small $s$ a spike is still missed now and then, with the cost seen above.
# Larsen and Kolda (2022) make two changes, the practical part of their paper's title:
#
# * **combine repeated samples**: a row drawn $c$ times with weight $w$ is the same equation as
#   that row once with weight $\sqrt{c}\,w$; same solution, fewer rows to solve with;
# * **include the high-leverage rows deterministically**: every row with $p_i \ge \tau$ (here
#   $\tau = 1/s$, the rows plain sampling expects to draw at least once) is taken once with
#   weight $1$, and the other $s - |D|$ rows are drawn from the rest, with probabilities
#   renormalised to $q_i = p_i/(1 - p_D)$ and weights $1/\sqrt{(s - |D|)\,q_i}$. The sketched
#   Gram matrix stays unbiased, and no spike can be missed.
#
# First the exact part: combining the repeats of the 200-row sample above changes nothing but its
# size.

# %%
rows_c, weights_c = S.combine_repeats(rows, weights)
x_comb = S.sampled_lstsq(A, b, rows_c, weights_c)
assert len(rows_c) < len(rows) and np.allclose(x_comb, x_hat, rtol=1e-10, atol=1e-12)
print(f"check passed: the 200 draws hold {len(rows_c)} distinct rows; solved with those alone, "
      f"the solution differs by {np.abs(x_comb - x_hat).max():.1e}")  # fmt: skip

# %% [markdown]
# **Think!** The hybrid sample never misses a spike and spends its draws on new rows. Where will
# it beat plain leverage sampling by most: at small $s$, at large $s$, or by the same factor
# everywhere?

# %%
fig = figures.fig_hybrid(table, N_COLS)
plotting.save(fig, "A1_hybrid_sampling")
plt.show()
need["hybrid"] = S.rows_needed(table, "hybrid", within=0.1, share=0.9)
excess = table.assign(excess=table.ratio - 1).groupby(["kind", "n_samples"]).excess
med, q90, worst = excess.median().unstack(0), excess.quantile(0.9).unstack(0), excess.max().unstack(0)
small = min(s for s in SIZES if s >= 2 * N_COLS)  # the first size with twice as many rows as n
print(f"rows needed for 90 % of seeds within 10 %: leverage {need['leverage']:.0f}, hybrid "
      f"{need['hybrid']:.0f}; excess residual hybrid / leverage (median) at each s: "
      f"{np.round((med.hybrid / med.leverage).to_numpy(), 2)}")  # fmt: skip

# %% [markdown]
# At small $s$ the difference is all-or-nothing: plain leverage sampling misses a spike in a good
# share of the samples (its 10–90 % band reaches far up), the hybrid sample never does. At large
# $s$ every spike is drawn either way, and the hybrid sample still wins by a steady margin: its
# draws go to new bulk rows instead of copies of the spikes (right panel), so its excess residual
# is smaller at every $s$. The right panel also shows what combining repeats saves: plain
# leverage sampling solves with fewer distinct rows than it drew.

# %%
assert np.all(med.hybrid < med.leverage), "hybrid sampling should beat leverage sampling at every s"
assert worst.hybrid[small] < 1.0, f"hybrid: a seed is ×{1 + worst.hybrid[small]:.1f} at s = {small}"
assert q90.leverage[small] > 10, "at s = 2n plain leverage sampling should often miss a spike"
print(f"check passed over {len(SAMPLE_SEEDS)} seeds: the hybrid's median excess residual is below "
      f"plain leverage sampling's at every s; at s = {small} its worst seed is "
      f"×{1 + worst.hybrid[small]:.2f} the optimum, while one in ten leverage samples is "
      f"×{1 + q90.leverage[small]:.0f} or worse")  # fmt: skip


# %% [markdown]
# Explore: which rows does each scheme draw, and what does it cost to miss one? The rings mark
# the spike rows; an empty ring is one the sample missed.

# %%
def draw_samples(log2_rows: int) -> plt.Figure:
    return figures.fig_samples(A, b, 2**log2_rows, sample_seed=1)


plotting.explore(draw_samples, name="A1_samples_explorer",
                 log2_rows=IntSlider(value=7, min=5, max=12, description="log2 s"))  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Khatri–Rao products: leverage without the matrix
#
# CP decomposition (section 4) solves least-squares problems whose matrix is a **Khatri–Rao
# product** $Z = A \odot B$, the column-wise Kronecker product: row $(j, k)$ of $Z$ is
# $A_{j,:} * B_{k,:}$ (entrywise), so $Z$ has $J\cdot K$ rows, one per fibre of the tensor.
# Computing its leverage scores would need $Z$ itself. But $\operatorname{range}(A\odot B)
# \subseteq \operatorname{range}(A \otimes B)$, the Kronecker product's scores are the products of
# the factors' scores, and a smaller subspace has smaller scores, so
# $$ \ell_{(j,k)}(A \odot B) \le \ell_j(A)\,\ell_k(B) $$
# (Cheng et al. 2016; Larsen and Kolda 2022). The bound sums to $R^2$ instead of $R$: sampling from
# it wastes up to a factor $R$ of samples, but it can be sampled one factor at a time, from
# vectors of length $J$ and $K$. First an exact check on a small case.
#
# **Think!** The bound sums to $R^2$, the true scores to $R$. Does sampling from the bound then
# give some rows *too small* a probability (a wrong answer), or only too large ones (wasted
# draws)?

# %%
R_KR = 4
rng = np.random.default_rng(3)
A_small, B_small = rng.standard_normal((30, R_KR)), rng.standard_normal((25, R_KR))
exact = S.leverage_scores(S.khatri_rao([A_small, B_small]))
bound = S.kr_leverage_bound([A_small, B_small])
fig = figures.fig_kr_bound(exact, bound, R_KR)
plotting.save(fig, "A1_khatri_rao_bound")
plt.show()

# %%
assert np.all(exact <= bound + 1e-12), "the product of the factors' scores must bound every row"
assert abs(exact.sum() - R_KR) < 1e-9 and abs(bound.sum() - R_KR**2) < 1e-9
idx, w = S.sample_kr_rows([A_small, B_small], 200_000, sample_seed=0)
freq = np.bincount(np.ravel_multi_index(idx.T, (30, 25)), minlength=750) / len(idx)
assert np.abs(freq - bound / R_KR**2).max() < 0.002, "samples must follow the product distribution"
print(f"check passed on all {len(exact)} rows: exact ≤ bound (sums {exact.sum():.2f} vs "
      f"{bound.sum():.2f}); 200 000 rows drawn factor by factor follow bound / R² to "
      f"{np.abs(freq - bound / R_KR**2).max():.4f}")  # fmt: skip


# %% [markdown]
# Every point lies on or below the diagonal. Sampling with $p = \text{bound}/R^2$ gives each row
# at least $1/R$ of the probability $\ell/R$ that exact leverage sampling would, and the guarantee
# of leverage sampling survives such an under-estimate at the cost of $R$ times more rows
# (Drineas et al. allow probabilities $p_i \ge \beta\,\ell_i/n$, here $\beta = 1/R$). Points far
# below the diagonal are the rows where draws are wasted: the price of never forming $Z$.
#
# ### Exercise 3: a sampled row without the product
#
# Complete `kr_row(factors, index)`: the row of $A_1 \odot A_2 \odot \dots$ at multi-index
# $(j_1, j_2, \dots)$, from the factors' rows alone. The check compares it with rows of the formed
# product (numbered in NumPy's C order: the first factor's index changes slowest).

# %%
def kr_row(factors: list[np.ndarray], index: tuple[int, ...]) -> np.ndarray:
    """Row `index` (one index per factor) of the Khatri–Rao product of `factors`, shape (R,)."""
    # BEGIN SOLUTION
    row = np.ones(factors[0].shape[1])
    for f, j in zip(factors, index):
        row = row * f[j]
    return row
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    C_small = rng.standard_normal((6, R_KR))
    Z = S.khatri_rao([A_small, B_small, C_small])
    for index in [(0, 0, 0), (29, 24, 5), (7, 3, 2)]:
        flat = np.ravel_multi_index(index, (30, 25, 6))
        np.testing.assert_allclose(kr_row([A_small, B_small, C_small], index), Z[flat])
    print(
        f"your rows match; the formed product has {Z.shape[0]:,} rows, a row needs 3 × {R_KR} numbers"
    )

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. CP decomposition with sampled least squares
#
# A rank-$R$ CP model writes a tensor $X \in \mathbb{R}^{I\times J\times K}$ as
# $\sum_{r=1}^R a_r \circ b_r \circ c_r$. Alternating least squares (ALS) updates one factor at a
# time: with $B$ and $C$ fixed, $A$ solves the least-squares problem
# $$ \min_{A} \big\| (B \odot C)\,A^\top - X_{(1)}^\top \big\| , $$
# where $X_{(1)}$ ($I \times JK$) is $X$ unfolded along its first mode: $JK$ rows, $R$ columns,
# $I$ right-hand sides. Exact ALS touches every entry of $X$ in each update. The sampled version
# (CP-ARLS-LEV, Larsen and Kolda 2022) draws $s$ rows $(j, k)$ from the product of $B$'s and $C$'s
# leverage scores and reads only the $s$ fibres $X_{:,j,k}$: its cost per update does not grow
# with the number of rows $JK$, only with $s$ and the lengths of the factors. For an $N$-way tensor the
# product bound has $\beta = 1/R^{N-2}$ (section 3), so the bound of section 2 with $n = R$ asks
# for $s = R^{N-1} \max(C\log(R/\delta), 1/(\delta\varepsilon))$ rows (Larsen and Kolda 2022):
# exponential in $N$, but independent of the size of the tensor.
#
# We decompose a synthetic rank-5 tensor with 10 % noise (so the best fit is about $0.9$) from
# the same random starts with our exact ALS, our sampled ALS and tensorly's `parafac` (Kossaifi
# et al. 2019), the same number of sweeps each, and time them (CPU time of the sweeps; the fits
# along the way are computed outside the timing).

# %%
SHAPE = config.size(full=(300, 300, 300), quick=(180, 180, 180))
RANK, N_ITER = 5, config.size(full=40, quick=25)
S_ROWS = config.size(full=1500, quick=600)
INIT_SEEDS = list(range(config.size(full=5, quick=3)))
if not S.have_tensorly():
    print("tensorly is not installed (pip install tensorly): the library column is skipped")
cp = S.compare_cp(SHAPE, RANK, 0.1, N_ITER, S_ROWS, INIT_SEEDS, library=S.have_tensorly())
summary = cp["table"].groupby("method", sort=False).agg(
    best_fit=("fit", "max"), median_fit=("fit", "median"),
    poor_starts=("fit", lambda f: int((f < 0.8).sum())), cpu_s=("cpu_seconds", "median"),
    wall_s=("seconds", "median"))  # fmt: skip
print(summary.to_string(float_format="{:.4f}".format))
fig = figures.fig_cp(cp, SHAPE)
plotting.save(fig, "A1_cp_als")
plt.show()

# %% [markdown]
# Our exact ALS and tensorly's reach the same fit from the same start, in a similar time. The
# sampled ALS reads $s = $ `S_ROWS` fibres per update instead of all $J K$ of them; for the same
# number of sweeps it takes several times less CPU time here, and the gap grows with the tensor
# (`benchmarks/bench_sketching.py` measures larger ones). On this well-conditioned tensor exact
# ALS often converges within a few sweeps; with a stopping rule it would stop early too, so the
# fair comparison is the cost per sweep, which the bars show.
#
# The sampled fit levels off a little below the exact one: each update solves a slightly
# different, random problem, so the factors jitter around the optimum instead of settling on it.
# And some starts end at a poor solution (the table's `poor_starts` column counts them; their fit
# is far below the plot): fitting a CP model is not a convex problem. The usual remedy is
# several random starts, keeping the best, so the check compares the best fit over the starts,
# and the median cost.

# %%
table_cp = cp["table"]
by = {m: g.set_index("init_seed") for m, g in table_cp.groupby("method")}
sampled_name = f"sampled ALS (ours, s={S_ROWS})"
exact_fit, sampled_fit = by["ALS (ours)"].fit.max(), by[sampled_name].fit.max()
speedup = by["ALS (ours)"].cpu_seconds.median() / by[sampled_name].cpu_seconds.median()
assert exact_fit > 0.89, f"exact ALS should reach the noise level (fit 0.9), got {exact_fit:.4f}"
assert sampled_fit >= exact_fit - 0.01, f"sampled fit {sampled_fit:.4f} vs exact {exact_fit:.4f}"
assert speedup >= 2, f"sampled ALS should be at least twice as fast, was ×{speedup:.1f}"
if "tensorly parafac" in by:
    diff = (by["ALS (ours)"].fit - by["tensorly parafac"].fit).abs().max()
    assert diff < 1e-6, f"our exact ALS and tensorly's must agree step for step, differ by {diff}"
    pace = by["ALS (ours)"].cpu_seconds.median() / by["tensorly parafac"].cpu_seconds.median()
    assert 1 / 3 < pace < 3, f"ours takes ×{pace:.2f} tensorly's CPU time: not 'a similar time'"
print(f"check passed on {len(INIT_SEEDS)} starts: best sampled ALS fit {sampled_fit:.4f} vs exact "
      f"{exact_fit:.4f} (margin 0.01), {speedup:.1f}× less CPU time (median)"
      + (f"; ours and tensorly's agree to {diff:.1e}, ours in ×{pace:.2f} its CPU time"
         if "tensorly parafac" in by else ""))  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
# - A least-squares problem with $n$ unknowns has $n$ degrees of freedom, and its rows carry them
#   unequally: the leverage score $\ell_i = (AA^+)_{ii}$ says how much. They sum to the rank.
# - Sampling rows with probability $\ell_i/n$ and weights $1/\sqrt{s p_i}$ solves the problem to
#   within $1+\varepsilon$ from $n \max(C\log(n/\delta), 1/(\delta\varepsilon))$ rows, a number
#   set by the $n$ unknowns; uniform sampling needs the coherence $\mu$ times as many, and fails
#   outright when a few rows are essential.
# - Larsen and Kolda's practical sampling takes the rows of highest probability deterministically
#   and combines repeated draws: the same unbiased sketch, no essential row ever missed, and fewer
#   rows to solve with.
# - For Khatri–Rao products (CP-ALS, and any Kronecker-structured problem) the product of the
#   factors' scores bounds the true scores and can be sampled factor by factor, without forming
#   the matrix: a cost that does not grow with the number of rows.
# - Sampled CP-ALS trades a small loss of fit for a large saving in time; check both against a
#   well-kept library on the same problem.
#
# ## Sources
# - P. Drineas, M. W. Mahoney, S. Muthukrishnan. Sampling algorithms for $\ell_2$ regression and
#   applications. SODA 2006.
# - P. Drineas, M. W. Mahoney, S. Muthukrishnan, T. Sarlós. Faster least squares approximation.
#   Numerische Mathematik 2011.
# - M. W. Mahoney. Randomized algorithms for matrices and data. Foundations and Trends in Machine
#   Learning 2011.
# - D. Cheng, R. Peng, Y. Liu, I. Perros. SPALS: fast alternating least squares via implicit
#   leverage scores sampling. NeurIPS 2016.
# - B. W. Larsen, T. G. Kolda. Practical leverage-based sampling for low-rank tensor
#   decomposition. SIAM J. Matrix Anal. Appl. 2022.
# - T. G. Kolda, B. W. Bader. Tensor decompositions and applications. SIAM Review 2009.
# - J. Kossaifi, Y. Panagakis, A. Anandkumar, M. Pantic. TensorLy: tensor learning in Python. JMLR
#   2019.
