"""Tests for dofcourse.subspace: P = I is ordinary training, ensembles equal single runs,
anchors, cached sweeps that resume, and the intrinsic-dimension read-out."""

import copy
import math

import numpy as np
import pytest
import torch

from dofcourse import data, models, params, subspace, train
from dofcourse.projections import make_projection
from dofcourse.settings import TrainSettings


@pytest.fixture(scope="module")
def ds():
    return data.load("digits", device="cpu").subsample(200, sample_seed=0)


def tiny(ds, seed=0):
    torch.manual_seed(seed)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(16,))


@pytest.mark.parametrize(
    "settings",
    [
        TrainSettings(steps=8, lr=0.2, order_seed=3),
        TrainSettings(steps=8, lr=0.01, optimizer="adam", batch_size=64, order_seed=3),
        TrainSettings(steps=8, lr=0.1, momentum=0.9, batch_size=50, order_seed=3),
    ],
    ids=["gd", "adam", "sgd-momentum"],
)
def test_identity_projection_is_ordinary_training_step_for_step(ds, settings):
    m = tiny(ds)
    D = params.count(m)
    ref = copy.deepcopy(m)
    hist = train.train(ref, ds, settings, eval_every=1, progress=False)
    run = subspace.train_subspace(m, ds, settings, D, kind="identity", eval_every=1, progress=False)
    np.testing.assert_array_equal(run.history.step, hist.step)
    np.testing.assert_allclose(run.history.loss, hist.loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run.history.train_acc, hist.train_acc)
    theta = params.flatten(m) + run.z
    torch.testing.assert_close(theta, params.flatten(ref), rtol=1e-5, atol=1e-6)
    assert torch.equal(params.flatten(m), params.flatten(tiny(ds)))  # the model is untouched


@pytest.mark.parametrize("kind", ["dense", "sparse", "fastfood"])
def test_ensemble_equals_separate_runs(ds, kind):
    m = tiny(ds)
    dims, seeds = [4, 30, 30], [0, 1, 2]
    settings = TrainSettings(steps=5, lr=0.05, optimizer="adam", batch_size=64)
    runs = subspace.train_ensemble(m, ds, settings, dims, seeds, kind=kind, progress=False)
    for run, d, s in zip(runs, dims, seeds, strict=True):
        alone = subspace.train_subspace(m, ds, settings, d, kind=kind, proj_seed=s, progress=False)
        assert (run.d, run.proj_seed, run.z.shape) == (d, s, (d,))
        torch.testing.assert_close(run.z, alone.z, rtol=1e-4, atol=1e-5)
        assert run.loss == pytest.approx(alone.loss, rel=1e-4)


def test_subspace_training_learns_and_more_dims_help(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=60, lr=0.05, optimizer="adam")
    runs = subspace.train_ensemble(m, ds, settings, [2, 300], [0, 0], progress=False)
    assert runs[1].train_acc > 0.8, "d = 300 of a 1210-parameter net should fit 200 digits"
    assert runs[1].train_acc > runs[0].train_acc + 0.3


def test_burn_in_anchors_from_one_run(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=1, lr=0.01, optimizer="adam", batch_size=32)
    anchors = subspace.burn_in(m, ds, settings, [0, 5, 20])
    assert list(anchors) == [0, 5, 20]
    for t in (5, 20):
        ref = copy.deepcopy(m)
        train.train(ref, ds, settings.replace(steps=t), progress=False)
        torch.testing.assert_close(anchors[t], params.flatten(ref))
    assert torch.equal(anchors[0], params.flatten(m))
    run = subspace.train_subspace(m, ds, TrainSettings(steps=1, lr=1e-9), 10, anchor=anchors[20],
                                  eval_every=1, progress=False)  # fmt: skip
    ref = params.load_into(copy.deepcopy(m), anchors[20])
    assert run.history.loss[0] == pytest.approx(train.evaluate(ref, ds.x_train, ds.y_train)[0],
                                                rel=1e-5)  # fmt: skip


