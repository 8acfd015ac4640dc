"""Learning-rate schedulers with PyTorch semantics (`tinygrad_opt.optim.lr_scheduler`).

Same names, arguments, defaults and step semantics as `torch.optim.lr_scheduler`, plus
Hugging Face's two warmup helpers. Each scheduler has a pure closed form `lr_at(step)`, and
`state_dict()`/`load_state_dict()` resume any of them, SequentialLR and ChainedScheduler
included, at any step with exactly the lrs of the uninterrupted run. The implementations
live in `tinygrad_opt/optim/schedulers/`, one family per file; see `schedulers/base.py` for
the design and the (small, documented) deviations from PyTorch.

Typical use, stepped once per batch:

    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=len(loader) * epochs)
    for x, y in loader:
        ...; optimizer.step(); scheduler.step()
"""

from .schedulers import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

# PyTorch's old name for the base class, still used by some training loops
_LRScheduler = LRScheduler

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "CyclicLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
]
