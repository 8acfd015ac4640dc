"""In-place forms of the elementwise math, comparisons, logical ops, scans and triangles
(`sin_`, `pow_`, `eq_`, `logical_and_`, `cumsum_`, `tril_`, ...), and the in-place view
changes `t_ transpose_ squeeze_ unsqueeze_ swapaxes_ swapdims_`.

Each runs its out-of-place op through `apply_in_place` (ops/in_place.py): refused on a
tensor that requires grad while grad mode is on (PyTorch refuses the leaf case and records
the others), and with an operand that requires grad; the result must keep x's shape and be
storable in x's dtype (`int_tensor.sqrt_()` raises TypeError where PyTorch raises
RuntimeError), and a refused call leaves x unchanged. A comparison or logical op stores its
truth values as x's dtype (1.0 / 0.0 in a float tensor), as PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor, mark_changed
from . import (
    arithmetic,
    binary_math,
    compare,
    linalg,
    movement,
    rearrange,
    reduce,
    scan,
    statistics,
    unary,
    unary_math,
)
from .in_place import apply_in_place
from .utility import _check_in_place


def _in_place_form(name: str, fn):
    """`x.name(*args)`: `fn(x, *args)` written into x; tensor arguments are operands."""

    def method(x: Tensor, *args, **kwargs) -> Tensor:
        return apply_in_place(
            name, x, lambda: fn(x, *args, **kwargs), *args, *kwargs.values()
        )

    method.__name__ = name
    method.__qualname__ = name
    method.__doc__ = f"`{name[:-1]}` in place; returns x."
    return method


def float_power_(x: Tensor, exponent) -> Tensor:
    """float_power in place: x must be float64, as PyTorch (the result is always float64)."""
    if x.data.dtype != np.float64:
        raise TypeError(
            f"float_power_: the result is float64, so x must be float64, got {x.data.dtype}"
        )
    return apply_in_place(
        "float_power_", x, lambda: binary_math.float_power(x, exponent), exponent
    )


_OUT_OF_PLACE = {
    "abs_": unary.abs,
    "absolute_": unary.abs,
    "acos_": unary_math.acos,
    "arccos_": unary_math.acos,
    "asin_": unary_math.asin,
    "arcsin_": unary_math.asin,
    "atan_": unary_math.atan,
    "arctan_": unary_math.atan,
    "atan2_": binary_math.atan2,
    "arctan2_": binary_math.atan2,
    "ceil_": unary.ceil,
    "floor_": unary.floor,
    "round_": unary.round,
    "trunc_": unary_math.trunc,
    "fix_": unary_math.trunc,
    "frac_": unary_math.frac,
    "cos_": unary.cos,
    "cosh_": unary_math.cosh,
    "sin_": unary.sin,
    "sinh_": unary_math.sinh,
    "tan_": unary_math.tan,
    "tanh_": unary.tanh,
    "exp_": unary.exp,
    "exp2_": unary_math.exp2,
    "expm1_": unary_math.expm1,
    "log_": unary.log,
    "log2_": unary_math.log2,
    "log10_": unary_math.log10,
    "log1p_": unary_math.log1p,
    "sqrt_": unary.sqrt,
    "rsqrt_": unary.rsqrt,
    "square_": unary.square,
    "reciprocal_": unary.reciprocal,
    "neg_": arithmetic.neg,
    "negative_": arithmetic.neg,
    "sign_": unary.sign,
    "sgn_": unary_math.sgn,
    "sigmoid_": unary.sigmoid,
    "relu_": unary.relu,
    "erf_": unary_math.erf,
    "erfc_": unary_math.erfc,
    "erfinv_": unary_math.erfinv,
    "lgamma_": unary_math.lgamma,
    "digamma_": unary_math.digamma,
    "deg2rad_": unary_math.deg2rad,
    "rad2deg_": unary_math.rad2deg,
    "fmod_": binary_math.fmod,
    "remainder_": binary_math.remainder,
    "hypot_": binary_math.hypot,
    "lerp_": binary_math.lerp,
    "pow_": arithmetic.pow,
    "floor_divide_": binary_math.floor_divide,
    "xlogy_": binary_math.xlogy,
    "nan_to_num_": unary.nan_to_num,
    "renorm_": statistics.renorm,
    "cumsum_": reduce.cumsum,
    "cumprod_": scan.cumprod,
    "logical_and_": binary_math.logical_and,
    "logical_or_": binary_math.logical_or,
    "logical_xor_": binary_math.logical_xor,
    "logical_not_": binary_math.logical_not,
    "eq_": compare.eq,
    "ne_": compare.ne,
    "not_equal_": compare.ne,
    "lt_": compare.lt,
    "less_": compare.lt,
    "le_": compare.le,
    "less_equal_": compare.le,
    "gt_": compare.gt,
    "greater_": compare.gt,
    "ge_": compare.ge,
    "greater_equal_": compare.ge,
    "tril_": linalg.tril,
    "triu_": linalg.triu,
}

METHODS = {name: _in_place_form(name, fn) for name, fn in _OUT_OF_PLACE.items()}
METHODS["float_power_"] = float_power_


# ---- in-place view changes: x's array is replaced by a view of itself with a new shape
def _view_in_place(op: str, x: Tensor, compute) -> Tensor:
    _check_in_place(op, x)
    with no_grad():
        out = compute()
    x.data = out.data
    # an op that used x saw the old shape: its backward must not run with the new one
    mark_changed(x)
    return x


def t_(x: Tensor) -> Tensor:
    """t() in place: x becomes its own transpose (a view of the same memory)."""
    return _view_in_place("t_", x, lambda: linalg.t(x))


def transpose_(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return _view_in_place("transpose_", x, lambda: movement.transpose(x, dim0, dim1))


def swapaxes_(x: Tensor, axis0: int, axis1: int) -> Tensor:
    return _view_in_place("swapaxes_", x, lambda: rearrange.swapaxes(x, axis0, axis1))


def swapdims_(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return _view_in_place("swapdims_", x, lambda: rearrange.swapdims(x, dim0, dim1))


def squeeze_(x: Tensor, dim=None) -> Tensor:
    return _view_in_place("squeeze_", x, lambda: movement.squeeze(x, dim))


def unsqueeze_(x: Tensor, dim: int) -> Tensor:
    return _view_in_place("unsqueeze_", x, lambda: movement.unsqueeze(x, dim))


METHODS.update(
    {
        "t_": t_,
        "transpose_": transpose_,
        "swapaxes_": swapaxes_,
        "swapdims_": swapdims_,
        "squeeze_": squeeze_,
        "unsqueeze_": unsqueeze_,
    }
)


# ---- in-place forms of the ops of unary_special.py, binary_extra.py, bitwise.py,
# igamma.py, reshaping_extra.py (addr) and products.py, and of the torch aliases
# multiply/subtract/divide
from . import binary_extra, bitwise, igamma, products, reshaping_extra, unary_special  # noqa: E402
from .utility import mul_, sub_  # noqa: E402


def _divide(x: Tensor, other, *, rounding_mode=None) -> Tensor:
    from .functions import div  # imported here: functions.py imports this module

    return div(x, other, rounding_mode=rounding_mode)


_MORE_OUT_OF_PLACE = {
    "acosh_": unary_special.acosh,
    "arccosh_": unary_special.acosh,
    "asinh_": unary_special.asinh,
    "arcsinh_": unary_special.asinh,
    "atanh_": unary_special.atanh,
    "arctanh_": unary_special.atanh,
    "logit_": unary_special.logit,
    "sinc_": unary_special.sinc,
    "i0_": unary_special.i0,
    "polygamma_": unary_special.polygamma_method,
    "mvlgamma_": unary_special.mvlgamma,
    "copysign_": binary_extra.copysign,
    "heaviside_": binary_extra.heaviside,
    "ldexp_": binary_extra.ldexp,
    "nextafter_": binary_extra.nextafter,
    "bitwise_and_": bitwise.bitwise_and,
    "bitwise_or_": bitwise.bitwise_or,
    "bitwise_xor_": bitwise.bitwise_xor,
    "bitwise_not_": bitwise.bitwise_not,
    "bitwise_left_shift_": bitwise.bitwise_left_shift,
    "bitwise_right_shift_": bitwise.bitwise_right_shift,
    "gcd_": bitwise.gcd,
    "lcm_": bitwise.lcm,
    "igamma_": igamma.igamma,
    "igammac_": igamma.igammac,
    "addr_": reshaping_extra.addr,
    "addmm_": products.addmm,
    "addmv_": products.addmv,
    "addbmm_": products.addbmm,
    "baddbmm_": products.baddbmm,
}
METHODS.update({name: _in_place_form(name, fn) for name, fn in _MORE_OUT_OF_PLACE.items()})
METHODS.update(
    {
        "multiply_": mul_,
        "subtract_": sub_,
        "divide_": _in_place_form("divide_", _divide),
        "true_divide_": _in_place_form("true_divide_", _divide),
    }
)
