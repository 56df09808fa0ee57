"""dofcourse.pruning: exact pruning counts, what may be pruned, masks that hold through training,
the masked vectorised ensemble against one-at-a-time training (torch.nn.utils.prune), IMP that
resumes level by level from the cache, and the two controls."""

import importlib
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from dofcourse import data, models, params, pruning, train
from dofcourse.settings import TrainSettings, batch_order
from tests._nets import digits, tiny


@pytest.fixture(scope="module")
def ds():
    return digits(200)


def test_prunable_marks_conv_and_linear_weights_never_biases_or_norms():
    m = models.resnet_small((1, 8, 8), 10, width=8)
    keep = pruning.prunable(m)
    layout = params.Layout.of_module(m)
    start = 0
    for name, size in zip(layout.names, layout.sizes, strict=True):
        piece = keep[start : start + size]
        start += size
        module = m.get_submodule(name.rpartition(".")[0])
        expect = name.endswith("weight") and isinstance(module, nn.Conv2d | nn.Linear)
        assert bool(piece.all()) == expect and bool(piece.any()) == expect, name
    assert keep.shape == (params.count(m),)


def test_prunable_ignore(ds):
    m = tiny(ds)
    full, no_out = pruning.prunable(m), pruning.prunable(m, ignore=("3.weight",))
    assert int(full.sum() - no_out.sum()) == 12 * 10
    with pytest.raises(ValueError, match="not prunable"):
        pruning.prunable(m, ignore=("1.bias",))


@pytest.mark.parametrize(("remaining", "expected"), [(10, 2), (11, 3), (5, 1), (1, 1), (100, 20)])
def test_n_to_prune_is_the_ceiling_of_20_percent(remaining, expected):
    assert pruning.n_to_prune(remaining, 0.2) == expected


def test_magnitude_prune_removes_exactly_ceil_of_remaining_smallest_first():
    D = 53
    prunable_ = torch.ones(D, dtype=torch.bool)
    prunable_[[0, 7, 20]] = False  # "biases": tiny, but never pruned
    theta = torch.randn(D, generator=torch.Generator().manual_seed(0))
    theta[[0, 7, 20]] = 1e-6
    mask = torch.ones(D, dtype=torch.bool)
    remaining = 50
    for _ in range(6):
        new = pruning.magnitude_prune(theta, mask, prunable_)
        removed = mask & ~new
        assert int(removed.sum()) == math.ceil(0.2 * remaining)
        assert bool(new[[0, 7, 20]].all())
        assert not bool((new & ~mask).any()), "a pruned weight came back"
        kept_mag = theta.abs()[new & prunable_]
        assert float(theta.abs()[removed].max()) <= float(kept_mag.min())
        remaining -= int(removed.sum())
        mask = new
    assert float(pruning.density(mask, prunable_)) == pytest.approx(remaining / 50)


def test_magnitude_prune_is_global_across_layers_and_per_row():
    theta = torch.tensor([[0.1, 0.2, 5.0, 6.0, 7.0], [9.0, 8.0, 0.3, 0.1, 7.0]])
    mask = torch.ones(2, 5, dtype=torch.bool)
    prunable_ = torch.ones(5, dtype=torch.bool)
    new = pruning.magnitude_prune(theta, mask, prunable_, fraction=0.4)  # ceil(2.0) = 2 per row
    assert new.tolist() == [[False, False, True, True, True], [True, True, False, False, True]]


def test_magnitude_prune_validates():
    theta, prunable_ = torch.randn(4), torch.ones(4, dtype=torch.bool)
    with pytest.raises(TypeError, match="boolean"):
        pruning.magnitude_prune(theta, torch.ones(4), prunable_)
    with pytest.raises(ValueError, match="fraction"):
        pruning.magnitude_prune(theta, torch.ones(4, dtype=torch.bool), prunable_, fraction=1.0)
    bias_pruned = torch.tensor([False, True, True, True])  # entry 0 is a bias
    with pytest.raises(ValueError, match="not prunable"):
        pruning.magnitude_prune(theta, bias_pruned, bias_pruned.clone())


def test_random_like_keeps_the_count_of_every_layer(ds):
    m = tiny(ds, hidden=(12, 8))
    keep, layers = pruning.prunable(m), pruning.layer_index(m)
    theta = pruning.initial_points(m, [0, 1])
    mask = torch.ones_like(theta, dtype=torch.bool)
    for _ in range(3):
        mask = pruning.magnitude_prune(theta, mask, keep)
    rand = pruning.random_like(mask, keep, layers, seed=3)
    for layer in torch.unique(layers).tolist():
        sel = layers == layer
        assert (rand[:, sel].sum(1) == mask[:, sel].sum(1)).all()
    assert bool(rand[:, ~keep].all()) and not torch.equal(rand, mask)
    assert torch.equal(rand, pruning.random_like(mask, keep, layers, seed=3))


