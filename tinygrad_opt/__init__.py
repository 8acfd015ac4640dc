"""tinygrad_opt: a small deep-learning framework for CPUs (numpy autograd, Numba optimizers)."""

from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .random import manual_seed
from .tensor import Tensor

__all__ = ["Tensor", "manual_seed", "no_grad", "enable_grad", "is_grad_enabled"]
__version__ = "0.1.0"
