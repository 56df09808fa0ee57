# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Training in a random subspace: the intrinsic dimension
#
# **The question.** A network has $D$ parameters. If we freeze all of them at a random start
# $\theta_0$ and let training move only along $d$ random directions,
# $$\theta = \theta_0 + P z, \qquad P \in \mathbb{R}^{D\times d},\; z \in \mathbb{R}^d,$$
# how large must $d$ be before the network still learns? Li et al. (2018) found that the answer,
# the **intrinsic dimension** $d_{\text{int}90}$ (the smallest $d$ that reaches 90 % of the full
# model's accuracy), is a tiny fraction of $D$: a few hundred directions out of hundreds of
# thousands.
#
# **Learning goals.** After this chapter you can
# 1. write subspace training in a few lines: a projection $P$, the map $z \mapsto \theta_0 + Pz$,
#    and gradient descent on $z$ alone (the chain rule gives $\nabla_z L = P^\top \nabla_\theta L$);
# 2. measure accuracy against $d$ and read off $d_{\text{int}90}$ with a bootstrap interval;
# 3. choose between dense, sparse and Fastfood projections by their cost in time and memory;
# 4. tell what in the measurement is fixed and what is random, and how much the result varies.
#
# **Prerequisites.** Chapter 00 (datasets, models, the training loop). Chapter 02's picture of a
# landscape with few stiff and many flat directions explains *why* this works.
#
# **Time.** Quick mode (`DOFCOURSE_QUICK=1`, 8×8 digits): about a minute on two CPU cores.
# Full mode (the 5 000-image MNIST subset, Li et al.'s architectures) is meant for a GPU; on two
# CPU cores it takes hours (estimated), most of it in the dense projections of section 3.
# Results are cached, so a second run redraws everything at once (about 15 s).

# %%
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.func import functional_call

from dofcourse import config, data, models, plotting, subspace, train
from dofcourse.device import get_device
from dofcourse.projections import make_projection

plotting.use_style()
device = get_device()
print("mode:", config.mode(), "| device:", device)

DATASET = config.size(full="mnist_subset", quick="digits")
HIDDEN = config.size(full=(200, 200), quick=(64, 64))  # full: Li et al.'s 784-200-200-10
STEPS = config.size(full=1500, quick=200)  # optimiser steps, the same for every run
BATCH = 128
LR_Z, LR_FULL = 0.03, 1e-3  # Adam on z and on the full model
SEEDS = list(range(config.size(full=5, quick=3)))
DIMS = config.size(full=[10, 30, 100, 200, 300, 500, 1000, 2000, 4000],
                   quick=[10, 30, 100, 200, 400, 1000])  # fmt: skip

ds = data.load(DATASET, device=device)
print(ds)


def make_mlp():
    torch.manual_seed(0)  # theta_0: one fixed initialisation per architecture
    return models.mlp(ds.input_shape, ds.n_classes, hidden=HIDDEN).to(device)


def make_lenet():
    torch.manual_seed(0)
    return models.lenet5(ds.input_shape, ds.n_classes).to(device)


mlp, lenet = make_mlp(), make_lenet()
D_mlp, D_lenet = models.count_params(mlp), models.count_params(lenet)
print(f"MLP D = {D_mlp:,}   LeNet D = {D_lenet:,}")

# %% [markdown]
# ## 1. The idea, in a picture and in a few lines
#
# Take $d = 2$: the subspace is a plane through $\theta_0$ in the $D$-dimensional parameter
# space, and training can only slide along it. Below is the training loss on such a plane for
# our MLP, with the path that Adam takes on $z = (z_1, z_2)$ from $z = 0$. Look at the loss
# axis: in random directions the landscape is almost flat and curves *up*; the lowest point of
# the plane is barely below $\theta_0$. Two random directions cannot fit ten classes of digits.
# Every extra dimension adds a direction to descend along — how many are needed?

