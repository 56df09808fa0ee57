"""dofcourse.experiment: keys by the complete call and the code, safe plain-data entries, grids."""

import os
import pickle
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch

from dofcourse import data, experiment, models
from dofcourse.settings import TrainSettings
from tests import _cached_fns as fns


@pytest.fixture(autouse=True)
def _reset_calls():
    fns.CALLS.clear()


def test_a_call_is_computed_once_and_defaults_are_part_of_the_key():
    a = fns.scaled(torch.arange(3.0), factor=2.0)
    b = fns.scaled(torch.arange(3.0), 2.0)
    assert torch.equal(a, b) and fns.CALLS == ["scaled"]
    fns.scaled(torch.arange(3.0))  # default factor=1.0: another call
    assert fns.CALLS == ["scaled", "scaled"]


def test_results_keep_their_types_on_the_first_call_and_from_disk():
    first = fns.structured(3)
    again = fns.structured(3)
    assert fns.CALLS == ["structured"]
    for r in (first, again):
        assert isinstance(r["tuple"], tuple) and isinstance(r["array"], np.ndarray)
        assert isinstance(r["settings"], TrainSettings) and r["settings"].steps == 3
        assert isinstance(r["table"], pd.DataFrame) and list(r["table"].columns) == ["a", "b"]
        assert r[(1, 2)] == "tuple key" and r["dtype"] is torch.float64


def test_teacher_seed_and_data_split_change_the_key():
    """The stale cases of the old cache: a caller-chosen key missed the teacher's seed, and
    datasets were keyed by name, so two different splits collided."""
    fns.total(fns.teacher(seed=0))
    fns.total(fns.teacher(seed=7))
    assert fns.CALLS.count("total") == 2
    d0, d1 = (data.load("digits", split_seed=s, device="cpu") for s in (0, 1))
    fns.data_size_and_first_label(d0)
    fns.data_size_and_first_label(d1)
    assert fns.CALLS.count("data") == 2


def test_a_frozen_layer_is_part_of_a_models_key():
    torch.manual_seed(0)
    m1 = models.mlp((1, 2, 2), 2, hidden=(3,))
    m2 = models.mlp((1, 2, 2), 2, hidden=(3,))
    m2.load_state_dict(m1.state_dict())
    with torch.no_grad():
        m2[1].weight.add_(1.0)
    for m in (m1, m2):
        m[1].weight.requires_grad_(False)  # frozen: not trainable, but it changes the function
    fns.model_output(m1)
    fns.model_output(m2)
    assert fns.CALLS.count("model") == 2
    m1[1].weight.requires_grad_(True)  # the same weights, now trainable: another key
    fns.model_output(m1)
    assert fns.CALLS.count("model") == 3


def test_code_fingerprint_is_transitive_and_ignores_docstrings(tmp_path, monkeypatch):
    fp = experiment.code_fingerprint("dofcourse.ensemble")
    assert fp != experiment.code_fingerprint("dofcourse.stats")
    mods = experiment._module_code("dofcourse.ensemble")[1]
    assert "dofcourse.train" in mods and "dofcourse.settings" in mods
    # a docstring edit does not change the code digest; a code edit does
    src = "def f(x):\n    '''doc'''\n    return x + 1\n"
    import ast

    def code(s):
        return ast.dump(experiment._strip_docstrings(ast.parse(s)))

    assert code(src) == code(src.replace("doc", "other words")) != code(src.replace("1", "2"))


def test_unrelated_package_modules_do_not_invalidate():
    closure = set()
    todo = ["dofcourse.stats"]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(experiment._module_code(name)[1])
    assert "dofcourse.plotting" not in closure and "dofcourse.hessian" not in closure


def test_a_planted_pickle_does_not_run(tmp_path):
    fns.scaled(torch.ones(2))
    (path,) = list((tmp_path / "cache").rglob("*.pt"))

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    path.write_bytes(pickle.dumps(Evil()))
    with pytest.warns(UserWarning, match=str(path.name)):
        out = fns.scaled(torch.ones(2))
    assert not (tmp_path / "pwned").exists() and torch.equal(out, torch.ones(2))
    assert fns.CALLS == ["scaled", "scaled"]


@pytest.mark.parametrize("content", [b"", b"garbage", None])
def test_corrupt_truncated_or_empty_entries_are_named_removed_and_recomputed(tmp_path, content):
    fns.scaled(torch.ones(3))
    (path,) = list((tmp_path / "cache").rglob("*.pt"))
    path.write_bytes(path.read_bytes()[:40] if content is None else content)
    with pytest.warns(UserWarning, match="cannot be used"):
        fns.scaled(torch.ones(3))
    assert fns.CALLS == ["scaled", "scaled"] and path.exists()  # recomputed and stored again


def test_a_file_copied_under_another_key_is_refused(tmp_path):
    fns.scaled(torch.ones(2))
    fns.scaled(torch.zeros(2))
    a, b = sorted((tmp_path / "cache").rglob("*.pt"), key=lambda p: p.stat().st_mtime)
    b.write_bytes(a.read_bytes())
    with pytest.warns(UserWarning, match="different call"):
        out = fns.scaled(torch.zeros(2))
    assert torch.equal(out, torch.zeros(2))


