"""Loss functions with PyTorch's arguments (`reduction='mean'|'sum'|'none'`), each one
fused graph node, plus L1/L2 penalty helpers.

Targets may be Tensors or numpy arrays. Regression losses also pass a gradient to a target
that requires grad. Deviation from PyTorch: mismatched input/target shapes in the
elementwise losses raise ValueError instead of broadcasting with a warning.
Stability: cross_entropy goes through a shifted log-softmax and
binary_cross_entropy_with_logits through log(1 + exp(-|x|)), so logits of +-1000 give
finite losses and gradients; binary_cross_entropy clamps its logs at -100 as PyTorch does.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from . import loss_kernels
from .nn.module import Module
from .tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------- helpers
def _input_array(input: Tensor, who: str) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"{who}: input must be floating point, got {input.data.dtype}")
    return input.data


def _target(target, who: str) -> tuple[Tensor | None, np.ndarray]:
    if isinstance(target, Tensor):
        return target, target.data
    try:
        return None, np.asarray(target)
    except Exception as exc:  # pragma: no cover - numpy error text is enough context
        raise TypeError(
            f"{who}: target must be a Tensor or array-like, got {type(target)}"
        ) from exc


def _check_reduction(reduction: str, who: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(values: np.ndarray, reduction: str, denom=None) -> np.ndarray:
    """'mean' divides by `denom` (default: the element count; class-weighted losses pass the
    summed weights of the counted targets, as PyTorch)."""
    if reduction == "none":
        return values
    total = values.sum(dtype=values.dtype)
    if reduction == "mean":
        total = total / (values.size if denom is None else denom)
    return np.asarray(total, dtype=values.dtype)


def _upstream(g: np.ndarray, reduction: str, denom) -> np.ndarray | float:
    """The gradient reaching each element of the unreduced loss (`denom` as in _reduce)."""
    if reduction == "none":
        return g
    return g / denom if reduction == "mean" else g


def _weight_array(weight, like: np.ndarray, who: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    return w.astype(like.dtype, copy=False)


def _elementwise_weight(weight, like: np.ndarray, who: str, name: str = "weight"):
    """A weight applied elementwise: it must broadcast to the input's shape (not past it)."""
    w = _weight_array(weight, like, who)
    if w is not None:
        try:
            fits = np.broadcast_shapes(w.shape, like.shape) == like.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{who}: {name} of shape {w.shape} does not broadcast to the input's shape "
                f"{like.shape}"
            )
    return w


def _elementwise_loss(input, target, reduction, who, value_fn, grad_fn) -> Tensor:
    """A loss l(x, t) applied elementwise then reduced; grad_fn gives dl/dx (dl/dt = -dl/dx
    for every loss that uses it: they depend on x - t only)."""
    x = _input_array(input, who)
    target_tensor, t = _target(target, who)
    _check_reduction(reduction, who)
    if t.shape != x.shape:
        raise ValueError(
            f"{who}: target shape {t.shape} differs from input shape {x.shape}; they must "
            "match (reshape the target, e.g. target.reshape(input.shape))"
        )
    t = t.astype(x.dtype, copy=False)
    diff = x - t
    out = _reduce(value_fn(diff), reduction)

    def backward(g):
        gx = grad_fn(diff) * _upstream(g, reduction, diff.size)
        return (gx, -gx)

    parents = (input,) if target_tensor is None else (input, target_tensor)
    return Tensor.make(out, parents, backward)


# ----------------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """(input - target)^2."""
    return _elementwise_loss(input, target, reduction, "mse_loss", lambda d: d * d, lambda d: 2 * d)


def l1_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """|input - target| (gradient 0 where they are equal)."""
    return _elementwise_loss(input, target, reduction, "l1_loss", np.abs, np.sign)


def smooth_l1_loss(input: Tensor, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 gives L1)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)

    def value(d):
        a = np.abs(d)
        return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)

    def grad(d):
        return np.where(np.abs(d) < beta, d / beta, np.sign(d))

    return _elementwise_loss(input, target, reduction, "smooth_l1_loss", value, grad)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")

    def value(d):
        a = np.abs(d)
        return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    def grad(d):
        return np.where(np.abs(d) < delta, d, delta * np.sign(d))

    return _elementwise_loss(input, target, reduction, "huber_loss", value, grad)


