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
"""

from __future__ import annotations

import ast
import contextvars
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import inspect
import io
import itertools
import os
import pickle
import stat
import sys
import time
import types
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from dofcourse import config

FORMAT = 2  # of the stored entries; a new format makes new keys
_MAGIC = b"dofcourse-cache-entry 2\n"  # then the payload's sha256 in hex, a newline, the payload
PACKAGE = "dofcourse"
_STALE_TMP_S = 600.0
# Modules whose code does not change what an experiment computes: not part of any fingerprint.
_INFRASTRUCTURE = {f"{PACKAGE}.experiment", f"{PACKAGE}.shipped"}
# False while a key is computed without the code (the shipped results' keys: dofcourse.shipped)
_WITH_CODE: contextvars.ContextVar[bool] = contextvars.ContextVar("with_code", default=True)

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


class UnsafeCacheError(RuntimeError):
    """The cache folder belongs to another user or other users can write to it: anyone able to
    write there could decide the results every chapter shows (the message says how to fix it)."""


# ============================================================================ keys: values
def _feed(h: Any, obj: Any, seen: set[int] | None = None) -> None:
    """Feed a canonical byte form of ``obj`` into the hash ``h`` (recursively, by content)."""
    seen = set() if seen is None else seen
    if obj is None or isinstance(obj, bool | int | float | str | bytes | complex):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item(), seen)
    elif isinstance(obj, torch.Tensor):
        h.update(f"tensor:{obj.dtype}:{tuple(obj.shape)}:{obj.requires_grad};".encode())
        if obj.numel():
            h.update(_tensor_digest(obj))
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError("cannot use a NumPy object array in a cache key")
        a = np.ascontiguousarray(obj)
        h.update(f"ndarray:{a.dtype}:{a.shape};".encode())
        h.update(a.tobytes())
    elif isinstance(obj, torch.nn.Module):
        _feed_module(h, obj, seen)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dataclass:{_qualified(type(obj))};".encode())
        _feed(h, {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, seen)
    elif isinstance(obj, Mapping):
        h.update(f"{{{len(obj)}:".encode())
        for k in sorted(obj, key=repr):
            _feed(h, k, seen)
            _feed(h, obj[k], seen)
        h.update(b"}")
    elif isinstance(obj, list | tuple | range):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            _feed(h, item, seen)
        h.update(b"]")
    elif isinstance(obj, set | frozenset):
        _feed(h, sorted(obj, key=repr), seen)
    elif isinstance(obj, torch.device | torch.dtype):
        # results do not depend on the device; dtype is kept (float32 vs float64 differ)
        h.update(
            f"{type(obj).__name__}:{obj if isinstance(obj, torch.dtype) else 'device'};".encode()
        )
    elif isinstance(obj, pd.DataFrame | pd.Series):
        h.update(
            f"pandas:{type(obj).__name__}:{list(map(str, getattr(obj, 'columns', [])))};".encode()
        )
        h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
    elif isinstance(obj, functools.partial):
        h.update(b"partial:")
        _feed(h, (obj.func, obj.args, obj.keywords), seen)
    elif isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        _feed_code(h, obj, seen)
    else:
        raise TypeError(
            f"cannot use a {type(obj).__name__} in a cache key: pass plain values, tensors, "
            "arrays, modules, datasets, settings (dataclasses), functions, or lists/dicts of them"
        )


_DIGESTS: dict[int, tuple[Any, int, int, bytes]] = {}  # id -> (weakref, version, ptr, digest)
_MEMO_BYTES = 1 << 16  # tensors this large are hashed once until they change


def _tensor_digest(obj: torch.Tensor) -> bytes:
    """SHA-256 of a tensor's bytes; a large one (a dataset's images) is hashed once and then
    remembered until it is modified in place (its version counter) or freed, so a cached call
    does not re-hash its data every time (0.1 s per 61 MB)."""
    nbytes = obj.numel() * obj.element_size()
    key = id(obj)
    if nbytes >= _MEMO_BYTES and key in _DIGESTS:
        ref, version, ptr, digest = _DIGESTS[key]
        if ref() is obj and version == obj._version and ptr == obj.data_ptr():
            return digest
    t = obj.detach().cpu().contiguous()
    digest = hashlib.sha256(t.view(-1).view(torch.uint8).numpy()).digest()
    if nbytes >= _MEMO_BYTES:
        try:
            ref = weakref.ref(obj, lambda _, k=key: _DIGESTS.pop(k, None))
        except TypeError:  # a tensor subclass without weak references: not remembered
            return digest
        _DIGESTS[key] = (ref, obj._version, obj.data_ptr(), digest)
    return digest


def _feed_module(h: Any, model: torch.nn.Module, seen: set[int]) -> None:
    """A model by architecture, class code and every parameter and buffer (frozen ones too)."""
    h.update(f"module:{_qualified(type(model))};{model!r};".encode())
    for sub in model.modules():
        if type(sub).__module__.split(".")[0] not in ("torch", PACKAGE):
            _feed_code(h, type(sub), seen)  # a model class written in a notebook
        elif type(sub).__module__.startswith(PACKAGE):
            h.update(_code_part(type(sub).__module__).encode())
    for name, p in model.named_parameters():
        _feed(h, name, seen)
        _feed(h, p, seen)  # includes requires_grad: which layers are frozen matters
    for name, b in model.named_buffers():
        _feed(h, name, seen)
        _feed(h, b, seen)


def _feed_code(h: Any, obj: Any, seen: set[int]) -> None:
    """A function or class: by name and code (the package's by module fingerprint)."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    module = getattr(obj, "__module__", None) or ""
    h.update(f"code:{module}:{getattr(obj, '__qualname__', repr(obj))};".encode())
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        h.update(_code_part(module).encode())
        return
    if module.split(".")[0] in ("torch", "numpy", "scipy", "builtins", "math"):
        return  # library code: its version is fixed by constraints.txt
    try:
        h.update(inspect.getsource(obj).encode())
    except (OSError, TypeError) as err:
        raise TypeError(
            f"cannot key a cached result by {obj!r}: its source code is not available"
        ) from err
    fn = getattr(obj, "__func__", obj)
    for cell in getattr(fn, "__closure__", None) or ():
        _feed(h, cell.cell_contents, seen)
    defaults = getattr(fn, "__defaults__", None)
    if defaults:
        _feed(h, defaults, seen)
    if isinstance(obj, type):
        for base in obj.__mro__[1:]:  # a notebook base class by source, the package's by code
            if base.__module__ == obj.__module__ or base.__module__.split(".")[0] == PACKAGE:
                _feed_code(h, base, seen)
    _feed_globals(h, obj, seen)


_PLAIN = (type(None), bool, int, float, complex, str, bytes, np.generic, torch.dtype)


def _functions_of(obj: Any) -> Iterable[types.FunctionType]:
    """The functions whose global names a function, method or class (its methods) reads."""
    members = vars(obj).values() if isinstance(obj, type) else [obj]
    for v in members:
        v = getattr(v, "__func__", v)  # a method, staticmethod or classmethod
        if isinstance(v, property):
            yield from (f for f in (v.fget, v.fset, v.fdel) if isinstance(f, types.FunctionType))
        elif isinstance(v, types.FunctionType):
            yield v


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # a nested function, lambda or comprehension
            names |= _global_names(const)
    return names


def _feed_globals(h: Any, obj: Any, seen: set[int]) -> None:
    """What notebook code (not the package's) reads from its module: the helpers and classes
    defined beside it (by source, recursively), the package modules it uses (by fingerprint), and
    its plain constants (numbers, strings, tuples of them: ``SCALE = 5.0``). Mutable globals
    (lists, dicts) and library objects are not part of the key."""
    for fn in _functions_of(obj):
        scope = fn.__globals__
        for name in sorted(_global_names(fn.__code__)):
            if name not in scope:
                continue
            value = scope[name]
            if isinstance(value, types.ModuleType):
                if value.__name__.split(".")[0] == PACKAGE:
                    h.update(f"uses:{value.__name__}:".encode())
                    h.update(_code_part(value.__name__).encode())
            elif isinstance(value, type | types.FunctionType):
                if getattr(value, "__module__", None) == fn.__module__:
                    try:
                        _feed_code(h, value, seen)  # a helper written beside it
                    except TypeError:  # no source (made by exec): its name only
                        h.update(f"uses:{name};".encode())
                else:
                    h.update(f"uses:{getattr(value, '__module__', '')}:{name};".encode())
                    if (getattr(value, "__module__", "") or "").split(".")[0] == PACKAGE:
                        h.update(_code_part(value.__module__).encode())
            elif _is_plain(value):
                h.update(f"global:{name}=".encode())
                _feed(h, value, seen)


def _is_plain(value: Any) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def _qualified(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


# ============================================================================ keys: code
def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return tree


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):  # "pkg.module.attribute"
        return False


def _defining_module(package: str, name: str) -> str | None:
    """The package module that defines ``package.name`` (a submodule, or the module a function or
    class re-exported by ``package`` comes from); None for a plain value of ``package`` itself."""
    sub = f"{package}.{name}"
    if _is_module(sub):
        return sub
    try:
        obj = getattr(importlib.import_module(package), name)
    except (ImportError, AttributeError):
        return None
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) and module.split(".")[0] == PACKAGE else None


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


