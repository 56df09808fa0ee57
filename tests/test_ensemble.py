"""dofcourse.ensemble: a vectorised ensemble equals its members trained one at a time."""

import numpy as np
import pytest
import torch

from dofcourse import data, ensemble, models, params, train
from dofcourse.settings import TrainSettings


@pytest.fixture(scope="module")
def ds():
    return data.load("digits", device="cpu").subsample(200, sample_seed=0)


def net(ds, seed):
    torch.manual_seed(seed)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(16,))


def stacked(nets):
    return torch.stack([params.flatten(n) for n in nets])


SETTINGS = [
    TrainSettings(steps=8, lr=0.2, order_seed=3),
    TrainSettings(steps=8, lr=0.1, momentum=0.9, batch_size=50, order_seed=3, weight_decay=1e-3),
    TrainSettings(steps=8, lr=0.01, optimizer="adam", batch_size=64, order_seed=3),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["gd", "sgd-momentum", "adam"])
def test_ensemble_equals_one_at_a_time(ds, settings):
    nets = [net(ds, s) for s in range(3)]
    f = params.Functional.of_module(nets[0])
    run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_every=2,
                                 progress=False)  # fmt: skip
    for e, n in enumerate(nets):
        hist = train.train(n, ds, settings, eval_every=2, progress=False)
        np.testing.assert_array_equal(run.history.step, hist.step)
        np.testing.assert_allclose(run.history.member(e).loss, hist.loss, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(run.history.member(e).test_acc, hist.test_acc)
        torch.testing.assert_close(run.u[e], params.flatten(n), rtol=1e-5, atol=1e-6)


def conv_net(seed):
    torch.manual_seed(seed)
    features, flat = models.conv_features((1, 8, 8), (3, 4), pool="avg")
    return torch.nn.Sequential(features, torch.nn.Linear(flat, 10))


@pytest.mark.parametrize("orders", [None, [5, 6, 7]], ids=["shared-batch", "own-batches"])
def test_convolutional_members_run_one_by_one_and_equal_single_runs(ds, orders):
    """On a CPU a convolutional network's members run one after another (vmap's grouped
    convolutions are slow there), with the same result as one-at-a-time training and as vmap."""
    ds = ds.subsample(96, sample_seed=1)
    settings = TrainSettings(steps=6, lr=0.05, optimizer="adam", batch_size=32, order_seed=5)
    nets = [conv_net(s) for s in range(3)]
    f = params.Functional.of_module(nets[0])
    assert f.convolutional and ensemble.evaluate.one_by_one(f)
    assert not ensemble.evaluate.one_by_one(params.Functional.of_module(net(ds, 0)))
    run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_every=3,
                                 order_seeds=orders, progress=False)  # fmt: skip
    for e, n in enumerate(nets):
        own = settings if orders is None else settings.replace(order_seed=orders[e])
        hist = train.train(n, ds, own, eval_every=3, progress=False)
        np.testing.assert_allclose(run.history.member(e).loss, hist.loss, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(run.u[e], params.flatten(n), rtol=1e-5, atol=1e-6)
    thetas = run.u + 0.01 * torch.randn(run.u.shape, generator=torch.Generator().manual_seed(0))
    out = ensemble.evaluate.members_outputs(f, 3)(thetas, ds.x_train)
    ref = torch.func.vmap(f.fn, in_dims=(0, None))(thetas, ds.x_train)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    loss, acc = ensemble.evaluate_members(f, thetas, ds.x_train, ds.y_train)
    for e in range(3):
        assert loss[e].item() == pytest.approx(
            torch.nn.functional.cross_entropy(f.fn(thetas[e], ds.x_train), ds.y_train).item(),
            rel=1e-5,
        )


def test_eval_examples_measure_a_fixed_subset_and_train_the_same(ds):
    settings = TrainSettings(steps=6, lr=0.1, batch_size=32, order_seed=2)
    nets = [net(ds, s) for s in range(2)]
    f = params.Functional.of_module(nets[0])
    full = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_every=3,
                                  progress=False)  # fmt: skip
    part = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_every=3,
                                  eval_examples=50, progress=False)  # fmt: skip
    torch.testing.assert_close(part.u, full.u, rtol=0, atol=0)  # training is untouched
    keep = torch.randperm(len(ds.x_train), generator=torch.Generator().manual_seed(0))[:50]
    loss, acc = ensemble.evaluate_members(f, part.u, ds.x_train[keep], ds.y_train[keep])
    np.testing.assert_allclose(part.history.loss[:, -1], loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(part.history.train_acc[:, -1], acc.numpy())
    np.testing.assert_allclose(part.history.test_acc, full.history.test_acc)
    assert not np.allclose(part.history.loss, full.history.loss)
    with pytest.raises(ValueError, match="eval_examples"):
        ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_examples=0,
                               progress=False)  # fmt: skip


