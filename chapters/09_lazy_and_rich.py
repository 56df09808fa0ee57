# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 09 · Lazy and rich: the scale of the initialisation decides what training finds
#
# **The question.** An over-parameterised model has many ways to fit its training data exactly:
# with $D$ parameters and $n < D$ examples, the zero-loss set is a whole manifold. Gradient
# descent picks *one* point on it, and which one is set by something that looks harmless: the
# **scale of the initialisation**. Started large, the weights barely move and the model behaves
# like a kernel method with a fixed kernel (the *lazy* regime). Started small, the weights must
# travel far, the kernel itself changes, and the solution has a different character (the *rich*
# regime). This chapter measures both, first in a model small enough to solve on paper, then in a
# real network on real data.
#
# **Where it fits.** The course asks how many degrees of freedom a network needs to train, and
# chapters 03–06 count them as the dimension of the subspace the weights move in. This chapter
# adds *how far* they move. A lazy network never leaves a small neighbourhood of its start, where
# it is a linear model in its $D$ weights whose answer lies in the $n$-dimensional span of the
# data; a rich one travels far and, here, finds an answer that uses only $k$ coordinates. Same
# $D$, same data, a different solution.
#
# **Learning goals.** After this chapter you can
# 1. write the diagonal linear network $\beta = u \odot u - v \odot v$ and train it from any
#    initial scale $\alpha$;
# 2. show that its solution moves from the minimum-$\ell_2$-norm interpolant (large $\alpha$) to
#    the minimum-$\ell_1$-norm one (small $\alpha$), and check the closed-form bias $Q_\alpha$ of
#    Woodworth et al. (2020) against gradient descent;
# 3. measure how far the weights move, and how much the tangent kernel of a network changes, as
#    its output scale $\kappa$ goes from rich to lazy (Chizat, Oyallon and Bach 2019).
#
# **Prerequisites.** Chapter 04 (the $\ell_1$ phase transition: why the minimum-$\ell_1$
# interpolant recovers a sparse vector); chapter 00 (training with the course's engine); the
# gradient of a function of a vector.
#
# **Time:** quick ≈ 55 s, full ≈ 27 min (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread on a shared 2-core machine: 27 min of CPU, 65 min wall at
# load 5–9, peak 1.2 GB; 28 s of CPU from the shipped results)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 40-minute bonus lecture. The question: with more parameters than examples, which of the
# many zero-loss solutions does training find? Show the init scale $\alpha$ as the knob, then the
# two ends: the minimum-$\ell_2$ answer (lazy) and the sparse minimum-$\ell_1$ answer (rich).

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
from IPython.display import Markdown, display
from ipywidgets import FloatSlider

from dofcourse import config, data, exercises, plotting
from dofcourse import regimes as R
from dofcourse.regimes import figures
from dofcourse.settings import TrainSettings

plotting.use_style()
print("mode:", config.mode())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A problem with many exact solutions
#
# Sparse linear regression with more features than examples: $X \in \mathbb{R}^{n\times d}$ with
# Gaussian entries, $n < d$, and $y = X\beta^*$ for a $\beta^*$ with only $k$ non-zero entries
# ($\pm 1$). Every $\beta$ with $X\beta = y$ fits the data exactly. Two of them are classics:
#
# * the **minimum-$\ell_2$-norm interpolant** $\beta_{\ell_2} = X^+ y$: what any kernel method
#   with a linear kernel returns, and what gradient descent on $\beta$ itself finds from $0$. It
#   lies in the $n$-dimensional row space of $X$, so it cannot be sparse;
# * the **minimum-$\ell_1$-norm interpolant** (basis pursuit), a linear program. Above chapter
#   04's phase transition it recovers $\beta^*$ exactly.
#
# For Gaussian inputs the test error of any $\beta$ is $\|\beta - \beta^*\|^2$, so the recovery
# error is the generalisation error.