@functools.cache
def _module_code(name: str) -> tuple[str, tuple[str, ...]]:
    """(digest of the module's code without docstrings/comments, package modules it uses).

    An imported name counts by the module that defines it (``from dofcourse.subspace import
    Affine`` is ``dofcourse.subspace.affine``, not the package ``__init__`` and everything it
    re-exports); a package imported as a whole (``from dofcourse import subspace``) counts by the
    attributes the module reads from it (``subspace.sweep``), or as the whole package where the
    name is used otherwise."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot find the source of module {name}")
    source = Path(spec.origin).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imports: set[str] = set()
    bound: dict[str, str] = {}  # local name -> package module it names
    package = name if spec.submodule_search_locations else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == PACKAGE:
                    if a.asname:
                        bound[a.asname] = a.name
                    else:
                        imports.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                where = _defining_module(base, alias.name)
                if where is None:
                    imports.add(base)  # a constant of the package itself
                elif where == f"{base}.{alias.name}" and _is_package(where):
                    bound[alias.asname or alias.name] = where
                else:
                    imports.add(where)
    if bound:
        used: dict[str, set[str]] = {local: set() for local in bound}
        whole: set[str] = set()
        attribute_bases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in bound:
                    used[node.value.id].add(node.attr)
                    attribute_bases.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in bound and id(node) not in attribute_bases:
                whole.add(node.id)  # passed around or called as a whole: all of it
        for local, target in bound.items():
            if local in whole or not _is_package(target):
                imports.add(target)
            for attr in used[local]:
                imports.add(_defining_module(target, attr) or target)
    imports.discard(name)
    code = ast.dump(_strip_docstrings(tree), include_attributes=False)
    return hashlib.sha256(code.encode()).hexdigest(), tuple(sorted(imports))


def _infrastructure(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in _INFRASTRUCTURE)


def closure(module: str) -> set[str]:
    """The package modules whose code a fingerprint of ``module`` covers (itself included)."""
    todo, done = [module], set()
    while todo:
        name = todo.pop()
        if name in done or _infrastructure(name):
            continue
        done.add(name)
        todo.extend(_module_code(name)[1])
    return done


@functools.cache
def code_fingerprint(module: str) -> str:
    """Digest of the code of package module ``module`` and of every package module it uses,
    transitively (``dofcourse.experiment`` itself excluded; see :func:`closure`). Docstrings and
    comments do not count.
    """
    if not isinstance(module, str):
        raise TypeError(f"module must be a module's name such as 'dofcourse.stats', got {module!r}")
    h = hashlib.sha256()
    for name in sorted(closure(module)):
        h.update(f"{name}:{_module_code(name)[0]};".encode())
    return h.hexdigest()[:16]


def _code_part(module: str) -> str:
    """What a key holds of package module ``module``'s code: its fingerprint, or nothing while a
    key without the code is made (``digest(..., code=False)``)."""
    return code_fingerprint(module) if _WITH_CODE.get() else ""


def digest(fn: Callable[..., Any], arguments: Mapping[str, Any], *, code: bool = True) -> str:
    """The key digest of calling ``fn`` with the (complete, bound) ``arguments``.

    ``code=False`` leaves the package's code fingerprints out (a function, model class or
    helper of the package then counts by its name only; code written in a notebook still counts
    by its source): the key of a shipped result (``dofcourse.shipped``), which must survive
    later edits of the code."""
    token = _WITH_CODE.set(code)
    try:
        return _digest(fn, arguments)
    finally:
        _WITH_CODE.reset(token)


def _digest(fn: Callable[..., Any], arguments: Mapping[str, Any]) -> str:
    if not callable(fn):
        raise TypeError(f"fn must be a function, got {fn!r}")
    if not isinstance(arguments, Mapping):
        raise TypeError(f"arguments must be a mapping of names to values, got {arguments!r:.60}")
    h = hashlib.sha256(f"dofcourse-cache-format:{FORMAT};".encode())
    _feed_code(h, fn, set())
    h.update(f"{{{len(arguments)}:".encode())  # as _feed(h, dict(arguments)), naming a bad one
    seen: set[int] = set()
    for name in sorted(arguments, key=repr):
        _feed(h, name, seen)
        try:
            _feed(h, arguments[name], seen)
        except TypeError as err:
            raise TypeError(f"argument {name} of {fn.__qualname__}: {err}") from None
    h.update(b"}")
    return h.hexdigest()[:32]


# ============================================================================ plain-data codec
def _encode(obj: Any) -> Any:
    """Plain data that ``torch.load(weights_only=True)`` reads back (see :func:`_decode`)."""
    if isinstance(obj, np.generic):  # first: np.float64 is also a float, but not plain data
        return obj.item()
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"__list_array__": _encode(obj.tolist()), "shape": list(obj.shape)}
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, Mapping):
        return {"__map__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, torch.dtype):
        return {"__dtype__": str(obj).removeprefix("torch.")}
    if isinstance(obj, pd.DataFrame):
        cols = {str(c): _encode(obj[c].to_numpy()) for c in obj.columns}
        return {"__dataframe__": cols, "order": [str(c) for c in obj.columns]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith(PACKAGE + "."):
            raise TypeError(f"only the package's own dataclasses can be cached, got {cls}")
        fields = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__dataclass__": _qualified(cls), "fields": fields}
    raise TypeError(
        f"a cached result must be plain data (tensors, arrays, numbers, strings, lists, dicts, "
        f"DataFrames or dofcourse dataclasses), got a {type(obj).__name__}"
    )


def _decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__ndarray__" in obj:
        return obj["__ndarray__"].numpy()
    if "__list_array__" in obj:
        out = np.empty(len(obj["__list_array__"]), dtype=object)
        out[:] = _decode(obj["__list_array__"])
        return out
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    if "__map__" in obj:
        return {_hashable(_decode(k)): _decode(v) for k, v in obj["__map__"]}
    if "__dtype__" in obj:
        return getattr(torch, obj["__dtype__"])
    if "__dataframe__" in obj:
        return pd.DataFrame({c: _decode(obj["__dataframe__"][c]) for c in obj["order"]})
    if "__dataclass__" in obj:
        return _rebuild(obj["__dataclass__"], obj["fields"])
    raise ValueError(f"unknown entry in a cache file: keys {sorted(obj)}")


def _rebuild(name: str, fields: Any) -> Any:
    """The package dataclass ``name`` ("module:qualname") built through its constructor, so that
    its validation runs. Only a module already loaded is looked up: an entry never decides what
    is imported."""
    module, _, qualname = name.partition(":") if isinstance(name, str) else ("", "", "")
    cls: Any = sys.modules.get(module) if module.startswith(PACKAGE + ".") else None
    if cls is None or not isinstance(fields, dict):
        raise ValueError(f"refusing to build {name!r}: not a class of a loaded package module")
    for part in qualname.split("."):
        cls = getattr(cls, part, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"{name!r} is not a package dataclass")
    spec = {f.name: f for f in dataclasses.fields(cls)}
    if set(fields) != set(spec):
        raise ValueError(f"the fields stored for {name} are not the class's fields")
    values = {k: _decode(v) for k, v in fields.items()}
    out = cls(**{k: v for k, v in values.items() if spec[k].init})
    for k, v in values.items():
        if not spec[k].init:
            object.__setattr__(out, k, v)
    return out


def _hashable(x: Any) -> Any:
    return tuple(x) if isinstance(x, list) else x


# ============================================================================ files
def enabled() -> bool:
    """False when ``DOFCOURSE_NO_CACHE`` is on."""
    return not config.flag("DOFCOURSE_NO_CACHE")


_swept: set[Path] = set()
_trusted: set[Path] = set()
_warned: set[str] = set()
_CHUNK = 1 << 20


def _warn_once(what: str, message: str) -> None:
    if what not in _warned:
        _warned.add(what)
        warnings.warn(message, stacklevel=4)


def _private_group(st: os.stat_result) -> bool:
    """True when the file's group is the user's own private group (``umask 002`` systems give
    each user a group of their own: its write bit lets no one else in)."""
    try:
        import grp
        import pwd

        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(st.st_gid)
    except (ImportError, KeyError):
        return False
    return st.st_gid == os.getegid() and group.gr_name == user and set(group.gr_mem) <= {user}


def _untrusted(st: os.stat_result) -> str | None:
    """Why a cache file or folder with status ``st`` is not the user's own, or None."""
    if not hasattr(os, "geteuid"):  # no POSIX owners (Windows)
        return None
    if st.st_uid not in (os.geteuid(), 0):
        return f"it belongs to another user (uid {st.st_uid}; you are uid {os.geteuid()})"
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o002 or (mode & 0o020 and not _private_group(st)):
        return f"other users can write to it (mode {mode:o})"
    return None


