"""`tinygrad-opt download`: fetch MNIST or Fashion-MNIST, verified by SHA-256.

The four IDX files go to ROOT/mnist/ or ROOT/fashion-mnist/ (ROOT: --data-root, else
$TINYGRAD_OPT_DATA, else a per-user cache folder). Files already present and intact are
not fetched again; a download is only kept once its checksum matches.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_seed

LOADERS = {"mnist": "load_mnist", "fashion-mnist": "load_fashion_mnist"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "download",
        help="fetch MNIST or Fashion-MNIST with checksum verification",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", nargs="+", choices=[*LOADERS, "all"],
                        help="which dataset(s) to fetch")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="folder to hold mnist/ and fashion-mnist/")
    add_seed(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from .. import datasets

    names = list(LOADERS) if "all" in args.dataset else list(dict.fromkeys(args.dataset))
    root = None if args.data_root is None else str(args.data_root)
    for name in names:
        load = getattr(datasets, LOADERS[name])
        for train in (True, False):
            images, labels = load(root=root, train=train, download=True)
            split = "train" if train else "test"
            print(f"{name} {split}: {len(labels)} images of shape {tuple(images.shape[1:])}, "
                  "checksums verified")
    return 0
