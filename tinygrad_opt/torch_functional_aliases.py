"""torch's top-level forms of nn.functional ops (`torch.conv2d`, `torch.layer_norm`,
`torch.dropout`, `torch.batch_norm`, ...), with torch's TOP-LEVEL signatures, which often
differ from nn.functional's: `dropout(input, p, train)` has a required `train`;
`batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
cudnn_enabled)` takes the weights first and every argument positionally; losses take
`reduction` as an int (0 'none', 1 'mean', 2 'sum'; the strings are accepted too;
omitted, it is 1, the default torch's signatures state, though torch 2.13's bindings then
apply 0);
`embedding(weight, indices, padding_idx=-1, ...)` takes the table first (a negative
padding_idx means none); `embedding_bag` returns torch's 4-tuple; the max pools have no
`return_indices`; `grid_sampler` takes integer mode codes.

Each wraps the nn.functional implementation, so values and gradients are those of
nn.functional. Flags that select a backend (`cudnn_enabled`, `cudnn_enable`, `sparse`) are
accepted and ignored. The in-place forms (`dropout_`, `celu_`, ...) follow the package
rule of ops/in_place.py (refused on tensors that require grad while grad mode is on).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .nn import functional as F
from .nn.activation_inplace import celu_ as _celu_
from .nn.activation_inplace import rrelu_ as _rrelu_
from .nn.activation_inplace import selu_ as _selu_
from .nn.activation_inplace import threshold_ as _threshold_
from .nn.dropout import _check_p
from .nn.embedding import renorm_rows
from .nn.recurrent import _gru_step, _lstm_step, _rnn_step
from .ops.in_place import apply_in_place
from .random import generator as _package_generator
from .random import resolve
from .tensor import Tensor

# ------------------------------------------------------------------ convolution and padding
conv1d = F.conv1d
conv2d = F.conv2d
conv3d = F.conv3d
conv_transpose1d = F.conv_transpose1d
conv_transpose2d = F.conv_transpose2d
conv_transpose3d = F.conv_transpose3d


def convolution(input: Tensor, weight: Tensor, bias, stride, padding, dilation,  # noqa: A002
                transposed: bool, output_padding, groups: int) -> Tensor:
    """torch.convolution: conv{1,2,3}d or conv_transpose{1,2,3}d by weight's rank and
    `transposed`, every argument required."""
    spatial = weight.data.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"convolution: weight must have 3 to 5 dimensions, got {weight.data.ndim}")
    if transposed:
        fn = (conv_transpose1d, conv_transpose2d, conv_transpose3d)[spatial - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (conv1d, conv2d, conv3d)[spatial - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:  # noqa: A002
    """F.pad(input, pad, "constant", value): pad is (left, right) pairs, last dimension
    first; negative entries crop."""
    return F.pad(input, tuple(pad), "constant", value)


# ------------------------------------------------------------------ pooling
adaptive_avg_pool1d = F.adaptive_avg_pool1d


def _default_stride(stride):
    # torch's empty stride means "the kernel size" (nn.functional's None); 0 stays an error
    return None if isinstance(stride, (tuple, list)) and len(stride) == 0 else stride


def avg_pool1d(input: Tensor, kernel_size, stride=(), padding=0, ceil_mode: bool = False,  # noqa: A002
               count_include_pad: bool = True) -> Tensor:
    return F.avg_pool1d(input, kernel_size, _default_stride(stride), padding, ceil_mode,
                        count_include_pad)


def max_pool1d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False) -> Tensor:
    """torch.max_pool1d (no return_indices; see max_pool1d_with_indices). An empty stride
    means stride = kernel_size, as torch."""
    return F.max_pool1d(input, kernel_size, _default_stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=(), padding=0,  # noqa: A002
                            dilation=1, ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
    """(values, indices) of max_pool1d."""
    return F.max_pool1d(input, kernel_size, _default_stride(stride), padding, dilation,
                        ceil_mode, True)


def max_pool2d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False) -> Tensor:
    return F.max_pool2d(input, kernel_size, _default_stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,  # noqa: A002
               ceil_mode: bool = False) -> Tensor:
    return F.max_pool3d(input, kernel_size, _default_stride(stride), padding, dilation, ceil_mode)


def adaptive_max_pool1d(input: Tensor, output_size) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(values, indices), always both, as torch.adaptive_max_pool1d."""
    return F.adaptive_max_pool1d(input, output_size, True)


# ------------------------------------------------------------------ normalisation
def batch_norm(input: Tensor, weight, bias, running_mean, running_var, training: bool,  # noqa: A002
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """F.batch_norm with torch's top-level argument order (weights first, all required)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight, bias, running_mean, running_var,  # noqa: A002
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """F.instance_norm with torch's top-level argument order (all required)."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
               cudnn_enable: bool = True) -> Tensor:
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
               cudnn_enabled: bool = True) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


