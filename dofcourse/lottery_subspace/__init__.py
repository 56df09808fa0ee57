"""Lottery subspaces: the directions training itself chooses (chapter 06).

One idea per module:

* ``trajectory`` -- the top singular vectors of a training trajectory's updates, exact (dense
  SVD) or streaming in bounded memory, for several prefix lengths of one run;
* ``overlap`` -- principal angles and energy fractions between subspaces, and the random baseline;
* ``tickets`` -- one-shot global magnitude pruning after a short training: a lottery ticket's
  coordinates;
* ``methods`` -- random, burn-in, lottery-subspace and lottery-ticket trainings at matched d on
  the engine's cached sweeps;
* ``figures`` -- the chapter's figures and its widget.
"""

from dofcourse.lottery_subspace.methods import (
    METHODS,
    compare_methods,
    lottery_bases,
    lottery_sweep,
    ticket_sweep,
)
from dofcourse.lottery_subspace.overlap import (
    energy_fraction,
    principal_cosines,
    random_energy_fraction,
)
from dofcourse.lottery_subspace.tickets import magnitude_ranking, random_ranking
from dofcourse.lottery_subspace.trajectory import StreamingSVD, trajectory_directions

__all__ = [
    "METHODS",
    "StreamingSVD",
    "compare_methods",
    "energy_fraction",
    "lottery_bases",
    "lottery_sweep",
    "magnitude_ranking",
    "principal_cosines",
    "random_energy_fraction",
    "random_ranking",
    "ticket_sweep",
    "trajectory_directions",
]