def _check_folder(folder: Path) -> None:
    """Refuse a cache folder that is not the user's own (once per folder and process)."""
    if folder in _trusted:
        return
    why = _untrusted(folder.stat())
    if why:
        raise UnsafeCacheError(
            f"the cache folder {folder} is not safe to use: {why}, so anyone who can write "
            "there decides the results the course shows you. Use a folder of your own: "
            f"`chmod go-w {folder}` if it is yours, or set DOFCOURSE_CACHE to another folder "
            "(e.g. ~/.cache/dofcourse)"
        )
    _trusted.add(folder)


def _folder(fn: Callable[..., Any], root: Path | None = None) -> Path | None:
    """The cache folder of ``fn`` (created), or None when it cannot be created (warned once:
    results are then computed and returned, not stored)."""
    name = f"{fn.__module__}.{fn.__qualname__}".replace("<", "").replace(">", "")
    if not name.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"cannot make a cache folder for {name!r}")
    try:
        root = root or config.cache_dir()
        folder = root / name
        folder.mkdir(mode=0o755, exist_ok=True)
    except PermissionError as err:
        _warn_once(
            f"mkdir:{name}",
            f"the cache folder for {name} cannot be created ({err}); results are computed but "
            "not stored (set DOFCOURSE_CACHE to a folder you can write)",
        )
        return None
    _check_folder(root)
    _check_folder(folder)
    _clean_stale(folder)
    return folder


