"""torch.autograd.functional's `jacobian`, `hessian`, `vjp`, `jvp`, `vhp` and `hvp`
(`tinygrad_opt.autograd.functional`).

The function is called once on the inputs: detached copies that require grad, or, with
`create_graph=True` and an input that requires grad, an alias still in the input's graph,
so the result can be differentiated with respect to the original inputs (as PyTorch). The
Jacobian takes one backward pass per output element (as PyTorch without `vectorize`);
`jvp` and `hvp` use the double-backward trick, as PyTorch. Deviations: `vectorize=True` is
accepted and computes the same thing the same way; `strategy="forward-mode"` raises
NotImplementedError (no forward-mode AD); a `v` of the wrong shape or count raises
ValueError (PyTorch: RuntimeError), as `autograd.grad` does here; `hvp` returns v^T H,
which equals H v for the symmetric Hessian of a twice continuously differentiable function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, t in enumerate(values):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t).__name__}.")
    return is_tuple, values


def _prepare(func: Callable, inputs, fn: str, create_graph: bool = False):
    if not callable(func):
        raise TypeError(f"{fn}: func must be callable, got {type(func).__name__}")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    leaves = []
    for i, t in enumerate(inputs):
        if t.data.dtype.kind not in "fc":
            raise TypeError(f"{fn}: input {i} has dtype {t.data.dtype}; only floating inputs "
                            "can be differentiated")
        if create_graph and t.requires_grad:
            from .higher_order import _alias  # an identity node: the result keeps t's graph

            with enable_grad():
                leaves.append(_alias(t))
        else:
            leaves.append(t.detach().requires_grad_(True))
    with enable_grad():
        outputs = func(*leaves)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn)
    return is_inputs_tuple, tuple(leaves), is_outputs_tuple, outputs


def _grads(output: Tensor, seed, inputs: tuple[Tensor, ...], create_graph: bool = False) -> list:
    """d(sum(output * seed)) / d(input), None where the output does not depend on it: arrays,
    or graph Tensors with `create_graph`."""
    from .autograd import grad  # imported here: autograd imports this module

    if not output.requires_grad:
        return [None] * len(inputs)
    if not isinstance(seed, Tensor):
        seed = Tensor(seed, dtype=seed.dtype)
    grads = grad(output, inputs, grad_outputs=seed, retain_graph=True,
                 create_graph=create_graph, allow_unused=True)  # fmt: skip
    if create_graph:
        return list(grads)
    return [None if g is None else g.data for g in grads]


def _result(outputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """The function's outputs: detached, or as they are with `create_graph` (as torch)."""
    return outputs if create_graph else tuple(o.detach() for o in outputs)


