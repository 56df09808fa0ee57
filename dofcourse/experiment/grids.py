"""``@experiment.batched`` and :func:`grid`: many points of a sweep at once, each cached on its own.

A batched function computes many grid points at once (a vectorised ensemble,
``dofcourse.ensemble``); :func:`grid` runs it over named axes. Every point is cached under the key
of its own call, the missing points are computed in chunks, each chunk is stored as soon as it is
done (an interrupted grid resumes), and the result is a long-format ``pandas.DataFrame`` with one
row per point. ``grid(..., executor=...)`` ships the chunks to anything with the
``concurrent.futures`` interface (a Dask client, a submitit executor): the cache is the join point.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from dofcourse.experiment.cache import bind, shipped_layer
from dofcourse.experiment.fingerprint import code_fingerprint
from dofcourse.experiment.keys import digest, feed
from dofcourse.experiment.store import enabled, folder_of, read, save


class Batched:
    """A function ``fn(points, **fixed) -> results`` that computes many grid points at once.

    Made by :func:`batched`; run it over a grid with :func:`grid`. ``axes`` names the keys of each
    point; ``sort_by`` orders the missing points before they are cut into chunks (runs of similar
    size together); ``chunk`` is the number of points per call, or a function
    ``chunk(points, fixed) -> list of chunks`` (to fit a memory budget).
    """

    def __init__(
        self,
        fn: Callable[..., list[Any]],
        axes: Sequence[str],
        chunk: int | Callable[[list[dict], dict], list[list[dict]]],
        sort_by: Sequence[str],
        ignore: Sequence[str],
    ) -> None:
        self.fn, self.axes, self.chunk = fn, tuple(axes), chunk
        self.sort_by, self.ignore = tuple(sort_by), tuple(ignore)
        params = list(inspect.signature(fn).parameters.values())
        if not params or params[0].name != "points":
            raise TypeError(f"a batched experiment takes `points` first, got {fn.__qualname__}")
        self.signature = inspect.Signature(params[1:])
        functools.update_wrapper(self, fn)

    def __call__(self, points: list[dict], **fixed: Any) -> list[Any]:
        """Compute ``points`` now (no cache)."""
        return self.fn(points, **fixed)

    def chunks(self, points: list[dict], fixed: dict) -> list[list[dict]]:
        points = sorted(points, key=lambda p: tuple(p[a] for a in self.sort_by))
        if callable(self.chunk):
            return self.chunk(points, fixed)
        return [points[i : i + self.chunk] for i in range(0, len(points), self.chunk)]


def batched(
    *,
    axes: Sequence[str],
    chunk: int | Callable[[list[dict], dict], list[list[dict]]] = 32,
    sort_by: Sequence[str] = (),
    ignore: Sequence[str] = ("progress",),
) -> Callable[[Callable[..., list[Any]]], Batched]:
    """Decorator: make ``fn(points, **fixed)`` a :class:`Batched` experiment for :func:`grid`."""
    return lambda fn: Batched(fn, axes, chunk, sort_by, ignore)


class GridError(RuntimeError):
    """Some chunks of a grid failed (after retries); ``failed`` lists their points and errors.

    Every point that did finish is stored in the cache, so running the grid again computes only
    the failed points.
    """

    def __init__(self, failed: list[tuple[list[dict], BaseException]]) -> None:
        self.failed = failed
        lines = [f"  {pts} -> {type(e).__name__}: {e}" for pts, e in failed]
        super().__init__(f"{len(failed)} chunk(s) of the grid failed:\n" + "\n".join(lines))


def point_digest(exp: Batched, fixed_digest: str, point: Mapping[str, Any]) -> str:
    h = hashlib.sha256(f"{fixed_digest};point:".encode())
    feed(h, dict(point))
    return h.hexdigest()[:32]


def _run_chunk(
    module: str,
    qualname: str,
    expected_code: str,
    cache_root: str,
    points: list[dict],
    digests: list[str],
    fixed: dict,
) -> list[Any]:
    """Compute one chunk and store each point; runs in the caller or in an executor's worker."""
    exp: Any = importlib.import_module(module)
    for part in qualname.split("."):
        exp = getattr(exp, part)
    if code_fingerprint(module) != expected_code:
        raise RuntimeError(
            f"the worker runs different code for {module} than the caller: install the same "
            "version of the course on every worker"
        )
    start = time.process_time()
    results = exp.fn(points, **fixed)
    each = (time.process_time() - start) / max(len(points), 1)
    if len(results) != len(points):
        raise RuntimeError(f"{qualname} returned {len(results)} results for {len(points)} points")
    folder = folder_of(exp.fn, Path(cache_root)) if cache_root and enabled() else None
    if folder is None:
        return results
    return [
        save(folder / f"{d}.pt", exp.fn, d, {**p}, r, each)
        for p, d, r in zip(points, digests, results, strict=True)
    ]


