"""LoRA (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models").

`LoRALinear(base, r=8, alpha=16, dropout=0.0)` freezes a `Linear` and learns a low-rank
update: y = base(x) + (alpha / r) * dropout(x) A^T B^T, with A (r, in_features) initialised
kaiming-uniform(a=sqrt(5)) (as peft) and B (out_features, r) zeros, so the wrapped model's
output is unchanged before training. `merge()` folds (alpha / r) B A into the base weight
for inference; `unmerge()` takes it back out. The whole layer is one fused graph node.
Whether the update is merged is saved in state_dict (a 0-d bool buffer "merged"): a merged
layer's saved weight already holds the update, so a layer loading it must know not to add
it again (without the flag the update would count twice).
"""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import init
from ._layout import float_data
from .linear import Linear
from .module import Module, Parameter


def _lora_linear(x_t: Tensor, base: Linear, a_t: Tensor, b_t: Tensor, scaling: float, p: float):
    """base(x) + scaling * (mask * x) A^T B^T in one node (mask is inverted dropout or None)."""
    x = float_data(x_t, "LoRALinear")
    w = base.weight.data
    in_features = w.shape[1]
    rows = math.prod(x.shape[:-1])  # not -1: numpy cannot infer it when a size is 0
    x2 = x.reshape(rows, in_features)
    out2 = x2 @ w.T
    if base.bias is not None:
        out2 += base.bias.data
    mask = None
    if p > 0.0:
        keep = generator().random(x2.shape) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)) if p < 1 else np.zeros_like(x2)
    xd = x2 * mask if mask is not None else x2
    a, b = a_t.data, b_t.data
    h = xd @ a.T  # (M, r)
    out2 += (h @ b.T) * x.dtype.type(scaling)
    out = out2.reshape(*x.shape[:-1], w.shape[0])
    parents = (x_t, base.weight, a_t, b_t) + ((base.bias,) if base.bias is not None else ())

    def backward(g):
        g2 = g.reshape(rows, w.shape[0])
        gs = g2 * x.dtype.type(scaling)
        gh = gs @ b  # (M, r)
        gb = gs.T @ h if b_t.requires_grad else None
        ga = gh.T @ xd if a_t.requires_grad else None
        gw = g2.T @ x2 if base.weight.requires_grad else None
        gx = None
        if x_t.requires_grad:
            gxd = gh @ a
            if mask is not None:
                gxd *= mask
            gx = (g2 @ w + gxd).reshape(x.shape)
        grads = [gx, gw, ga, gb]
        if base.bias is not None:
            grads.append(g2.sum(axis=0) if base.bias.requires_grad else None)
        return tuple(grads)

    return Tensor.make(out, parents, backward)


class LoRALinear(Module):
    """A frozen `Linear` plus a trainable rank-r update scaled by alpha / r."""

    def __init__(self, base: Linear, r: int = 8, alpha: float = 16, dropout: float = 0.0) -> None:
        super().__init__()
        if not isinstance(base, Linear):
            raise TypeError(f"LoRALinear: base must be an nn.Linear, got {type(base).__name__}")
        if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or r < 1:
            raise ValueError(f"LoRALinear: rank r must be a positive int, got {r!r}")
        for name, value in (("alpha", alpha), ("dropout", dropout)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                 np.floating)):
                raise TypeError(f"LoRALinear: {name} must be a number, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"LoRALinear: dropout must be in [0, 1), got {dropout}")
        self.base = base
        base.requires_grad_(False)
        self.r = int(r)
        self.alpha = alpha
        self.scaling = alpha / self.r
        self.dropout = float(dropout)
        self.in_features = base.in_features
        self.out_features = base.out_features
        dtype = base.weight.data.dtype
        self.lora_A = Parameter(np.empty((self.r, self.in_features), dtype=dtype))
        self.lora_B = Parameter(np.zeros((self.out_features, self.r), dtype=dtype))
        init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.register_buffer("merged", np.array(False))

    def is_merged(self) -> bool:
        """Whether scaling * B A is folded into the base weight (see `merge`)."""
        return bool(self.merged.data)

    def _delta(self) -> np.ndarray:
        return (self.lora_B.data @ self.lora_A.data) * self.base.weight.data.dtype.type(
            self.scaling
        )

    def merge(self) -> None:
        """Add scaling * B A into the base weight (in place); forward then uses the base only."""
        if self.is_merged():
            raise RuntimeError("LoRALinear.merge(): the adapter is already merged")
        self.base.weight.data += self._delta()
        self.merged.data[...] = True

    def unmerge(self) -> None:
        """Subtract the merged update again (restores the weight up to float rounding)."""
        if not self.is_merged():
            raise RuntimeError("LoRALinear.unmerge(): the adapter is not merged")
        self.base.weight.data -= self._delta()
        self.merged.data[...] = False

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"LoRALinear: expected input of shape (*, {self.in_features}), got {tuple(x.shape)}"
            )
        if self.is_merged():
            return self.base(x)
        p = self.dropout if self.training else 0.0
        return _lora_linear(x, self.base, self.lora_A, self.lora_B, self.scaling, p)

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha}, dropout={self.dropout}, merged={self.is_merged()}"


def mark_only_lora_as_trainable(model: Module, bias: str = "none") -> None:
    """Freeze every parameter whose name has no "lora_" (bias='all' also keeps biases
    trainable, bias='none' freezes them), so only the adapters reach an optimizer built
    from the parameters that require grad."""
    if bias not in ("none", "all"):
        raise ValueError(f"mark_only_lora_as_trainable: bias must be 'none' or 'all', got {bias!r}")
    for name, param in model.named_parameters():
        keep = "lora_" in name or (bias == "all" and name.rsplit(".", 1)[-1] == "bias")
        param.requires_grad_(keep)


def lora_state_dict(model: Module) -> dict[str, np.ndarray]:
    """Only the adapter entries (names containing "lora_") of model.state_dict()."""
    return {k: v for k, v in model.state_dict().items() if "lora_" in k}
