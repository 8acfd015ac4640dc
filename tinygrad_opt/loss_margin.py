"""Margin and embedding losses with torch.nn.functional's names, arguments and defaults:
margin ranking, hinge embedding, cosine embedding, triplet margin, soft margin, multi-label
soft margin, multi-class margin and multi-label margin, plus their nn classes.

Each is composed of Tensor ops, so autograd gives every gradient. Ties follow PyTorch:
losses it writes with clamp_min(0) (ranking, hinge, cosine, triplet) pass the gradient at
exactly 0, the multi-class and multi-label margins (a `z > 0` test in PyTorch) do not.
Deviations from PyTorch: the deprecated `size_average` / `reduce` arguments are not taken
(pass `reduction=` by keyword; a positional value lands on `reduction` and is refused), and
soft_margin_loss is computed stably, so a margin of -1000 gives 1000 where PyTorch's
log(1 + exp(1000)) overflows to inf. Targets of +-1 are not checked, as PyTorch: other
values enter the formulas as they stand.
"""

from __future__ import annotations

import numpy as np

from .loss import _check_reduction, _Loss, _WeightedLoss
from .nn.activation import logsigmoid
from .nn.distance import PairwiseDistance, pairwise_distance
from .ops import minimum, where
from .tensor import Tensor

# added to each squared norm in cosine_embedding_loss, as PyTorch, so zero vectors give
# cos = 0 instead of 0 / 0
_COSINE_EPS = 1e-12


