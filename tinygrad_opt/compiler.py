"""`torch.compile` and `torch.compiler` for a framework without a graph compiler.

There is nothing to compile: ops run eagerly on numpy and Numba kernels, which are
compiled once each already. So `compile(model)` returns `model` itself (and, without a
model, a decorator that returns the function), after checking its arguments as PyTorch
does, so scripts that call it run unchanged. Unlike PyTorch, no `OptimizedModule` wraps the
model: its state_dict keys have no `_orig_mod.` prefix (strip that prefix when loading a
checkpoint PyTorch saved from a compiled model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(  # noqa: A001 - PyTorch's name
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable | None = "inductor",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
    **kwargs: Any,
):
    """`model` unchanged (or, with no model, a decorator returning its function unchanged);
    see the module docstring. `mode` and `options` cannot both be given, as in PyTorch."""
    if mode not in _MODES:
        raise RuntimeError(f"compile: unrecognized mode={mode!r}; expected one of {_MODES[1:]}")
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    if backend is not None and not (isinstance(backend, str) or callable(backend)):
        raise TypeError(f"compile: backend must be a name or a callable, got {backend!r}")
    if model is None:
        return lambda function: compile(
            function, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
            options=options, disable=disable, **kwargs,
        )  # fmt: skip
    if not callable(model):
        raise RuntimeError("Model must be callable")
    return model


def is_compiling() -> bool:
    """False: nothing is ever being compiled here."""
    return False


is_dynamo_compiling = is_compiling


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None):
    """`fn` unchanged (a decorator when `fn` is None): there is no compiler to keep out."""
    return (lambda function: function) if fn is None else fn


def allow_in_graph(fn: Callable) -> Callable:
    return fn


def reset() -> None:
    """Nothing cached by a compiler to clear."""


def cond(pred, true_fn: Callable, false_fn: Callable, operands=()):
    """torch.cond: `true_fn(*operands)` if `pred` (a bool or a one-element tensor) holds,
    else `false_fn(*operands)`. Eager here, as torch.cond is outside torch.compile; the
    branch taken records its ops for backward as any code does."""
    from .tensor import Tensor

    if isinstance(pred, Tensor):
        if pred.data.size != 1:
            raise RuntimeError(f"cond: expected pred to have one element, got shape {pred.shape}")
        pred = bool(pred.data.reshape(-1)[0])
    elif not isinstance(pred, (bool, int)):
        raise RuntimeError(
            f"cond: expected pred to be a bool or a tensor, got {type(pred).__name__}"
        )
    if not isinstance(operands, (tuple, list)):
        raise RuntimeError(
            f"cond: expected operands to be a tuple or list, got {type(operands).__name__}"
        )
    return true_fn(*operands) if pred else false_fn(*operands)
