"""Results of long runs, cached on disk and keyed by everything they depend on.

A chapter that trains hundreds of networks should redraw its figures at once when it is run again,
and a sweep stopped half-way (a closed laptop, a Binder time-out) should resume where it stopped.
So every result is stored under a hash of its *key*: the arguments, the data, and the package
version together with a fingerprint of the package's source code. Change any of them and a new
entry is made; nothing stale is ever read back.

The files are those of ``dofcourse.experiment`` (the course's cache for package functions; this
module is the older keyed form, kept for callers that name their own key): plain data only (the
result must be tensors, arrays, numbers, strings, lists, dicts, DataFrames or the package's
dataclasses), loaded with ``torch.load(weights_only=True)`` so a planted file in a shared cache
cannot run code; the key's digest is stored in the entry and checked on load; an unreadable,
truncated or mismatched file is named in a warning, removed and recomputed; writes are atomic
(serialised in memory, then a temporary file and ``os.replace``, so Ctrl-C shows only the
interrupt), respect the umask, and temporary files of killed writers are removed later. A
``namespace`` is a relative folder inside the cache (``"ch03/accuracy"``); ``..``, absolute
paths and other characters are refused.

Set ``DOFCOURSE_NO_CACHE=1`` to recompute everything (nothing is read or written).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm

from dofcourse import __version__, config, experiment

T = TypeVar("T")


def _feed(h: Any, obj: Any) -> None:
    """Feed a canonical byte form of ``obj`` into the hash ``h``, recursively."""
    if obj is None or isinstance(obj, bool | int | float | str | bytes):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"tensor:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"ndarray:{a.dtype}:{a.shape};".encode())
        h.update(a.tobytes())
    elif isinstance(obj, torch.nn.Module):
        h.update(f"module:{type(obj).__qualname__};".encode())
        _feed(h, dict(obj.state_dict()))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dataclass:{type(obj).__qualname__};".encode())
        _feed(h, {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    elif isinstance(obj, Mapping):
        h.update(b"{")
        for k in sorted(obj, key=str):
            _feed(h, str(k))
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(b"[")
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, torch.device | torch.dtype):
        h.update(f"{type(obj).__name__}:{obj};".encode())
    else:
        raise TypeError(
            f"cannot use a {type(obj).__name__} in a cache key; pass plain values, "
            "tensors, arrays, modules, dataclasses, or dicts/lists of them"
        )


@functools.cache
def code_fingerprint() -> str:
    """Digest of every source file of the package: a code change invalidates cached results."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def key_hash(**key: Any) -> str:
    """A short hex digest of ``key``, the package version and :func:`code_fingerprint`."""
    h = hashlib.sha256()
    _feed(h, {"__version__": __version__, "__code__": code_fingerprint(), **key})
    return h.hexdigest()[:24]


def _enabled() -> bool:
    return experiment.enabled()


_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def check_namespace(namespace: str) -> str:
    """``namespace`` if it is a relative folder name inside the cache (parts of letters, digits,
    ``_ . -`` joined by ``/``), else one error: ``"../../x"`` would write outside the cache."""
    if not isinstance(namespace, str):
        raise TypeError(f"namespace must be a string such as 'ch03/accuracy', got {namespace!r}")
    parts = namespace.split("/")
    if not namespace or any(not _PART.fullmatch(p) or set(p) == {"."} for p in parts):
        raise ValueError(
            f"namespace must be a folder inside the cache such as 'ch03/accuracy' (letters, "
            f"digits, _ . - joined by /; no '..', no absolute path), got {namespace!r}"
        )
    return namespace


def _path(namespace: str, digest: str) -> Path:
    folder = config.cache_dir() / check_namespace(namespace)
    folder.mkdir(parents=True, exist_ok=True)
    experiment._clean_stale(folder)
    return folder / f"{digest}.pt"


def load(namespace: str, **key: Any) -> Any | None:
    """The stored result for ``key``, or None if there is none (or caching is off, or the file
    was unusable: it is then named in a warning and removed)."""
    if not _enabled():
        check_namespace(namespace)
        return None
    digest = key_hash(**key)
    found, value = experiment._read(_path(namespace, digest), digest)
    return value if found else None


def store(namespace: str, result: T, **key: Any) -> T:
    """Save ``result`` (plain data) under ``key`` (atomically) and return it; a no-op when
    caching is off."""
    check_namespace(namespace)
    if _enabled():
        digest = key_hash(**key)
        entry = {
            "format": experiment.FORMAT,
            "digest": digest,
            "function": f"dofcourse.cache:{namespace}",
            "key": experiment._describe(key),
            "value": experiment._encode(result),
        }
        experiment._write(_path(namespace, digest), entry)
    return result


def cached(namespace: str, compute: Callable[[], T], **key: Any) -> T:
    """Return ``compute()``, from disk if the same ``key`` was computed before.

    ``namespace`` is a folder name such as ``"ch03/accuracy_vs_d"``; ``key`` holds everything the
    result depends on. The result must be storable by ``torch.save`` (tensors, numbers, dicts…)
    and must not be None (None means "not cached").
    """
    if not callable(compute):
        raise TypeError(f"compute must be a function of no arguments, got {compute!r}")
    found = load(namespace, **key)
    return found if found is not None else store(namespace, compute(), **key)


def sweep(
    namespace: str,
    points: list[dict[str, Any]],
    compute: Callable[[dict[str, Any]], T],
    desc: str = "",
    **key: Any,
) -> list[T]:
    """``[compute(p) for p in points]``, each point cached on its own, with a progress bar.

    ``key`` holds what all points share (data, model, steps); each point's dict is added to it. A
    sweep that is interrupted keeps every finished point, and the next call computes only the rest.
    """
    check_namespace(namespace)
    if not callable(compute):
        raise TypeError(f"compute must be a function of a point, got {compute!r}")
    results = []
    for point in tqdm(points, desc=desc or namespace, leave=False):
        results.append(cached(namespace, lambda p=point: compute(p), **key, point=point))
    return results
