"""Quadratic networks: the landscapes of chapter 01, small enough to see and prove things about.

One idea per module:

* ``nets`` -- the models (shallow f = xᵀWᵀdiag(v)Wx, f = ‖Wx‖², deep), their initialisations,
  ensembles as parameter tuples with a seed axis, and their flat form (``dofcourse.params``).
* ``teachers`` -- planted teachers and the :class:`Problem` (inputs, labels, label energy).
* ``symmetry`` -- the continuous symmetries: exact zero Hessian eigenvalues, projected out.
* ``endpoints`` -- where training ended: global minimum, saddle, spurious minimum, still
  descending, or the best a too-narrow width can do.
* ``inertia`` -- why spurious minima exist (Sylvester's law of inertia and the signs of v) and why
  a spare neuron turns one into a saddle.
* ``training`` -- gradient descent for many nets at once on ``ensemble.train_members``.
* ``experiments`` -- the cached sweeps of the chapter.
* ``figures`` -- the chapter's figures, drawn from these results (imported by the chapter, not
  here).
"""

from dofcourse.quadratic.endpoints import (
    CAPACITY,
    LABELS,
    SADDLE,
    SLOW,
    SPURIOUS,
    SUCCESS,
    EndPoints,
    classify,
    classify_one,
    loss_grad_hessian,
    mark_capacity,
)
from dofcourse.quadratic.experiments import convergence, deep_sweep, width_sweep
from dofcourse.quadratic.inertia import (
    add_spare_neuron,
    can_represent,
    inertia,
    residual_covariance,
    sign_counts,
)
from dofcourse.quadratic.nets import (
    DTYPE,
    Forward,
    Params,
    deep_forward,
    flat_loss,
    from_thetas,
    functional,
    init_deep,
    init_shallow,
    matrix_of,
    mse,
    n_seeds_of,
    pad_neurons,
    psd_forward,
    select,
    shallow_forward,
    stack,
    thetas,
)
from dofcourse.quadratic.symmetry import restricted_eigenvalues, symmetry_directions
from dofcourse.quadratic.teachers import (
    Problem,
    deep_problem,
    exact_net,
    planted_problem,
    teacher_matrix,
)
from dofcourse.quadratic.training import Fit, fit, train_gd

__all__ = [
    "CAPACITY",
    "DTYPE",
    "LABELS",
    "SADDLE",
    "SLOW",
    "SPURIOUS",
    "SUCCESS",
    "EndPoints",
    "Fit",
    "Forward",
    "Params",
    "Problem",
    "add_spare_neuron",
    "can_represent",
    "classify",
    "classify_one",
    "convergence",
    "deep_forward",
    "deep_problem",
    "deep_sweep",
    "exact_net",
    "fit",
    "flat_loss",
    "from_thetas",
    "functional",
    "inertia",
    "init_deep",
    "init_shallow",
    "loss_grad_hessian",
    "mark_capacity",
    "matrix_of",
    "mse",
    "n_seeds_of",
    "pad_neurons",
    "planted_problem",
    "psd_forward",
    "residual_covariance",
    "restricted_eigenvalues",
    "select",
    "shallow_forward",
    "sign_counts",
    "stack",
    "symmetry_directions",
    "teacher_matrix",
    "thetas",
    "train_gd",
    "width_sweep",
]
