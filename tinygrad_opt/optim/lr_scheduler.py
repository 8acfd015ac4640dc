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

from .schedulers import *  # noqa: F403  (the list of names lives once, in schedulers/)
from .schedulers import LRScheduler
from .schedulers import __all__ as _schedulers_all

# PyTorch's old name for the base class, still used by some training loops
_LRScheduler = LRScheduler

__all__ = list(_schedulers_all)
