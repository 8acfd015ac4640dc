"""torch.autograd's first-order API on the Tensor engine: custom `Function`s with their
`ctx`, `grad()` (gradients returned, no `.grad` touched) and `backward()` (several outputs,
`inputs=`). Also re-exports the grad-mode switches, as torch.autograd does.

`create_graph=True` (in `grad`, `backward` and `Tensor.backward`) runs the backward with
Tensor-level rules (higher_order.py), so the gradients have a graph and can be
differentiated again; an op without such a rule raises NotImplementedError naming it.

Deviations from PyTorch 2.13:
- With `create_graph=True`, only the ops listed by `higher_order.covered_ops()` can be
  differentiated (custom Functions cannot); `.grad` then becomes a Tensor, as in torch.
- `grad()` never touches a `.grad`, also not of a non-leaf after `retain_grad()` (PyTorch
  accumulates into those when their node runs); `backward(inputs=...)` accumulates only
  into the given inputs.
- Bad arguments raise ValueError/TypeError (PyTorch: mostly RuntimeError): wrong counts and
  shapes of `grad_outputs`, an empty `inputs`, a non-Tensor gradient from a Function's
  backward; a `grad_outputs` of the wrong length is refused (PyTorch ignores the extra).
- A Function's forward may not return numpy arrays (PyTorch passes any non-Tensor through
  as a non-differentiable output); `ctx.mark_dirty` (in-place Functions), forward-mode
  (`jvp`) and `vmap` are not supported; `grad_fn` is a plain function, not a Node.
- `ctx.saved_tensors` gives a saved output back as a new tensor sharing its data, without
  graph (PyTorch: with the output's grad_fn), so no reference cycle keeps a graph alive.
- A node freed by an earlier pass (without retain_graph) that the outputs reach makes
  `grad()` / `backward(inputs=...)` raise even if it does not lead to the inputs (PyTorch
  keeps a freed node's edges and skips it): it has lost its parents here, and raising is
  the only way never to drop a path to an input silently.
"""

from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from . import higher_order
from .grad_mode import GRAD_MODE, enable_grad, inference_mode, no_grad, set_grad_enabled
from .tensor import (
    SlicedGrad,
    Tensor,
    _freed_backward,
    _graph_probe,
    _inplace_clock,
    _topological_order,
    capture_gradients,
)

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "enable_grad",
    "grad",
    "inference_mode",
    "no_grad",
    "set_grad_enabled",
]

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed): the first backward() or autograd.grad() freed "
    "them. Pass retain_graph=True to the first call to keep them."
)


# ------------------------------------------------------------------------ Function
class FunctionCtx:
    """The `ctx` a custom Function's forward (or setup_context) and backward share: any
    attribute may be stored on it, plus PyTorch's `save_for_backward`, `saved_tensors`,
    `needs_input_grad`, `mark_non_differentiable` and `set_materialize_grads`."""

    def __init__(self) -> None:
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True
        self._saved: tuple = ()
        self._saved_at = 0
        self._freed = False
        self._non_differentiable: set[int] = set()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors (inputs, outputs or intermediates; None allowed) for backward; a
        later call replaces the earlier. Changing one in place afterwards makes
        `saved_tensors` raise, as torch."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save Tensors or None, but argument {i} is "
                    f"of type {type(t).__name__}; store other values as attributes of ctx"
                )
        self._saved = tensors
        self._saved_at = _inplace_clock[0]

    @property
    def saved_tensors(self) -> tuple:
        """The saved tensors; a saved output comes back as a new tensor without graph
        sharing its data (PyTorch: a new tensor with the output's grad_fn)."""
        if self._freed:
            raise RuntimeError(_FREED)
        saved = []
        for i, t in enumerate(self._saved):
            watched = t
            if type(t) is _SavedOutput:
                watched, t = t.output(), t.alias  # the output shows changes while it lives
            if watched is not None and watched._changed_at > self._saved_at:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: saved tensor {i} (shape {t.shape}) was changed "
                    "in place after save_for_backward; change it before or after the pass"
                )
            saved.append(t)
        return tuple(saved)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """These outputs get no gradient (backward still receives zeros for them)."""
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"mark_non_differentiable: argument {i} is a {type(t).__name__}; "
                    "expected an output Tensor of forward"
                )
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """True (the default): backward receives zeros, not None, for outputs that got no
        gradient. False: None, so backward can skip work."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        raise NotImplementedError(
            "mark_dirty: custom Functions that change their inputs in place are not "
            "supported; return a new tensor from forward instead"
        )


class _SavedOutput:
    """A saved output, held without a strong reference: output -> node -> ctx -> output
    would be a reference cycle, keeping the arrays of a graph that is never
    backpropagated alive until the cyclic garbage collector runs."""

    __slots__ = ("alias", "output")

    def __init__(self, output: Tensor) -> None:
        self.alias = output.detach()
        self.output = weakref.ref(output)


class _FunctionNode(Tensor):
    """The hidden node of one `Function.apply` call, between its outputs and its inputs:
    its parents are the inputs that require grad, and its backward calls the user's
    backward once with every output's gradient."""

    __slots__ = ()

    def _check_parents_unchanged(self) -> None:
        """Nothing to check: a Function's backward reads only what it saved, and
        `ctx.saved_tensors` checks those when they are unpacked, as torch."""


