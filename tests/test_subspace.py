"""Tests for dofcourse.subspace: P = I is ordinary training, ensembles equal single runs,
anchors, cached sweeps that resume, and the intrinsic-dimension read-out."""

import copy
import math

import numpy as np
import pytest
import torch

from dofcourse import data, models, subspace, train


@pytest.fixture(scope="module")
def ds():
    return data.load("digits", device="cpu").subsample(200, seed=0)


def tiny(ds, seed=0):
    torch.manual_seed(seed)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(16,))


def test_flat_params_round_trip(ds):
    m = tiny(ds)
    theta = subspace.flat_params(m)
    assert theta.shape == (models.count_params(m),)
    back = subspace.unflatten(theta, m)
    for name, p in m.named_parameters():
        assert torch.equal(back[name], p.detach())


@pytest.mark.parametrize(
    ("optimizer", "lr", "batch_size"), [("sgd", 0.2, None), ("adam", 0.01, 64), ("sgd", 0.1, 50)]
)
def test_identity_projection_is_ordinary_training_step_for_step(ds, optimizer, lr, batch_size):
    m = tiny(ds)
    D = models.count_params(m)
    ref = copy.deepcopy(m)
    hist = train.train(ref, ds, steps=8, lr=lr, optimizer=optimizer, batch_size=batch_size,
                       seed=3, eval_every=1, progress=False)  # fmt: skip
    run = subspace.train_subspace(m, ds, D, kind="identity", steps=8, lr=lr, optimizer=optimizer,
                                  batch_size=batch_size, data_seed=3, eval_every=1,
                                  progress=False)  # fmt: skip
    assert run.history["step"] == hist.step
    np.testing.assert_allclose(run.history["loss"], hist.loss, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run.history["train_acc"], hist.train_acc)
    theta = subspace.flat_params(m) + run.z
    torch.testing.assert_close(theta, subspace.flat_params(ref), rtol=1e-5, atol=1e-6)
    assert torch.equal(subspace.flat_params(m), subspace.flat_params(tiny(ds)))  # untouched


@pytest.mark.parametrize("kind", ["dense", "sparse", "fastfood"])
def test_ensemble_equals_separate_runs(ds, kind):
    m = tiny(ds)
    dims, seeds = [4, 30, 30], [0, 1, 2]
    kw = dict(kind=kind, steps=5, lr=0.05, optimizer="adam", batch_size=64, progress=False)
    runs = subspace.train_ensemble(m, ds, dims, seeds, **kw)
    for run, d, s in zip(runs, dims, seeds, strict=True):
        alone = subspace.train_subspace(m, ds, d, seed=s, **kw)
        assert (run.d, run.seed, run.z.shape) == (d, s, (d,))
        torch.testing.assert_close(run.z, alone.z, rtol=1e-4, atol=1e-5)
        assert run.loss == pytest.approx(alone.loss, rel=1e-4)


def test_subspace_training_learns_and_more_dims_help(ds):
    m = tiny(ds)
    runs = subspace.train_ensemble(m, ds, [2, 300], [0, 0], kind="fastfood", steps=60, lr=0.05,
                                   optimizer="adam", progress=False)  # fmt: skip
    assert runs[1].train_acc > 0.8, "d = 300 of a 1210-parameter net should fit 200 digits"
    assert runs[1].train_acc > runs[0].train_acc + 0.3


def test_burn_in_anchor(ds):
    m = tiny(ds)
    anchor = subspace.burn_in(m, ds, steps=20, lr=0.01, optimizer="adam")
    ref = copy.deepcopy(m)
    train.train(ref, ds, steps=20, lr=0.01, optimizer="adam", progress=False)
    torch.testing.assert_close(anchor, subspace.flat_params(ref))
    run = subspace.train_subspace(m, ds, 10, anchor=anchor, steps=1, lr=1e-9, eval_every=1,
                                  progress=False)  # fmt: skip
    assert run.history["loss"][0] == pytest.approx(train.evaluate(ref, ds.x_train, ds.y_train)[0],
                                                   rel=1e-5)  # fmt: skip
    assert torch.equal(subspace.burn_in(m, ds, steps=0, lr=0.1), subspace.flat_params(m))


