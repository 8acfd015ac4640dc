"""`FractionalMaxPool2d/3d` and `F.fractional_max_pool2d/3d` (and their `_with_indices`
forms): fractional max pooling (Graham, "Fractional Max-Pooling", 2014), as PyTorch.

Each (sample, channel) plane draws one u in [0, 1) per spatial axis (from the package's seeded
generator, or `_random_samples` of shape (N, C, dims) in the input's dtype). Along an axis of
input size n, output size m and kernel k, window i starts at int((i + u) * a) - int(u * a) with
a = (n - k) / (m - 1), computed in the input's dtype, and the last window starts at n - k
(Graham's pseudo-random overlapping sequence). The output is the max of each window (ties go to
the first, the last NaN wins), with return_indices the int64 flat index of the winner in its
plane; the gradient goes to the winners (added where windows overlap). The output size is
`output_size`, or int(input size * output_ratio). As torch, the samples' last axis is ordered
(W, H) for 2-D and (D, H, W) for 3-D, and an unbatched input takes samples of shape (1, C,
dims). Deviations: the random stream is this package's (the same seed draws other numbers than
torch), and errors are ValueError/TypeError (torch: RuntimeError for the functional's checks).
"""

from __future__ import annotations

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from ._layout import float_data
from .module import Module
from .pool_geometry import check_rank
from .pool_with_indices import with_indices

_NAMES = {2: ("H", "W"), 3: ("D", "H", "W")}
# the axis of the samples' last dimension that drives each spatial axis, as torch's kernels
_SAMPLE_AXIS = {2: (1, 0), 3: (0, 1, 2)}


def _tuple(value, dims: int, name: str, who: str, kind) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims or not all(isinstance(v, kind) and not isinstance(v, bool)
                                      for v in values):
        raise TypeError(f"{who}: {name} must be one value or {dims} values, got {value!r}")
    return values


def _starts(n_in: int, n_out: int, k: int, u: np.ndarray) -> np.ndarray:
    """Window starts, shape u.shape + (n_out,): Graham's sequence for each sample u."""
    dtype = u.dtype
    out = np.full(u.shape + (n_out,), n_in - k, dtype=np.int64)
    if n_out > 1:
        alpha = dtype.type(n_in - k) / dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=dtype)
        first = ((i + u[..., None]) * alpha).astype(np.int64)
        out[..., :-1] = first - (u[..., None] * alpha).astype(np.int64)
    return out


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                         _random_samples, dims: int, who: str):
    x = float_data(input, who)
    check_rank(x, dims, who)
    kernel = _tuple(kernel_size, dims, "kernel_size", who, (int, np.integer))
    if min(kernel) < 1:
        raise ValueError(f"{who}: kernel_size must be >= 1, got {kernel_size!r}")
    spatial = x.shape[-dims:]
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{who} requires specifying either an output_size or an "
                             "output_ratio")
        ratio = _tuple(output_ratio, dims, "output_ratio", who, (int, float, np.number))
        out_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    else:
        out_size = _tuple(output_size, dims, "output_size", who, (int, np.integer))
    for name, n, m, k in zip(_NAMES[dims], spatial, out_size, kernel):
        if m < 1 or m + k - 1 > n:
            raise ValueError(f"{who}: output size {m} and pool size {k} do not fit the input "
                             f"{name} {n}: need 1 <= output + kernel - 1 <= input")
    xb = x if x.ndim == dims + 2 else x[None]
    n_batch, channels = xb.shape[:2]
    if _random_samples is None:
        samples = _random.generator().random((n_batch, channels, dims)).astype(x.dtype)
    else:
        samples = (_random_samples.data if isinstance(_random_samples, Tensor)
                   else np.asarray(_random_samples))
        if samples.shape != (n_batch, channels, dims):
            raise ValueError(f"{who}: _random_samples must have shape "
                             f"{(n_batch, channels, dims)}, got {samples.shape}")
        samples = samples.astype(x.dtype, copy=False)
    # per axis the (N, C, out, k) input positions, broadcast into (N, C, *out, *k) windows
    index = np.zeros((n_batch, channels) + (1,) * (2 * dims), dtype=np.int64)
    for axis, (n, m, k, s_axis) in enumerate(zip(spatial, out_size, kernel, _SAMPLE_AXIS[dims])):
        pos = _starts(n, m, k, samples[..., s_axis])[..., None] + np.arange(k)
        shape = [n_batch, channels] + [1] * (2 * dims)
        shape[2 + axis], shape[2 + dims + axis] = m, k
        index = index * n + pos.reshape(shape)
    plane = int(np.prod(spatial))
    flat = xb.reshape(n_batch, channels, plane)
    # sizes spelled out, not -1: an empty batch (N = 0) must reshape too
    n_out, n_win = int(np.prod(out_size)), int(np.prod(kernel))
    index = index.reshape(n_batch, channels, n_out, n_win)
    windows = np.take_along_axis(flat, index.reshape(n_batch, channels, n_out * n_win), axis=2)
    windows = windows.reshape(n_batch, channels, n_out, n_win)
    winner = np.argmax(windows, axis=-1)  # the first maximum
    # torch's kernel takes a NaN over anything, a later NaN over an earlier one (so the
    # index and the gradient go to the window's last NaN), as its max_pool does
    nan = np.isnan(windows)
    if nan.any():
        last_nan = nan.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        winner = np.where(nan.any(axis=-1), last_nan, winner)
    out = np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
    idx = np.take_along_axis(index, winner[..., None], axis=-1)[..., 0]
    shape = x.shape[:-dims] + out_size

    def backward(g: np.ndarray):
        rows = n_batch * channels
        target = (np.arange(rows)[:, None] * plane + idx.reshape(rows, n_out)).reshape(-1)
        gx = np.bincount(target, weights=g.reshape(-1), minlength=rows * plane)
        return (gx.astype(g.dtype, copy=False).reshape(x.shape),)

    output = Tensor.make(out.reshape(shape), (input,), backward)
    if return_indices:
        return output, Tensor(idx.reshape(shape))
    return output


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input (see the module docstring)."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 2, "fractional_max_pool2d")


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W) input."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices,
                                _random_samples, 3, "fractional_max_pool3d")


fractional_max_pool2d_with_indices = with_indices(fractional_max_pool2d)
fractional_max_pool3d_with_indices = with_indices(fractional_max_pool3d)


class _FractionalMaxPoolNd(Module):
    """kernel_size, output_size and output_ratio kept as tuples (None when not given) and
    `_random_samples` as a buffer, as torch's."""

    _dims = 2
    _functional = staticmethod(fractional_max_pool2d)

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        who, dims = type(self).__name__, self._dims
        if output_size is None and output_ratio is None:
            raise ValueError(f"{who} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", who, (int, np.integer))
        self.return_indices = return_indices
        self.output_size = (None if output_size is None else
                            _tuple(output_size, dims, "output_size", who, (int, np.integer)))
        self.output_ratio = None
        if output_ratio is not None:
            ratio = _tuple(output_ratio, dims, "output_ratio", who, (int, float, np.number))
            if not all(0 < r < 1 for r in ratio):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
            self.output_ratio = ratio
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input: Tensor):
        return self._functional(input, self.kernel_size, self.output_size, self.output_ratio,
                                self.return_indices, self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """FractionalMaxPool2d(kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None) as torch.nn.FractionalMaxPool2d."""


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """FractionalMaxPool3d(kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None) as torch.nn.FractionalMaxPool3d."""

    _dims = 3
    _functional = staticmethod(fractional_max_pool3d)