# ----------------------------------------------------------------------------- classification
def _classes_last(x: np.ndarray, who: str) -> np.ndarray:
    """(N, C, d1, ...) or (C,) scores as a (M, C) matrix with classes along rows."""
    if x.ndim == 0:
        raise ValueError(f"{who}: input must have a class axis, got a 0-d input")
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)).reshape(-1, x.shape[1])


def _classes_back(m: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) <= 2:
        return m.reshape(shape)
    moved = (shape[0], *shape[2:], shape[1])
    return np.moveaxis(m.reshape(moved), -1, 1)


def _check_index_target_shape(t: np.ndarray, x_shape: tuple[int, ...], who: str) -> None:
    expected = () if len(x_shape) == 1 else (x_shape[0], *x_shape[2:])
    if t.shape != expected:
        raise ValueError(
            f"{who}: class-index target must have shape {expected} for input of shape "
            f"{x_shape}, got {t.shape}"
        )


def _index_target(
    t: np.ndarray, x_shape: tuple[int, ...], num_classes: int, ignore_index: int, who: str
):
    _check_index_target_shape(t, x_shape, who)
    flat = t.reshape(-1).astype(np.int64, copy=False)
    valid = flat != ignore_index
    bad = valid & ((flat < 0) | (flat >= num_classes))
    if bad.any():
        raise ValueError(
            f"{who}: target class {int(flat[bad][0])} is out of range [0, {num_classes}) "
            f"(ignore_index={ignore_index})"
        )
    return np.where(valid, flat, 0), valid


