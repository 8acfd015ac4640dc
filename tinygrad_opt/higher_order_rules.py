"""Tensor-level backward rules of the ops, for `create_graph=True` (see higher_order.py).

Each rule mirrors the numpy backward of the op it is registered on, written with
differentiable Tensor ops, so a gradient it returns has a graph of its own. Ops that are
piecewise linear in their input use `masked_rule`, ops linear in their input `linear_rule`
(their adjoint is the op itself), fused nodes `recompute_rule` (the forward rebuilt from
covered ops). Loaded on the first create_graph backward, so plain training never imports it.
Deviation: `0.0 ** x` has second derivative 0 (it is flat at x > 0; PyTorch gives NaN).
"""

from __future__ import annotations

import math

import numpy as np

from . import loss as losses
from .higher_order import cell, linear_rule, masked_rule, recompute_rule, register, sum_to
from .nn import activation as act
from .nn import conv as conv_ops
from .nn import dropout as dropout_ops
from .nn import flatten as flatten_ops
from .nn import fold as fold_ops
from .nn import linear as nn_linear
from .nn import normalization as norm_ops
from .nn import pooling as pool_ops
from .ops import arithmetic as ar
from .ops import cast, indexing, join, linalg, movement, reduce, select, unary, unary_math
from .ops import softmax as sm
from .tensor import Tensor

# what covered_ops() reports (the rules below are registered on these ops' backwards)
COVERED_OPS = frozenset(
    """add sub rsub neg mul div rdiv pow rpow reciprocal exp log sqrt rsqrt abs square sin cos
    tanh sigmoid erf sinh cosh atan relu leaky_relu gelu silu elu selu celu softplus hardtanh
    clip clamp maximum minimum where masked_fill dropout nan_to_num sign round floor ceil
    matmul mm bmm t linear Linear+ReLU Conv2d+ReLU sum mean var std max min amax amin cumsum
    reshape view flatten squeeze unsqueeze transpose permute T expand broadcast_to contiguous
    pad astype getitem gather index_select split chunk cat stack softmax log_softmax mse_loss
    l1_loss smooth_l1_loss huber_loss cross_entropy nll_loss binary_cross_entropy
    binary_cross_entropy_with_logits conv2d unfold fold max_pool2d avg_pool2d batch_norm
    layer_norm""".split()
)


def _number(value):
    """A numpy scalar or 0-d array as a Python number (which never upcasts a tensor)."""
    return value.item() if isinstance(value, (np.generic, np.ndarray)) else value


def _const(array, like: Tensor) -> Tensor:
    return Tensor(np.asarray(array), dtype=like.data.dtype)


# ------------------------------------------------------------------------- arithmetic
for _fn in (ar._pass_both, ar._pass_one, ar._negate_one, ar._pass_and_negate):
    register(_fn, masked_rule, name=None)
register(ar.mul, masked_rule, "<lambda>")  # g * s
register(ar.div, masked_rule, "<lambda>")  # g / s


def _mul(g, parents, saved):
    x, y = parents
    return (g * y if x.requires_grad else None), (g * x if y.requires_grad else None)


def _div(g, parents, saved):
    x, y = parents
    gx = g / y
    return (gx if x.requires_grad else None), (-gx * x / y if y.requires_grad else None)


register(ar.mul, _mul)
register(ar.div, _div)
def _rdiv(g, parents, saved):
    s = saved.backward.scalar  # s / x, s kept on the backward by ops/arithmetic.rdiv
    x = parents[0]
    return (-g * s / (x * x),)


register(ar.rdiv, _rdiv)
register(ar.pow, masked_rule, "<lambda>", 0)  # exponent 0: zeros


def _pow_scalar(g, parents, saved):
    s = _number(saved.s)
    return (g * s * parents[0] ** (s - 1),)


register(ar.pow, _pow_scalar, "<lambda>", 1)


