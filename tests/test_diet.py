"""dofcourse.diet: EL2N and GraNd against per-example loops, subsets by score and at random
(class-balanced as lth_diet), training on subsets and pre-training on a diet before IMP."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dofcourse import connectivity, diet, params, pruning, train
from dofcourse.settings import TrainSettings
from tests._nets import digits, tiny


@pytest.fixture(scope="module")
def ds():
    return digits(200)


def test_el2n_and_grand_against_a_loop_over_examples(ds):
    m = tiny(ds)
    net = params.Functional.of_module(m)
    thetas = pruning.initial_points(m, [0, 1])
    x, y = ds.x_train[:30], ds.y_train[:30]
    el2n = diet.el2n_per_network(net, thetas, x, y, chunk=7)
    grand = diet.grand_per_network(net, thetas, x, y, chunk=8)
    assert el2n.shape == grand.shape == (2, 30)
    for k in range(2):
        ref = params.load_into(tiny(ds, 5), thetas[k])
        for i in range(30):
            out = ref(x[i : i + 1])
            err = out.softmax(1)[0] - F.one_hot(y[i], 10).float()
            assert el2n[k, i].item() == pytest.approx(err.norm().item(), rel=1e-5)
            ref.zero_grad()
            F.cross_entropy(out, y[i : i + 1]).backward()
            g = torch.cat([p.grad.flatten() for p in ref.parameters()])
            assert grand[k, i].item() == pytest.approx(g.norm().item(), rel=1e-4)


def test_scores_are_cached_per_network_and_averaged(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=10, lr=0.1, batch_size=50)
    per = diet.scores(m, ds, settings, [0, 1, 2], 5, "el2n", progress=False)
    assert per.shape == (3, 200)
    torch.testing.assert_close(diet.el2n(m, ds, settings, init_seeds=[0, 1, 2], steps=5,
                                         progress=False), per.mean(0))  # fmt: skip
    at_init = diet.grand(m, ds, settings, init_seeds=[0], steps=0)
    net = params.Functional.of_module(m)
    want = diet.grand_per_network(net, pruning.initial_points(m, [0]), ds.x_train, ds.y_train)
    torch.testing.assert_close(at_init, want.mean(0))
    with pytest.raises(ValueError, match="kind"):
        diet.scores(m, ds, settings, [0], 5, "forgetting")


def test_by_score_ends_offset_and_class_balance():
    s = torch.tensor([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4])
    assert diet.easiest(s, 3).tolist() == [1, 3, 5]
    assert diet.hardest(s, 2).tolist() == [2, 6]
    assert diet.by_score(s, 2, end="low", offset=2).tolist() == [3, 7]
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    # class 0 ranked low->high: 1, 3, 0, 2; class 1: 5, 7, 4, 6; n = 3: 2 + 1 (first class)
    assert diet.easiest(s, 3, labels=labels, class_balanced=True).tolist() == [1, 3, 5]
    assert diet.hardest(s, 4, labels=labels, class_balanced=True).tolist() == [0, 2, 4, 6]
    with pytest.raises(ValueError, match="labels"):
        diet.easiest(s, 3, class_balanced=True)
    with pytest.raises(ValueError, match="multiple"):
        diet.by_score(s, 2, offset=1, labels=labels, class_balanced=True)


def test_random_subset_sizes_balance_and_seeds():
    labels = torch.arange(100) % 4
    a = diet.random_subset(100, 22, seed=1, labels=labels, class_balanced=True)
    counts = torch.bincount(labels[a], minlength=4)
    assert len(a) == 22 and len(set(a.tolist())) == 22 and counts.min() >= 5
    assert torch.equal(a, diet.random_subset(100, 22, seed=1, labels=labels, class_balanced=True))
    b = diet.random_subset(100, 22, seed=2)
    assert len(b) == 22 and torch.all(b[1:] > b[:-1]) and not torch.equal(a, b)
    with pytest.raises(ValueError, match="n"):
        diet.random_subset(10, 11, seed=0)


def test_train_on_subsets_trains_each_pool(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=20, lr=0.2, batch_size=20)
    pools = [torch.arange(0, 40), torch.arange(100, 200)]
    out = diet.train_on_subsets(m, ds, settings, [0, 1], pools, progress=False)
    assert out["test_acc"].shape == out["diverged"].shape == (2, 2) and not out["diverged"].any()
    theta, _ = pruning.fit(m, ds, settings, pruning.initial_points(m, [1]), order_seeds=[1],
                           pools=[pools[1]], progress=False)  # fmt: skip
    net = params.Functional.of_module(m)
    acc = (net(theta[0], ds.x_test).argmax(1) == ds.y_test).float().mean().item()
    assert out["test_acc"][1, 1] == pytest.approx(acc, abs=1e-6)


def test_data_pruning_is_the_grid_of_train_on_subsets_as_a_table(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=10, lr=0.2, batch_size=20)
    scores = torch.rand(len(ds.y_train), generator=torch.Generator().manual_seed(0))
    table = diet.data_pruning(m, ds, settings, [0, 1], scores=scores, keep=[0.25, 0.5],
                              random_seed=3, progress=False)  # fmt: skip
    assert list(table.columns) == ["kind", "fraction", "seed", "test_acc", "diverged"]
    assert len(table) == 2 * 3 * 2 and not table.diverged.any()
    n_all = len(ds.y_train)
    pools = {("hardest", f): diet.hardest(scores, round(f * n_all)) for f in (0.25, 0.5)}
    pools |= {
        ("random", f): diet.random_subset(n_all, round(f * n_all), seed=3) for f in (0.25, 0.5)
    }
    pools |= {(k, 1.0): torch.arange(n_all) for k in ("hardest", "random")}
    for (kind, frac), pool in pools.items():
        rows = table[(table.kind == kind) & (table.fraction == frac)].sort_values("seed")
        assert rows.seed.tolist() == [0, 1]
        ref = diet.train_on_subsets(m, ds, settings, [0, 1], [pool], progress=False)
        np.testing.assert_allclose(rows.test_acc.to_numpy(), ref["test_acc"][0], atol=1e-6)
    with pytest.raises(ValueError, match="one entry per training example"):
        diet.data_pruning(m, ds, settings, [0], scores=scores[:-1], keep=[0.5], progress=False)
    with pytest.raises(ValueError, match="keep"):
        diet.data_pruning(m, ds, settings, [0], scores=scores, keep=[1.0], progress=False)


def test_data_pruning_on_an_executor_gives_the_local_numbers(ds, monkeypatch):
    m = tiny(ds)
    settings = TrainSettings(steps=6, lr=0.2, batch_size=20)
    scores = torch.rand(len(ds.y_train), generator=torch.Generator().manual_seed(1))
    kw = dict(scores=scores, keep=[0.5], progress=False)
    monkeypatch.setenv("DOFCOURSE_NO_CACHE", "1")
    local = diet.data_pruning(m, ds, settings, [0, 1], **kw)
    monkeypatch.delenv("DOFCOURSE_NO_CACHE")
    with ThreadPoolExecutor(1) as pool:
        remote = diet.data_pruning(m, ds, settings, [0, 1], executor=pool, **kw)
    assert remote.equals(local)


def test_diet_lottery_rewinds_to_the_pretrained_point(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=12, lr=0.1, batch_size=20)
    pools = [torch.arange(0, 60)] * 2
    run = diet.diet_lottery(m, ds, settings, init_seeds=[0, 1], pools=pools, pretrain_steps=4,
                            levels=1, progress=False)  # fmt: skip
    theta0 = pruning.initial_points(m, [0, 1])
    want = pruning.rewind_points(m, ds, settings.replace(steps=4), theta0, order_seeds=[0, 1],
                                 pools=pools, progress=False)  # fmt: skip
    torch.testing.assert_close(run.rewind, want)
    assert run.steps == 8 and run.rewind_step == 4 and run.test_acc.shape == (2, 2)
    full = diet.diet_rewind(m, ds, settings, init_seeds=[0, 1], pools=None, steps=4)
    assert not torch.allclose(full, want)
    with pytest.raises(ValueError, match="per replica"):
        diet.diet_rewind(m, ds, settings, init_seeds=[0, 1], pools=pools[:1], steps=4)


def test_connected_examples_counts_small_midpoint_barriers(ds):
    m = tiny(ds)
    settings = TrainSettings(steps=10, lr=0.2, momentum=0.9, batch_size=20)
    start = pruning.initial_points(m, [0, 1])
    n = diet.connected_examples(m, ds, settings, start, threshold=0.05, progress=False)
    mid = connectivity.instability(m, ds, settings, start, per_example=True)["midpoint"]
    np.testing.assert_array_equal(n, (mid <= 0.05).sum(1).numpy())
    assert np.all(diet.connected_examples(m, ds, settings, start, threshold=1e9) == 200)


def test_diet_start_pools_and_many_starts_in_one_grid(ds):
    m = tiny(ds)
    scores = torch.rand(200, generator=torch.Generator().manual_seed(0))
    rand = diet.diet_start("random", 40, k=3, scores=scores, labels=ds.y_train, init_seeds=[0, 1])
    easy = diet.diet_start("easiest", 40, k=3, scores=scores, labels=ds.y_train, init_seeds=[0, 1])
    assert rand.name == "random 20%" and easy.name == "easiest 20%"
    assert not torch.equal(rand.pools[0], rand.pools[1]) and torch.equal(
        easy.pools[0], easy.pools[1]
    )
    assert torch.equal(easy.pools[0], diet.easiest(scores, 40, labels=ds.y_train,
                                                   class_balanced=True))  # fmt: skip
    settings = TrainSettings(steps=12, lr=0.1, batch_size=20)
    runs = pruning.imp_grid(m, ds, settings, [pruning.Start(0), rand, easy], init_seeds=[0, 1],
                            levels=1, level_steps=4, progress=False)  # fmt: skip
    one = diet.diet_lottery(m, ds, settings, init_seeds=[0, 1], pools=[rand.pools[0],
                            rand.pools[1]], pretrain_steps=3, levels=1, level_steps=4,
                            progress=False)  # fmt: skip
    np.testing.assert_allclose(runs["random 20%"].test_acc, one.test_acc)
    torch.testing.assert_close(runs["random 20%"].rewind, one.rewind)


def test_diverged_diet_runs_are_flagged(ds):
    """Reliability review, defect 1 (diet): a diverged run had accuracies and no flag."""
    m = tiny(ds)
    bad = TrainSettings(steps=20, lr=1e6, batch_size=20)
    for _ in range(2):  # computed, then from the cache
        with pytest.warns(UserWarning, match="trainings on subsets diverged"):
            out = diet.train_on_subsets(m, ds, bad, [0], [torch.arange(50)], progress=False)
        assert out["diverged"].all() and np.isnan(out["test_acc"]).all()
    with pytest.raises(train.TrainingDiverged):
        diet.scores(m, ds, bad, [0], 5, progress=False)
