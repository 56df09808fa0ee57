"""Looking at a loss landscape: slices through a point, and the explorer of chapter 01.

* ``slices`` -- :func:`slice_1d`, :func:`slice_2d` (the loss on a line or a plane, one ``vmap``
  call), :func:`random_direction` (filter-normalised), :func:`hessian_directions`.
* ``explorer`` -- drawing slices, and the widget that trains and draws a small ensemble.
"""

from dofcourse.landscape.explorer import explore, explorer, plot_slice_1d, plot_slice_2d
from dofcourse.landscape.slices import (
    LossFn,
    hessian_directions,
    random_direction,
    slice_1d,
    slice_2d,
)

__all__ = [
    "LossFn",
    "explore",
    "explorer",
    "hessian_directions",
    "plot_slice_1d",
    "plot_slice_2d",
    "random_direction",
    "slice_1d",
    "slice_2d",
]
