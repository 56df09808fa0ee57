"""Results of long runs, cached on disk and keyed by everything they depend on.

A chapter that trains hundreds of networks should redraw its figures at once when it is run again,
and a sweep stopped half-way (a closed laptop, a Binder time-out) should resume where it stopped.
So every result is stored under a hash of its *key*: the arguments, the data, and the package
version together with a fingerprint of the package's source code. Change any of them and a new
entry is made; nothing stale is ever read back.

Files are written atomically (a temporary file in the same folder, then ``os.replace``), so an
interrupted write never leaves a half-written entry behind.

Set ``DOFCOURSE_NO_CACHE=1`` to recompute everything (nothing is read or written).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm

from dofcourse import __version__, config

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
    return os.environ.get("DOFCOURSE_NO_CACHE", "").strip().lower() not in {"1", "true", "yes"}


def _path(namespace: str, digest: str) -> Path:
    folder = config.cache_dir() / namespace
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{digest}.pt"


def _save_atomic(obj: Any, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(namespace: str, **key: Any) -> Any | None:
    """The stored result for ``key``, or None if there is none (or caching is off)."""
    if not _enabled():
        return None
    path = _path(namespace, key_hash(**key))
    return torch.load(path, weights_only=False) if path.exists() else None


def store(namespace: str, result: T, **key: Any) -> T:
    """Save ``result`` under ``key`` (atomically) and return it; a no-op when caching is off."""
    if _enabled():
        _save_atomic(result, _path(namespace, key_hash(**key)))
    return result


def cached(namespace: str, compute: Callable[[], T], **key: Any) -> T:
    """Return ``compute()``, from disk if the same ``key`` was computed before.

    ``namespace`` is a folder name such as ``"ch03/accuracy_vs_d"``; ``key`` holds everything the
    result depends on. The result must be storable by ``torch.save`` (tensors, numbers, dicts…)
    and must not be None (None means "not cached").
    """
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
    results = []
    for point in tqdm(points, desc=desc or namespace, leave=False):
        results.append(cached(namespace, lambda p=point: compute(p), **key, point=point))
    return results
