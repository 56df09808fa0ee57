"""dofcourse.dynamics (chapter 10): per-example gradients, gradient confusion, the sweep."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dofcourse import data, diet, per_example
from dofcourse import dynamics as dyn
from dofcourse.params import Functional
from dofcourse.settings import TrainSettings


def test_confusion_of_hand_made_gradients():
    g = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    c = dyn.confusion(g)
    assert c.eta == pytest.approx(3.0)  # −⟨g_0, g_2⟩
    assert c.eta_rel == pytest.approx(3.0 / ((1 + 4 + 9) / 3))
    assert c.min_cos == pytest.approx(-1.0)
    assert c.mean_cos == pytest.approx(-1 / 3)
    assert c.frac_negative == pytest.approx(1 / 3)
    np.testing.assert_allclose(c.cosines.numpy(), [0.0, -1.0, 0.0], atol=1e-7)
    with pytest.raises(ValueError, match="zero gradient"):
        dyn.confusion(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="at least 2"):
        dyn.confusion(torch.ones(1, 3))


def _batch(n=12):
    ds = data.load("digits")
    return ds, ds.x_train[:n], ds.y_train[:n]


def test_per_example_gradients_of_a_plain_net_match_a_loop_and_chapter_08():
    ds, x, y = _batch()
    model = dyn.network(ds.input_shape, 10, width=8, depth=2, init_seed=3)
    net = Functional.of_module(model)
    g = per_example.gradients(net, net.theta0, x, y, together=True)  # chapter 10's meaning
    alone = per_example.gradients(net, net.theta0, x, y)  # each example on its own
    assert g.shape == alone.shape == (len(x), net.D)
    for i in (0, 5, 11):
        loop = torch.func.grad(
            lambda t, i=i: F.cross_entropy(net.fn(t, x[i : i + 1]), y[i : i + 1])
        )
        torch.testing.assert_close(g[i], loop(net.theta0), rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(alone[i], loop(net.theta0), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(g, alone, rtol=1e-5, atol=1e-7)  # the two meanings agree here
    # chapter 08's GraNd is computed by the same function: exactly the rows' norms
    grand = diet.grand_per_network(net, net.theta0[None], x, y, chunk=len(x))[0]
    assert torch.equal(grand, alone.norm(dim=1))
    torch.testing.assert_close(g.norm(dim=1), grand, rtol=1e-5, atol=1e-7)


def test_per_example_gradients_with_batch_norm_sum_to_the_batch_gradient():
    ds, x, y = _batch()
    model = dyn.network(ds.input_shape, 10, width=8, depth=3, arch="bn_skip", init_seed=0)
    assert not list(model.buffers())  # no running statistics: a pure function of theta
    net = Functional.of_module(model)
    g = per_example.gradients(net, net.theta0, x, y, together=True)
    whole = torch.func.grad(lambda t: F.cross_entropy(net.fn(t, x), y))(net.theta0)
    torch.testing.assert_close(g.sum(0) / len(x), whole, rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match="at least 2"):
        per_example.gradients(net, net.theta0, x[:1], y[:1], together=True)
    with pytest.raises(ValueError):  # single examples cannot be batch-normalised
        per_example.gradients(net, net.theta0, x, y)


def test_gradient_norms_in_chunks_match_the_rows():
    ds, x, y = _batch()
    net = Functional.of_module(dyn.network(ds.input_shape, 10, width=8, depth=2, init_seed=1))
    rows = per_example.gradients(net, net.theta0, x, y)
    for chunk in (1, 5, 64):
        norms = per_example.gradient_norms(net, net.theta0, x, y, chunk=chunk)
        torch.testing.assert_close(norms, rows.norm(dim=1), rtol=1e-5, atol=1e-7)


def test_networks_have_the_asked_width_and_depth():
    plain = dyn.network((1, 8, 8), 10, width=5, depth=3)
    res = dyn.network((1, 8, 8), 10, width=5, depth=3, arch="bn_skip")
    n_linear = [sum(isinstance(m, torch.nn.Linear) for m in net.modules()) for net in (plain, res)]
    assert n_linear == [4, 4]  # depth hidden layers + the output layer
    assert sum(p.numel() for p in plain.parameters()) == 64 * 5 + 5 + 2 * (25 + 5) + 50 + 10
    with pytest.raises(ValueError, match="arch"):
        dyn.network((1, 8, 8), 10, width=5, depth=3, arch="resnet")
    same = dyn.network((1, 8, 8), 10, width=5, depth=3, init_seed=1)
    again = dyn.network((1, 8, 8), 10, width=5, depth=3, init_seed=1)
    assert all(
        torch.equal(a, b) for a, b in zip(same.parameters(), again.parameters(), strict=True)
    )


def test_confusion_sweep_table():
    ds = data.load("digits").subsample(200)
    kw = {
        "archs": ["plain", "bn_skip"],
        "widths": [6],
        "depths": [2],
        "init_seeds": [0, 1],
        "settings": TrainSettings(steps=40, lr=0.1, batch_size=16),
        "target_loss": 1.5,
        "eval_every": 10,
        "along_step": 10,
        "batch": 8,
        "n_batches": 2,
        "progress": False,
    }
    table = dyn.confusion_sweep(ds, **kw)
    assert len(table) == 4 and set(table["arch"]) == {"plain", "bn_skip"}
    for s in dyn.STATS:
        assert np.isfinite(table[f"{s}_init"]).all() and np.isfinite(table[f"{s}_along"]).all()
    assert (table["min_cos_init"] >= -1).all() and (table["frac_negative_init"] <= 1).all()
    assert all(len(c) == 8 * 7 // 2 for c in table["cosines_init"])
    assert all(s == math.inf or s % 10 == 0 for s in table["steps"])
    again = dyn.confusion_sweep(ds, **kw)  # from the cache
    assert again.drop(columns=["cosines_init", "cosines_along"]).equals(
        table.drop(columns=["cosines_init", "cosines_along"])
    )
    with pytest.raises(ValueError, match="along_step"):
        dyn.confusion_sweep(ds, **{**kw, "along_step": 15})


def test_he_initialisation_scales_the_weights_by_fan_in_and_zeroes_the_biases():
    torch_init = dyn.network((1, 28, 28), 10, width=256, depth=3, init_seed=2)
    he = dyn.network((1, 28, 28), 10, width=256, depth=3, init_seed=2, init="he")
    again = dyn.network((1, 28, 28), 10, width=256, depth=3, init_seed=2, init="he")
    assert all(torch.equal(a, b) for a, b in zip(he.parameters(), again.parameters(), strict=True))
    linears = [m for m in he.modules() if isinstance(m, torch.nn.Linear)]
    defaults = [m for m in torch_init.modules() if isinstance(m, torch.nn.Linear)]
    for m, d in zip(linears, defaults, strict=True):
        fan_in = m.weight.shape[1]
        assert m.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
        assert d.weight.std().item() == pytest.approx(math.sqrt(1 / (3 * fan_in)), rel=0.05)
        assert not m.bias.any()
    res = dyn.network((1, 8, 8), 10, width=16, depth=3, arch="bn_skip", init="he")
    assert all(not m.bias.any() for m in res.modules() if isinstance(m, torch.nn.Linear))
    with pytest.raises(ValueError, match="init"):
        dyn.network((1, 8, 8), 10, width=5, depth=3, init="xavier")
