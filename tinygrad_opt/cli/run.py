"""`tinygrad-opt run` (what `make run` does): the main job, with no files and no network.

1. compare: a small CNN on the generated `shapes` images, trained with SGD, SGD+momentum,
   RMSprop, Adam, AdamW and Lion from the same initial weights; prints the comparison table
   and draws OUT/compare_loss.png.
2. race: the same kind of optimizers on the Rosenbrock function; prints steps to the
   minimum and draws OUT/race_rosenbrock.png.

About a minute on a 2-core machine; --quick is a few seconds (for tests).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import compare, plotting, race, workloads
from .common import add_seed, parse_optimizer_spec

# 1,280 training images in batches of 32 for 3 epochs: 120 steps per optimizer.
FULL = {"examples": 1600, "epochs": 3, "race_steps": 2000}
QUICK = {"examples": 200, "epochs": 1, "race_steps": 300}


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run", help="the main job: compare optimizers on shapes and race them on Rosenbrock",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the PNGs")
    parser.add_argument("--quick", action="store_true", help="a tiny budget (seconds)")
    add_seed(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    budget = QUICK if args.quick else FULL
    started = time.perf_counter()
    specs = [parse_optimizer_spec(s) for s in compare.DEFAULT_OPTIMIZERS]
    examples = budget["examples"]
    data = workloads.load_data("shapes", None, int(examples * (1 - workloads.TEST_SHARE)),
                               args.seed, size=examples)
    print(f"[1/2] compare: small CNN on generated shapes ({len(data.y_train)} train / "
          f"{len(data.y_test)} test images, {data.num_classes} classes), "
          f"{budget['epochs']} epochs, batch 32")
    results = compare.compare(data, "cnn", specs, budget["epochs"], 32, args.seed)
    print()
    print(compare.results_table(results))
    compare.draw(results, "small CNN on shapes", args.out)

    print(f"\n[2/2] race on Rosenbrock: {budget['race_steps']} steps from "
          f"{race.testfunctions.get('rosenbrock').start}")
    race_specs = [parse_optimizer_spec(s) for s in race.DEFAULT_OPTIMIZERS]
    outcome = race.race(["rosenbrock"], race_specs, budget["race_steps"], None)
    print()
    print(race.results_table(outcome))
    plt = plotting.pyplot()
    if plt is not None:
        path = plotting.race_paths(plt, race.testfunctions.get("rosenbrock"),
                                   {r.label: r.path for r in outcome["rosenbrock"]},
                                   args.out / "race_rosenbrock.png")
        print(f"\nwrote {path}")
    print(f"\ndone in {time.perf_counter() - started:.0f} s")
    return 0