# %%
P2 = make_projection("orthonormal", D_mlp, 2, seed=0, device=device)
run2 = subspace.train_subspace(mlp, ds, 2, kind="orthonormal", seed=0, steps=STEPS, lr=0.3,
                               optimizer="adam", batch_size=BATCH, eval_every=max(1, STEPS // 40),
                               progress=False)  # fmt: skip
path = torch.stack(run2.history["z"]).numpy()
extent = max(3.0, 1.5 * np.abs(path).max())
grid, surface = subspace.loss_on_plane(mlp, ds.subsample(300, seed=0), P2, extent=extent, n=31)

fig = plt.figure(figsize=(16, 6.5))
ax = fig.add_subplot(1, 2, 1, projection="3d")
A, B = np.meshgrid(grid, grid)
ax.plot_surface(A, B, surface, cmap="viridis", alpha=0.9, linewidth=0)
ax.set_zlabel("training loss", labelpad=12)
plotting.label(ax, "Loss on a random plane through θ₀", "$z_1$", "$z_2$")
ax2 = fig.add_subplot(1, 2, 2)
cs = ax2.contourf(A, B, surface, levels=25, cmap="viridis")
fig.colorbar(cs, ax=ax2, label="training loss")
ax2.plot(path[:, 0], path[:, 1], color="#D55E00", marker="o", markersize=3, label="Adam on z")
ax2.scatter([0], [0], color="w", edgecolor="k", s=90, zorder=3, label=r"$\theta_0$ (z = 0)")
ax2.legend(loc="upper right")
ax2.set_aspect("equal")
plotting.label(ax2, "Training slides along the plane (d = 2)", "$z_1$", "$z_2$")
plotting.save(fig, "03_plane_landscape")
plt.show()
print(f"loss at theta_0: {run2.history['loss'][0]:.3f}; after training on the plane: "
      f"{run2.loss:.3f}; accuracy {run2.test_acc:.2f}")  # fmt: skip

# %% [markdown]
# The code of subspace training is short. `functional_call` runs the model with parameters we
# pass in, so $\theta$ can be any differentiable function of $z$; autograd then gives
# $\nabla_z L = P^\top \nabla_\theta L$. One step of gradient descent on $z$:

# %%
d = 50
P = make_projection("dense", D_mlp, d, seed=0, device=device)  # columns have unit norm
theta0 = subspace.flat_params(mlp)  # (D,)
z = torch.zeros(d, device=device, requires_grad=True)

theta = theta0 + P(z)  # (D,): the only trainable numbers are the d entries of z
logits = functional_call(mlp, subspace.unflatten(theta, mlp), (ds.x_train,))
loss = torch.nn.functional.cross_entropy(logits, ds.y_train)
loss.backward()  # z.grad = P^T grad_theta L
with torch.no_grad():
    z -= 1.0 * z.grad
print("gradient shape:", tuple(z.grad.shape), "| loss before", round(loss.item(), 4))

# %% [markdown]
# **Scaling.** Every projection in `dofcourse.projections` has columns of unit norm in
# expectation, $\mathbb{E}\|P e_j\|^2 = 1$ (the convention of Li et al. and Larsen et al.), so a
# step of size $\eta$ in $z$ moves $\theta$ by about $\eta$ whatever $d$ and $D$ are. For $d \ll D$
# random columns are also nearly orthogonal ($|\cos| \approx 1/\sqrt D$), so $P$ is close to an
# isometry from $\mathbb{R}^d$ onto its image.
#
# `subspace.train_ensemble` runs many such trainings at once: the projections of all runs are
# stacked, `torch.func.vmap` evaluates the model at all $\theta_e$ together, and one backward pass
# gives every $z_e$ its gradient. `subspace.sweep` does this over a grid of $(d, \text{seed})$,
# caching every run on its own.

# %% [markdown]
# ## 2. Accuracy against $d$, and the intrinsic dimension
#
# For each $d$ in a grid and a few seeds (a seed fixes $P$), train $z$ with Adam for the same
# number of steps as the full model; compare test accuracy with the full model trained from the
# same $\theta_0$. $d_{\text{int}90}$ is where the seed-averaged curve crosses 90 % of the full
# model's accuracy (interpolated linearly in $\log d$); its interval comes from resampling seeds
# (with the 3 seeds of quick mode it is rough and too narrow; full mode uses 5).


# %%
def full_accuracy(make):
    model = make()
    hist = train.train(model, ds, steps=STEPS, lr=LR_FULL, optimizer="adam", batch_size=BATCH,
                       progress=False)  # fmt: skip
    return hist.test_acc[-1]


def acc_vs_d(make, kind, dims=DIMS, seeds=SEEDS):
    # A dense P of the full-mode MLP at d = 4000 is 3.2 GB: allow it (the default budget is 1 GiB).
    return subspace.sweep(make(), ds, dims, seeds, kind=kind, steps=STEPS, lr=LR_Z,
                          optimizer="adam", batch_size=BATCH, namespace="ch03",
                          max_bytes=4 * 2**30)  # fmt: skip


t0 = time.perf_counter()
full = {"MLP": full_accuracy(make_mlp), "LeNet": full_accuracy(make_lenet)}
sweeps = {"MLP": acc_vs_d(make_mlp, "fastfood"), "LeNet": acc_vs_d(make_lenet, "fastfood")}
dint = {k: subspace.intrinsic_dimension(DIMS, s.test_acc, full[k]) for k, s in sweeps.items()}
D_of = {"MLP": D_mlp, "LeNet": D_lenet}
for k in sweeps:
    print(f"{k:5s} D = {D_of[k]:7,}  full acc {full[k]:.3f}  {dint[k]}  "
          f"d_int90 / D = {dint[k].d_int / D_of[k]:.4f}")  # fmt: skip
print(f"({time.perf_counter() - t0:.0f} s)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), sharey=True)
for ax, (k, s), color in zip(axes, sweeps.items(), ["#0072B2", "#009E73"], strict=True):
    plotting.mean_band(ax, DIMS, s.test_acc, label="subspace (Fastfood), mean ± s.e.", color=color)
    ax.axhline(full[k], color="k", ls="--", lw=1.5, label=f"full model ({full[k]:.3f})")
    ax.axhline(0.9 * full[k], color="gray", ls=":", lw=1.5, label="90 % of full")
    r = dint[k]
    ax.axvspan(r.lo, min(r.hi, DIMS[-1]), color="#D55E00", alpha=0.15, label="95 % interval")
    ax.axvline(r.d_int, color="#D55E00", lw=2, label=f"$d_{{int90}}$ ≈ {r.d_int:.0f}")
    ax.set_xscale("log")
    ax.legend(loc="lower right", fontsize=11)
    plotting.label(ax, f"{k} on {DATASET} (D = {D_of[k]:,})", "subspace dimension d",
                   "test accuracy")  # fmt: skip
plotting.save(fig, "03_accuracy_vs_d")
plt.show()

# %%
for k, s in sweeps.items():
    mean = s.test_acc.mean(0)
    assert mean[-1] > mean[0] + 0.3 and np.all(np.diff(mean) > -0.03), (
        f"{k}: accuracy should rise with d, got {np.round(mean, 3)}"
    )
    assert mean[-1] > full[k] - 0.06, (
        f"{k}: the largest d ({DIMS[-1]}) should be within a few points of full training "
        f"({mean[-1]:.3f} vs {full[k]:.3f})"
    )
    assert dint[k].d_int / D_of[k] < 0.2, f"{k}: d_int90 / D = {dint[k].d_int / D_of[k]:.3f}"
print("checks passed: accuracy rises with d, reaches the full model, d_int90 << D")

# %% [markdown]
# **Published values.** Li et al. (2018) report, on the full MNIST (60 000
# training images), $d_{\text{int}90} \approx 750$ for the fully connected 784-200-200-10 network
# ($D = 199{,}210$, so $d_{\text{int}90}/D \approx 0.4\,\%$) and $d_{\text{int}90} \approx 290$ for
# LeNet. Our numbers differ, and should:
#
# * **Less data.** $d_{\text{int}}$ measures how many directions are needed to *fit* the training
#   set well enough to generalise. 4 000 MNIST images (or 1 437 digits) are easier to fit than
#   60 000, so fewer directions suffice — but the test accuracy that defines "90 %" is also lower.
# * **A different reference.** The target is 90 % of *our* full model's accuracy after the same
#   short training, not of a carefully tuned MNIST baseline.
# * **A different budget.** We train every $z$ for a fixed, small number of Adam steps. A run
#   that is stopped early needs more directions to reach the same accuracy, so a short budget
#   pushes $d_{\text{int}}$ up.
# * **Other inputs.** In quick mode the 8×8 digits have 64 pixels instead of 784, and our LeNet is
#   adapted to them, so $D$ itself is different.
#
# The robust finding is the *ratio*: $d_{\text{int}90}$ is a small fraction of $D$, for both
# architectures and at every scale we try.

# %% [markdown]
# ## 3. Dense, sparse or Fastfood: the same curve, very different costs
#
# * **Dense** Gaussian: stores $Dd$ numbers and costs $O(Dd)$ per product — 40 GB for
#   $D = 10^6$, $d = 10^4$. `make_projection` refuses such a matrix before allocating it.
# * **Sparse** (Li et al.): each entry is non-zero with probability $1/\sqrt D$; about
#   $d\sqrt D$ numbers.
# * **Fastfood** (Le et al. 2013): $P = c\, H G \Pi H B$ — Walsh–Hadamard transforms $H$ (never
#   stored, applied in $O(D \log D)$), a random sign diagonal $B$, a permutation $\Pi$ and a
#   Gaussian diagonal $G$. Memory $O(D)$ whatever $d$ is.
#
# If the three are interchangeable, they must give the same accuracy curve.

# %%
kinds = ["dense", "sparse", "fastfood"]
by_kind = {k: (sweeps["MLP"] if k == "fastfood" else acc_vs_d(make_mlp, k)) for k in kinds}
dint_kind = {k: subspace.intrinsic_dimension(DIMS, s.test_acc, full["MLP"]) for k, s in
             by_kind.items()}  # fmt: skip
for k in kinds:
    print(f"{k:9s} {dint_kind[k]}")

fig, ax = plt.subplots(figsize=(9, 5.5))
for k in kinds:
    plotting.mean_band(ax, DIMS, by_kind[k].test_acc, label=f"{k}: $d_{{int90}}$ ≈ "
                       f"{dint_kind[k].d_int:.0f}")  # fmt: skip
ax.axhline(full["MLP"], color="k", ls="--", lw=1.5, label="full model")
ax.axhline(0.9 * full["MLP"], color="gray", ls=":", lw=1.5, label="90 % of full")
ax.set_xscale("log")
ax.legend(loc="lower right")
plotting.label(ax, "Three projections, one curve (MLP)", "subspace dimension d", "test accuracy")
plotting.save(fig, "03_projection_kinds")
plt.show()

# %%
vals = [dint_kind[k].d_int for k in kinds]
assert max(vals) / min(vals) < 1.5, f"d_int90 of {kinds} should agree within 1.5x, got {vals}"
print("check passed: the three projections give the same intrinsic dimension", np.round(vals))

# %% [markdown]
# Now the costs: seconds per training step, divided by the time of an ordinary step of the same
# model (same batch, same optimiser), and the memory each projection stores.

# %%
cost_dims = [10, 100, 1000]
t_full = subspace.time_per_step(mlp, ds, kind=None, batch_size=BATCH)
ratio = {k: [subspace.time_per_step(mlp, ds, kind=k, d=dd, batch_size=BATCH) / t_full
             for dd in cost_dims] for k in kinds}  # fmt: skip
print(f"ordinary step: {1e3 * t_full:.2f} ms")
mem = {k: [make_projection(k, D_mlp, dd).nbytes() / 2**20 for dd in cost_dims] for k in kinds}

fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 5))
for k in kinds:
    a1.plot(cost_dims, ratio[k], marker="o", label=k)
    a2.plot(cost_dims, mem[k], marker="o", label=k)