def test_initial_points_are_seeded_and_leave_the_global_rng_alone(ds):
    m = tiny(ds)
    state = torch.random.get_rng_state()
    a, b = pruning.initial_points(m, [4, 5]), pruning.initial_points(m, [4])
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], a[1])
    with pytest.raises(ValueError, match="empty"):
        pruning.initial_points(m, [])


def test_masks_keep_zeros_through_training(ds):
    m = tiny(ds)
    keep = pruning.prunable(m)
    theta0 = pruning.initial_points(m, [0, 1])
    mask = pruning.magnitude_prune(theta0, torch.ones_like(theta0, dtype=torch.bool), keep, 0.6)
    settings = TrainSettings(steps=15, lr=0.2, momentum=0.9, weight_decay=1e-3, batch_size=32)
    theta, hist = pruning.fit(m, ds, settings, theta0, mask, order_seeds=[0, 1], progress=False)
    assert torch.all(theta[~mask] == 0) and torch.all(theta[mask] != theta0[mask])
    assert np.all(hist.loss[:, -1] < hist.loss[:, 0])


def test_masked_ensemble_equals_one_at_a_time_torch_prune(ds):
    m = tiny(ds, hidden=(10, 6))
    keep = pruning.prunable(m)
    theta0 = pruning.initial_points(m, [0, 1, 2])
    masks = torch.rand(theta0.shape, generator=torch.Generator().manual_seed(1)) > 0.5
    masks |= ~keep
    settings = TrainSettings(steps=12, lr=0.1, momentum=0.9, weight_decay=1e-3, batch_size=40)
    seeds = [3, 4, 5]
    theta, _ = pruning.fit(m, ds, settings, theta0, masks, order_seeds=seeds, progress=False)
    layout = params.Layout.of_module(m)
    for e in range(3):
        ref = params.load_into(tiny(ds, hidden=(10, 6)), theta0[e])
        for name, piece in layout.unflatten(masks[e].float()).items():
            mod_name, _, kind = name.rpartition(".")
            if kind == "weight":
                torch_prune.custom_from_mask(ref.get_submodule(mod_name), "weight", piece)
        opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        order = batch_order(len(ds.x_train), 40, seeds[e])
        for _ in range(12):
            idx = next(order)
            loss = nn.functional.cross_entropy(ref(ds.x_train[idx]), ds.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        got = {n: t for n, t in layout.unflatten(theta[e]).items()}
        for name in layout.names:
            mod_name, _, kind = name.rpartition(".")
            mod = ref.get_submodule(mod_name)
            want = getattr(mod, kind + "_orig", None)
            want = (getattr(mod, kind) if want is None else want * mod.weight_mask).detach()
            torch.testing.assert_close(got[name], want, rtol=1e-5, atol=1e-6)


def _count_trainings(monkeypatch) -> list[int]:
    """The members of each training IMP runs (the rewinds and the level loop), appended to the
    returned list as they happen."""
    calls: list[int] = []
    real_fit = pruning.fit_flagged

    def counted(*a, **k):
        calls.append(len(a[3]))
        return real_fit(*a, **k)

    for where in ("imp", "levels"):
        monkeypatch.setattr(importlib.import_module(f"dofcourse.pruning.{where}"), "fit_flagged",
                            counted)  # fmt: skip
    return calls


def test_imp_levels_prune_20_percent_and_resume_from_the_cache(ds, monkeypatch):
    m = tiny(ds)
    keep = pruning.prunable(m)
    settings = TrainSettings(steps=6, lr=0.1, batch_size=50)
    calls = _count_trainings(monkeypatch)
    run2 = pruning.imp(m, ds, settings, pruning.initial_points(m, [0, 1]), levels=2,
                       progress=False)  # fmt: skip
    assert calls == [2, 2, 2]
    run3 = pruning.imp(m, ds, settings, pruning.initial_points(m, [0, 1]), levels=3,
                       progress=False)  # fmt: skip
    assert calls == [2, 2, 2, 2], "levels 0-2 came from the cache, only level 3 was trained"
    np.testing.assert_array_equal(run3.test_acc[:3], run2.test_acc)
    remaining = int(keep.sum())
    for lv in range(1, 4):
        remaining -= math.ceil(0.2 * remaining)
        assert (run3.masks[lv] & keep).sum(1).tolist() == [remaining, remaining]
        assert not bool((run3.masks[lv] & ~run3.masks[lv - 1]).any()), "masks must be nested"
        assert bool(run3.masks[lv][:, ~keep].all()), "biases are never pruned"
    assert run3.density[1] == pytest.approx(0.8, abs=0.01)
    assert run3.density[3] == pytest.approx(0.512, abs=0.01)


def test_imp_grid_equals_imp_and_resumes_per_replica(ds, monkeypatch):
    m = tiny(ds)
    settings = TrainSettings(steps=6, lr=0.1, batch_size=50)
    calls = _count_trainings(monkeypatch)
    starts = [pruning.Start(0), pruning.Start(2)]
    runs = pruning.imp_grid(m, ds, settings, starts, init_seeds=[0, 1], levels=2, progress=False)
    assert calls == [2, 2, 2, 2, 2, 2, 2], "k = 2 rewinds, then 3 levels per start (T - k differ)"
    runs3 = pruning.imp_grid(m, ds, settings, starts, init_seeds=[0, 1, 2], levels=2,
                             progress=False)  # fmt: skip
    assert calls[7:] == [1, 1, 1, 1, 1, 1, 1], "only the new replica was trained"
    for name, run in runs.items():
        np.testing.assert_array_equal(runs3[name].test_acc[:, :2], run.test_acc)
    # the same levels as imp() from the same rewind points, one level at a time
    ref = pruning.imp(m, ds, settings.replace(steps=4), runs["k = 2"].rewind, levels=2,
                      progress=False)  # fmt: skip
    np.testing.assert_allclose(runs["k = 2"].test_acc, ref.test_acc)
    for a, b in zip(runs["k = 2"].masks, ref.masks, strict=True):
        assert torch.equal(a, b)
    fixed = pruning.imp_grid(m, ds, settings, starts, init_seeds=[0, 1], levels=1, level_steps=3,
                             progress=False)  # fmt: skip
    assert {r.steps for r in fixed.values()} == {3}
    with pytest.raises(ValueError, match="names"):
        pruning.imp_grid(m, ds, settings, [pruning.Start(1), pruning.Start(1)], init_seeds=[0],
                         levels=1)  # fmt: skip
    with pytest.raises(ValueError, match="pools"):
        pruning.imp_grid(m, ds, settings, [pruning.Start(1, {0: torch.arange(50)})],
                         init_seeds=[0, 1], levels=1)  # fmt: skip


def test_diverged_runs_are_flagged_from_the_cache_too_never_reported(ds):
    """Reliability review, defect 1: lr = 1e6 gave chance accuracy with no flag, silently
    from the cache on the second call."""
    m = tiny(ds)
    bad = TrainSettings(steps=30, lr=1e6, batch_size=50)
    th = pruning.initial_points(m, [0, 1])
    keep = pruning.prunable(m)
    for _ in range(2):  # computed, then from the cache
        with pytest.warns(UserWarning, match="2 of 2 replicas of the IMP level diverged"):
            out = pruning.imp_level(m, ds, bad, th, torch.ones_like(th, dtype=torch.bool), keep,
                                    0.2, [0, 1])  # fmt: skip
        assert out["diverged"].all() and np.isnan(out["test_acc"]).all()
        with pytest.warns(UserWarning, match="2 of 2 IMP runs diverged"):
            run = pruning.lottery(m, ds, bad, init_seeds=[0, 1], rewind_step=0, levels=1,
                                  progress=False)  # fmt: skip
        assert run.diverged.all() and np.isnan(run.test_acc).all()
        with pytest.warns(UserWarning, match="control trainings diverged"):
            table = pruning.controls(m, ds, bad, run, levels=[1], reinit_seeds=[5, 6],
                                     progress=False)  # fmt: skip
        assert table.diverged.all() and table.test_acc.isna().all()
    with pytest.raises(train.TrainingDiverged, match="diverged"):
        pruning.fit(m, ds, bad, th, progress=False)
    with pytest.raises(train.TrainingDiverged):
        pruning.rewind_points(m, ds, bad, th, order_seeds=[0, 1], progress=False)


def test_a_nan_start_is_refused_not_trained(ds):
    """Reliability review, defect 11: a start with one NaN entry trained silently (frozen,
    test_acc 0.1), blamed on lr."""
    m = tiny(ds)
    th = pruning.initial_points(m, [0, 1])
    th[1, 3] = float("nan")
    with pytest.raises(ValueError, match=r"start has NaN or inf entries in row\(s\) \[1\]"):
        pruning.fit(m, ds, TrainSettings(steps=5, lr=0.1), th, progress=False)
    with pytest.raises(ValueError, match="NaN or inf"):
        pruning.imp(m, ds, TrainSettings(steps=5, lr=0.1), th, levels=1, progress=False)


def test_lottery_rewinds_to_step_k_and_trains_the_rest(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=10, lr=0.1, batch_size=50)
    run = pruning.lottery(m, ds, settings, init_seeds=[0], rewind_step=4, levels=1, progress=False)
    theta0 = pruning.initial_points(m, [0])
    want = pruning.rewind_points(m, ds, settings.replace(steps=4), theta0, order_seeds=[0],
                                 progress=False)  # fmt: skip
    torch.testing.assert_close(run.rewind, want)
    assert run.steps == 6 and run.rewind_step == 4
    with pytest.raises(ValueError, match="rewind_step"):
        pruning.lottery(m, ds, settings, init_seeds=[0], rewind_step=10, levels=1)


def test_controls_use_the_mask_counts_and_fresh_inits(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=5, lr=0.1, batch_size=50)
    run = pruning.lottery(m, ds, settings, init_seeds=[0, 1], rewind_step=0, levels=2,
                          progress=False)  # fmt: skip
    table = pruning.controls(m, ds, settings, run, levels=[0, 2], reinit_seeds=[10, 11],
                             progress=False)  # fmt: skip
    assert len(table) == 2 * 2 * 2
    assert set(table.control) == set(pruning.CONTROLS)
    assert table[table.level == 2].density.iloc[0] == pytest.approx(run.density[2])
    # what each control trains: spy on the ensemble fit (a fresh cache, so it runs)
    seen = {}
    controls_module = importlib.import_module("dofcourse.pruning.controls")
    real_fit = controls_module.fit_flagged

    def spy(model, data, settings, start, masks, **kw):
        seen[len(seen)] = (settings.steps, start.clone(), masks.clone())
        return real_fit(model, data, settings, start, masks, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(controls_module, "fit_flagged", spy)
        mp.setenv("DOFCOURSE_NO_CACHE", "1")
        pruning.controls(m, ds, settings, run, levels=[2], reinit_seeds=[10, 11], progress=False)
    assert len(seen) == 2, "one ensemble per control"
    layers = pruning.layer_index(m)
    imp = run.masks[2].bool()  # (2 replicas, D)
    (reinit,) = [c for c in seen.values() if torch.equal(c[2].bool(), imp)]  # the IMP masks
    (random,) = [c for c in seen.values() if c is not reinit]
    steps, random_start, random_masks = random  # the random mask: from the rewind point
    assert steps == run.steps
    torch.testing.assert_close(random_start, run.rewind.to(random_start.device))
    for r in range(2):  # ... keeping as many weights in every layer as IMP, elsewhere
        assert not torch.equal(random_masks[r].bool(), imp[r])
        kept = torch.bincount(layers[random_masks[r].bool()], minlength=int(layers.max()) + 1)
        assert torch.equal(kept, torch.bincount(layers[imp[r]], minlength=len(kept)))
    steps, reinit_start, _ = reinit  # the IMP mask on a fresh initialisation
    assert steps == run.steps + run.rewind_step
    fresh = pruning.initial_points(m, [10, 11]).to(reinit_start.device)
    torch.testing.assert_close(reinit_start, fresh)
    assert not torch.allclose(reinit_start, run.rewind.to(reinit_start.device))
    with pytest.raises(ValueError, match="reinit_seeds"):
        pruning.controls(m, ds, settings, run, levels=[1], reinit_seeds=[10])
    with pytest.raises(ValueError, match="steps"):
        pruning.controls(m, ds, settings.replace(steps=9), run, levels=[1], reinit_seeds=[1, 2])


class _Counting(ThreadPoolExecutor):
    """A one-thread executor that counts the chunks sent to it."""

    def __init__(self) -> None:
        super().__init__(1)
        self.sent = 0

    def submit(self, *args, **kwargs):
        self.sent += 1
        return super().submit(*args, **kwargs)


def test_controls_on_an_executor_give_the_local_numbers(ds, monkeypatch):
    m = tiny(ds)
    settings = TrainSettings(steps=5, lr=0.1, batch_size=50)
    run = pruning.lottery(m, ds, settings, init_seeds=[0, 1], rewind_step=0, levels=2,
                          progress=False)  # fmt: skip
    kw = dict(levels=[1, 2], reinit_seeds=[10, 11], progress=False)
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    local = pruning.controls(m, ds, settings, run, **kw)
    monkeypatch.delenv("DOFCOURSE_NO_CACHE")
    with _Counting() as pool:
        remote = pruning.controls(m, ds, settings, run, executor=pool, **kw)
    assert pool.sent >= 2  # one chunk per control at least
    pd.testing.assert_frame_equal(remote, local)


def test_the_chapters_network_is_lenet_on_mnist_and_conv2_on_cifar():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(20, 1, 28, 28, generator=g).numpy(), np.arange(20) % 10
    mnist = data.from_arrays("mnist_subset", x, y, x[:4], y[:4])
    a, b = pruning.network(mnist), pruning.network(mnist)
    assert [m.out_features for m in a if isinstance(m, torch.nn.Linear)] == [300, 100, 10]
    assert torch.equal(params.flatten(a), params.flatten(b))  # the same theta_0 every time
    xc = torch.rand(4, 3, 32, 32, generator=g).numpy()
    cifar = data.from_arrays("cifar10", xc, y[:4], xc, y[:4])
    conv = pruning.network(cifar)
    assert params.count(conv) == params.count(models.conv2((3, 32, 32), 10))
    with pytest.raises(TypeError, match="Dataset"):
        pruning.network((x, y))


def test_the_recipe_of_chapters_07_and_08_follows_the_data():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(20, 1, 28, 28, generator=g).numpy(), np.arange(20) % 10
    r = pruning.recipe(data.from_arrays("mnist_subset", x, y, x[:4], y[:4]))
    assert params.count(r.model) == params.count(pruning.network(data.from_arrays(
        "mnist_subset", x, y, x[:4], y[:4])))  # fmt: skip
    assert not r.on_cifar and r.settings.steps == 200  # quick mode (the tests' mode)
    assert (r.settings.lr, r.lr_high, r.settings.batch_size, r.settings.momentum) == (
        0.1, 0.15, 60, 0.9)  # fmt: skip
    xc = torch.rand(4, 3, 32, 32, generator=g).numpy()
    rc = pruning.recipe(data.from_arrays("cifar10", xc, y[:4], xc, y[:4]))
    assert rc.on_cifar and rc.settings.batch_size == 128 and rc.lr_high > rc.settings.lr


def test_load_or_falls_back_and_says_why(monkeypatch, capsys):
    from dofcourse.data import catalog

    def offline(name):
        raise data.DatasetError("offline")

    monkeypatch.setattr(catalog, "read_verified", offline)
    ds = data.load_or("cifar10", "digits", device="cpu")
    assert ds.name == "digits" and "cifar10 is not available (offline)" in capsys.readouterr().out
    assert data.load_or("digits", "mnist_subset", device="cpu").name == "digits"
    for bad in ({"name": "cifar", "fallback": "digits"}, {"name": "digits", "fallback": "x"}):
        with pytest.raises(data.DatasetError, match="unknown"):
            data.load_or(**bad, device="cpu")


def test_random_mask_gap_from_a_hand_made_table():
    """Chapter 07's check: gaps per level, their mean and its standard error, by hand."""
    import pandas as pd

    rows = [("reinit", 3, a) for a in (0.90, 0.92)] + [("random_mask", 3, a) for a in (0.85, 0.87)]
    rows += [("reinit", 5, a) for a in (0.80, 0.84)] + [("random_mask", 5, a) for a in (0.80, 0.80)]
    table = pd.DataFrame(rows, columns=["control", "level", "test_acc"])
    out = pruning.random_mask_gap(table, [3, 5])
    np.testing.assert_allclose(out["gaps"], [0.05, 0.02], atol=1e-12)
    assert out["mean"] == pytest.approx(0.035)
    # variances of the means: 0.0002/2 + 0.0002/2 at level 3, 0.0008/2 + 0 at level 5
    assert out["se"] == pytest.approx(np.sqrt(0.0002 + 0.0004) / 2)
    with pytest.raises(ValueError, match="at least 2 runs"):
        pruning.random_mask_gap(table[table.control == "reinit"], [3])
    with pytest.raises(ValueError, match="empty"):
        pruning.random_mask_gap(table, [])
    with pytest.raises(TypeError, match="DataFrame"):
        pruning.random_mask_gap(table.to_dict(), [3])