def jacobian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of `func` at `inputs`, as torch.autograd.functional.jacobian.

    Entry [i][j] has shape outputs[i].shape + inputs[j].shape; a non-tuple input or output
    drops that level of nesting (one Tensor for a Tensor -> Tensor function). With
    `strict=True` an output independent of an input raises RuntimeError, else that block is
    zero. With `create_graph=True` the blocks are graph Tensors (differentiable again).
    `vectorize` is accepted (same result, same method)."""
    del vectorize
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         "If your function has one input and many outputs, use forward-mode.")
    if strategy == "forward-mode":
        raise NotImplementedError("jacobian: strategy='forward-mode' is not supported (there is "
                                  "no forward-mode AD); use the default 'reverse-mode'")
    is_inputs_tuple, inputs, is_outputs_tuple, outputs = _prepare(
        func, inputs, "jacobian", create_graph
    )
    rows = []
    for i, out in enumerate(outputs):
        blocks = [np.zeros((out.data.size, x.data.size), dtype=x.data.dtype) for x in inputs]
        graph_rows: list[list] = [[] for _ in inputs]  # per input, one Tensor per output element
        used = [False] * len(inputs)
        seed = np.zeros(out.data.shape, dtype=out.data.dtype)
        flat = seed.reshape(-1)
        for k in range(out.data.size):  # one backward per output element (reverse mode)
            flat[k] = 1
            for j, g in enumerate(_grads(out, seed.copy(), inputs, create_graph)):
                if g is not None:
                    used[j] = True
                    if create_graph:
                        g = g.reshape(-1)
                    else:
                        blocks[j][k] = g.reshape(-1)
                if create_graph:
                    graph_rows[j].append(g)
            flat[k] = 0
        if strict and out.data.size:
            for j, was_used in enumerate(used):
                if not was_used:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {j}. This is not allowed in strict mode.")
        if create_graph:
            row = tuple(_stacked(parts, b, out, x)
                        for parts, b, x in zip(graph_rows, blocks, inputs))  # fmt: skip
        else:
            row = tuple(Tensor(b.reshape(out.data.shape + x.data.shape), dtype=b.dtype)
                        for b, x in zip(blocks, inputs))  # fmt: skip
        rows.append(row if is_inputs_tuple else row[0])
    return tuple(rows) if is_outputs_tuple else rows[0]


def _stacked(parts: list, zeros: np.ndarray, out: Tensor, x: Tensor) -> Tensor:
    """The graph rows of one Jacobian block stacked (zeros for rows without gradient)."""
    from .ops.join import stack

    shape = out.data.shape + x.data.shape
    if not any(p is not None for p in parts):
        return Tensor(zeros.reshape(shape), dtype=zeros.dtype)
    filled = [Tensor(zeros[0], dtype=zeros.dtype) if p is None else p for p in parts]
    return stack(filled, 0).reshape(shape)


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J), as torch.autograd.functional.vjp: the outputs detached and the
    vector-Jacobian product with `v` (shaped like the outputs; may be None only for a single
    one-element output). With `strict=True` an input no output depends on raises
    RuntimeError, else its product is zero. With `create_graph=True` the outputs keep their
    graph and the product is a graph Tensor."""
    is_inputs_tuple, inputs, is_outputs_tuple, outputs = _prepare(func, inputs, "vjp",
                                                                  create_graph)  # fmt: skip
    if v is None:
        if len(outputs) != 1 or outputs[0].data.size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        seeds = [np.ones_like(outputs[0].data)]
    else:
        _, vs = _as_tuple(v, "v", "vjp")
        if len(vs) != len(outputs):
            raise ValueError(f"vjp: v has {len(vs)} Tensors but the function returned "
                             f"{len(outputs)} outputs")
        seeds = []
        for i, (vi, out) in enumerate(zip(vs, outputs)):
            if vi.shape != out.shape:
                raise ValueError(f"v has invalid size: should be {tuple(out.shape)} but got "
                                 f"{tuple(vi.shape)} (v[{i}])")
            # a v with a graph stays in it under create_graph (the result depends on it too)
            same = vi.data.dtype == out.data.dtype
            seeds.append(vi if create_graph and same else vi.data.astype(out.data.dtype))
    totals: list = [None] * len(inputs)
    for out, seed in zip(outputs, seeds):
        if create_graph and isinstance(seed, np.ndarray):
            seed = Tensor(seed, dtype=seed.dtype)
        for j, g in enumerate(_grads(out, seed, inputs, create_graph)):
            if g is not None:
                if totals[j] is None:
                    totals[j] = g if create_graph else g.copy()
                else:
                    totals[j] = totals[j] + g
    result = []
    for j, (x, g) in enumerate(zip(inputs, totals)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {j}. This is not allowed in strict mode.")
            g = np.zeros_like(x.data)
        result.append(g if isinstance(g, Tensor) else Tensor(g, dtype=x.data.dtype))
    detached = _result(outputs, create_graph)
    return (detached if is_outputs_tuple else detached[0],
            tuple(result) if is_inputs_tuple else result[0])  # fmt: skip


def _scalar_function(func: Callable, fn: str) -> Callable:
    def checked(*inputs):
        out = func(*inputs)
        if isinstance(out, tuple):
            if len(out) != 1:
                raise RuntimeError(f"The function given to {fn} should return a single Tensor")
            out = out[0]
        if not isinstance(out, Tensor):
            raise TypeError(f"The function given to {fn} should return a Tensor, got "
                            f"{type(out).__name__}")
        if out.data.size != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                               f"contain a single element, got shape {tuple(out.shape)}")
        return out.reshape(())

    return checked