a1.axhline(1, color="k", ls="--", lw=1.5, label="ordinary training")
for a in (a1, a2):
    a.set_xscale("log")
    a.legend()
a2.set_yscale("log")
plotting.label(a1, f"Time per step (MLP, D = {D_mlp:,})", "d", "subspace step / ordinary step")
plotting.label(a2, "Memory stored by P", "d", "MiB")
plotting.save(fig, "03_projection_cost")
plt.show()
for k in kinds:
    print(f"{k:9s} time ratio at d = {cost_dims}: {np.round(ratio[k], 2)}; "
          f"memory MiB: {np.round(mem[k], 3)}")  # fmt: skip
big_D, big_d = 10**6, 10**4
print(f"for D = {big_D:.0e}, d = {big_d:.0e}: dense would store {big_D * big_d * 4 / 1e9:.0f} GB, "
      f"Fastfood {make_projection('fastfood', big_D, big_d).nbytes() / 2**20:.0f} MiB")  # fmt: skip

# %% [markdown]
# On this small model every kind costs a few ordinary steps, much of it the fixed overhead of
# running the model through `functional_call` (timings on a shared machine are noisy). The dense
# matrix grows with $d$ in time and memory; sparse grows slowly; Fastfood's cost does not depend
# on $d$ at all, only on $D$ ($O(D\log D)$ time, $O(D)$ memory). For large networks Fastfood is
# the only one of the three that fits: `benchmarks/bench_subspace.py` trains a
# $10^6$-parameter network in a $d = 10^4$ Fastfood subspace in under 1 GB (a dense $P$ would
# need 40 GB).

