"""MNIST and Fashion-MNIST from their four original gzip IDX files.

`load_mnist(root=None, train=True, download=False, scale=True)` and `load_fashion_mnist(...)`
return `(images, labels)`: images of shape (N, 1, 28, 28), float32 in [0, 1] (pixel / 255,
as torchvision's ToTensor) or, with `scale=False`, the raw uint8 pixels; labels int64 of
shape (N,). N is 60,000 for the training split and 10,000 for the test split (`t10k`).

Files live in `<root>/mnist/` and `<root>/fashion-mnist/` (root lookup: see `download.py`).

Verification: every file's SHA-256 is checked against the table below the first time it
is read in a process (about 40 ms for the largest file, small next to decompressing it),
then the IDX header is checked against the data size and the expected sample count. The
decoded arrays are cached per process (keyed by path, size and modification time, so a
replaced file is re-read); each call returns fresh arrays, so callers may modify them.
A missing, truncated or corrupt file raises `DatasetFileError` naming the file, its
expected SHA-256 and how to get it; `download=True` fetches missing or corrupt files from
the dataset's mirrors first (verified by SHA-256 before they are kept).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import numpy as np

from .download import (
    DATA_ENV,
    DatasetFileError,
    DatasetFileMissingError,
    download_file,
    resolve_root,
    sha256_of,
)
from .idx import read_idx


@dataclasses.dataclass(frozen=True)
class IdxDatasetSpec:
    """Name, folder, files (name -> (size in bytes, SHA-256)) and mirror base URLs."""

    name: str
    folder: str
    files: dict[str, tuple[int, str]]
    mirrors: tuple[str, ...]
    splits: dict[str, tuple[str, str, int]]  # split -> (images file, labels file, count)


_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60_000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10_000),
}

# Sizes and SHA-256 sums from ../shared/data/README.md (identical to the authors' copies).
SPECS: dict[str, IdxDatasetSpec] = {
    "mnist": IdxDatasetSpec(
        name="MNIST",
        folder="mnist",
        files={
            "train-images-idx3-ubyte.gz": (
                9912422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            ),
            "train-labels-idx1-ubyte.gz": (
                28881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            ),
            "t10k-images-idx3-ubyte.gz": (
                1648877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            ),
            "t10k-labels-idx1-ubyte.gz": (
                4542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        splits=_SPLITS,
    ),
    "fashion-mnist": IdxDatasetSpec(
        name="Fashion-MNIST",
        folder="fashion-mnist",
        files={
            "train-images-idx3-ubyte.gz": (
                26421880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            ),
            "train-labels-idx1-ubyte.gz": (
                29515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            ),
            "t10k-images-idx3-ubyte.gz": (
                4422102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            ),
            "t10k-labels-idx1-ubyte.gz": (
                5148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ),
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        splits=_SPLITS,
    ),
}


def _how_to_get(spec: IdxDatasetSpec, folder: Path) -> str:
    return (
        f"pass download=True to fetch it from {spec.mirrors[0]} (or another mirror), or put "
        f"the four {spec.name} .gz files in {folder} (root: the root argument, else "
        f"${DATA_ENV}, else ~/.cache/tinygrad_opt)"
    )


def _problem(spec: IdxDatasetSpec, path: Path, folder: Path) -> DatasetFileError | None:
    """Why `path` is unusable (missing, wrong size, wrong checksum), or None if it is fine."""
    size, sha256 = spec.files[path.name]
    expected = f"expected {size} bytes with SHA-256 {sha256}"
    if not path.is_file():
        return DatasetFileMissingError(
            f"{spec.name} file {path} is missing ({expected}); {_how_to_get(spec, folder)}"
        )
    actual_size = path.stat().st_size
    if actual_size != size:
        return DatasetFileError(
            f"{spec.name} file {path} has {actual_size} bytes, {expected}: it is truncated or "
            f"not the original file; delete it and {_how_to_get(spec, folder)}"
        )
    actual = _cached_sha256(str(path), actual_size, path.stat().st_mtime_ns)
    if actual != sha256:
        return DatasetFileError(
            f"{spec.name} file {path} is corrupt: SHA-256 {actual}, {expected}; delete it and "
            f"{_how_to_get(spec, folder)}"
        )
    return None


@functools.lru_cache(maxsize=16)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(path)


@functools.lru_cache(maxsize=8)
def _cached_idx(path: str, size: int, mtime_ns: int) -> np.ndarray:
    array = read_idx(path)
    array.setflags(write=False)  # shared by every caller: copies are handed out
    return array


def _read_checked(path: Path, shape: tuple[int, ...], spec: IdxDatasetSpec) -> np.ndarray:
    stat = path.stat()
    try:
        array = _cached_idx(str(path), stat.st_size, stat.st_mtime_ns)
    except ValueError as error:
        raise DatasetFileError(f"{spec.name} file {path} is unreadable: {error}") from None
    if array.shape != shape or array.dtype != np.uint8:
        raise DatasetFileError(
            f"{spec.name} file {path} holds a {array.dtype} array of shape {array.shape}; "
            f"expected uint8 of shape {shape}"
        )
    return array


def load_idx_dataset(
    key: str,
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = False,
    scale: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load the split of `SPECS[key]`; the engine behind `load_mnist`/`load_fashion_mnist`."""
    for name, value in (("train", train), ("download", download), ("scale", scale)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {value!r}")
    spec = SPECS[key]
    folder = resolve_root(root) / spec.folder
    images_file, labels_file, count = spec.splits["train" if train else "test"]
    paths = (folder / images_file, folder / labels_file)
    for path in paths:
        problem = _problem(spec, path, folder)
        if problem is not None and download:
            size, sha256 = spec.files[path.name]
            download_file(path.name, spec.mirrors, folder, sha256, size)
            problem = _problem(spec, path, folder)
        if problem is not None:
            raise problem
    raw_images = _read_checked(paths[0], (count, 28, 28), spec)
    raw_labels = _read_checked(paths[1], (count,), spec)
    if raw_labels.max(initial=0) > 9:
        raise DatasetFileError(f"{spec.name} file {paths[1]} holds labels outside 0-9")
    images = raw_images.reshape(count, 1, 28, 28)
    if scale:
        images = np.divide(images, np.float32(255.0), dtype=np.float32)
    else:
        images = images.copy()
    return images, raw_labels.astype(np.int64)


def load_mnist(
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = False,
    scale: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits: (images (N,1,28,28) float32 in [0,1] or uint8 if scale=False, labels int64)."""
    return load_idx_dataset("mnist", root, train, download, scale)


def load_fashion_mnist(
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = False,
    scale: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Xiao et al. 2017): same layout and arguments as `load_mnist`."""
    return load_idx_dataset("fashion-mnist", root, train, download, scale)


FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