rms_norm = F.rms_norm


def _normalized_axes(op: str, x: np.ndarray, normalized_shape) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"{op}: normalized_shape {shape} must end input's shape {x.shape}")
    return tuple(range(x.ndim - len(shape), x.ndim))


def native_layer_norm(input: Tensor, normalized_shape, weight, bias, eps: float  # noqa: A002
                      ) -> tuple[Tensor, Tensor, Tensor]:
    """(output, mean, rstd) as torch.native_layer_norm: mean and 1/sqrt(var + eps) over the
    normalized dimensions, kept as size-1 dimensions. Only the output carries gradients."""
    x = input.data
    axes = _normalized_axes("native_layer_norm", x, normalized_shape)
    mean = x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    return out, Tensor(mean.astype(x.dtype)), Tensor(rstd.astype(x.dtype))


def native_batch_norm(input: Tensor, weight, bias, running_mean, running_var,  # noqa: A002
                      training: bool, momentum: float, eps: float
                      ) -> tuple[Tensor, Tensor, Tensor]:
    """(output, save_mean, save_invstd) as torch.native_batch_norm: in training the batch
    mean and 1/sqrt(biased var + eps) per channel (running stats updated as batch_norm);
    in eval both are empty tensors, as torch. Only the output carries gradients."""
    x = input.data
    empty = Tensor(np.zeros((0,), dtype=x.dtype))
    save_mean = save_invstd = empty
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        save_mean = Tensor(x.mean(axis=axes).astype(x.dtype))
        save_invstd = Tensor((1.0 / np.sqrt(x.var(axis=axes) + eps)).astype(x.dtype))
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return out, save_mean, save_invstd


# ------------------------------------------------------------------ dropout
def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """F.dropout(input, p, training=train): train is required, as torch.dropout."""
    return F.dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """dropout in place; returns input."""
    return apply_in_place("dropout_", input, lambda: dropout(input, p, train))


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return apply_in_place("alpha_dropout_", input, lambda: alpha_dropout(input, p, train))


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return apply_in_place("feature_alpha_dropout_", input,
                          lambda: feature_alpha_dropout(input, p, train))


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """Drop whole features: one draw per (sample, channel) of input with >= 2 dimensions
    (N, C, *), broadcast over the rest, survivors scaled by 1 / (1 - p)."""
    p = _check_p(p, "feature_dropout")
    x = input.data
    if x.ndim < 2:
        raise ValueError(
            f"feature_dropout: needs at least 2 dimensions (N, C, ...), got shape {x.shape}"
        )
    if not train or p == 0.0:
        return input
    keep = _package_generator().random(x.shape[:2] + (1,) * (x.ndim - 2)) >= p
    scale = (keep / (1.0 - p) if p < 1.0 else np.zeros(keep.shape)).astype(x.dtype)
    return input * scale


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return apply_in_place("feature_dropout_", input, lambda: feature_dropout(input, p, train))


def native_dropout(input: Tensor, p: float, train) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(output, mask) as torch.native_dropout: the bool mask of kept elements (all True when
    train is False; train None counts as True, as torch)."""
    p = _check_p(p, "native_dropout")
    x = input.data
    if train is False:
        return input * 1, Tensor(np.ones(x.shape, dtype=np.bool_))
    keep = _package_generator().random(x.shape) >= p
    scale = (keep / (1.0 - p) if p < 1.0 else np.zeros(x.shape)).astype(x.dtype)
    return input * scale, Tensor(keep)


# ------------------------------------------------------------------ embeddings
def embedding(weight: Tensor, indices, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[indices], torch.embedding's order (table first); a negative padding_idx means
    none (F.embedding turns its negative padding_idx into a row index before calling it)."""
    pad = None if padding_idx is None or padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, pad, None, 2.0, scale_grad_by_freq)


class EmbeddingBagResult(NamedTuple):
    """torch.embedding_bag's 4-tuple (the last three are torch's CPU kernel's bookkeeping)."""

    output: Tensor
    offset2bag: Tensor
    bag_size: Tensor
    max_indices: Tensor


_BAG_MODES = {0: "sum", 1: "mean", 2: "max", "sum": "sum", "mean": "mean", "max": "max"}