# %% [markdown]
# ## 4. What is fixed, what is random
#
# In every run above, the architecture, the initialisation $\theta_0$, the data and the order of
# the mini-batches are **fixed**; only the subspace — the seed of $P$ — is **random**. How much
# does the accuracy at one $d$ depend on that draw? Some subspaces happen to contain better
# directions than others, but with $d$ directions drawn at random the luck averages out: the
# spread is a few points and shrinks as $d$ grows. (Redrawing $\theta_0$ too would add its own
# share of variance.)

# %%
d_fix = int(min(DIMS, key=lambda x: abs(np.log(x / dint["MLP"].d_int))))
many = list(range(config.size(full=20, quick=10)))
spread = {dd: acc_vs_d(make_mlp, "fastfood", dims=[dd], seeds=many).test_acc[:, 0]
          for dd in (DIMS[0], d_fix, DIMS[-1])}  # fmt: skip
fig, ax = plt.subplots(figsize=(9, 5))
for i, accs in enumerate(spread.values()):
    jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(accs))
    ax.scatter(i + jitter, accs, s=50, alpha=0.8)
    ax.errorbar(i + 0.3, accs.mean(), yerr=accs.std(ddof=1), fmt="o", color="k", capsize=6)
ax.axhline(0.9 * full["MLP"], color="gray", ls=":", lw=1.5, label="90 % of full")
ax.set_xticks(range(len(spread)), [f"d = {dd}" for dd in spread])
ax.legend(loc="lower right")
plotting.label(ax, f"{len(many)} random subspaces per d (MLP, θ₀ fixed)", "subspace dimension",
               "test accuracy")  # fmt: skip
