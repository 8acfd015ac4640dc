"""`BatchNorm1d`, `BatchNorm2d`, `LayerNorm` and `GroupNorm`, each one fused graph node.

Batch norm (Ioffe & Szegedy, 2015) as PyTorch: in training, normalise with the batch mean
and BIASED batch variance, and update running_mean/var as
`running = (1 - momentum) * running + momentum * batch_stat` with the UNBIASED batch variance
(momentum=None: cumulative average, factor 1 / num_batches_tracked). In eval (or without
running stats in training) use the running statistics. Statistics are taken per channel
(axis 1) over the other axes, on a channels-last (M, C) matrix so the reductions run over
contiguous rows.
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from . import init
from ._layout import channels_last_2d, float_data, from_channels_last_2d
from .module import Module, Parameter
from .norm_kernels import (
    _batch_norm_input_grad,
    _channel_mean_var,
    _grad_sums,
    _scale_shift,
    blocks,
)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | np.ndarray | None,
    running_var: Tensor | np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over axis 1 of (N, C, *) input, as torch.nn.functional.batch_norm.

    With training=True the running statistics (if given) are updated in place; `momentum`
    must then be a float (the module resolves momentum=None to its cumulative factor).
    Statistics are accumulated in float64 whatever the input dtype.
    """
    x = float_data(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {x.shape}")
    x2 = channels_last_2d(x)
    count, channels = x2.shape
    rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.data if isinstance(running_var, Tensor) else running_var
    use_batch_stats = training or rm is None or rv is None
    if use_batch_stats:
        if training and count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}"
            )
        mean, var = _channel_mean_var(x2, blocks())
        if training and rm is not None and rv is not None:
            rm *= 1.0 - momentum
            rm += momentum * mean
            rv *= 1.0 - momentum
            rv += momentum * var * (count / (count - 1))
    else:
        mean = rm.astype(np.float64)
        var = rv.astype(np.float64)
    inv_std = 1.0 / np.sqrt(var + eps)
    gamma = weight.data.astype(np.float64) if weight is not None else np.ones(channels)
    scale = inv_std * gamma
    shift = bias.data.astype(np.float64) if bias is not None else np.zeros(channels)
    out2 = np.empty_like(x2)
    _scale_shift(x2, mean, scale, shift, out2)
    out = from_channels_last_2d(out2, x.shape)

    def backward(g: np.ndarray):
        g2 = np.ascontiguousarray(channels_last_2d(g), dtype=x2.dtype)
        want_w = weight is not None and weight.requires_grad
        want_b = bias is not None and bias.requires_grad
        sum_g = sum_gx = None
        if want_w or want_b or (use_batch_stats and input.requires_grad):
            sum_g, sum_gx = _grad_sums(g2, x2, mean, inv_std, blocks())
        gx = None
        if input.requires_grad:
            gx2 = np.empty_like(g2)
            if use_batch_stats:
                _batch_norm_input_grad(
                    g2, x2, mean, inv_std, scale, sum_g / count, sum_gx / count, gx2
                )
            else:
                _scale_shift(g2, np.zeros(channels), scale, np.zeros(channels), gx2)
            gx = from_channels_last_2d(gx2, x.shape)
        gw = sum_gx.astype(weight.data.dtype) if want_w else None
        gb = sum_g.astype(bias.data.dtype) if want_b else None
        return _grads_for_parents(gx, weight, gw, bias, gb)

    backward.eps = eps  # for create_graph's rule (higher_order_rules.py), exact
    parents = tuple(t for t in (input, weight, bias) if t is not None)
    return Tensor.make(out, parents, backward)


def _grads_for_parents(gx, weight, gw, bias, gb) -> tuple:
    """The gradients in the order of the node's parents (input, then weight and bias where
    they are not None)."""
    return (gx, *([gw] if weight is not None else []), *([gb] if bias is not None else []))


