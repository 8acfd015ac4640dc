"""PyTorch's function spellings of Tensor methods (`tg.exp(x)`, `tg.softmax(x, dim)`,
`tg.matmul(a, b)`, ...), and `allclose` / `isclose`.

Each name is the method itself, so it takes the same arguments (`dim=`/`axis=` and
`keepdim=`/`keepdims=`), except `max` and `min`, which follow torch's three forms:
`max(x)` the largest value; `max(x, dim, keepdim=False)` a `(values, indices)` pair (the
method `x.max(dim)` gives the values only, see API.md); `max(x, other)` the elementwise maximum.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import compare, indexing, linalg, movement, reduce, select, unary
from .select import maximum, minimum
from .softmax import log_softmax, softmax  # noqa: F401 - re-exported as functions
from .sort import ValuesIndices, argsort, sort, topk  # noqa: F401 - re-exported

exp = unary.exp
log = unary.log
sqrt = unary.sqrt
abs = unary.abs  # noqa: A001 - torch's name
tanh = unary.tanh
sigmoid = unary.sigmoid
relu = unary.relu
clamp = unary.clip
clip = unary.clip
matmul = linalg.matmul
flatten = movement.flatten
mean = reduce.mean
sum = reduce.sum  # noqa: A001
argmax = reduce.argmax
argmin = reduce.argmin
square = unary.square
rsqrt = unary.rsqrt
reciprocal = unary.reciprocal
sin = unary.sin
cos = unary.cos
sign = unary.sign
round = unary.round  # noqa: A001
floor = unary.floor
ceil = unary.ceil
nan_to_num = unary.nan_to_num
isnan = unary.isnan
isfinite = unary.isfinite
all = compare.all  # noqa: A001
any = compare.any  # noqa: A001
prod = reduce.prod
cumsum = reduce.cumsum
logsumexp = reduce.logsumexp
amax = reduce.amax
amin = reduce.amin
norm = reduce.norm
masked_fill = select.masked_fill
gather = indexing.gather
index_select = indexing.index_select
mm = linalg.mm
bmm = linalg.bmm
outer = linalg.outer
tril = linalg.tril
triu = linalg.triu
split = movement.split
chunk = movement.chunk


def _extreme(op: str, reduce_fn, arg_fn, pair_fn, x: Tensor, dim, keepdim, axis, keepdims):
    if isinstance(dim, (Tensor, np.ndarray)):
        return pair_fn(x, dim)
    if axis is not None:
        dim = axis
    keep = bool(keepdim if keepdims is None else keepdims)
    if dim is None:
        if keep:
            raise TypeError(f"{op}: keepdim needs a dim, as torch.{op}")
        return reduce_fn(x)
    return ValuesIndices(reduce_fn(x, dim, keep), arg_fn(x, dim, keep))


def max(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """torch.max: the largest value; `(values, indices)` along `dim` (first index of ties);
    or, given a tensor as second argument, the elementwise maximum."""
    return _extreme("max", reduce.max, reduce.argmax, maximum, x, dim, keepdim, axis, keepdims)


def min(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """torch.min, as `max`."""
    return _extreme("min", reduce.min, reduce.argmin, minimum, x, dim, keepdim, axis, keepdims)


def _arrays(a, b) -> tuple[np.ndarray, np.ndarray]:
    return (
        a.data if isinstance(a, Tensor) else np.asarray(a),
        b.data if isinstance(b, Tensor) else np.asarray(b),
    )


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):  # noqa: A002
    """Elementwise |input - other| <= atol + rtol * |other| (a bool Tensor, no graph), as
    torch. Unlike torch, operands of different dtypes are compared instead of refused."""
    a, b = _arrays(input, other)
    return Tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):  # noqa: A002
    """Whether every element is close (see `isclose`); a Python bool, as torch."""
    a, b = _arrays(input, other)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
