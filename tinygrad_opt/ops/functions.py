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


# ---- more math, scans, statistics and linear algebra (the methods of ops/__init__.py's
# _MATH_METHODS, plus the function-only einsum, tensordot, cdist, trapezoid, vander, isin,
# var_mean and std_mean)
from . import binary_math, determinant, products, scan, statistics, unary_math  # noqa: E402
from .distance import cdist  # noqa: E402, F401
from .einsum import einsum  # noqa: E402, F401

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
