"""`InstanceNorm1d`, `InstanceNorm2d` and `F.instance_norm` (Ulyanov et al., 2016), as PyTorch.

Each (sample, channel) plane is normalised over its positions with the biased variance,
then scaled and shifted per channel: group norm with one group per channel, so it reuses
`group_norm`'s graph node. With running statistics (track_running_stats=True) training
also updates, per channel,
`running = (1 - momentum) * running + momentum * stat` where stat averages over the batch
the planes' means and UNBIASED variances; eval then normalises with the running statistics
(batch norm's eval node). Defaults as torch: affine=False, track_running_stats=False.
As in PyTorch, num_batches_tracked is kept but never counted, so momentum=None leaves the
running statistics unchanged (no cumulative average). Deviation: an empty batch leaves
them unchanged (PyTorch averages over no planes and stores NaN).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..devices import check_cpu
from ..tensor import Tensor
from ._layout import float_data
from .normalization import _BatchNorm, batch_norm, group_norm


def _stat_array(stat, name: str, channels: int, who: str):
    array = stat.data if isinstance(stat, Tensor) else stat
    if array is not None and np.shape(array) != (channels,):
        raise ValueError(f"{who}: {name} must have shape ({channels},), got {np.shape(array)}")
    return array


def instance_norm(
    input: Tensor,
    running_mean: Tensor | np.ndarray | None = None,
    running_var: Tensor | np.ndarray | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation of (N, C, *) input, as torch.nn.functional.instance_norm.

    use_input_stats=True normalises each plane by its own statistics and, when running
    statistics are given, updates them in place (statistics in float64); False normalises
    with the running statistics, which must then be given."""
    who = "instance_norm"
    x = float_data(input, who)
    if x.ndim < 2 or x.shape[1] == 0:
        raise ValueError(f"{who}: expected input of shape (N, C, *) with C >= 1, got {x.shape}")
    n, channels = x.shape[:2]
    positions = math.prod(x.shape[2:])
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            f"{who}: running_mean and running_var must either both be None or neither be None"
        )
    rm = _stat_array(running_mean, "running_mean", channels, who)
    rv = _stat_array(running_var, "running_var", channels, who)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.data.shape != (channels,):
            raise ValueError(f"{who}: {name} must have shape ({channels},), got {t.data.shape}")
    if not use_input_stats:
        if rm is None:
            raise ValueError(
                f"{who}: expected running_mean and running_var to be defined when "
                "use_input_stats is False"
            )
        return batch_norm(input, rm, rv, weight, bias, training=False, eps=eps)
    if positions <= 1:
        raise ValueError(
            f"{who}: expected more than 1 spatial element when training, got input size "
            f"{x.shape}"
        )
    if rm is not None and n > 0:
        planes = x.reshape(n, channels, positions).astype(np.float64)
        mean = planes.mean(axis=2)
        var = planes.var(axis=2, ddof=1)
        rm *= 1.0 - momentum
        rm += momentum * mean.mean(axis=0)
        rv *= 1.0 - momentum
        rv += momentum * var.mean(axis=0)
    return group_norm(input, channels, weight, bias, eps)


class _InstanceNorm(_BatchNorm):
    """Shared by InstanceNorm1d/2d: batch norm's parameters, buffers and repr with
    instance norm's defaults and forward. Unbatched input (no N axis) is accepted."""

    _no_batch_dims = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("InstanceNorm", device)
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, bias=bias, dtype=dtype
        )

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        unbatched = self._no_batch_dims
        if x.ndim not in (unbatched, unbatched + 1):
            raise ValueError(
                f"{name}: expected {unbatched}D or {unbatched + 1}D input (got {x.ndim}D input)"
            )
        channel_dim = x.ndim - unbatched
        if x.shape[channel_dim] != self.num_features:
            message = (
                f"{name}: expected input's size at dim={channel_dim} to match num_features "
                f"({self.num_features}), but got: {x.shape[channel_dim]}."
            )
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(
                f"{name}: input's size at dim={channel_dim} does not match num_features. You "
                "can silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        batched = x.unsqueeze(0) if x.ndim == unbatched else x
        out = instance_norm(
            batched,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats=self.training or not self.track_running_stats,
            momentum=0.0 if self.momentum is None else self.momentum,
            eps=self.eps,
        )
        return out.squeeze(0) if x.ndim == unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or unbatched (C, L) input, as torch.nn.InstanceNorm1d."""

    _no_batch_dims = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or unbatched (C, H, W) input, as
    torch.nn.InstanceNorm2d."""

    _no_batch_dims = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or unbatched (C, D, H, W) input, as
    torch.nn.InstanceNorm3d."""

    _no_batch_dims = 4