# %%
N, D_FEAT, K = 40, 100, 5
problem = R.sparse_problem(N, D_FEAT, K, seed=0)
beta_l2 = R.min_l2_interpolant(problem.X, problem.y)
beta_l1 = R.min_l1_interpolant(problem.X, problem.y)
for name, beta in (("min-l2", beta_l2), ("min-l1", beta_l1)):
    print(
        f"{name}: ||beta||_1 = {np.abs(beta).sum():6.2f}, ||beta||_2 = {np.linalg.norm(beta):.2f}, "
        f"recovery error {problem.error(beta):.2e}, non-zeros {np.sum(np.abs(beta) > 1e-6)}"
    )


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The diagonal linear network
#
# The smallest model with both regimes (Woodworth et al. 2020): two weight vectors
# $u, v \in \mathbb{R}^d$, a linear predictor
# $$ f(x) = \langle \beta, x\rangle, \qquad \beta = u \odot u - v \odot v, $$
# and gradient descent on $w = (u, v) \in \mathbb{R}^{2d}$ from $u = v = \alpha\,\mathbf{1}$,
# so that $\beta = 0$ at the start for every $\alpha$. The predictor is linear in $x$, but the
# training is not linear in the weights. In code, the whole network is one line:

# %%
def diagonal_forward(w: tuple[torch.Tensor, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    u, v = w
    return x @ (u * u - v * v)


net = R.diagonal_net(D_FEAT)  # the same forward, as a pure function f(w, x) for the trainer
w = torch.rand(2 * D_FEAT, dtype=torch.float64)
x = torch.tensor(problem.X[:3])
assert torch.allclose(net(w, x), diagonal_forward(tuple(w.split(D_FEAT)), x))


# %% [markdown]
# Why the scale matters, in one line of calculus: near the start, $\partial\beta_i/\partial u_i
# = 2u_i = 2\alpha$. For large $\alpha$ a tiny move of the weights changes $\beta$ a lot, so the
# data are fitted before the weights have gone anywhere: the model is its own linearisation, a
# kernel method whose kernel ($8\alpha^2 XX^\top$) is a multiple of the linear one, so it ends at
# $\beta_{\ell_2}$. For small $\alpha$ the weights must grow from near zero; a coordinate grows
# like $e^{ct}$ at a rate set by how well it correlates with the residual, so the
# most useful coordinates win and the rest stay near zero: a sparse solution.
#
# We train one network per $\alpha$, all at once, with the course's ensemble trainer
# (`ensemble.train_members`). Each $\alpha$ needs its own step size (the curvature of the loss
# grows with $\alpha^2$), and the trainer has one learning rate, so each member carries a factor
# $c_e$: $\theta_e = \theta_{0,e} + c_e u_e$, and gradient descent on $u$ at rate $\eta$ is
# gradient descent on $\theta$ at rate $c_e^2\eta$ (`regimes.Scaled`). A member stops when its
# training loss has fallen by the factor `RTOL`.

# %% [markdown] slideshow={"slide_type": "slide"}
# **Think!** Before the sweep: how does the recovery error depend on $\alpha$ from $10^{-3}$ to
# $10$? Where does it change fastest? And how far, relative to their start, do the weights move
# at $\alpha = 10^{-3}$ and at $\alpha = 10$? Write your guesses down.
#
# ### Exercise 1 (predict, then measure): how fast do lazy weights stop moving?
#
# In the lazy regime $\beta$ reaches its final value $\beta_\infty$ (of size about $\|\beta^*\|$)
# while the weights move by $\Delta w$ from $w_0 = \alpha\mathbf 1$, with $\|w_0\| = \alpha\sqrt{2d}$.
# Linearise $\beta$ around $w_0$ and predict the exponent $p$ in
# $\|\Delta w\| / \|w_0\| \propto \alpha^{p}$ for large $\alpha$. The check after the sweep
# measures it.

# %%
def predict_lazy_exponent() -> float:
    """p in ||w_T - w_0|| / ||w_0|| ~ alpha^p for large alpha."""
    # BEGIN SOLUTION
    # d beta = 2 alpha (du - dv), so ||dw|| ~ ||beta_inf|| / alpha, divided by ||w_0|| ~ alpha
    return -2.0
    # END SOLUTION


# %%
ALPHAS = config.size(full=np.logspace(-3, 1, 17), quick=np.logspace(-3, 1, 9))
PROBLEMS = list(range(config.size(full=10, quick=3)))  # problem_seed: X and beta*
MAX_STEPS, RTOL = config.size(full=50_000, quick=8_000), config.size(full=1e-7, quick=1e-5)
sweep = R.alpha_sweep(N, D_FEAT, K, ALPHAS, PROBLEMS, max_steps=MAX_STEPS, rtol=RTOL)
q_alphas = np.logspace(-3, 1, 41)
q_errors = np.array([R.bias_errors(R.sparse_problem(N, D_FEAT, K, seed=s), q_alphas)
                     for s in PROBLEMS])  # fmt: skip
print(sweep.groupby("alpha")[["error", "dist_l1", "dist_l2", "dist_q", "moved", "loss", "steps"]]
      .median().to_string(float_format="{:.3g}".format))  # fmt: skip

# %%
fig = figures.fig_alpha_sweep(sweep, q_alphas, q_errors, f"n = {N}, d = {D_FEAT}, k = {K}")
plotting.save(fig, "09_alpha_sweep")
plt.show()

# %% [markdown]
# (a) At small $\alpha$ the network recovers $\beta^*$ almost exactly, though nothing in its
# training asked for sparsity; at large $\alpha$ its error is that of the minimum-$\ell_2$
# interpolant. The change takes about a decade and a half of $\alpha$: the error is still small
# at $\alpha \approx 0.03$ and has reached the minimum-$\ell_2$ level by $\alpha \approx 1$, that
# is, as the initial scale $\alpha^2$ of each $\beta_i$ grows from about $10^{-3}$ to the size
# $|\beta^*_i| = 1$ of the entries to be fitted. (b) shows it as a crossing: gradient descent
# leaves the minimum-$\ell_1$ interpolant and arrives at the minimum-$\ell_2$ one. (c) At small
# $\alpha$ the weights end more than a hundred times farther from their start than its own size;
# at large $\alpha$ they hardly move (exercise 1 asks how little).
#
# The dashed line in (a) is the closed-form prediction of section 3, the limit of gradient
# *flow* run to zero loss. At $\alpha \le 0.01$ gradient descent lies above it: it stopped at a
# training loss of about $10^{-5}$ of its start (quick mode; full mode goes to $10^{-7}$), and in
# the rich regime the last part of the path is slow. A coordinate $\beta_i$ that should be zero
# moves at a rate proportional to $u_i^2 + v_i^2$, about its own size, so the small coordinates
# that grew on the way shrink back slowly. The `steps` column of the table shows the cost: the
# runs at small $\alpha$ use tens of times more steps than the lazy ones and still stop short of
# the closed form. Sparse solutions from small initialisations cost training time.

# %%
first, last = sweep[sweep.alpha == ALPHAS[0]], sweep[sweep.alpha == ALPHAS[-1]]
assert np.all(first.dist_l1 <= 0.05 * first.norm_star), first.dist_l1
assert np.all(first.error <= 0.01 * first.norm_star**2), "small alpha should recover beta*"
assert np.all(last.dist_l2 <= 0.01 * last.norm_star), last.dist_l2
assert np.all(last.error_l2 >= 0.3 * last.norm_star**2), "the l2 interpolant should not recover"
for seed, runs in sweep.groupby("problem_seed"):
    assert np.all(np.diff(runs.sort_values("alpha").moved) < 0), f"problem {seed}: moved rises"
assert first.steps.median() >= 10 * last.steps.median(), "the rich runs should take far longer"
print(f"check passed on {len(PROBLEMS)} problems: at alpha = {ALPHAS[0]:g} GD ends within "
      f"{(first.dist_l1 / first.norm_star).max():.1%} of ||beta*|| from the min-l1 interpolant "
      f"(error {first.error.max():.1e}); at alpha = {ALPHAS[-1]:g} within "
      f"{(last.dist_l2 / last.norm_star).max():.1e} of the min-l2 one; the distance moved falls "
      f"from {first.moved.median():.0f} to {last.moved.median():.1e} of the start; the rich runs "
      f"took {first.steps.median() / last.steps.median():.0f}× the steps")  # fmt: skip

# %%
with exercises.checking("Exercise 1"):
    lazy = sweep[sweep.alpha >= 1].groupby("alpha").moved.median()
    slope = np.polyfit(np.log(lazy.index), np.log(lazy.to_numpy()), 1)[0]
    guess = predict_lazy_exponent()
    print(f"measured slope for alpha >= 1: {slope:.2f}; you predicted {guess:.2f}")
    assert abs(guess - slope) < 0.25, "not quite: linearise beta = u*u - v*v at u = v = alpha"


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The implicit bias in closed form
#
# Along gradient flow, $\tfrac{d}{dt}(u_i v_i) = 0$, and $u$, $v$ are $\alpha$ times
# exponentials of $\mp X^\top s(t)$ for some $s(t) \in \mathbb{R}^n$. So
# $\beta(t) = 2\alpha^2\sinh(X^\top\lambda(t))$, and where it stops ($X\beta = y$) is exactly where
# the interpolant minimising
# $$ Q_\alpha(\beta) = \alpha^2 \sum_i q\!\left(\frac{\beta_i}{\alpha^2}\right), \qquad
#    q(z) = 2 - \sqrt{4 + z^2} + z\,\operatorname{arcsinh}(z/2) $$
# has its optimality condition $\nabla Q_\alpha(\beta) = \operatorname{arcsinh}(\beta/2\alpha^2)
# \in \operatorname{row}(X)$ (Woodworth et al. 2020, Theorem 1). Since $q(z) \approx z^2/4$ for
# small $z$ and $q(z) \approx |z|\log|z|$ for large $z$, $Q_\alpha$ is a multiple of
# $\|\beta\|_2^2$ when $\alpha^2 \gg |\beta_i|$ and close to $\|\beta\|_1 \log(1/\alpha^2)$ when
# $\alpha^2 \ll |\beta_i|$. `regimes.implicit_bias` minimises it through its dual, a smooth
# convex problem in $n$ variables.
#
# Explore: where does training end as $\alpha$ changes? (The widget uses the closed form, so it
# redraws at once.)

# %%
def draw_bias(log10_alpha: float) -> plt.Figure:
    return figures.fig_bias(problem, 10.0**log10_alpha)


plotting.explore(draw_bias, name="09_bias_explorer",
                 log10_alpha=FloatSlider(value=-1.5, min=-3, max=1, step=0.25,
                                         description="log10 α"))  # fmt: skip

# %% [markdown]
# How close is gradient descent to the closed form? `dist_q` is the distance between the two.
# Gradient descent takes finite steps and stops at a finite loss, so they cannot agree exactly
# (the package's tests show the gap halving with the step size; Even et al. 2023 show how large
# steps change the bias). It should be small compared with the distance between the two
# interpolants.

# %%
gap = (sweep.dist_q / sweep.norm_star).max()
span = np.linalg.norm(beta_l1 - beta_l2) / np.linalg.norm(problem.beta_star)
assert gap < 0.03, f"GD is {gap:.1%} of ||beta*|| from Q_alpha's minimiser somewhere"
assert gap < 0.05 * span
print(
    f"check passed: GD ends within {gap:.2%} of ||beta*|| of the closed-form Q_alpha "
    f"minimiser at every alpha and problem; the two interpolants lie {span:.0%} apart"
)


# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 2: the potential $q$
#
# Complete `q(z)` from the formula above. The check compares it with the package and verifies
# numerically that its derivative is $\operatorname{arcsinh}(z/2)$, the fact that ties $Q_\alpha$
# to gradient flow.

# %%
def q(z: np.ndarray) -> np.ndarray:
    """q(z) = 2 - sqrt(4 + z^2) + z arcsinh(z / 2), entrywise."""
    # BEGIN SOLUTION
    return 2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2)
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    z = np.linspace(-50, 50, 201)
    np.testing.assert_allclose(q(z), [R.q_alpha([zi], 1.0) for zi in z], rtol=1e-10, atol=1e-12)
    h = 1e-5
    np.testing.assert_allclose((q(z + h) - q(z - h)) / (2 * h), np.arcsinh(z / 2), atol=1e-6)
    print(
        f"q(0.1) = {q(np.array(0.1)):.5f} ≈ 0.1²/4 = {0.1**2 / 4:.5f}; "
        f"q(1000) / (1000 log 1000) = {q(np.array(1000.0)) / (1000 * np.log(1000)):.3f}"
    )


# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 3 (predict, then measure): how bad is the kernel solution?
#
# $\beta_{\ell_2}$ is the orthogonal projection of $\beta^*$ onto the row space of $X$, a
# uniformly random $n$-dimensional subspace of $\mathbb{R}^d$. Predict the mean of
# $\|\beta_{\ell_2} - \beta^*\|^2$ over random problems, from $n$, $d$ and $k$ (recall
# $\|\beta^*\|^2 = k$). The check measures it on 200 problems.

# %%
def predict_l2_error(n: int, d: int, k: int) -> float:
    """Expected ||beta_l2 - beta*||^2 over random Gaussian problems."""
    # BEGIN SOLUTION
    # the part of beta* outside a random n-dimensional subspace keeps (d - n) / d of its energy
    return (1 - n / d) * k
    # END SOLUTION


# %%
with exercises.checking("Exercise 3"):
    errs = [p.error(R.min_l2_interpolant(p.X, p.y))
            for p in (R.sparse_problem(N, D_FEAT, K, seed=1000 + s) for s in range(200))]  # fmt: skip
    m, se = np.mean(errs), np.std(errs, ddof=1) / np.sqrt(len(errs))
    guess = predict_l2_error(N, D_FEAT, K)
    print(f"measured mean error {m:.3f} ± {se:.3f}; you predicted {guess:.3f}")
    assert abs(guess - m) < 4 * se + 0.02, "not quite: what fraction of a random vector's energy "
    "lies outside a random n-dimensional subspace of R^d?"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Lazy and rich in a real network
#
# Chizat, Oyallon and Bach (2019) showed that laziness is not a property of a model but of a
# **scale**. Take any network $g(\theta, x)$ and train
# $$ f(x) = \kappa\,\big(g(\theta, x) - g(\theta_0, x)\big) \quad\text{with loss } \ell(f)/\kappa^2 .$$
# As $\kappa$ grows, the data are fitted while $\theta$ moves by $O(1/\kappa)$: the network stays
# equal to its linearisation, and training is kernel regression with the **tangent kernel**
# $K(x, x') = \sum_c \langle\nabla_\theta g_c(x), \nabla_\theta g_c(x')\rangle$ at the start. For
# small $\kappa$ the weights must move far, and the kernel is free to change: in the limit it is
# learned. How much of that change is a new *shape* and how much a mere rescaling is something to
# measure. (Subtracting $g(\theta_0)$ makes the output start at zero for every $\kappa$.)
#
# In the package, $\theta = \theta_0 + w/\kappa$ and mini-batch SGD (batches of 128) on $w$ with
# the ordinary loss: the same dynamics, step for step, one member per $\kappa$ in one vectorised
# training. For
# $\kappa < 1$ the step is scaled by $\kappa$ (the curvature grows like $1/\kappa$). We train a
# two-layer ReLU network (`models.mlp` with one hidden layer of 256) on the digits, and compare
# its tangent kernel on 100 test images before and after training.
#
# **Think!** As $\kappa$ grows from $0.01$ to $100$, how will the distance moved and the change of
# the tangent kernel behave: which falls faster? And will the lazy network (a kernel method with
# a kernel fixed at random initialisation) classify digits worse than the rich one?

# %%
DATA = config.size(full="mnist_subset", quick="digits")
ds = data.load(DATA, split_seed=0)
KAPPAS = config.size(full=[0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100], quick=[0.01, 0.1, 1, 10, 100])
INITS = list(range(config.size(full=5, quick=2)))  # init_seed: the network's initialisation
settings = TrainSettings(steps=config.size(full=1500, quick=600), lr=0.5, batch_size=128)
kappa_table = R.kappa_sweep(ds, KAPPAS, INITS, hidden=256, settings=settings)
print(kappa_table.groupby("kappa")[["kernel_change", "kernel_distance", "moved", "train_acc",
                                    "test_acc"]].median().to_string(float_format="{:.3g}".format))  # fmt: skip

# %%
fig = figures.fig_kappa_sweep(kappa_table, ds.name)
plotting.save(fig, "09_kappa_sweep")
plt.show()

# %% [markdown]
# (a) The tangent kernel's relative change falls over four to five orders of magnitude as $\kappa$ goes
# from $0.01$ to $100$, faster than the distance moved in (b), which falls over three. The
# tangent kernel of a two-layer ReLU network is quadratic in its weights: where they travel many
# times their own size (small $\kappa$) its change grows like the square of the distance (a
# decade of $\kappa$ there: about $3\times$ the distance, $10\times$ the kernel change), where
# they barely move it changes in proportion. Its
# *shape* (the kernel distance, one minus the cosine between the two kernels, which ignores a
# rescaling) changes far less than its size even in the rich regime, but it too falls by orders of
# magnitude. (b) The weights at $\kappa = 0.01$ end ten times farther from their start than its
# own norm; at $\kappa = 100$ they move by about 1 %, as $O(1/\kappa)$ predicts. (c) Yet every
# network fits the training set, and the test accuracies differ little across $\kappa$: averaged
# over the initialisations, by less than two points (the numbers of this run are printed after
# the check). On the digits of quick mode lazy and rich are even; on the MNIST subset of full mode
# the lazy end ($\kappa \geq 10$) came out about a point lower on every one of the five
# initialisations (run of 2026-12-07). So for this network "rich" mostly means a
# *rescaled* kernel: the weights travel far, but the kernel keeps nearly its initial shape, and
# the kernel at initialisation is already a good one for the digits.
#
# The papers agree that architecture decides which regime wins. Geiger et al. (2020) varied the
# scale across fully connected and convolutional networks on MNIST, Fashion-MNIST, EMNIST and
# CIFAR-10: fully connected networks generally did *better* in the lazy regime, convolutional ones
# in the feature-learning regime (their first preprint, arXiv v1, read the fully connected results
# the other way; the published version is the one cited here). Chizat et al. found that lazy
# training hurts convolutional networks on CIFAR-10. Our fully connected network, within a point
# or two between lazy and rich (even on the digits, the rich end a point ahead on the MNIST
# subset), separates the regimes far less by accuracy than by how far its kernel moves. What the
# scale controls here is *how* the data are fitted, and with it which solution is found, not
# *whether* they are fitted.

# %%
for seed, runs in kappa_table.groupby("init_seed"):
    runs = runs.sort_values("kappa")
    assert np.all(np.diff(runs.kernel_change) < 0), f"init {seed}: kernel change not falling"
    assert np.all(np.diff(runs.moved) < 0), f"init {seed}: distance moved not falling"
    assert runs.kernel_change.iloc[-1] < 0.05, f"init {seed}: large kappa should be lazy"
    assert runs.kernel_change.iloc[0] > 1.0, f"init {seed}: small kappa should be rich"
    drop = runs[["kernel_change", "moved"]].iloc[0] / runs[["kernel_change", "moved"]].iloc[-1]
    assert drop.kernel_change > 10 * drop.moved, f"init {seed}: kernel change falls too slowly"
    slope = np.polyfit(np.log(runs.kappa.iloc[-2:]), np.log(runs.moved.iloc[-2:]), 1)[0]
    assert abs(slope + 1) < 0.2, f"init {seed}: moved ~ kappa^{slope:.2f} at the lazy end, not 1/kappa"
    assert np.all(runs.train_acc > 0.95) and not runs.diverged.any(), f"init {seed}: not fitted"
    shape = runs.kernel_distance
    assert shape.iloc[0] > 100 * shape.iloc[-1], f"init {seed}: the kernel's shape change should fall"
    assert runs.kernel_change.iloc[0] > 10 * shape.iloc[0], f"init {seed}: rich change not mostly scale"
# the claim of (c), on the mean over the initialisations (each run is scored on one test set of
# 360 or 1,000 images: the range of one initialisation's 5-9 runs adds that noise to the effect)
by_kappa = kappa_table.groupby("kappa").test_acc.mean()
spread = by_kappa.max() - by_kappa.min()
print("test accuracy by kappa (mean over initialisations):", by_kappa.round(3).to_dict(),
      "| per initialisation, max - min:",
      kappa_table.groupby("init_seed").test_acc.agg(np.ptp).round(3).to_dict())  # fmt: skip
assert spread < 0.02, f"test accuracy varies by {spread:.3f} across kappa (mean over inits)"
lazy_end, rich_end = (kappa_table[kappa_table.kappa == k] for k in (KAPPAS[-1], KAPPAS[0]))
print(f"check passed on {len(INITS)} initialisations: kernel change {rich_end.kernel_change.min():.0f}+ "
      f"at kappa = {KAPPAS[0]}, at most {lazy_end.kernel_change.max():.3f} at kappa = {KAPPAS[-1]}, "
      f"falling at every step of kappa and faster than the distance moved, which goes as "
      f"1/kappa at the lazy end; the kernel distance falls "
      f"×{(rich_end.kernel_distance.min() / lazy_end.kernel_distance.max()):.0f}+; every run fits "
      f"the training set, and test accuracy (mean over initialisations) varies by "
      f"{spread:.3f} < 0.02 across kappa; lazy end minus rich end "
      f"{lazy_end.test_acc.mean() - rich_end.test_acc.mean():+.3f}")  # fmt: skip
acc = kappa_table.groupby("kappa").test_acc.median()
display(Markdown(
    f"**In this run** ({ds.name}, median over {len(INITS)} initialisations): at "
    f"$\\kappa = {KAPPAS[0]}$ the tangent kernel changes by {rich_end.kernel_change.median():.0f}× "
    f"its initial norm ($\\|K_T - K_0\\| / \\|K_0\\|$), but its kernel distance is only "
    f"{rich_end.kernel_distance.median():.3f} (the two normalised kernels have cosine "
    f"{1 - rich_end.kernel_distance.median():.3f}): the rich end rescales the kernel far more "
    f"than it reshapes it. The test accuracy is {acc.iloc[0]:.3f} at the rich end and "
    f"{acc.iloc[-1]:.3f} at the lazy end (from {acc.min():.3f} to {acc.max():.3f} across "
    f"$\\kappa$)."
))  # fmt: skip

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
# - With more parameters than examples, *which* zero-loss solution training finds is decided by
#   the optimiser and the initialisation: the implicit bias.
# - Large initial scale $\alpha$ (or output scale $\kappa$): the lazy regime. Weights move by a
#   vanishing fraction of their size ($1/\alpha^2$ for the diagonal network, $1/\kappa$ for the
#   output-scaled one), the tangent kernel stays put, and the answer is the kernel method's: the
#   minimum-$\ell_2$ interpolant for the diagonal network.
# - Small scale: the rich regime. Weights move far, the kernel is free to change (for the
#   two-layer network of section 4 it changes mostly in scale, little in shape), and the diagonal
#   network finds the sparse minimum-$\ell_1$ interpolant, recovering $\beta^*$ where the kernel solution
#   has error $(1 - n/d)\|\beta^*\|^2$ on average; it needs many more steps to get there.
# - At every $\alpha$, gradient flow ends at the interpolant that minimises $Q_\alpha$; gradient
#   descent with small steps ends close to it.
# - For this course's question: counting parameters is not enough. The same $D$ trains as a
#   fixed kernel or as a feature learner depending on one scale.
#
# ## Sources
# - B. Woodworth, S. Gunasekar, J. D. Lee, E. Moroshko, P. Savarese, I. Golan, D. Soudry,
#   N. Srebro. Kernel and rich regimes in overparametrized models. COLT 2020 (the diagonal
#   network, $Q_\alpha$ and its limits).
# - L. Chizat, E. Oyallon, F. Bach. On lazy training in differentiable programming. NeurIPS 2019
#   (the output scale and the lazy limit).
# - M. Geiger, S. Spigler, A. Jacot, M. Wyart. Disentangling feature and lazy training in deep
#   neural networks. J. Stat. Mech. 2020.
# - A. Jacot, F. Gabriel, C. Hongler. Neural tangent kernel. NeurIPS 2018.
# - S. Fort, G. K. Dziugaite, M. Paul, S. Kharaghani, D. M. Roy, S. Ganguli. Deep learning versus
#   kernel learning: an empirical study of loss landscape geometry and the time evolution of the
#   neural tangent kernel. NeurIPS 2020 (the kernel distance).
# - M. Even, S. Pesme, S. Gunasekar, N. Flammarion. (S)GD over diagonal linear networks: implicit
#   bias, large stepsizes and edge of stability. NeurIPS 2023 (finite steps change the bias).