def embedding_bag(weight: Tensor, indices, offsets, scale_grad_by_freq: bool = False,
                  mode: int = 0, sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None) -> EmbeddingBagResult:
    """torch.embedding_bag: F.embedding_bag's bags (mode 0 sum, 1 mean, 2 max) plus, as
    torch's CPU kernel: offset2bag (the bag of each index), bag_size (the non-padding count
    per bag; zeros in sum mode) and max_indices (the row chosen per bag and feature in max
    mode, bag_size in mean mode, zeros in sum mode). Deviation: torch's float32 sum-mode
    fast path leaves offset2bag empty; it is always filled here."""
    if mode not in _BAG_MODES:
        raise ValueError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode!r}")
    name = _BAG_MODES[mode]
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    output = F.embedding_bag(indices, weight, None if idx.ndim == 2 else offsets, None, 2.0,
                             scale_grad_by_freq, name, sparse, per_sample_weights,
                             include_last_offset, padding_idx)
    flat = idx.reshape(-1).astype(np.int64)
    if idx.ndim == 2:
        starts = np.arange(idx.shape[0]) * idx.shape[1]
    else:
        off = offsets.data if isinstance(offsets, Tensor) else np.asarray(offsets)
        starts = np.asarray(off, dtype=np.int64).reshape(-1)
        if include_last_offset:
            starts = starts[:-1]
    bags = starts.shape[0]
    owner = np.searchsorted(starts, np.arange(flat.size), side="right") - 1
    real = flat != padding_idx if padding_idx is not None else np.ones(flat.size, bool)
    bag_size = np.bincount(owner[real], minlength=bags).astype(np.int64)
    if name == "sum":
        zeros = np.zeros(bags, np.int64)
        return EmbeddingBagResult(output, Tensor(owner.astype(np.int64)), Tensor(zeros),
                                  Tensor(zeros.copy()))
    if name == "mean":
        return EmbeddingBagResult(output, Tensor(owner.astype(np.int64)), Tensor(bag_size),
                                  Tensor(bag_size.copy()))
    rows = np.where(real[:, None], weight.data[flat], -np.inf)
    dim = weight.data.shape[1]
    best = np.full((bags, dim), -np.inf)
    np.maximum.at(best, owner, rows)
    # the first position in each bag that reaches the bag's maximum, per feature
    # padding rows (-inf) never count, even in a bag holding nothing else (its index stays 0)
    hit = (rows == best[owner]) & real[:, None]
    position = np.where(hit, np.arange(flat.size)[:, None], flat.size)
    first = np.full((bags, dim), flat.size)
    np.minimum.at(first, owner, position)
    chosen = np.where(first < flat.size, flat[np.minimum(first, max(flat.size - 1, 0))], 0)
    return EmbeddingBagResult(output, Tensor(owner.astype(np.int64)), Tensor(bag_size),
                              Tensor(chosen.astype(np.int64)))


def embedding_renorm_(input: Tensor, indices, max_norm: float, norm_type: float) -> Tensor:  # noqa: A002
    """Rescale, in place and outside the graph, each row of the table `input` that
    `indices` names and whose norm_type-norm exceeds max_norm, to max_norm / (norm + 1e-7)
    times itself; returns input."""
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding_renorm_: indices must be integers, got dtype {idx.dtype}")
    if idx.size:
        renorm_rows(input, idx.reshape(-1), max_norm, norm_type)
    return input


bilinear = F.bilinear


# ------------------------------------------------------------------ activations
def celu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return _celu_(input, alpha)


def selu(input: Tensor) -> Tensor:  # noqa: A002
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    return _selu_(input)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, generator=None) -> Tensor:
    """F.rrelu; with `generator=` (training only) the slopes are drawn from it."""
    if generator is None or not training:
        return F.rrelu(input, lower, upper, training)
    x = input.data
    slopes = resolve(generator, "rrelu").uniform(lower, upper, x.shape)
    return input * np.where(x >= 0, 1.0, slopes).astype(x.dtype)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
           training: bool = False, generator=None) -> Tensor:
    if generator is None:
        return _rrelu_(input, lower, upper, training)
    return apply_in_place("rrelu_", input,
                          lambda: rrelu(input, lower, upper, training, generator))


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return F.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return _threshold_(input, threshold, value)


# ------------------------------------------------------------------ rearranging, distances
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
channel_shuffle = F.channel_shuffle
native_channel_shuffle = F.channel_shuffle
pdist = F.pdist
pairwise_distance = F.pairwise_distance
cosine_similarity = F.cosine_similarity


# ------------------------------------------------------------------ losses (reduction as int)
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum", "none": "none", "mean": "mean", "sum": "sum"}


def _reduction(op: str, reduction) -> str:
    if isinstance(reduction, bool) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"{op}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction!r}"
        )
    return _REDUCTIONS[reduction]


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                          reduction=1) -> Tensor:
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   _reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input: Tensor, target, margin: float = 1.0, reduction=1) -> Tensor:  # noqa: A002
    return F.hinge_embedding_loss(input, target, margin,
                                  _reduction("hinge_embedding_loss", reduction))


