"""dofcourse.lottery_subspace: trajectory directions (dense and streaming SVD against a dense SVD
of the recorded updates), the memory refusal, overlaps on known subspaces, magnitude rankings,
and the four methods at matched d on the engine."""

import copy
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from dofcourse import data, models, train
from dofcourse import lottery_subspace as L
from dofcourse.lottery_subspace import figures
from dofcourse.params import count, flatten
from dofcourse.settings import TrainSettings

matplotlib.use("Agg")
ORDINARY = TrainSettings(steps=1, lr=0.05, momentum=0.9, batch_size=32)


@pytest.fixture(scope="module")
def setup():
    ds = data.load("digits", device="cpu").subsample(120, sample_seed=0)
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(6,)), ds


def recorded_updates(model, ds, steps, every):
    net, cols, prev = copy.deepcopy(model), [], [flatten(model)]

    def record(step, m):
        if step % every == 0:
            cols.append(flatten(m) - prev[0])
            prev[0] = flatten(m)

    train.train(net, ds, ORDINARY.replace(steps=steps), progress=False, on_step=record)
    return torch.stack(cols, 1).double()


def test_streaming_svd_is_exact_within_its_rank_and_close_beyond():
    gen = torch.Generator().manual_seed(0)
    low = torch.randn(200, 6, generator=gen, dtype=torch.float64) @ torch.randn(
        6, 50, generator=gen, dtype=torch.float64
    )
    s = L.StreamingSVD(rank=8)
    for block in low.split(7, dim=1):
        s.update(block)
    u, sv, _ = torch.linalg.svd(low, full_matrices=False)
    torch.testing.assert_close(s.s[:6], sv[:6])
    assert L.energy_fraction(s.u[:, :6], u[:, :6]) == pytest.approx(1.0, abs=1e-9)
    decaying = torch.randn(200, 50, generator=gen, dtype=torch.float64) * torch.logspace(
        0, -3, 50, dtype=torch.float64
    )
    s = L.StreamingSVD(rank=12)
    for block in decaying.split(5, dim=1):
        s.update(block)
    sv = torch.linalg.svdvals(decaying)
    torch.testing.assert_close(s.s[:4], sv[:4], rtol=1e-2, atol=0)


