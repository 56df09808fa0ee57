"""dofcourse.settings: validated, hashable training settings and the mini-batch order."""

import pytest
import torch

from dofcourse.settings import TrainSettings, batch_order


def test_settings_are_frozen_and_hashable():
    s = TrainSettings(steps=10, lr=0.1)
    assert hash(s) == hash(TrainSettings(steps=10, lr=0.1))
    with pytest.raises(AttributeError):
        s.steps = 3  # type: ignore[misc]
    assert s.replace(lr=0.2).lr == 0.2


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"steps": 10.5}, TypeError, "steps"),
        ({"steps": "10"}, TypeError, "steps"),
        ({"steps": True}, TypeError, "steps"),
        ({"steps": 0}, ValueError, "steps"),
        ({"lr": "0.1"}, TypeError, "lr"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 12.0}, TypeError, "batch_size"),
        ({"momentum": 1.0}, ValueError, "momentum"),
        ({"momentum": 0.9, "optimizer": "adam"}, ValueError, "momentum"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay"),
        ({"order_seed": -1}, ValueError, "order_seed"),
        ({"order_seed": 2**70}, ValueError, "order_seed"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, error, name):
    base = {"steps": 10, "lr": 0.1}
    with pytest.raises(error, match=name):
        TrainSettings(**{**base, **kwargs})


def test_batch_order_is_a_seeded_permutation_per_epoch():
    it = batch_order(10, 3, seed=5)
    first = [next(it) for _ in range(3)]  # one epoch: 3 batches of 3, one example dropped
    assert len(set(torch.cat(first).tolist())) == 9
    again = batch_order(10, 3, seed=5)
    assert all(torch.equal(a, next(again)) for a in first)
    assert next(batch_order(10, None, seed=0)) is None


def test_batch_order_from_a_pool():
    pool = torch.tensor([2, 5, 7, 11])
    it = batch_order(pool, 2, seed=0)
    seen = torch.cat([next(it), next(it)])
    assert sorted(seen.tolist()) == [2, 5, 7, 11]
    assert torch.equal(next(batch_order(pool, None, seed=0)), pool)
    with pytest.raises(ValueError, match="empty"):
        next(batch_order(torch.tensor([], dtype=torch.int64), 2, seed=0))


def test_batch_stream_gives_the_batches_of_batch_order():
    from dofcourse.settings import batch_stream

    x, y = torch.arange(20.0)[:, None], torch.arange(20)
    stream, order = batch_stream(x, y, 6, seed=2), batch_order(20, 6, seed=2)
    for _ in range(7):  # more than two epochs
        xb, yb = next(stream)
        idx = next(order)
        assert torch.equal(xb, x[idx]) and torch.equal(yb, y[idx])
    xb, yb = next(batch_stream(x, y, None, seed=0))
    assert xb is x and yb is y
