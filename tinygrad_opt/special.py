"""torch.special: the special functions under PyTorch's names (`tinygrad_opt.special`).

Most are the ops the package already has under another name (gammaln is lgamma, psi is
digamma, expit is sigmoid, multigammaln is mvlgamma, gammainc is igamma, ...); the rest
live in ops/bessel.py (Bessel and Airy functions), ops/orthogonal_polynomials.py,
ops/normal_cdf.py (erfcx, ndtr, log_ndtr, ndtri), ops/entropy.py (entr, xlog1py),
ops/zeta.py and ops/igamma.py. Gradients as PyTorch: none for the Bessel functions other
than i0/i1/i0e/i1e, the Airy function and the polynomials (their results carry no graph);
zeta and the `input` (a) argument of gammainc/gammaincc raise NotImplementedError in
backward.
"""

from __future__ import annotations

from .ops import reduce as _reduce
from .ops import softmax as _softmax
from .ops import unary as _unary
from .ops import unary_math as _unary_math
from .ops import unary_special as _unary_special
from .ops.bessel import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    i0e,
    i1,
    i1e,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from .ops.binary_math import xlogy
from .ops.entropy import entr, xlog1py
from .ops.igamma import gammainc, gammaincc
from .ops.normal_cdf import erfcx, log_ndtr, ndtr, ndtri
from .ops.orthogonal_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from .ops.zeta import zeta
from .tensor import Tensor

digamma = psi = _unary_math.digamma
erf = _unary_math.erf
erfc = _unary_math.erfc
erfinv = _unary_math.erfinv
exp2 = _unary_math.exp2
expm1 = _unary_math.expm1
log1p = _unary_math.log1p
gammaln = _unary_math.lgamma
expit = _unary.sigmoid
i0 = _unary_special.i0
logit = _unary_special.logit
sinc = _unary_special.sinc
polygamma = _unary_special.polygamma  # polygamma(n, input), as torch.special


def multigammaln(input: Tensor, p: int) -> Tensor:  # noqa: A002 - torch's names
    """The multivariate log-gamma function of dimension p (torch.mvlgamma)."""
    return _unary_special.mvlgamma(input, p)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001,A002
    """torch.round: half to even, to `decimals` places."""
    return _unary.round(input, decimals=decimals)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """softmax along `dim`; with `dtype` the input is cast first, as PyTorch."""
    return _softmax.softmax(input if dtype is None else input.to(dtype), dim=dim)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """log_softmax along `dim`; with `dtype` the input is cast first, as PyTorch."""
    return _softmax.log_softmax(input if dtype is None else input.to(dtype), dim=dim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:  # noqa: A002
    """log(sum(exp(input))) over `dim` without overflow (torch.logsumexp)."""
    return _reduce.logsumexp(input, dim=dim, keepdim=keepdim)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
    "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
    "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
    "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
    "spherical_bessel_j0", "xlog1py", "xlogy", "zeta",
]
