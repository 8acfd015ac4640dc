"""Activation (gradient) checkpointing, as torch.utils.checkpoint: trade compute for memory.

`checkpoint(function, *args)` runs `function` without recording a graph, so none of its
intermediate arrays are kept, and hangs its outputs from ONE graph node whose backward
reruns `function` with grad enabled (from the same RNG state, so dropout draws the same
mask) and backpropagates the incoming gradients through the recomputed graph with the
usual engine. Gradients of the arguments, of the parameters `function` uses and of any
other tensor requiring grad that it reads come out as without checkpointing.

`use_reentrant=False` (the variant torch's docs recommend, and the default here) finds the
tensors requiring grad that `function` reads during the forward (`tensor._graph_probe`) and
makes them the node's parents, so parameters get gradients even when no argument requires
grad, keyword arguments and nested structures of tensors work, and `autograd.grad` /
`backward(inputs=...)` see through the checkpoint. `use_reentrant=True` follows torch's
reentrant variant: only positional Tensor arguments are the node's parents, the recompute's
own `backward()` accumulates into the parameters' `.grad`, no argument requiring grad means
no gradients (a warning), keyword arguments, `context_fn` and `debug` are refused, and
`autograd.grad` / `backward(inputs=...)` through it raise RuntimeError.

As in torch, state changed by `function` is changed again by the recompute: BatchNorm in
training mode updates its running statistics twice (and `num_batches_tracked` counts 2)
per checkpointed forward + backward; the gradients are unaffected (the batch statistics
are the same). `preserve_rng_state=True` stashes the package generator's state before the
forward and replays it for the recompute on a separate generator, so the package
generator after backward is where it would be without checkpointing; an explicit
`generator=` passed inside `function` is not stashed (torch: only default generators are).

Deviations from torch 2.13:
- `use_reentrant=None` means False without a warning (torch 2.13 warns and uses True).
- The non-reentrant variant reruns the whole function (no early stop: `early_stop` is
  accepted and ignored) and checks only the recomputed outputs' shapes and dtypes
  (`determinism_check="default"`), not every saved tensor's; `debug=True` adds every
  output's shape and dtype to that error, not an operator trace.
- Non-reentrant: as in torch, an output is differentiable when ops computed it from a
  tensor requiring grad (a tensor from outside returned unchanged comes back as itself);
  one computed that way inside a `no_grad()` block of `function` is differentiable here
  too (torch: not), and so are the outputs of a custom Function given such a tensor.
- Reentrant: tensors in nested tuples, lists and dicts of the output are differentiable
  too (torch: only a top-level tuple's), and `function` may read non-leaf tensors requiring
  grad only through its arguments.
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Callable

import numpy as np

from .. import random as _random
from ..autograd import _handover, _root
from ..autograd import backward as _autograd_backward
from ..grad_mode import GRAD_MODE, enable_grad, no_grad
from ..tensor import Tensor, _claims, _graph_probe, capture_gradients

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]

_DETERMINISM_CHECKS = ("default", "none")


def noop_context_fn():
    """The default `context_fn`: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(
    function: Callable,
    *args,
    use_reentrant: bool | None = None,
    context_fn: Callable = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    preserve_rng_state: bool = True,
    **kwargs,
):
    """`function(*args, **kwargs)`, keeping none of its intermediate arrays for backward:
    backward recomputes them (see the module docstring for the two variants). Outputs may be
    a Tensor or tuples, lists and dicts holding Tensors and other values. Under `no_grad()`
    `function` simply runs. `context_fn()` gives two context managers, for the forward and
    for the recompute (non-reentrant only)."""
    del early_stop  # the whole function is always recomputed
    reentrant = _check_options(function, use_reentrant, context_fn, determinism_check,
                               debug, kwargs)
    if not GRAD_MODE.enabled:  # nothing will be backpropagated: no node, no recompute
        return function(*args, **kwargs)
    rng_state = _random.get_rng_state() if preserve_rng_state else None
    if reentrant:
        parents = tuple(a for a in args if isinstance(a, Tensor) and a.requires_grad)
        if not parents:
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
        with no_grad():
            output = function(*args)
        recompute_context = contextlib.nullcontext()
    else:
        contexts = context_fn()
        if not isinstance(contexts, tuple) or len(contexts) != 2:
            raise TypeError(
                f"checkpoint: context_fn must return a tuple of two context managers (forward, "
                f"recompute), got {type(contexts).__name__}"
            )
        forward_context, recompute_context = contexts
        found: dict[int, Tensor] = {}  # the tensors requiring grad that ops read
        tainted: dict[int, weakref.ref] = {}  # op outputs computed from one of them

        def probe(op_parents, out: Tensor) -> None:
            for parent in op_parents:
                if parent.requires_grad:
                    found[id(parent)] = parent
                elif not _held(tainted, parent):
                    continue
                tainted[id(out)] = weakref.ref(out)

        outer_probe = _graph_probe[0]
        _graph_probe[0] = probe
        try:
            with no_grad(), forward_context:
                output = function(*args, **kwargs)
        finally:
            _graph_probe[0] = outer_probe
        parents = tuple(found.values())
    if not parents:
        return output
    run = _Recompute(function, args, kwargs, rng_state, recompute_context, parents,
                     reentrant, determinism_check == "default", debug)
    if reentrant:  # as a custom Function: every floating output
        return run.connect(output, lambda t: True)
    return run.connect(output, lambda t: _held(tainted, t))


