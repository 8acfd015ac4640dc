"""The backward walk of `create_graph=True`: gradients as graph Tensors, so they can be
differentiated again (gradient penalties, Hessian-vector products, meta-gradients).

Every op records a numpy closure (`Tensor.make(data, parents, backward)`); recording stays
exactly as cheap as before because nothing is added per op. Instead, a Tensor-level rule is
registered once per backward *code object* (`register`) and looked up only by this walk:
`rule(g, parents, saved)` gets the output's gradient `g` as a Tensor, the op's parents and
`saved`, whose attributes are the closure's variables (`saved.out` is the output node,
`saved.backward` the numpy closure itself), and returns one Tensor (or None) per parent,
computed with differentiable Tensor ops. The rules live in `higher_order_rules.py`.

Helpers for rule writers: `masked_rule` for backwards that multiply g elementwise by a
constant (relu, abs, clip, where, add, a scalar factor: the map is its own adjoint and its
second derivative is zero), `linear_rule(forward)` for ops linear in their input (reshape,
sum, indexing: the adjoint of the numpy backward is the op itself, `forward`), and
`recompute_rule(f)` for fused nodes (Linear+ReLU, losses, conv): the forward is rebuilt from
covered ops and differentiated through.

As torch, `retain_graph` defaults to `create_graph`, a leaf's `.grad` becomes a Tensor with
a graph (added to out of place), and hooks receive and may replace Tensor gradients. An op
without a rule raises NotImplementedError naming it: never a silently detached gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import CodeType

import numpy as np

from .anomaly_mode import ANOMALY_MODE, check_backward_results
from .grad_mode import enable_grad, no_grad
from .tensor import (
    SlicedGrad,
    Tensor,
    _between,
    _claims,
    _freed_backward,
    _inplace_clock,
    _topological_order,
    unbroadcast,
)

Rule = Callable[[Tensor, tuple, "Saved"], Sequence["Tensor | None"]]
_RULES: dict[CodeType, Rule] = {}
_loaded = [False]


def _nested_codes(code: CodeType):
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield const
            yield from _nested_codes(const)


def register(op, rule: Rule, name: str = "backward", index: int = 0) -> None:
    """Attach `rule` to the backward closure defined inside `op` (the index-th nested function
    called `name`, e.g. "<lambda>"), or to `op` itself when it is the backward function."""
    code = op.__code__
    if name is not None and code.co_name != name:
        found = [c for c in _nested_codes(code) if c.co_name == name]
        if index >= len(found):
            raise LookupError(f"register: {op.__qualname__} has no nested {name!r} #{index}")
        code = found[index]
    _RULES[code] = rule


def covered_ops() -> list[str]:
    """The public names of the ops whose backward has a Tensor-level rule."""
    _load_rules()
    from .higher_order_rules import COVERED_OPS

    return sorted(COVERED_OPS)


class Saved:
    """A node's closure variables by name (read when asked), plus `out` and `backward`."""

    __slots__ = ("backward", "out")

    def __init__(self, backward, out: Tensor) -> None:
        self.backward = backward
        self.out = out

    def __getattr__(self, name: str):
        return cell(self.backward, name)


def cell(fn, name: str):
    """The value of the closure variable `name` of function `fn`."""
    try:
        i = fn.__code__.co_freevars.index(name)
    except ValueError:
        raise AttributeError(f"{fn.__qualname__} has no closure variable {name!r}") from None
    return fn.__closure__[i].cell_contents


def _dense(value, parent: Tensor) -> np.ndarray:
    """A numpy backward's result for `parent` as a full array of its shape and dtype."""
    data = parent.data
    if type(value) is SlicedGrad:
        full = np.zeros(data.shape, dtype=data.dtype)
        full[value.where] += value.value
        return full
    value = unbroadcast(np.asarray(value), data.shape)
    return np.array(value, dtype=data.dtype)


