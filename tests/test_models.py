import pytest
import torch

from dofcourse import models

BUILDERS = [models.mlp, models.conv2, models.conv3, models.lenet5, models.resnet_small]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32)])
def test_models_map_images_to_logits(build, shape):
    model = build(shape, 10)
    assert model(torch.randn(4, *shape)).shape == (4, 10)


def test_count_params_matches_hand_count():
    # 784-200-200-10: (784+1)·200 + (200+1)·200 + (200+1)·10
    assert models.count_params(models.mlp((1, 28, 28), 10)) == 785 * 200 + 201 * 200 + 201 * 10
    # LeNet-5 on 28×28: 156 + 2416 + 48120 + 10164 + 850
    assert models.count_params(models.lenet5((1, 28, 28), 10)) == 61706


def test_count_params_trainable_only():
    model = models.mlp((1, 2, 2), 2, hidden=(3,))
    model[1].weight.requires_grad_(False)
    assert models.count_params(model) == 3 + 8
    assert models.count_params(model, trainable_only=False) == 12 + 3 + 8


@pytest.mark.parametrize(
    "bad", [dict(input_shape=(8, 8), n_classes=10), dict(input_shape=(1, 8, 8), n_classes=1)]
)
def test_bad_shapes_are_clear_errors(bad):
    with pytest.raises(ValueError, match="input_shape|n_classes"):
        models.mlp(**bad)
