"""tinygrad_opt: a small deep-learning framework for CPUs (numpy autograd, Numba optimizers)."""

from . import optim as optim
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
from .tensor import Tensor

__all__ = [
    "Tensor",
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
