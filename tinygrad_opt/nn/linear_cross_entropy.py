"""A linear layer fused with cross-entropy (torch 2.13's `F.linear_cross_entropy`,
`nn.LinearCrossEntropyLoss` and `nn.LinearCrossEntropyOptions`).

The value is always that of the unfused composition
    logits = linear(input, W.reshape(-1, in), b.reshape(-1)).reshape(N, C, *out_features)
    loss = cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing)
(`ignore_index=None` meaning -100). With `options=None` that composition is what runs. With
an options object and class-index targets against a 2-D weight, the rows are processed in
chunks so the (N, C) logits are never held at once: the forward keeps only each row's loss
and weight, and the backward recomputes each chunk's logits (one extra matmul per chunk) to
form gI = gZ W, gW = sum gZ^T I, gb = sum gZ, with gZ the cross-entropy logit gradient of
loss_kernels. Other configurations (probability targets, K-dimensional weights) fall back to
the composition with a UserWarning, as torch does for what its chunked path lacks.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from .. import loss_kernels
from ..devices import check_cpu
from ..tensor import Tensor
from .linear import Linear, linear
from .module import Module

_ACC_POLICIES = ("accurate", "balanced", "compact", "auto")
_WHO = "linear_cross_entropy"


def _aspect_ratio(method: str) -> int | None:
    """k of 'aspect_ratio:k' (a positive int), else None."""
    prefix = "aspect_ratio:"
    if not method.startswith(prefix) or not method[len(prefix):].isdigit():
        return None
    k = int(method[len(prefix):])
    return k if k > 0 else None


@dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """Chunking options for `linear_cross_entropy` (passing one selects the chunked path).

    batch_chunk_size: rows per chunk (a positive int), or None to derive it from
    chunking_method: 'aspect_ratio:k' gives chunks of k * in_features rows (so a chunk's
    logits hold k times the weight's entries), 'auto' means 'aspect_ratio:2' (torch's
    fallback pick), None one chunk of all rows. acc_policy ('accurate', 'balanced',
    'compact', 'auto'), acc_dtype and allow_retain_graph are validated and kept for
    compatibility but change nothing here: accumulation is in the input's dtype, and the
    backward recomputes its chunks, so it can run again under retain_graph."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self) -> None:
        size = self.batch_chunk_size
        if size is not None and (not isinstance(size, numbers.Integral) or size <= 0):
            raise ValueError(f"LinearCrossEntropyOptions: batch_chunk_size must be a positive "
                             f"int or None, got {size!r}")
        method = self.chunking_method
        if method is not None and (not isinstance(method, str) or (
                method != "auto" and _aspect_ratio(method) is None)):
            raise ValueError(f"LinearCrossEntropyOptions: chunking_method must be 'auto', "
                             f"'aspect_ratio:k' with a positive int k, or None, got {method!r}")
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"LinearCrossEntropyOptions: acc_policy must be one of "
                             f"{_ACC_POLICIES}, got {self.acc_policy!r}")
        if self.acc_dtype is not None and np.dtype(self.acc_dtype).kind != "f":
            raise ValueError(f"LinearCrossEntropyOptions: acc_dtype must be a floating dtype "
                             f"or None, got {self.acc_dtype!r}")

    def rows_per_chunk(self, rows: int, in_features: int) -> int:
        if self.batch_chunk_size is not None:
            return int(self.batch_chunk_size)
        if self.chunking_method is None:
            return max(rows, 1)
        k = 2 if self.chunking_method == "auto" else _aspect_ratio(self.chunking_method)
        return max(k * in_features, 1)


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target, *,  # noqa: A002
                         linear_bias: Tensor | None = None, weight=None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0,
                         options: LinearCrossEntropyOptions | None = None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...) for input
    (in_features,) or (N, in_features) and linear_weight (C, in_features) or
    (C, d1, ..., dK, in_features) (K-dimensional loss, batched input only); see the module
    docstring for the chunked path `options` selects."""
    from ..loss import cross_entropy

    if not isinstance(input, Tensor) or not isinstance(linear_weight, Tensor):
        raise TypeError(f"{_WHO}: input and linear_weight must be Tensors, got "
                        f"{type(input).__name__} and {type(linear_weight).__name__}")
    if options is not None and not isinstance(options, LinearCrossEntropyOptions):
        raise TypeError(f"{_WHO}: options must be a LinearCrossEntropyOptions or None, got "
                        f"{type(options).__name__}")
    w_shape = tuple(linear_weight.shape)
    if len(w_shape) < 2:
        raise ValueError(f"{_WHO}: linear_weight must have shape (C, *out_features, "
                         f"in_features), got {w_shape}")
    num_classes, *out_features, in_features = w_shape
    if input.ndim not in (1, 2) or input.shape[-1] != in_features:
        raise ValueError(f"{_WHO}: expected input of shape ({in_features},) or "
                         f"(N, {in_features}), got {tuple(input.shape)}")
    if out_features and input.ndim == 1:
        raise ValueError(f"{_WHO}: the K-dimensional loss of linear_weight {w_shape} needs "
                         f"batched input (N, {in_features}), got {tuple(input.shape)}")
    outputs = num_classes * math.prod(out_features)
    if linear_bias is not None and tuple(linear_bias.shape) not in (
            (num_classes, *out_features), (outputs,)):
        raise ValueError(f"{_WHO}: linear_bias must have shape {(num_classes, *out_features)}, "
                         f"got {tuple(linear_bias.shape)}")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    index = ignore_index if ignore_index is not None else -100
    if options is not None:
        if t.dtype.kind in "iu" and not out_features:
            return _chunked(input, linear_weight, linear_bias, t, weight, index, reduction,
                            label_smoothing, options)
        warnings.warn(f"{_WHO}: the chunked path handles class-index targets with a 2-D "
                      f"linear_weight; falling back to linear + cross_entropy", UserWarning,
                      stacklevel=2)
    bias = None if linear_bias is None else linear_bias.reshape(outputs)
    logits = linear(input, linear_weight.reshape(outputs, in_features), bias)
    logits = logits.reshape(*input.shape[:-1], num_classes, *out_features)
    return cross_entropy(logits, target, weight, index, reduction, label_smoothing)


def _chunked(input: Tensor, linear_weight: Tensor, linear_bias, t: np.ndarray, weight,  # noqa: A002
             ignore_index: int, reduction: str, eps: float, options) -> Tensor:
    """The chunked forward and backward of the module docstring (class-index targets)."""
    from ..loss import _check_reduction, _reduce, _upstream, _weight_array

    _check_reduction(reduction, _WHO)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{_WHO}: label_smoothing must be in [0, 1], got {eps}")
    x = input.data
    w = linear_weight.data
    b = None if linear_bias is None else linear_bias.data.reshape(-1)
    dtype = np.result_type(x.dtype, w.dtype, *(() if b is None else (b.dtype,)))
    if dtype.kind != "f":
        raise TypeError(f"{_WHO}: input and linear_weight must be floating point, got "
                        f"{x.dtype} and {w.dtype}")
    single = x.ndim == 1
    expected = () if single else x.shape[:1]
    if t.shape != expected:
        raise ValueError(f"{_WHO}: class-index target must have shape {expected}, got {t.shape}")
    x2 = x.reshape(1, -1) if single else x
    labels = np.ascontiguousarray(t.reshape(-1), dtype=np.int64)
    num_classes = w.shape[0]
    class_weight = _weight_array(weight, np.empty(0, dtype), _WHO)
    if class_weight is not None and class_weight.shape != (num_classes,):
        raise ValueError(f"{_WHO}: weight must have shape ({num_classes},), got "
                         f"{class_weight.shape}")
    class_weight = np.ascontiguousarray(
        np.ones(num_classes, dtype) if class_weight is None else class_weight, dtype=dtype)
    rows = x2.shape[0]
    step = options.rows_per_chunk(rows, x2.shape[1])
    spans = [(s, min(s + step, rows)) for s in range(0, rows, step)]

    def logits(s: int, e: int) -> np.ndarray:
        z = (x2[s:e] @ w.T).astype(dtype, copy=False)
        return np.ascontiguousarray(z if b is None else z + b)

    row_loss = np.empty(rows, dtype)
    row_weight = np.empty(rows, dtype)
    for s, e in spans:  # a loop over chunks, each a matmul and a Numba pass
        _, row_weight[s:e], row_loss[s:e], bad = loss_kernels.rows_forward(
            logits(s, e), labels[s:e], ignore_index, class_weight, eps)
        if bad >= 0:
            raise ValueError(f"{_WHO}: target class {int(labels[s + bad])} is out of range "
                             f"[0, {num_classes}) (ignore_index={ignore_index})")
    denom = row_weight.sum()
    out = _reduce(row_loss, reduction, denom)
    out = out.reshape(t.shape) if reduction == "none" else out

    def backward(g):
        upstream = np.empty(rows, dtype)
        up = _upstream(g, reduction, denom)
        upstream[...] = np.reshape(up, -1) if reduction == "none" else up
        gx = np.empty(x2.shape, dtype)
        gw = np.zeros(w.shape, dtype)
        gb = None if b is None else np.zeros(b.shape, dtype)
        for s, e in spans:
            logp = loss_kernels.rows_forward(logits(s, e), labels[s:e], ignore_index,
                                             class_weight, eps)[0]
            gz = loss_kernels.rows_backward(logp, labels[s:e], ignore_index, class_weight,
                                            eps, upstream[s:e])
            gx[s:e] = gz @ w
            gw += gz.T @ x2[s:e]
            if gb is not None:
                gb += gz.sum(axis=0)
        grads = (gx.reshape(x.shape), gw)
        return grads if gb is None else grads + (gb.reshape(linear_bias.shape),)

    parents = (input, linear_weight) + (() if linear_bias is None else (linear_bias,))
    return Tensor.make(out, parents, backward)


class LinearCrossEntropyLoss(Module):
    """`linear_cross_entropy` with its own Linear: `linear.weight` is stored flat as
    (num_classes * prod(out_features), in_features) and `linear.bias` as
    (num_classes * prod(out_features),), both viewed as (C, *out_features, ...) in forward;
    the class `weight` is a buffer (in state_dict when given), as torch's. Defaults: no bias,
    reduction 'mean', ignore_index None (-100 for class indices), no smoothing, options None.
    `device` may only name the CPU."""

    def __init__(self, in_features: int, num_classes: int, *, out_features=(),
                 bias: bool = False, device=None, dtype=None, reduction: str = "mean",
                 weight=None, ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: LinearCrossEntropyOptions | None = None) -> None:
        from ..loss import _check_reduction

        super().__init__()
        who = "LinearCrossEntropyLoss"
        check_cpu(who, device)
        _check_reduction(reduction, who)
        for name, value in (("in_features", in_features), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        out_features = tuple(out_features)
        if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0
               for d in out_features):
            raise ValueError(f"{who}: out_features must be a tuple of positive ints, got "
                             f"{out_features!r}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
        if options is not None and not isinstance(options, LinearCrossEntropyOptions):
            raise TypeError(f"{who}: options must be a LinearCrossEntropyOptions or None, got "
                            f"{type(options).__name__}")
        self.reduction = reduction
        self.num_classes = int(num_classes)
        self.out_features = tuple(int(d) for d in out_features)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.options = options
        self.register_buffer("weight", weight)
        self.linear = Linear(int(in_features), self.num_classes * math.prod(self.out_features),
                             bias=bias, dtype=dtype)

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002 - torch's name
        shape = (self.num_classes, *self.out_features)
        lin = self.linear
        return linear_cross_entropy(
            input, lin.weight.reshape(*shape, lin.in_features), target,
            linear_bias=None if lin.bias is None else lin.bias.reshape(*shape),
            weight=self.weight, reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
