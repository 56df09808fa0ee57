"""dofcourse.experiment: keys by the complete call and the code, safe plain-data entries, grids."""

import errno
import os
import pickle
import signal
import sys
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch

from dofcourse import config, data, experiment, models
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
    mods = experiment.closure("dofcourse.ensemble")  # the package, through its trainer
    assert "dofcourse.train" in mods and "dofcourse.settings" in mods
    assert "dofcourse.ensemble.trainer" in mods
    # a docstring edit does not change the code digest; a code edit does
    src = "def f(x):\n    '''doc'''\n    return x + 1\n"
    import ast

    def code(s):
        return ast.dump(experiment.fingerprint.strip_docstrings(ast.parse(s)))

    assert code(src) == code(src.replace("doc", "other words")) != code(src.replace("1", "2"))


def test_unrelated_package_modules_do_not_invalidate():
    closure = set()
    todo = ["dofcourse.stats"]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(experiment.fingerprint.module_code(name)[1])
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


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_are_never_writable_by_others_and_stale_temporaries_are_removed(tmp_path, umask):
    """Issue 26: the cache is the user's own; files follow the umask, but even umask 002 gives no
    group write bit."""
    old = os.umask(umask)
    try:
        fns.scaled(torch.ones(1))
    finally:
        os.umask(old)
    (path,) = list((tmp_path / "cache").rglob("*.pt"))
    assert path.stat().st_mode & 0o777 == 0o644 & ~umask
    assert path.parent.stat().st_mode & 0o777 == 0o755 & ~umask
    stale, fresh = path.parent / ".x.1.dead.tmp", path.parent / ".y.2.live.tmp"
    for f in (stale, fresh):
        f.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    experiment.store._swept.clear()
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


class _InterruptedBuffer:
    """An io.BytesIO whose third write is interrupted (Ctrl-C inside torch's zip writer)."""

    def __init__(self, real):
        self.real, self.writes = real(), 0

    def write(self, b):
        self.writes += 1
        if self.writes == 3:
            raise KeyboardInterrupt
        return self.real.write(b)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_ctrl_c_inside_torchs_writer_shows_only_the_interrupt(tmp_path, monkeypatch):
    import io

    real = io.BytesIO
    monkeypatch.setattr(experiment.store.io, "BytesIO", lambda: _InterruptedBuffer(real))
    with pytest.raises(KeyboardInterrupt) as info:
        fns.scaled(torch.ones(1000))
    err = info.value
    assert err.__suppress_context__ or err.__context__ is None  # no "unexpected pos" after it
    assert "inline_container" not in "".join(traceback.format_exception(err))
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


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
    experiment.store._swept.clear()
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


# ============================================================================ issue 26: the cache
def _entry_of(tmp_path):
    (path,) = list((tmp_path / "cache").rglob("*.pt"))
    return path


