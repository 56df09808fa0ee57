"""dofcourse.phase.statdim, .synthetic and .network_well: the grouped statistical dimension
against chapter 04's dense sublevel cone, wells trained through the engine against exact
subspace minima, and the network's quadratic model against exact Hessians."""

import copy
import math

import numpy as np
import pytest
import torch

from dofcourse import data, ensemble, geometry, hessian, models, phase, subspace
from dofcourse.params import Functional, flatten, load_into
from dofcourse.projections import make_projection
from dofcourse.settings import TrainSettings

LEVELS = np.array([3.0, 1.0, 0.1, 0.01])
MULT = np.array([2, 5, 20, 33])


def grouped_well(loss0: float, seed: int = 3):
    lam = np.repeat(LEVELS, MULT)
    well = geometry.QuadraticWell.from_spectrum(lam)
    theta0 = well.start_at_loss(loss0, seed=seed)
    return lam, well, theta0


@pytest.mark.parametrize(("loss0", "eps"), [(1.0, 0.1), (1.0, 0.5), (3.0, 0.05)])
def test_grouped_statdim_equals_the_dense_cone(loss0, eps):
    lam, well, theta0 = grouped_well(loss0)
    levels, mult, energy = phase.well_levels(lam, theta0)
    assert list(levels) == sorted(LEVELS) and list(mult) == list(MULT[::-1])
    dense = geometry.statistical_dimension(geometry.sublevel_cone(well, theta0, eps).project,
                                           well.D, n=3000, seed=1)  # fmt: skip
    mine = phase.sublevel_statdim(levels, mult, energy, eps, n=3000, seed=2)
    assert abs(mine.value - dense.value) < 3 * math.hypot(mine.stderr, dense.stderr) + 0.05


def test_flat_levels_add_their_multiplicity_and_spectrum_is_consistent():
    with_flat = phase.sublevel_statdim([1.0, 0.0], [10, 5], [2.0, 0.0], 0.2, n=4000, seed=0)
    without = phase.sublevel_statdim([1.0], [10], [2.0], 0.2, n=4000, seed=0)
    assert with_flat.value - without.value == pytest.approx(5, abs=0.3)
    nu1, nu, m = phase.statdim.cone_spectrum(LEVELS, MULT, [0.5, 1, 2, 4], 0.1)
    assert nu1 < 0 and np.all(nu > 0) and 1 + m.sum() == MULT.sum()


def test_statdim_refuses_bad_input():
    with pytest.raises(ValueError, match="already lies"):
        phase.sublevel_statdim([1.0], [4], [1.0], 0.6)  # L(theta_0) = 0.5 <= 0.6
    with pytest.raises(ValueError, match="one entry per level"):
        phase.sublevel_statdim([1.0, 2.0], [4], [1.0], 0.1)
    with pytest.raises(ValueError, match=">= 0"):
        phase.sublevel_statdim([-1.0], [4], [1.0], 0.1)
    with pytest.raises(ValueError, match="height"):
        phase.sublevel_statdim([1.0], [4], [1.0], 0.0)


def test_kinematic_bracket():
    lo, hi = phase.kinematic_bracket(100, 40.0, eta=0.1)
    half = math.sqrt(8 * math.log(40)) * 10
    assert (lo, hi) == pytest.approx((60 - half, 60 + half))
    with pytest.raises(ValueError, match="eta"):
        phase.kinematic_bracket(100, 40.0, eta=1.0)


def test_well_problem_mse_is_the_well_loss():
    lam = np.array([2.0, 1.0, 0.5, 0.1])
    rng = np.random.default_rng(0)
    model, wd = phase.well_problem(lam, rng.normal(size=4))
    thetas = torch.from_numpy(rng.normal(size=(3, 4)))
    loss, _ = ensemble.evaluate_members(Functional.of_module(model), thetas, wd.x_train,
                                        wd.y_train, loss="mse")  # fmt: skip
    well = geometry.QuadraticWell.from_spectrum(lam)
    np.testing.assert_allclose(loss.numpy(), well.loss(thetas.numpy()), rtol=1e-12)


