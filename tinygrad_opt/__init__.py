"""tinygrad_opt: a small deep-learning framework for CPUs (numpy autograd, Numba optimizers)."""

# isort: off
from . import thread_pools  # noqa: F401  (must run before numpy and Numba load)

# isort: on
from . import data as data
from . import datasets as datasets
from . import loss as loss
from . import nn as nn
from . import optim as optim
from . import train as train
from .denormals import set_flush_denormal
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .ops import (
    arange,
    cat,
    full,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randn,
    stack,
    where,
    zeros,
    zeros_like,
)
from .random import manual_seed
from .serialization import load as load
from .serialization import save as save
from .tensor import Tensor

__all__ = [
    "Tensor",
    "data",
    "datasets",
    "load",
    "loss",
    "nn",
    "optim",
    "save",
    "set_flush_denormal",
    "train",
    "arange",
    "cat",
    "enable_grad",
    "full",
    "is_grad_enabled",
    "manual_seed",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "stack",
    "where",
    "zeros",
    "zeros_like",
]
__version__ = "0.1.0"