def _pow(g, parents, saved):
    x, y = parents
    a, b = saved.a, saved.b
    gx = gy = None
    if x.requires_grad:
        gx = g * select.where(b == 0, 0.0, y * x ** (y - 1))
    if y.requires_grad:
        with np.errstate(divide="ignore", invalid="ignore"):
            zero = (a == 0) & (np.asarray(b) >= 0)
        gy = g * select.where(zero, 0.0, (x**y) * unary.log(x))
    return gx, gy


register(ar.pow, _pow)


def _rpow(g, parents, saved):
    s = _number(saved.s)
    if s == 0:  # the numpy rule's constant: 0 where 0 ** x is flat (x >= 0), -inf elsewhere
        return masked_rule(g, parents, saved)
    # a negative base has no real logarithm: NaN as the numpy rule (math.log would raise)
    log_s = math.log(s) if s > 0 else math.nan
    return (g * (s ** parents[0]) * log_s,)


register(ar.rpow, _rpow, "<lambda>")


# ------------------------------------------------------------------------------ unary
register(unary.exp, lambda g, p, s: (g * unary.exp(p[0]),), "<lambda>")
register(unary.log, lambda g, p, s: (g / p[0],), "<lambda>")
register(unary.sqrt, lambda g, p, s: (g / (2 * unary.sqrt(p[0])),))
register(unary.abs, masked_rule, "<lambda>")


def _tanh(g, parents, saved):
    t = unary.tanh(parents[0])
    return (g * (1 - t * t),)


def _sigmoid(g, parents, saved):
    s = unary.sigmoid(parents[0])
    return (g * s * (1 - s),)


register(unary.tanh, _tanh, "<lambda>")
register(unary.sigmoid, _sigmoid, "<lambda>")
register(unary.relu, masked_rule, "<lambda>")
register(unary.leaky_relu, masked_rule, "<lambda>")
_SQRT_HALF = math.sqrt(0.5)
_TANH_C = math.sqrt(2.0 / math.pi)


def _gelu_exact(p, s):
    x = p[0]
    return x * 0.5 * (1 + unary_math.erf(x * _SQRT_HALF))


def _gelu_tanh(p, s):
    x = p[0]
    return 0.5 * x * (1 + unary.tanh(_TANH_C * (x + 0.044715 * x * x * x)))


register(unary.gelu, recompute_rule(_gelu_exact))
register(unary.gelu, recompute_rule(_gelu_tanh), "backward_tanh")
register(unary.clip, masked_rule, "<lambda>")
register(unary.clip, masked_rule)
register(unary.square, lambda g, p, s: (g * (2 * p[0]),), "<lambda>")
register(unary.rsqrt, lambda g, p, s: (g * -0.5 * unary.rsqrt(p[0]) ** 3,), "<lambda>")
register(unary.reciprocal, lambda g, p, s: (-g * unary.reciprocal(p[0]) ** 2,), "<lambda>")
register(unary.sin, lambda g, p, s: (g * unary.cos(p[0]),), "<lambda>")
register(unary.cos, lambda g, p, s: (-g * unary.sin(p[0]),), "<lambda>")
register(unary._zero_gradient, masked_rule, "<lambda>")
register(unary.nan_to_num, masked_rule, "<lambda>", 0)
register(unary.nan_to_num, masked_rule, "<lambda>", 1)

# unary_math shares one closure; the derivative lambda tells the op apart
_DERIVATIVES = {
    unary_math.erf: lambda x: (2.0 / math.sqrt(math.pi)) * unary.exp(-(x * x)),
    unary_math.sinh: unary_math.cosh,
    unary_math.cosh: unary_math.sinh,
    unary_math.atan: lambda x: 1 / (1 + x * x),
}
_DERIVATIVE_BY_CODE = {
    next(c for c in fn.__code__.co_consts if getattr(c, "co_name", "") == "<lambda>"): d
    for fn, d in _DERIVATIVES.items()
}