class Function:
    """Base class of custom differentiable ops, as torch.autograd.Function.

    Subclasses define `@staticmethod forward(ctx, *args)` and `@staticmethod backward(ctx,
    *grad_outputs)` (or `vjp`), or torch 2's style: `forward(*args)` without ctx plus
    `setup_context(ctx, inputs, output)`. Call `MyFunction.apply(*args, **kwargs)`:
    keyword arguments bind to forward's parameters and count as positional inputs (with
    setup_context, defaults too), as torch. Forward runs under no_grad on the Tensors as
    given and returns a Tensor or a tuple (non-Tensor items pass through); floating outputs
    not marked non-differentiable join the graph. Backward runs under no_grad, receives one
    Tensor per output (zeros for outputs without gradient unless
    `ctx.set_materialize_grads(False)`, then None; None for non-Tensor outputs) and returns
    one gradient per input: a Tensor of the input's shape (or a broadcast of it, summed
    back) or None; extra trailing Nones are allowed. Never modify the gradients in place.
    """

    def __init__(self, *args, **kwargs) -> None:
        del args, kwargs

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "custom Functions are not called as instances: use the static forward and call "
            f"{type(self).__name__}.apply(...)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output) -> None:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        with_setup = cls.setup_context is not Function.setup_context
        if kwargs or with_setup:
            args = _bind(cls, args, kwargs, with_setup)
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if with_setup:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        outputs = output if isinstance(output, tuple) else (output,)
        for k, out in enumerate(outputs):
            if isinstance(out, np.ndarray):
                raise TypeError(
                    f"{cls.__name__}.forward returned a numpy array as output {k}; wrap it "
                    "in a Tensor (Tensor(array)) so that it can join the graph"
                )
        if not GRAD_MODE.enabled and _graph_probe[0] is not None:  # see utils.checkpoint
            inputs = tuple(a for a in args if isinstance(a, Tensor))
            for out in outputs:
                if isinstance(out, Tensor):
                    _graph_probe[0](inputs, out)
        if not (GRAD_MODE.enabled and any(ctx.needs_input_grad)):
            return output
        wrapped = _connect(cls, ctx, args, outputs)
        return wrapped if isinstance(output, tuple) else wrapped[0]


@functools.cache
def _signature(forward) -> inspect.Signature:
    return inspect.signature(forward)  # once per Function: setup_context binds every call