# ------------------------------------------------------------------------- rule helpers
def _pick(backward, i: int):
    """Parent i's part of a numpy backward, as a one-parent backward (same map)."""

    def picked(h):
        return (backward(h)[i],)

    return picked


def _masked(g: Tensor, parents: tuple, saved: Saved) -> list:
    backward = saved.backward
    single = len(parents) == 1
    values = backward(g.data)
    grads = []
    for i, (parent, value) in enumerate(zip(parents, values)):
        if value is None or not parent.requires_grad:
            grads.append(None)
            continue
        # the map g -> value is elementwise and diagonal, so it is its own adjoint
        node_backward = backward if single else _pick(backward, i)
        with enable_grad():
            grads.append(Tensor.make(np.asarray(value), (g,), node_backward))
    return grads


def masked_rule(g: Tensor, parents: tuple, saved: Saved) -> list:
    """For backwards that multiply g by a constant elementwise (the op is piecewise linear in
    its parents: relu, abs, clip, where, add/sub, a scalar factor): the same numpy map,
    recorded as a node of g, whose second derivative with respect to the parents is zero."""
    return _masked(g, parents, saved)


def linear_rule(forward: Callable[[Tensor, Saved], Tensor]) -> Rule:
    """For one-parent ops linear in their input (reshape, sum, indexing): the numpy
    backward gives the values; their adjoint is the op itself, `forward(h, saved)`."""

    def rule(g: Tensor, parents: tuple, saved: Saved):
        value = _dense(saved.backward(g.data)[0], parents[0])
        return (_adjoint(value, g, lambda h: forward(h, saved)),)

    return rule


def _adjoint(value: np.ndarray, g: Tensor, forward: Callable[[Tensor], Tensor]) -> Tensor:
    def adjoint_backward(h):
        with no_grad():
            return (forward(Tensor(h, dtype=h.dtype)).data,)

    with enable_grad():
        return Tensor.make(value, (g,), adjoint_backward)


register(_adjoint, lambda g, parents, saved: (saved.forward(g),), "adjoint_backward")
register(_pick, masked_rule, "picked")


def recompute_rule(forward: Callable[[tuple, Saved], Tensor]) -> Rule:
    """For fused nodes: `forward(parents, saved)` rebuilds the output from covered ops, and
    the gradient is that expression's vector-Jacobian product, itself a graph."""

    def rule(g: Tensor, parents: tuple, saved: Saved):
        with enable_grad():
            # aliases: the walk must stop at this node's parents, whatever lies above them
            aliases = tuple(_alias(p) for p in parents)
            out = forward(aliases, saved)
        wanted = [a for a in aliases if a.requires_grad]
        grads = iter(walk([out], [g], wanted, retain_graph=True) if wanted else ())
        return [next(grads) if a.requires_grad else None for a in aliases]

    return rule


def _identity(g):
    return (g,)


def _alias(p: Tensor) -> Tensor:
    return Tensor.make(p.data, (p,), _identity)


register(_identity, masked_rule, name=None)


