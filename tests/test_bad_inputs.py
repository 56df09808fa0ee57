"""Issue 12: every bad input gets one clear error; no silent wrong result; a shared cache that is
safe. One test (or one row of a table) per line of the issue, in its order.

The errors must name the argument, say what was given and what to do, and come from the
package's boundary (``raised_here`` checks the frame that raised), never from inside torch, NumPy
or scikit-learn. The systematic sweep over every public function is ``test_fuzz.py``.
"""

from __future__ import annotations

import traceback
import warnings
from pathlib import Path

import pytest
import torch

from dofcourse import (
    data,
    ensemble,
    models,
    params,
    subspace,
    train,
)
from dofcourse.settings import TrainSettings

PACKAGE = Path(data.__file__).resolve().parent.parent


def raised_here(err: BaseException) -> str:
    """The package file that raised ``err`` (the last frame of its traceback), or fail."""
    frame = traceback.extract_tb(err.__traceback__)[-1]
    path = Path(frame.filename).resolve()
    assert PACKAGE in path.parents, f"{type(err).__name__} raised in {path}:{frame.lineno}: {err}"
    return str(path.relative_to(PACKAGE))


def refused(exc, match, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` raises ``exc`` from the package, its message matching ``match``."""
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    raised_here(info.value)
    return info.value


@pytest.fixture(scope="module")
def ds():
    return data.load("digits", device="cpu").subsample(300, sample_seed=0)


def mlp(ds, hidden=(16,), seed=0):
    torch.manual_seed(seed)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=hidden)


QUICK = TrainSettings(steps=2, lr=0.1)


# =============================================================== silent wrong results
@pytest.mark.parametrize("lr", [1e6, 1e3, 30.0])
@pytest.mark.parametrize("eval_every", [None, 100])
def test_train_refuses_a_diverged_run(ds, lr, eval_every):
    # lr=30 with eval_every=100 explodes between the two evaluations and falls back to chance:
    # the worst step loss since the last evaluation is checked too
    err = refused(
        train.TrainingDiverged, "too large", train.train, mlp(ds), ds,
        TrainSettings(steps=100, lr=lr), eval_every=eval_every, progress=False,
    )  # fmt: skip
    assert "lr=" in str(err)


def test_train_refuses_a_diverged_minibatch_run(ds):
    with pytest.raises(train.TrainingDiverged):
        train.train(mlp(ds), ds, TrainSettings(steps=60, lr=1e4, batch_size=32), eval_every=60,
                    progress=False)  # fmt: skip


def test_a_good_run_is_not_called_diverged(ds):
    for s in (TrainSettings(steps=60, lr=0.5), TrainSettings(steps=60, lr=0.5, batch_size=16)):
        hist = train.train(mlp(ds), ds, s, eval_every=60, progress=False)
        assert hist.train_acc[-1] > 0.5


@pytest.mark.parametrize("batch_size", [None, 32])
def test_ensemble_flags_members_that_diverged_between_evaluations(ds, batch_size):
    nets = [mlp(ds, seed=s) for s in range(2)]
    f = params.Functional.of_module(nets[0])
    good, bad = TrainSettings(steps=60, lr=0.3, batch_size=batch_size), 30.0
    members = ensemble.Free(torch.stack([params.flatten(n) for n in nets]))
    with pytest.warns(UserWarning, match="2 of 2 members diverged"):
        run = ensemble.train_members(f, members, ds, good.replace(lr=bad if batch_size is None
                                     else 1e4), progress=False)  # fmt: skip
    assert run.diverged.all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = ensemble.train_members(f, members, ds, good, progress=False)
    assert not run.diverged.any()


def test_subspace_run_reports_divergence(ds):
    with pytest.warns(UserWarning, match="diverged"):
        run = subspace.train_subspace(mlp(ds), ds, TrainSettings(steps=50, lr=1e6), 20,
                                      progress=False)  # fmt: skip
    assert run.diverged