plotting.save(fig, "03_seed_spread")
plt.show()
for dd, accs in spread.items():
    print(f"d = {dd:5d}: accuracy {accs.mean():.3f} ± {accs.std(ddof=1):.3f} (std over seeds)")

# %%
assert spread[d_fix].std() < 0.1, "at fixed d the seeds should agree to within a few points"
print("check passed: the accuracy at fixed d is reproducible across random subspaces")

# %% [markdown]
# ## 5. Exercises
#
# **Exercise 1 — a dense projection.** Write the dense Gaussian projection: a $(D, d)$ matrix whose
# columns have unit norm in expectation, drawn from `torch.Generator().manual_seed(seed)`. The
# check compares column norms with 1.


# %%
def my_dense_projection(D: int, d: int, seed: int) -> torch.Tensor:
    """A (D, d) Gaussian matrix with E ||column||^2 = 1."""
    gen = torch.Generator().manual_seed(seed)
    # BEGIN SOLUTION
    return torch.randn(D, d, generator=gen) / D**0.5
    # END SOLUTION


P_ex = my_dense_projection(5000, 20, seed=1)
norms = P_ex.norm(dim=0)
assert P_ex.shape == (5000, 20) and abs(norms.mean().item() - 1) < 0.05, norms
print("column norms:", norms.mean().item())

# %% [markdown]
# **Exercise 2 — a training step.** Complete one step of SGD on $z$: build
# $\theta = \theta_0 + P z$, evaluate the model with `functional_call`, differentiate the
# cross-entropy with respect to $z$ and update $z$. The check runs it for a few full-batch steps
# and compares with `subspace.train_subspace` using the same dense $P$.


# %%
def my_subspace_step(model, theta0, P, z, x, y, lr):
    """One SGD step on z (d,) for theta = theta0 + P @ z; returns the new z and the loss."""
    # BEGIN SOLUTION
    z = z.detach().requires_grad_(True)
    theta = theta0 + P @ z
    logits = functional_call(model, subspace.unflatten(theta, model), (x,))
    loss = torch.nn.functional.cross_entropy(logits, y)
    (grad,) = torch.autograd.grad(loss, z)
    return (z - lr * grad).detach(), loss.item()
    # END SOLUTION


P_dense = make_projection("dense", D_mlp, 20, seed=3, device=device)
z_ex = torch.zeros(20, device=device)
for _ in range(5):
    z_ex, _ = my_subspace_step(mlp, theta0, P_dense.matrix(), z_ex, ds.x_train, ds.y_train, lr=0.5)
ref = subspace.train_subspace(mlp, ds, 20, kind="dense", seed=3, steps=5, lr=0.5, progress=False)
assert torch.allclose(z_ex.cpu(), ref.z, atol=1e-4), (z_ex, ref.z)
print("your step matches the package, step for step")

# %% [markdown]
# **Exercise 3 — shuffled labels.** Shuffle the training labels, so that nothing can be learned
# that generalises and the network must *memorise*. Measure $d_{\text{int}90}$ on **training**
# accuracy (90 % of what the full model reaches). Before running the cell: will it be smaller,
# about the same, or much larger than with true labels? Write your prediction as a ratio
# (shuffled / true) in `predicted_ratio`, then run the experiment. (Li et al. ran this experiment
# on MNIST and found that memorising needs far more directions.)

