"""Real and generated datasets (`tinygrad_opt.datasets`).

- `load_mnist`, `load_fashion_mnist`: the original IDX files, verified by SHA-256
  (see `mnist.py` for the layout and root lookup, `download.py` for downloads).
- `make_spirals`, `make_moons`, `make_blobs`, `make_shapes`: generated, no files needed.
- `read_idx`: the IDX reader itself.
"""

from .download import DatasetFileError, DatasetFileMissingError, cache_root, resolve_root
from .generated import SHAPE_CLASSES, make_blobs, make_moons, make_shapes, make_spirals
from .idx import read_idx
from .mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist

__all__ = [
    "DatasetFileError",
    "DatasetFileMissingError",
    "FASHION_MNIST_CLASSES",
    "SHAPE_CLASSES",
    "cache_root",
    "load_fashion_mnist",
    "load_mnist",
    "make_blobs",
    "make_moons",
    "make_shapes",
    "make_spirals",
    "read_idx",
    "resolve_root",
]
