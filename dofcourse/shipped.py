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
  student); :func:`summary` gives the folder's size, which the runner checks against
  :data:`MAX_TOTAL_BYTES`. Where the call's arguments are small plain data they are stored too
  (``replay``), so that a test can recompute the entry from the entry alone.

``DOFCOURSE_SHIPPED_DIR`` points the layer at another folder (the tests do).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import io
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dofcourse import config
from dofcourse import experiment as ex
from dofcourse.experiment import codec, grids, store

FOLDER = Path(__file__).resolve().parent / "results" / "full"
MAX_ENTRY_BYTES = 1 << 20  # larger: a network's weights (LeNet-300-100: 1.07 MB), not shipped
MAX_TOTAL_BYTES = 20 << 20  # everything shipped, at most
MAX_REPLAY_BYTES = 64 << 10  # arguments stored with an entry so that a test can recompute it

__all__ = [
    "FOLDER",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "Entry",
    "active",
    "folder",
    "ship_to",
    "lookup",
    "record",
    "entries",
    "summary",
    "total_bytes",
    "add",
    "replay",
]

_announced: set[str] = set()
_skipped: set[str] = set()
_commit: str | None = None


# ============================================================================ when
def folder() -> Path:
    """The shipped results' folder: ``DOFCOURSE_SHIPPED_DIR`` or :data:`FOLDER`."""
    given = os.environ.get("DOFCOURSE_SHIPPED_DIR")
    return Path(given).expanduser().absolute() if given else FOLDER


def active() -> bool:
    """True when shipped results may be read: full mode, the cache on, ``DOFCOURSE_SHIPPED`` not
    off (unset means on), and the folder present."""
    if config.is_quick() or not ex.enabled():
        return False
    if os.environ.get("DOFCOURSE_SHIPPED", "").strip() and not config.flag("DOFCOURSE_SHIPPED"):
        return False
    return folder().is_dir()


def ship_to() -> Path | None:
    """The folder a ``--ship`` run writes entries to (``DOFCOURSE_SHIP_TO``), in full mode only."""
    given = os.environ.get("DOFCOURSE_SHIP_TO")
    if not given or config.is_quick() or not ex.enabled():
        return None
    return Path(given).expanduser().absolute()


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}".replace("<", "").replace(">", "")


# ============================================================================ reading
def lookup(fn: Callable[..., Any], key: str, meta: dict | None = None) -> tuple[bool, Any]:
    """(found, value) of the shipped entry of ``fn`` under the code-free ``key``; ``meta``, when
    given, receives the entry's compute ``seconds``.

    A file that cannot be used (not a regular file, not the user's or root's, writable by others,
    a wrong checksum or key) is named in a warning and missed; it is not removed."""
    root = folder()
    path = root / _name(fn) / f"{key}.pt"
    if not path.parent.is_dir():
        return False, None
    try:
        store.check_folder(root)
        store.check_folder(path.parent)
        entry = _load(path, key)
    except FileNotFoundError:
        return False, None
    except ex.UnsafeCacheError as err:
        warnings.warn(f"shipped results not used: {err}", stacklevel=3)
        return False, None
    except Exception as err:  # noqa: BLE001 (any unusable file is refused the same way)
        text = (str(err).strip().splitlines() or ["the file is empty or cut short"])[0]
        warnings.warn(
            f"shipped result {path} cannot be used ({type(err).__name__}: {text[:200]}); "
            "the result is recomputed",
            stacklevel=3,
        )
        return False, None
    _announce(fn, entry)
    if meta is not None:
        meta["seconds"], meta["shipped"] = entry.get("seconds"), path
    return True, codec.decode(entry["value"])


def _load(path: Path, key: str) -> dict[str, Any]:
    entry = store.load_entry(path)
    if not isinstance(entry, dict) or entry.get("format") != codec.FORMAT:
        raise ValueError("not a shipped entry of this format")
    if entry.get("digest") != key:
        raise ValueError("it holds the result of a different call (its key does not match)")
    return entry


def _announce(fn: Callable[..., Any], entry: Mapping[str, Any]) -> None:
    """Say once per kernel that shipped results are used, and once per module whose code has
    changed since its entries were made."""
    if "first" not in _announced:
        _announced.add("first")
        print(
            f"Full mode: results shipped with the course are used where this computer has none "
            f"(made at commit {entry.get('commit')} on {entry.get('made')}; "
            f"{folder()}). To recompute them, set DOFCOURSE_SHIPPED=0 "
            "(`%env DOFCOURSE_SHIPPED=0` in the first cell, or in the shell) and run again.",
            flush=True,
        )
    module = fn.__module__
    made_by = entry.get("code")
    if module in _announced or made_by is None or not module.startswith("dofcourse"):
        return
    _announced.add(module)
    now = ex.code_fingerprint(module)
    if now != made_by:
        print(
            f"note: shipped results of {module} were made by its code as of commit "
            f"{entry.get('commit')}, which has changed since (fingerprint {made_by} -> {now}); "
            "DOFCOURSE_SHIPPED=0 recomputes them with the current code.",
            flush=True,
        )