def _elementwise(g, parents, saved):
    derivative = _DERIVATIVE_BY_CODE.get(saved.derivative.__code__)
    if derivative is None:
        name = saved.derivative.__qualname__.split(".<locals>")[0]
        raise NotImplementedError(
            f"create_graph=True: the op {name!r} has no Tensor-level backward rule; of this "
            "family erf, sinh, cosh and atan are supported (see higher_order.covered_ops())"
        )
    return (g * derivative(parents[0]),)


register(unary_math._elementwise, _elementwise)
register(cast.astype, linear_rule(lambda h, s: cast.astype(h, s.out.data.dtype)), "<lambda>")


# ----------------------------------------------------------------------------- reduce
def _kept(g: Tensor, axes, keepdims: bool, shape) -> Tensor:
    """g with the reduced axes back as size 1 (broadcasts against the input)."""
    if keepdims or not axes:
        return g
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(kept)


register(reduce.sum, linear_rule(lambda h, s: reduce.sum(h, s.axes, s.keepdims)), "<lambda>")
register(reduce.mean, linear_rule(lambda h, s: reduce.mean(h, s.axes, s.keepdims)), "<lambda>")


def _max_all(h, s):
    a, value = s.a, s.out.reshape(())
    ties = np.isnan(a) if np.isnan(value) else a == value
    weights = _const(ties / np.count_nonzero(ties), h)
    return reduce.sum(h * weights).reshape(s.out.shape)


def _max_axis(h, s):
    one_hot = np.zeros(s.a.shape, dtype=h.data.dtype)
    np.put_along_axis(one_hot, s.index, 1, axis=s.ax)
    return reduce.sum(h * _const(one_hot, h), s.ax, s.keepdims)


def _max_axes(h, s):
    ties = s.a == s.kept
    share = ties / np.sum(ties, axis=s.axes, keepdims=True)
    return reduce.sum(h * _const(share, h), s.axes, s.keepdims)


register(reduce._extreme, linear_rule(_max_all), "backward_all")
register(reduce._extreme, masked_rule, "<lambda>")
register(reduce._extreme, linear_rule(_max_axis))
register(reduce._extreme_over_axes, linear_rule(_max_axes))


def _centered(x: Tensor, axes) -> Tensor:
    return x - reduce.mean(x, axes, True)


def _var(g, parents, saved):
    x = parents[0]
    up = _kept(g, saved.axes, saved.keepdims, saved.shape)
    return (up * _centered(x, saved.axes) * _number(saved.scale),)


def _std(g, parents, saved):
    x = parents[0]
    inner = saved.backward_var
    axes, keepdims = cell(inner, "axes"), cell(inner, "keepdims")
    scale = _number(cell(inner, "scale"))
    centered = _centered(x, axes)
    # var = sum(centered^2) / divisor and scale = 2 / divisor
    var = reduce.sum(centered * centered, axes, keepdims) * (scale / 2)
    zero = saved.out.data == 0  # as the numpy rule: a constant input passes a zero gradient
    # the sqrt never sees those zeros: sqrt'(0) = inf would make 0 * inf = NaN one order up
    std = unary.sqrt(select.where(zero, 1.0, var))
    g_var = select.where(zero, 0.0, g / (2 * std))
    return (_kept(g_var, axes, keepdims, x.shape) * centered * scale,)


register(reduce._variance, _var)
register(reduce.std, _std)
register(reduce.cumsum, masked_rule, "<lambda>")
register(reduce.cumsum, linear_rule(lambda h, s: reduce.cumsum(h, s.ax)))


# --------------------------------------------------------------------------- movement
register(flatten_ops._reshape, linear_rule(lambda h, s: movement.reshape(h, s.out.shape)))
register(movement.reshape, linear_rule(lambda h, s: movement.reshape(h, s.out.shape)), "<lambda>")
register(movement.transpose, masked_rule, "<lambda>", 0)
register(movement.transpose, linear_rule(lambda h, s: movement.transpose(h, s.d0, s.d1)),
         "<lambda>", 1)  # fmt: skip