def test_sweep_is_a_table_cached_per_run_that_resumes(ds, monkeypatch):
    m = tiny(ds)
    calls = []
    real = subspace.sweep.__globals__["train_ensemble"]

    def counting(model, data, settings, dims, seeds, **kw):
        calls.append(list(zip(dims, seeds, strict=True)))
        return real(model, data, settings, dims, seeds, **kw)

    monkeypatch.setitem(subspace.runs.fn.__globals__, "train_ensemble", counting)
    settings = TrainSettings(steps=3, lr=0.05, optimizer="adam")
    first = subspace.sweep(m, ds, settings, [5, 20], [0], kind="sparse", progress=False)
    assert list(first[["d", "proj_seed"]].itertuples(index=False, name=None)) == [(5, 0), (20, 0)]
    calls.clear()
    full = subspace.sweep(m, ds, settings, [5, 20], [0, 1], kind="sparse", progress=False)
    assert sorted(p for c in calls for p in c) == [(5, 1), (20, 1)], "only missing runs computed"
    assert subspace.accuracy_table(full).shape == (2, 2)
    np.testing.assert_array_equal(
        subspace.accuracy_table(full)[0], subspace.accuracy_table(first)[0]
    )
    calls.clear()
    subspace.sweep(m, ds, settings, [5, 20], [0, 1], kind="sparse", progress=False)
    assert calls == []
    subspace.sweep(m, ds, settings.replace(steps=4), [5, 20], [0, 1], kind="sparse", progress=False)
    assert len([p for c in calls for p in c]) == 4, "a new number of steps is a new cache entry"


def test_a_frozen_layer_changes_the_sweep_key(ds):
    """Two models that differ only in a frozen layer are different experiments."""
    a, b = tiny(ds), tiny(ds)
    with torch.no_grad():
        b[1].weight.mul_(0.0)
    for m in (a, b):
        m[1].weight.requires_grad_(False)
    settings = TrainSettings(steps=5, lr=0.05, optimizer="adam")
    ra = subspace.sweep(a, ds, settings, [10], [0], progress=False)
    rb = subspace.sweep(b, ds, settings, [10], [0], progress=False)
    assert ra["loss"][0] != rb["loss"][0]


def test_intrinsic_dimension_is_an_estimate_with_a_bootstrap_interval():
    dims = [10, 100, 1000]
    same = np.tile([0.2, 0.6, 1.0], (5, 1))
    r = subspace.intrinsic_dimension(dims, same, full_acc=8 / 9)  # target 0.8
    assert r.value == pytest.approx(math.sqrt(1e5)) and r.lo == r.hi == pytest.approx(r.value)
    noisy = same + np.random.default_rng(0).normal(0, 0.05, same.shape)
    r = subspace.intrinsic_dimension(dims, noisy, full_acc=8 / 9)
    assert r.lo < r.value < r.hi and 100 < r.lo and r.hi < 1000 and r.method == "bootstrap"
    with pytest.raises(ValueError, match="shape"):
        subspace.intrinsic_dimension(dims, same[:, :2], full_acc=1.0)


def test_loss_on_plane_is_the_loss_at_each_grid_point(ds):
    m = tiny(ds)
    p = make_projection("orthonormal", params.count(m), 2, seed=0)
    grid, loss = subspace.loss_on_plane(m, ds, p, extent=1.0, n=5)
    assert grid.shape == (5,) and loss.shape == (5, 5)
    assert loss[2, 2] == pytest.approx(train.evaluate(m, ds.x_train, ds.y_train)[0], rel=1e-5)
    # an off-centre point: a = grid[4] along P e_1, b = grid[1] along P e_2
    moved = params.load_into(copy.deepcopy(m), params.flatten(m) + p(torch.tensor([1.0, -0.5])))
    assert loss[1, 4] == pytest.approx(train.evaluate(moved, ds.x_train, ds.y_train)[0], rel=1e-5)
    with pytest.raises(ValueError, match="d = 2"):
        subspace.loss_on_plane(m, ds, make_projection("dense", 1210, 3), extent=1.0)


