"""When `fit` steps a learning-rate scheduler: after every optimizer step or every epoch.

The default rule (`scheduler_interval=None`):

- `"step"` for schedules defined over a number of optimizer steps: `OneCycleLR`,
  `CyclicLR`, the Hugging Face warmup helpers (`get_linear_schedule_with_warmup`,
  `get_cosine_schedule_with_warmup`) and any scheduler carrying an `interval = "step"`
  attribute; a `SequentialLR` or `ChainedScheduler` is per step if any scheduler inside is.
- `"epoch"` for everything else (`StepLR`, `MultiStepLR`, `ExponentialLR`,
  `CosineAnnealingLR`, `LambdaLR`, ...), as in PyTorch's examples, and always for
  `ReduceLROnPlateau`, which `fit` steps once per epoch with the validation loss (the training
  loss when there is no `val_loader`).

Pass `scheduler_interval="step"` or `"epoch"` to `fit` to override. With gradient
accumulation "step" means optimizer step, not batch.
"""

from __future__ import annotations

INTERVALS = ("step", "epoch")
_PER_STEP_CLASSES = ("OneCycleLR", "CyclicLR")
_CONTAINERS = ("SequentialLR", "ChainedScheduler")


def is_plateau(scheduler) -> bool:
    """True for ReduceLROnPlateau, whose `step` takes the monitored metric."""
    return any(cls.__name__ == "ReduceLROnPlateau" for cls in type(scheduler).__mro__)


def _children(scheduler) -> list:
    for attribute in ("_schedulers", "schedulers"):
        children = getattr(scheduler, attribute, None)
        if children is not None:
            return list(children)
    return []


def _built_by_warmup_helper(scheduler) -> bool:
    # The helpers return a LambdaLR whose factor is one of the warmup classes below.
    try:
        from ..optim.schedulers.warmup import CosineWarmupDecay, LinearWarmupDecay
    except ImportError:  # pragma: no cover - the schedulers are part of the package
        return False
    factors = getattr(scheduler, "lr_lambdas", None) or ()
    return any(isinstance(fn, (LinearWarmupDecay, CosineWarmupDecay)) for fn in factors)


def default_interval(scheduler) -> str:
    """The interval of the rule in the module docstring."""
    declared = getattr(scheduler, "interval", None)
    if declared in INTERVALS:
        return declared
    if is_plateau(scheduler):
        return "epoch"
    names = {cls.__name__ for cls in type(scheduler).__mro__}
    if names & set(_PER_STEP_CLASSES) or _built_by_warmup_helper(scheduler):
        return "step"
    if names & set(_CONTAINERS):
        if any(default_interval(child) == "step" for child in _children(scheduler)):
            return "step"
    return "epoch"


def resolve_interval(scheduler, scheduler_interval: str | None) -> str | None:
    """Check `fit`'s `scheduler_interval` argument and apply the default rule."""
    if scheduler_interval is not None and scheduler_interval not in INTERVALS:
        raise ValueError(
            f"fit: scheduler_interval must be 'step', 'epoch' or None, got {scheduler_interval!r}"
        )
    if scheduler is None:
        return None
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(
            f"fit: scheduler must have a step() method (an optim.lr_scheduler object), "
            f"got {type(scheduler).__name__}"
        )
    if is_plateau(scheduler):
        if scheduler_interval == "step":
            raise ValueError(
                "fit: ReduceLROnPlateau is stepped once per epoch with a loss; "
                "scheduler_interval='step' is not supported for it"
            )
        return "epoch"
    return scheduler_interval or default_interval(scheduler)