# %%
# BEGIN SOLUTION
predicted_ratio = 5.0  # memorising n random labels needs on the order of n directions
# END SOLUTION

# %%
small = ds.subsample(config.size(full=1000, quick=300), seed=0)
gen = torch.Generator().manual_seed(0)
y_shuffled = small.y_train[torch.randperm(len(small.y_train), generator=gen).to(device)]
shuffled = dataclasses.replace(small, y_train=y_shuffled)
mem_dims = [30, 100, 300, 1000, 3000]
full_train = {}
for name, dd_ in (("true", small), ("shuffled", shuffled)):
    m_ = make_mlp()
    full_train[name] = train.train(m_, dd_, steps=STEPS * 2, lr=LR_FULL, optimizer="adam",
                                   batch_size=BATCH, progress=False).train_acc[-1]  # fmt: skip
mem = {name: subspace.sweep(make_mlp(), dd_, mem_dims, SEEDS[:2], kind="fastfood",
                            steps=STEPS * 2, lr=LR_Z, optimizer="adam", batch_size=BATCH,
                            namespace="ch03")
       for name, dd_ in (("true", small), ("shuffled", shuffled))}  # fmt: skip
dint_mem = {k: subspace.intrinsic_dimension(mem_dims, s.train_acc, full_train[k])
            for k, s in mem.items()}  # fmt: skip
for k in mem:
    print(f"{k:9s} labels: full-model train acc {full_train[k]:.2f}; {dint_mem[k]}")
measured = dint_mem["shuffled"].d_int / dint_mem["true"].d_int
print(f"measured ratio shuffled / true: {measured:.1f}")

# %%
fig, ax = plt.subplots(figsize=(9, 5))
for k, s in mem.items():
    plotting.mean_band(ax, mem_dims, s.train_acc, label=f"{k} labels")
    ax.axhline(0.9 * full_train[k], ls=":", lw=1.5, color=ax.lines[-1].get_color())
ax.set_xscale("log")
ax.legend(loc="upper left")
plotting.label(ax, f"Memorising needs more directions ({len(small.y_train)} images)",
               "subspace dimension d", "training accuracy")  # fmt: skip
plotting.save(fig, "03_shuffled_labels")
plt.show()
assert measured > 2, f"shuffled labels should need many more directions, ratio {measured:.1f}"
print(f"your prediction: {predicted_ratio}; measured: {measured:.1f}")

# %% [markdown]
# ## What to remember
#
# * Training can be restricted to a random affine subspace $\theta_0 + Pz$; only $z$ is learned,
#   and $\nabla_z L = P^\top\nabla_\theta L$ comes for free from autograd.
# * Accuracy rises with $d$ and reaches the full model's long before $d = D$: the intrinsic
#   dimension $d_{\text{int}90}$ is a small fraction of $D$ (Li et al.: ≈ 750 of 199 210 for an
#   MNIST MLP, ≈ 290 for LeNet). It depends on the data and the training budget, so always
#   measure it against a full model trained the same way.
# * Dense, sparse and Fastfood projections give the same answer; they differ in cost. Fastfood
#   needs $O(D)$ memory and $O(D\log D)$ time, whatever $d$ is — the only choice for big nets.
# * The random subspace matters little at a given $d$: the seed spread is a few points and shrinks
#   as $d$ grows. Memorising random labels needs far more directions than learning real ones.
# * Chapter 04 asks *why* a random subspace of the right size hits the low-loss set (Gordon's
#   escape theorem); chapter 05 shows the transition is sharp and moves with the starting point.
#
# ## Sources
#
# * C. Li, H. Farkhoor, R. Liu, J. Yosinski. *Measuring the intrinsic dimension of objective
#   landscapes.* ICLR 2018. (Definition of $d_{\text{int}90}$; MNIST FC 784-200-200-10
#   $d_{\text{int}90} \approx 750$, LeNet $\approx 290$; sparse and Fastfood projections; shuffled
#   labels.)
# * B. W. Larsen, S. Fort, N. Becker, S. Ganguli. *How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective.* ICLR 2022.
# * Q. Le, T. Sarlós, A. Smola. *Fastfood — approximating kernel expansions in loglinear time.*
#   ICML 2013.
# * P. Li, T. Hastie, K. Church. *Very sparse random projections.* KDD 2006.
