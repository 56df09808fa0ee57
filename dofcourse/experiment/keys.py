"""The key of a call: a digest of everything a cached result depends on (``dofcourse.experiment``).

A key covers the **complete bound call** (every argument, defaults included; tensors, models with
their frozen parameters and buffers, and datasets by content) and the **code it runs**
(:mod:`.fingerprint`). Code written in a notebook counts by its source, with the helpers and plain
constants it reads beside it.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import hashlib
import inspect
import types
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from dofcourse.experiment.codec import FORMAT, PACKAGE, qualified
from dofcourse.experiment.fingerprint import code_fingerprint

# False while a key is computed without the code (the shipped results' keys: dofcourse.shipped)
_WITH_CODE: contextvars.ContextVar[bool] = contextvars.ContextVar("with_code", default=True)


def feed(h: Any, obj: Any, seen: set[int] | None = None) -> None:
    """Feed a canonical byte form of ``obj`` into the hash ``h`` (recursively, by content)."""
    seen = set() if seen is None else seen
    if obj is None or isinstance(obj, bool | int | float | str | bytes | complex):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, np.generic):
        feed(h, obj.item(), seen)
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
        h.update(f"dataclass:{qualified(type(obj))};".encode())
        feed(h, {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}, seen)
    elif isinstance(obj, Mapping):
        h.update(f"{{{len(obj)}:".encode())
        for k in sorted(obj, key=repr):
            feed(h, k, seen)
            feed(h, obj[k], seen)
        h.update(b"}")
    elif isinstance(obj, list | tuple | range):
        h.update(f"{type(obj).__name__}[{len(obj)}:".encode())
        for item in obj:
            feed(h, item, seen)
        h.update(b"]")
    elif isinstance(obj, set | frozenset):
        feed(h, sorted(obj, key=repr), seen)
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
        feed(h, (obj.func, obj.args, obj.keywords), seen)
    elif isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        _feed_code(h, obj, seen)
    else:
        raise TypeError(
            f"cannot use a {type(obj).__name__} in a cache key: pass plain values, tensors, "
            "arrays, modules, datasets, settings (dataclasses), functions, or lists/dicts of them"
        )


_DIGESTS: dict[int, tuple[Any, int, int, bytes]] = {}  # id -> (weakref, version, ptr, digest)
_MEMO_BYTES = 1 << 16  # tensors this large are hashed once until they change


def _forget(key: int, _ref: object) -> None:
    _DIGESTS.pop(key, None)  # the tensor was freed: its id may be reused


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
    digest = hashlib.sha256(t.view(-1).view(torch.uint8).numpy().data).digest()
    if nbytes >= _MEMO_BYTES:
        try:
            ref = weakref.ref(obj, functools.partial(_forget, key))
        except TypeError:  # a tensor subclass without weak references: not remembered
            return digest
        _DIGESTS[key] = (ref, obj._version, obj.data_ptr(), digest)
    return digest


def _feed_module(h: Any, model: torch.nn.Module, seen: set[int]) -> None:
    """A model by architecture, class code and every parameter and buffer (frozen ones too)."""
    h.update(f"module:{qualified(type(model))};{model!r};".encode())
    for sub in model.modules():
        if type(sub).__module__.split(".")[0] not in ("torch", PACKAGE):
            _feed_code(h, type(sub), seen)  # a model class written in a notebook
        elif type(sub).__module__.startswith(PACKAGE):
            h.update(_code_part(type(sub).__module__).encode())
    for name, p in model.named_parameters():
        feed(h, name, seen)
        feed(h, p, seen)  # includes requires_grad: which layers are frozen matters
    for name, b in model.named_buffers():
        feed(h, name, seen)
        feed(h, b, seen)


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
        feed(h, cell.cell_contents, seen)
    defaults = getattr(fn, "__defaults__", None)
    if defaults:
        feed(h, defaults, seen)
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
                feed(h, value, seen)


def _is_plain(value: Any) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


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
    h.update(f"{{{len(arguments)}:".encode())  # as feed(h, dict(arguments)), naming a bad one
    seen: set[int] = set()
    for name in sorted(arguments, key=repr):
        feed(h, name, seen)
        try:
            feed(h, arguments[name], seen)
        except TypeError as err:
            raise TypeError(f"argument {name} of {fn.__qualname__}: {err}") from None
    h.update(b"}")
    return h.hexdigest()[:32]
