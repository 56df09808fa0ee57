"""dofcourse.params: one flattening of parameters, for modules and for parameter tuples."""

import pytest
import torch

from dofcourse import models, params


def _net(seed=0):
    torch.manual_seed(seed)
    return models.mlp((1, 4, 4), 3, hidden=(5,))


def test_layout_round_trip_module():
    m = _net()
    layout = params.Layout.of_module(m)
    theta = params.flatten(m)
    assert theta.shape == (layout.D,) == (params.count(m),)
    back = layout.unflatten(theta)
    for name, p in m.named_parameters():
        assert torch.equal(back[name], p.detach())
    assert torch.equal(layout.flatten(back), theta)


def test_layout_keeps_a_leading_axis_for_stacks():
    w, v = torch.randn(4, 3, 2), torch.randn(4, 3)
    layout = params.Layout.of_tensors((w[0], v[0]))
    theta = layout.flatten((w, v))
    assert theta.shape == (4, 9)
    w2, v2 = layout.unflatten_tuple(theta)
    assert torch.equal(w2, w) and torch.equal(v2, v)


def test_functional_equals_module_and_holds_frozen_parts():
    m = _net()
    m[1].weight.requires_grad_(False)  # a frozen layer stays inside the function
    f = params.Functional.of_module(m)
    assert f.D == params.count(m) == sum(p.numel() for p in m.parameters() if p.requires_grad)
    x = torch.randn(7, 1, 4, 4)
    torch.testing.assert_close(f(f.theta0, x), m(x))
    moved = f(f.theta0 + 0.1, x)
    assert not torch.allclose(moved, m(x))


def test_load_into_writes_parameters():
    m, other = _net(0), _net(1)
    params.load_into(m, params.flatten(other))
    assert torch.equal(params.flatten(m), params.flatten(other))
    with pytest.raises(ValueError, match="shape"):
        params.load_into(m, torch.zeros(3))


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown"):
        params.Layout.of_module(_net(), names=["nope"])
