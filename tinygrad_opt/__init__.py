"""tinygrad_opt: a small deep-learning framework for CPUs (numpy autograd, Numba optimizers)."""

# isort: off
from . import thread_pools  # noqa: F401  (must run before numpy and Numba load)

# isort: on
import numpy as _np

from . import data as data
from . import datasets as datasets
from . import loss as loss
from . import nn as nn
from . import optim as optim
from . import train as train
from .denormals import set_flush_denormal
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
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
from .ops.creation import (
    empty,
    empty_like,
    eye,
    from_numpy,
    full_like,
    linspace,
    logspace,
    rand_like,
    randint,
    randn_like,
    tensor,
)
from .ops.functions import (
    abs,
    allclose,
    argmax,
    argmin,
    clamp,
    clip,
    exp,
    flatten,
    isclose,
    log,
    log_softmax,
    matmul,
    max,
    mean,
    min,
    relu,
    sigmoid,
    softmax,
    sqrt,
    sum,
    tanh,
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
    # PyTorch conveniences
    "abs",
    "allclose",
    "argmax",
    "argmin",
    "bool",
    "bool_",
    "clamp",
    "clip",
    "double",
    "empty",
    "empty_like",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full_like",
    "half",
    "inference_mode",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "isclose",
    "linspace",
    "log",
    "log_softmax",
    "logspace",
    "long",
    "matmul",
    "max",
    "mean",
    "min",
    "rand_like",
    "randint",
    "randn_like",
    "relu",
    "set_grad_enabled",
    "short",
    "sigmoid",
    "softmax",
    "sqrt",
    "sum",
    "tanh",
    "tensor",
    "uint8",
]

# dtypes under PyTorch's names, as numpy dtypes: `x.to(tg.float64)`, `zeros(3, dtype=tg.long)`.
# `bool`, `float` and `int` shadow the builtins only in this namespace, as in torch (no module
# of the package reads them from here); `bool_` is the numpy spelling of the same dtype.
float32 = float = _np.dtype(_np.float32)  # noqa: A001
float64 = double = _np.dtype(_np.float64)
float16 = half = _np.dtype(_np.float16)
int64 = long = _np.dtype(_np.int64)
int32 = int = _np.dtype(_np.int32)  # noqa: A001 - torch.int is int32
int16 = short = _np.dtype(_np.int16)
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
bool = bool_ = _np.dtype(_np.bool_)  # noqa: A001
__version__ = "0.1.0"