def test_sweep_is_cached_per_run_and_resumes(ds, monkeypatch):
    m = tiny(ds)
    calls = []
    real = subspace.train_ensemble

    def counting(*args, **kw):
        calls.append(list(zip(args[2], args[3], strict=True)))
        return real(*args, **kw)

    monkeypatch.setattr(subspace, "train_ensemble", counting)
    kw = dict(kind="sparse", steps=3, lr=0.05, optimizer="adam", progress=False, chunk=4)
    first = subspace.sweep(m, ds, [5, 20], [0], **kw)  # "interrupted" after seed 0
    assert first.test_acc.shape == (1, 2)
    calls.clear()
    full = subspace.sweep(m, ds, [5, 20], [0, 1], **kw)
    assert sorted(p for c in calls for p in c) == [(5, 1), (20, 1)], "only missing runs computed"
    assert full.test_acc.shape == (2, 2)
    np.testing.assert_array_equal(full.test_acc[0], first.test_acc[0])
    calls.clear()
    again = subspace.sweep(m, ds, [5, 20], [0, 1], **kw)
    assert calls == []
    np.testing.assert_array_equal(again.loss, full.loss)
    subspace.sweep(m, ds, [5, 20], [0, 1], **{**kw, "steps": 4})
    assert len([p for c in calls for p in c]) == 4, "a new number of steps is a new cache entry"


def test_crossing_interpolates_in_log_d():
    dims = [10, 100, 1000]
    assert subspace.crossing(dims, [0.2, 0.6, 1.0], 0.8) == pytest.approx(math.sqrt(100 * 1000))
    assert subspace.crossing(dims, [0.9, 0.95, 1.0], 0.8) == 10
    assert subspace.crossing(dims, [0.1, 0.2, 0.3], 0.8) == math.inf
    with pytest.raises(ValueError, match="increasing"):
        subspace.crossing([100, 10], [0.1, 0.2], 0.5)


def test_intrinsic_dimension_and_bootstrap_interval():
    dims = [10, 100, 1000]
    same = np.tile([0.2, 0.6, 1.0], (5, 1))
    r = subspace.intrinsic_dimension(dims, same, full_acc=8 / 9)  # target 0.8
    assert r.d_int == pytest.approx(math.sqrt(1e5)) and r.lo == r.hi == pytest.approx(r.d_int)
    noisy = same + np.random.default_rng(0).normal(0, 0.05, same.shape)
    r = subspace.intrinsic_dimension(dims, noisy, full_acc=8 / 9)
    assert r.lo < r.d_int < r.hi and 100 < r.lo and r.hi < 1000
    with pytest.raises(ValueError, match="shape"):
        subspace.intrinsic_dimension(dims, same[:, :2], full_acc=1.0)


def test_loss_on_plane_centre_is_anchor_loss(ds):
    from dofcourse.projections import make_projection

    m = tiny(ds)
    p = make_projection("orthonormal", models.count_params(m), 2, seed=0)
    grid, loss = subspace.loss_on_plane(m, ds, p, extent=1.0, n=5)
    assert grid.shape == (5,) and loss.shape == (5, 5)
    assert loss[2, 2] == pytest.approx(train.evaluate(m, ds.x_train, ds.y_train)[0], rel=1e-5)
    with pytest.raises(ValueError, match="d = 2"):
        subspace.loss_on_plane(m, ds, make_projection("dense", 1210, 3), extent=1.0)


def test_bad_arguments(ds):
    m = tiny(ds)
    with pytest.raises(ValueError, match="optimizer"):
        subspace.train_subspace(m, ds, 5, steps=1, lr=0.1, optimizer="lbfgs")
    with pytest.raises(ValueError, match="anchor"):
        subspace.train_subspace(m, ds, 5, steps=1, lr=0.1, anchor=torch.zeros(3))
    with pytest.raises(ValueError, match="steps"):
        subspace.train_subspace(m, ds, 5, steps=0, lr=0.1)
    with pytest.raises(ValueError, match="budget"):
        subspace.train_subspace(m, ds, 1000, kind="dense", steps=1, lr=0.1, max_bytes=10**4)
