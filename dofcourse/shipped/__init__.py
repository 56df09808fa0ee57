"""Full-mode results that ship with the course: a read-only layer under the experiment cache.

Full mode reproduces the papers' experiments, which take hours on a laptop. Their plain-data
results (tables, curves, thresholds; not model weights) are committed in
``dofcourse/results/full/`` (installed with the package, so a class that installs the wheel gets
them too), and a chapter in full mode reads them **only on a cache miss**, so a student sees the
paper-scale figures in seconds and can still recompute any of them.

* **Keys without the code.** A shipped entry is keyed by the function's name and the digest of
  its complete bound call *without* the package's code fingerprints
  (``experiment.digest(fn, arguments, code=False)``): were the code in the key, every later edit of
  the package would silently discard the shipped results and send a student into hours of
  computing. Each entry records instead the code fingerprint, the commit and the date that made
  it, and how long the computation took; a result made by code that has changed since is still
  used, and said so once per module. ``tests/test_shipped.py`` recomputes a sample of the
  cheapest entries with the current code and fails when they no longer agree.
* **When.** Only in full mode, only when the cache misses, never with ``DOFCOURSE_SHIPPED=0``
  (recompute everything; results go to the cache as usual) or ``DOFCOURSE_NO_CACHE=1``. The first
  use in a kernel prints where the results come from and how to recompute them.
* **Safety.** Entries are the cache's own format (plain data, a SHA-256 checksum, read with
  ``torch.load(weights_only=True)`` from one no-follow open), and the cache's checks apply: a
  folder or file owned by another user (root excepted: an installed package) or writable by
  others is refused, as is a file whose checksum or key does not match; a refused file is named in
  a warning and the result recomputed (the file is left alone: the folder is the course's, not the
  user's cache).
* **Writing.** ``python -m dofcourse.runner --mode full --ship`` (``make ship``) sets
  ``DOFCOURSE_SHIP_TO`` for the kernels it runs: every result a full-mode run computes or reads is
  then written to that folder. Only plain data of at most :data:`MAX_ENTRY_BYTES` per entry is
  written (a larger one, such as model weights, is skipped with a warning and recomputed by a
  student), and one over 64 KB only when it saves at least a minute of computing per MB
  (:func:`refusal`); at the end of the run, :func:`prune` removes the entries of a function
  whose entries together are not worth their size; :func:`summary` gives the folder's size,
  which the runner checks against :data:`MAX_TOTAL_BYTES`. Where the call's arguments are small
  plain data they are stored too (``replay``), so that a test can recompute the entry from the
  entry alone.

``DOFCOURSE_SHIPPED_DIR`` points the layer at another folder (the tests do).

The package: :mod:`.layer` (when, and reading), :mod:`.writing` (:func:`record`),
:mod:`.catalog` (what is shipped: :func:`entries`, :func:`summary`, :func:`replay`, :func:`add`)
and ``python -m dofcourse.shipped`` (:mod:`.__main__`).
"""

from dofcourse.shipped.catalog import (
    Entry,
    add,
    entries,
    left_out_lines,
    prune,
    replay,
    split,
    summary,
    total_bytes,
    worth_its_size,
)
from dofcourse.shipped.layer import (
    FOLDER,
    KEY_INPUTS,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    MIN_SECONDS_PER_MB,
    active,
    folder,
    lookup,
    refusal,
    ship_to,
    worth_shipping,
)
from dofcourse.shipped.writing import record

__all__ = [
    "FOLDER",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "MIN_SECONDS_PER_MB",
    "KEY_INPUTS",
    "Entry",
    "active",
    "folder",
    "ship_to",
    "worth_shipping",
    "worth_its_size",
    "refusal",
    "split",
    "prune",
    "left_out_lines",
    "lookup",
    "record",
    "entries",
    "summary",
    "total_bytes",
    "add",
    "replay",
]
