"""Tests for dofcourse.models: every model maps images to logits, D matches hand counts, and bad
sizes are refused with one error that names the argument."""

import pytest
import torch

from dofcourse import models, params

BUILDERS = [models.mlp, models.conv2, models.conv3, models.lenet5, models.resnet_small]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_models_map_images_to_logits(build, shape):
    model = build(shape, 10)
    assert model(torch.randn(4, *shape)).shape == (4, 10)


def test_parameter_counts_match_hand_counts():
    # 784-200-200-10: (784+1)·200 + (200+1)·200 + (200+1)·10
    assert params.count(models.mlp((1, 28, 28), 10)) == 785 * 200 + 201 * 200 + 201 * 10
    # LeNet-5 on 28×28: 156 + 2416 + 48120 + 10164 + 850
    assert params.count(models.lenet5((1, 28, 28), 10)) == 61706
    assert params.count(models.mlp((1, 2, 2), 3, hidden=())) == 5 * 3  # a linear classifier


def test_resnet_count_does_not_depend_on_image_size_but_conv2_does():
    sizes = [(1, 8, 8), (1, 28, 28)]
    res = [params.count(models.resnet_small(s, 10)) for s in sizes]
    conv = [params.count(models.conv2(s, 10)) for s in sizes]
    assert res[0] == res[1] and conv[1] > 5 * conv[0]


@pytest.mark.parametrize(
    ("build", "kwargs", "error", "name"),
    [
        (models.mlp, dict(input_shape=(8, 8), n_classes=10), ValueError, "input_shape"),
        (models.mlp, dict(input_shape=(1, 0, 8), n_classes=10), ValueError, r"input_shape\[1\]"),
        (models.mlp, dict(input_shape=(1, 8, 8), n_classes=1), ValueError, "n_classes"),
        (models.mlp, dict(input_shape=(1, 8, 8), n_classes=10.0), TypeError, "n_classes"),
        (models.mlp, dict(input_shape=(1, 8, 8), n_classes=10, hidden=(64, 0)), ValueError,
         r"hidden\[1\]"),
        (models.mlp, dict(input_shape=(1, 8, 8), n_classes=10, hidden=(12.5,)), TypeError,
         r"hidden\[0\]"),
        (models.mlp, dict(input_shape=(1, 8, 8), n_classes=10, hidden=64), TypeError, "hidden"),
        (models.conv2, dict(input_shape=(1, 8, 8), n_classes=10, width=0), ValueError, "width"),
        (models.conv3, dict(input_shape=(1, 8, 8), n_classes=10, width=-2), ValueError, "width"),
        (models.resnet_small, dict(input_shape=(1, 8, 8), n_classes=10, width=0), ValueError,
         "width"),
    ],
)  # fmt: skip
def test_bad_sizes_are_one_clear_error(build, kwargs, error, name):
    with pytest.raises(error, match=name):
        build(**kwargs)
