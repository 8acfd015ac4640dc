"""Neural-network layers (`tinygrad_opt.nn`), with torch.nn's names, layouts and state_dict keys."""

from .module import IncompatibleKeys, Module, Parameter  # noqa: I001
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .activation import (
    CELU, ELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, ReLU6, Softplus,
    Softsign, Tanhshrink,
)
from .dropout import Dropout2d
from .normalization import GroupNorm
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .lora import LoRALinear
from .distance import CosineSimilarity, PairwiseDistance
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .pixel_shuffle import PixelShuffle, PixelUnshuffle
from .instance_norm import InstanceNorm1d, InstanceNorm2d
from . import functional, init, lora, utils

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "IncompatibleKeys",
    "Linear", "Identity", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Dropout", "Flatten", "Unflatten", "Embedding",
    "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "Softmax", "LogSoftmax",
    "ELU", "SELU", "CELU", "Softplus", "Hardtanh", "ReLU6", "Mish", "LogSigmoid", "Softsign",
    "Hardswish", "Hardsigmoid", "Tanhshrink",
    "ModuleDict", "ParameterList", "ParameterDict", "Dropout2d", "GroupNorm", "KLDivLoss",
    "LoRALinear",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss",
    "functional", "init", "lora", "utils",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
    "PixelUnshuffle", "InstanceNorm1d", "InstanceNorm2d",
]

# The loss classes live in tinygrad_opt.loss, which subclasses nn.Module; they are looked up
# lazily so importing nn never imports loss (either package may be imported first).
_LOSS_CLASSES = frozenset(
    ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
     "BCEWithLogitsLoss")
)
_LOSS_CLASSES |= {"KLDivLoss"}
_MARGIN_AND_NLL_LOSSES = (
    "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "PoissonNLLLoss", "GaussianNLLLoss",
)
_LOSS_CLASSES |= set(_MARGIN_AND_NLL_LOSSES)
__all__ += [*_MARGIN_AND_NLL_LOSSES, "PairwiseDistance", "CosineSimilarity"]


def __getattr__(name: str):
    if name in _LOSS_CLASSES:
        from .. import loss

        return getattr(loss, name)
    raise AttributeError(f"module 'tinygrad_opt.nn' has no attribute {name!r}")

from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__all__ += ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

from .conv1d import Conv1d, ConvTranspose1d  # noqa: E402
from .conv_transpose import ConvTranspose2d  # noqa: E402
from .pooling1d import AvgPool1d, MaxPool1d  # noqa: E402

__all__ += ["ConvTranspose2d", "Conv1d", "ConvTranspose1d", "MaxPool1d", "AvgPool1d"]

from .activation_extra import (  # noqa: E402, I001
    GLU, PReLU, RReLU, Hardshrink, Softmax2d, Softmin, Softshrink, Threshold,
)
from .bilinear import Bilinear  # noqa: E402
from .embedding_bag import EmbeddingBag  # noqa: E402
from .padding_modules import (  # noqa: E402
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d,
    ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d,
)

__all__ += [
    "EmbeddingBag", "PReLU", "RReLU", "GLU", "Threshold", "Softmin", "Softmax2d", "Hardshrink",
    "Softshrink", "Bilinear", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
    "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
    "CircularPad1d", "CircularPad2d",
]

from .fold import Fold, Unfold  # noqa: E402

__all__ += ["Fold", "Unfold"]

from .attention import MultiheadAttention  # noqa: E402, I001
from .transformer import Transformer, TransformerDecoder, TransformerDecoderLayer  # noqa: E402
from .transformer import TransformerEncoder, TransformerEncoderLayer  # noqa: E402

__all__ += [
    "MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerEncoderLayer",
    "TransformerDecoder", "TransformerDecoderLayer",
]