def test_trajectory_directions_match_a_dense_svd_of_the_updates(setup):
    model, ds = setup
    out = L.trajectory_directions(model, ds, ORDINARY, 6, every=5, lengths=[20, 40])
    assert out["method"] == "dense" and out["lengths"] == [20, 40]
    for n in (20, 40):
        u, sv, _ = torch.linalg.svd(recorded_updates(model, ds, n, 5), full_matrices=False)
        k = min(6, n // 5)
        basis = out["basis"][n]
        assert basis.shape == (count(model), k) and basis.dtype == torch.float32
        torch.testing.assert_close(out["singular_values"][n], sv[:k].float(), rtol=1e-4, atol=1e-7)
        assert L.energy_fraction(basis, u[:, :k].float()) == pytest.approx(1.0, abs=1e-4)
    ref = copy.deepcopy(model)
    train.train(ref, ds, ORDINARY.replace(steps=40), progress=False)
    torch.testing.assert_close(out["theta_end"], flatten(ref))
    stream = L.trajectory_directions(
        model, ds, ORDINARY, 6, every=5, lengths=[40], method="streaming", block=3
    )
    assert stream["method"] == "streaming"
    assert L.energy_fraction(stream["basis"][40], out["basis"][40]) == pytest.approx(1, abs=1e-4)


def test_directions_without_the_displacement(setup):
    model, ds = setup
    out = L.trajectory_directions(model, ds, ORDINARY, 6, every=5, lengths=[20, 40])
    for n in (20, 40):
        updates = recorded_updates(model, ds, n, 5)
        g = updates.sum(1)  # theta_n - theta_0
        torch.testing.assert_close(out["theta"][n] - flatten(model), g.float(), atol=1e-5, rtol=0)
        g = g / g.norm()
        u = torch.linalg.svd(updates - torch.outer(g, g @ updates), full_matrices=False)[0]
        k = min(6, n // 5 - 1)
        basis = out["basis_without_displacement"][n]
        assert basis.shape == (count(model), k)
        assert float((g.float() @ basis).abs().max()) < 1e-4  # the displacement is gone
        assert L.energy_fraction(basis, u[:, :k].float()) == pytest.approx(1.0, abs=1e-4)
    stream = L.trajectory_directions(
        model, ds, ORDINARY, 6, every=5, lengths=[40], method="streaming", block=3
    )
    got = stream["basis_without_displacement"][40]
    assert L.energy_fraction(got, out["basis_without_displacement"][40]) == pytest.approx(
        1, abs=1e-4
    )


def test_trajectory_memory_budget_is_checked_before_training(setup):
    model, ds = setup
    with pytest.raises(ValueError, match="GiB"):
        L.trajectory_directions(model, ds, ORDINARY, 6, method="dense", max_bytes=1000)
    with pytest.raises(ValueError, match="streaming SVD"):
        L.trajectory_directions(model, ds, ORDINARY, 6, max_bytes=1000)
    n = count(model)  # dense: 4 bytes x D x 80 updates; streaming: 4 x D x (10 + 4) x 3
    auto = L.trajectory_directions(
        model, ds, ORDINARY, 2, lengths=[400], block=4, max_bytes=200 * n
    )
    dense = L.trajectory_directions(model, ds, ORDINARY, 2, lengths=[400])
    assert auto["method"] == "streaming" and dense["method"] == "dense"
    assert L.energy_fraction(auto["basis"][400], dense["basis"][400]) > 0.99
    with pytest.raises(ValueError, match="multiples"):
        L.trajectory_directions(model, ds, ORDINARY, 4, every=5, lengths=[12])


def test_overlaps_of_known_subspaces():
    eye = torch.eye(4, dtype=torch.float64)
    a = eye[:, :2]
    c = math.cos(0.3)
    b = torch.stack([eye[:, 0], c * eye[:, 1] + math.sin(0.3) * eye[:, 2]], 1)
    torch.testing.assert_close(
        L.principal_cosines(a, b), torch.tensor([1.0, c], dtype=torch.float64)
    )
    assert L.energy_fraction(a, b) == pytest.approx((1 + c**2) / 2)
    assert L.energy_fraction(a, eye[:, 2:]) == 0 and L.energy_fraction(a, a) == pytest.approx(1)
    gen = torch.Generator().manual_seed(0)
    fixed = torch.eye(100, 10, dtype=torch.float64)
    fr = [
        L.energy_fraction(
            torch.linalg.qr(torch.randn(100, 3, generator=gen, dtype=torch.float64))[0], fixed
        )
        for _ in range(300)
    ]
    assert np.mean(fr) == pytest.approx(L.random_energy_fraction(100, 10), rel=0.15)
    with pytest.raises(ValueError, match="orthonormal"):
        L.energy_fraction(2 * a, b)
    with pytest.raises(ValueError, match="R\\^D"):
        L.principal_cosines(a, torch.eye(5, dtype=torch.float64)[:, :2])


def test_magnitude_ranking_and_random_ranking(setup):
    model, ds = setup
    settings = ORDINARY.replace(steps=7)
    ranking = L.magnitude_ranking(model, ds, settings)
    ref = copy.deepcopy(model)
    train.train(ref, ds, settings, progress=False)
    mags = flatten(ref).abs()[ranking]
    assert ranking.dtype == torch.int64 and torch.all(mags[:-1] >= mags[1:])
    assert sorted(ranking.tolist()) == list(range(count(model)))
    r = L.random_ranking(50, seed=3)
    assert sorted(r.tolist()) == list(range(50)) and torch.equal(r, L.random_ranking(50, seed=3))


def test_compare_methods_at_matched_d(setup):
    model, ds = setup
    sub = TrainSettings(steps=10, lr=0.05, optimizer="adam", batch_size=32)
    runs = L.compare_methods(
        model,
        ds,
        sub,
        [2, 8],
        [0, 1],
        ordinary=ORDINARY,
        burn_in=3,
        pretrain_steps=4,
        every=2,
        lottery_dims=[1, 2, 4],
        lengths=[4, 8],
        eval_every=5,
        progress=False,
    )
    assert set(runs.method) == set(L.METHODS)
    assert len(runs[runs.method == "lottery subspace"]) == 6
    assert set(runs[runs.method == "lottery ticket"].proj_seed) == {0, 1}
    early = L.lottery_sweep(
        model,
        ds,
        sub,
        [1, 2],
        [0, 1],
        trajectory=ORDINARY,
        every=2,
        lengths=[4, 8],
        length=4,
        progress=False,
    )
    assert len(early) == 4
    rest = L.lottery_sweep(model, ds, sub, [1, 2], [0, 1], trajectory=ORDINARY, every=2,
                           lengths=[4, 8], displacement=False, progress=False)  # fmt: skip
    assert len(rest) == 4 and set(rest.d) == {1, 2}
    shared = L.lottery_sweep(model, ds, sub, [1, 2], [0, 1], trajectory=ORDINARY, every=2,
                             lengths=[4, 8], length=4, record=3, progress=False)  # fmt: skip
    pd.testing.assert_series_equal(shared.best_train_acc, early.best_train_acc)
    with pytest.raises(ValueError, match="record"):
        L.lottery_sweep(model, ds, sub, [1, 2], [0], trajectory=ORDINARY, every=2, lengths=[4],
                        record=1, progress=False)  # fmt: skip
    with pytest.raises(TypeError, match="displacement"):
        L.lottery_bases(model, ds, ORDINARY, [0], 2, every=2, lengths=[4], displacement="no")
    with pytest.raises(ValueError, match="fewer than d"):
        L.lottery_sweep(
            model,
            ds,
            sub,
            [1, 4],
            [0],
            trajectory=ORDINARY,
            every=2,
            lengths=[4, 8],
            length=4,
            progress=False,
        )
    for fig in (
        figures.fig_methods(runs, [0.2, 0.5], count(model)),
        figures.fig_spectra(np.array([3.0, 1.0, 0.5]), np.array([2.0, 1.0]), 100),
        figures.fig_early(
            [4, 8], [0.5, 0.7], {1: [0.4, 0.6], 4: [np.nan, 0.7]}, {4: 0.2}, [0.5, 1.0], 2
        ),
        figures.fig_displacement({"lottery": early, "without": rest}, 0.9, count(model)),
        figures.fig_overlap([1, 2], [0.5, 0.6], [0.01, 0.02], [0.01, 0.02]),
    ):
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    panel = figures.explore_lengths(
        {4: early}, runs[runs.method == "random"], count(model), eps=0.2
    )
    assert "first 4 steps" in panel.figure.axes[0].get_title()
