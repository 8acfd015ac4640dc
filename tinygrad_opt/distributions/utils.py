"""Helpers shared by the distributions: parameter conversion and broadcasting, the
probs/logits conversions, and sums over the rightmost dimensions."""

from __future__ import annotations

import numbers
from functools import cached_property

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor


def as_param(owner: str, name: str, value, dtype=None) -> Tensor:
    """A parameter as a floating Tensor: numbers become `dtype` (the default dtype when
    None); integer and bool tensors become the default dtype (torch keeps them integer);
    float tensors are kept, so gradients flow to them."""
    if isinstance(value, Tensor):
        if value.data.dtype.kind != "f":
            return Tensor(value.data.astype(default_float()))
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Tensor(value)  # float64 arrays stay float64, as Tensor(array) keeps them
    if isinstance(value, bool) or not isinstance(value, (numbers.Number, np.ndarray, list, tuple)):
        raise TypeError(f"{owner}: {name} must be a Tensor or a number, got {value!r}")
    array = np.asarray(value, dtype=default_float(dtype))
    if array.dtype.kind != "f":
        raise TypeError(f"{owner}: {name} must be real numbers, got {array.dtype}")
    return Tensor(array)


def broadcast_params(owner: str, **params) -> list[Tensor]:
    """Tensors of one broadcast shape; numbers take the dtype of the float tensor arguments
    (float64 if any is float64), or the default dtype when there are none, so a Python
    float never changes the dtype the tensors give."""
    floats = [v.data.dtype for v in params.values()
              if isinstance(v, Tensor) and v.data.dtype.kind == "f"]
    dtype = None
    if floats:
        dtype = np.float64 if any(d == np.float64 for d in floats) else np.float32
    tensors = {k: as_param(owner, k, v, dtype) for k, v in params.items()}
    try:
        shape = np.broadcast_shapes(*(t.data.shape for t in tensors.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {t.data.shape}" for k, t in tensors.items())
        raise ValueError(f"{owner}: the shapes of {shapes} do not broadcast") from None
    return [t if t.data.shape == shape else t.expand(*shape) for t in tensors.values()]


def value_tensor(owner: str, value) -> Tensor:
    """The `value` argument of log_prob/cdf/icdf: a Tensor, as torch asks when validating."""
    if not isinstance(value, Tensor):
        raise ValueError(
            f"{owner}: the value argument must be a Tensor, got {type(value).__name__}"
        )
    return value


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] (eps of its dtype), so their logits stay finite."""
    eps = float(np.finfo(probs.data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (categorical) or log p - log(1 - p) (binary), probs clamped away from 0 and 1."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax along the last dimension (categorical)."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) without overflow; its gradient is sigmoid(x)."""
    return x.logaddexp(Tensor(np.zeros((), x.data.dtype)))


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum over the `dim` rightmost dimensions (none when dim is 0)."""
    if dim == 0:
        return value
    return value.sum(dim=tuple(range(-dim, 0)))


def sample_shape_tuple(owner: str, sample_shape) -> tuple[int, ...]:
    """torch.Size-like input (a tuple or list of non-negative ints) as a tuple."""
    if isinstance(sample_shape, (tuple, list)) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
        for n in sample_shape
    ):
        return tuple(int(n) for n in sample_shape)
    raise TypeError(
        f"{owner}: sample_shape must be a tuple of non-negative ints (torch.Size), "
        f"got {sample_shape!r}"
    )


class ProbsOrLogits:
    """`probs` and `logits` of a family built from either one (the other is derived on first
    use, as torch's lazy properties) and `param`, the one given. `_IS_BINARY`: each entry is
    a success probability (sigmoid / logit); otherwise the last axis is a categorical
    distribution (softmax / log)."""

    _IS_BINARY = True

    @cached_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=self._IS_BINARY)

    @cached_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=self._IS_BINARY)

    @property
    def param(self) -> Tensor:
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]


class ViaCategorical:
    """`probs`, `logits` and `param` of a family that keeps a `Categorical` (`_categorical`)."""

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param(self) -> Tensor:
        return self._categorical.param
