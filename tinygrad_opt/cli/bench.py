"""`tinygrad-opt bench`: the optimizer-step and train-step benchmarks as one table.

The benchmarks live in the repository's benchmarks/ folder, next to the package, and are not
installed with it: run this command from a source checkout (`pip install -e .`). Each one is
also runnable alone, with more detail: `python -m benchmarks.optim_step --quick`,
`python -m benchmarks.train_step --quick`.

The table uses the benchmarks' own measuring functions (optim_step: ms per step on mixed-size
float32 tensors and the share of the memory-bandwidth bound reached; train_step: ms per
forward + backward + AdamW step). If a benchmark module does not offer them, its main() is
run and its own output printed instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .common import CLIError, add_seed, format_table

BENCHMARKS = {"optim": "benchmarks.optim_step", "train": "benchmarks.train_step"}
HEADERS = ["benchmark", "case", "size", "ms per step", "note"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench", help="run the optimizer-step and train-step benchmarks",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run (less accurate)")
    parser.add_argument("--only", choices=list(BENCHMARKS), nargs="+", default=list(BENCHMARKS),
                        help="which benchmarks to run (default: all)")
    parser.add_argument("--optimizers", nargs="+", default=None, metavar="NAME",
                        help="optimizers for the optimizer-step benchmark (default: all)")
    parser.add_argument("--models", nargs="+", default=None, metavar="NAME",
                        help="models for the train-step benchmark (default: all)")
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


def _pick(requested: list[str] | None, known: list[str], what: str) -> list[str]:
    if requested is None:
        return known
    unknown = [name for name in requested if name not in known]
    if unknown:
        raise CLIError(f"unknown {what} {', '.join(unknown)}; expected some of "
                       f"{', '.join(known)}")
    return requested


def optim_rows(module, quick: bool, names: list[str] | None) -> list[list]:
    """One row per optimizer: ms per step and the share of the memory-bandwidth bound."""
    from .. import optim

    total = 1_000_000 if quick else 10_000_000
    repeats = 5 if quick else 20
    sizes = module.mixed_sizes(total)
    triad = module.Triad(total)
    closure_based = getattr(module, "CLOSURE_BASED", set())
    matrix_only = getattr(module, "MATRIX_ONLY", set())  # Muon: 2-D parameters only
    sparse_only = getattr(module, "SPARSE_ONLY", set())  # SparseAdam: sparse lookups only
    rows = []
    for name in _pick(names, optim.available(), "optimizer"):
        if name in closure_based or name in matrix_only or name in sparse_only:
            continue
        optimizer = module.build(name, sizes)
        seconds, bandwidth = module.interleaved(optimizer.step, triad, repeats)
        bound = module.bytes_per_step(optimizer) / bandwidth
        del optimizer
        rows.append(["optimizer step", name, f"{total:,} params", seconds * 1e3,
                     f"{100 * bound / seconds:.0f}% of the memory bound"])
    return rows


def train_rows(module, quick: bool, names: list[str] | None) -> list[list]:
    """One row per model: ms per forward + backward + AdamW step."""
    warmup, steps = (2, 5) if quick else (5, 30)
    rows = []
    for name in _pick(names, list(module.BATCH), "model"):
        milliseconds, _ = module.ours_step_ms(name, warmup, steps)
        rows.append(["train step", name, f"batch {module.BATCH[name]}", milliseconds,
                     "forward + backward + AdamW"])
    return rows


def run(args: argparse.Namespace) -> int:
    rows: list[list] = []
    own_output: list[object] = []
    for key in dict.fromkeys(args.only):
        module = load_benchmark(BENCHMARKS[key])
        print(f"running {BENCHMARKS[key]}{' (quick)' if args.quick else ''} ...", flush=True)
        if key == "optim" and all(hasattr(module, f) for f in
                                  ("mixed_sizes", "Triad", "build", "interleaved",
                                   "bytes_per_step")):
            rows += optim_rows(module, args.quick, args.optimizers)
        elif key == "train" and all(hasattr(module, f) for f in ("BATCH", "ours_step_ms")):
            rows += train_rows(module, args.quick, args.models)
        else:
            own_output.append(module)
    if rows:
        print()
        print(format_table(HEADERS, rows))
    for module in own_output:  # a benchmark without the measuring functions: its own report
        print(f"\n## {module.__name__}")
        module.main(["--quick"] if args.quick else [])
    return 0
