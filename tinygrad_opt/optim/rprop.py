"""Rprop (Riedmiller & Braun, 1993) with PyTorch's semantics, on one fused Numba kernel."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_number
from .registry import register


@kernel
def _rprop_kernel(param, grad, prev, step_size, sign, etaminus, etaplus, size_min, size_max):
    """One Rprop step in place over 1-D slices; scalars are in the arrays' dtype.

    The factor is chosen from the sign of g * prev (not of each factor), so a product that
    underflows to 0 counts as "no sign information", as in PyTorch. A NaN product or
    gradient counts as 0 too (PyTorch's sign(NaN) is 0): factor 1, parameter unchanged.
    """
    one = sign * sign  # 1 in the arrays' dtype
    zero = sign - sign
    for i in prange(param.size):
        # every branch is a select and every store unconditional, so the loop vectorises
        # (conditional stores kept it scalar: 71% of the bandwidth bound, see optim_step)
        g = sign * grad[i]
        product = g * prev[i]
        factor = etaplus if product > 0 else (etaminus if product < 0 else one)
        size = step_size[i] * factor
        size = size_min if size < size_min else size  # clamped on every step, as PyTorch
        size = size_max if size > size_max else size
        step_size[i] = size
        g = zero if product < 0 else g  # the sign flipped: no move now, no factor next step
        prev[i] = g
        # sign(g) as -1, 0 or 1; 0 for a NaN g (PyTorch's sign(NaN) is 0 here too)
        direction = (one if g > 0 else zero) - (one if g < 0 else zero)
        param[i] = param[i] - direction * size


def check_pair(name: str, value: Any, labels: tuple[str, str]) -> tuple[float, float]:
    """A (low, high) pair of real numbers; the message names the pair and what was given."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"Invalid {name}: {value!r}; expected a pair ({labels[0]}, {labels[1]})")
    for label, item in zip(labels, value):
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            raise TypeError(f"Invalid {name}: {label} is {item!r}; expected a real number")
    return float(value[0]), float(value[1])


@register("rprop")
class Rprop(Optimizer):
    r"""Rprop, as torch.optim.Rprop (Riedmiller & Braun, "A Direct Adaptive Method for Faster
    Backpropagation Learning: The RPROP Algorithm", ICNN 1993).

    Defaults: lr=1e-2, etas=(0.5, 1.2) (etaminus, etaplus), step_sizes=(1e-6, 50) (min,
    max), maximize=False. Elementwise, with prev starting at 0 and step_size at lr:

        g = -grad if maximize else grad
        if g * prev > 0:   step_size = step_size * etaplus
        elif g * prev < 0: step_size = step_size * etaminus;  g = 0
        step_size = clamp(step_size, min, max)                  # state 'step_size'
        p = p - sign(g) * step_size
        prev = g                                                # state 'prev'

    As PyTorch's implementation: the clamp applies on every step (its docs' pseudocode
    clamps only a changed step size, so lr above max is cut to max on the first step);
    lr only sets each parameter's initial step size, at its first step (as PyTorch's lazily
    made state, so an lr set by a scheduler before the first step counts); later lr changes
    have no effect. A NaN gradient element leaves its parameter and step size unchanged and
    is kept in prev (PyTorch's sign(NaN) is 0). Rprop has no weight_decay, as PyTorch's.

    Deviation: step_sizes must satisfy 0 <= min <= max (PyTorch does not check them).
    `capturable`, `foreach` and `differentiable` are accepted so torch code ports
    unchanged, and ignored: every step is already one fused kernel per run of parameters,
    and updates are never recorded by autograd.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, etas=tuple(etas) if isinstance(etas, list) else etas,
            step_sizes=tuple(step_sizes) if isinstance(step_sizes, list) else step_sizes,
            maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        etaminus, etaplus = check_pair("etas", group["etas"], ("etaminus", "etaplus"))
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(
                f"Invalid etas: {tuple(group['etas'])}; expected 0 < etaminus < 1 < etaplus"
            )
        low, high = check_pair("step_sizes", group["step_sizes"], ("min", "max"))
        if not 0.0 <= low <= high:
            raise ValueError(
                f"Invalid step_sizes: {tuple(group['step_sizes'])}; expected 0 <= min <= max"
            )

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"prev": 0.0, "step_size": float(group["lr"])}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        if run.step == 1:  # PyTorch makes the state here: step sizes start at today's lr
            run.state["prev"].fill(0.0)
            run.state["step_size"].fill(group["lr"])
        etaminus, etaplus = group["etas"]
        size_min, size_max = group["step_sizes"]
        s = run.scalar
        _rprop_kernel(
            run.param, run.grad, run.state["prev"], run.state["step_size"],
            s(-1.0 if group["maximize"] else 1.0), s(etaminus), s(etaplus),
            s(size_min), s(size_max),
        )  # fmt: skip