def _clean_stale(folder: Path) -> None:
    """Remove the temporary files that writers killed mid-write (``kill -9``) left in ``folder``:
    those untouched for ten minutes, once per folder and process."""
    if folder in _swept:
        return
    _swept.add(folder)
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def _write(path: Path, entry: dict[str, Any]) -> None:
    """Atomically write ``entry`` to ``path``, after a header that holds its checksum; the file
    is ``0o644`` at most (never writable by others, whatever the umask)."""
    buf = io.BytesIO()
    try:
        torch.save(entry, buf)  # in memory first: an interrupt cannot leave a file half-written
    except Exception as err:
        # Ctrl-C inside torch's writer comes out as its RuntimeError ("inline_container.cc ...
        # unexpected pos") with the KeyboardInterrupt as context: show only the interrupt
        if isinstance(err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        raise
    payload = buf.getbuffer()
    head = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    _write_bytes(path, head + bytes(payload))


def _write_bytes(path: Path, data: bytes) -> None:
    """Atomically write the bytes of a whole entry file (header and payload) to ``path``."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def _load_entry(path: Path) -> Any:
    """The entry stored at ``path``, or an error saying why the file cannot be used.

    The file is opened once (no link followed, a FIFO never waited on) and its owner, mode,
    checksum and contents are all read from that one open file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("it is not a regular file (a FIFO, a device or a folder)")
        why = _untrusted(st)
        if why:
            raise ValueError(f"{why}: not trusted")
        head = f.read(len(_MAGIC) + 65)
        if not head.startswith(_MAGIC) or len(head) != len(_MAGIC) + 65:
            raise ValueError("not a cache entry of this format")
        payload = f.read()
    if hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC) : -1]:
        raise ValueError("its checksum does not match its contents (the file was changed)")
    with warnings.catch_warnings():  # torch's notes on a foreign pickle: ours follows
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)


