"""Pieces shared by the subcommands: user errors, option parsing, optimizer specs, tables."""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass, field


class CLIError(Exception):
    """A mistake the user can fix: printed as one line without a traceback, exit code 2."""


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for initialisation and shuffling (default 0)"
    )


def parse_value(text: str):
    """A Python literal (number, tuple, bool, None) if `text` is one, else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def parse_key_values(pairs: list[str] | None, option: str = "--opt") -> dict:
    """Turn ["lr=0.1", "betas=(0.9,0.99)"] into {"lr": 0.1, "betas": (0.9, 0.99)}."""
    result = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise CLIError(f"{option} expects KEY=VALUE (e.g. {option} eps=1e-8), got {pair!r}")
        result[key] = parse_value(value.strip())
    return result


# Optimizer labels that stand for a configured optimizer, so tables read like the literature.
ALIASES: dict[str, tuple[str, dict]] = {
    "sgd+momentum": ("sgd", {"momentum": 0.9}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
}


@dataclass
class OptimizerSpec:
    """One optimizer to run: a display label, its registry name and its hyperparameters.

    `key` is the name or alias as typed before any `:` (e.g. "sgd+momentum"), used to look up
    a command's default learning rate.
    """

    label: str
    name: str
    hyperparameters: dict = field(default_factory=dict)
    key: str = ""

    def __post_init__(self) -> None:
        self.key = self.key or self.label


_TOP_LEVEL_COMMA = re.compile(r",(?![^()\[\]]*[)\]])")


def parse_optimizer_spec(text: str) -> OptimizerSpec:
    """Parse `NAME` or `NAME:key=value,key=value` (NAME may be an alias such as sgd+momentum).

    Example: `adam:lr=3e-3,betas=(0.9,0.99)`.
    """
    label, _, rest = text.strip().partition(":")
    label = label.strip().lower()
    if not label:
        raise CLIError(f"empty optimizer name in {text!r}; expected NAME or NAME:key=value,...")
    name, hyperparameters = ALIASES.get(label, (label, {}))
    hyperparameters = dict(hyperparameters)
    if rest:
        pairs = [p for p in _TOP_LEVEL_COMMA.split(rest) if p.strip()]
        hyperparameters.update(parse_key_values(pairs, option=f"optimizer {label!r}"))
    return OptimizerSpec(text.strip() if rest else label, name, hyperparameters, key=label)


def create_optimizer(spec: OptimizerSpec, params, defaults: dict | None = None):
    """`optim.create` with `defaults` under the spec's hyperparameters; errors become CLIError."""
    from .. import optim

    hyperparameters = {**(defaults or {}), **spec.hyperparameters}
    try:
        return optim.create(spec.name, params, **hyperparameters)
    except (TypeError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else repr(error)
        raise CLIError(f"optimizer {spec.label!r}: {message}") from None


def format_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table with aligned columns (numbers right-aligned)."""
    cells = [[_format_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and rows for i in range(len(headers))]

    def line(values: list[str]) -> str:
        padded = [
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2))
                          for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(headers), rule] + [line(r) for r in cells])


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _format_cell(value) -> str:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3g}"
        return f"{value:.4g}"
    return str(value)
