import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dofcourse import config, plotting  # noqa: E402


def test_style_has_projector_sized_fonts():
    plotting.use_style()
    assert matplotlib.rcParams["font.size"] >= 14


def test_mean_band_draws_mean_and_standard_error():
    fig, ax = plt.subplots()
    samples = np.array([[0.0, 1.0], [2.0, 3.0]])
    plotting.mean_band(ax, [1, 2], samples, label="runs")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 2.0])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.0) and band.max() == pytest.approx(3.0)
    plt.close(fig)


def test_mean_band_rejects_wrong_shape():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="n_runs"):
        plotting.mean_band(ax, [1, 2, 3], np.zeros((2, 2)))
    plt.close(fig)


def test_label_and_save_png():
    fig, ax = plt.subplots()
    plotting.label(ax, "t", "x", "y")
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("t", "x", "y")
    path = plotting.save(fig, "demo")
    assert path.parent == config.figure_dir() and path.read_bytes()[:4] == b"\x89PNG"
    plt.close(fig)
