"""`tinygrad-opt bench`: the optimizer-step and train-step benchmarks as one table.

The benchmarks live in the repository's benchmarks/ folder, next to the package, and are not
installed with it: run this command from a source checkout (`pip install -e .`). Each
benchmark is also runnable alone: `python -m benchmarks.optim_step --quick`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
from pathlib import Path

from .common import CLIError, add_seed, format_table

BENCHMARKS = {"optim": "benchmarks.optim_step", "train": "benchmarks.train_step"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench", help="run the optimizer-step and train-step benchmarks",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run (less accurate)")
    parser.add_argument("--only", choices=list(BENCHMARKS), nargs="+", default=list(BENCHMARKS),
                        help="which benchmarks to run (default: all)")
    add_seed(parser)
    return parser


def source_root() -> Path:
    """The checkout folder holding both tinygrad_opt/ and benchmarks/."""
    return Path(__file__).resolve().parents[2]


def load_benchmark(module_name: str):
    """Import a benchmark module from the source checkout, or explain why it cannot be."""
    root = source_root()
    if not (root / "benchmarks" / "__init__.py").is_file():
        raise CLIError(
            f"the benchmarks are not installed with the package (looked in {root}/benchmarks); "
            "run `tinygrad-opt bench` from a source checkout installed with `pip install -e .`"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name in (module_name, module_name.split(".")[0]):
            raise CLIError(f"benchmark {module_name} is missing from {root}/benchmarks") from None
        raise


def run_benchmark(module, quick: bool):
    """Call the module's main(); returns (its return value, what it printed)."""
    argv = ["--quick"] if quick else []
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        try:
            value = module.main(argv)
        except SystemExit as stop:  # a main() that parses sys.argv itself and exits
            if stop.code not in (0, None):
                raise RuntimeError(f"{module.__name__} exited with {stop.code}") from None
            value = None
    return value, output.getvalue()


def run(args: argparse.Namespace) -> int:
    rows: list[dict] = []
    printed: list[tuple[str, str]] = []
    for key in dict.fromkeys(args.only):
        module = load_benchmark(BENCHMARKS[key])
        print(f"running {BENCHMARKS[key]}{' --quick' if args.quick else ''} ...", flush=True)
        value, text = run_benchmark(module, args.quick)
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            rows.extend({"benchmark": key, **r} for r in value)
        else:
            printed.append((key, text))
    print()
    if rows:
        headers = list(dict.fromkeys(k for r in rows for k in r))
        print(format_table(headers, [[r.get(h, "") for h in headers] for r in rows]))
    for key, text in printed:  # benchmarks that only print their own table
        print(f"## {key}\n{text.rstrip()}\n")
    return 0