def test_files_follow_the_umask_and_stale_temporaries_are_removed(tmp_path):
    old = os.umask(0o022)
    try:
        fns.scaled(torch.ones(1))
    finally:
        os.umask(old)
    (path,) = list((tmp_path / "cache").rglob("*.pt"))
    assert path.stat().st_mode & 0o777 == 0o644
    stale, fresh = path.parent / ".x.1.dead.tmp", path.parent / ".y.2.live.tmp"
    for f in (stale, fresh):
        f.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    experiment._swept.clear()
    fns.scaled(torch.full((1,), 5.0))
    assert not stale.exists() and fresh.exists()


def test_interrupt_during_a_write_leaves_no_file(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        fns.scaled(torch.ones(4))
    assert list((tmp_path / "cache").rglob("*")) == [
        p for p in (tmp_path / "cache").rglob("*") if p.is_dir()
    ]


def test_no_cache_switch(monkeypatch):
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "on")
    fns.scaled(torch.ones(2))
    fns.scaled(torch.ones(2))
    assert fns.CALLS == ["scaled", "scaled"]
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "maybe")
    with pytest.raises(ValueError, match="DOFCOURSE_NO_CACHE"):
        fns.scaled(torch.ones(2))


def test_unstorable_results_and_keys_are_clear_errors():
    with pytest.raises(TypeError, match="plain data"):
        fns.returns_object()
    with pytest.raises(TypeError, match="cache key"):
        fns.scaled(object())


def test_grid_is_a_long_table_cached_per_point_and_resumes():
    df = experiment.grid(
        fns.power_grid, {"base": [2, 3], "exp": [1, 2]}, offset=1.0, progress=False
    )
    assert list(df.columns) == ["base", "exp", "value", "squared"]
    assert df["value"].tolist() == [3.0, 5.0, 4.0, 10.0]
    assert sorted(map(len, fns.CHUNKS)) == [2, 2]  # chunk=2
    fns.CHUNKS.clear()
    more = experiment.grid(
        fns.power_grid, {"base": [2, 3, 4], "exp": [1, 2]}, offset=1.0, progress=False
    )
    assert [p["base"] for c in fns.CHUNKS for p in c] == [4, 4], "only the new points computed"
    pd.testing.assert_frame_equal(more.iloc[:4].reset_index(drop=True), df)


def test_an_interrupted_grid_keeps_finished_chunks():
    fns.FAIL_AT.add(3)
    with pytest.raises(RuntimeError, match="interrupted"):
        experiment.grid(fns.power_grid, {"base": [1, 2, 3], "exp": [1]}, offset=0.0, progress=False)
    fns.FAIL_AT.clear()
    fns.CHUNKS.clear()
    df = experiment.grid(
        fns.power_grid, {"base": [1, 2, 3], "exp": [1]}, offset=0.0, progress=False
    )
    assert [p["base"] for c in fns.CHUNKS for p in c] == [3] and df["value"].tolist() == [1, 2, 3]


def test_grid_with_an_executor_gives_the_same_numbers_and_reports_failures():
    local = experiment.grid(
        fns.power_grid, {"base": [1, 2, 3], "exp": [2]}, offset=0.5, progress=False
    )
    experiment._swept.clear()
    with ThreadPoolExecutor(2) as pool:
        fns.CHUNKS.clear()
        remote = experiment.grid(
            fns.power_grid,
            {"base": [1, 2, 3, 5], "exp": [2]},
            offset=0.5,
            executor=pool,
            progress=False,
        )
        assert [p["base"] for c in fns.CHUNKS for p in c] == [5]
        pd.testing.assert_frame_equal(remote.iloc[:3].reset_index(drop=True), local)
        fns.FAIL_AT.add(7)
        with pytest.raises(experiment.GridError, match="base': 7"):
            experiment.grid(fns.power_grid, {"base": [6, 7], "exp": [1]}, offset=0.0,
                            executor=pool, progress=False)  # fmt: skip
        fns.FAIL_AT.clear()
    assert fns.CALLS.count("fail") == 2  # tried, retried once, then reported


def test_grid_argument_errors():
    with pytest.raises(ValueError, match="axes"):
        experiment.grid(fns.power_grid, {"base": [1]}, offset=0.0)
    with pytest.raises(ValueError, match="no values"):
        experiment.grid(fns.power_grid, {"base": [], "exp": [1]}, offset=0.0)
    with pytest.raises(TypeError, match="batched"):
        experiment.grid(fns.scaled, {"x": [1]})


def test_warnings_do_not_fire_on_a_clean_hit():
    fns.scaled(torch.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fns.scaled(torch.ones(2))


def test_several_writers_at_once_never_leave_a_half_written_entry(tmp_path):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    path = tmp_path / "entry.pt"
    with ProcessPoolExecutor(3, mp_context=mp.get_context("spawn")) as pool:
        counts = list(pool.map(fns.hammer, [str(path)] * 3, ["d" * 32] * 3, [40] * 3))
    assert counts == [40, 40, 40]
    assert [p.name for p in tmp_path.iterdir()] == ["entry.pt"]  # no temporary left


def test_numpy_scalars_are_stored_as_plain_numbers():
    """np.float64 is a float subclass: it must still be stored as a plain number, or the safe
    loader refuses the entry and the result is recomputed on every run."""
    first = fns.numpy_scalars(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = fns.numpy_scalars(3)
    assert fns.CALLS == ["numpy"] and again == first == {"mean": 1.5, "count": 3, "flag": True}
    assert type(again["mean"]) is float and type(again["count"]) is int
