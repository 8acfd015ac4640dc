"""`vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None)`, with
torch.func.vmap's semantics: `func` maps over a batch dimension of its inputs.

A convenience, not a vectorising transform: the returned function calls `func` once per
batch entry on slices (`select`) of the batched inputs and `stack`s the outputs, so results
and gradients are exactly those of the per-example calls, and the cost is a Python loop
over the batch. `in_dims`: an int (every positional argument), None (not batched), or a
tuple with one entry per positional argument, nested like the arguments (tuples, lists,
dicts); keyword arguments are never batched. `out_dims`: an int, or one per output (None
returns that output of the first call, unbatched). Outputs may be a Tensor or tuples,
lists and dicts of Tensors. `randomness`: "error" refuses random draws from the package
generator inside func, "different" lets each entry draw its own numbers, "same" gives
every entry the same draws (the generator is rewound before each call). `chunk_size` is
validated; chunking changes nothing here, as every entry runs on its own anyway.
Deviations: an empty batch raises ValueError (func is never called to learn the output
shape); an invalid `randomness` raises ValueError when vmap is called.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from . import random as _random
from .ops.join import stack
from .ops.rearrange import select
from .tensor import Tensor

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


class _NoRandomness:
    """Stands in for the package generator under randomness="error"."""

    def __getattr__(self, name: str):
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap"
        )


def _broadcast_dims(in_dims, arg, where: str):
    """Pair every leaf of `arg` with its in_dim: yields (tensor-or-value, dim) leaves."""
    if isinstance(in_dims, (tuple, list)):
        if not isinstance(arg, (tuple, list)) or len(arg) != len(in_dims):
            raise ValueError(
                f"vmap: in_dims {in_dims!r} is not compatible with the structure of the input "
                f"at {where} ({type(arg).__name__})"
            )
        return type(arg)(_broadcast_dims(d, a, f"{where}[{i}]")
                         for i, (d, a) in enumerate(zip(in_dims, arg)))
    if isinstance(in_dims, dict):
        if not isinstance(arg, dict) or set(arg) != set(in_dims):
            raise ValueError(
                f"vmap: in_dims {in_dims!r} is not compatible with the structure of the input "
                f"at {where}"
            )
        return {k: _broadcast_dims(in_dims[k], arg[k], f"{where}[{k!r}]") for k in arg}
    if in_dims is not None and (isinstance(in_dims, bool) or not isinstance(in_dims, int)):
        raise ValueError(f"vmap: in_dims must be ints, None or nested tuples, got {in_dims!r}")
    if isinstance(arg, (tuple, list)):
        return type(arg)(_broadcast_dims(in_dims, a, f"{where}[{i}]") for i, a in enumerate(arg))
    if isinstance(arg, dict):
        return {k: _broadcast_dims(in_dims, a, f"{where}[{k!r}]") for k, a in arg.items()}
    if in_dims is None:
        return _Leaf(arg, None)
    if not isinstance(arg, Tensor):
        raise ValueError(
            f"vmap: got in_dim={in_dims} for the input at {where}, but it is of type "
            f"{type(arg).__name__}; we cannot vmap over non-Tensor arguments, use None as "
            "its in_dim"
        )
    ndim = arg.data.ndim
    if not -ndim <= in_dims < ndim:
        raise ValueError(
            f"vmap: got in_dim={in_dims} for the input at {where}, a Tensor of "
            f"dimensionality {ndim}, so expected -{ndim} <= in_dim < {ndim}"
        )
    return _Leaf(arg, in_dims % ndim)


class _Leaf:
    __slots__ = ("value", "dim")

    def __init__(self, value, dim) -> None:
        self.value, self.dim = value, dim


def _leaves(tree):
    if isinstance(tree, _Leaf):
        yield tree
    elif isinstance(tree, (tuple, list)):
        for t in tree:
            yield from _leaves(t)
    elif isinstance(tree, dict):
        for t in tree.values():
            yield from _leaves(t)


def _slice(tree, i: int):
    if isinstance(tree, _Leaf):
        return tree.value if tree.dim is None else select(tree.value, tree.dim, i)
    if isinstance(tree, (tuple, list)):
        return type(tree)(_slice(t, i) for t in tree)
    return {k: _slice(t, i) for k, t in tree.items()}


def _flatten_outputs(out, path="output"):
    if isinstance(out, Tensor):
        return [out], None
    if isinstance(out, (tuple, list)):
        parts = [_flatten_outputs(o, f"{path}[{i}]") for i, o in enumerate(out)]
        return [t for p in parts for t in p[0]], (type(out), [p[1] for p in parts])
    if isinstance(out, dict):
        keys = list(out)
        parts = [_flatten_outputs(out[k], f"{path}[{k!r}]") for k in keys]
        return [t for p in parts for t in p[0]], (dict, keys, [p[1] for p in parts])
    raise ValueError(
        f"vmap: the function must only return Tensors (or tuples, lists, dicts of them), got "
        f"{type(out).__name__} at {path}"
    )


def _unflatten(spec, items):
    if spec is None:
        return next(items)
    if spec[0] is dict:
        return {k: _unflatten(s, items) for k, s in zip(spec[1], spec[2])}
    return spec[0](_unflatten(s, items) for s in spec[1])


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """`func` mapped over the batch dimension `in_dims` of its inputs, its outputs stacked
    along `out_dims` (see the module docstring)."""
    if randomness not in _RANDOMNESS:
        raise ValueError(
            f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}"
        )
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0, got {chunk_size!r}")

    @functools.wraps(func)
    def batched(*args, **kwargs):
        dims = tuple(in_dims) if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap: in_dims has {len(dims)} entries but the function got {len(args)} "
                "positional arguments"
            )
        tree = [_broadcast_dims(d, a, f"args[{i}]") for i, (d, a) in enumerate(zip(dims, args))]
        sizes = {leaf.value.data.shape[leaf.dim] for leaf in _leaves(tree) if leaf.dim is not None}
        if not sizes:
            raise ValueError("vmap: expected at least one Tensor to vmap over")
        if len(sizes) != 1:
            raise ValueError(
                f"vmap: expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {sorted(sizes)}"
            )
        batch = sizes.pop()
        if batch == 0:
            raise ValueError("vmap: the mapped dimension is empty (size 0)")
        state = _random._STATE
        saved = state["generator"]
        # only "same" rewinds; an enclosing vmap's stand-in has no state (and refuses draws)
        rewind = randomness == "same" and not isinstance(saved, _NoRandomness)
        start = saved.bit_generator.state if rewind else None
        results, spec = [], None
        try:
            if randomness == "error":
                state["generator"] = _NoRandomness()
            for i in range(batch):  # one call per entry: the documented cost of this vmap
                if rewind:
                    saved.bit_generator.state = start
                out = func(*_slice(tree, i), **kwargs)
                flat, spec_i = _flatten_outputs(out)
                if spec is None:
                    spec = spec_i
                results.append(flat)
        finally:
            state["generator"] = saved
        count = len(results[0])
        outs = tuple(out_dims) if isinstance(out_dims, (tuple, list)) else (out_dims,) * count
        if len(outs) != count:
            raise ValueError(f"vmap: out_dims has {len(outs)} entries for {count} outputs")
        stacked = []
        for k, d in enumerate(outs):
            if d is None:
                stacked.append(results[0][k])
                continue
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise ValueError(f"vmap: out_dims must be ints or None, got {d!r}")
            ndim = results[0][k].data.ndim + 1
            if not -ndim <= d < ndim:
                raise ValueError(f"vmap: out_dim {d} is out of range for outputs of {ndim} dims")
            stacked.append(stack([r[k] for r in results], dim=int(d) % ndim))
        return _unflatten(spec, iter(stacked))

    return batched
