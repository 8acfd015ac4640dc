"""Warmup schedules with Hugging Face Transformers' meaning, built on LambdaLR.

Both ramp the lr factor linearly from 0 at step 0 to 1 at `num_warmup_steps`, then
- linear: fall linearly to 0 at `num_training_steps` (and stay 0 after);
- cosine: follow 0.5 * (1 + cos(2 * pi * num_cycles * progress)), progress going from 0 to
  1 over the remaining steps, clipped at 0 (num_cycles=0.5: one half-cosine down to 0).
The factors are callable objects (not lambdas), so their settings are saved in the
scheduler's state dict.
Deviation: the step counts must be ints >= 0 and num_cycles >= 0 (Hugging Face does not
check).
"""

from __future__ import annotations

import math
from typing import Any

from .base import check_int, check_real
from .lambda_lr import LambdaLR


class LinearWarmupDecay:
    """lr factor: step / warmup during warmup, then (total - step) / (total - warmup), >= 0."""

    def __init__(self, num_warmup_steps: int, num_training_steps: int) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps

    def __call__(self, step: int) -> float:
        if step < self.num_warmup_steps:
            return float(step) / float(max(1, self.num_warmup_steps))
        remaining = float(self.num_training_steps - step)
        return max(0.0, remaining / float(max(1, self.num_training_steps - self.num_warmup_steps)))


class CosineWarmupDecay:
    """lr factor: step / warmup during warmup, then 0.5 * (1 + cos(2 pi cycles progress)), >= 0."""

    def __init__(self, num_warmup_steps: int, num_training_steps: int, num_cycles: float) -> None:
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        self.num_cycles = num_cycles

    def __call__(self, step: int) -> float:
        if step < self.num_warmup_steps:
            return float(step) / float(max(1, self.num_warmup_steps))
        progress = float(step - self.num_warmup_steps) / float(
            max(1, self.num_training_steps - self.num_warmup_steps)
        )
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(self.num_cycles) * 2.0 * progress)))


def get_linear_schedule_with_warmup(
    optimizer: Any, num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> LambdaLR:
    """Linear warmup to the optimizer's lr, then linear decay to 0 at num_training_steps."""
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    total = check_int("num_training_steps", num_training_steps, 0)
    return LambdaLR(optimizer, LinearWarmupDecay(warmup, total), last_epoch)


def get_cosine_schedule_with_warmup(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> LambdaLR:
    """Linear warmup to the optimizer's lr, then cosine decay (num_cycles=0.5: down to 0)."""
    warmup = check_int("num_warmup_steps", num_warmup_steps, 0)
    total = check_int("num_training_steps", num_training_steps, 0)
    cycles = check_real("num_cycles", num_cycles, low=0.0)
    return LambdaLR(optimizer, CosineWarmupDecay(warmup, total, cycles), last_epoch)