def _permute_forward(h, s):
    return movement.permute(h, tuple(int(i) for i in np.argsort(s.inverse)))


register(movement.permute, linear_rule(_permute_forward), "<lambda>")
register(linalg.t, masked_rule, "<lambda>", 0)
register(linalg.t, linear_rule(lambda h, s: movement.permute(h, (1, 0))), "<lambda>", 1)
register(movement.expand, masked_rule, "<lambda>")


def _pad_forward(h, s):
    amounts = []
    for lo, hi in reversed(s.widths):
        amounts += [lo, hi]
    return movement.pad(h, amounts)


register(movement.pad, linear_rule(_pad_forward))
register(movement._slice_along, linear_rule(lambda h, s: indexing.getitem(h, s.where)))
register(indexing.getitem, linear_rule(lambda h, s: indexing.getitem(h, s.index)))
register(indexing.gather, masked_rule, "<lambda>")
register(indexing.gather, linear_rule(lambda h, s: indexing.getitem(h, s.where)))
register(indexing.index_select, masked_rule, "<lambda>")
register(indexing.index_select, linear_rule(lambda h, s: indexing.index_select(h, s.ax, s.idx)))


# ---------------------------------------------------------------------- select / join
register(select.where, masked_rule)
register(select._extremum, masked_rule)


def _masked_fill(g, parents, saved):
    m = saved.m
    gx = select.where(m, 0.0, g) if parents[0].requires_grad else None
    if len(parents) == 1:
        return (gx,)
    return gx, (reduce.sum(select.where(m, g, 0.0)) if parents[1].requires_grad else None)


register(select.masked_fill, _masked_fill)


def _cat(g, parents, saved):
    d = saved.d
    edges = [0, *(int(b) for b in saved.bounds), g.shape[d]]
    lead = (slice(None),) * d
    return tuple(indexing.getitem(g, (*lead, slice(lo, hi))) if p.requires_grad else None
                 for p, lo, hi in zip(parents, edges[:-1], edges[1:]))  # fmt: skip


def _stack(g, parents, saved):
    lead = (slice(None),) * saved.d
    return tuple(indexing.getitem(g, (*lead, i)) if p.requires_grad else None
                 for i, p in enumerate(parents))  # fmt: skip


register(join.cat, _cat)
register(join.stack, _stack)


# ---------------------------------------------------------------------------- softmax
def _softmax(g, parents, saved, axis):
    s = sm.softmax(parents[0], axis)
    return (s * (g - reduce.sum(g * s, axis, True)),)


def _log_softmax(g, parents, saved, axis):
    return (g - sm.softmax(parents[0], axis) * reduce.sum(g, axis, True),)


register(sm.softmax, lambda g, p, s: _softmax(g, p, s, s.ax))
register(sm.log_softmax, lambda g, p, s: _log_softmax(g, p, s, s.ax))


# ----------------------------------------------------------------------------- matmul
def _matmul(g, parents, saved):
    x, y = parents
    x2 = x if x.ndim > 1 else movement.unsqueeze(x, 0)
    y2 = y if y.ndim > 1 else movement.unsqueeze(y, 1)
    g2 = g
    if x.ndim == 1:
        g2 = movement.unsqueeze(g2, -2 if y.ndim > 1 else 0)
    if y.ndim == 1:
        g2 = movement.unsqueeze(g2, -1)
    gx = gy = None
    if x.requires_grad:
        gx = sum_to(linalg.matmul(g2, movement.transpose(y2, -1, -2)), x2.shape).reshape(x.shape)
    if y.requires_grad:
        gy = sum_to(linalg.matmul(movement.transpose(x2, -1, -2), g2), y2.shape).reshape(y.shape)
    return gx, gy