def kl_div(input: Tensor, target, reduction=1, *, log_target: bool = False) -> Tensor:  # noqa: A002
    """torch.kl_div: reduction 1 is the mean over all elements (not 'batchmean'; no
    warning, as torch.kl_div gives none)."""
    mode = _reduction("kl_div", reduction)
    if mode != "mean":
        return F.kl_div(input, target, mode, log_target)
    return F.kl_div(input, target, "sum", log_target) / max(input.data.size, 1)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target, margin: float = 0.0,
                        reduction=1) -> Tensor:
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 _reduction("margin_ranking_loss", reduction))


def poisson_nll_loss(input: Tensor, target, log_input: bool, full: bool, eps: float,  # noqa: A002
                     reduction) -> Tensor:
    """torch.poisson_nll_loss: every argument required, as torch."""
    return F.poisson_nll_loss(input, target, log_input, full, eps,
                              _reduction("poisson_nll_loss", reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction=1) -> Tensor:
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 _reduction("triplet_margin_loss", reduction))


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, pos_weight=None,  # noqa: A002
                                     reduction=1) -> Tensor:
    """torch's order: pos_weight before reduction (nn.functional has them the other way)."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight, _reduction("binary_cross_entropy_with_logits", reduction),
        pos_weight,
    )


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction=1, zero_infinity: bool = False) -> Tensor:
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction("ctc_loss", reduction), zero_infinity)


# ------------------------------------------------------------------ grid sampling
_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,  # noqa: A002
                 align_corners: bool) -> Tensor:
    """F.grid_sample with torch's integer codes: interpolation 0 bilinear, 1 nearest,
    2 bicubic; padding 0 zeros, 1 border, 2 reflection."""
    if interpolation_mode not in (0, 1, 2) or isinstance(interpolation_mode, bool):
        raise ValueError(
            f"grid_sampler: interpolation_mode must be 0 (bilinear), 1 (nearest) or 2 "
            f"(bicubic), got {interpolation_mode!r}"
        )
    if padding_mode not in (0, 1, 2) or isinstance(padding_mode, bool):
        raise ValueError(
            f"grid_sampler: padding_mode must be 0 (zeros), 1 (border) or 2 (reflection), "
            f"got {padding_mode!r}"
        )
    return F.grid_sample(input, grid, _INTERPOLATION[interpolation_mode],
                         _PADDING[padding_mode], align_corners)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    """F.affine_grid with align_corners required, as torch.affine_grid_generator."""
    return F.affine_grid(theta, tuple(size), align_corners)


# ------------------------------------------------------------------ recurrent cells
def _cell_input(op: str, input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                b_ih, gates: int) -> Tensor:
    hidden = w_hh.data.shape[-1]
    if w_ih.data.shape[0] != gates * hidden or w_hh.data.shape[0] != gates * hidden:
        raise ValueError(
            f"{op}: w_ih and w_hh need {gates} * hidden_size = {gates * hidden} rows, got "
            f"{w_ih.data.shape[0]} and {w_hh.data.shape[0]}"
        )
    if hx.data.shape[-1] != hidden:
        raise ValueError(f"{op}: hx has {hx.data.shape[-1]} features, expected {hidden}")
    return F.linear(input, w_ih, b_ih)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None,  # noqa: A002
                  b_hh=None) -> Tensor:
    """One Elman RNN step with explicit weights: tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    xw = _cell_input("rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, 1)
    return _rnn_step(xw, hx, w_hh, b_hh, relu=False)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None,  # noqa: A002
                  b_hh=None) -> Tensor:
    """rnn_tanh_cell with relu."""
    xw = _cell_input("rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, 1)
    return _rnn_step(xw, hx, w_hh, b_hh, relu=True)


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih=None,  # noqa: A002
              b_hh=None) -> tuple[Tensor, Tensor]:
    """One LSTM step (gates i, f, g, o, as nn.LSTMCell); hx is the pair (h, c); returns the
    new (h, c)."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be a pair (h, c)")
    h, c = hx
    xw = _cell_input("lstm_cell", input, h, w_ih, w_hh, b_ih, 4)
    return _lstm_step(xw, h, c, w_hh, b_hh, None)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None,  # noqa: A002
             b_hh=None) -> Tensor:
    """One GRU step (gates r, z, n, as nn.GRUCell)."""
    xw = _cell_input("gru_cell", input, hx, w_ih, w_hh, b_ih, 3)
    return _gru_step(xw, hx, w_hh, b_hh)