def test_every_flipped_byte_of_an_entry_is_noticed(tmp_path):
    """torch's zip reader checks no CRC: without a checksum, most flipped bytes of a tensor entry
    came back as a silently wrong value (reliability review, F2)."""
    x = torch.linspace(-3, 3, 50, dtype=torch.float64)
    fns.scaled(x)
    path = _entry_of(tmp_path)
    good = path.read_bytes()
    offsets = sorted({*range(0, len(good), max(1, len(good) // 60)), len(good) - 1})
    for o in offsets:
        bad = bytearray(good)
        bad[o] ^= 0x10
        path.write_bytes(bytes(bad))
        with pytest.warns(UserWarning, match="cannot be used"):
            out = fns.scaled(x)
        assert torch.equal(out, x), f"a flip at byte {o} changed the result"
    assert fns.CALLS.count("scaled") == len(offsets) + 1


def _plant(path, key, value):
    """A well-formed entry (header, checksum, digest) holding ``value``, as a planter makes it."""
    entry = {"format": experiment.FORMAT, "digest": key, "function": "x", "key": {}}
    experiment.store.write(path, {**entry, "value": value})


def test_an_entry_another_user_wrote_or_others_can_write_is_refused(tmp_path):
    fns.scaled(torch.ones(2))
    path = _entry_of(tmp_path)
    key = path.stem
    _plant(path, key, torch.full((2,), 666.0))
    os.chown(path, 65534, 65534)  # written by another user (nobody)
    with pytest.warns(UserWarning, match="another user"):
        assert torch.equal(fns.scaled(torch.ones(2)), torch.ones(2))
    _plant(path, key, torch.full((2,), 666.0))
    os.chmod(path, 0o666)  # anyone could have written it
    with pytest.warns(UserWarning, match="other users can write"):
        assert torch.equal(fns.scaled(torch.ones(2)), torch.ones(2))
    assert fns.CALLS == ["scaled"] * 3


def test_a_cache_folder_of_another_user_or_writable_by_others_is_refused(tmp_path, monkeypatch):
    for i, (owner, mode) in enumerate([(65534, 0o755), (os.geteuid(), 0o777)]):
        root = tmp_path / f"shared{i}"
        root.mkdir()
        os.chown(root, owner, -1)
        os.chmod(root, mode)
        monkeypatch.setenv("DOFCOURSE_CACHE", str(root))
        with pytest.raises(experiment.UnsafeCacheError, match=f"chmod go-w {root}"):
            fns.scaled(torch.ones(2))
    assert fns.CALLS == []


def test_a_planted_dataclass_is_validated_and_names_no_module_to_import(tmp_path, monkeypatch):
    fns.structured(3)
    path = _entry_of(tmp_path)
    fields = {"steps": -5, "lr": float("nan"), "optimizer": "rm -rf"}
    bad = {"__dataclass__": "dofcourse.settings:TrainSettings", "fields": fields}
    _plant(path, path.stem, bad)
    with pytest.warns(UserWarning, match="cannot be used"):
        out = fns.structured(3)
    assert out["settings"].steps == 3 and fns.CALLS == ["structured"] * 2
    monkeypatch.delitem(sys.modules, "dofcourse.website", raising=False)
    _plant(path, path.stem, {"__dataclass__": "dofcourse.website:Page", "fields": {}})
    with pytest.warns(UserWarning, match="refusing to build"):
        fns.structured(3)
    assert "dofcourse.website" not in sys.modules  # the entry did not make anything import


def test_a_fifo_or_a_link_at_an_entry_never_hangs_and_is_replaced(tmp_path):
    fns.scaled(torch.ones(2))
    path = _entry_of(tmp_path)
    path.unlink()
    os.mkfifo(path)

    def hung(*args):
        raise TimeoutError("reading a FIFO at a cache entry hung")

    before = signal.signal(signal.SIGALRM, hung)  # a blocking open would hang the suite
    signal.alarm(20)
    try:
        with pytest.warns(UserWarning, match="not a regular file"):
            assert torch.equal(fns.scaled(torch.ones(2)), torch.ones(2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
    assert path.is_file()
    target = tmp_path / "outside.txt"
    target.write_text("keep")
    path.unlink()
    path.symlink_to(target)
    with pytest.warns(UserWarning, match="symbolic link"):
        fns.scaled(torch.ones(2))
    assert target.read_text() == "keep" and path.is_file() and not path.is_symlink()


def test_a_failed_write_warns_once_and_returns_the_results(monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(experiment.store, "write", full)
    experiment.store._warned.clear()
    with pytest.warns(UserWarning, match="cannot store results") as seen:
        assert torch.equal(fns.scaled(torch.ones(3)), torch.ones(3))
        assert torch.equal(fns.scaled(torch.ones(4)), torch.ones(4))
        df = experiment.grid(
            fns.power_grid, {"base": [1, 2, 3], "exp": [1]}, offset=0.0, progress=False
        )
    assert df["value"].tolist() == [1.0, 2.0, 3.0]  # every point, none lost
    assert len([w for w in seen if "cannot store" in str(w.message)]) == 2  # one per folder


def test_a_cache_that_cannot_be_created_or_cleaned_still_returns_results(tmp_path, monkeypatch):
    def denied():
        raise PermissionError(errno.EACCES, "cannot create the folder (DOFCOURSE_CACHE=...)")

    experiment.store._warned.clear()
    with monkeypatch.context() as m:
        m.setattr(config, "cache_dir", denied)
        with pytest.warns(UserWarning, match="cannot be created"):
            assert torch.equal(fns.scaled(torch.ones(2)), torch.ones(2))
    fns.scaled(torch.ones(2))
    path = _entry_of(tmp_path)
    path.write_bytes(b"garbage")

    def cannot(self, missing_ok=False):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(type(path), "unlink", cannot)
    with pytest.warns(UserWarning, match="cannot be removed"):
        assert torch.equal(fns.scaled(torch.ones(2)), torch.ones(2))


def test_a_tilde_or_relative_cache_path_is_one_folder_for_reads_and_writes(tmp_path, monkeypatch):
    """A grid read $HOME/x but wrote ./~/x: it recomputed every point on every run."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for value in ("~/tilde", "relative/cache"):
        monkeypatch.setenv("DOFCOURSE_CACHE", value)
        for _ in range(2):
            fns.CHUNKS.clear()
            experiment.grid(fns.power_grid, {"base": [1, 2], "exp": [1]}, offset=0.0,
                            progress=False)  # fmt: skip
        assert fns.CHUNKS == [], f"DOFCOURSE_CACHE={value}: the second run recomputed"
        assert config.cache_dir().is_absolute()
    assert not (tmp_path / "~").exists()


def test_notebook_code_a_model_calls_is_part_of_the_key(tmp_path, monkeypatch):
    """Review N5/N6: a model whose forward calls a helper reading a global SCALE kept its key
    when SCALE or the helper's body changed, and the old result came back."""
    import importlib

    source = (
        "import torch\n"
        "SCALE = 1.0\n\n"
        "def act(x):\n    return torch.tanh(SCALE * x)\n\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lin = torch.nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n        return act(self.lin(x.flatten(1)))\n"
    )
    (tmp_path / "nb_model.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    nb = importlib.import_module("nb_model")
    net = nb.Net()
    key = fns.model_output.digest(net)
    nb.SCALE = 5.0
    assert fns.model_output.digest(net) != key, "a global the helper reads is not in the key"
    nb.SCALE = 1.0
    assert fns.model_output.digest(net) == key
    (tmp_path / "nb_model.py").write_text(source.replace("tanh", "relu"))
    importlib.invalidate_caches()
    import linecache

    linecache.clearcache()
    nb = importlib.reload(nb)
    net2 = nb.Net()
    net2.load_state_dict(net.state_dict())
    assert fns.model_output.digest(net2) != key, "the helper's code is not in the key"
    sys.modules.pop("nb_model", None)


def test_config_paths_that_are_files_are_one_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for var, fn in (("DOFCOURSE_CACHE", config.cache_dir), ("DOFCOURSE_DATA", config.data_dir)):
        for value in (blocker, blocker / "sub"):
            monkeypatch.setenv(var, str(value))
            with pytest.raises(NotADirectoryError, match=var):
                fn()


# ============================================================================ issue 25 item 3
def _cached_functions():
    """(name, module) of every @cached and @batched function of the package."""
    import importlib
    import pkgutil

    import dofcourse

    out = []
    for info in pkgutil.walk_packages(dofcourse.__path__, "dofcourse."):
        mod = importlib.import_module(info.name)
        for k, v in vars(mod).items():
            kind = hasattr(v, "uncached") or isinstance(v, experiment.Batched)
            if kind and getattr(v, "__module__", None) == info.name:
                out.append((f"{info.name}.{k}", info.name))
    return out


def test_no_cached_functions_fingerprint_reaches_figures_or_widgets():
    """Review T1: `from dofcourse.subspace import Affine` counted the package __init__, so chapter
    05's grid reached 30 modules, plotting and chapter 01's explorer among them."""
    import re

    ui = re.compile(r"plotting|figures|explorer|widget|demo")
    found = _cached_functions()
    assert len(found) > 30, "the walk found the package's cached functions"
    reach = {}
    for name, module in found:
        hits = sorted(m for m in experiment.closure(module) if ui.search(m))
        if hits:
            reach[name] = hits
    assert not reach, f"fingerprints reach figure or widget code: {reach}"
    imports = experiment.fingerprint.module_code("dofcourse.phase.grid")[1]
    assert "dofcourse.subspace.affine" in imports and "dofcourse.subspace" not in imports


def test_editing_chapter_01s_plotting_keeps_chapter_05s_keys(monkeypatch):
    chapter_05 = ("dofcourse.phase.grid", "dofcourse.phase.synthetic", "dofcourse.subspace.sweep")
    real = experiment.fingerprint.module_code

    def fingerprints(edited):
        def code(name):
            digest, imports = real(name)
            return (digest + "-edited" if name in edited else digest), imports

        monkeypatch.setattr(experiment.fingerprint, "module_code", code)
        experiment.code_fingerprint.cache_clear()
        try:
            return [experiment.code_fingerprint(m) for m in chapter_05]
        finally:
            experiment.code_fingerprint.cache_clear()

    before = fingerprints(set())
    assert fingerprints({"dofcourse.plotting", "dofcourse.landscape.explorer"}) == before
    assert fingerprints({"dofcourse.settings"}) != before  # the test can fail: code it runs


def test_a_large_tensor_is_hashed_once_until_it_changes():
    """Review T9: every cached call re-hashed its whole dataset (0.1 s per 61 MB)."""
    x = torch.zeros(100_000)
    first = experiment.digest(fns.total.uncached, {"matrix": x})
    ref, version, ptr, _ = experiment.keys._DIGESTS[id(x)]
    experiment.keys._DIGESTS[id(x)] = (ref, version, ptr, b"remembered" * 4)
    assert experiment.digest(fns.total.uncached, {"matrix": x}) != first, (
        "the digest was not remembered"
    )
    x.add_(1.0)  # an in-place change: hashed again
    changed = experiment.digest(fns.total.uncached, {"matrix": x})
    assert changed not in (first,) and experiment.keys._DIGESTS[id(x)][3] != b"remembered" * 4
    assert experiment.digest(fns.total.uncached, {"matrix": torch.ones(100_000)}) == changed