# ----------------------------------------------------------------------------- helpers
def _float_tensor(x, who: str, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{who}: {name} must be floating point, got {x.data.dtype}")
    return x


def _operand(value, like: np.ndarray, who: str, name: str) -> Tensor:
    """A target or weight as a Tensor: float Tensors are kept (their gradient flows),
    anything else becomes a constant of the input's dtype."""
    if isinstance(value, Tensor) and value.data.dtype.kind == "f":
        return value
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must hold numbers, got dtype {data.dtype}")
    return Tensor(data.astype(like.dtype))


def _broadcast(who: str, **shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{k} {v}" for k, v in shapes.items())
        raise ValueError(f"{who}: shapes do not broadcast: {listed}") from None


def _fits(who: str, name: str, shape: tuple[int, ...], input_shape: tuple[int, ...]) -> None:
    """`shape` must broadcast to the input's shape without growing it."""
    try:
        fits = np.broadcast_shapes(input_shape, shape) == input_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{who}: {name} of shape {shape} does not broadcast to the input's shape "
            f"{input_shape}"
        )


def _reduce(values: Tensor, reduction: str, empty_mean: float | None = None) -> Tensor:
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    if empty_mean is not None and values.data.size == 0:
        # built on the (empty) values, so it stays in the graph and backward() still works
        return values.sum() + empty_mean
    return values.mean()


def _index_target(target, who: str) -> np.ndarray:
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must hold integer class indices, got dtype {t.dtype}")
    return t.astype(np.int64, copy=False)


def _rows(x: np.ndarray, who: str) -> tuple[int, int]:
    """(frames, classes) of a 0-d, (C,) or (N, C) input, as PyTorch's margin kernels."""
    if x.ndim > 2 or (x.ndim >= 1 and x.shape[-1] == 0):
        raise ValueError(
            f"{who}: input must be a non-empty vector (C,) or matrix (N, C) (N may be 0), "
            f"got shape {x.shape}"
        )
    return (x.shape[0] if x.ndim == 2 else 1), (x.shape[-1] if x.ndim else 1)


# ----------------------------------------------------------------------------- pairs
def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """max(0, -y (x1 - x2) + margin), y = 1 meaning x1 should rank higher. As PyTorch, the
    three must have the same number of dimensions and then broadcast."""
    who = "margin_ranking_loss"
    x1 = _float_tensor(input1, who, "input1")
    x2 = _float_tensor(input2, who, "input2")
    y = _operand(target, x1.data, who, "target")
    _check_reduction(reduction, who)
    shapes = {"input1": x1.shape, "input2": x2.shape, "target": y.shape}
    if len({len(s) for s in shapes.values()}) != 1:
        raise ValueError(
            f"{who}: input1, input2 and target must have the same number of dimensions, got "
            f"shapes {x1.shape}, {x2.shape} and {y.shape}"
        )
    _broadcast(who, **shapes)
    return _reduce((-y * (x1 - x2) + margin).clip(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor, target, margin: float = 1.0, reduction: str = "mean"
) -> Tensor:
    """x where y == 1, max(0, margin - x) where y == -1 (input and target broadcast). As
    PyTorch, any other y gets both terms."""
    who = "hinge_embedding_loss"
    x = _float_tensor(input, who, "input")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    _check_reduction(reduction, who)
    _broadcast(who, input=x.shape, target=t.shape)
    hinge = where(t != 1, (margin - x).clip(min=0), 0.0)
    return _reduce(hinge + where(t != -1, x, 0.0), reduction)


def soft_margin_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), computed as -logsigmoid(y x) so it stays finite for any margin
    (PyTorch's overflows to inf past y x = -89 in float32). The target must broadcast to the
    input's shape, as PyTorch; a float Tensor target gets its gradient."""
    who = "soft_margin_loss"
    x = _float_tensor(input, who, "input")
    y = _operand(target, x.data, who, "target")
    _check_reduction(reduction, who)
    _fits(who, "target", y.shape, x.shape)
    return _reduce(-logsigmoid(y * x), reduction)


# ----------------------------------------------------------------------------- embeddings
def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1, 0 for other
    y (as PyTorch). Inputs (N, D) with target (N,), or (D,) with a 0-d target; rows
    broadcast. cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), so a zero vector gives
    cos = 0 and a finite gradient, as PyTorch."""
    who = "cosine_embedding_loss"
    x1 = _float_tensor(input1, who, "input1")
    x2 = _float_tensor(input2, who, "input2")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    _check_reduction(reduction, who)
    if t.ndim > 1:
        raise ValueError(f"{who}: target must be 0-d or 1-d (one per pair), got shape {t.shape}")
    want = t.ndim + 1
    if x1.ndim != want or x2.ndim != want:
        raise ValueError(
            f"{who}: a {t.ndim}-d target expects {want}-d inputs, got shapes {x1.shape} and "
            f"{x2.shape}"
        )
    pairs = _broadcast(who, input1=x1.shape, input2=x2.shape)
    _broadcast(who, pairs=pairs[:-1], target=t.shape)
    dot = (x1 * x2).sum(axis=-1)
    norms = ((x1 * x1).sum(axis=-1) + _COSINE_EPS) * ((x2 * x2).sum(axis=-1) + _COSINE_EPS)
    cos = dot / norms.sqrt()
    similar = where(t == 1, 1 - cos, 0.0)
    return _reduce(similar + where(t == -1, (cos - margin).clip(min=0), 0.0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance(., ., p, eps) over the last
    dimension; with swap, d(a, n) becomes min(d(a, n), d(p, n)) (Balntas et al., 2016).
    margin must be > 0 and the three inputs must have the same number of dimensions (then
    they broadcast), as PyTorch."""
    who = "triplet_margin_loss"
    a = _float_tensor(anchor, who, "anchor")
    pos = _float_tensor(positive, who, "positive")
    neg = _float_tensor(negative, who, "negative")
    _check_reduction(reduction, who)
    if not margin > 0:
        raise ValueError(f"{who}: margin must be greater than 0, got {margin}")
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{who}: anchor, positive and negative must have the same number of dimensions, "
            f"got shapes {a.shape}, {pos.shape} and {neg.shape}"
        )
    _broadcast(who, anchor=a.shape, positive=pos.shape, negative=neg.shape)
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + d_pos - d_neg).clip(min=0), reduction)


