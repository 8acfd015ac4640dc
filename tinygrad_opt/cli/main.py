"""Entry point of `tinygrad-opt`: builds the argument parser and turns user errors into exit 2.

Every mistake a user can fix (a bad argument, a missing dataset, a hyperparameter out of
range) ends as one line `tinygrad-opt <command>: error: ...` and exit code 2, without a
traceback. Set TINYGRAD_OPT_DEBUG=1 to see the traceback of an error raised inside.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import bench, compare, download, lr_find, race, run, schedule_gallery, train
from .common import CLIError

COMMANDS = (train, compare, race, schedule_gallery, lr_find, bench, download, run)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line pointing at --help."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinygrad-opt",
        description="Train small networks and watch optimizers work (tinygrad_opt).",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"tinygrad-opt {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.add_parser(subparsers).set_defaults(handler=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    prog = f"tinygrad-opt {args.command}"
    try:
        if getattr(args, "seed", None) is not None:
            if args.seed < 0:
                raise CLIError(f"--seed must be a non-negative integer, got {args.seed}")
            from ..random import manual_seed

            manual_seed(args.seed)
        return args.handler(args) or 0
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit-time flush does not fail again
        return 0
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, RuntimeError, OSError) as error:
        if os.environ.get("TINYGRAD_OPT_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
