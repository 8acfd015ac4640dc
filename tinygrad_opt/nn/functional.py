"""Functional forms of the layers and losses (`import tinygrad_opt.nn.functional as F`),
with torch.nn.functional's names and arguments."""

from __future__ import annotations  # noqa: I001

from .activation import gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, tanh
from .activation import (
    celu, elu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6, selu, softplus,
    softsign, tanhshrink,
)
from .distance import cosine_similarity, normalize
from .dropout import dropout2d
from .normalization import group_norm
from .one_hot import one_hot
from .padding import pad
from .conv import conv2d
from .dropout import dropout
from .embedding import embedding
from .flatten import flatten
from .linear import linear
from .normalization import batch_norm, layer_norm
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from .distance import pairwise_distance
from .upsampling import interpolate
from .pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .instance_norm import instance_norm

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "adaptive_max_pool2d", "batch_norm", "layer_norm", "dropout",
    "embedding", "flatten", "relu", "leaky_relu", "gelu", "tanh", "sigmoid", "silu",
    "elu", "selu", "celu", "softplus", "hardtanh", "relu6", "mish", "logsigmoid", "softsign",
    "hardswish", "hardsigmoid", "tanhshrink", "one_hot", "pad", "normalize",
    "cosine_similarity", "dropout2d", "group_norm",
    "softmax", "log_softmax",
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "instance_norm",
]

# Loss functions live in tinygrad_opt.loss (which imports nn); they are looked up lazily so
# either package may be imported first.
_LOSSES = frozenset(
    ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
     "binary_cross_entropy", "binary_cross_entropy_with_logits")
)
_LOSSES |= {"kl_div"}
_MARGIN_AND_NLL_LOSSES = (
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
)
_LOSSES |= set(_MARGIN_AND_NLL_LOSSES)
__all__ += [*_MARGIN_AND_NLL_LOSSES, "pairwise_distance"]


def __getattr__(name: str):
    if name in _LOSSES:
        from .. import loss

        return getattr(loss, name)
    raise AttributeError(f"module 'tinygrad_opt.nn.functional' has no attribute {name!r}")

from .conv1d import conv1d, conv_transpose1d  # noqa: E402
from .conv_transpose import conv_transpose2d  # noqa: E402
from .pooling1d import avg_pool1d, max_pool1d  # noqa: E402

__all__ += ["conv_transpose2d", "conv1d", "conv_transpose1d", "max_pool1d", "avg_pool1d"]

from .activation_extra import (  # noqa: E402, I001
    glu, hardshrink, prelu, rrelu, softmin, softshrink, threshold,
)
from .bilinear import bilinear  # noqa: E402
from .embedding_bag import embedding_bag  # noqa: E402

__all__ += [
    "embedding_bag", "prelu", "glu", "threshold", "softmin", "hardshrink", "softshrink",
    "rrelu", "bilinear",
]

from .fold import fold, unfold  # noqa: E402
from .grid_sample import affine_grid, grid_sample  # noqa: E402

__all__ += ["fold", "unfold", "affine_grid", "grid_sample"]

from .attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]
