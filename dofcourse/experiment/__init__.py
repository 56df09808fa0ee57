"""Results of experiments, cached on disk by everything they depend on, and grids of them.

Chapters 01–08 train thousands of networks. Running a chapter again should redraw its figures at
once; a sweep stopped half-way (a closed laptop, a Binder time-out, Ctrl-C) should resume where it
stopped; and a changed input must never return an old result. This module does that for any
package function, in two forms:

* ``@experiment.cached`` on a function: a call's result is stored under the digest of its
  **complete bound call** (every argument, defaults included; tensors, models with their frozen
  parameters and buffers, and datasets by content) and of the **code it runs**: the source of the
  function's module and of every package module that module imports, transitively (docstrings and
  comments excluded, so editing a docstring keeps the entries; editing the code of an unrelated
  module keeps them too).
* ``@experiment.batched`` on a function that computes many points of a grid at once (a vectorised
  ensemble, ``dofcourse.ensemble``) and :func:`grid` to run it over named axes: every point is
  cached on its own under the key of its own call, the missing points are computed in chunks, each
  chunk is stored as soon as it is done, and the result is a long-format ``pandas.DataFrame`` with
  one row per point. ``grid(..., executor=...)`` ships the chunks to anything with the
  ``concurrent.futures`` interface (a Dask client, a submitit executor): the cache is the join
  point.

Entries hold plain data only (tensors, NumPy arrays, numbers, strings, lists, dicts, pandas tables
and the package's own dataclasses); they are loaded with ``torch.load(weights_only=True,
map_location="cpu")``, so a file in the cache cannot run code, and an entry saved on a GPU loads on
a laptop. An entry never names a module to import (a dataclass is rebuilt only from a package
module already loaded, through its constructor, so its validation runs). Every entry stores its
key's digest and a SHA-256 checksum of its bytes, both checked on load; a file that is not a
regular file (a FIFO, a link), was written by another user, can be written by other users, or
whose checksum or key does not match is named in a warning, removed and recomputed.

The cache is the user's own: a cache folder that another user owns, or that other users can write
to, is refused with an :class:`UnsafeCacheError` that says how to fix it (as ssh refuses such
key files). Folders are created ``0o755`` and entries ``0o644`` at most (less under a stricter
umask). Writes are atomic (a temporary file in the same folder, then ``os.replace``), and a
temporary file left by a killed process is removed by a later run. A cache that cannot be written
(a read-only folder, a full disk) warns once and the computed result is returned uncached; a
grid keeps every point it finished.

In full mode a miss is looked up next in the results that ship with the course
(``dofcourse.shipped``: read-only, keyed without the code fingerprints, ``DOFCOURSE_SHIPPED=0``
turns it off); each entry records the CPU seconds its computation took.

``DOFCOURSE_NO_CACHE=1`` recomputes everything (nothing is read or written);
``DOFCOURSE_CACHE`` moves the folder (default ``.cache/``; ``~`` and relative paths are made
absolute once, so reading and writing use the same folder).

The package, one idea per module: :mod:`.codec` (the plain-data form of an entry),
:mod:`.fingerprint` (the code a result depends on), :mod:`.keys` (the digest of a call),
:mod:`.store` (the files), :mod:`.cache` (``@cached``) and :mod:`.grids` (``@batched`` and
:func:`grid`).
"""

from dofcourse.experiment.cache import cached
from dofcourse.experiment.codec import FORMAT as FORMAT
from dofcourse.experiment.fingerprint import closure as closure
from dofcourse.experiment.fingerprint import code_fingerprint
from dofcourse.experiment.grids import Batched as Batched
from dofcourse.experiment.grids import GridError, batched, grid
from dofcourse.experiment.keys import digest
from dofcourse.experiment.store import UnsafeCacheError, enabled

__all__ = [
    "cached",
    "batched",
    "grid",
    "digest",
    "code_fingerprint",
    "enabled",
    "GridError",
    "UnsafeCacheError",
]