def grid(
    exp: Batched,
    axes: Mapping[str, Sequence[Any]],
    *,
    executor: Any = None,
    retries: int = 1,
    progress: bool = True,
    desc: str | None = None,
    **fixed: Any,
) -> pd.DataFrame:
    """Run the batched experiment ``exp`` over every combination of ``axes``; one row per point.

    ``axes`` maps each of ``exp.axes`` to its values (the rows come in the order of their product);
    ``fixed`` holds the other arguments of ``exp``. Points already in the cache are read; the rest
    are computed in chunks, each stored as soon as it finishes, so an interrupted grid resumes.
    The table has a column per axis and per field of the results (a result that is not a
    dataclass or a dict goes in a column ``"result"``).

    ``executor`` (anything with ``submit(fn, *args) -> Future``: ``dask.distributed.Client``, a
    ``submitit`` executor, ``concurrent.futures.ProcessPoolExecutor``) runs the chunks as tasks;
    the workers write to the same cache folder (which they must be able to reach). A failed chunk
    is submitted again up to ``retries`` times, then reported by its points in a
    :class:`GridError`.
    """
    if not isinstance(exp, Batched):
        raise TypeError(f"exp must be an @experiment.batched function, got {exp!r}")
    if not isinstance(axes, Mapping):
        raise TypeError(f"axes must map each axis name to its values, got {axes!r:.60}")
    if set(axes) != set(exp.axes):
        raise ValueError(f"axes must be exactly {list(exp.axes)}, got {list(axes)}")
    values = {a: list(axes[a]) for a in exp.axes}
    for a, v in values.items():
        if not v:
            raise ValueError(f"axis {a!r} has no values")
    points = [
        dict(zip(exp.axes, combo, strict=True)) for combo in itertools.product(*values.values())
    ]
    fixed_args = bind(exp.signature, exp.ignore, **fixed)
    use_cache = enabled()
    fixed_digest = digest(exp.fn, fixed_args) if use_cache else ""
    keys = [point_digest(exp, fixed_digest, p) for p in points] if use_cache else [""] * len(points)
    results: dict[int, Any] = {}
    metas: dict[int, dict[str, Any]] = {}
    folder = folder_of(exp.fn) if use_cache else None
    if folder is not None:
        for i, key in enumerate(keys):
            meta: dict[str, Any] = {}
            found, value = read(folder / f"{key}.pt", key, meta)
            if found:
                results[i], metas[i] = value, meta
    ship = shipped_layer() if folder is not None else None
    free: list[str] = []
    if ship and (ship.active() or ship.ship_to()):  # the course's full-mode results
        fixed_free = digest(exp.fn, fixed_args, code=False)
        free = [point_digest(exp, fixed_free, p) for p in points]
        if ship.active():
            for i in range(len(points)):
                if i in results:
                    continue
                meta = {}
                found, value = ship.lookup(exp.fn, free[i], meta)
                if found:
                    results[i], metas[i] = value, meta
    todo = [i for i in range(len(points)) if i not in results]
    index = {id(points[i]): i for i in todo}
    chunks = [[index[id(p)] for p in part] for part in exp.chunks([points[i] for i in todo], fixed)]
    bar = tqdm(
        total=len(points),
        initial=len(points) - len(todo),
        desc=desc or exp.fn.__name__,
        disable=not progress,
    )
    job = (exp.fn.__module__, exp.fn.__qualname__, code_fingerprint(exp.fn.__module__))
    root = str(folder.parent) if folder is not None else ""  # "": the workers store nothing

    def args_of(part: list[int]) -> tuple:
        return (*job, root, [points[i] for i in part], [keys[i] for i in part], fixed)

    try:
        if executor is None:
            for part in chunks:
                start = time.process_time()
                out = _run_chunk(*args_of(part))
                each = (time.process_time() - start) / len(part)
                results.update(zip(part, out, strict=True))
                metas.update((i, {"seconds": each}) for i in part)
                bar.update(len(part))
        else:
            _run_with_executor(executor, chunks, args_of, results, bar, retries)
    finally:
        bar.close()
    if free and ship is not None and ship.ship_to():
        for i, p in enumerate(points):
            ship.record(exp.fn, free[i], fixed_args, results[i], metas.get(i, {}), point=p)
    return _table(points, [results[i] for i in range(len(points))])


def _run_with_executor(executor, chunks, args_of, results, bar, retries: int) -> None:
    pending: dict[Future, tuple[list[int], int]] = {
        executor.submit(_run_chunk, *args_of(part)): (part, 0) for part in chunks
    }
    failed: list[tuple[list[dict], BaseException]] = []
    while pending:
        for fut in list(pending):
            if not fut.done():
                continue
            part, tries = pending.pop(fut)
            try:
                out = fut.result()
            except Exception as err:  # noqa: BLE001 (a worker's failure is reported by point)
                if tries < retries:
                    pending[executor.submit(_run_chunk, *args_of(part))] = (part, tries + 1)
                else:
                    failed.append((args_of(part)[4], err))
                continue
            results.update(zip(part, out, strict=True))
            bar.update(len(part))
        time.sleep(0.05)
    if failed:
        raise GridError(failed)


def _table(points: list[dict], results: list[Any]) -> pd.DataFrame:
    rows = []
    for p, r in zip(points, results, strict=True):
        if dataclasses.is_dataclass(r) and not isinstance(r, type):
            fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(r)}
        elif isinstance(r, Mapping):
            fields = dict(r)
        else:
            fields = {"result": r}
        clash = set(fields) & set(p)
        if clash:
            fields = {(f"result_{k}" if k in clash else k): v for k, v in fields.items()}
        rows.append({**p, **fields})
    return pd.DataFrame(rows)
