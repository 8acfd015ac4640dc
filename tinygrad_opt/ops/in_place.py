"""In-place forms of ops (`clamp_`, `masked_fill_`, `scatter_`, `index_add_`, ...), the
out-of-place `clamp_min`/`clamp_max`/`addcmul`/`addcdiv`, and `detach_`.

An in-place op computes its out-of-place result outside the graph, writes it into x's array
(views, detach() and optimizer buffers see it) and marks x changed, so a recorded op that
used x refuses to backpropagate. As the project's other in-place methods (ops/utility.py),
they are refused on a tensor that requires grad, and with an operand that requires grad,
while grad mode is on (PyTorch refuses the leaf case and records the others); the result must
keep x's shape (only the operands broadcast) and be storable in x's dtype.
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import GRAD_MODE, no_grad
from ..tensor import Tensor, _graph_probe, mark_changed
from . import arithmetic, scatter, select, unary
from .utility import _check_in_place


def apply_in_place(op: str, x: Tensor, compute, *operands) -> Tensor:
    """Write `compute()` (evaluated without recording) into x's array; returns x."""
    _check_in_place(op, x)
    for operand in operands:
        if isinstance(operand, Tensor) and operand.requires_grad and GRAD_MODE.enabled:
            raise RuntimeError(
                f"{op}: an operand requires grad, so the update would have to be recorded; "
                "do it inside no_grad() or use the out-of-place form"
            )
    with no_grad():
        out = compute()
    result = out.data
    if result.shape != x.data.shape:
        raise ValueError(
            f"{op}: the result has shape {result.shape} but the tensor has shape "
            f"{x.data.shape}; in place, only the other operands may broadcast"
        )
    if not np.can_cast(result.dtype, x.data.dtype, casting="same_kind"):
        raise TypeError(
            f"{op}: the result's dtype {result.dtype} cannot be stored in place in a "
            f"{x.data.dtype} tensor"
        )
    np.copyto(x.data, result, casting="same_kind")
    mark_changed(x)
    if _graph_probe[0] is not None:  # utils.checkpoint: x now holds what the op made
        _graph_probe[0]((out,), x)
    return x


def clamp_min(x: Tensor, min) -> Tensor:  # noqa: A002 - torch's name
    """clamp(x, min=min) (torch.clamp_min)."""
    return unary.clip(x, min=min)


def clamp_max(x: Tensor, max) -> Tensor:  # noqa: A002
    """clamp(x, max=max) (torch.clamp_max)."""
    return unary.clip(x, max=max)


def clamp_(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    """clamp in place (Tensor.clamp_ / clip_)."""
    return apply_in_place("clamp_", x, lambda: unary.clip(x, min, max), min, max)


def clamp_min_(x: Tensor, min) -> Tensor:  # noqa: A002
    return apply_in_place("clamp_min_", x, lambda: unary.clip(x, min=min), min)


def clamp_max_(x: Tensor, max) -> Tensor:  # noqa: A002
    return apply_in_place("clamp_max_", x, lambda: unary.clip(x, max=max), max)


def addcmul(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """x + value * tensor1 * tensor2 (torch.addcmul), differentiable in all three."""
    return arithmetic.add(x, arithmetic.mul(arithmetic.mul(tensor1, value), tensor2))


def addcdiv(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """x + value * tensor1 / tensor2 (torch.addcdiv), differentiable in all three; integer
    tensor1 and tensor2 are refused, as torch."""
    for name, t in (("tensor1", tensor1), ("tensor2", tensor2)):
        if isinstance(t, Tensor) and t.data.dtype.kind != "f":
            raise TypeError(f"addcdiv: {name} must be floating point, got {t.data.dtype}")
    return arithmetic.add(x, arithmetic.div(arithmetic.mul(tensor1, value), tensor2))


def addcmul_(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """x += value * tensor1 * tensor2, in place (as an optimizer's second-moment update)."""
    return apply_in_place(
        "addcmul_", x, lambda: addcmul(x, tensor1, tensor2, value=value), tensor1, tensor2
    )


def addcdiv_(x: Tensor, tensor1, tensor2, *, value=1) -> Tensor:
    """x += value * tensor1 / tensor2, in place."""
    return apply_in_place(
        "addcdiv_", x, lambda: addcdiv(x, tensor1, tensor2, value=value), tensor1, tensor2
    )


def masked_fill_(x: Tensor, mask, value) -> Tensor:
    """masked_fill in place; the mask must broadcast to x's shape."""
    return apply_in_place("masked_fill_", x, lambda: select.masked_fill(x, mask, value), value)


def masked_scatter_(x: Tensor, mask, source) -> Tensor:
    return apply_in_place(
        "masked_scatter_", x, lambda: scatter.masked_scatter(x, mask, source), source
    )


def scatter_(x: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    return apply_in_place(
        "scatter_",
        x,
        lambda: scatter.scatter(x, dim, index, src, value=value, reduce=reduce),
        src,
    )


def scatter_add_(x: Tensor, dim: int, index, src) -> Tensor:
    return apply_in_place("scatter_add_", x, lambda: scatter.scatter_add(x, dim, index, src), src)


def index_add_(x: Tensor, dim: int, index, source, *, alpha=1) -> Tensor:
    return apply_in_place(
        "index_add_", x, lambda: scatter.index_add(x, dim, index, source, alpha=alpha), source
    )


def index_fill_(x: Tensor, dim: int, index, value) -> Tensor:
    return apply_in_place("index_fill_", x, lambda: scatter.index_fill(x, dim, index, value), value)


def index_copy_(x: Tensor, dim: int, index, source) -> Tensor:
    return apply_in_place(
        "index_copy_", x, lambda: scatter.index_copy(x, dim, index, source), source
    )


def detach_(x: Tensor) -> Tensor:
    """Cut x from the graph in place: it becomes a leaf that does not require grad."""
    x.requires_grad = False
    x._parents = ()
    x._backward = None
    x._retains_grad = False
    return x


# ---- in-place forms of the reducing scatters, index_put and put (ops/scatter_reduce.py,
# ops/index_put.py)
from . import index_put as _index_put  # noqa: E402
from . import scatter_reduce as _scatter_reduce  # noqa: E402


def scatter_reduce_(x: Tensor, dim: int, index, src, reduce: str, *, include_self: bool = True
                    ) -> Tensor:
    return apply_in_place(
        "scatter_reduce_",
        x,
        lambda: _scatter_reduce.scatter_reduce(x, dim, index, src, reduce,
                                               include_self=include_self),
        src,
    )


def index_reduce_(x: Tensor, dim: int, index, source, reduce: str, *, include_self: bool = True
                  ) -> Tensor:
    return apply_in_place(
        "index_reduce_",
        x,
        lambda: _scatter_reduce.index_reduce(x, dim, index, source, reduce,
                                             include_self=include_self),
        source,
    )


def index_put_(x: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    return apply_in_place(
        "index_put_", x, lambda: _index_put.index_put(x, indices, values, accumulate), values
    )


def put_(x: Tensor, index, source, accumulate: bool = False) -> Tensor:
    return apply_in_place("put_", x, lambda: _index_put.put(x, index, source, accumulate), source)
