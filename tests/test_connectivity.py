"""dofcourse.connectivity: the barrier of hand-made curves, the line between two networks, the
per-example midpoint barrier against a loop over examples, and instability analysis."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dofcourse import connectivity, params, pruning
from dofcourse.settings import TrainSettings
from tests._nets import digits, tiny


@pytest.fixture(scope="module")
def ds():
    return digits(200)


def test_barrier_of_hand_made_curves():
    assert connectivity.barrier([0.1, 0.3, 0.2, 0.1]) == pytest.approx(0.2)
    assert connectivity.barrier([0.1, 0.2, 0.3]) == pytest.approx(0.1)  # rising: max is an end
    assert connectivity.barrier([0.4, 0.1, 0.2]) == pytest.approx(0.1)  # a dip has no barrier
    curves = np.array([[0.0, 0.5, 0.0], [0.2, 0.2, 0.2]])
    np.testing.assert_allclose(connectivity.barrier(curves), [0.5, 0.0])
    with pytest.raises(ValueError, match="2 points"):
        connectivity.barrier([0.3])


def test_linear_path_ends_are_the_two_networks(ds):
    a, b = tiny(ds, 0), tiny(ds, 1)
    net = params.Functional.of_module(a)
    path = connectivity.linear_path(net, params.flatten(a), params.flatten(b), ds.x_test,
                                    ds.y_test, n_points=7)  # fmt: skip
    assert path.alphas.shape == path.loss.shape == path.error.shape == (7,)
    for model, i in ((a, 0), (b, -1)):
        logits = model(ds.x_test)
        assert path.loss[i] == pytest.approx(F.cross_entropy(logits, ds.y_test).item(), rel=1e-5)
        err = (logits.argmax(1) != ds.y_test).float().mean().item()
        assert path.error[i] == pytest.approx(err)
    same = connectivity.linear_path(net, params.flatten(a), params.flatten(a), ds.x_test,
                                    ds.y_test, n_points=5)  # fmt: skip
    np.testing.assert_allclose(same.loss, same.loss[0], rtol=1e-6)
    assert connectivity.barrier(same.error) == 0


def test_a_convex_loss_has_no_loss_barrier(ds):
    flat = ds.flat()
    torch.manual_seed(0)
    lin_a, lin_b = torch.nn.Linear(64, 10), torch.nn.Linear(64, 10)
    net = params.Functional.of_module(lin_a)
    pair = torch.stack([params.flatten(lin_a), params.flatten(lin_b)])
    path = connectivity.linear_path(net, pair[:1], pair[1:], flat.x_train, flat.y_train)
    chord = (1 - path.alphas) * path.loss[0, 0] + path.alphas * path.loss[0, -1]
    assert path.loss.shape == (1, 25) and np.all(path.loss[0] <= chord + 1e-6)


def test_midpoint_barrier_against_a_loop_over_examples(ds):
    a, b = tiny(ds, 0), tiny(ds, 1)
    net = params.Functional.of_module(a)
    ta, tb = params.flatten(a), params.flatten(b)
    got = connectivity.midpoint_barrier(net, ta, tb, ds.x_train, ds.y_train, chunk=64)
    mid = params.load_into(tiny(ds, 2), (ta + tb) / 2)
    for i in range(0, 200, 17):
        x, y = ds.x_train[i : i + 1], ds.y_train[i : i + 1]
        ends = (F.cross_entropy(a(x), y) + F.cross_entropy(b(x), y)) / 2
        want = F.cross_entropy(mid(x), y) - ends
        assert got[i].item() == pytest.approx(want.item(), abs=1e-5)
    with pytest.raises(ValueError, match="one pair"):
        connectivity.midpoint_barrier(net, ta[None], tb[None], ds.x_train, ds.y_train)


def test_instability_trains_copies_with_their_own_orders(ds):
    m = tiny(ds)
    start = pruning.initial_points(m, [0, 1])
    settings = TrainSettings(steps=20, lr=0.2, momentum=0.9, batch_size=20)
    out = connectivity.instability(m, ds, settings, start, n_copies=3, n_points=9,
                                   per_example=True, progress=False)  # fmt: skip
    assert out["error"].shape == (2, 3, 9) and out["test_acc"].shape == (2, 3)
    np.testing.assert_allclose(out["barrier"], connectivity.barrier(out["error"]).mean(-1))
    assert out["midpoint"].shape == (2, 200)
    assert not np.allclose(out["loss"][..., 0], out["loss"][..., -1])  # the copies differ
    tiny_lr = connectivity.instability(m, ds, settings.replace(lr=1e-6), start, n_points=5,
                                       progress=False)  # fmt: skip
    assert np.all(tiny_lr["barrier"] < 1e-3)  # copies that barely move are connected
    mask = torch.ones_like(start, dtype=torch.bool)
    mask[:, :50] = False
    sparse = connectivity.instability(m, ds, settings, start, mask=mask, n_points=5,
                                      progress=False)  # fmt: skip
    assert sparse["barrier"].shape == (2,)


def test_instability_vs_k_shares_rewind_points_with_lottery(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=12, lr=0.1, batch_size=50)
    table = connectivity.instability_vs_k(m, ds, settings, init_seeds=[0, 1], ks=[0, 4],
                                          n_points=5, progress=False)  # fmt: skip
    assert list(table.k) == [0, 0, 4, 4] and table.error.iloc[0].shape == (1, 5)
    assert list(table.seed) == [0, 1, 0, 1] and not table.diverged.any()
    # the same copies as instability() from lottery's rewind points
    run = pruning.lottery(m, ds, settings, init_seeds=[0, 1], rewind_step=4, levels=0,
                          progress=False)  # fmt: skip
    direct = connectivity.instability(m, ds, settings.replace(steps=8), run.rewind, n_points=5,
                                      progress=False)  # fmt: skip
    np.testing.assert_allclose(table.barrier.iloc[2:], direct["barrier"], atol=1e-9)
    with pytest.raises(ValueError, match="ks"):
        connectivity.instability_vs_k(m, ds, settings, init_seeds=[0], ks=[12])


def test_diverged_copies_are_not_called_stable(ds):
    """Reliability review, defect 2: copies frozen at their start by divergence are identical,
    so the barrier was 0 ('perfectly stable'), and silent from the cache."""
    m = tiny(ds)
    start = pruning.initial_points(m, [0, 1])
    bad = TrainSettings(steps=30, lr=1e6, batch_size=50)
    for _ in range(2):  # computed, then from the cache
        with pytest.warns(UserWarning, match="2 of 2 starting points' copies diverged"):
            out = connectivity.instability(m, ds, bad, start, n_points=3, per_example=True,
                                           progress=False)  # fmt: skip
        assert out["diverged"].all() and np.isnan(out["barrier"]).all()
        assert torch.isnan(out["midpoint"]).all() and np.isnan(out["test_acc"]).all()
        with pytest.warns(UserWarning, match="diverged"):
            table = connectivity.instability_vs_k(m, ds, bad, init_seeds=[0, 1], ks=[0, 2],
                                                  n_points=3, progress=False)  # fmt: skip
        assert table.diverged.all() and table.barrier.isna().all()
