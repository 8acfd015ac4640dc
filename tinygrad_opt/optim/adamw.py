"""AdamW (Loshchilov & Hutter, 2019) with PyTorch's semantics; shares Adam's kernel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .adam import adam_state, adam_update, check_adam_group
from .flat_buffer import Run
from .optimizer import Optimizer
from .registry import register


@register("adamw")
class AdamW(Optimizer):
    r"""AdamW, as torch.optim.AdamW ("Decoupled Weight Decay Regularization").

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2 (decoupled),
    amsgrad=False, maximize=False. Adam's rule with the decay applied to the parameter,
    scaled by lr (as PyTorch; the paper scales by the schedule multiplier only):

        p = p * (1 - lr * weight_decay)
        g = -grad if maximize else grad
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    `foreach` and `fused` are accepted so torch code ports unchanged, and ignored: every
    step is already one fused kernel per run of parameters.
    """

    _optional_state = ("max_exp_avg_sq",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=True,  # as PyTorch's groups: an Adam loading them decouples
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as PyTorch's AdamW: whatever the saved groups say
            group["decoupled_weight_decay"] = True

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return adam_state(group)

    def _update(self, group: dict[str, Any], run: Run) -> None:
        adam_update(group, run, decoupled=True)
