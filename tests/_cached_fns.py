"""Cached functions used by tests/test_experiment.py (a module, so that their code is keyed)."""

import numpy as np
import pandas as pd
import torch

from dofcourse import experiment
from dofcourse.settings import TrainSettings

CALLS: list[str] = []
CHUNKS: list[list[dict]] = []
FAIL_AT: set[int] = set()


@experiment.cached
def scaled(x, factor=1.0):
    CALLS.append("scaled")
    return x * factor


@experiment.cached
def structured(steps):
    CALLS.append("structured")
    return {
        "tuple": (1, 2.0),
        "array": torch.arange(3).numpy(),
        "settings": TrainSettings(steps=steps, lr=0.1),
        "table": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        (1, 2): "tuple key",
        "dtype": torch.float64,
    }


def teacher(seed):
    return torch.randn(3, 3, generator=torch.Generator().manual_seed(seed))


@experiment.cached
def total(matrix):
    CALLS.append("total")
    return float(matrix.sum())


@experiment.cached
def data_size_and_first_label(ds):
    CALLS.append("data")
    return len(ds.x_train), int(ds.y_train[0])


@experiment.cached
def model_output(model):
    CALLS.append("model")
    return model(torch.ones(1, 1, 2, 2)).detach()


@experiment.cached
def returns_object():
    return object()


@experiment.batched(axes=("base", "exp"), chunk=2, sort_by=("base",))
def power_grid(points, offset, progress=True):
    CHUNKS.append(points)
    out = []
    for p in points:
        if p["base"] in FAIL_AT:
            CALLS.append("fail")
            raise RuntimeError(f"interrupted at base {p['base']}")
        v = float(p["base"] ** p["exp"] + offset)
        out.append({"value": v, "squared": v * v})
    return out


@experiment.batched(axes=("n",), chunk=1)
def dies_once(points, marker_dir):
    """Kills its own process the first time it sees a point (a worker that dies)."""
    import os
    from pathlib import Path

    out = []
    for p in points:
        marker = Path(marker_dir) / f"seen-{p['n']}"
        if not marker.exists():
            marker.write_text("x")
            os._exit(1)
        out.append({"square": p["n"] ** 2, "pid": os.getpid()})
    return out


def hammer(path: str, digest: str, n: int) -> int:
    """Write the same cache entry ``n`` times and read it back each time; count good reads."""
    from pathlib import Path

    good = 0
    entry = {"format": experiment.FORMAT, "digest": digest, "function": "x", "key": {}}
    for _ in range(n):
        experiment.store.write(Path(path), {**entry, "value": torch.ones(1000)})
        found, value = experiment.store.read(Path(path), digest)
        good += bool(found and value.shape == (1000,))
    return good


@experiment.cached
def numpy_scalars(n):
    CALLS.append("numpy")
    return {"mean": np.float64(n) / 2, "count": np.int64(n), "flag": np.bool_(True)}
