import warnings

import numpy as np
import pytest
import torch

from dofcourse import device, divergence, models, train
from dofcourse.settings import TrainSettings


class Blobs:
    """Two well separated Gaussian blobs in 2-D, as (N, 1, 1, 2) images."""

    def __init__(self, n=200, seed=0):
        g = torch.Generator().manual_seed(seed)
        y = torch.arange(n) % 2
        x = torch.randn(n, 2, generator=g) + 4.0 * (2 * y[:, None] - 1)
        self.x_train, self.y_train = x[: n // 2].view(-1, 1, 1, 2), y[: n // 2]
        self.x_test, self.y_test = x[n // 2 :].view(-1, 1, 1, 2), y[n // 2 :]


def _model(seed=0):
    torch.manual_seed(seed)
    return models.mlp((1, 1, 2), 2, hidden=(8,))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_training_learns_separable_data(optimizer, batch_size):
    settings = TrainSettings(steps=100, lr=0.05, optimizer=optimizer, batch_size=batch_size)
    hist = train.train(_model(), Blobs(), settings, progress=False)
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    assert hist.train_acc[-1] == 1.0 and hist.test_acc[-1] >= 0.95
    assert hist.step[0] == 0 and hist.step[-1] == 100


def test_deterministic_under_a_seed():
    s = TrainSettings(steps=30, lr=0.1, batch_size=8, order_seed=3)
    runs = [train.train(_model(), Blobs(), s, progress=False).loss for _ in range(2)]
    other = train.train(_model(), Blobs(), s.replace(order_seed=4), progress=False).loss
    assert list(runs[0]) == list(runs[1]) and list(runs[0]) != list(other)


def test_full_batch_sgd_is_plain_gradient_descent():
    data, model = Blobs(), _model()
    reference = _model()
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(reference(data.x_train), data.y_train).backward()
        opt.step()
    train.train(model, data, TrainSettings(steps=5, lr=0.1), progress=False)
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_early_stop_on_target_accuracy_and_callback():
    seen = []
    hist = train.train(
        _model(),
        Blobs(),
        TrainSettings(steps=500, lr=0.1),
        target_acc=1.0,
        eval_every=1,
        progress=False,
        callback=lambda step, model: seen.append(step),
    )
    assert hist.stopped_early and hist.step[-1] < 500 and hist.train_acc[-1] == 1.0
    assert seen == list(hist.step)


def test_early_stop_on_target_loss():
    hist = train.train(
        _model(),
        Blobs(),
        TrainSettings(steps=2000, lr=0.2),
        target_loss=0.05,
        eval_every=5,
        progress=False,
    )
    assert hist.stopped_early and hist.loss[-1] <= 0.05 and hist.step[-1] < 2000


def test_evaluate_matches_hand_computation():
    data, model = Blobs(), _model()
    loss, acc = train.evaluate(model, data.x_test, data.y_test, batch_size=7)
    logits = model(data.x_test)
    assert loss == pytest.approx(
        torch.nn.functional.cross_entropy(logits, data.y_test).item(), rel=1e-5
    )
    assert acc == pytest.approx((logits.argmax(1) == data.y_test).float().mean().item())


def test_bad_input_is_a_clear_error():
    s = TrainSettings(steps=1, lr=0.1)
    with pytest.raises(TypeError, match="TrainSettings"):
        train.train(_model(), Blobs(), {"steps": 1, "lr": 0.1}, progress=False)
    bad = Blobs()
    bad.y_train = bad.y_train[:-1]
    with pytest.raises(ValueError, match="rows"):
        train.train(_model(), bad, s, progress=False)
    empty = Blobs()
    empty.x_train, empty.y_train = empty.x_train[:0], empty.y_train[:0]
    with pytest.raises(ValueError, match="empty"):
        train.train(_model(), empty, s, progress=False)
    nan = Blobs()
    nan.x_train = nan.x_train.clone()
    nan.x_train[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        train.train(_model(), nan, s, progress=False)
    floats = Blobs()
    floats.y_train = floats.y_train.float()
    with pytest.raises(TypeError, match="integer class labels"):
        train.train(_model(), floats, s, progress=False)
    big = Blobs()
    big.y_train = big.y_train + 5
    with pytest.raises(ValueError, match="class label 6"):
        train.train(_model(), big, s, progress=False)
    wrong = Blobs()
    wrong.x_train = torch.zeros(10, 1, 3, 3)
    wrong.y_train = torch.zeros(10, dtype=torch.int64)
    with pytest.raises(ValueError, match="cannot be applied"):
        train.train(_model(), wrong, s, progress=False)


def test_check_xy_is_the_one_check_of_examples():
    """Labels, values and either: what each accepts, converts and refuses (the check that
    check_data, ensemble.check_examples, train.evaluate and the Hessian operator share)."""
    x = np.arange(12.0).reshape(6, 2)  # NumPy float64, converted
    xt, yt = train.check_xy(x, np.array([0, 1, 2, 0, 1, 2], dtype=np.int32), dtype=torch.float32)
    assert xt.dtype == torch.float32 and yt.dtype == torch.int64
    assert torch.equal(xt, torch.from_numpy(x).float()) and yt.tolist() == [0, 1, 2, 0, 1, 2]
    values = torch.randn(6, 3, dtype=torch.float64)
    _, yv = train.check_xy(x, values, targets="values", dtype=torch.float32)
    assert yv.dtype == torch.float32 and torch.equal(yv, values.float())
    _, y_either = train.check_xy(x, values, targets="either")
    assert torch.equal(y_either, values)  # floats stay floats (an MSE Hessian)
    assert train.check_xy(x, torch.arange(6), targets="either")[1].dtype == torch.int64
    assert len(train.check_xy(x[:0], torch.arange(0))[0]) == 0  # empty allowed by default
    refused = [
        ({"y": torch.arange(5)}, ValueError, "x has 6 rows but y has 5"),
        ({"y": torch.arange(6.0)}, TypeError, "integer class labels"),
        ({"y": torch.ones(6, dtype=torch.bool)}, TypeError, "integer class labels"),
        ({"y": torch.arange(6) - 1}, ValueError, "negative class labels"),
        ({"y": torch.zeros(6, 2, dtype=torch.int64)}, TypeError, "1-D"),
        ({"x": np.full((6, 2), np.nan)}, ValueError, "x contains NaN"),
        ({"x": torch.arange(6)}, TypeError, "floating-point"),
        ({"y": torch.full((6,), np.inf), "targets": "values"}, ValueError, "y contains NaN"),
        ({"x": x[:0], "y": torch.arange(0), "empty": False}, ValueError, "are empty"),
        ({"targets": "classes"}, ValueError, "targets"),
        ({"dtype": torch.int64}, TypeError, "dtype"),
    ]
    for change, error, message in refused:
        kwargs = {"x": x, "y": torch.arange(6) % 3, **change}
        with pytest.raises(error, match=message):
            train.check_xy(**kwargs)


def test_divergence_messages_name_the_runs_and_the_setting_to_change():
    flags = np.array([[False, True], [True, False]])
    wd = TrainSettings(steps=1, lr=10.0, weight_decay=0.5)  # lr * wd = 5: the weights flip
    assert "weight_decay=0.5 is too strong" in divergence.advice(wd)
    assert "lr=0.1 is too large" in divergence.advice(TrainSettings(steps=1, lr=0.1))
    err = divergence.error(flags, "members", TrainSettings(steps=1, lr=0.1))
    assert isinstance(err, train.TrainingDiverged)
    assert str(err).startswith("members [1, 2] of 4 diverged") and "e.g. lr=0.01" in str(err)
    with pytest.warns(UserWarning, match=r"2 of 4 rewinds diverged .* too strong"):
        divergence.warn(flags, "rewinds", wd)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing flagged: no warning
        divergence.warn(np.zeros(3, dtype=bool), "rewinds", wd)


def test_monitor_judges_watched_steps_at_the_next_evaluation():
    """train.train's way (no sync a step): a step loss far above the start, and a NaN, are
    judged at the next evaluation; an evaluation above 10x the start is judged at once."""
    m = divergence.Monitor(3, torch.float32, torch.device("cpu"), step_factor=100.0)
    m.at_evaluation(torch.tensor([2.0, 2.0, 2.0]), torch.zeros(3))
    m.watch(torch.tensor([1.0, 150.0, 1.0]))  # member 1: a mini-batch 75x its start: fine
    m.watch(torch.tensor([1.0, 1.0, float("nan")]))  # member 2: NaN, then back to normal
    m.watch(torch.tensor([1.0, 1.0, 1.0]))
    m.at_evaluation(torch.tensor([1.0, 1.0, 1.0]), torch.zeros(3))
    assert m.diverged.tolist() == [False, False, True] and m.n_active == 2
    assert m.peak is not None and m.peak[1] == 150.0
    m.watch(torch.tensor([1.0, 201.0, 1.0]))  # member 1: above 100x its start
    m.at_evaluation(torch.tensor([25.0, 1.0, 1.0]), torch.zeros(3))  # member 0: 12.5x
    assert m.diverged.tolist() == [True, True, True] and m.n_active == 0
    assert float(m.limit()[0]) == 20.0


@pytest.mark.parametrize("lr", [1e6, 1e3])
def test_divergence_is_reported_not_returned(lr):
    with pytest.raises(train.TrainingDiverged, match="too large"):
        train.train(_model(), Blobs(), TrainSettings(steps=50, lr=lr), eval_every=5, progress=False)


def test_numpy_and_float64_data_are_converted():
    d = Blobs()
    d.x_train, d.y_train = d.x_train.double().numpy(), d.y_train.numpy()
    hist = train.train(_model(), d, TrainSettings(steps=20, lr=0.1), progress=False)
    assert hist.train_acc[-1] == 1.0


def test_check_data_moves_data_to_the_models_device_and_dtype(monkeypatch):
    """A stand-in for a GPU: the 'meta' device (which the package refuses from a user, so it is
    let through here). Data end up where and as the model is."""
    monkeypatch.setattr(device, "resolve", lambda value, name: torch.device(value))
    d = Blobs()
    x, y, xt, yt = train.check_data(d, torch.float64, torch.device("meta"))
    assert {t.device.type for t in (x, y, xt, yt)} == {"meta"}
    assert x.dtype == xt.dtype == torch.float64 and y.dtype == torch.int64


def test_a_float64_model_trains_on_float32_data():
    model = _model().double()
    hist = train.train(model, Blobs(), TrainSettings(steps=20, lr=0.1), progress=False)
    assert hist.train_acc[-1] == 1.0


# ============================================================================ issue 26
def test_test_labels_out_of_range_are_one_clear_error():
    """Review C15/C16: labels the model has no output for in the test split came out of torch as
    'IndexError: Target 12 is out of bounds' (only the training labels were checked)."""
    for trainer in (train.train, _ensemble_train):
        d = Blobs()
        d.y_test = d.y_test.clone()
        d.y_test[3] = 12
        with pytest.raises(ValueError, match="y_test holds class label 12.*2 outputs"):
            trainer(_model(), d, TrainSettings(steps=2, lr=0.1), progress=False)


def _ensemble_train(model, d, settings, progress):
    from dofcourse import ensemble, params

    net = params.Functional.of_module(model)
    members = ensemble.Free(net.theta0[None].repeat(2, 1))
    return ensemble.train_members(net, members, d, settings, progress=progress)


def test_nan_weights_are_named_not_blamed_on_the_learning_rate():
    """Review C13: a NaN weight was reported as 'lr=0.1 is too large'."""
    model = _model()
    with torch.no_grad():
        next(model.parameters())[0, 0] = float("nan")
    with pytest.raises(ValueError, match="parameter .*weight.* NaN or infinite.*before training"):
        train.train(model, Blobs(), TrainSettings(steps=5, lr=0.1), progress=False)


def test_divergence_from_weight_decay_names_weight_decay():
    """Review C28: weight_decay=1e30 was reported as 'lr=0.1 is too large'."""
    s = TrainSettings(steps=20, lr=0.1, weight_decay=1e30)
    with pytest.raises(train.TrainingDiverged, match="weight_decay=1e\\+30 is too strong"):
        train.train(_model(), Blobs(), s, eval_every=5, progress=False)
