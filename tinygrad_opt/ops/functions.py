"""PyTorch's function spellings of Tensor methods (`tg.exp(x)`, `tg.softmax(x, dim)`,
`tg.matmul(a, b)`, ...), and `allclose` / `isclose`.

Each name is the method itself, so it takes the same arguments (`dim=`/`axis=` and
`keepdim=`/`keepdims=`), except `max` and `min`, which follow torch's three forms:
`max(x)` the largest value; `max(x, dim, keepdim=False)` a `(values, indices)` pair (the
method `x.max(dim)` gives the values only, see API.md); `max(x, other)` the elementwise maximum.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor_like
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
isinf = unary.isinf
isposinf = unary.isposinf
isneginf = unary.isneginf
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


# ---- more math, scans, statistics and linear algebra (the methods of ops/__init__.py's
# _MATH_METHODS, plus the function-only einsum, tensordot, cdist, trapezoid, vander, isin,
# var_mean and std_mean)
from . import (  # noqa: E402
    binary_math,
    decompositions,
    determinant,
    products,
    scan,
    solve,
    statistics,
    unary_math,
)
from .distance import cdist  # noqa: E402, F401
from .einsum import einsum  # noqa: E402, F401
from .matrix_exp import matrix_exp  # noqa: E402, F401

acos = arccos = unary_math.acos
asin = arcsin = unary_math.asin
atan = arctan = unary_math.atan
cosh = unary_math.cosh
sinh = unary_math.sinh
tan = unary_math.tan
erf = unary_math.erf
erfc = unary_math.erfc
erfinv = unary_math.erfinv
lgamma = unary_math.lgamma
digamma = unary_math.digamma
log1p = unary_math.log1p
log2 = unary_math.log2
log10 = unary_math.log10
exp2 = unary_math.exp2
expm1 = unary_math.expm1
trunc = fix = unary_math.trunc
frac = unary_math.frac
sgn = unary_math.sgn
signbit = unary_math.signbit
deg2rad = unary_math.deg2rad
rad2deg = unary_math.rad2deg
atan2 = arctan2 = binary_math.atan2
hypot = binary_math.hypot
fmod = binary_math.fmod
remainder = binary_math.remainder
floor_divide = binary_math.floor_divide
true_divide = binary_math.true_divide
float_power = binary_math.float_power
xlogy = binary_math.xlogy
logaddexp = binary_math.logaddexp
logaddexp2 = binary_math.logaddexp2
lerp = binary_math.lerp
isin = binary_math.isin
logical_and = binary_math.logical_and
logical_or = binary_math.logical_or
logical_xor = binary_math.logical_xor
logical_not = binary_math.logical_not
cumprod = scan.cumprod
cummax = scan.cummax
cummin = scan.cummin
logcumsumexp = scan.logcumsumexp
diff = scan.diff
trapezoid = trapz = scan.trapezoid
median = statistics.median
nanmedian = statistics.nanmedian
quantile = statistics.quantile
nanquantile = statistics.nanquantile
mode = statistics.mode
kthvalue = statistics.kthvalue
nansum = statistics.nansum
nanmean = statistics.nanmean
var_mean = statistics.var_mean
std_mean = statistics.std_mean
count_nonzero = statistics.count_nonzero
cov = statistics.cov
corrcoef = statistics.corrcoef
dist = statistics.dist
renorm = statistics.renorm
tensordot = products.tensordot
kron = products.kron
inner = products.inner
ger = linalg.outer
dot = products.dot
vdot = products.vdot
mv = products.mv
addmm = products.addmm
addmv = products.addmv
addbmm = products.addbmm
baddbmm = products.baddbmm
cross = products.cross
vander = products.vander
det = determinant.det
inverse = determinant.inverse
slogdet = determinant.slogdet
logdet = determinant.logdet
pinverse = solve.pinverse
matrix_power = solve.matrix_power
cholesky_solve = solve.cholesky_solve
cholesky_inverse = solve.cholesky_inverse
qr = decompositions.qr_legacy  # torch.qr / torch.svd: the legacy forms (svd returns V)
svd = decompositions.svd_legacy

# ---- torch's function forms of Tensor methods that had none, and of the layout, scatter,
# search and sampling ops (ops/rearrange.py, stacking.py, diagonal.py, scatter.py,
# search.py, in_place.py, random_fill.py). Each is the method itself (same arguments).
from . import arithmetic as _arithmetic  # noqa: E402
from . import diagonal as _diagonal  # noqa: E402
from . import in_place as _in_place  # noqa: E402
from . import index_put as _index_put  # noqa: E402
from . import properties as _properties  # noqa: E402
from . import rearrange as _rearrange  # noqa: E402
from . import scatter as _scatter  # noqa: E402
from . import scatter_reduce as _scatter_reduce  # noqa: E402
from . import search as _search  # noqa: E402
from . import slice_scatter as _slice_scatter  # noqa: E402
from . import stacking as _stacking  # noqa: E402
from . import utility as _utility  # noqa: E402
from .random_fill import bernoulli, multinomial, normal, randint_like  # noqa: E402,F401

_FUNCTION_FORMS = {
    "reshape": movement.reshape,
    "permute": movement.permute,
    "transpose": movement.transpose,
    "squeeze": movement.squeeze,
    "unsqueeze": movement.unsqueeze,
    "t": linalg.t,
    "neg": _arithmetic.neg,
    "negative": _arithmetic.neg,
    "mul": _arithmetic.mul,
    "multiply": _arithmetic.mul,
    "eq": compare.eq,
    "ne": compare.ne,
    "lt": compare.lt,
    "le": compare.le,
    "gt": compare.gt,
    "ge": compare.ge,
    "clone": _utility.clone,
    "std": reduce.std,
    "var": reduce.var,
    "detach": Tensor.detach,
    "swapaxes": _rearrange.swapaxes,
    "swapdims": _rearrange.swapdims,
    "movedim": _rearrange.movedim,
    "moveaxis": _rearrange.moveaxis,
    "narrow": _rearrange.narrow,
    "select": _rearrange.select,
    "unbind": _rearrange.unbind,
    "unflatten": _rearrange.unflatten,
    "roll": _rearrange.roll,
    "fliplr": _rearrange.fliplr,
    "flipud": _rearrange.flipud,
    "rot90": _rearrange.rot90,
    "repeat_interleave": _rearrange.repeat_interleave,
    "broadcast_to": _rearrange.broadcast_to,
    "broadcast_tensors": _rearrange.broadcast_tensors,
    "atleast_1d": _stacking.atleast_1d,
    "atleast_2d": _stacking.atleast_2d,
    "atleast_3d": _stacking.atleast_3d,
    "hstack": _stacking.hstack,
    "vstack": _stacking.vstack,
    "row_stack": _stacking.vstack,
    "dstack": _stacking.dstack,
    "column_stack": _stacking.column_stack,
    "tensor_split": _stacking.tensor_split,
    "hsplit": _stacking.hsplit,
    "vsplit": _stacking.vsplit,
    "dsplit": _stacking.dsplit,
    "meshgrid": _stacking.meshgrid,
    "cartesian_prod": _stacking.cartesian_prod,
    "combinations": _stacking.combinations,
    "block_diag": _stacking.block_diag,
    "diag": _diagonal.diag,
    "diag_embed": _diagonal.diag_embed,
    "diagonal": _diagonal.diagonal,
    "trace": _diagonal.trace,
    "tril_indices": _diagonal.tril_indices,
    "triu_indices": _diagonal.triu_indices,
    "take": _scatter.take,
    "take_along_dim": _scatter.take_along_dim,
    "scatter": _scatter.scatter,
    "scatter_add": _scatter.scatter_add,
    "index_add": _scatter.index_add,
    "index_fill": _scatter.index_fill,
    "index_copy": _scatter.index_copy,
    "masked_scatter": _scatter.masked_scatter,
    "masked_select": _scatter.masked_select,
    "nonzero": _search.nonzero,
    "argwhere": _search.argwhere,
    "unique": _search.unique,
    "unique_consecutive": _search.unique_consecutive,
    "bincount": _search.bincount,
    "histc": _search.histc,
    "searchsorted": _search.searchsorted,
    "bucketize": _search.bucketize,
    "is_floating_point": _properties.is_floating_point,
    "clamp_min": _in_place.clamp_min,
    "clamp_max": _in_place.clamp_max,
    "addcmul": _in_place.addcmul,
    "addcdiv": _in_place.addcdiv,
    "clamp_": _in_place.clamp_,
    "clip_": _in_place.clamp_,
    "clamp_min_": _in_place.clamp_min_,
    "clamp_max_": _in_place.clamp_max_,
    "detach_": _in_place.detach_,
    "fill_": _utility.fill_,
    "zero_": _utility.zero_,
    # the reducing scatters, index_put / put and the *_scatter ops
    "scatter_reduce": _scatter_reduce.scatter_reduce,
    "index_reduce": _scatter_reduce.index_reduce,
    "index_put": _index_put.index_put,
    "index_put_": _in_place.index_put_,
    "put": _index_put.put,
    "slice_scatter": _slice_scatter.slice_scatter,
    "select_scatter": _slice_scatter.select_scatter,
    "diagonal_scatter": _slice_scatter.diagonal_scatter,
}
# names this module already binds (the module `select`) keep their meaning here; the
# package namespace (tinygrad_opt/__init__.py) takes every entry of the table
globals().update({k: v for k, v in _FUNCTION_FORMS.items() if k not in globals()})


def flip(input, dims) -> Tensor:  # noqa: A002 - torch's name
    """torch.flip(input, dims): dims is a sequence here (the method also takes them spread)."""
    return _rearrange.flip(input, dims)


def _scaled(other, alpha):
    if alpha == 1:
        return other
    return _arithmetic.mul(other, alpha) if isinstance(other, Tensor) else other * alpha


def add(input, other, *, alpha=1) -> Tensor:  # noqa: A002
    """input + alpha * other (torch.add); `input` may be a number when `other` is a tensor."""
    other = _scaled(other, alpha)
    if isinstance(input, Tensor):
        return _arithmetic.add(input, other)
    return _arithmetic.add(other, input)


def sub(input, other, *, alpha=1) -> Tensor:  # noqa: A002
    """input - alpha * other (torch.sub / subtract)."""
    other = _scaled(other, alpha)
    if isinstance(input, Tensor):
        return _arithmetic.sub(input, other)
    return _arithmetic.rsub(other, input)


subtract = sub


def div(input, other, *, rounding_mode=None) -> Tensor:  # noqa: A002
    """input / other (torch.div / divide). rounding_mode 'floor' or 'trunc' rounds the
    quotient (a zero gradient, as torch); two integer inputs then give an integer tensor."""
    if rounding_mode not in (None, "floor", "trunc"):
        raise ValueError(
            f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
        )
    if rounding_mode is not None:
        # a Python number takes the tensor's dtype (int32 // 2 stays int32), as torch
        if isinstance(input, Tensor):
            a, b = _arrays(input, as_tensor_like(other, input))
        else:
            a, b = _arrays(as_tensor_like(input, other), other)
        if a.dtype.kind in "iub" and b.dtype.kind in "iub":  # exact integer division
            binary_math._check_integer_divisor("div", a, b)  # as torch, not numpy's 0
            exact = np.floor_divide(a, b)
            if rounding_mode == "trunc":  # floor rounds down; move inexact negative ones up
                exact = exact + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return Tensor(np.asarray(exact).astype(np.result_type(a.dtype, b.dtype)))
    if isinstance(input, Tensor):
        quotient = _arithmetic.div(input, other)
    else:
        quotient = _arithmetic.rdiv(other, input)
    if rounding_mode is None:
        return quotient
    rounded = np.floor(quotient.data) if rounding_mode == "floor" else np.trunc(quotient.data)
    return unary._zero_gradient(quotient, rounded)


divide = div


def pow(input, exponent) -> Tensor:  # noqa: A001,A002
    """input ** exponent (torch.pow); `input` may be a number when exponent is a tensor."""
    if isinstance(input, Tensor):
        return _arithmetic.pow(input, exponent)
    if not isinstance(exponent, Tensor):
        raise TypeError(
            f"pow: input or exponent must be a Tensor, got {type(input).__name__} and "
            f"{type(exponent).__name__} (use ** on numbers)"
        )
    return _arithmetic.rpow(exponent, input)


# ---- torch's function forms of the in-place math, the aliases, the special functions,
# bitwise ops and predicates (ops/in_place_math.py, unary_special.py, binary_extra.py,
# bitwise.py, reshaping_extra.py, tensor_queries.py). Each is the method itself, except
# polygamma (torch.polygamma(n, input)).
from . import as_strided as _as_strided  # noqa: E402
from . import binary_extra as _binary_extra  # noqa: E402
from . import bitwise as _bitwise  # noqa: E402
from . import igamma as _igamma  # noqa: E402
from . import in_place_math as _in_place_math  # noqa: E402
from . import reshaping_extra as _reshaping_extra  # noqa: E402
from . import tensor_queries as _tensor_queries  # noqa: E402
from . import unary_special as _unary_special  # noqa: E402

_MORE_FUNCTION_FORMS = {
    "absolute": unary.abs,
    "greater": compare.gt,
    "greater_equal": compare.ge,
    "less": compare.lt,
    "less_equal": compare.le,
    "not_equal": compare.ne,
    "positive": _unary_special.positive,
    "ravel": _reshaping_extra.ravel,
    "tile": _reshaping_extra.tile,
    "msort": _reshaping_extra.msort,
    "acosh": _unary_special.acosh,
    "arccosh": _unary_special.acosh,
    "asinh": _unary_special.asinh,
    "arcsinh": _unary_special.asinh,
    "atanh": _unary_special.atanh,
    "arctanh": _unary_special.atanh,
    "logit": _unary_special.logit,
    "sinc": _unary_special.sinc,
    "i0": _unary_special.i0,
    "polygamma": _unary_special.polygamma,
    "mvlgamma": _unary_special.mvlgamma,
    "hardshrink": _unary_special.hardshrink,
    "prelu": _unary_special.prelu,
    "fmax": _binary_extra.fmax,
    "fmin": _binary_extra.fmin,
    "copysign": _binary_extra.copysign,
    "heaviside": _binary_extra.heaviside,
    "ldexp": _binary_extra.ldexp,
    "nextafter": _binary_extra.nextafter,
    "frexp": _binary_extra.frexp,
    "bitwise_and": _bitwise.bitwise_and,
    "bitwise_or": _bitwise.bitwise_or,
    "bitwise_xor": _bitwise.bitwise_xor,
    "bitwise_not": _bitwise.bitwise_not,
    "bitwise_left_shift": _bitwise.bitwise_left_shift,
    "bitwise_right_shift": _bitwise.bitwise_right_shift,
    "gcd": _bitwise.gcd,
    "lcm": _bitwise.lcm,
    "igamma": _igamma.igamma,
    "igammac": _igamma.igammac,
    "aminmax": _reshaping_extra.aminmax,
    "as_strided": _as_strided.as_strided,
    "nonzero_static": _search.nonzero_static,
    "split_with_sizes": _reshaping_extra.split_with_sizes,
    "narrow_copy": _reshaping_extra.narrow_copy,
    "diagflat": _reshaping_extra.diagflat,
    "addr": _reshaping_extra.addr,
    "histogram": _reshaping_extra.histogram,
    "equal": _tensor_queries.equal,
    "is_nonzero": _tensor_queries.is_nonzero,
    "is_same_size": _tensor_queries.is_same_size,
    "is_complex": _tensor_queries.is_complex,
    "is_signed": _tensor_queries.is_signed,
    "get_device": _tensor_queries.get_device,
    "is_inference": _tensor_queries.is_inference,
    "real": _tensor_queries.real,
    "imag": _tensor_queries.imag,
    "conj": _tensor_queries.conj,
    "resolve_conj": _tensor_queries.conj,
    "resolve_neg": _tensor_queries.conj,
    "is_conj": _tensor_queries.is_conj,
    "is_neg": _tensor_queries.is_conj,
}
# the in-place forms torch also spells as functions (torch.sin_(x), torch.gcd_(a, b), ...)
_MORE_FUNCTION_FORMS.update(
    {
        name: _in_place_math.METHODS[name]
        for name in (
            "abs_ acos_ arccos_ asin_ arcsin_ atan_ arctan_ ceil_ floor_ round_ trunc_ fix_ "
            "frac_ cos_ cosh_ sin_ sinh_ tan_ tanh_ exp_ exp2_ expm1_ log_ log2_ log10_ "
            "log1p_ sqrt_ rsqrt_ square_ reciprocal_ neg_ negative_ sigmoid_ relu_ erf_ "
            "erfc_ deg2rad_ rad2deg_ xlogy_ nan_to_num_ acosh_ arccosh_ asinh_ arcsinh_ "
            "atanh_ arctanh_ logit_ sinc_ i0_ gcd_ lcm_ ldexp_ addmv_"
        ).split()
    }
)
_FUNCTION_FORMS.update(_MORE_FUNCTION_FORMS)
globals().update({k: v for k, v in _MORE_FUNCTION_FORMS.items() if k not in globals()})