def _bind(cls, args: tuple, kwargs: dict, with_setup: bool) -> tuple:
    """args and kwargs as the positional inputs of forward (ctx's slot filled by None)."""
    lead = () if with_setup else (None,)
    try:
        bound = _signature(cls.forward).bind(*lead, *args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{cls.__name__}.apply: {error}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(
            f"{cls.__name__}.apply: forward's keyword-only parameters "
            f"{sorted(bound.kwargs)} cannot be inputs; Function inputs are positional, as "
            "in torch"
        )
    return bound.args[len(lead):]


def _connect(cls, ctx: FunctionCtx, args: tuple, outputs: tuple) -> list:
    """Make the outputs graph nodes hanging from one hidden `_FunctionNode`; returns them."""
    name = f"{cls.__name__}Backward"
    wanted = [i for i, needs in enumerate(ctx.needs_input_grad) if needs]
    count = len(outputs)
    slots: list = [None] * count
    metas: list = [None] * count  # (shape, dtype) of each Tensor output
    node = _hidden_node(count, tuple(args[i] for i in wanted))
    seen = {id(a) for a in args if isinstance(a, Tensor)}
    wrapped = list(outputs)
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            continue
        differentiable = out.data.dtype.kind == "f" and id(out) not in ctx._non_differentiable
        if id(out) in seen or out.requires_grad or out._backward is not None:
            out = out.detach()  # an input or a graph node already: a new tensor, same data
        seen.add(id(out))
        metas[k] = (out.data.shape, out.data.dtype)
        if differentiable:
            out.requires_grad = True
            out._parents = (node,)
            out._backward = _handover(slots, k, name)
            out._made_at = _inplace_clock[0]
        wrapped[k] = out
    nodes = {id(out) for out in wrapped if isinstance(out, Tensor) and out._parents == (node,)}
    ctx._saved = tuple(_SavedOutput(t) if id(t) in nodes else t for t in ctx._saved)
    node_ref = weakref.ref(node)  # the node holds this closure: no reference cycle

    def backward(arrived: np.ndarray):
        grads = [slots[k] if arrived[k] else None for k in range(count)]
        slots[:] = [None] * count
        tensors = []
        for g, meta in zip(grads, metas):
            if g is None and meta is not None and ctx.materialize_grads:
                g = np.zeros(*meta)
            tensors.append(None if g is None else Tensor(g, dtype=g.dtype))
        with no_grad():
            result = _user_backward(cls)(ctx, *tensors)
        if node_ref()._backward is _freed_backward:  # freed by the engine: no retain_graph
            ctx._saved = ()
            ctx._freed = True
        return _checked_gradients(cls, name, args, wanted, result)

    backward.__name__ = backward.__qualname__ = name
    node._backward = backward
    return wrapped


def _hidden_node(count: int, parents: tuple) -> _FunctionNode:
    # one flag per output: the engine adds 1 where an output passed its gradient in this
    # pass (SlicedGrad), so gradients left by an earlier pass that failed are never used.
    # Tensor.make sets every field; the node then takes its class and its parents.
    node = Tensor.make(np.broadcast_to(np.float32(0), (count,)), (), None)
    node.__class__ = _FunctionNode
    node.requires_grad = True
    node._parents = parents
    return node


_ONE = np.float32(1)


def _handover(slots: list, k: int, name: str):
    """Output k's backward: leave its summed gradient for the hidden node and flag it."""

    def backward(g: np.ndarray):
        slots[k] = g
        return (SlicedGrad(k, _ONE),)

    backward.__name__ = backward.__qualname__ = name
    return backward


def _user_backward(cls):
    own_backward = cls.backward is not Function.backward
    own_vjp = cls.vjp is not Function.backward
    if own_backward and own_vjp:
        raise RuntimeError(
            f"{cls.__name__}: implementing both 'backward' and 'vjp' for a custom Function is "
            "not allowed; implement one of them"
        )
    return cls.vjp if own_vjp else cls.backward


def _checked_gradients(cls, name: str, args: tuple, wanted: list[int], result) -> list:
    """The gradient arrays for the inputs in `wanted`, after torch's checks of `result`."""
    if not isinstance(result, tuple):
        result = (result,)
    n = len(args)
    if len(result) < n or any(g is not None for g in result[n:]):
        raise RuntimeError(
            f"function {name} returned an incorrect number of gradients (expected {n}, "
            f"got {len(result)})"
        )
    for i, g in enumerate(result[:n]):
        if g is None:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {name} returned a {type(g).__name__} as the gradient of "
                f"{_argument_name(cls, i)}; expected a Tensor or None"
            )
        if not isinstance(args[i], Tensor):
            raise RuntimeError(
                f"function {name} returned a gradient different than None for "
                f"{_argument_name(cls, i)}, but that forward input is not a Tensor "
                f"({type(args[i]).__name__})"
            )
        shape = args[i].data.shape
        try:
            fits = np.broadcast_shapes(g.data.shape, shape) == g.data.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"function {name} returned an invalid gradient for {_argument_name(cls, i)}: "
                f"got shape {g.data.shape} but expected {shape} or a shape it broadcasts to"
            )
    return [None if result[i] is None else result[i].data for i in wanted]


def _argument_name(cls, i: int) -> str:
    """'argument 1 (scale)' from forward's signature, for error messages."""
    params = list(_signature(cls.forward).parameters.values())
    if cls.setup_context is Function.setup_context:
        params = params[1:]  # ctx
    if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                              params[i].POSITIONAL_OR_KEYWORD):
        return f"argument {i} ({params[i].name})"
    return f"argument {i}"


# ------------------------------------------------------------------- grad / backward
def _tensors(op: str, what: str, value) -> tuple[Tensor, ...]:
    items = (value,) if isinstance(value, Tensor) else value
    if not isinstance(items, (tuple, list)):
        raise TypeError(
            f"{op}: {what} must be a Tensor or a sequence of Tensors, got {type(value).__name__}"
        )
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {what}[{i}] is a {type(t).__name__}; expected a Tensor")
    return tuple(items)


