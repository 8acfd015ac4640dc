"""Functional forms of the layers and losses (`import tinygrad_opt.nn.functional as F`),
with torch.nn.functional's names and arguments, grouped by family."""

from __future__ import annotations  # noqa: I001

from .linear import linear
from .bilinear import bilinear
from .flatten import flatten
from .embedding import embedding
from .embedding_bag import embedding_bag
from .one_hot import one_hot
# activations (and their in-place forms), sampling
from .activation import (
    celu, elu, gelu, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax, logsigmoid,
    mish, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, tanh, tanhshrink,
)
from .activation_extra import glu, hardshrink, prelu, rrelu, softmin, softshrink, threshold
from .activation_inplace import (
    celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu_, selu_, threshold_,
)
from .gumbel_softmax import gumbel_softmax
# convolution, pooling, resampling, padding
from .conv import conv2d
from .conv1d import conv1d, conv_transpose1d
from .conv_transpose import conv_transpose2d
from .conv3d import conv3d, conv_transpose3d
from .fold import fold, unfold
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from .pooling1d import avg_pool1d, max_pool1d
from .pooling3d import adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d
from .adaptive_pooling1d import adaptive_avg_pool1d, adaptive_max_pool1d
from .pool_with_indices import (
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from .pool_with_indices import adaptive_max_pool3d_with_indices, max_pool3d_with_indices
from .max_unpool import max_unpool1d, max_unpool2d, max_unpool3d
from .lp_pool import lp_pool1d, lp_pool2d, lp_pool3d
from .fractional_max_pool import (
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from .channel_shuffle import channel_shuffle, native_channel_shuffle
from .upsampling import interpolate, upsample, upsample_bilinear, upsample_nearest
from .pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .grid_sample import affine_grid, grid_sample
from .padding import pad
# normalisation, dropout, distances
from .normalization import batch_norm, group_norm, layer_norm
from .instance_norm import instance_norm
from .rms_norm import rms_norm
from .local_response_norm import local_response_norm
from .dropout import dropout, dropout2d
from .dropout_extra import alpha_dropout, dropout1d, dropout3d, feature_alpha_dropout
from .distance import cosine_similarity, normalize, pairwise_distance, pdist
# attention
from .attention import scaled_dot_product_attention
from .linear_cross_entropy import linear_cross_entropy
from .multi_head_attention_forward import multi_head_attention_forward

# Loss functions live in tinygrad_opt.loss (which imports nn); they are looked up lazily so
# either package may be imported first.
_LOSSES = (
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss",
)

__all__ = [
    "linear", "bilinear", "flatten", "embedding", "embedding_bag", "one_hot",
    "relu", "leaky_relu", "gelu", "tanh", "sigmoid", "silu", "softmax", "log_softmax", "elu",
    "selu", "celu", "softplus", "hardtanh", "relu6", "mish", "logsigmoid", "softsign",
    "hardswish", "hardsigmoid", "tanhshrink", "prelu", "glu", "threshold", "softmin",
    "hardshrink", "softshrink", "rrelu",
    "relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_", "rrelu_", "threshold_",
    "gumbel_softmax",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "fold", "unfold",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "max_unpool1d", "max_unpool2d", "lp_pool1d",
    "lp_pool2d", "channel_shuffle",
    "max_pool3d_with_indices", "adaptive_max_pool3d_with_indices", "max_unpool3d",
    "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices",
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
    "pixel_unshuffle", "affine_grid", "grid_sample", "pad",
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
    "local_response_norm",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "cosine_similarity", "normalize", "pairwise_distance", "pdist",
    "scaled_dot_product_attention",
    "linear_cross_entropy", "multi_head_attention_forward", "native_channel_shuffle",
    *_LOSSES,
]

def __getattr__(name: str):
    if name in _LOSSES:
        from .. import loss

        return getattr(loss, name)
    raise AttributeError(f"module 'tinygrad_opt.nn.functional' has no attribute {name!r}")