def test_replicas_with_their_own_batch_order(ds):
    settings = TrainSettings(steps=6, lr=0.1, batch_size=32)
    nets = [net(ds, 0) for _ in range(3)]
    f = params.Functional.of_module(nets[0])
    run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings,
                                 order_seeds=[5, 6, 7], progress=False)  # fmt: skip
    for e, n in enumerate(nets):
        train.train(n, ds, settings.replace(order_seed=5 + e), progress=False)
        torch.testing.assert_close(run.u[e], params.flatten(n), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(run.u[0], run.u[1])


def test_pools_train_each_member_on_its_own_subset(ds):
    settings = TrainSettings(steps=5, lr=0.1, batch_size=20)
    pools = [torch.arange(0, 100), torch.arange(100, 200)]
    nets = [net(ds, 0) for _ in range(2)]
    f = params.Functional.of_module(nets[0])
    run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, pools=pools,
                                 progress=False)  # fmt: skip
    for e, n in enumerate(nets):
        half = type(ds)(**{**ds.__dict__, "x_train": ds.x_train[pools[e]],
                           "y_train": ds.y_train[pools[e]]})  # fmt: skip
        train.train(n, half, settings, progress=False)
        torch.testing.assert_close(run.u[e], params.flatten(n), rtol=1e-5, atol=1e-6)


