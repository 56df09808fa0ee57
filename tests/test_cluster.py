"""experiment.grid on real executors: a Dask local cluster and submitit's local executor.

The course needs neither (they are the optional ``cluster`` extra); these tests run where they are
installed, which ``make test`` arranges. They check what a cluster run must guarantee: the same
numbers as a local run, the shared cache as the join point (a grid resumes from what any worker
finished), and a dying worker retried, never silently lost.
"""

import pandas as pd
import pytest
import torch

from dofcourse import data, experiment, models, subspace
from dofcourse.settings import TrainSettings
from tests import _cached_fns as fns

distributed = pytest.importorskip("distributed")
submitit = pytest.importorskip("submitit")


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _problem():
    ds = data.load("digits", device="cpu").subsample(120, sample_seed=0)
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(8,)), ds


def _sweep(executor=None, seeds=(0, 1)):
    model, ds = _problem()
    settings = TrainSettings(steps=4, lr=0.05, optimizer="adam")
    return subspace.sweep(model, ds, settings, [3, 9], list(seeds), kind="sparse",
                          executor=executor, progress=False)  # fmt: skip


COLUMNS = ["d", "proj_seed", "loss", "train_acc", "test_acc"]


def test_dask_gives_the_local_numbers_and_resumes_from_the_shared_cache(dask_client, monkeypatch):
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    local = _sweep()
    monkeypatch.delenv("DOFCOURSE_NO_CACHE")
    remote = _sweep(dask_client)
    pd.testing.assert_frame_equal(remote[COLUMNS], local[COLUMNS])
    # every point is now in the cache the workers wrote: a local run computes nothing
    monkeypatch.setitem(subspace.runs.fn.__globals__, "train_ensemble", None)
    again = _sweep()
    pd.testing.assert_frame_equal(again[COLUMNS], local[COLUMNS])


def test_submitit_local_executor_gives_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    local = _sweep(seeds=(2,))
    monkeypatch.delenv("DOFCOURSE_NO_CACHE")
    executor = submitit.LocalExecutor(folder=tmp_path / "submitit")
    executor.update_parameters(timeout_min=5)
    remote = _sweep(executor, seeds=(2,))
    pd.testing.assert_frame_equal(remote[COLUMNS], local[COLUMNS])


def test_a_dying_worker_is_retried_not_lost(tmp_path, dask_client):
    df = experiment.grid(fns.dies_once, {"n": [2, 3]}, marker_dir=str(tmp_path),
                         executor=dask_client, retries=1, progress=False)  # fmt: skip
    assert df["square"].tolist() == [4, 9]
    assert sorted(p.name for p in tmp_path.glob("seen-*")) == ["seen-2", "seen-3"]


def test_a_task_that_keeps_failing_is_reported_by_point(tmp_path):
    executor = submitit.LocalExecutor(folder=tmp_path / "submitit")
    executor.update_parameters(timeout_min=5)
    with pytest.raises(experiment.GridError, match="'n': 5"):
        experiment.grid(fns.dies_once, {"n": [5]}, marker_dir=str(tmp_path / "nowhere"),
                        executor=executor, retries=0, progress=False)  # fmt: skip
