"""dofcourse.dynamics (chapter 10): the stability edge, sharpness along GD, effective counts."""

import numpy as np
import pytest
import torch

from dofcourse import data
from dofcourse import dynamics as dyn
from dofcourse import hessian as hs
from dofcourse.params import Functional


def test_gradient_descent_on_a_quadratic_is_stable_exactly_below_two_over_eta():
    eigs = torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64)
    below = dyn.quadratic_gd(eigs, lr=2 / 3.0 * 0.95, steps=200)  # η λ_max = 1.9 < 2
    above = dyn.quadratic_gd(eigs, lr=2 / 3.0 * 1.05, steps=200)  # η λ_max = 2.1 > 2
    assert float(below[-1]) < 1e-3 * float(below[0])
    assert float(above[-1]) > 1e3 * float(above[0])
    # above the edge the sharpest component grows by exactly |1 − η λ_max| = 1.1 a step
    np.testing.assert_allclose(float(above[-1] / above[-2]), 1.1, rtol=1e-6)
    with pytest.raises(ValueError, match="lr"):
        dyn.quadratic_gd(eigs, lr=0.0, steps=3)


def test_eigenspace_overlap_of_same_rotated_and_orthogonal_spaces():
    q, _ = torch.linalg.qr(torch.randn(10, 10, generator=torch.Generator().manual_seed(0),
                                       dtype=torch.float64))  # fmt: skip
    u = q[:, :3].T
    rot, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))
    assert dyn.eigenspace_overlap(u, u) == pytest.approx(1.0)
    assert dyn.eigenspace_overlap(u, rot @ u) == pytest.approx(1.0)  # same span, other basis
    assert dyn.eigenspace_overlap(u, q[:, 3:6].T) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        dyn.eigenspace_overlap(u, q[:, :2].T)


def _tiny():
    ds = data.load("digits").subsample(60)
    models = [hs.classifier(ds, (6,), init_seed=s) for s in (0, 1)]
    return ds, models


def test_top_eigenpairs_match_the_exact_hessian():
    ds, models = _tiny()
    net = Functional.of_module(models[0].double())
    ds64 = (ds.x_train.double(), ds.y_train)
    vals, vecs = dyn.top_eigenpairs(net, net.theta0, ds64, k=3, steps=net.D)
    exact = torch.linalg.eigvalsh(hs.exact_hessian(hs.hessian_operator(models[0], ds64)))
    np.testing.assert_allclose(vals.numpy(), exact.flip(0)[:3].numpy(), rtol=1e-8)
    assert vecs.shape == (3, net.D)


def test_gd_sharpness_records_the_runs_and_its_first_checkpoint_is_the_start():
    ds, models = _tiny()
    runs = dyn.gd_sharpness(models, ds, [0.05, 0.5], steps=20, every=10, k=2, lanczos_steps=10,
                            progress=False)  # fmt: skip
    assert sorted(runs) == [0.05, 0.5]
    r = runs[0.05]
    assert r["top"].shape == (2, 3, 2) and r["thetas"].shape[:2] == (2, 3)
    assert list(r["checkpoints"]) == [0, 10, 20] and r["loss"].shape == (2, 21)
    assert (
        np.isnan(r["overlap"][:, 0]).all()
        and ((r["overlap"][:, 1:] > 0) & (r["overlap"][:, 1:] <= 1 + 1e-9)).all()
    )
    net = Functional.of_module(models[1])
    start, _ = dyn.top_eigenpairs(net, net.theta0, ds, 2, 10)
    np.testing.assert_allclose(r["top"][1, 0], start.numpy(), rtol=1e-4)
    # a small step barely changes the loss per step: it falls monotonically
    assert (np.diff(r["loss"], axis=1) < 0).all()
    with pytest.raises(ValueError, match="lrs"):
        dyn.gd_sharpness(models, ds, [], steps=5)


class _Diagonal:
    """The operator diag(eigs) (dim, dtype, device, matvec)."""

    def __init__(self, eigs):
        self.eigs, self.dim = eigs, len(eigs)
        self.dtype, self.device = torch.float64, torch.device("cpu")

    def matvec(self, v):
        return self.eigs * v


def test_the_adjusted_count_ignores_the_spectrum_scale_and_n_eff_does_not():
    g = torch.Generator().manual_seed(0)
    eigs = torch.cat([1 + 9 * torch.rand(5, generator=g, dtype=torch.float64),
                      0.05 * torch.rand(195, generator=g, dtype=torch.float64)])  # fmt: skip
    counts = {}
    for scale in (1.0, 4.0):
        dens = hs.slq(_Diagonal(scale * eigs), 20, 40, probe_seed=0)
        lam_max = float(scale * eigs.max())
        counts[scale] = (float(hs.effective_parameters_slq(dens, 0.1)[0]),
                         dyn.adjusted_count(dens, lam_max, 0.01))  # fmt: skip
    exact = float((eigs / (eigs + 0.01 * eigs.max())).sum())
    assert counts[1.0][1] == pytest.approx(counts[4.0][1], rel=1e-9)  # same probes, same shape
    assert counts[1.0][1] == pytest.approx(exact, rel=0.15)
    assert counts[4.0][0] > 1.3 * counts[1.0][0]  # N_eff at a fixed α grows with the scale
    assert dyn.relative_spread([1.0, 3.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        dyn.relative_spread([1.0, -1.0])


def test_counts_along_checkpoints():
    ds, models = _tiny()
    net = Functional.of_module(models[0])
    thetas = torch.stack([net.theta0, net.theta0 * 2])
    out = dyn.counts_along(models[0], ds, thetas, alpha=0.01, c=0.01, n_probes=2, steps=10)
    assert set(out) == {"n_eff", "n_adj", "lam_max"} and out["n_eff"].shape == (2,)
    assert (out["n_adj"] > 0).all() and (out["n_adj"] <= net.D).all()
    with pytest.raises(ValueError, match="thetas"):
        dyn.counts_along(models[0], ds, thetas[:, :5], alpha=0.01, c=0.01)
