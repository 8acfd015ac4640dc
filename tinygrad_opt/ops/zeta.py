"""The Hurwitz zeta function zeta(x, q) = sum_{k>=0} (q + k)^-x of torch.special.zeta.

A Numba kernel in float64: the terms are summed directly until q + k reaches 20 (and x,
for large x, where they fall fast), then the Euler-Maclaurin tail
  a^(1-x) / (x - 1) + a^-x / 2 + sum_j B_2j / (2j)! x (x+1) ... (x+2j-2) a^(1-x-2j)
with a = q + k and 8 Bernoulli terms. The direct sum also covers a negative q, so its cost
grows with |q| there. Values as PyTorch: inf at x = 1 and at q a non-positive integer,
NaN for x < 1, for q < 0 with a non-integer x, and at q = +inf (where PyTorch's own
summation gives 0 * inf). No gradient, as PyTorch: backward raises NotImplementedError.
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..jit import kernel
from ..tensor import Tensor
from .special_operands import tensor_pair

# B_2j / (2j)!, j = 1..8
_TAIL = np.array([
    1 / 6 / 2, -1 / 30 / 24, 1 / 42 / 720, -1 / 30 / 40320, 5 / 66 / 3628800,
    -691 / 2730 / 479001600, 7 / 6 / 87178291200, -3617 / 510 / 20922789888000,
])


@kernel(parallel=False)
def _hurwitz(x, q, tail):
    if math.isnan(x) or math.isnan(q):
        return math.nan
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if q == math.floor(q):
            return math.inf
        if x != math.floor(x):
            return math.nan
    if math.isinf(q):
        return math.nan
    if math.isinf(x):
        if q < 1.0:
            return math.inf
        return 1.0 if q == 1.0 else math.nan
    total = 0.0
    a = q
    while a < 20.0 or a < x:
        term = math.pow(a, -x)
        total += term
        if a > 0.0 and term < 1e-18 * abs(total):  # positive terms that no longer count
            return total
        a += 1.0
    value = total + math.pow(a, 1.0 - x) / (x - 1.0) + 0.5 * math.pow(a, -x)
    rising = x  # x (x+1) ... (x + 2j - 2)
    power = math.pow(a, -x - 1.0)
    for j in range(tail.size):
        value += tail[j] * rising * power
        rising *= (x + 2 * j + 1) * (x + 2 * j + 2)
        power /= a * a
    return value


@kernel(parallel=False)
def _zeta_kernel(x, q, tail, out):
    for i in range(out.size):
        out[i] = _hurwitz(x[i], q[i], tail)


def hurwitz_zeta(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """zeta(x, q) elementwise with broadcasting, in float64."""
    x64, q64 = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    out = np.empty(x64.size)
    _zeta_kernel(
        np.ascontiguousarray(x64).reshape(-1), np.ascontiguousarray(q64).reshape(-1), _TAIL, out
    )
    return out.reshape(x64.shape)


def zeta(input, other) -> Tensor:  # noqa: A002 - torch's names
    """The Hurwitz zeta function zeta(input, other) = sum_k (other + k)^-input, as
    torch.special.zeta; either argument may be a number (both, unlike PyTorch). Not
    differentiable (as PyTorch): backward through it raises NotImplementedError."""
    input, other, a, b = tensor_pair("zeta", input, other)
    dtype = a.dtype if a.dtype.kind == "f" else default_float()
    out = hurwitz_zeta(a, b).astype(dtype, copy=False)

    def backward(g):
        raise NotImplementedError("zeta: the derivative is not implemented (as PyTorch)")

    return Tensor.make(out, (input, other), backward)
