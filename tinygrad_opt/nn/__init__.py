"""Neural-network layers (`tinygrad_opt.nn`), with torch.nn's names, layouts and state_dict keys.

The names below are grouped by family, each import next to the file that holds it."""

# imports in the order of the families, not alphabetical
from .module import IncompatibleKeys, Module, Parameter  # noqa: I001
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Identity, Linear
from .bilinear import Bilinear
from .flatten import Flatten, Unflatten
from .embedding import Embedding
from .embedding_bag import EmbeddingBag
from .lora import LoRALinear
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
from .fold import Fold, Unfold
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .pooling1d import AvgPool1d, MaxPool1d
from .adaptive_pooling1d import AdaptiveAvgPool1d, AdaptiveMaxPool1d
from .max_unpool import MaxUnpool1d, MaxUnpool2d
from .lp_pool import LPPool1d, LPPool2d
from .channel_shuffle import ChannelShuffle
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .pixel_shuffle import PixelShuffle, PixelUnshuffle
from .padding_modules import (
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d,
    ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d,
)
# normalisation, dropout, distances
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .instance_norm import InstanceNorm1d, InstanceNorm2d
from .rms_norm import RMSNorm
from .local_response_norm import LocalResponseNorm
from .dropout import Dropout, Dropout2d
from .distance import CosineSimilarity, PairwiseDistance
# sequence models
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .attention import MultiheadAttention
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from . import functional, init, lora, utils
from .module import Buffer
from .dropout_extra import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout
from .lazy import (
    LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyConvTranspose1d,
    LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyLinear,
    UninitializedBuffer, UninitializedParameter,
)

# The loss classes live in tinygrad_opt.loss, which subclasses nn.Module; they are looked up
# lazily so importing nn never imports loss (either package may be imported first).
_LOSS_CLASSES = (
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "CosineEmbeddingLoss", "TripletMarginLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
    "MultiMarginLoss", "MultiLabelMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
)
_LOSS_CLASSES += ("TripletMarginWithDistanceLoss",)

__all__ = [
    "Module", "Parameter", "IncompatibleKeys", "Sequential", "ModuleList", "ModuleDict",
    "ParameterList", "ParameterDict",
    "Linear", "Identity", "Bilinear", "Flatten", "Unflatten", "Embedding", "EmbeddingBag",
    "LoRALinear",
    "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "Softmax", "LogSoftmax", "ELU",
    "SELU", "CELU", "Softplus", "Hardtanh", "ReLU6", "Mish", "LogSigmoid", "Softsign",
    "Hardswish", "Hardsigmoid", "Tanhshrink", "PReLU", "RReLU", "GLU", "Threshold", "Softmin",
    "Softmax2d", "Hardshrink", "Softshrink",
    "Conv2d", "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "Fold", "Unfold", "MaxPool2d",
    "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "MaxPool1d", "AvgPool1d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
    "PixelUnshuffle", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
    "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
    "CircularPad1d", "CircularPad2d",
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "MaxUnpool1d", "MaxUnpool2d", "LPPool1d",
    "LPPool2d", "ChannelShuffle",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "RMSNorm", "LocalResponseNorm",
    "Dropout", "Dropout2d", "PairwiseDistance", "CosineSimilarity",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "Transformer", "TransformerEncoder", "TransformerEncoderLayer", "TransformerDecoder",
    "TransformerDecoderLayer",
    *_LOSS_CLASSES,
    "functional", "init", "lora", "utils",
]
__all__ += [
    "Buffer", "Dropout1d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    "TripletMarginWithDistanceLoss", "UninitializedParameter",
    "UninitializedBuffer", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConvTranspose1d",
    "LazyConvTranspose2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
]


def __getattr__(name: str):
    if name in _LOSS_CLASSES:
        from .. import loss

        return getattr(loss, name)
    raise AttributeError(f"module 'tinygrad_opt.nn' has no attribute {name!r}")
