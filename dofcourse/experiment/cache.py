"""``@experiment.cached``: one call's result, stored under its key (``dofcourse.experiment``).

In full mode a miss is looked up next in the results that ship with the course
(``dofcourse.shipped``: read-only, keyed without the code fingerprints); each entry records the
CPU seconds its computation took.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dofcourse import config
from dofcourse.experiment.keys import digest
from dofcourse.experiment.store import enabled, folder_of, read, save


def shipped_layer() -> Any:
    """The shipped-results layer (``dofcourse.shipped``) in full mode, else None (quick mode
    never imports it)."""
    if config.is_quick():
        return None
    from dofcourse import shipped

    return shipped


def bind(sig: inspect.Signature, ignore: Iterable[str], *args: Any, **kwargs: Any) -> dict:
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in set(ignore)}


def cached(fn: Callable[..., Any] | None = None, *, ignore: Sequence[str] = ("progress",)) -> Any:
    """Decorate a package function so that its results are cached on disk (see the module text).

    ``ignore`` names arguments that do not change the result (a progress bar). The decorated
    function has ``.uncached`` (the original) and ``.digest(*args, **kwargs)``. A result and its
    cached copy have the same types: the first call returns the stored form too.
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(f)

        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not enabled():
                return f(*args, **kwargs)
            arguments = bind(sig, ignore, *args, **kwargs)
            key = digest(f, arguments)
            folder = folder_of(f)
            if folder is None:
                return f(*args, **kwargs)
            path = folder / f"{key}.pt"
            meta: dict[str, Any] = {}
            found, value = read(path, key, meta)
            ship = shipped_layer()
            free = (
                digest(f, arguments, code=False)
                if ship and (ship.active() or ship.ship_to())
                else ""
            )
            if not found and free and ship.active():  # a miss: the course's full-mode results
                found, value = ship.lookup(f, free, meta)
            if not found:
                start = time.process_time()
                result = f(*args, **kwargs)
                meta["seconds"] = time.process_time() - start
                value = save(path, f, key, arguments, result, meta["seconds"])
            if free:
                ship.record(f, free, arguments, value, meta)
            return value

        wrapper.uncached = f  # type: ignore[attr-defined]
        wrapper.digest = lambda *a, **k: digest(f, bind(sig, ignore, *a, **k))  # type: ignore[attr-defined]
        return wrapper

    return decorate(fn) if fn is not None else decorate