def _held(tainted: dict, tensor: Tensor) -> bool:
    ref = tainted.get(id(tensor))  # ids are reused once a tensor dies: compare the object
    return ref is not None and ref() is tensor


def _check_options(function, use_reentrant, context_fn, determinism_check, debug,
                   kwargs) -> bool:
    """Whether to use the reentrant variant, after torch's checks of the options."""
    if not callable(function):
        raise TypeError(
            f"checkpoint: function must be callable (a module or a function), got "
            f"{type(function).__name__}"
        )
    if use_reentrant not in (None, True, False):
        raise TypeError(f"checkpoint: use_reentrant must be a bool or None, got {use_reentrant!r}")
    if determinism_check not in _DETERMINISM_CHECKS:
        raise ValueError(
            f"determinism_check should be one of {list(_DETERMINISM_CHECKS)}, but got "
            f"{determinism_check!r}"
        )
    if not use_reentrant:
        return False
    if context_fn is not noop_context_fn or debug:
        raise ValueError(
            "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
        )
    if kwargs:
        raise ValueError(
            "Unexpected keyword arguments: " + ",".join(kwargs)
            + " (the reentrant checkpoint takes positional inputs only; use "
            "use_reentrant=False)"
        )
    return True


class _Recompute:
    """What the checkpoint node's backward needs: the call to repeat, its RNG state and the
    shapes and dtypes of the outputs hanging from the node."""

    def __init__(self, function, args, kwargs, rng_state, context, parents, reentrant,
                 check, debug) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.rng_state = rng_state
        self.context = context
        self.parents = parents
        self.reentrant = reentrant
        self.check = check
        self.debug = debug
        self.where: list[int] = []  # position in the flattened output of each node output
        self.metas: list[tuple] = []

    def connect(self, output, differentiable: Callable[[Tensor], bool]):
        """The output with its differentiable floating Tensors made outputs of one new graph
        node."""
        items: list = []
        _flatten(output, items)
        new: dict[int, Tensor] = {}  # a tensor returned twice is one output, twice
        for i, item in enumerate(items):
            if not isinstance(item, Tensor) or item.data.dtype.kind != "f":
                continue
            if item.requires_grad and not self.reentrant:
                continue  # a tensor from outside returned as is: it keeps its own graph
            if not differentiable(item):
                continue
            if id(item) not in new:
                new[id(item)] = item.detach()  # a new tensor: never relabel an input/buffer
                self.where.append(i)
                self.metas.append((item.data.shape, item.data.dtype))
            items[i] = new[id(item)]
        count = len(self.where)
        if count == 0:
            return output
        slots: list = [None] * count
        node = Tensor.make(np.broadcast_to(np.float32(0), (count,)), (), None)
        node.requires_grad = True
        node._parents = self.parents
        node._backward = self._backward_fn(slots)
        name = "CheckpointFunctionBackward" if self.reentrant else "CheckpointBackward"
        for k, out in enumerate(new.values()):
            out.requires_grad = True
            out._parents = (node,)
            out._backward = _handover(slots, k, name)
            out._made_at = node._made_at
        return _rebuild(output, iter(items))

    def _backward_fn(self, slots: list):
        def backward(arrived: np.ndarray):
            grads = [g if flag else None for g, flag in zip(slots, arrived)]
            slots[:] = [None] * len(slots)
            if self.reentrant:
                return self._reentrant_backward(grads)
            outputs, seeds = self._rerun(self.args, grads)
            if not outputs:
                return [None] * len(self.parents)
            with _as_leaves(self.parents):  # the recompute ends at the tensors it reads
                return capture_gradients(_root(outputs, seeds), self.parents, False)

        backward.__name__ = backward.__qualname__ = "CheckpointBackward"
        return backward

    def _reentrant_backward(self, grads: list) -> list:
        if _claims.claimed is None:  # inside autograd.grad or backward(inputs=...)
            raise RuntimeError(
                "Checkpointing is not compatible with .grad() or when an `inputs` parameter "
                "is passed to .backward(). Please use .backward() and do not pass its "
                "`inputs` argument (or use use_reentrant=False)."
            )
        copies = tuple(
            a.detach().requires_grad_(True) if isinstance(a, Tensor) and a.requires_grad else a
            for a in self.args
        )
        outputs, seeds = self._rerun(copies, grads)
        if outputs:
            _autograd_backward(outputs, seeds)  # also fills the parameters' .grad
        return [a.grad for a in copies if isinstance(a, Tensor) and a.requires_grad]

    def _rerun(self, args: tuple, grads: list) -> tuple[tuple, list]:
        """Run the function again with grad enabled, from the stashed RNG state; returns the
        recomputed outputs that received a gradient and those gradients."""
        current = _random._STATE["generator"]
        outer_probe = _graph_probe[0]
        _graph_probe[0] = None
        if self.rng_state is not None:  # the package generator itself is left untouched
            _random._STATE["generator"] = _random.Generator().set_state(self.rng_state)
        try:
            with enable_grad(), self.context:
                output = self.function(*args, **self.kwargs)
        finally:
            _random._STATE["generator"] = current
            _graph_probe[0] = outer_probe
        items: list = []
        _flatten(output, items)
        if self.check:
            self._check_same(items)
        outputs, seeds = [], []
        for k, g in enumerate(grads):
            out = items[self.where[k]] if self.where[k] < len(items) else None
            if g is not None and isinstance(out, Tensor) and out.requires_grad:
                outputs.append(out)
                seeds.append(g)
        return tuple(outputs), seeds

    def _check_same(self, items: list) -> None:
        for i, (shape, dtype) in zip(self.where, self.metas):
            out = items[i] if i < len(items) else None
            if isinstance(out, Tensor) and out.data.shape == shape and out.data.dtype == dtype:
                continue
            got = (f"{type(out).__name__} of shape {out.data.shape} and dtype {out.data.dtype}"
                   if isinstance(out, Tensor) else repr(type(out).__name__))
            detail = ""
            if self.debug:
                again = [(t.data.shape, str(t.data.dtype)) if isinstance(t, Tensor) else
                         type(t).__name__ for t in items]
                detail = (f"; forward outputs (shape, dtype): "
                          f"{[(s, str(d)) for s, d in self.metas]}, recomputed: {again}")
            raise RuntimeError(
                f"checkpoint: the recomputed output {i} is a {got}, but the forward gave "
                f"shape {shape} and dtype {dtype}: the function must compute the same thing "
                f"when rerun in backward (pass determinism_check='none' to skip this "
                f"check){detail}"
            )


