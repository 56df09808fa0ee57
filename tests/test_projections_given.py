"""The given projection kinds of dofcourse.projections (chapter 06): "basis" (the columns of a
given orthonormal basis) and "coordinates" (a sparse network: chosen weights trained, the others
held at zero). Transposes are adjoints for every kind; "basis" is the orthonormal kind with its
matrix handed in; "coordinates" trains exactly as masked training; both go through the engine's
ensembles and cached sweeps."""

import copy

import numpy as np
import pytest
import torch

from dofcourse import data, ensemble, models, subspace
from dofcourse.params import Functional, count, flatten
from dofcourse.projections import KINDS, make_projection, orthonormal_basis, stack_projections
from dofcourse.settings import TrainSettings

D = 40


def given(kind: str, stack: int | None = None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    if kind == "basis":
        qs = [orthonormal_basis(D, 12, gen).float() for _ in range(stack or 1)]
    else:
        qs = [torch.randperm(D, generator=gen)[:12] for _ in range(stack or 1)]
    return torch.stack(qs) if stack else qs[0]


@pytest.mark.parametrize("kind", KINDS)
def test_transpose_is_the_adjoint(kind):
    basis = given(kind, stack=3) if kind in ("basis", "coordinates") else None
    ds = [D, D] if kind == "identity" else [5, 12]
    st = stack_projections(kind, D, ds, [0, 2], dtype=torch.float64, basis=basis)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(2, 4, st.d_max, generator=gen, dtype=torch.float64) * st.mask[:, None]
    v = torch.randn(2, 4, D, generator=gen, dtype=torch.float64)
    lhs = (st.apply(z) * v).sum(-1)
    rhs = (z * st.transpose(v)).sum(-1)
    torch.testing.assert_close(lhs, rhs)


def test_basis_kind_uses_the_given_columns_and_picks_by_seed():
    stack = given("basis", stack=3)
    p = make_projection("basis", D, 7, seed=2, basis=stack)
    torch.testing.assert_close(p.matrix(), stack[2][:, :7])
    one = make_projection("basis", D, 7, seed=5, basis=stack[0])  # a single basis: seed ignored
    torch.testing.assert_close(one.matrix(), stack[0][:, :7])
    gen = torch.Generator().manual_seed(3)
    same = make_projection("basis", D, 6, basis=orthonormal_basis(D, 6, gen).float())
    ortho = make_projection("orthonormal", D, 6, seed=3)
    torch.testing.assert_close(same.matrix(), ortho.matrix())


def test_coordinates_kind_is_unit_columns_and_a_zero_mask():
    idx = given("coordinates")
    st = stack_projections("coordinates", D, [3, 5], [0, 0], basis=idx)
    p = make_projection("coordinates", D, 5, basis=idx).matrix()
    torch.testing.assert_close(p, torch.eye(D)[:, idx[:5]])
    kept = torch.zeros(2, D)
    kept[0, idx[:3]], kept[1, idx[:5]] = 1, 1
    torch.testing.assert_close(st.anchor_mask, kept)
    assert make_projection("coordinates", D, 5, basis=idx).nbytes() > 0


def test_given_kinds_refuse_bad_bases():
    q = given("basis")
    with pytest.raises(ValueError, match="needs its directions"):
        make_projection("basis", D, 4)
    with pytest.raises(ValueError, match="given kinds"):
        make_projection("dense", D, 4, basis=q)
    with pytest.raises(ValueError, match="orthonormal"):
        make_projection("basis", D, 4, basis=2 * q)
    with pytest.raises(ValueError, match="k >= d"):
        make_projection("basis", D, 13, basis=q)
    with pytest.raises(ValueError, match="picks none"):
        make_projection("basis", D, 4, seed=3, basis=torch.stack([q, q]))
    with pytest.raises(TypeError, match="integer"):
        make_projection("coordinates", D, 4, basis=q)
    with pytest.raises(ValueError, match="distinct"):
        make_projection("coordinates", D, 4, basis=torch.tensor([1, 2, 2, 3]))
    with pytest.raises(ValueError, match="0..39"):
        make_projection("coordinates", D, 2, basis=torch.tensor([1, 40]))


@pytest.fixture(scope="module")
def setup():
    ds = data.load("digits", device="cpu").subsample(150, sample_seed=0)
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(6,)), ds


@pytest.mark.parametrize(
    "settings",
    [
        TrainSettings(steps=6, lr=0.02, optimizer="adam", batch_size=50),
        TrainSettings(steps=6, lr=0.1, momentum=0.9),
    ],
    ids=["adam", "sgd-momentum"],
)
def test_coordinates_kind_equals_masked_training(setup, settings):
    model, ds = setup
    n = count(model)
    ranking = torch.randperm(n, generator=torch.Generator().manual_seed(4))
    dims = [30, 200]
    runs = subspace.train_ensemble(model, ds, settings, dims, [0, 0], kind="coordinates",
                                   basis=ranking, eval_every=2, progress=False)  # fmt: skip
    theta0 = flatten(model)
    masks = torch.zeros(2, n)
    for e, d in enumerate(dims):
        masks[e, ranking[:d]] = 1
    members = ensemble.Free(theta0.expand(2, -1).clone(), masks)
    net = Functional.of_module(model)
    free = ensemble.train_members(net, members, ds, settings, eval_every=2, progress=False)
    for e, (run, d) in enumerate(zip(runs, dims, strict=True)):
        theta = theta0 * masks[e]
        theta[ranking[:d]] += run.z
        torch.testing.assert_close(theta, free.u[e] * masks[e], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(run.history.loss, free.history.loss[e], rtol=1e-5)


def test_given_kinds_run_through_the_cached_sweep(setup):
    model, ds = setup
    n = count(model)
    gen = torch.Generator().manual_seed(0)
    bases = torch.stack([orthonormal_basis(n, 16, gen).float() for _ in range(2)])
    settings = TrainSettings(steps=5, lr=0.05, optimizer="adam", batch_size=50)
    table = subspace.sweep(model, ds, settings, [4, 16], [0, 1], kind="basis", basis=bases,
                           progress=False)  # fmt: skip
    again = subspace.sweep(model, ds, settings, [4, 16], [0, 1], kind="basis", basis=bases,
                           progress=False)  # fmt: skip
    np.testing.assert_array_equal(table.loss.to_numpy(), again.loss.to_numpy())
    other = subspace.sweep(model, ds, settings, [4, 16], [0, 1], kind="basis", basis=bases.flip(0),
                           progress=False)  # fmt: skip
    assert not np.array_equal(table.loss.to_numpy(), other.loss.to_numpy()), "keyed by the basis"
    one = subspace.train_subspace(copy.deepcopy(model), ds, settings, 16, kind="basis",
                                  proj_seed=1, basis=bases, progress=False)  # fmt: skip
    row = table[(table.d == 16) & (table.proj_seed == 1)].iloc[0]
    assert row.loss == pytest.approx(one.loss, rel=1e-5)
