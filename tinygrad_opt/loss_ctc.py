"""Connectionist temporal classification loss (Graves et al. 2006, "Connectionist Temporal
Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks"), with
torch.nn.functional's name, arguments and defaults: `ctc_loss` and the class `CTCLoss`.

The loss of a sample is -log of the total probability of every alignment of its target to
its input steps (labels may repeat and be separated by any number of blanks; a repeated
label needs a blank between its copies). The forward (alpha) recursion and the
forward-backward gradient run in log space in loss_ctc_kernels, one graph node, samples in
parallel; computed in float64 whatever the input dtype, returned in the input's dtype.

Deviations from PyTorch:
- The gradient is the exact derivative of the loss w.r.t. log_probs. PyTorch's kernels also
  add exp(log_probs) at every step t < input_length, a term that cancels when log_probs
  come out of log_softmax (its backward removes any per-step constant times softmax), so
  gradients w.r.t. the logits agree; they differ only for log_probs that are not
  normalised log-probabilities.
- Target labels outside [0, C) raise ValueError (PyTorch reads out of bounds); lengths may
  also be plain ints.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import loss_ctc_kernels
from .loss import _check_reduction, _Loss
from .tensor import Tensor

_WHO = "ctc_loss"


def _integers(value, name: str) -> np.ndarray:
    """A Tensor, array, sequence or int of whole numbers as int64 (1-D at most)."""
    if isinstance(value, bool):
        raise TypeError(f"{_WHO}: {name} must hold integers, got {value!r}")
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind in "iu":
        return data.astype(np.int64)
    if data.dtype.kind == "f" and np.all(np.isfinite(data)) and np.all(data == np.round(data)):
        return data.astype(np.int64)  # PyTorch accepts float targets holding whole numbers
    raise TypeError(f"{_WHO}: {name} must be integral, got dtype {data.dtype}")


def _lengths(value, name: str, batch: int, upper: int | None) -> np.ndarray:
    lengths = _integers(value, name).reshape(-1)
    if lengths.size != batch:
        raise ValueError(
            f"{_WHO}: {name} must hold one length per sample ({batch}), got {lengths.size}"
        )
    if lengths.size and lengths.min() < 0:
        raise ValueError(f"{_WHO}: {name} must be >= 0, got {lengths.min()}")
    if upper is not None and lengths.size and lengths.max() > upper:
        raise ValueError(f"{_WHO}: {name} must be at most {upper}, got {lengths.max()}")
    return lengths


def _padded_targets(targets, batch: int, target_lengths, unbatched: bool):
    """(padded (N, S) int64 targets, target lengths): a 1-D batched target is the
    concatenation of the samples' targets and is spread into rows."""
    t = _integers(targets, "targets")
    if unbatched:
        if t.ndim != 1:
            raise ValueError(f"{_WHO}: unbatched targets must be 1-D (S,), got shape {t.shape}")
        t = t[None]
    if t.ndim == 2:
        if t.shape[0] != batch:
            raise ValueError(
                f"{_WHO}: padded targets must have shape (N={batch}, S), got {t.shape}"
            )
        return t, _lengths(target_lengths, "target_lengths", batch, t.shape[1])
    if t.ndim != 1:
        raise ValueError(
            f"{_WHO}: targets must be padded (N, S) or concatenated 1-D, got shape {t.shape}"
        )
    lengths = _lengths(target_lengths, "target_lengths", batch, None)
    if t.size != lengths.sum():
        raise ValueError(
            f"{_WHO}: concatenated targets must hold sum(target_lengths) = {lengths.sum()} "
            f"labels, got {t.size}"
        )
    used = np.arange(lengths.max(initial=0)) < lengths[:, None]
    padded = np.zeros(used.shape, dtype=np.int64)
    padded[used] = t  # row-major order of `used` is the concatenation order
    return padded, lengths


def ctc_loss(
    log_probs: Tensor,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of log_probs (T, N, C) or unbatched (T, C) (log-probabilities over C classes,
    usually log_softmax output) against targets: padded (N, S), concatenated 1-D of length
    sum(target_lengths), or (S,) when unbatched. Lengths are Tensors, arrays or tuples of
    N integers, input_lengths <= T.

    reduction 'none' gives the per-sample losses, 'sum' their sum, 'mean' (default) the
    average of each loss divided by its target length (at least 1). A target that no
    alignment fits (too long for its input) has an infinite loss and NaN gradients unless
    zero_infinity=True, which makes those losses and their gradients 0.
    """
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"{_WHO}: log_probs must be a Tensor, got {type(log_probs).__name__}")
    x = log_probs.data
    if x.dtype.kind != "f":
        raise TypeError(f"{_WHO}: log_probs must be floating point, got {x.dtype}")
    if x.ndim not in (2, 3):
        raise ValueError(f"{_WHO}: log_probs must be (T, N, C) or (T, C), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{_WHO}: log_probs must not be empty, got shape {x.shape}")
    _check_reduction(reduction, _WHO)
    unbatched = x.ndim == 2
    x3 = x[:, None] if unbatched else x
    steps, batch, classes = x3.shape
    if not isinstance(blank, numbers.Integral) or not 0 <= blank < classes:
        raise ValueError(f"{_WHO}: blank must be a class index in [0, {classes}), got {blank!r}")
    padded, tl = _padded_targets(targets, batch, target_lengths, unbatched)
    il = _lengths(input_lengths, "input_lengths", batch, steps)
    used = np.arange(padded.shape[1]) < tl[:, None]
    labels = padded[used]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{_WHO}: target labels must be in [0, {classes}), got values in "
            f"[{labels.min()}, {labels.max()}]"
        )
    padded = np.ascontiguousarray(padded[:, : tl.max(initial=0)])
    lp = np.ascontiguousarray(x3, dtype=np.float64)
    nll, alpha = loss_ctc_kernels.forward(lp, padded, il, tl, int(blank))
    zeroed = np.isinf(nll) if zero_infinity else np.zeros(batch, dtype=bool)
    losses = np.where(zeroed, 0.0, nll)
    per_target = np.maximum(tl, 1)
    if reduction == "none":
        out = losses[0] if unbatched else losses
    elif reduction == "sum":
        out = losses.sum()
    else:
        out = (losses / per_target).mean()

    def backward(g):
        g = np.asarray(g, dtype=np.float64)
        if reduction == "none":
            upstream = np.broadcast_to(g, (batch,)).copy()
        elif reduction == "sum":
            upstream = np.full(batch, float(g))
        else:
            upstream = float(g) / (per_target * batch)
        grad = loss_ctc_kernels.backward(lp, padded, il, tl, int(blank), alpha, nll, upstream,
                                         zeroed)
        return (grad.reshape(x.shape).astype(x.dtype, copy=False),)

    return Tensor.make(np.asarray(out, dtype=x.dtype), (log_probs,), backward)


class CTCLoss(_Loss):
    """CTCLoss(blank=0, reduction='mean', zero_infinity=False); forward(log_probs, targets,
    input_lengths, target_lengths) as ctc_loss."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets, input_lengths, target_lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