register(linalg.matmul, _matmul)


# ------------------------------------------------------------------ nn: linear, activations
def _linear_forward(p, s):
    y = linalg.matmul(p[0], movement.transpose(p[1], 0, 1))
    return y + p[2] if len(p) == 3 else y


register(nn_linear._linear, recompute_rule(_linear_forward))


def _relu_then(g, parents, saved):
    """A node with ReLU fused onto its output: ReLU's mask (constant), then the inner rule."""
    from .higher_order import _RULES, Saved, _op_name

    inner = cell(saved.backward, "backward")
    rule = _RULES.get(inner.__code__)
    if rule is None:
        raise NotImplementedError(
            f"create_graph=True: the op {_op_name(inner)!r} (fused with ReLU) has no "
            "Tensor-level backward rule; see higher_order.covered_ops()"
        )
    masked = g * _const(saved.out.data > 0, g)
    return rule(masked, parents, Saved(inner, saved.out))


register(act.behind_relu, _relu_then, "relu_then_backward")
register(act.relu, masked_rule)
register(dropout_ops.dropout, masked_rule)
register(act.leaky_relu, masked_rule)
register(act.hardtanh, masked_rule)
register(act.gelu, recompute_rule(_gelu_exact))
register(act.gelu, recompute_rule(_gelu_tanh), "backward_tanh")
register(act.tanh, _tanh)
register(act.sigmoid, _sigmoid)
register(act.silu, recompute_rule(lambda p, s: p[0] * unary.sigmoid(p[0])))
register(act.softmax, lambda g, p, s: _softmax(g, p, s, s.dim))
register(act.log_softmax, lambda g, p, s: _log_softmax(g, p, s, s.dim))


def _elu(p, s):
    x = p[0]
    a, scale, k = float(s.a), float(s.s), float(s.k)
    negative = select.where(s.positive, 0.0, x)  # exp never sees the positive side
    return select.where(s.positive, x * scale, (unary.exp(negative * k) - 1) * (a * scale))


register(act._elu_node, recompute_rule(_elu))


def _softplus(g, parents, saved):
    x = parents[0]
    sig = unary.sigmoid(x * saved.backward.beta)  # kept on the backward by act.softplus
    return (select.where(saved.linear, g, g * sig),)


register(act.softplus, _softplus)


# ------------------------------------------------------------------------------ losses
def _upstream(g: Tensor, reduction: str, count: int) -> Tensor:
    return g / count if reduction == "mean" else g


def _elementwise_loss(g, parents, saved):
    x = parents[0]
    diff = saved.diff
    # a constant target is not kept by the closure: x - diff gives it back
    t = parents[1] if len(parents) == 2 else _const(x.data - diff, x)
    d = x - t
    grad_fn = saved.grad_fn
    name = getattr(grad_fn, "__qualname__", "").split(".<locals>")[0]
    if grad_fn is np.sign:  # l1_loss
        slope = _const(np.sign(diff), x)
    elif name == "mse_loss":
        slope = 2 * d
    elif name == "smooth_l1_loss":
        beta = cell(grad_fn, "beta")
        slope = select.where(np.abs(diff) < beta, d / beta, np.sign(diff))
    elif name == "huber_loss":
        delta = cell(grad_fn, "delta")
        slope = select.where(np.abs(diff) < delta, d, delta * np.sign(diff))
    else:
        raise NotImplementedError(
            f"create_graph=True: the loss {name!r} has no Tensor-level backward rule; see "
            "higher_order.covered_ops()"
        )
    gx = _upstream(g, saved.reduction, diff.size) * slope
    return gx, -gx


register(losses._elementwise_loss, _elementwise_loss)