def _log_softmax_rows(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(
    input: Tensor,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy from logits, as torch.nn.functional.cross_entropy.

    Input (N, C), (C,) or (N, C, d1, ...). Target: class indices (integer dtype) of shape
    (N,) / () / (N, d1, ...), or class probabilities (float) of the input's shape. With
    indices, loss_i = (1 - eps) w[y_i] (-log p[y_i]) + eps / C sum_c w[c] (-log p[c]) and
    'mean' divides by sum_i w[y_i] over non-ignored samples; with probabilities the target
    becomes (1 - eps) t + eps / C and 'mean' divides by the number of samples.
    """
    who = "cross_entropy"
    x = _input_array(input, who)
    target_tensor, t = _target(target, who)
    _check_reduction(reduction, who)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1], got {label_smoothing}")
    z = _classes_last(x, who)
    num_classes = z.shape[1]
    w = _weight_array(weight, x, who)
    if w is not None and w.shape != (num_classes,):
        raise ValueError(f"{who}: weight must have shape ({num_classes},), got {w.shape}")
    eps = label_smoothing
    if t.dtype.kind in "iu":
        return _cross_entropy_indices(
            input, x, t, z, w, ignore_index, reduction, eps, num_classes, who
        )
    logp = _log_softmax_rows(z)
    if t.dtype.kind != "f":
        raise TypeError(f"{who}: target must hold class indices (int) or probabilities (float)")
    if t.shape != x.shape:
        raise ValueError(
            f"{who}: probability target must have the input's shape {x.shape}, got {t.shape}"
        )
    tp = _classes_last(t.astype(x.dtype, copy=False), who)
    smoothed = tp * (1 - eps) + eps / num_classes if eps else tp
    wt = smoothed * w if w is not None else smoothed
    per_row = -(wt * logp).sum(axis=1)
    rows = per_row.shape[0]
    out = _reduce(per_row, reduction)
    if reduction == "none":
        out = out.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())

    def backward(g):
        coef = np.asarray(_upstream(g, reduction, rows), dtype=x.dtype).reshape(-1, 1)
        p = np.exp(logp)
        gz = (p * wt.sum(axis=1, keepdims=True) - wt) * coef
        gx = _classes_back(gz, x.shape)
        gt = None
        if target_tensor is not None and target_tensor.requires_grad:
            dlogp = -(1 - eps) * (logp * w if w is not None else logp) * coef
            gt = _classes_back(dlogp, x.shape)
        return (gx, gt)

    parents = (input,) if target_tensor is None else (input, target_tensor)
    return Tensor.make(out, parents, backward)


def _cross_entropy_indices(input, x, t, z, w, ignore_index, reduction, eps, num_classes, who):
    """Class-index targets: one Numba pass for the loss and one for the gradient
    (loss_kernels.py has the rule)."""
    _check_index_target_shape(t, x.shape, who)
    z = np.ascontiguousarray(z)
    labels = np.ascontiguousarray(t.reshape(-1), dtype=np.int64)
    class_weight = np.ones(num_classes, x.dtype) if w is None else np.ascontiguousarray(w)
    logp, row_weight, per_row, bad = loss_kernels.rows_forward(
        z, labels, ignore_index, class_weight, eps
    )
    if bad >= 0:
        raise ValueError(
            f"{who}: target class {int(labels[bad])} is out of range [0, {num_classes}) "
            f"(ignore_index={ignore_index})"
        )
    denom = row_weight.sum()
    out = _reduce(per_row, reduction, denom).reshape(t.shape if reduction == "none" else ())

    def backward(g):
        upstream = _upstream(g, reduction, denom)
        rows = np.empty(labels.shape[0], x.dtype)
        rows[...] = np.reshape(upstream, -1) if reduction == "none" else upstream
        gz = loss_kernels.rows_backward(logp, labels, ignore_index, class_weight, eps, rows)
        return (_classes_back(gz, x.shape),)

    return Tensor.make(out, (input,), backward)


def nll_loss(
    input: Tensor, target, weight=None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of log-probabilities: -w[y_i] input[i, y_i]; 'mean' divides
    by the summed weights of the non-ignored targets, as PyTorch."""
    who = "nll_loss"
    x = _input_array(input, who)
    _, t = _target(target, who)
    _check_reduction(reduction, who)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold integer class indices, got {t.dtype}")
    z = _classes_last(x, who)
    num_classes = z.shape[1]
    w = _weight_array(weight, x, who)
    if w is not None and w.shape != (num_classes,):
        raise ValueError(f"{who}: weight must have shape ({num_classes},), got {w.shape}")
    labels, valid = _index_target(t, x.shape, num_classes, ignore_index, who)
    rows = np.arange(labels.shape[0])
    w_label = (w[labels] if w is not None else np.ones(labels.shape, x.dtype)) * valid
    # ignored rows count 0 even where their picked log-probability is -inf (0 * -inf is NaN)
    per_row = -np.where(valid, z[rows, labels], 0) * w_label
    denom = w_label.sum()
    out = _reduce(per_row.astype(x.dtype, copy=False), reduction, denom).reshape(
        t.shape if reduction == "none" else ()
    )

    def backward(g):
        coef = np.asarray(_upstream(g, reduction, denom), dtype=x.dtype).reshape(-1)
        gz = np.zeros_like(z)
        # ignored rows stay 0 even when every target is ignored and 'mean' divides by 0
        gz[rows, labels] = np.where(valid, -w_label * coef, 0)
        return (_classes_back(gz, x.shape),)

    return Tensor.make(out, (input,), backward)


def binary_cross_entropy(input: Tensor, target, weight=None, reduction: str = "mean") -> Tensor:
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1]; logs clamped at -100
    and the gradient's denominator at 1e-12, as PyTorch. Input and target outside [0, 1]
    (or NaN) are refused. Deviation: the target's gradient log(1 - p) - log p uses the
    clamped logs, so it is +-100 at p = 0 or 1 where PyTorch's is +-inf."""
    who = "binary_cross_entropy"
    p = _input_array(input, who)
    target_tensor, t = _target(target, who)
    _check_reduction(reduction, who)
    if t.shape != p.shape:
        raise ValueError(f"{who}: target shape {t.shape} differs from input shape {p.shape}")
    # written so that NaN fails too, as in PyTorch
    if p.size and not (p.min() >= 0 and p.max() <= 1):
        raise ValueError(f"{who}: all elements of input should be between 0 and 1 (probabilities)")
    t = t.astype(p.dtype, copy=False)
    if t.size and not (t.min() >= 0 and t.max() <= 1):
        raise ValueError(f"{who}: all elements of target should be between 0 and 1")
    w = _elementwise_weight(weight, p, who)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    values = -(t * log_p + (1 - t) * log_1mp)
    if w is not None:
        values = values * w
    out = _reduce(values, reduction)

    def backward(g):
        up = _upstream(g, reduction, p.size)
        gp = (p - t) / np.maximum((1 - p) * p, 1e-12) * up
        gt = -(log_p - log_1mp) * up
        if w is not None:
            gp, gt = gp * w, gt * w
        return (gp, gt)

    parents = (input,) if target_tensor is None else (input, target_tensor)
    return Tensor.make(out, parents, backward)


def binary_cross_entropy_with_logits(
    input: Tensor, target, weight=None, reduction: str = "mean", pos_weight=None
) -> Tensor:
    """BCE on logits: -w (pw t log s(x) + (1 - t) log(1 - s(x))), computed stably as
    (1 - t) x + (1 + (pw - 1) t) (log(1 + exp(-|x|)) + max(-x, 0)). pos_weight broadcasts
    along the last (class) axis."""
    who = "binary_cross_entropy_with_logits"
    x = _input_array(input, who)
    target_tensor, t = _target(target, who)
    _check_reduction(reduction, who)
    if t.shape != x.shape:
        raise ValueError(f"{who}: target shape {t.shape} differs from input shape {x.shape}")
    t = t.astype(x.dtype, copy=False)
    w = _elementwise_weight(weight, x, who)
    pw = _elementwise_weight(pos_weight, x, who, "pos_weight")
    softplus_tail = np.log1p(np.exp(-np.abs(x)))
    log_sig_neg = -(softplus_tail + np.maximum(-x, 0))  # log s(x)
    # log(1 - s(x)) = log s(-x), not log s(x) - x: that is inf - inf at x = -inf
    log_sig_negx = -(softplus_tail + np.maximum(x, 0))
    if pw is None:
        values = -(t * log_sig_neg + (1 - t) * log_sig_negx)
    else:
        values = -(pw * t * log_sig_neg + (1 - t) * log_sig_negx)
    if w is not None:
        values = values * w
    out = _reduce(values, reduction)

    def backward(g):
        up = _upstream(g, reduction, x.size)
        s = np.exp(log_sig_neg)
        if pw is None:
            gx = (s - t) * up
            gt = -(log_sig_neg - log_sig_negx) * up
        else:
            gx = ((1 + (pw - 1) * t) * s - pw * t) * up
            gt = -(pw * log_sig_neg - log_sig_negx) * up
        if w is not None:
            gx, gt = gx * w, gt * w
        return (gx, gt)

    parents = (input,) if target_tensor is None else (input, target_tensor)
    return Tensor.make(out, parents, backward)


# ----------------------------------------------------------------------------- divergence
_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(
    input: Tensor, target, reduction: str = "mean", log_target: bool = False
) -> Tensor:
    """Kullback-Leibler divergence with input = log q and target = p (or log p when
    log_target): pointwise target (log target - input), 0 where target == 0, or
    exp(target) (target - input) when log_target.

    reduction 'batchmean' divides the sum by the batch size input.shape[0] (the KL
    divergence per sample; no division for 0-d input); 'mean' divides by the element count
    and warns, as torch, that this is not the mathematical KL. Computed as torch's
    xlogy(target, target) - target * input, so a target of 0 against an input of -inf
    gives NaN there, as in torch. A target that requires grad gets log target + 1 - input,
    NaN where target == 0 as in torch (d/dt of t log t is unbounded at 0).
    """
    who = "kl_div"
    x = _input_array(input, who)
    target_tensor, t = _target(target, who)
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}")
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the "
            "KL div math definition.",
            stacklevel=2,
        )
    if t.shape != x.shape:
        raise ValueError(f"{who}: target shape {t.shape} differs from input shape {x.shape}")
    t = t.astype(x.dtype, copy=False)
    # p: the target distribution, which weights the input's gradient
    p = np.exp(t) if log_target else t
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = t if log_target else np.log(t)
        values = p * (t - x) if log_target else np.where(t == 0, 0, t * log_p) - t * x
    count = (x.shape[0] if x.ndim else 1) if reduction == "batchmean" else values.size
    total = values.sum(dtype=values.dtype)
    out = values if reduction == "none" else total / (1 if reduction == "sum" else count)
    out = np.asarray(out, dtype=x.dtype)

    def backward(g):
        up = g if reduction in ("none", "sum") else g / count
        gt = None
        if target_tensor is not None and target_tensor.requires_grad:
            # d/dt of t (log t - x) is log t + 1 - x (NaN at t == 0, as torch's xlogy
            # rule); of e^t (t - x) it is e^t (t + 1 - x)
            with np.errstate(invalid="ignore"):
                dlog = log_p if log_target else np.where(t == 0, np.nan, log_p)
            gt = (dlog + 1 - x) * (p if log_target else 1) * up
        return (-p * up, gt)

    parents = (input,) if target_tensor is None else (input, target_tensor)
    return Tensor.make(out, parents, backward)