@contextlib.contextmanager
def _as_leaves(tensors: tuple):
    """Make the tensors look like leaves without hooks while the recompute is
    backpropagated, so it stops at them: the outer pass carries their gradient on through
    their own graph and runs their hooks once, on the summed gradient."""
    saved = [(t._parents, t._hooks) for t in tensors]
    for t in tensors:
        t._parents = ()
        t._hooks = None
    try:
        yield
    finally:
        for t, (parents, hooks) in zip(tensors, saved):
            t._parents = parents
            t._hooks = hooks


def _flatten(obj, items: list) -> None:
    """Append the leaves of nested tuples, lists and dicts to `items`."""
    if isinstance(obj, (tuple, list)):
        for item in obj:
            _flatten(item, items)
    elif isinstance(obj, dict):
        for item in obj.values():
            _flatten(item, items)
    else:
        items.append(obj)


def _rebuild(obj, items):
    """`obj`'s structure with its leaves taken from the iterator `items`."""
    if isinstance(obj, (tuple, list)):
        values = [_rebuild(item, items) for item in obj]
        if hasattr(obj, "_fields"):  # a namedtuple
            return type(obj)(*values)
        return type(obj)(values)
    if isinstance(obj, dict):
        return type(obj)((key, _rebuild(item, items)) for key, item in obj.items())
    return next(items)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Run `functions` (a Sequential or a list of modules/functions) one after another on
    `input`, split into `segments` chunks of `len // segments` (the last also takes the
    remainder); every chunk but the last runs under `checkpoint`, the last runs normally, as
    torch (so segments=1 checkpoints nothing). `preserve_rng_state` is the only other
    keyword accepted."""
    preserve_rng_state = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    elif isinstance(functions, (list, tuple)):
        functions = list(functions)
    else:
        raise TypeError(
            f"checkpoint_sequential: functions must be a Sequential or a list of modules or "
            f"functions, got {type(functions).__name__}"
        )
    for i, f in enumerate(functions):
        if not callable(f):
            raise TypeError(
                f"checkpoint_sequential: functions[{i}] is a {type(f).__name__}, not callable"
            )
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)):
        raise TypeError(f"checkpoint_sequential: segments must be an int, got {segments!r}")
    if not 1 <= segments <= len(functions):
        raise ValueError(
            f"checkpoint_sequential: segments must be between 1 and the number of functions "
            f"({len(functions)}), got {segments}"
        )
    size = len(functions) // segments
    for start in range(0, size * (segments - 1), size):
        input = checkpoint(_chain(functions[start:start + size]), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve_rng_state)
    return _chain(functions[size * (segments - 1):])(input)


def _chain(functions: list) -> Callable:
    def run(x):
        for f in functions:
            x = f(x)
        return x

    return run
