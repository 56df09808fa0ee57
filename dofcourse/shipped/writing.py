"""Writing shipped results: what a ``make ship`` run records, with its provenance.

:func:`record` is the hook ``dofcourse.experiment`` calls with every result a full-mode run
computes or reads while ``DOFCOURSE_SHIP_TO`` is set. It writes plain data of at most
:data:`MAX_ENTRY_BYTES` that is worth its size (``layer.refusal``), with the code
fingerprint, commit, date and CPU seconds, and, where the call's arguments are small plain data,
the arguments themselves (so a test can replay it).
"""

from __future__ import annotations

import datetime as _dt
import io
import subprocess
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dofcourse import experiment as ex
from dofcourse.experiment import codec, store
from dofcourse.shipped.layer import MAX_REPLAY_BYTES, _name, refusal, ship_to

_commit: str | None = None
_skipped: set[tuple[str, str]] = set()  # (function, why): warned once each


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
    that ``layer.refusal`` refuses (over :data:`MAX_ENTRY_BYTES`, or not worth its size) is
    skipped with a warning."""
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
    why = refusal(size, entry["seconds"], name)
    if why is not None:
        if (name, why) not in _skipped:
            _skipped.add((name, why))
            warnings.warn(f"{name}: an entry of {size / 2**20:.2f} MB is not shipped ({why})",
                          stacklevel=3)  # fmt: skip
        return
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    store.write(target, entry)
