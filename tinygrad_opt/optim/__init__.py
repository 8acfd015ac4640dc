"""Optimizers (`tinygrad_opt.optim`): torch.optim's interface on fused Numba kernels.

Every optimizer registers itself by lower-case name, so `create("adam", params, lr=...)`
builds any of them. Importing this package compiles nothing: kernels compile (or load from
Numba's cache) on their first call.
"""

from . import lr_scheduler, swa_utils
from .adabelief import AdaBelief
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lamb import LAMB
from .lars import LARS
from .lbfgs import LBFGS
from .lion import Lion
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer, required
from .param_groups import param_groups_weight_decay
from .radam import RAdam
from .registry import available, create, register
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "required",
    "register",
    "create",
    "available",
    "param_groups_weight_decay",
    "lr_scheduler",
    "swa_utils",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "RAdam",
    "Adamax",
    "Adadelta",
    "Adafactor",
    "LBFGS",
    "Lion",
    "LAMB",
    "LARS",
    "AdaBelief",
    "Rprop",
    "ASGD",
    "Muon",
    "SparseAdam",
]