def _read(path: Path, key_digest: str, meta: dict | None = None) -> tuple[bool, Any]:
    """(found, value) for the entry at ``path``; a bad file is reported, removed, and missed.
    ``meta``, when given, receives the entry's compute ``seconds`` (None where not stored)."""
    try:
        entry = _load_entry(path)
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ValueError("not a cache entry of this format")
        if entry.get("digest") != key_digest:
            raise ValueError("it holds the result of a different call (its key does not match)")
        if meta is not None:
            meta["seconds"] = entry.get("seconds")
        return True, _decode(entry["value"])
    except FileNotFoundError:
        return False, None
    except Exception as err:  # noqa: BLE001 (any unreadable file is discarded the same way)
        if isinstance(err, pickle.UnpicklingError):  # not torch's advice to load it unsafely
            why = "it is not plain data written by the course (it was not run)"
        elif isinstance(err, OSError) and os.path.islink(path):
            why = "it is a symbolic link"
        else:
            text = (str(err).strip().splitlines() or ["the file is empty or cut short"])[0]
            why = f"{type(err).__name__}: {text[:200]}"
        try:
            path.unlink(missing_ok=True)
            done = "it is removed and the result recomputed"
        except OSError as gone:
            done = f"the result is recomputed (the file cannot be removed: {gone.strerror})"
        warnings.warn(f"cache file {path} cannot be used ({why}); {done}", stacklevel=3)
        return False, None