def _seeds(op: str, outputs: tuple[Tensor, ...], grad_outputs) -> list[np.ndarray]:
    """One gradient array per output (ones for a None entry of a one-element output)."""
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and has no graph; set "
                "requires_grad=True on the leaves it is computed from"
            )
    if grad_outputs is None:
        given = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        given = [grad_outputs]
    elif isinstance(grad_outputs, (tuple, list)):
        given = list(grad_outputs)
    else:
        raise TypeError(
            f"{op}: expected a Tensor, an array or a sequence of them (or None) for the "
            f"output gradients, got {type(grad_outputs).__name__}"
        )
    if len(given) != len(outputs):
        raise ValueError(
            f"{op}: got {len(given)} output gradients for {len(outputs)} outputs; pass one "
            "per output (None for a one-element output)"
        )
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but "
                    f"output {i} has shape {out.data.shape}; pass its gradient"
                )
            seeds.append(np.ones_like(out.data))
            continue
        if not isinstance(g, (Tensor, np.ndarray)):
            raise TypeError(
                f"{op}: the gradient of output {i} is a {type(g).__name__}; expected a "
                "Tensor, an array or None"
            )
        seed = g.data if isinstance(g, Tensor) else g
        if seed.shape != out.data.shape:
            raise ValueError(
                f"{op}: the gradient of output {i} has shape {seed.shape} but the output has "
                f"shape {out.data.shape}; they must match"
            )
        seeds.append(seed.astype(out.data.dtype, copy=False))
    return seeds


def _root(outputs: tuple[Tensor, ...], seeds: list[np.ndarray]) -> Tensor:
    """A hidden 0-d node whose backward hands each output its gradient: one root to start
    the engine from, also for several outputs (an output listed twice gets both)."""
    seeds = tuple(seeds)

    def backward(_g):
        return seeds

    with enable_grad():  # torch's grad() and backward() also work inside no_grad()
        return Tensor.make(np.zeros((), dtype=np.float32), outputs, backward)


def _unreached(root: Tensor, inputs: tuple[Tensor, ...]) -> list[int]:
    """Indices of the inputs no path leads to from `root`, found before anything runs. A
    freed node has lost its parents, so then the graph's freeing is what to report."""
    order = _topological_order(root)
    reached = {id(node) for node in order}
    unreached = [i for i, t in enumerate(inputs) if id(t) not in reached]
    if unreached and any(node._backward is _freed_backward for node in order):
        _freed_backward(None)
    return unreached


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """The gradients of `outputs` with respect to `inputs`, as torch.autograd.grad: a tuple
    of Tensors, one per input (a dict with the same keys if `inputs` is a dict), summed
    over the outputs weighted by `grad_outputs` (None: ones for one-element outputs).

    No `.grad` is changed (leaf or not) and only the part of the graph between the outputs
    and the inputs runs, with its hooks; that part is freed unless `retain_graph=True`
    (default None: False, torch: `create_graph`). An input the outputs do not depend on
    raises RuntimeError unless `allow_unused=True` (then None) or `materialize_grads=True`
    (then zeros). With `create_graph=True` the gradients are graph Tensors that can be
    differentiated again, and `retain_graph` defaults to True, as torch. `only_inputs` is
    ignored (deprecated in torch); `is_grads_batched` raises NotImplementedError."""
    del only_inputs
    op = "autograd.grad"
    if is_grads_batched:
        raise NotImplementedError(f"{op}: is_grads_batched=True (vmap over grad_outputs) is "
                                  "not supported; call grad once per gradient")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    keys = None
    if isinstance(inputs, dict):
        keys, inputs = list(inputs), tuple(inputs.values())
    inputs = _inputs(op, inputs)
    outputs = _tensors(op, "outputs", outputs)
    seeds = _seeds(op, outputs, grad_outputs)
    root = _root(outputs, seeds)
    unused = _unreached(root, inputs)
    if unused and not allow_unused:
        _raise_unused(op, unused[0])
    if create_graph:
        retain = True if retain_graph is None else retain_graph
        given = _graph_seeds(outputs, seeds, grad_outputs)
        arrays = higher_order.walk(outputs, given, inputs, retain)
    else:
        arrays = capture_gradients(root, inputs, retain_graph)
    result = []
    for i, (t, g) in enumerate(zip(inputs, arrays)):
        if g is None:
            if not allow_unused:  # reached, but every op on the way gave it no gradient
                _raise_unused(op, i)
            # as torch: with create_graph the zeros require grad, like the other gradients
            zeros = Tensor(np.zeros_like(t.data), dtype=t.data.dtype, requires_grad=create_graph)
            result.append(zeros if materialize_grads else None)
        elif create_graph:
            result.append(g)
        else:
            result.append(Tensor(np.array(g, dtype=t.data.dtype), dtype=t.data.dtype))
    return dict(zip(keys, result)) if keys is not None else tuple(result)