# ----------------------------------------------------------------------------- multi-class
def multilabel_soft_margin_loss(
    input: Tensor, target, weight=None, reduction: str = "mean"
) -> Tensor:
    """-(1 / C) sum_c w_c (y_c log s(x_c) + (1 - y_c) log s(-x_c)) over the last (class)
    dimension, s the sigmoid, computed with stable log-sigmoids. Input (N, C) or (C,) (any
    leading dimensions are kept); target and weight must broadcast to its shape (PyTorch
    also lets them broadcast the input to a larger shape; that is refused here)."""
    who = "multilabel_soft_margin_loss"
    x = _float_tensor(input, who, "input")
    y = _operand(target, x.data, who, "target")
    _check_reduction(reduction, who)
    if x.ndim == 0:
        raise ValueError(f"{who}: input must have a class dimension, got a 0-d input")
    _fits(who, "target", y.shape, x.shape)
    values = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        w = _operand(weight, x.data, who, "weight")
        _fits(who, "weight", w.shape, x.shape)
        values = values * w
    return _reduce(values.sum(axis=-1) / x.shape[-1], reduction)


def multi_margin_loss(
    input: Tensor,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: (1 / C) sum_{i != y} w_y max(0, margin - x_y + x_i)^p per sample.

    Input (N, C), (C,) or 0-d; integer target (N,) (or () / (1,) for one sample), each in
    [0, C). p is 1 or 2. The class weight multiplies the powered hinge once, as PyTorch
    computes it and its current documentation writes it (older pages put w_y inside the
    power, which differs for p = 2).
    'none' returns the target's shape; 'mean' of an empty batch is 0, as PyTorch.
    """
    who = "multi_margin_loss"
    x = _float_tensor(input, who, "input")
    t = _index_target(target, who)
    _check_reduction(reduction, who)
    if p != 1 and p != 2:
        raise ValueError(f"{who}: p must be 1 or 2, got {p!r}")
    frames, classes = _rows(x.data, who)
    if t.ndim > 1 or t.size != frames:
        raise ValueError(
            f"{who}: target must be 1-d with one class index per sample ({frames}) for input "
            f"of shape {x.shape}, got shape {t.shape}"
        )
    labels = t.reshape(-1)
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise ValueError(
            f"{who}: target class {int(labels[bad][0])} is out of range [0, {classes})"
        )
    if weight is not None:
        w = _operand(weight, x.data, who, "weight")
        if w.shape != (classes,):
            raise ValueError(
                f"{who}: weight must be one-dimensional of shape ({classes},), got {w.shape}"
            )
    z = x.reshape(frames, classes)
    rows = np.arange(frames)
    picked = z[rows, labels].reshape(frames, 1)
    hinge = (margin - picked + z).relu()
    if p == 2:
        hinge = hinge * hinge
    # the label's own column is margin, not a violation
    others = np.arange(classes) != labels[:, None]
    hinge = where(others, hinge, 0.0)
    if weight is not None:
        hinge = hinge * w[labels].reshape(frames, 1)
    per_sample = (hinge.sum(axis=1) / classes).reshape(t.shape)
    return _reduce(per_sample, reduction, empty_mean=0.0)


def multilabel_margin_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Multi-label hinge: (1 / C) sum_{j} sum_{i not a target} max(0, 1 - (x_{y_j} - x_i))
    per sample, over the target classes y_j listed before the first -1.

    Input (N, C), (C,) or 0-d; integer target of the input's shape (a (C,) input also takes
    a target of C entries), values in [-1, C) everywhere, also after the first -1, as
    PyTorch. A class listed twice counts twice, as PyTorch. 'none' gives (N,) for a matrix,
    0-d otherwise; 'mean' of an empty batch is 0.
    """
    who = "multilabel_margin_loss"
    x = _float_tensor(input, who, "input")
    t = _index_target(target, who)
    _check_reduction(reduction, who)
    frames, classes = _rows(x.data, who)
    fits = t.shape == x.shape if x.ndim == 2 else (t.ndim <= 1 and t.size == classes)
    if not fits:
        raise ValueError(
            f"{who}: target must have the input's shape {x.shape} (class indices padded with "
            f"-1), got shape {t.shape}"
        )
    bad = (t < -1) | (t >= classes)
    if bad.any():
        raise ValueError(f"{who}: target value {int(t[bad][0])} is out of range [-1, {classes})")
    labels = t.reshape(frames, classes)
    listed = np.cumprod(labels >= 0, axis=1).astype(bool)  # entries before the first -1
    # only the longest list's width is needed: (N, K, C) hinges instead of (N, C, C)
    width = int(listed.sum(axis=1).max(initial=0))
    listed, labels = listed[:, :width], np.where(listed, labels, 0)[:, :width]
    rows = np.arange(frames)[:, None]
    is_target = np.zeros((frames, classes), dtype=bool)
    is_target[np.broadcast_to(rows, labels.shape)[listed], labels[listed]] = True
    z = x.reshape(frames, classes)
    hinge = (1 - z[rows, labels].reshape(frames, width, 1) + z.reshape(frames, 1, classes)).relu()
    counted = listed[:, :, None] & ~is_target[:, None, :]
    per_sample = where(counted, hinge, 0.0).sum(axis=(1, 2)) / classes
    if x.ndim < 2:
        per_sample = per_sample.reshape(())
    return _reduce(per_sample, reduction, empty_mean=0.0)


# ----------------------------------------------------------------------------- modules
class MarginRankingLoss(_Loss):
    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, self.reduction)


