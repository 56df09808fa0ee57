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


def _line_figure(slope=1.0):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, slope])
    plotting.label(ax, f"slope {slope}", "x", "y")
    return fig


def test_explore_draws_once_without_interaction_and_redraws_on_change():
    import ipywidgets

    calls = []

    def draw(slope):
        calls.append(slope)
        return _line_figure(slope)

    slider = ipywidgets.FloatSlider(value=2.0, min=0, max=5)
    panel = plotting.explore(draw, name="explore_demo", slope=slider)
    assert calls == [2.0], "the figure is drawn at once, at the starting value"
    assert panel.figure.axes[0].get_title() == "slope 2.0"
    assert (config.figure_dir() / "explore_demo.png").exists()
    assert slider in panel.children
    slider.value = 3.0
    assert calls == [2.0, 3.0], "moving a control redraws"
    slider.value = 3.0
    assert calls == [2.0, 3.0], "the same value again draws nothing"
    assert slider.continuous_update is False, "a drag redraws once, when the slider is released"
    plt.close("all")


def test_explore_redraws_its_one_figure_in_place(monkeypatch):
    import IPython.display
    import ipywidgets

    shown, updated = [], []

    class Handle:
        def update(self, fig):
            updated.append(fig)

    def display(obj, display_id=None):
        shown.append(obj)
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    eps = ipywidgets.FloatSlider(value=0.9, min=0.3, max=0.995, step=0.005)
    panel = plotting.explore(_line_figure, slope=eps)
    assert shown == [panel.figure] and eps.readout_format == ".3f"  # 0.995 reads 0.995
    eps.value = 0.995
    assert len(shown) == 1 and len(updated) == 1, "one figure, redrawn in place"
    assert updated[0].axes[0].get_title() == "slope 0.995"
    assert [type(c).__name__ for c in panel.children] == ["HTML", "FloatSlider"]  # no 2nd output
    plt.close("all")


def test_explore_refuses_what_it_cannot_draw():
    import ipywidgets

    with pytest.raises(ValueError, match="control"):
        plotting.explore(_line_figure)
    with pytest.raises(TypeError, match="value widgets"):
        plotting.explore(_line_figure, slope=3)
    with pytest.raises(TypeError, match="Figure"):
        plotting.explore(lambda slope: None, slope=ipywidgets.FloatSlider(value=1.0))
