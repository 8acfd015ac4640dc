"""Neural-network layers (`tinygrad_opt.nn`), with torch.nn's names, layouts and state_dict keys."""

from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential  # noqa: I001
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .lora import LoRALinear
from ..loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from . import functional, init, lora, utils

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "IncompatibleKeys",
    "Linear", "Identity", "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Dropout", "Flatten", "Unflatten", "Embedding",
    "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "Softmax", "LogSoftmax",
    "LoRALinear",
    "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
    "BCELoss", "BCEWithLogitsLoss",
    "functional", "init", "lora", "utils",
]
