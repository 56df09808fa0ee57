"""The results that ship with the course (dofcourse.shipped): used in full mode only, on a cache
miss only, never with DOFCOURSE_SHIPPED=0; refused when corrupted or unsafe like a cache file;
keyed without the code; and still what the current code computes (the honesty test)."""

from __future__ import annotations

import functools
import importlib
import inspect
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from dofcourse import experiment, runner, shipped
from tests import _cached_fns as fns

# The honesty test: this many of the cheapest replayable entries (by their recorded CPU time) are
# recomputed, and must agree within these tolerances. The entries sampled are deterministic given
# their seeds; the tolerance covers floating-point sums in another order (other threads, BLAS).
N_REPLAYED = 8
RTOL, ATOL = 1e-4, 1e-6
REPLAY_BUDGET_S = 5.0  # recorded CPU seconds of all replayed entries together, at most


@pytest.fixture
def layers(tmp_path, monkeypatch):
    """Full mode, an empty cache, an empty shipped folder; returns (cache, shipped) folders."""
    cache, ship = tmp_path / "cache", tmp_path / "shipped"
    ship.mkdir()
    monkeypatch.setenv("DOFCOURSE_QUICK", "0")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(cache))
    monkeypatch.setenv("DOFCOURSE_SHIPPED_DIR", str(ship))
    monkeypatch.delenv("DOFCOURSE_SHIPPED", raising=False)
    monkeypatch.delenv("DOFCOURSE_SHIP_TO", raising=False)
    fns.CALLS.clear()
    return cache, ship


def _ship(monkeypatch, ship: Path, call) -> None:
    """Run ``call`` as a ``--ship`` run does (writing to ``ship``), in a cache of its own."""
    monkeypatch.setenv("DOFCOURSE_SHIP_TO", str(ship))
    monkeypatch.setenv("DOFCOURSE_CACHE", str(ship.parent / "ship-cache"))
    call()
    monkeypatch.delenv("DOFCOURSE_SHIP_TO")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(ship.parent / "cache"))


def test_a_shipped_entry_is_used_in_full_mode_on_a_miss_and_never_in_quick_mode(
    layers, monkeypatch, capsys
):
    cache, ship = layers
    x = torch.arange(4.0)
    _ship(monkeypatch, ship, lambda: fns.scaled(x, 3.0))
    assert fns.CALLS == ["scaled"] and len(list(ship.glob("*/*.pt"))) == 1
    (entry,) = shipped.entries(ship)
    assert entry.record["commit"] and entry.record["made"] and entry.seconds is not None
    assert entry.record["replay"] is not None  # small plain arguments: stored

    fns.CALLS.clear()
    assert torch.equal(fns.scaled(x, 3.0), x * 3.0)
    assert fns.CALLS == [], "full mode, empty cache: the shipped entry should have been used"
    assert "DOFCOURSE_SHIPPED=0" in capsys.readouterr().out  # says so, and how to recompute

    monkeypatch.setenv("DOFCOURSE_QUICK", "1")
    fns.scaled(x, 3.0)
    assert fns.CALLS == ["scaled"], "quick mode must never read shipped (full-mode) results"

    monkeypatch.setenv("DOFCOURSE_QUICK", "0")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(cache.parent / "cache-2"))
    monkeypatch.setenv("DOFCOURSE_SHIPPED", "0")
    fns.scaled(x, 3.0)
    assert fns.CALLS == ["scaled", "scaled"], "DOFCOURSE_SHIPPED=0 must recompute"

    monkeypatch.delenv("DOFCOURSE_SHIPPED")
    monkeypatch.setenv("DOFCOURSE_CACHE", str(cache.parent / "cache-3"))
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    fns.scaled(x, 3.0)
    assert fns.CALLS == ["scaled"] * 3, "DOFCOURSE_NO_CACHE=1 reads nothing, shipped included"


def test_the_cache_comes_first_and_another_call_is_not_served(layers, monkeypatch):
    cache, ship = layers
    x = torch.arange(4.0)
    _ship(monkeypatch, ship, lambda: fns.scaled(x, 3.0))
    fns.CALLS.clear()
    fns.scaled(x, 2.0)  # another call: computed
    assert fns.CALLS == ["scaled"]
    assert len(list(cache.glob("*/*.pt"))) == 1