class HingeEmbeddingLoss(_Loss):
    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Tensor, target) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, self.reduction)


class CosineEmbeddingLoss(_Loss):
    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)


class TripletMarginLoss(_Loss):
    """TripletMarginLoss(margin=1.0, p=2.0, eps=1e-6, swap=False, reduction='mean'); margin
    must be > 0 (checked here, as PyTorch)."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap, self.reduction
        )


class SoftMarginLoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return soft_margin_loss(input, target, self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    def forward(self, input: Tensor, target) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight, self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """MultiMarginLoss(p=1, margin=1.0, weight=None, reduction='mean'); p and the weight's
    dimensions are checked here, as PyTorch."""

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"
    ) -> None:
        if p != 1 and p != 2:
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        shape = None if weight is None else np.shape(getattr(weight, "data", weight))
        if shape is not None and len(shape) != 1:
            raise ValueError(
                f"MultiMarginLoss: weight must be None or one-dimensional, got shape {shape}"
            )
        super().__init__(weight, reduction)
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight, self.reduction)


class MultiLabelMarginLoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return multilabel_margin_loss(input, target, self.reduction)


# ----------------------------------------------------------------------------- any distance
def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any distance d(x, y) -> Tensor (default
    pairwise_distance, i.e. the L2 distance with eps=1e-6 over the last dimension); with
    swap, d(a, n) becomes min(d(a, n), d(p, n)). margin must be > 0 and the three inputs
    must have the same number of dimensions, as PyTorch."""
    who = "triplet_margin_with_distance_loss"
    a = _float_tensor(anchor, who, "anchor")
    pos = _float_tensor(positive, who, "positive")
    neg = _float_tensor(negative, who, "negative")
    _check_reduction(reduction, who)
    if not margin > 0:
        raise ValueError(f"{who}: margin must be greater than 0, got {margin}")
    if distance_function is not None and not callable(distance_function):
        raise TypeError(
            f"{who}: distance_function must be callable (x, y) -> Tensor or None, got "
            f"{type(distance_function).__name__}"
        )
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{who}: anchor, positive and negative must have the same number of dimensions, "
            f"got shapes {a.shape}, {pos.shape} and {neg.shape}"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos = distance(a, pos)
    d_neg = distance(a, neg)
    if swap:
        d_neg = minimum(d_neg, distance(pos, neg))
    return _reduce((margin + d_pos - d_neg).clip(min=0), reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """TripletMarginWithDistanceLoss(*, distance_function=None, margin=1.0, swap=False,
    reduction='mean'); as PyTorch, a missing distance_function becomes a PairwiseDistance()
    child module, and margin must be > 0."""

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if not margin > 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}"
            )
        if distance_function is not None and not callable(distance_function):
            raise TypeError(
                "TripletMarginWithDistanceLoss: distance_function must be callable or None, "
                f"got {type(distance_function).__name__}"
            )
        self.distance_function = (
            PairwiseDistance() if distance_function is None else distance_function
        )
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
