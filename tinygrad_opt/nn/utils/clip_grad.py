"""torch.nn.utils.clip_grad spelling: the clipping functions of `nn.utils` (same objects)."""

from . import (  # noqa: F401
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
