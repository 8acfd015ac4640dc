"""torch.special's entropy terms: entr(x) = -x log x and xlog1py(x, y) = x log1p(y).

entr is 0 at 0 and -inf below 0, with gradient -(log x + 1) (inf at 0, NaN below 0);
xlog1py is 0 where x == 0 (unless y is NaN), as xlogy, with gradients log1p(y) (0 where
x == 0 and y <= -1) and x / (1 + y). Integer input gives the default float dtype.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .binary_math import _binary
from .special_operands import tensor_pair
from .unary_math import _elementwise


def entr(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """Elementwise -x log(x): 0 at 0, -inf for x < 0, as torch.special.entr."""
    if not isinstance(input, Tensor):
        raise TypeError(f"entr: input must be a Tensor, got {type(input).__name__}")

    def forward(a):
        out = np.where(a == 0, 0, -a * np.log(a)).astype(a.dtype, copy=False)
        return np.where(a < 0, -np.inf, out)

    return _elementwise("entr", input, forward, lambda a, o: -(np.log(a) + 1))


def xlog1py(input, other) -> Tensor:  # noqa: A002
    """input * log1p(other), 0 where input == 0 (NaN if other is NaN), as
    torch.special.xlog1py; either operand may be a number."""

    def forward(a, b):
        out = a * np.log1p(b)
        return np.where((a == 0) & ~np.isnan(b), 0, out).astype(out.dtype, copy=False)

    def grads(a, b, out, g):
        return g * np.where((a == 0) & (b <= -1), 0, np.log1p(b)), g * a / (1 + b)

    input, other, _, _ = tensor_pair("xlog1py", input, other)
    return _binary("xlog1py", input, other, forward, grads)
