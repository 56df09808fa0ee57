"""Where the downloadable datasets come from: mirrors, file names and published checksums.

- ``"mnist"``: LeCun, Cortes and Burges's MNIST, four gzipped IDX files (60,000 + 10,000 images);
- ``"fashion_mnist"``: Zalando's Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017), same format;
- ``"cifar10"``: Krizhevsky's CIFAR-10 (2009), the python pickle tarball (50,000 + 10,000,
  3×32×32).

``dofcourse.data.download`` fetches these files once and keeps them only when both digests
match; ``data/README.md`` lists them for copying by hand onto an offline machine. Chapter 00
names the datasets; the course itself runs on the embedded ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remote:
    """One file to download: its name, SHA-256 and (optionally) MD5 hex digests. Chapter 00."""

    filename: str
    sha256: str
    md5: str | None = None


@dataclass(frozen=True)
class Source:
    """Where a dataset's files come from: mirror base URLs tried in order, and the files.
    Chapter 00."""

    mirrors: tuple[str, ...]
    files: tuple[Remote, ...]
    homepage: str


# SHA-256 digests: MNIST and Fashion-MNIST as in TensorFlow Datasets' url_checksums; CIFAR-10 as in
# keras.datasets.cifar10. MD5 digests as in torchvision.datasets (mnist.py, cifar.py); for
# Fashion-MNIST also the ones Zalando publishes in its README.
SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=(
            Remote(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            ),
            Remote(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "d53e105ee54ea40749a09fcbcd1e9432",
            ),
            Remote(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "9fb629c4189551a2d022fa330f9573f3",
            ),
            Remote(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
        ),
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion_mnist": Source(
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        files=(
            Remote(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            ),
            Remote(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "25c81989df183df01b3e8a0aad5dffbe",
            ),
            Remote(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "bef4ecab320f06d8554ea6380940ec79",
            ),
            Remote(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
        ),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
    ),
    "cifar10": Source(
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        files=(
            Remote(
                "cifar-10-python.tar.gz",
                "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                "c58f30108f718f92721af3b95e74349a",
            ),
        ),
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
}