def test_a_mask_keeps_pruned_weights_at_zero(ds):
    n = net(ds, 0)
    f = params.Functional.of_module(n)
    mask = (torch.rand(f.D, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    members = ensemble.Free(f.theta0[None].repeat(2, 1), mask)
    run = ensemble.train_members(f, members, ds, TrainSettings(steps=10, lr=0.1, momentum=0.9),
                                 progress=False)  # fmt: skip
    theta = members.theta(run.u)
    assert torch.all(theta[:, mask == 0] == 0) and run.history.loss[0, -1] < run.history.loss[0, 0]


def test_members_stop_at_their_target_like_single_runs(ds):
    settings = TrainSettings(steps=300, lr=0.3)
    nets = [net(ds, s) for s in range(2)]
    f = params.Functional.of_module(nets[0])
    run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, settings, eval_every=5,
                                 target_acc=0.9, progress=False)  # fmt: skip
    assert run.stopped.all() and run.history.stopped_early
    for e, n in enumerate(nets):
        hist = train.train(n, ds, settings, eval_every=5, target_acc=0.9, progress=False)
        torch.testing.assert_close(run.u[e], params.flatten(n), rtol=1e-5, atol=1e-6)
        assert hist.step[-1] <= run.history.step[-1]


def test_diverging_members_are_flagged_and_frozen(ds):
    nets = [net(ds, 0), net(ds, 1)]
    f = params.Functional.of_module(nets[0])
    members = ensemble.Free(stacked(nets))
    with pytest.warns(UserWarning, match="diverged"):
        run = ensemble.train_members(f, members, ds, TrainSettings(steps=30, lr=1e6),
                                     eval_every=1, progress=False)  # fmt: skip
    assert run.diverged.all() and bool(torch.isfinite(run.u).all())


def test_guard_halves_the_step_of_a_member_whose_loss_jumps():
    # f(w) = w^4 on one input: GD with a large step explodes; the guard keeps it finite
    def forward(p, x):
        return p[0] * x[:, 0]

    w = torch.tensor([[3.0], [0.5]], dtype=torch.float64)
    f = params.Functional.of_forward(forward, (w[0],))
    x = torch.ones(4, 1, dtype=torch.float64)

    class Reg:
        x_train, y_train = x, torch.zeros(4, dtype=torch.float64)
        x_test, y_test = x[:0], torch.zeros(0, dtype=torch.float64)

    run = ensemble.train_members(f, ensemble.Free(w), Reg, TrainSettings(steps=200, lr=0.9),
                                 loss="mse", guard=True, progress=False)  # fmt: skip
    assert np.all(run.history.loss[:, -1] < 1e-6)
    nowguard = ensemble.train_members(f, ensemble.Free(w), Reg, TrainSettings(steps=200, lr=2.5),
                                      loss="mse", guard=True, progress=False)  # fmt: skip
    assert np.all(np.isfinite(nowguard.history.loss))


def test_bad_arguments(ds):
    n = net(ds, 0)
    f = params.Functional.of_module(n)
    members = ensemble.Free(f.theta0[None])
    with pytest.raises(TypeError, match="settings"):
        ensemble.train_members(f, members, ds, {"steps": 1})
    with pytest.raises(ValueError, match="loss"):
        ensemble.train_members(f, members, ds, TrainSettings(steps=1, lr=0.1), loss="hinge")
    with pytest.raises(ValueError, match="order_seeds"):
        ensemble.train_members(f, members, ds, TrainSettings(steps=1, lr=0.1), order_seeds=[1, 2])
    with pytest.raises(ValueError, match="mask"):
        ensemble.Free(f.theta0[None], torch.ones(3))


def test_evaluate_members_matches_train_evaluate(ds):
    nets = [net(ds, s) for s in range(3)]
    f = params.Functional.of_module(nets[0])
    loss, acc = ensemble.evaluate_members(f, stacked(nets), ds.x_test, ds.y_test, chunk=50)
    for e, n in enumerate(nets):
        ref_loss, ref_acc = train.evaluate(n, ds.x_test, ds.y_test)
        assert float(loss[e]) == pytest.approx(ref_loss, rel=1e-5)
        assert float(acc[e]) == pytest.approx(ref_acc)
    with pytest.raises(ValueError, match="thetas"):
        ensemble.evaluate_members(f, torch.zeros(2, 3), ds.x_test, ds.y_test)


def test_eval_train_false_trains_the_same_and_measures_the_test_split_only(ds):
    nets = [net(ds, s) for s in range(3)]
    f = params.Functional.of_module(nets[0])
    s = TrainSettings(steps=9, lr=0.1, momentum=0.9, batch_size=50)
    kw = {"order_seeds": [0, 1, 2], "eval_every": 4, "progress": False}
    full = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, s, **kw)
    lean = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, s, eval_train=False, **kw)
    torch.testing.assert_close(lean.u, full.u, rtol=0, atol=0)  # evaluations do not steer
    np.testing.assert_array_equal(lean.history.step, full.history.step)
    np.testing.assert_array_equal(lean.history.test_acc[:, 1:], full.history.test_acc[:, 1:])
    assert np.isnan(lean.history.test_acc[:, 0]).all()
    assert np.isnan(lean.history.loss).all() and np.isnan(lean.history.train_acc).all()
    with pytest.raises(ValueError, match="eval_train"):
        ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, s, eval_train=False,
                               target_acc=0.5, progress=False)  # fmt: skip


def test_eval_train_false_still_stops_diverging_members(ds):
    nets = [net(ds, s) for s in range(2)]
    f = params.Functional.of_module(nets[0])
    s = TrainSettings(steps=20, lr=1e6, batch_size=50)
    with pytest.warns(UserWarning, match="2 of 2 members diverged"):
        run = ensemble.train_members(f, ensemble.Free(stacked(nets)), ds, s, eval_train=False,
                                     progress=False)  # fmt: skip
    assert run.diverged.all()