def test_grid_points_ship_and_are_read_in_full_mode(layers, monkeypatch):
    cache, ship = layers
    axes = {"base": [1, 2, 3], "exp": [2]}
    _ship(
        monkeypatch, ship, lambda: experiment.grid(fns.power_grid, axes, offset=1, progress=False)
    )
    assert len(list(ship.glob("*/*.pt"))) == 3
    fns.CHUNKS.clear()
    table = experiment.grid(fns.power_grid, axes, offset=1, progress=False)
    assert fns.CHUNKS == [] and list(table["value"]) == [2.0, 5.0, 10.0]
    monkeypatch.setenv("DOFCOURSE_QUICK", "1")
    experiment.grid(fns.power_grid, axes, offset=1, progress=False)
    assert fns.CHUNKS, "quick mode computed nothing: it read full-mode results"


def test_a_shipped_key_leaves_the_code_out_and_the_cache_key_keeps_it(monkeypatch):
    from dofcourse.geometry import sweeps

    args = {"D": 5, "alpha": 0.5, "n": 10, "seed": 0}
    fn = sweeps.cap_hit_rates.uncached
    with_code, free = experiment.digest(fn, args), experiment.digest(fn, args, code=False)
    monkeypatch.setattr(experiment.keys, "code_fingerprint", lambda module: "edited")
    assert experiment.digest(fn, args) != with_code, "the cache key must follow the code"
    assert experiment.digest(fn, args, code=False) == free, "the shipped key must not"


@pytest.mark.parametrize("damage", ["flip", "truncate", "other-writable", "link"])
def test_a_damaged_or_unsafe_shipped_file_is_refused_and_recomputed(layers, monkeypatch, damage):
    cache, ship = layers
    x = torch.arange(4.0)
    _ship(monkeypatch, ship, lambda: fns.scaled(x, 3.0))
    (path,) = ship.glob("*/*.pt")
    if damage == "flip":
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "other-writable":
        path.chmod(0o666)
    else:
        real = path.with_name("real.bin")
        path.rename(real)
        path.symlink_to(real)
    fns.CALLS.clear()
    with pytest.warns(UserWarning, match="cannot be used"):
        assert torch.equal(fns.scaled(x, 3.0), x * 3.0)
    assert fns.CALLS == ["scaled"], "a damaged shipped file must be recomputed, not used"
    assert path.is_symlink() or path.exists(), "the course's own file is left alone"


def test_a_key_mismatch_is_refused(layers, monkeypatch):
    cache, ship = layers
    x = torch.arange(4.0)
    _ship(monkeypatch, ship, lambda: fns.scaled(x, 3.0))
    _ship(monkeypatch, ship, lambda: fns.scaled(x, 2.0))
    key = experiment.digest(fns.scaled.uncached, {"x": x, "factor": 3.0}, code=False)
    (mine,) = ship.glob(f"*/{key}.pt")
    (other,) = [p for p in ship.glob("*/*.pt") if p != mine]
    mine.write_bytes(other.read_bytes())  # the other call's result under this call's key
    fns.CALLS.clear()
    with pytest.warns(UserWarning, match="different call"):
        assert torch.equal(fns.scaled(x, 3.0), x * 3.0)
    assert fns.CALLS == ["scaled"]


