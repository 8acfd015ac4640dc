"""`ChannelShuffle` and `F.channel_shuffle` (ShuffleNet, Zhang et al., 2018), as PyTorch.

(N, C, *) input is split into `groups` blocks of C / groups channels and the blocks are
interleaved: output channel i * groups + g is input channel g * (C / groups) + i. A reshape,
a transpose and a reshape of Tensors, so autograd supplies the backward; any dtype works.
Deviation: bad arguments raise ValueError/TypeError (PyTorch: RuntimeError), and the module
checks groups when built.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .module import Module


def _check_groups(groups, who: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{who}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{who}: groups must be positive, got {groups}")
    return int(groups)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) -> (N, C, *) with the channels regrouped as (C / groups, groups)."""
    who = "channel_shuffle"
    groups = _check_groups(groups, who)
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: expected a Tensor input, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(
            f"{who}: expected input with more than 2 dimensions (N, C, *), got shape "
            f"{tuple(input.shape)}"
        )
    n, channels, *rest = input.shape
    if channels % groups:
        raise ValueError(
            f"{who}: expected the number of channels to be divisible by groups, got {channels} "
            f"channels and {groups} groups"
        )
    blocks = input.reshape(n, groups, channels // groups, *rest)
    return blocks.transpose(1, 2).reshape(n, channels, *rest)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002 - torch's name
    """torch's name for its channel_shuffle kernel: the same function."""
    return channel_shuffle(input, groups)


class ChannelShuffle(Module):
    """ChannelShuffle(groups) as torch.nn.ChannelShuffle."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = _check_groups(groups, "ChannelShuffle")

    def forward(self, x: Tensor) -> Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