def _rows(x: Tensor) -> Tensor:
    """_classes_last with Tensor ops: (N, C, d1, ...) or (C,) as an (M, C) matrix."""
    if x.ndim == 1:
        return movement.reshape(x, (1, x.shape[0]))
    if x.ndim == 2:
        return x
    order = (0, *range(2, x.ndim), 1)
    return movement.reshape(movement.permute(x, order), (-1, x.shape[1]))


def _reduced(per_row: Tensor, reduction: str, denom, shape, valid=None) -> Tensor:
    if reduction == "none":
        return movement.reshape(per_row, shape)
    if valid is not None and not valid.all():
        # ignored rows are left out, not weighted by 0: as the numpy rules, their gradient
        # is 0 even when every row is ignored and 'mean' divides by 0 (0 * inf is NaN)
        per_row = indexing.getitem(per_row, np.flatnonzero(valid))
    total = reduce.sum(per_row)
    return total / _number(denom) if reduction == "mean" else total


def _cross_entropy_indices(p, s):
    z = _rows(p[0])
    labels, weight, eps = s.labels, s.class_weight, float(s.eps)
    valid = labels != s.ignore_index
    safe = np.where(valid, labels, 0)
    classes = z.shape[1]
    one_hot = np.zeros(z.shape, dtype=z.data.dtype)
    one_hot[np.arange(len(safe)), safe] = 1
    wt = ((1 - eps) * one_hot * weight[safe][:, None] + eps / classes * weight[None, :])
    wt = _const(wt * valid[:, None], z)
    per_row = -reduce.sum(wt * sm.log_softmax(z, 1), 1)
    return _reduced(per_row, s.reduction, s.denom, s.out.shape, valid)


def _cross_entropy_probabilities(p, s):
    z = _rows(p[0])
    eps, w = float(s.eps), s.w
    if len(p) == 2:
        wt = _rows(p[1])
        if eps:
            wt = wt * (1 - eps) + eps / z.shape[1]
        if w is not None:
            wt = wt * _const(w, z)
    else:
        wt = _const(s.wt, z)
    per_row = -reduce.sum(wt * sm.log_softmax(z, 1), 1)
    return _reduced(per_row, s.reduction, s.rows, s.out.shape)


def _nll(p, s):
    z = _rows(p[0])
    picked = indexing.getitem(z, (s.rows, s.labels))
    per_row = -picked * _const(s.w_label, z)
    return _reduced(per_row, s.reduction, s.denom, s.out.shape, s.valid)


register(losses._cross_entropy_indices, recompute_rule(_cross_entropy_indices))
register(losses.cross_entropy, recompute_rule(_cross_entropy_probabilities))
register(losses.nll_loss, recompute_rule(_nll))


def _target_of(parents: tuple, saved_t) -> Tensor:
    return parents[1] if len(parents) == 2 else _const(saved_t, parents[0])


def _bce(g, parents, saved):
    p = parents[0]
    t = _target_of(parents, saved.t)
    up = _upstream(g, saved.reduction, saved.p.size)
    gp = (p - t) / unary.clip((1 - p) * p, min=1e-12) * up
    gt = None
    if len(parents) == 2 and parents[1].requires_grad:
        log_p = unary.clip(unary.log(p), min=-100)
        log_1mp = unary.clip(unary.log(1 - p), min=-100)
        gt = -(log_p - log_1mp) * up
    if saved.w is not None:
        w = _const(saved.w, p)
        gp, gt = gp * w, (None if gt is None else gt * w)
    return gp, gt


def _log_sigmoid(x: Tensor) -> Tensor:
    return -(unary.log(1 + unary.exp(-unary.abs(x))) + unary.relu(-x))


