"""The small data and networks that the tests of pruning, diet and connectivity share."""

from dofcourse import data, models


def digits(n: int = 200):
    """The first ``n`` of a fixed shuffle of the 8x8 digits, on the CPU."""
    return data.load("digits", device="cpu").subsample(n, sample_seed=0)


def tiny(ds, seed: int = 0, hidden: tuple[int, ...] = (12,)):
    """An MLP for ``ds`` initialised from ``seed`` (``models.build``: the global RNG untouched)."""
    return models.build(models.mlp, ds.input_shape, ds.n_classes, hidden=hidden, init_seed=seed)