def hessian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of the scalar function `func` at `inputs`, as
    torch.autograd.functional.hessian: the Jacobian of its gradient. Entry [i][j] has shape
    inputs[i].shape + inputs[j].shape (one Tensor for a single input)."""
    if outer_jacobian_strategy == "forward-mode":
        raise NotImplementedError("hessian: outer_jacobian_strategy='forward-mode' is not "
                                  "supported (there is no forward-mode AD)")
    is_inputs_tuple, _ = _as_tuple(inputs, "inputs", "hessian")
    scalar = _scalar_function(func, "hessian")

    def gradient(*xs):
        jac = jacobian(scalar, xs, create_graph=True, strict=strict)
        return jac if is_inputs_tuple else jac[0]

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                    vectorize=vectorize, strategy=outer_jacobian_strategy)  # fmt: skip


def _v_tuple(v, inputs: tuple[Tensor, ...], fn: str) -> tuple[Tensor, ...]:
    """`v` shaped like the inputs (None only for one one-element input: ones)."""
    if v is None:
        if len(inputs) != 1 or inputs[0].data.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        return (Tensor(np.ones_like(inputs[0].data), dtype=inputs[0].data.dtype),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(inputs):
        raise ValueError(f"{fn}: v has {len(vs)} Tensors but there are {len(inputs)} inputs")
    for i, (vi, x) in enumerate(zip(vs, inputs)):
        if vi.shape != x.shape:
            raise ValueError(f"v has invalid size: should be {tuple(x.shape)} but got "
                             f"{tuple(vi.shape)} (v[{i}])")
    return vs


def _zeros_or(grads: list, like: tuple[Tensor, ...], strict: bool, fn: str, what: str) -> list:
    result = []
    for j, (g, x) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output of the user-provided function is "
                                   f"independent of {what} {j}. This is not allowed in strict "
                                   "mode.")  # fmt: skip
            g = Tensor(np.zeros_like(x.data), dtype=x.data.dtype)
        result.append(g)
    return result


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar `func`, as torch.autograd.functional.vhp; `v` is
    shaped like the inputs (None only for a single one-element input)."""
    from .autograd import grad

    is_inputs_tuple, inputs, _, outputs = _prepare(func, inputs, "vhp", create_graph)
    if len(outputs) != 1 or outputs[0].data.size != 1:
        raise RuntimeError("The function given to vhp should return a single Tensor "
                           "containing a single element")
    vs = _v_tuple(v, inputs, "vhp")
    out = outputs[0]
    first = [None] * len(inputs)
    if out.requires_grad:
        first = list(grad(out, inputs, create_graph=True, allow_unused=True))
    used = [(g, vi) for g, vi in zip(first, vs) if g is not None and g.requires_grad]
    second = [None] * len(inputs)
    if used:
        second = list(grad([g for g, _ in used], inputs, grad_outputs=[vi for _, vi in used],
                           create_graph=create_graph, allow_unused=True))  # fmt: skip
    result = _zeros_or(second, inputs, strict, "vhp", "input")
    (value,) = _result(outputs, create_graph)
    return value, (tuple(result) if is_inputs_tuple else result[0])


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a scalar `func`, as torch.autograd.functional.hvp. Computed
    as v^T H (`vhp`): the Hessian of a twice continuously differentiable function is
    symmetric, so the two agree (PyTorch uses a double backward for the same value)."""
    return vhp(func, inputs, v, create_graph, strict)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), as torch.autograd.functional.jvp, by the double-backward trick:
    the vector-Jacobian product with a zero vector u that requires grad is linear in u, and
    its gradient with respect to u along v is J v. `v` is shaped like the inputs (None only
    for a single one-element input)."""
    from .autograd import grad

    is_inputs_tuple, inputs, is_outputs_tuple, outputs = _prepare(func, inputs, "jvp",
                                                                  create_graph)  # fmt: skip
    vs = _v_tuple(v, inputs, "jvp")
    live = [o for o in outputs if o.requires_grad]
    us = [Tensor(np.zeros_like(o.data), dtype=o.data.dtype).requires_grad_() for o in live]
    first = [None] * len(inputs)
    if live:
        first = list(grad(live, inputs, grad_outputs=us, create_graph=True, allow_unused=True))
    used = [(g, vi) for g, vi in zip(first, vs) if g is not None and g.requires_grad]
    products = {}
    if used:
        found = grad([g for g, _ in used], us, grad_outputs=[vi for _, vi in used],
                     create_graph=create_graph, allow_unused=True)  # fmt: skip
        products = {id(o): p for o, p in zip(live, found)}
    result = _zeros_or([products.get(id(o)) for o in outputs], outputs, strict, "jvp", "output")
    values = _result(outputs, create_graph)
    return (values if is_outputs_tuple else values[0],
            tuple(result) if is_outputs_tuple else result[0])  # fmt: skip