def _bce_logits(g, parents, saved):
    x = parents[0]
    t = _target_of(parents, saved.t)
    up = _upstream(g, saved.reduction, saved.x.size)
    s = unary.sigmoid(x)
    pw = None if saved.pw is None else _const(saved.pw, x)
    gx = (s - t) * up if pw is None else ((1 + (pw - 1) * t) * s - pw * t) * up
    gt = None
    if len(parents) == 2 and parents[1].requires_grad:
        if pw is None:
            gt = -x * up  # log s(x) - log s(-x) = x
        else:
            gt = -(pw * _log_sigmoid(x) - _log_sigmoid(-x)) * up
    if saved.w is not None:
        w = _const(saved.w, x)
        gx, gt = gx * w, (None if gt is None else gt * w)
    return gx, gt


register(losses.binary_cross_entropy, _bce)
register(losses.binary_cross_entropy_with_logits, _bce_logits)


# ---------------------------------------------------------------------- unfold / conv2d
register(fold_ops.unfold, linear_rule(lambda h, s: fold_ops.unfold(h, *_geometry_args(s.geometry))))
register(fold_ops.fold, linear_rule(
    lambda h, s: fold_ops.fold(h, s.out.shape[-2:], *_geometry_args(s.geometry))))  # fmt: skip


def _geometry_args(geometry) -> tuple:
    """fold.py's (kernel, dilation, padding, stride) geometry as unfold's arguments."""
    kernel, dilation, padding, stride = geometry
    return tuple(kernel), tuple(dilation), tuple(padding), tuple(stride)