def test_bad_arguments(ds):
    m = tiny(ds)
    s = TrainSettings(steps=1, lr=0.1)
    with pytest.raises(ValueError, match="anchor"):
        subspace.train_subspace(m, ds, s, 5, anchor=torch.zeros(3))
    for d in (2.5, "10", True):
        with pytest.raises(TypeError, match="d"):
            subspace.train_subspace(m, ds, s, d)
    with pytest.raises(TypeError, match=r"dims\[0\]"):
        subspace.sweep(m, ds, s, [10.7], [0])
    with pytest.raises(ValueError, match="proj_seeds"):
        subspace.sweep(m, ds, s, [10], [])
    with pytest.raises(ValueError, match="budget"):
        subspace.train_subspace(m, ds, s, 1000, kind="dense", max_bytes=10**4)


def test_on_eval_sees_the_path_of_z(ds):
    m = tiny(ds)
    path = []
    run = subspace.train_subspace(m, ds, TrainSettings(steps=6, lr=0.05, optimizer="adam"), 3,
                                  eval_every=2, on_eval=lambda step, z: path.append(z),
                                  progress=False)  # fmt: skip
    assert len(path) == len(run.history.step) == 4
    assert torch.equal(path[0], torch.zeros(1, 3)) and torch.equal(path[-1][0], run.z)
    assert not torch.equal(path[1], path[-1]), "each evaluation gets its own copy of z"


def test_train_full_is_ordinary_training_cached(ds, monkeypatch):
    m = tiny(ds)
    settings = TrainSettings(steps=20, lr=0.01, optimizer="adam", batch_size=64)
    r = subspace.train_full(m, ds, settings)
    ref = copy.deepcopy(m)
    hist = train.train(ref, ds, settings, progress=False)
    torch.testing.assert_close(r["theta"], params.flatten(ref))  # theta* of ordinary training
    assert r["test_acc"] == pytest.approx(hist.test_acc[-1]) and r["loss"] == pytest.approx(
        hist.loss[-1], rel=1e-5
    )
    assert r["train_acc"] == pytest.approx(hist.train_acc[-1])
    assert list(r["step"]) == list(hist.step)
    assert torch.equal(params.flatten(m), params.flatten(tiny(ds))), "the model is not trained"
    monkeypatch.setattr(train, "train", lambda *a, **k: pytest.fail("recomputed, not cached"))
    again = subspace.train_full(m, ds, settings)
    assert again.keys() == r.keys() and torch.equal(again["theta"], r["theta"])
    assert again["test_acc"] == r["test_acc"] and list(again["step"]) == list(r["step"])


def test_sweep_without_progress_prints_no_bars(ds, capsys):
    subspace.sweep(tiny(ds), ds, TrainSettings(steps=3, lr=0.05), [5], [0], progress=False)
    assert capsys.readouterr().err == ""


def test_chunks_of_stored_projections_do_not_pad_small_d_to_large(ds):
    from dofcourse.subspace.sweep import plan_chunks

    points = [{"d": d, "proj_seed": s} for d in (10, 30, 100, 200, 1000) for s in (0, 1)]
    fixed = {"model": tiny(ds), "kind": "dense"}
    chunks = plan_chunks(points, fixed)
    assert [p for c in chunks for p in c] == points
    assert all(max(p["d"] for p in c) <= 2 * min(p["d"] for p in c) for c in chunks)
    assert len(plan_chunks(points, {**fixed, "kind": "fastfood"})) == 1, "no padding cost there"


def test_time_per_step_is_positive_and_refuses_bad_arguments(ds):
    m = tiny(ds)
    t = subspace.time_per_step(m, ds, kind=None, steps=2, repeats=2, min_seconds=0.005)
    assert 0 < t < 0.1
    t_sub = subspace.time_per_step(m, ds, kind="fastfood", d=5, steps=2, repeats=2,
                                   min_seconds=0.005)  # fmt: skip
    assert 0 < t_sub < 0.5
    with pytest.raises(ValueError, match="kind"):
        subspace.time_per_step(m, ds, kind="gaussian")
    with pytest.raises(ValueError, match="repeats"):
        subspace.time_per_step(m, ds, kind=None, repeats=0)
