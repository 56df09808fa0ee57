"""What is shipped: the entries of a folder, their size, replaying one, adding a staging folder.

The tooling around the shipped results (``make ship``, ``python -m dofcourse.shipped``,
``tests/test_shipped.py``'s honesty check); chapters never call it.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dofcourse import experiment as ex
from dofcourse.experiment import codec, grids, store
from dofcourse.shipped.layer import (
    FOLDER,
    MAX_TOTAL_BYTES,
    _load,
    folder,
    refusal,
    worth_shipping,
)


# ============================================================================ what is shipped
@dataclass(frozen=True)
class Entry:
    """One shipped file: its path, function, size in bytes, compute seconds (None: unknown),
    and its record (the whole stored dict, value still encoded)."""

    path: Path
    function: str
    nbytes: int
    seconds: float | None
    record: dict[str, Any]


def entries(root: Path | None = None) -> list[Entry]:
    """Every shipped entry under ``root`` (default :func:`folder`), each checked as on reading."""
    root = root or folder()
    out = []
    for path in sorted(root.glob("*/*.pt")):
        entry = _load(path, path.stem)
        out.append(Entry(path, entry["function"], path.stat().st_size, entry["seconds"], entry))
    return out


def total_bytes(root: Path | None = None) -> int:
    """Bytes of every entry file under ``root`` (default :func:`folder`)."""
    return sum(p.stat().st_size for p in (root or folder()).glob("*/*.pt"))


def summary(root: Path | None = None) -> str:
    """One line: how many entries, of how many functions, how many bytes, against the limit."""
    found = entries(root)
    total = sum(e.nbytes for e in found)
    return (
        f"{len(found)} shipped entries of {len({e.function for e in found})} functions, "
        f"{total / 2**20:.2f} MB (limit {MAX_TOTAL_BYTES / 2**20:.0f} MB) in {root or folder()}"
    )


def replay(entry: Entry) -> tuple[str, Any]:
    """Recompute a shipped entry with the current code, uncached: (code-free key of the call as
    made now, value). Needs the entry's stored arguments (``entry.record["replay"]``)."""
    rec = entry.record["replay"]
    if rec is None:
        raise ValueError(f"{entry.path}: its arguments were not stored, it cannot be replayed")
    module, _, _ = entry.function.rpartition(".")
    while module and module not in sys.modules:
        try:
            importlib.import_module(module)
        except ImportError:
            module = module.rpartition(".")[0]
            continue
        break
    obj: Any = sys.modules[module]
    for part in entry.function[len(module) + 1 :].split("."):
        obj = getattr(obj, part)
    fixed, point = codec.decode(rec["fixed"]), codec.decode(rec["point"])
    if entry.record["batched"]:
        exp = _batched_of(obj, module)
        fixed_key = ex.digest(exp.fn, fixed, code=False)
        key = grids.point_digest(exp, fixed_key, point)
        return key, codec.decode(codec.encode(exp.fn([point], **fixed)[0]))
    fn = getattr(obj, "uncached", obj)
    return ex.digest(fn, fixed, code=False), codec.decode(codec.encode(fn(**fixed)))


def _batched_of(fn: Any, module: str) -> ex.Batched:
    """The :class:`~dofcourse.experiment.Batched` object whose function is ``fn``."""
    if isinstance(fn, ex.Batched):
        return fn
    for value in vars(sys.modules[module]).values():
        if isinstance(value, ex.Batched) and value.fn is fn:
            return value
    raise LookupError(f"no batched experiment in {module} runs {fn!r}")


def checksum(path: Path) -> str:
    """SHA-256 of a file's bytes (to compare two folders of entries)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def worth_its_size(found: list[Entry]) -> set[str]:
    """The functions whose entries in ``found``, all together, are worth their size
    (``worth_shipping`` on their total bytes and CPU seconds; unknown seconds count as worth
    it): many small entries that are cheap to recompute (960 synthetic wells in 5.6 MB for
    1.7 min of CPU) are left out as one large cheap entry would be."""
    totals: dict[str, list[float]] = {}
    for e in found:
        t = totals.setdefault(e.function, [0.0, 0.0, 0.0])
        t[0] += e.nbytes
        t[1] += e.seconds or 0.0
        t[2] += e.seconds is None
    return {f for f, (nb, s, unknown) in totals.items() if unknown or worth_shipping(int(nb), s, f)}


def split(found: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """(kept, left out) of ``found``: left out, an entry that ``refusal`` refuses and every entry
    of a function whose entries together are not worth their size (:func:`worth_its_size`)."""
    worth = worth_its_size(found)
    kept, left = [], []
    for e in found:
        ok = e.function in worth and refusal(e.nbytes, e.seconds, e.function) is None
        (kept if ok else left).append(e)
    return kept, left


def add(source: Path, target: Path | None = None) -> tuple[list[Entry], list[Entry]]:
    """Copy the entries of a staging folder ``source`` (a ``--ship DIR`` run's) into ``target``
    (default :data:`FOLDER`), each checked as on reading, less those :func:`split` leaves out.
    Returns (copied, left out)."""
    target = target or FOLDER
    copied, left = split(entries(source))
    for e in copied:
        dest = target / e.path.parent.name / e.path.name
        dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        store.write_bytes(dest, e.path.read_bytes())
    return copied, left


def prune(root: Path | None = None) -> list[Entry]:
    """Remove from ``root`` (default :func:`folder`) the entries that :func:`split` leaves out, and
    return them: what a ``--ship`` run wrote entry by entry, judged per function at its end."""
    _, left = split(entries(root))
    for e in left:
        e.path.unlink()
    return left


def left_out_lines(left: list[Entry]) -> list[str]:
    """One line per function of the entries ``left`` out: how many, their MB and CPU minutes."""
    by: dict[str, list[Entry]] = {}
    for e in left:
        by.setdefault(e.function, []).append(e)
    return [f"  left out (not worth its size, or over the limit per entry): {name}, {len(es)} "
            f"entries, {sum(e.nbytes for e in es) / 2**20:.2f} MB, "
            f"{sum(e.seconds or 0.0 for e in es) / 60:.1f} min CPU"
            for name, es in sorted(by.items())]  # fmt: skip