def test_trained_wells_reach_the_exact_subspace_minimum():
    lam = np.r_[np.full(4, 1.0), np.full(26, 0.05)]
    well = geometry.QuadraticWell.from_spectrum(lam)
    theta0 = well.start_at_loss(1.0, seed=0)
    eps, settings = 0.1, TrainSettings(steps=600, lr=1.0, momentum=0.9)
    runs = phase.well_sweep(lam, 1.0, eps, [6, 15, 24, 30], [0, 1, 2], settings, progress=False)
    for row in runs.itertuples():
        p = make_projection("orthonormal", 30, row.d, row.proj_seed, dtype=torch.float64)
        exact = geometry.subspace_minimum(well, theta0, p.matrix().numpy())[0]
        assert row.loss >= exact - 1e-9, "training cannot beat the subspace minimum"
        assert (row.loss <= eps) == (exact <= eps) or abs(exact - eps) < 0.01 * eps
    assert (runs[runs.d == 30].loss <= eps).all(), "the whole space reaches any target"
    again = phase.well_sweep(lam, 1.0, eps, [6, 15, 24, 30], [0, 1, 2], settings, progress=False)
    assert again.equals(runs), "a second call reads the cache"


def test_bulk_levels_keep_the_measure():
    nodes = np.array([[-0.01, 0.001, 0.01, 0.1, 2.0], [0.0, 0.002, 0.02, 0.5, 3.0]])
    weights = np.full((2, 5), 0.2)
    levels, mult = phase.bulk_levels(nodes, weights, below=1.0, total=100.0, bins=4)
    assert mult.sum() == pytest.approx(100.0) and levels[-1] == 0.0
    assert mult[-1] == pytest.approx(100 * 2 / 8)  # two non-positive of the 8 nodes below 1
    assert np.all((levels[:-1] > 0) & (levels[:-1] < 1.0)) and np.all(mult[:-1] >= 1)


@pytest.fixture(scope="module")
def small_net():
    ds = data.load("digits", device="cpu").subsample(200, sample_seed=0)
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes, hidden=(8,))
    return model, ds


def test_network_well_matches_exact_hessian(small_net):
    model, ds = small_net
    settings = TrainSettings(steps=1, lr=0.05, momentum=0.9, batch_size=64)
    star = subspace.train_full(model, ds, settings.replace(steps=300))
    anchors = phase.burn_in_anchors(model, ds, settings, [0, 10])
    w = phase.network_well(model, ds, star["theta"], anchors, k=5, n_probes=3, steps=30, bins=10)
    net = load_into(copy.deepcopy(model), star["theta"])
    op = hessian.hessian_operator(net, (ds.x_train, ds.y_train))
    h = hessian.dense(op).double()
    eig = torch.linalg.eigvalsh(h).flip(0)
    np.testing.assert_allclose(w["top"], eig[:5].numpy(), rtol=1e-3, atol=1e-6)
    c = (anchors[10] - star["theta"]).double()
    assert w["quad"][1] == pytest.approx(float(c @ h @ c), rel=1e-3)
    assert w["r2"][1] == pytest.approx(float(c @ c), rel=1e-6)
    assert w["mult"].sum() == pytest.approx(w["D"] - 5)
    true = ensemble.evaluate_members(Functional.of_module(model), anchors[10][None],
                                     ds.x_train, ds.y_train)[0]  # fmt: skip
    assert w["loss_anchor"][1] == pytest.approx(float(true), rel=1e-5)
    levels, mult, energy = phase.anchor_levels(w, 1)
    assert energy.sum() == pytest.approx(w["r2"][1]) and mult.sum() == pytest.approx(w["D"])
    assert levels @ energy == pytest.approx(w["quad"][1], rel=1e-3), "tilted to the exact c^T H c"
    pred = phase.predicted_thresholds(w, [5.0, 1.0, 0.5, 0.3], n=500)
    at0 = pred[pred.t == 0]
    assert math.isnan(at0.d_pred.iloc[0]), "a target above the anchor's loss needs no training"
    finite = at0.d_pred.dropna().to_numpy()
    assert len(finite) >= 2 and np.all(np.diff(finite) > 0) and np.all(finite < w["D"])
    assert at0.true_loss0.iloc[0] == pytest.approx(at0.model_loss0.iloc[0]), "calibrated"
    assert flatten(model).equal(anchors[0]), "the model is not changed"
