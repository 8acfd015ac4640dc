"""torch.autograd.functional's first-order `jacobian` and `vjp`
(`tinygrad_opt.autograd.functional`).

The function is called once on detached copies of the inputs (sharing their data) that
require grad; the Jacobian takes one backward pass per output element (as PyTorch without
`vectorize`). Deviations: `create_graph=True` raises NotImplementedError (the engine is
first-order); `vectorize=True` is accepted and computes the same thing the same way;
`strategy="forward-mode"` raises NotImplementedError (no forward-mode AD); a `v` of the
wrong shape or count raises ValueError (PyTorch: RuntimeError), as `autograd.grad` does here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["jacobian", "vjp"]

_FIRST_ORDER = (
    "create_graph=True is not supported: the engine is first-order (backward rules work on "
    "numpy arrays and record no graph), so the result cannot be differentiated again"
)


def _as_tuple(value, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, t in enumerate(values):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t).__name__}.")
    return is_tuple, values


def _prepare(func: Callable, inputs, fn: str):
    if not callable(func):
        raise TypeError(f"{fn}: func must be callable, got {type(func).__name__}")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    leaves = []
    for i, t in enumerate(inputs):
        if t.data.dtype.kind not in "fc":
            raise TypeError(f"{fn}: input {i} has dtype {t.data.dtype}; only floating inputs "
                            "can be differentiated")
        leaves.append(t.detach().requires_grad_(True))
    with enable_grad():
        outputs = func(*leaves)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn)
    return is_inputs_tuple, tuple(leaves), is_outputs_tuple, outputs


def _grads(output: Tensor, seed: np.ndarray, inputs: tuple[Tensor, ...]) -> list:
    """d(sum(output * seed)) / d(input) as arrays, None where the output does not depend on it."""
    from .autograd import grad  # imported here: autograd imports this module

    if not output.requires_grad:
        return [None] * len(inputs)
    grads = grad(output, inputs, grad_outputs=Tensor(seed, dtype=seed.dtype),
                 retain_graph=True, allow_unused=True)  # fmt: skip
    return [None if g is None else g.data for g in grads]


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
    zero. `vectorize` is accepted (same result, same method)."""
    del vectorize
    if create_graph:
        raise NotImplementedError(f"jacobian: {_FIRST_ORDER}")
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         "If your function has one input and many outputs, use forward-mode.")
    if strategy == "forward-mode":
        raise NotImplementedError("jacobian: strategy='forward-mode' is not supported (there is "
                                  "no forward-mode AD); use the default 'reverse-mode'")
    is_inputs_tuple, inputs, is_outputs_tuple, outputs = _prepare(func, inputs, "jacobian")
    rows = []
    for i, out in enumerate(outputs):
        blocks = [np.zeros((out.data.size, x.data.size), dtype=x.data.dtype) for x in inputs]
        used = [False] * len(inputs)
        seed = np.zeros(out.data.shape, dtype=out.data.dtype)
        flat = seed.reshape(-1)
        for k in range(out.data.size):  # one backward per output element (reverse mode)
            flat[k] = 1
            for j, g in enumerate(_grads(out, seed, inputs)):
                if g is not None:
                    blocks[j][k] = g.reshape(-1)
                    used[j] = True
            flat[k] = 0
        if strict and out.data.size:
            for j, was_used in enumerate(used):
                if not was_used:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {j}. This is not allowed in strict mode.")
        row = tuple(Tensor(b.reshape(out.data.shape + x.data.shape), dtype=b.dtype)
                    for b, x in zip(blocks, inputs))  # fmt: skip
        rows.append(row if is_inputs_tuple else row[0])
    return tuple(rows) if is_outputs_tuple else rows[0]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J), as torch.autograd.functional.vjp: the outputs detached and the
    vector-Jacobian product with `v` (shaped like the outputs; may be None only for a single
    one-element output). With `strict=True` an input no output depends on raises
    RuntimeError, else its product is zero."""
    if create_graph:
        raise NotImplementedError(f"vjp: {_FIRST_ORDER}")
    is_inputs_tuple, inputs, is_outputs_tuple, outputs = _prepare(func, inputs, "vjp")
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
            seeds.append(vi.data.astype(out.data.dtype, copy=False))
    totals: list = [None] * len(inputs)
    for out, seed in zip(outputs, seeds):
        for j, g in enumerate(_grads(out, seed, inputs)):
            if g is not None:
                totals[j] = g.copy() if totals[j] is None else totals[j] + g
    result = []
    for j, (x, g) in enumerate(zip(inputs, totals)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {j}. This is not allowed in strict mode.")
            g = np.zeros_like(x.data)
        result.append(Tensor(g, dtype=x.data.dtype))
    detached = tuple(o.detach() for o in outputs)
    return (detached if is_outputs_tuple else detached[0],
            tuple(result) if is_inputs_tuple else result[0])  # fmt: skip