def _graph_seeds(outputs, seeds: list[np.ndarray], given) -> list[Tensor]:
    """The seeds as Tensors for create_graph: a Tensor given as an output's gradient is
    used as it is (its graph is kept, so the result can be differentiated by it too)."""
    if isinstance(given, (Tensor, np.ndarray)):
        given = [given]
    elif given is None:
        given = [None] * len(outputs)
    result = []
    for out, seed, g in zip(outputs, seeds, given):
        if isinstance(g, Tensor) and g.data.dtype == out.data.dtype:
            result.append(g)
        else:
            result.append(Tensor(seed, dtype=out.data.dtype))
    return result


def _inputs(op: str, inputs) -> tuple[Tensor, ...]:
    """The `inputs` of grad() or backward(): a non-empty tuple of Tensors that require grad."""
    inputs = _tensors(op, "inputs", inputs)
    if not inputs:
        raise ValueError(f"{op}: inputs cannot be empty")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"{op}: inputs[{i}] does not require grad")
    return inputs


def _raise_unused(op: str, i: int):
    raise RuntimeError(
        f"{op}: the differentiated Tensor at index {i} appears to not have been used in the "
        "graph. Set allow_unused=True if this is the desired behavior."
    )


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`; None: ones for
    one-element tensors) into `.grad`, as torch.autograd.backward: of every leaf, or with
    `inputs` (a Tensor or a sequence of them, leaves or not) of those only. The graph is
    freed unless `retain_graph=True`; `grad_variables` is torch's deprecated name of
    `grad_tensors`. With `create_graph=True` each `.grad` becomes a graph Tensor (added to
    out of place) that can be differentiated again, and `retain_graph` defaults to True."""
    op = "backward()"
    if grad_variables is not None:
        if grad_tensors is not None:
            raise ValueError(f"{op}: pass grad_tensors only (grad_variables is its old name)")
        grad_tensors = grad_variables
    tensors = _tensors(op, "tensors", tensors)
    if not tensors:
        raise ValueError(f"{op}: no tensors to differentiate")
    if inputs is not None:
        inputs = _inputs(op, inputs)
    seeds = _seeds(op, tensors, grad_tensors)
    root = _root(tensors, seeds)
    if create_graph:
        retain = True if retain_graph is None else retain_graph
        given = _graph_seeds(tensors, seeds, grad_tensors)
        if inputs is None:
            higher_order.walk(tensors, given, None, retain)
            return
        unique = tuple({id(t): t for t in inputs}.values())
        _unreached(root, unique)
        for t, g in zip(unique, higher_order.walk(tensors, given, unique, retain)):
            if g is not None:
                higher_order.accumulate(t, g)
        return
    if inputs is None:
        root.backward(retain_graph=retain_graph)
        return
    unique = tuple({id(t): t for t in inputs}.values())  # a repeated input accumulates once
    _unreached(root, unique)  # raises if the graph was freed by an earlier pass
    for t, g in zip(unique, capture_gradients(root, unique, retain_graph)):
        if g is not None:
            t._accumulate_grad(g)


# isort: split
import sys  # noqa: E402

from . import autograd_functional as functional  # noqa: E402
from .anomaly_mode import (  # noqa: E402, F401
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .autograd_flags import (  # noqa: E402, F401  (recorded switches; see autograd_flags.py)
    is_multithreading_enabled,
    is_view_replay_enabled,
    set_multithreading_enabled,
    variable,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402, F401
from .variable import Variable  # noqa: E402, F401

# `import tinygrad_opt.autograd.functional` works too, as torch.autograd.functional
sys.modules[__name__ + ".functional"] = functional
__all__ += ["GradcheckError", "Variable", "detect_anomaly", "functional", "gradcheck",
            "gradgradcheck",
            "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_detect_anomaly",
            "is_multithreading_enabled", "is_view_replay_enabled", "set_multithreading_enabled",
            "variable"]  # fmt: skip
