"""The plain-data form of a cached result, and back (``dofcourse.experiment``).

An entry holds plain data only: tensors, NumPy arrays, numbers, strings, lists, dicts, pandas
tables and the package's own dataclasses, written in a form that ``torch.load(weights_only=True)``
reads back, so a file in the cache cannot run code. An entry never names a module to import: a
dataclass is rebuilt only from a package module already loaded, through its constructor, so its
validation runs.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

FORMAT = 2  # of the stored entries; a new format makes new keys
PACKAGE = __name__.partition(".")[0]


def encode(obj: Any) -> Any:
    """Plain data that ``torch.load(weights_only=True)`` reads back (see :func:`decode`)."""
    if isinstance(obj, np.generic):  # first: np.float64 is also a float, but not plain data
        return obj.item()
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"__list_array__": encode(obj.tolist()), "shape": list(obj.shape)}
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, Mapping):
        return {"__map__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, torch.dtype):
        return {"__dtype__": str(obj).removeprefix("torch.")}
    if isinstance(obj, pd.DataFrame):
        cols = {str(c): encode(obj[c].to_numpy()) for c in obj.columns}
        return {"__dataframe__": cols, "order": [str(c) for c in obj.columns]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith(PACKAGE + "."):
            raise TypeError(f"only the package's own dataclasses can be cached, got {cls}")
        fields = {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__dataclass__": qualified(cls), "fields": fields}
    raise TypeError(
        f"a cached result must be plain data (tensors, arrays, numbers, strings, lists, dicts, "
        f"DataFrames or dofcourse dataclasses), got a {type(obj).__name__}"
    )


def decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__ndarray__" in obj:
        return obj["__ndarray__"].numpy()
    if "__list_array__" in obj:
        out = np.empty(len(obj["__list_array__"]), dtype=object)
        out[:] = decode(obj["__list_array__"])
        return out
    if "__tuple__" in obj:
        return tuple(decode(v) for v in obj["__tuple__"])
    if "__map__" in obj:
        return {_hashable(decode(k)): decode(v) for k, v in obj["__map__"]}
    if "__dtype__" in obj:
        return getattr(torch, obj["__dtype__"])
    if "__dataframe__" in obj:
        return pd.DataFrame({c: decode(obj["__dataframe__"][c]) for c in obj["order"]})
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
    values = {k: decode(v) for k, v in fields.items()}
    out = cls(**{k: v for k, v in values.items() if spec[k].init})
    for k, v in values.items():
        if not spec[k].init:
            object.__setattr__(out, k, v)
    return out


def _hashable(x: Any) -> Any:
    return tuple(x) if isinstance(x, list) else x


def qualified(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"
