"""`Dropout1d`, `Dropout3d` (channel dropout over 1 or 3 spatial dimensions, as `Dropout2d`)
and `AlphaDropout`, `FeatureAlphaDropout` (Klambauer et al., 2017, "Self-Normalizing Neural
Networks"): dropped units are set to SELU's negative saturation -scale * alpha and the
result is mapped by a x + b so that zero-mean unit-variance input keeps mean 0 and variance
1. Random draws come from `tinygrad_opt.random.generator()`, so `manual_seed` repeats them."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from ._layout import float_data
from .activation import _SELU_ALPHA, _SELU_SCALE
from .dropout import _check_p
from .module import Module

# the value SELU tends to for x -> -inf; alpha dropout sets dropped units to it
_ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE


def _masked(input: Tensor, x: np.ndarray, mask_shape: tuple[int, ...], p: float) -> Tensor:
    """x * keep / (1 - p) with one Bernoulli(1 - p) draw per entry of `mask_shape`
    (broadcast over the rest); all zeros when p == 1."""
    uniform = generator().random(mask_shape, dtype=x.dtype)
    mask = (uniform >= p) * x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else np.zeros_like(uniform)

    def backward(g):
        return (g * mask,)

    return Tensor.make(x * mask, (input,), backward)


def _channel_dropout(input: Tensor, p: float, training: bool, spatial: int, who: str) -> Tensor:
    p = _check_p(p, who)
    x = float_data(input, who)
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{who}: expected a {spatial + 1}-D (C, *spatial) or {spatial + 2}-D "
            f"(N, C, *spatial) input with {spatial} spatial dimension(s), got shape {x.shape}"
        )
    if not training or p == 0.0:
        return input
    return _masked(input, x, x.shape[: x.ndim - spatial] + (1,) * spatial, p)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p and scale the rest
    by 1 / (1 - p); the input itself when not training or p == 0. Other ranks are a
    ValueError (torch: RuntimeError). `inplace` is accepted and ignored."""
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p and
    scale the rest by 1 / (1 - p). Deviation: other ranks are a ValueError (torch warns and
    guesses the layout). `inplace` is accepted and ignored."""
    return _channel_dropout(input, p, training, 3, "dropout3d")


def _alpha(input: Tensor, p: float, training: bool, feature: bool, who: str) -> Tensor:
    p = _check_p(p, who)
    x = float_data(input, who)
    if feature and x.ndim < 2:
        raise ValueError(
            f"{who}: feature dropout needs at least 2 dimensions (N, C, ...), got shape "
            f"{x.shape}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:  # as torch: everything dropped gives zeros (a would divide by zero)
        return _masked(input, x, x.shape, 1.0)
    # a, b make E[out] = 0 and Var[out] = 1 for standard input (the paper's eq. for a, b)
    a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * _ALPHA_PRIME**2))
    b = -a * _ALPHA_PRIME * p
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = generator().random(shape, dtype=x.dtype) >= p
    scale = keep * x.dtype.type(a)
    shift = np.where(keep, 0.0, a * _ALPHA_PRIME).astype(x.dtype) + x.dtype.type(b)

    def backward(g):
        return (g * scale,)

    return Tensor.make(x * scale + shift, (input,), backward)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout per element: a (x keep + alpha' (1 - keep)) + b with alpha' =
    -1.7581, a = ((1 - p)(1 + p alpha'^2))^-1/2, b = -a alpha' p; note training=False by
    default, as torch. p == 1 gives zeros. `inplace` is accepted and ignored."""
    return _alpha(input, p, training, False, "alpha_dropout")


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of input with at least 2 dimensions;
    training=False by default, as torch. `inplace` is accepted and ignored."""
    return _alpha(input, p, training, True, "feature_alpha_dropout")


class _DropoutModule(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(p, type(self).__name__)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._fn(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutModule):
    """Dropout1d(p=0.5, inplace=False) as torch.nn.Dropout1d (see dropout1d)."""

    _fn = staticmethod(dropout1d)


class Dropout3d(_DropoutModule):
    """Dropout3d(p=0.5, inplace=False) as torch.nn.Dropout3d (see dropout3d)."""

    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutModule):
    """AlphaDropout(p=0.5, inplace=False) as torch.nn.AlphaDropout (see alpha_dropout)."""

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutModule):
    """FeatureAlphaDropout(p=0.5, inplace=False) as torch.nn.FeatureAlphaDropout."""

    _fn = staticmethod(feature_alpha_dropout)