# ----------------------------------------------------------------------------- penalties
def _params_list(params: Iterable[Tensor], who: str) -> list[Tensor]:
    params = list(params)
    if not params:
        raise ValueError(f"{who}: got an empty parameter list")
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: expected Tensors, got {type(p).__name__}")
    return params


def l1_penalty(params: Iterable[Tensor]) -> Tensor:
    """sum_p sum |p| over the given tensors (multiply by your lambda and add to the loss)."""
    params = _params_list(params, "l1_penalty")
    dtype = np.result_type(*(p.data.dtype for p in params))
    total = np.asarray(sum(np.abs(p.data).sum() for p in params), dtype=dtype)

    def backward(g):
        return tuple(np.sign(p.data) * g for p in params)

    return Tensor.make(total, tuple(params), backward)


def l2_penalty(params: Iterable[Tensor]) -> Tensor:
    """sum_p sum p^2 over the given tensors (no 1/2 factor: lambda * l2_penalty adds
    2 lambda p to each gradient)."""
    params = _params_list(params, "l2_penalty")
    dtype = np.result_type(*(p.data.dtype for p in params))
    total = np.asarray(sum(np.vdot(p.data, p.data) for p in params), dtype=dtype)

    def backward(g):
        return tuple(2 * p.data * g for p in params)

    return Tensor.make(total, tuple(params), backward)


