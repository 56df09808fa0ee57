import os

import numpy as np
import pytest
import torch

from dofcourse import cache, config


def test_cached_computes_once_per_key():
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.arange(3)}

    first = cache.cached("t", compute, a=1, b=[1, 2])
    second = cache.cached("t", compute, b=[1, 2], a=1)
    assert len(calls) == 1 and torch.equal(first["x"], second["x"])
    cache.cached("t", compute, a=2, b=[1, 2])
    assert len(calls) == 2


@pytest.mark.parametrize(
    "a, b",
    [
        (torch.zeros(3), torch.zeros(4)),
        (torch.zeros(3), torch.tensor([0.0, 0.0, 1e-9])),
        (torch.zeros(3), torch.zeros(3, dtype=torch.float64)),
        (np.arange(3), np.arange(3) + 1),
        (torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)),
        (1, 1.0),
        ("1", 1),
    ],
)
def test_key_depends_on_everything(a, b):
    torch.manual_seed(0)
    assert cache.key_hash(k=a) != cache.key_hash(k=b)


def test_key_depends_on_package_version_and_code(monkeypatch):
    before = cache.key_hash(k=1)
    monkeypatch.setattr(cache, "__version__", "999")
    assert cache.key_hash(k=1) != before
    monkeypatch.undo()
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "edited")
    assert cache.key_hash(k=1) != before


def test_unhashable_key_is_a_clear_error():
    with pytest.raises(TypeError, match="cache key"):
        cache.key_hash(k=object())


def test_failed_computation_leaves_no_entry():
    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.cached("t", boom, a=1)
    assert not any((config.cache_dir() / "t").iterdir())


def test_write_is_atomic(monkeypatch):
    def failing_save(obj, f):
        f.write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.torch, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        cache.cached("t", lambda: 1, a=1)
    assert os.listdir(config.cache_dir() / "t") == []


def test_interrupted_sweep_resumes_from_finished_points():
    seen = []

    def compute(point):
        if point["i"] == 3 and not seen.count("crashed"):
            seen.append("crashed")
            raise KeyboardInterrupt
        seen.append(point["i"])
        return point["i"] ** 2

    points = [{"i": i} for i in range(5)]
    with pytest.raises(KeyboardInterrupt):
        cache.sweep("s", points, compute, shared="x")
    assert seen == [0, 1, 2, "crashed"]
    assert cache.sweep("s", points, compute, shared="x") == [0, 1, 4, 9, 16]
    assert seen[4:] == [3, 4]  # only the unfinished points were computed


def test_no_cache_switch(monkeypatch):
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    calls = []
    for _ in range(2):
        cache.cached("t", lambda: calls.append(1), a=1)
    assert len(calls) == 2


def test_load_and_store():
    assert cache.load("t", a=1) is None
    assert cache.store("t", [1, 2], a=1) == [1, 2]
    assert cache.load("t", a=1) == [1, 2] and cache.load("t", a=2) is None
