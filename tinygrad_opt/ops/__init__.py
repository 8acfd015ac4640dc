"""Tensor ops, one file per family, bound here as `Tensor` methods and operators.

Every op records itself with `Tensor.make(out, parents, backward)`; see tensor.py.
"""

from __future__ import annotations

from ..tensor import Tensor
from . import (
    arithmetic,
    cast,
    compare,
    indexing,
    linalg,
    movement,
    reduce,
    select,
    softmax,
    sort,
    unary,
)
from .creation import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from .join import cat, stack
from .select import maximum, minimum, where

__all__ = [
    "arange",
    "cat",
    "full",
    "maximum",
    "minimum",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "stack",
    "where",
    "zeros",
    "zeros_like",
]


_OPERATORS = {
    "__add__": arithmetic.add,
    "__radd__": arithmetic.add,
    "__sub__": arithmetic.sub,
    "__rsub__": arithmetic.rsub,
    "__mul__": arithmetic.mul,
    "__rmul__": arithmetic.mul,
    "__truediv__": arithmetic.div,
    "__rtruediv__": arithmetic.rdiv,
    "__pow__": arithmetic.pow,
    "__rpow__": arithmetic.rpow,
    "__neg__": arithmetic.neg,
    "__iadd__": arithmetic.in_place("+=", arithmetic.add),
    "__isub__": arithmetic.in_place("-=", arithmetic.sub),
    "__imul__": arithmetic.in_place("*=", arithmetic.mul),
    "__itruediv__": arithmetic.in_place("/=", arithmetic.div),
    "__ipow__": arithmetic.in_place("**=", arithmetic.pow),
    "__matmul__": linalg.matmul,
    "__rmatmul__": linalg.rmatmul,
    "__getitem__": indexing.getitem,
    "__lt__": compare.lt,
    "__le__": compare.le,
    "__gt__": compare.gt,
    "__ge__": compare.ge,
    "__eq__": compare.eq,
    "__ne__": compare.ne,
    "__invert__": compare.invert,
    "__and__": compare.logical_and,
    "__or__": compare.logical_or,
}

_METHODS = {
    "add": arithmetic.add,
    "sub": arithmetic.sub,
    "mul": arithmetic.mul,
    "div": arithmetic.div,
    "pow": arithmetic.pow,
    "neg": arithmetic.neg,
    "matmul": linalg.matmul,
    "sum": reduce.sum,
    "mean": reduce.mean,
    "max": reduce.max,
    "min": reduce.min,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "var": reduce.var,
    "std": reduce.std,
    "exp": unary.exp,
    "log": unary.log,
    "sqrt": unary.sqrt,
    "abs": unary.abs,
    "tanh": unary.tanh,
    "sigmoid": unary.sigmoid,
    "relu": unary.relu,
    "leaky_relu": unary.leaky_relu,
    "gelu": unary.gelu,
    "clip": unary.clip,
    "clamp": unary.clip,
    "softmax": softmax.softmax,
    "log_softmax": softmax.log_softmax,
    "reshape": movement.reshape,
    "view": movement.reshape,
    "transpose": movement.transpose,
    "permute": movement.permute,
    "flatten": movement.flatten,
    "squeeze": movement.squeeze,
    "unsqueeze": movement.unsqueeze,
    "expand": movement.expand,
    "pad": movement.pad,
    "maximum": maximum,
    "minimum": minimum,
    "astype": cast.astype,
    "float": cast.to_float,
    "double": cast.to_double,
    "long": cast.to_long,
    "half": cast.to_half,
    "bool": cast.to_bool,
    "view_as": movement.reshape_as,
    "reshape_as": movement.reshape_as,
    "expand_as": movement.expand_as,
    "int": cast.to_int,
    "eq": compare.eq,
    "ne": compare.ne,
    "lt": compare.lt,
    "le": compare.le,
    "gt": compare.gt,
    "ge": compare.ge,
}

# Math, reductions, selection and shape methods ported PyTorch training code uses.
_METHODS.update(
    {
        "square": unary.square,
        "rsqrt": unary.rsqrt,
        "reciprocal": unary.reciprocal,
        "sin": unary.sin,
        "cos": unary.cos,
        "sign": unary.sign,
        "round": unary.round,
        "floor": unary.floor,
        "ceil": unary.ceil,
        "nan_to_num": unary.nan_to_num,
        "isnan": unary.isnan,
        "isfinite": unary.isfinite,
        "all": compare.all,
        "any": compare.any,
        "prod": reduce.prod,
        "cumsum": reduce.cumsum,
        "logsumexp": reduce.logsumexp,
        "amax": reduce.amax,
        "amin": reduce.amin,
        "norm": reduce.norm,
        "masked_fill": select.masked_fill,
        "where": select.where_method,
        "gather": indexing.gather,
        "index_select": indexing.index_select,
        "sort": sort.sort,
        "argsort": sort.argsort,
        "topk": sort.topk,
        "t": linalg.t,
        "mm": linalg.mm,
        "bmm": linalg.bmm,
        "outer": linalg.outer,
        "tril": linalg.tril,
        "triu": linalg.triu,
        "split": movement.split,
        "chunk": movement.chunk,
        "repeat": movement.repeat,
    }
)

for _name, _fn in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(movement.T, doc="All dimensions reversed (numpy's .T).")

# ---- PyTorch's Tensor conveniences (ops/utility.py): conversion, copies, new_*, fills, hooks
from . import utility  # noqa: E402  (a block of its own, apart from the tables above)

_UTILITY_METHODS = {
    "to": utility.to,
    "type": utility.type,
    "type_as": utility.type_as,
    "clone": utility.clone,
    "numel": utility.numel,
    "dim": utility.dim,
    "tolist": utility.tolist,
    "cpu": utility.cpu,
    "contiguous": utility.contiguous,
    "new_zeros": utility.new_zeros,
    "new_ones": utility.new_ones,
    "new_empty": utility.new_empty,
    "new_full": utility.new_full,
    "new_tensor": utility.new_tensor,
    "zero_": utility.zero_,
    "fill_": utility.fill_,
    "add_": utility.add_,
    "sub_": utility.sub_,
    "mul_": utility.mul_,
    "div_": utility.div_,
    "copy_": utility.copy_,
    "register_hook": utility.register_hook,
}
for _name, _fn in _UTILITY_METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.device = property(utility.tensor_device, doc="The device: always device('cpu').")