# ============================================================================ writing
def _git_commit() -> str:
    global _commit
    if _commit is None:
        try:
            _commit = subprocess.run(
                ["git", "describe", "--always", "--dirty", "--abbrev=10"],
                cwd=Path(__file__).resolve().parent,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            _commit = ""
        _commit = _commit or "unknown"
    return _commit


def _replayable(obj: Any, budget: list[int]) -> bool:
    """True when ``obj`` is small plain data that an entry can store (``budget``: bytes left)."""
    if obj is None or isinstance(obj, bool | int | float | str | torch.dtype):
        budget[0] -= 8 + (len(obj) if isinstance(obj, str) else 0)
    elif isinstance(obj, torch.Tensor):
        budget[0] -= obj.numel() * obj.element_size()
    elif isinstance(obj, np.ndarray | np.generic):
        if obj.dtype == object:
            return False
        budget[0] -= obj.nbytes
    elif isinstance(obj, list | tuple):
        return all(_replayable(v, budget) for v in obj) and budget[0] >= 0
    elif isinstance(obj, Mapping):
        return all(_replayable(k, budget) and _replayable(v, budget) for k, v in obj.items())
    elif hasattr(obj, "__dataclass_fields__") and not isinstance(obj, type):
        if not type(obj).__module__.startswith("dofcourse."):
            return False
        return all(_replayable(getattr(obj, f), budget) for f in obj.__dataclass_fields__)
    else:
        return False
    return budget[0] >= 0


def record(
    fn: Callable[..., Any],
    key: str,
    arguments: Mapping[str, Any],
    value: Any,
    meta: Mapping[str, Any],
    point: Mapping[str, Any] | None = None,
) -> None:
    """Write ``value`` (the result of ``fn`` on ``arguments``, plus ``point`` for a grid point)
    as a shipped entry under the code-free ``key``, when a ``--ship`` run asks for it
    (:func:`ship_to`). ``meta`` holds the compute ``seconds`` (CPU seconds of the process; None
    when unknown) and, for a value read from shipped results, the ``shipped`` file it came from:
    that file is copied as it is, so that an entry keeps the commit and code that made it. An entry
    larger than :data:`MAX_ENTRY_BYTES` is skipped with a warning."""
    to = ship_to()
    if to is None:
        return
    name = _name(fn)
    target = to / name / f"{key}.pt"
    source = meta.get("shipped")
    if source is not None:
        if Path(source).resolve() != target.resolve():
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            store.write_bytes(target, Path(source).read_bytes())
        return
    seconds = meta.get("seconds")
    args = {**arguments, **(point or {})}
    replay = None
    if _replayable(args, [MAX_REPLAY_BYTES]):
        replay = {"fixed": codec.encode(dict(arguments)), "point": codec.encode(dict(point or {}))}
    code = ex.code_fingerprint(fn.__module__) if fn.__module__.startswith("dofcourse") else None
    entry = {
        "format": codec.FORMAT,
        "digest": key,
        "function": name,
        "key": store.describe(args),
        "value": codec.encode(value),
        "code": code,
        "commit": _git_commit(),
        "made": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": None if seconds is None else float(seconds),
        "replay": replay,
        "batched": point is not None,
    }
    buf = io.BytesIO()
    torch.save(entry, buf)
    size = buf.getbuffer().nbytes
    if size > MAX_ENTRY_BYTES:
        if name not in _skipped:
            _skipped.add(name)
            warnings.warn(
                f"{name}: an entry of {size / 2**20:.1f} MB is not shipped (at most "
                f"{MAX_ENTRY_BYTES / 2**20:.0f} MB each: model weights stay on the computer "
                "that made them)",
                stacklevel=3,
            )
        return
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    store.write(target, entry)


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


def add(source: Path, target: Path | None = None) -> tuple[list[Entry], list[Entry]]:
    """Copy the entries of a staging folder ``source`` (a ``--ship DIR`` run's) into ``target``
    (default :data:`FOLDER`), each checked as on reading; those over :data:`MAX_ENTRY_BYTES`
    are left out. Returns (copied, left out)."""
    target = target or FOLDER
    copied, left = [], []
    for e in entries(source):
        if e.nbytes > MAX_ENTRY_BYTES:
            left.append(e)
            continue
        dest = target / e.path.parent.name / e.path.name
        dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        store.write_bytes(dest, e.path.read_bytes())
        copied.append(e)
    return copied, left


def main(argv: list[str] | None = None) -> int:
    """``python -m dofcourse.shipped [add DIR]``: the shipped results' size by function, after
    adding a staging folder's entries when asked."""
    import argparse

    parser = argparse.ArgumentParser(description="the results that ship with the course")
    parser.add_argument("action", nargs="?", choices=["list", "add"], default="list")
    parser.add_argument("source", nargs="?", type=Path, help="for add: a --ship DIR folder")
    args = parser.parse_args(argv)
    if args.action == "add":
        if args.source is None:
            parser.error("add needs the folder a `--ship DIR` run wrote")
        copied, left = add(args.source)
        print(f"added {len(copied)} entries from {args.source}")
        for e in left:
            print(f"  left out (over {MAX_ENTRY_BYTES / 2**20:.0f} MB: weights): {e.function} "
                  f"{e.nbytes / 2**20:.2f} MB")  # fmt: skip
    by_function: dict[str, list[Entry]] = {}
    for e in entries():
        by_function.setdefault(e.function, []).append(e)
    for name, es in sorted(by_function.items()):
        cpu = sum(e.seconds or 0.0 for e in es)
        print(f"{name:60s} {len(es):4d} entries {sum(e.nbytes for e in es) / 2**20:7.2f} MB "
              f"{cpu / 60:7.1f} min CPU")  # fmt: skip
    print(summary())
    return 1 if total_bytes() > MAX_TOTAL_BYTES else 0


if __name__ == "__main__":
    sys.exit(main())