def _add_scale_and_shift(module: Module, shape, affine: bool, bias: bool, dtype) -> None:
    """The learnable per-feature scale `weight` (ones) and shift `bias` (zeros) of a
    normalisation layer, registered as None when `affine` (or `bias`) is off, as PyTorch."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if affine else None)
    shift = Parameter(np.zeros(shape, dtype=dtype)) if affine and bias else None
    module.register_parameter("bias", shift)


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d; `bias=False` (keyword-only, as in PyTorch) keeps the scale
    but drops the shift."""

    _expected_dims: tuple[int, ...] = ()
    _shape_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("BatchNorm", device)
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if eps < 0:  # 0 is allowed, as in PyTorch (a constant channel then gives NaN)
            raise ValueError(f"{name}: eps must be >= 0, got {eps}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = default_float(dtype)
        _add_scale_and_shift(self, self.num_features, affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if x.ndim not in self._expected_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected input of shape {self._shape_text.format(self.num_features)}, "
                f"got {tuple(x.shape)}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:
            momentum = 1.0 / float(self.num_batches_tracked.data + 1)
        use_running = not self.training and self.track_running_stats
        out = batch_norm(
            x,
            self.running_mean if (self.training or use_running) else None,
            self.running_var if (self.training or use_running) else None,
            self.weight,
            self.bias,
            training=self.training or not self.track_running_stats,
            momentum=momentum,
            eps=self.eps,
        )
        if counting:
            # counted once batch_norm accepted the batch (PyTorch counts before it checks,
            # so a rejected batch of one would still be counted): bad input changes nothing
            self.num_batches_tracked.data[...] += 1
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input, as torch.nn.BatchNorm1d."""

    _expected_dims = (2, 3)
    _shape_text = "(N, {0}) or (N, {0}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, as torch.nn.BatchNorm2d."""

    _expected_dims = (4,)
    _shape_text = "(N, {0}, H, W)"


def _standardize_rows(x2: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """(xhat, inv_std) for each row of x2: xhat = (x - mean) / sqrt(var + eps) with the
    biased variance; inv_std has shape (rows, 1), in x2's dtype."""
    size = x2.shape[1]
    centered = x2 - x2.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", centered, centered)[:, None] / size
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x2.dtype, copy=False)
    return centered * inv_std, inv_std


def _standardize_rows_backward(gxhat, xhat, inv_std) -> np.ndarray:
    """The rows' input gradient from xhat's: (gxhat - mean(gxhat) - xhat * mean(gxhat *
    xhat)) * inv_std, row by row."""
    size = xhat.shape[1]
    gx = gxhat - gxhat.mean(axis=1, keepdims=True)
    gx -= xhat * np.einsum("ij,ij->i", gxhat, xhat)[:, None] / size
    gx *= inv_std
    return gx


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing `normalized_shape` axes (Ba et al., 2016), biased variance."""
    x = float_data(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or len(shape) > x.ndim:
        raise ValueError(
            f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}), got {x.shape}"
        )
    size = int(np.prod(shape))
    xhat, inv_std = _standardize_rows(x.reshape(-1, size), eps)
    gamma = weight.data.reshape(-1) if weight is not None else None
    out2 = xhat * gamma if gamma is not None else xhat.copy()
    if bias is not None:
        out2 += bias.data.reshape(-1)

    def backward(g: np.ndarray):
        g2 = g.reshape(-1, size)
        gw = (
            (g2 * xhat).sum(axis=0).reshape(shape)
            if weight is not None and weight.requires_grad
            else None
        )
        gb = g2.sum(axis=0).reshape(shape) if bias is not None and bias.requires_grad else None
        gx = None
        if input.requires_grad:
            gxhat = g2 * gamma if gamma is not None else g2
            gx = _standardize_rows_backward(gxhat, xhat, inv_std).reshape(x.shape)
        return _grads_for_parents(gx, weight, gw, bias, gb)

    backward.eps = eps  # for create_graph's rule (higher_order_rules.py), exact
    parents = tuple(t for t in (input, weight, bias) if t is not None)
    return Tensor.make(out2.reshape(x.shape), parents, backward)


class LayerNorm(Module):
    """Layer norm over the trailing `normalized_shape` axes, as torch.nn.LayerNorm
    (weight ones, bias zeros)."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("LayerNorm", device)
        super().__init__()
        shape = (
            (normalized_shape,)
            if isinstance(normalized_shape, (int, np.integer))
            else tuple(normalized_shape)
        )
        if not shape or any(
            isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape
        ):
            raise ValueError(
                f"LayerNorm: normalized_shape must be positive ints, got {normalized_shape!r}"
            )
        self.normalized_shape = tuple(int(d) for d in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = default_float(dtype)
        _add_scale_and_shift(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n :]) != self.normalized_shape:
            raise ValueError(
                "LayerNorm: expected input of shape "
                f"(*, {', '.join(map(str, self.normalized_shape))}), "
                f"got {tuple(x.shape)}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group norm (Wu & He, 2018) of (N, C, *) input: split the C channels into num_groups
    groups, normalise each (sample, group) over its channels and positions with the biased
    variance, then scale and shift per channel: y = (x - mean) / sqrt(var + eps) * w + b."""
    x = float_data(input, "group_norm")
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got {x.shape}")
    n, c = x.shape[:2]
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)):
        raise TypeError(f"group_norm: num_groups must be an int, got {num_groups!r}")
    if num_groups < 1 or c % num_groups:
        raise ValueError(
            f"group_norm: num_groups must be a positive divisor of the {c} channels, got "
            f"{num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.data.shape != (c,):
            raise ValueError(f"group_norm: {name} must have shape ({c},), got {t.data.shape}")
    # the group size spelled out, not -1: numpy cannot infer it for an empty batch
    size = c // num_groups * math.prod(x.shape[2:])
    # layer norm's standardisation, one row per (sample, group)
    xhat_rows, inv_std = _standardize_rows(x.reshape(n * num_groups, size), eps)
    xhat = xhat_rows.reshape(x.shape)
    # per-channel affine broadcast over the trailing positions
    channel_shape = (1, c) + (1,) * (x.ndim - 2)
    gamma = weight.data.reshape(channel_shape) if weight is not None else None
    out = xhat * gamma if gamma is not None else xhat.copy()
    if bias is not None:
        out += bias.data.reshape(channel_shape)
    other_axes = (0, *range(2, x.ndim))

    def backward(g: np.ndarray):
        gw = (
            (g * xhat).sum(axis=other_axes)
            if weight is not None and weight.requires_grad
            else None
        )
        gb = g.sum(axis=other_axes) if bias is not None and bias.requires_grad else None
        gx = None
        if input.requires_grad:
            gxhat = (g * gamma if gamma is not None else g).reshape(n * num_groups, size)
            gx = _standardize_rows_backward(gxhat, xhat_rows, inv_std).reshape(x.shape)
        return _grads_for_parents(gx, weight, gw, bias, gb)

    parents = tuple(t for t in (input, weight, bias) if t is not None)
    return Tensor.make(out, parents, backward)


class GroupNorm(Module):
    """GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, *, bias=True) as
    torch.nn.GroupNorm: per-channel weight (ones) and bias (zeros) when affine;
    num_channels must be divisible by num_groups (ValueError, as torch)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("GroupNorm", device)
        super().__init__()
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        dtype = default_float(dtype)
        _add_scale_and_shift(self, self.num_channels, affine, bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: expected input of shape (N, {self.num_channels}, *), got "
                f"{tuple(x.shape)}"
            )
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input, as torch.nn.BatchNorm3d (the same node: the
    statistics run over the flattened N, D, H and W axes)."""

    _expected_dims = (5,)
    _shape_text = "(N, {0}, D, H, W)"
