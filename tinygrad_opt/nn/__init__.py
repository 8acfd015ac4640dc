"""Neural-network layers (`tinygrad_opt.nn`), with torch.nn's names, layouts and state_dict keys.

The names below are grouped by family, each import next to the file that holds it."""

# imports in the order of the families, not alphabetical
from .module import Buffer, IncompatibleKeys, Module, Parameter  # noqa: I001
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .containers import Container
from .linear import Identity, Linear
from .bilinear import Bilinear
from .flatten import Flatten, Unflatten
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .lora import LoRALinear
from .lazy import (
    LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyConvTranspose1d,
    LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyLinear,
    UninitializedBuffer, UninitializedParameter,
)
from .lazy import LazyBatchNorm3d, LazyConv3d, LazyConvTranspose3d, LazyInstanceNorm3d
# activations
from .activation import (
    CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Softsign, Tanh,
    Tanhshrink,
)
from .activation_extra import (
    GLU, PReLU, RReLU, Hardshrink, Softmax2d, Softmin, Softshrink, Threshold,
)
# convolution, pooling, resampling, padding
from .conv import Conv2d
from .conv1d import Conv1d, ConvTranspose1d
from .conv_transpose import ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose3d
from .fold import Fold, Unfold
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .pooling1d import AvgPool1d, MaxPool1d
from .pooling3d import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d
from .adaptive_pooling1d import AdaptiveAvgPool1d, AdaptiveMaxPool1d
from .max_unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d
from .lp_pool import LPPool1d, LPPool2d, LPPool3d
from .fractional_max_pool import FractionalMaxPool2d, FractionalMaxPool3d
from .channel_shuffle import ChannelShuffle
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .pixel_shuffle import PixelShuffle, PixelUnshuffle
from .padding_modules import (
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
# normalisation, dropout, distances
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .rms_norm import RMSNorm
from .local_response_norm import LocalResponseNorm
from .cross_map_lrn import CrossMapLRN2d
from .sync_batchnorm import SyncBatchNorm
from .dropout import Dropout, Dropout2d
from .dropout_extra import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout
from .distance import CosineSimilarity, PairwiseDistance
# sequence models
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .recurrent import RNNBase, RNNCellBase
from .attention import MultiheadAttention
from .adaptive_softmax import AdaptiveLogSoftmaxWithLoss
from .linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from .data_parallel import DataParallel
from . import parallel
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from . import functional, init, lora, utils

# The loss classes live in tinygrad_opt.loss, which subclasses nn.Module; they are looked up
# lazily so importing nn never imports loss (either package may be imported first).
_LOSS_CLASSES = (
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "PoissonNLLLoss", "GaussianNLLLoss", "CTCLoss",
    "NLLLoss2d",
)

__all__ = [
    "Module", "Parameter", "Buffer", "IncompatibleKeys", "Sequential", "ModuleList",
    "ModuleDict", "ParameterList", "ParameterDict", "Container",
    "Linear", "Identity", "Bilinear", "Flatten", "Unflatten", "Embedding", "EmbeddingBag",
    "LoRALinear",
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "UninitializedParameter", "UninitializedBuffer",
    "LazyConv3d", "LazyConvTranspose3d", "LazyBatchNorm3d", "LazyInstanceNorm3d",
    "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "Softmax", "LogSoftmax", "ELU",
    "SELU", "CELU", "Softplus", "Hardtanh", "ReLU6", "Mish", "LogSigmoid", "Softsign",
    "Hardswish", "Hardsigmoid", "Tanhshrink", "PReLU", "RReLU", "GLU", "Threshold", "Softmin",
    "Softmax2d", "Hardshrink", "Softshrink",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "Fold", "Unfold",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "LPPool1d",
    "LPPool2d", "ChannelShuffle",
    "MaxUnpool3d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
    "PixelUnshuffle",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
    "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm",
    "CrossMapLRN2d", "SyncBatchNorm",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    "PairwiseDistance", "CosineSimilarity",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "RNNBase", "RNNCellBase",
    "Transformer", "TransformerEncoder", "TransformerEncoderLayer", "TransformerDecoder",
    "TransformerDecoderLayer",
    "AdaptiveLogSoftmaxWithLoss",
    "LinearCrossEntropyLoss", "LinearCrossEntropyOptions", "DataParallel",
    *_LOSS_CLASSES,
    "functional", "init", "lora", "parallel", "utils",
]

def __getattr__(name: str):
    if name in _LOSS_CLASSES:
        from .. import loss

        return getattr(loss, name)
    raise AttributeError(f"module 'tinygrad_opt.nn' has no attribute {name!r}")
