"""Run every benchmark, each in its own process (`make bench`).

    python -m benchmarks.run_all            # full runs
    python -m benchmarks.run_all --quick    # short smoke runs

A fresh process per benchmark keeps one benchmark's thread pools, caches and Numba state
from skewing the next. torch figures appear only where torch happens to be importable.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

BENCHMARKS = (
    "op_overhead", "optim_step", "pass_floor", "denormals", "train_step", "mlp_floor",
    "epoch_time", "layers",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs of every benchmark")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    args = parser.parse_args(argv)
    failed = []
    for name in args.only:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        command = [sys.executable, "-m", f"benchmarks.{name}"] + (["--quick"] if args.quick else [])
        if subprocess.run(command).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