def sum_to(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`unbroadcast` with Tensor ops (differentiable): t summed back to `shape`, after
    expanding it first if it is smaller than the broadcast of the two."""
    if t.shape == shape:
        return t
    full = np.broadcast_shapes(t.shape, shape)
    if full != t.shape:
        t = t.expand(full)
    return unbroadcast(t, shape)  # only .sum(axis, keepdims) and .reshape, as Tensor has


# ------------------------------------------------------------------------------ the walk
def _load_rules() -> None:
    if not _loaded[0]:
        from . import higher_order_rules  # noqa: F401  registers on import

        _loaded[0] = True


def _op_name(backward) -> str:
    return getattr(backward, "__qualname__", repr(backward)).split(".<locals>")[0]


def walk(
    outputs: Sequence[Tensor],
    seeds: Sequence[Tensor],
    inputs: Sequence[Tensor] | None,
    retain_graph: bool,
) -> list | None:
    """Backpropagate `seeds` (Tensors, one per output) with Tensor-level rules. With
    `inputs`, return the summed gradient of each (None where none arrives) and touch no
    `.grad`; without, accumulate into leaves' (and retained non-leaves') `.grad`."""
    _load_rules()
    with enable_grad():
        grads: dict[int, Tensor] = {}
        for out, seed in zip(outputs, seeds):
            previous = grads.get(id(out))
            grads[id(out)] = seed if previous is None else previous + seed
        root = Tensor.make(np.zeros((), dtype=np.float32), tuple(outputs), _freed_backward)
    order = _topological_order(root)[1:]
    capture = None
    if inputs is not None:
        capture = {id(t): None for t in inputs}
        order, through = _between(order, capture)
    outer_claims = _claims.claimed
    _claims.claimed = None  # numpy backwards run here must not write optimizer buffers
    try:
        with enable_grad():
            _walk(order, grads, capture, through if capture is not None else None, retain_graph)
    finally:
        _claims.claimed = outer_claims
    if capture is None:
        return None
    return [capture[id(t)] for t in inputs]


def _walk(order, grads, capture, through, retain_graph: bool) -> None:
    anomaly = ANOMALY_MODE.enabled
    for node in order:
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if node._hooks is not None:
            grad = _run_hooks(node, grad)
        if capture is not None:
            if id(node) in capture:
                capture[id(node)] = grad
            if id(node) not in through:
                continue
        backward = node._backward
        if backward is None:
            accumulate(node, grad)
            continue
        if node._retains_grad and capture is None:
            accumulate(node, grad)
        if backward is _freed_backward:
            _freed_backward(None)
        parents = node._parents
        if node._made_at != _inplace_clock[0]:
            node._check_parents_unchanged()
        rule = _RULES.get(getattr(backward, "__code__", None))
        if rule is None:
            raise NotImplementedError(
                f"create_graph=True: the op {_op_name(backward)!r} has no Tensor-level backward "
                "rule, so its gradient cannot be differentiated again; create_graph supports "
                "the ops listed by tinygrad_opt.higher_order.covered_ops() (arithmetic, "
                "elementwise math and activations, matmul/linear, reductions, shape ops, "
                "indexing, cat/stack, softmax, the usual losses, conv2d, pooling, norms)"
            )
        with np.errstate(divide="ignore", invalid="ignore"):  # as the numpy rules: NaN/Inf
            results = rule(grad, parents, Saved(backward, node))
        if not retain_graph:
            node._parents = ()
            node._backward = _freed_backward
        if anomaly:
            check_backward_results(node, backward, results)
        for parent, parent_grad in zip(parents, results):
            if parent_grad is None or not parent.requires_grad:
                continue
            data = parent.data
            if parent_grad.shape != data.shape:
                parent_grad = sum_to(parent_grad, data.shape)
            if parent_grad.dtype != data.dtype:
                parent_grad = parent_grad.astype(data.dtype)
            key = id(parent)
            previous = grads.get(key)
            grads[key] = parent_grad if previous is None else previous + parent_grad


def _run_hooks(node: Tensor, grad: Tensor) -> Tensor:
    """register_hook functions get the Tensor gradient and may return a replacement."""
    for hook in tuple(node._hooks.values()):
        result = hook(grad)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            result = Tensor(np.asarray(result), dtype=node.data.dtype)
        if result.shape != grad.shape:
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                f"{result.shape}; it must keep the shape {grad.shape}"
            )
        grad = result
    return grad


def accumulate(node: Tensor, grad: Tensor) -> None:
    """`.grad` becomes (or is added to, out of place) the graph Tensor `grad`, as torch."""
    if node.grad is None:
        node.grad = grad
    else:
        previous = node.grad
        if not isinstance(previous, Tensor):
            previous = Tensor(previous, dtype=previous.dtype)
        node.grad = previous + grad
    if node._post_accumulate_hooks is not None:
        for hook in tuple(node._post_accumulate_hooks.values()):
            hook(node)
