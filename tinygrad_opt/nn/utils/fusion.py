"""Folding an eval-mode BatchNorm into the conv or linear layer before it (torch.nn.utils.fusion).

With BatchNorm's running statistics frozen, bn(conv(x)) is itself a conv: scale s = gamma /
sqrt(running_var + eps) per channel, weight W' = W * s (along the output-channel axis),
bias b' = (b - running_mean) * s + beta. The same for Linear, where the channel is a row of
the weight. The arithmetic is done in float64 and the results cast to the layer's dtype;
the fused weight and bias are new Parameters keeping the old ones' requires_grad.
Deviation: a layer or BatchNorm in training mode, or a BatchNorm without running
statistics, raises ValueError (PyTorch: AssertionError).
"""

from __future__ import annotations

import copy

import numpy as np

from ...tensor import Tensor
from ..module import Module, Parameter


def _array(x, name: str) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.data
    raise TypeError(f"fusion: {name} must be a Tensor or None, got {type(x).__name__}")


def _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """Per-channel (scale, running_mean, beta) in float64, gamma/beta defaulting to 1/0."""
    rm = _array(bn_rm, "bn_rm")
    rv = _array(bn_rv, "bn_rv")
    if rm is None or rv is None:
        raise TypeError("fusion: bn_rm and bn_rv must be Tensors (the running statistics)")
    rm = rm.astype(np.float64)
    w = _array(bn_w, "bn_w")
    b = _array(bn_b, "bn_b")
    gamma = np.ones_like(rm) if w is None else w.astype(np.float64)
    beta = np.zeros_like(rm) if b is None else b.astype(np.float64)
    scale = gamma / np.sqrt(rv.astype(np.float64) + float(bn_eps))
    return scale, rm, beta


def _parameters(weight, bias, w_ref: Tensor, b_ref, dtype) -> tuple[Parameter, Parameter]:
    b_grad = False if b_ref is None else b_ref.requires_grad  # as PyTorch's zeros bias
    return (
        Parameter(weight.astype(dtype), requires_grad=w_ref.requires_grad),
        Parameter(bias.astype(dtype if b_ref is None else b_ref.data.dtype), requires_grad=b_grad),
    )


def fuse_conv_bn_weights(
    conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
    bn_w: Tensor | None, bn_b: Tensor | None, transpose: bool = False,
) -> tuple[Parameter, Parameter]:
    """(fused_weight, fused_bias) of a convolution followed by an eval BatchNorm.

    The channel axis scaled is 0 of the weight (out_channels), or 1 with `transpose=True`
    (ConvTranspose's (in, out / groups, ...) layout; as PyTorch, meant for groups=1)."""
    w = _array(conv_w, "conv_w")
    if w is None:
        raise TypeError("fuse_conv_bn_weights: conv_w must be a Tensor")
    scale, rm, beta = _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    b = _array(conv_b, "conv_b")
    b = np.zeros_like(rm) if b is None else b.astype(np.float64)
    shape = [1] * w.ndim
    shape[1 if transpose else 0] = -1
    fused_w = w.astype(np.float64) * scale.reshape(shape)
    fused_b = (b - rm) * scale + beta
    return _parameters(fused_w, fused_b, conv_w, conv_b, w.dtype)


def fuse_linear_bn_weights(
    linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
    bn_w: Tensor | None, bn_b: Tensor | None,
) -> tuple[Parameter, Parameter]:
    """(fused_weight, fused_bias) of a Linear followed by an eval BatchNorm1d: each row
    (output feature) of the weight is scaled by its channel's gamma / sqrt(var + eps)."""
    w = _array(linear_w, "linear_w")
    if w is None:
        raise TypeError("fuse_linear_bn_weights: linear_w must be a Tensor")
    scale, rm, beta = _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    b = _array(linear_b, "linear_b")
    b = np.zeros_like(rm) if b is None else b.astype(np.float64)
    fused_w = w.astype(np.float64) * scale[:, None]
    fused_b = (b - rm) * scale + beta
    return _parameters(fused_w, fused_b, linear_w, linear_b, w.dtype)


def _check_eval(who: str, layer: Module, bn: Module) -> None:
    if not isinstance(layer, Module) or not isinstance(bn, Module):
        raise TypeError(f"{who}: expected two Modules, got {type(layer).__name__} and "
                        f"{type(bn).__name__}")
    if layer.training or bn.training:
        raise ValueError(f"{who}: Fusion only for eval! Call .eval() on both modules first")
    if getattr(bn, "running_mean", None) is None or getattr(bn, "running_var", None) is None:
        raise ValueError(f"{who}: the BatchNorm has no running statistics "
                         "(track_running_stats=False); nothing to fuse")


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of `conv` (Conv1d/2d/3d, or ConvTranspose with `transpose=True`) computing
    bn(conv(x)) of the two eval-mode modules; the originals are left unchanged."""
    _check_eval("fuse_conv_bn_eval", conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose,
    )
    return fused


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of `linear` computing bn(linear(x)) of the two eval-mode modules; the BatchNorm
    has `linear.out_features` features or 1 (then broadcast, as PyTorch)."""
    _check_eval("fuse_linear_bn_eval", linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise ValueError(
            f"fuse_linear_bn_eval: Linear has {linear.out_features} output features but the "
            f"BatchNorm {bn.num_features}; they must match (or the BatchNorm have 1)"
        )
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