# ----------------------------------------------------------------------------- modules
class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with a `weight` buffer (in state_dict when given, as PyTorch's)."""

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target) -> Tensor:
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_WeightedLoss):
    def __init__(
        self,
        weight=None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_WeightedLoss):
    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class NLLLoss2d(NLLLoss):
    """torch's deprecated alias of NLLLoss (the same arguments and forward; NLLLoss takes
    (N, C, d1, ...) input already)."""


class BCELoss(_WeightedLoss):
    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class KLDivLoss(_Loss):
    """KLDivLoss(reduction='mean', log_target=False) as torch.nn.KLDivLoss (see kl_div;
    'batchmean' is the mathematical KL divergence per sample)."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        # skips _Loss.__init__, whose check refuses 'batchmean'
        Module.__init__(self)
        if reduction not in _KL_REDUCTIONS:
            raise ValueError(
                f"KLDivLoss: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target) -> Tensor:
        return kl_div(input, target, self.reduction, self.log_target)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )


__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "l1_penalty",
    "l2_penalty",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "NLLLoss2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
]

# Losses kept in their own files; imported last because those files build on the helpers
# and base classes above.
from .loss_likelihood import (  # noqa: E402
    GaussianNLLLoss,
    PoissonNLLLoss,
    gaussian_nll_loss,
    poisson_nll_loss,
)
from .loss_margin import (  # noqa: E402
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)

__all__ += [
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "PoissonNLLLoss", "GaussianNLLLoss",
]
__all__ += ["triplet_margin_with_distance_loss", "TripletMarginWithDistanceLoss"]

from .loss_ctc import CTCLoss, ctc_loss  # noqa: E402

__all__ += ["ctc_loss", "CTCLoss"]
