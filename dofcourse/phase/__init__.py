"""Phase transitions of training in random subspaces (chapter 05; reused by chapter 06).

One idea per module:

* ``success`` -- success probabilities P(d; eps) with Wilson intervals and threshold dimensions
  d*(eps, delta) with bootstrap intervals, read off a table of runs; the empirical width;
* ``logistic`` -- a logistic fit of P in log d: the 50 % point and the transition's width;
* ``grid`` -- burn-in anchors from one run, the (t, d, seed) grid on the engine's cached sweep,
  and ordinary training to the end point theta*;
* ``statdim`` -- Gordon's threshold D - delta for a quadratic well of any size (the statistical
  dimension of its sublevel cone from a grouped spectrum), and the kinematic bracket;
* ``synthetic`` -- synthetic quadratic wells trained in random subspaces through the engine;
* ``network_well`` -- the quadratic-well model of a trained network (Hessian at theta*) and the
  thresholds it predicts;
* ``models`` -- Conv-2, the full-size model of chapters 05 and 06;
* ``figures`` -- the chapter's figures and its widget.
"""

from dofcourse.phase.grid import burn_in_anchors, phase_grid
from dofcourse.phase.logistic import LogisticFit, logistic, logistic_fit
from dofcourse.phase.models import conv2_small
from dofcourse.phase.network_well import (
    anchor_levels,
    bulk_levels,
    network_well,
    predicted_thresholds,
)
from dofcourse.phase.statdim import kinematic_bracket, sublevel_statdim
from dofcourse.phase.success import (
    DELTA,
    burn_in_effect,
    empirical_width,
    success_matrix,
    success_table,
    threshold,
    thresholds,
)
from dofcourse.phase.synthetic import well_levels, well_problem, well_runs, well_sweep

__all__ = [
    "DELTA",
    "LogisticFit",
    "anchor_levels",
    "bulk_levels",
    "burn_in_anchors",
    "conv2_small",
    "burn_in_effect",
    "empirical_width",
    "kinematic_bracket",
    "logistic",
    "logistic_fit",
    "network_well",
    "phase_grid",
    "predicted_thresholds",
    "sublevel_statdim",
    "success_matrix",
    "success_table",
    "threshold",
    "thresholds",
    "well_levels",
    "well_problem",
    "well_runs",
    "well_sweep",
]