def test_a_large_entry_is_not_shipped(layers, monkeypatch):
    cache, ship = layers
    big = torch.ones(shipped.MAX_ENTRY_BYTES // 4 + 1000)
    with pytest.warns(UserWarning, match="not shipped"):
        _ship(monkeypatch, ship, lambda: fns.scaled(big, 1.0))
    assert not list(ship.glob("*/*.pt"))


def test_a_cheap_entry_is_not_worth_its_megabytes(layers, monkeypatch):
    cache, ship = layers
    big = torch.ones(200_000)  # 0.8 MB made in a millisecond
    with pytest.warns(UserWarning, match="not shipped"):
        _ship(monkeypatch, ship, lambda: fns.scaled(big, 1.0))
    assert not list(ship.glob("*/*.pt"))
    _ship(monkeypatch, ship, lambda: fns.scaled(torch.ones(1000), 1.0))  # small: always shipped
    assert len(list(ship.glob("*/*.pt"))) == 1
    assert shipped.worth_shipping(2**20, 61.0) and not shipped.worth_shipping(2**20, 59.0)
    assert shipped.worth_shipping(2**20, None), "an entry of unknown cost is kept"
    for name in shipped.KEY_INPUTS:  # inputs of other shipped keys: worth it however cheap
        assert shipped.worth_shipping(2**20, 0.1, name) and not shipped.refusal(2**20, 0.1, name)
        assert "over 1 MB" in shipped.refusal(shipped.MAX_ENTRY_BYTES + 1, 1e6, name)


def test_many_small_cheap_entries_of_one_function_are_left_out_together(layers, monkeypatch):
    cache, ship = layers
    _ship(monkeypatch, ship, lambda: [fns.scaled(torch.ones(2000), float(k)) for k in range(12)])
    found = shipped.entries(ship)
    assert len(found) == 12 and sum(e.nbytes for e in found) > shipped.layer.WORTH_CHECK_BYTES
    assert not shipped.worth_its_size(found), "96 KB made in milliseconds is not worth shipping"
    copied, left = shipped.add(ship, cache.parent / "committed")
    assert not copied and len(left) == 12
    _ship(monkeypatch, ship, lambda: fns.structured(3))  # another function, small: kept
    removed = shipped.prune(ship)  # what a --ship run does at its end, on the folder it wrote
    assert len(removed) == 12 and {e.function for e in removed} == {found[0].function}
    assert [e.function for e in shipped.entries(ship)] == ["tests._cached_fns.structured"]
    assert "scaled, 12 entries" in shipped.left_out_lines(removed)[0]


def test_chapter_05s_shipped_runs_are_found_from_its_shipped_anchors():
    """The shipped subspace runs of chapter 05 at every burn-in time t are keyed by the anchors
    theta_t; those are computed tensors, whose last bits differ from one computer to another, so
    the anchors ship too and a student's computer reads them: from them, every run's key is found
    (a miss would recompute 96 Conv-2 trainings per t)."""
    from dofcourse import data, phase, subspace
    from dofcourse.experiment.cache import bind
    from dofcourse.experiment.grids import point_digest
    from dofcourse.projections import DEFAULT_MAX_BYTES
    from dofcourse.settings import TrainSettings

    ds = data.load("mnist_subset")
    subspace_settings = TrainSettings(steps=200, lr=0.05, optimizer="adam", batch_size=128)
    burn_in = TrainSettings(steps=1, lr=0.05, momentum=0.9, batch_size=128)
    times = [0, 4, 8, 16, 32, 64]
    torch.manual_seed(0)  # chapter 05's theta_0
    model = phase.conv2_small(ds.input_shape, ds.n_classes, (16, 32))
    fn = phase.burn_in_anchors.uncached
    key = experiment.digest(fn, {"model": model, "data": ds, "settings": burn_in,
                                 "times": times}, code=False)  # fmt: skip
    found, anchors = shipped.lookup(fn, key)
    assert found, "chapter 05's burn-in anchors are not shipped"
    assert shipped.layer._name(fn) in shipped.KEY_INPUTS
    runs = subspace.sweep.__globals__["runs"]
    for t in times:
        fixed = bind(runs.signature, runs.ignore, model=model, data=ds,
                     settings=subspace_settings, kind="fastfood", anchor=anchors[t],
                     eval_every=20, eval_examples=1000, max_bytes=DEFAULT_MAX_BYTES,
                     basis=None)  # fmt: skip
        free = experiment.digest(runs.fn, fixed, code=False)
        missing = [
            (d, s)
            for d in [2**k for k in range(1, 13)]
            for s in range(8)
            if not shipped.lookup(runs.fn, point_digest(runs, free, {"d": d, "proj_seed": s}))[0]
        ]
        assert not missing, f"t = {t}: {len(missing)} of 96 runs not found, e.g. {missing[:3]}"
    # section 6b: the well at theta* (an hour of Lanczos), keyed by the shipped theta* and anchors
    full = subspace.train_full.uncached
    args = bind(inspect.signature(full), ("progress",), model=model, data=ds,
                settings=burn_in.replace(steps=2000))  # fmt: skip
    key = experiment.digest(full, args, code=False)
    found, star = shipped.lookup(full, key)
    assert found, "chapter 05's theta* is not shipped"
    well = phase.network_well.uncached
    args = bind(inspect.signature(well), ("progress",), model=model, data=ds,
                theta_star=star["theta"], anchors=anchors)  # fmt: skip
    assert shipped.lookup(well, experiment.digest(well, args, code=False))[0], "the well misses"


def test_ship_needs_full_mode():
    with pytest.raises(SystemExit):
        runner.main(["--ship", "--only", "nothing"])


# ============================================================================ what is committed
@functools.cache
def _committed() -> list[shipped.Entry]:
    return shipped.entries(shipped.FOLDER) if shipped.FOLDER.is_dir() else []


def _sample(found: list[shipped.Entry]) -> list[shipped.Entry]:
    """The cheapest entry of each function, cheapest first, then the next cheapest overall: at
    most N_REPLAYED entries and REPLAY_BUDGET_S recorded CPU seconds."""
    by_cost = sorted(found, key=lambda e: (e.seconds, e.path.name))
    firsts = {}
    for e in by_cost:
        firsts.setdefault(e.function, e)
    order = list(firsts.values()) + [e for e in by_cost if e not in firsts.values()]
    sample, spent = [], 0.0
    for e in order:
        if len(sample) < N_REPLAYED and spent + e.seconds <= REPLAY_BUDGET_S:
            sample.append(e)
            spent += e.seconds
    return sample


def test_the_shipped_results_are_checked_plain_data_within_the_size_limit():
    found = _committed()  # each loaded as on reading: checksum, key, weights_only
    total = sum(e.nbytes for e in found)
    assert total <= shipped.MAX_TOTAL_BYTES, f"{total / 2**20:.1f} MB shipped: over the limit"
    for e in found:
        assert e.nbytes <= shipped.MAX_ENTRY_BYTES, e.path
        assert e.record["function"].startswith("dofcourse."), e.path
        assert e.record["commit"] and e.record["made"], f"{e.path}: no provenance"
        assert shipped.worth_shipping(e.nbytes, e.seconds, e.function), f"{e.path}: not worth it"
    functions = {e.function for e in found}
    assert set(shipped.worth_its_size(found)) == functions, "a function's entries not worth it"


def _close(a, b, where: str = "value") -> None:
    """``a`` (shipped) and ``b`` (recomputed) agree: ints, strings and shapes exactly, floats
    within RTOL/ATOL (NaN where NaN)."""
    if isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns), where
        for c in a.columns:
            _close(a[c].to_numpy(), b[c].to_numpy(), f"{where}[{c!r}]")
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            _close(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dataclass_fields__"):
        for f in a.__dataclass_fields__:
            _close(getattr(a, f), getattr(b, f), f"{where}.{f}")
    elif isinstance(a, torch.Tensor | np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, where
        if x.dtype.kind in "fc":
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(x, y, err_msg=where)
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(
            a, b, rel_tol=RTOL, abs_tol=ATOL
        ), f"{where}: shipped {a}, now {b}"
    else:
        assert a == b, f"{where}: shipped {a!r}, now {b!r}"


def test_the_cheapest_shipped_entries_still_agree_with_the_current_code(monkeypatch):
    """The honesty test: recompute a sample of the cheapest shipped entries (by recorded CPU time,
    the cheapest of each function first) whose arguments were stored, with today's code,
    uncached; they must agree."""
    found = [e for e in _committed() if e.record["replay"] is not None and e.seconds is not None]
    if not found:
        pytest.skip("no replayable shipped entries in this checkout")
    monkeypatch.setenv("DOFCOURSE_QUICK", "0")
    sample = _sample(found)
    assert sample, "every replayable shipped entry is over the replay budget"
    for e in sample:
        key, now = shipped.replay(e)
        assert key == e.path.stem, f"{e.path}: the stored arguments no longer make its key"
        _close(experiment.codec.decode(e.record["value"]), now, e.function)


def test_every_shipped_function_still_exists():
    for name in sorted({e.function for e in _committed()}):
        module, _, attr = name.rpartition(".")
        obj = importlib.import_module(module)
        assert hasattr(obj, attr), f"{name} is shipped but no longer in the package"


def test_the_package_folder_is_where_the_wheel_installs_it():
    assert shipped.FOLDER == Path(shipped.__file__).parents[1] / "results" / "full"