def _conv(p, stride, padding, dilation, groups: int) -> Tensor:
    """conv2d as unfold + matmul per group (differentiable at every order)."""
    x, w = p[0], p[1]
    unbatched = x.ndim == 3
    if unbatched:
        x = movement.unsqueeze(x, 0)
    out_ch, per_group, kh, kw = w.shape
    n, _, height, width = x.shape
    out_h = (height + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (width + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out_per_group = out_ch // groups
    parts = []
    for k in range(groups):  # a loop over groups, not elements
        xs = x if groups == 1 else indexing.getitem(
            x, (slice(None), slice(k * per_group, (k + 1) * per_group)))  # fmt: skip
        ws = w if groups == 1 else indexing.getitem(
            w, slice(k * out_per_group, (k + 1) * out_per_group))  # fmt: skip
        cols = fold_ops.unfold(xs, (kh, kw), dilation, padding, stride)
        parts.append(linalg.matmul(movement.reshape(ws, (out_per_group, -1)), cols))
    y = parts[0] if groups == 1 else join.cat(parts, 1)
    y = movement.reshape(y, (n, out_ch, out_h, out_w))
    if len(p) == 3:
        y = y + movement.reshape(p[2], (out_ch, 1, 1))
    return movement.reshape(y, y.shape[1:]) if unbatched else y


def _conv_rule(geometry):
    return recompute_rule(lambda p, s: _conv(p, *geometry(s)))


register(conv_ops._conv2d_blocked, _conv_rule(lambda s: ((s.sh, s.sw), (s.ph, s.pw),
                                                         (s.dilation_h, 1), 1)))  # fmt: skip
register(conv_ops._conv2d_direct, _conv_rule(lambda s: ((1, 1), (s.ph, s.pw), (1, 1), 1)))
register(conv_ops._conv2d_im2col, _conv_rule(lambda s: ((s.sh, s.sw), (s.ph, s.pw),
                                                        (s.dh, s.dw), 1)))  # fmt: skip
register(conv_ops._conv2d_depthwise, _conv_rule(lambda s: ((s.sh, s.sw), (s.ph, s.pw),
                                                           (s.dh, s.dw), s.in_ch)))  # fmt: skip
register(conv_ops._conv2d_grouped, _conv_rule(lambda s: ((s.sh, s.sw), (s.ph, s.pw),
                                                         (s.dh, s.dw), s.groups)))  # fmt: skip


def _unbatched(g, parents, saved):
    """The batch-of-one wrapper of a convolution: the inner rule sees the same 3-D tensors."""
    from .higher_order import _RULES, Saved

    inner = cell(saved.backward, "backward")
    return _RULES[inner.__code__](g, parents, Saved(inner, saved.out))


register(conv_ops._unbatched, _unbatched, "unbatched_backward")


# ---------------------------------------------------------------------------- pooling
def _max_pool_forward(h: Tensor, s) -> Tensor:
    """max_pool2d with its winners fixed: each output picks the input its argmax names."""
    argmax = cell(s.input_gradient, "argmax")  # (N, OH, OW, C): ih * W + iw in its plane
    n, channels, height, width = s.n, s.channels, s.height, s.width
    planes = np.arange(n)[:, None, None, None] * channels + np.arange(channels)[None, :, None, None]
    flat = planes * (height * width) + argmax.transpose(0, 3, 1, 2)
    picked = indexing.getitem(movement.reshape(h, (-1,)), flat)
    return movement.reshape(picked, s.out.shape)


def _avg_pool_forward(h: Tensor, s) -> Tensor:
    """avg_pool2d as window sums (unfold over the padded input) over fixed divisors."""
    divisors = cell(s.input_gradient, "divisors")
    kh, kw, sh, sw, ph, pw = cell(s.input_gradient, "geometry")
    out_h, out_w = divisors.shape
    n, channels, height, width = s.n, s.channels, s.height, s.width
    h4 = movement.reshape(h, (n, channels, height, width))
    # ceil_mode's last window may reach past the padding: pad for it (zeros add nothing)
    extra_h = max(0, (out_h - 1) * sh + kh - (height + 2 * ph))
    extra_w = max(0, (out_w - 1) * sw + kw - (width + 2 * pw))
    padded = movement.pad(h4, (pw, pw + extra_w, ph, ph + extra_h))
    cols = fold_ops.unfold(padded, (kh, kw), 1, 0, (sh, sw))
    sums = reduce.sum(movement.reshape(cols, (n, channels, kh * kw, out_h * out_w)), 2)
    mean = movement.reshape(sums, (n, channels, out_h, out_w)) / _const(divisors, h)
    return movement.reshape(mean, s.out.shape)


_POOLS = {"max_pool2d": _max_pool_forward, "avg_pool2d": _avg_pool_forward}


def _pool(g, parents, saved):
    name = saved.input_gradient.__qualname__.split(".<locals>")[0]
    forward = _POOLS.get(name)
    if forward is None:
        raise NotImplementedError(
            f"create_graph=True: the op {name!r} has no Tensor-level backward rule; of the "
            "pools max_pool2d and avg_pool2d are supported (see higher_order.covered_ops())"
        )
    return linear_rule(forward)(g, parents, saved)


register(pool_ops._pool_node, _pool)


# ---------------------------------------------------------------------- normalisation
def _affine(y: Tensor, p: tuple, weight, bias, shape) -> Tensor:
    k = 1
    if weight is not None:
        y = y * movement.reshape(p[k], shape)
        k += 1
    if bias is not None:
        y = y + movement.reshape(p[k], shape)
    return y


def _batch_norm(p, s):
    x = p[0]
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if s.use_batch_stats:
        centered = x - reduce.mean(x, axes, True)
        var = reduce.mean(centered * centered, axes, True)
        xhat = centered * unary.rsqrt(var + s.backward.eps)
    else:  # running statistics: constants
        xhat = (x - _const(s.mean.reshape(shape), x)) * _const(s.inv_std.reshape(shape), x)
    return _affine(xhat, p, s.weight, s.bias, shape)


def _layer_norm(p, s):
    x = p[0]
    shape = s.shape
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centered = x - reduce.mean(x, axes, True)
    var = reduce.mean(centered * centered, axes, True)
    xhat = centered * unary.rsqrt(var + s.backward.eps)
    return _affine(xhat, p, s.weight, s.bias, shape)


register(norm_ops.batch_norm, recompute_rule(_batch_norm))
register(norm_ops.layer_norm, recompute_rule(_layer_norm))