def _describe(arguments: Mapping[str, Any]) -> dict[str, str]:
    """A short readable form of a key, stored beside the digest for people looking at files."""
    return {k: (r if len(r := repr(v)) <= 200 else r[:197] + "...") for k, v in arguments.items()}


def _store(
    path: Path,
    fn: Callable[..., Any],
    key_digest: str,
    args: Mapping,
    value: Any,
    seconds: float | None = None,
) -> Any:
    encoded = _encode(value)
    entry = {
        "format": FORMAT,
        "digest": key_digest,
        "function": f"{fn.__module__}.{fn.__qualname__}",
        "key": _describe(args),
        "value": encoded,
        "seconds": seconds,  # how long it took to compute (shipped entries record it)
    }
    try:
        _write(path, entry)
    except OSError as err:  # a read-only folder, a full disk: the result is still returned
        _warn_once(
            f"write:{path.parent}",
            f"cannot store results in the cache folder {path.parent} ({err.strerror or err}); "
            "they are computed and returned but not stored, so a re-run computes them again",
        )
    return _decode(encoded)


# ============================================================================ one call
def _shipped() -> Any:
    """The shipped-results layer (``dofcourse.shipped``) in full mode, else None (quick mode
    never imports it)."""
    if config.is_quick():
        return None
    from dofcourse import shipped

    return shipped


def _bind(sig: inspect.Signature, ignore: Iterable[str], *args: Any, **kwargs: Any) -> dict:
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
            arguments = _bind(sig, ignore, *args, **kwargs)
            key = digest(f, arguments)
            folder = _folder(f)
            if folder is None:
                return f(*args, **kwargs)
            path = folder / f"{key}.pt"
            meta: dict[str, Any] = {}
            found, value = _read(path, key, meta)
            ship = _shipped()
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
                value = _store(path, f, key, arguments, result, meta["seconds"])
            if free:
                ship.record(f, free, arguments, value, meta)
            return value

        wrapper.uncached = f  # type: ignore[attr-defined]
        wrapper.digest = lambda *a, **k: digest(f, _bind(sig, ignore, *a, **k))  # type: ignore[attr-defined]
        return wrapper

    return decorate(fn) if fn is not None else decorate


# ============================================================================ grids
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


def _point_digest(exp: Batched, fixed_digest: str, point: Mapping[str, Any]) -> str:
    h = hashlib.sha256(f"{fixed_digest};point:".encode())
    _feed(h, dict(point))
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
    folder = _folder(exp.fn, Path(cache_root)) if cache_root and enabled() else None
    if folder is None:
        return results
    return [
        _store(folder / f"{d}.pt", exp.fn, d, {**p}, r, each)
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
    fixed_args = _bind(exp.signature, exp.ignore, **fixed)
    use_cache = enabled()
    fixed_digest = digest(exp.fn, fixed_args) if use_cache else ""
    keys = (
        [_point_digest(exp, fixed_digest, p) for p in points] if use_cache else [""] * len(points)
    )
    results: dict[int, Any] = {}
    metas: dict[int, dict[str, Any]] = {}
    folder = _folder(exp.fn) if use_cache else None
    if folder is not None:
        for i, key in enumerate(keys):
            meta: dict[str, Any] = {}
            found, value = _read(folder / f"{key}.pt", key, meta)
            if found:
                results[i], metas[i] = value, meta
    ship = _shipped() if folder is not None else None
    free: list[str] = []
    if ship and (ship.active() or ship.ship_to()):  # the course's full-mode results
        fixed_free = digest(exp.fn, fixed_args, code=False)
        free = [_point_digest(exp, fixed_free, p) for p in points]
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
    job = (exp.fn.__module__, exp.__qualname__, code_fingerprint(exp.fn.__module__))
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
    if free and ship.ship_to():
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
