"""`F.interpolate` and `nn.Upsample` (nearest, nearest-exact, linear, bilinear, bicubic,
trilinear, area), as PyTorch.

Output size: `size`, or floor(in * scale_factor) per spatial axis. Output position d of an
axis reads the input at a source coordinate; `scale` is 1 / scale_factor when a
scale_factor is given (and recompute_scale_factor is not True), else in / out:

- nearest:        src = min(floor(d * scale), in - 1), computed in float32 as PyTorch does
                  (so e.g. in=3, out=5 picks 0 0 1 1 2, not the centred 0 0 1 2 2, and
                  scale_factor=1.05 on 2 inputs picks 0 0). PyTorch's 4-D forward, but not
                  its 3-D one, copies an axis with out == in and repeats each input twice
                  when out == 2 * in, whatever the scale_factor: so do we. Its backward
                  takes those shortcuts for 3-D input too, so for such a scale_factor its
                  3-D gradient is not that of its forward; ours is.
- nearest-exact:  src = min(floor((d + 0.5) * scale), in - 1) (the centred rule).
- linear, bilinear with align_corners=False: src = max((d + 0.5) * scale - 0.5, 0);
  with align_corners=True: src = d * (in - 1) / (out - 1) (0 when out == 1) and the
  scale_factor only sets the size. The value is (1 - t) * x[i0] + t * x[i1] with
  i0 = floor(src), i1 = min(i0 + 1, in - 1), t = src - i0, in the input's dtype. An axis
  whose size does not change is copied, whatever the scale_factor (as PyTorch).
  trilinear (5-D input) is the same rule along D, H and W.
- bicubic (4-D input): src as for bilinear but not clamped at 0; the 4 inputs at
  floor(src) - 1 .. floor(src) + 2, each index clamped into [0, in - 1] (border pixels
  repeat), weighted by Keys' cubic convolution with a = -0.75 (nn/cubic.py). Unchanged
  axes are not copied: with scale_factor=1.05 on 2 rows the scale still applies.
- area: adaptive average pooling to the output size (the scale_factor only sets the size).
- antialias=True (bilinear, bicubic): as PIL, the filter (triangle, or Keys' cubic with
  a = -0.5) is widened by s = max(scale, 1), centred on scale * (d + 0.5), and averages
  the inputs j whose centre j + 0.5 it covers, with weights normalised to sum 1;
  align_corners only changes the scale. An axis of unchanged size is copied.

2-D and 3-D resample along W, then H, then D: the separable form of the tensor-product
formula (h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11) for bilinear), with the
same products. Backward scatters the gradient back through the same index/weight arrays
with Numba kernels. Deviations: bad arguments raise
ValueError/TypeError where PyTorch raises NotImplementedError or RuntimeError;
`nn.Upsample` checks its arguments when built instead of at its first call. PyTorch's
bicubic backward (and its 3-D and 5-D nearest backward) copies an axis whose size a
scale_factor keeps, though its forward applied the scale_factor there; its antialias
forward copies such an axis, though its backward applies the scale_factor. So its
gradient is not that of its output there; ours is.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .cubic import cubic_weights
from .module import Module
from .pooling import adaptive_avg_pool2d
from .upsample_kernels import (
    _linear_axis_backward,
    _linear_axis_forward,
    _nearest_axis_backward,
    _taps_axis_backward,
    _taps_axis_forward,
)

_NEAREST_MODES = ("nearest", "nearest-exact")
_RANK_OF_MODE = {
    "nearest": None, "nearest-exact": None, "linear": 3, "bilinear": 4, "bicubic": 4,
    "trilinear": 5, "area": None,
}  # fmt: skip
_INTERPOLATING_MODES = ("linear", "bilinear", "bicubic", "trilinear")
_TORCH_ONLY_MODES = ("lanczos",)


def _check_mode(mode, align_corners, who: str) -> None:
    if mode not in _RANK_OF_MODE:
        known = " (PyTorch has it; not implemented here)" if mode in _TORCH_ONLY_MODES else ""
        raise ValueError(
            f"{who}: unsupported mode {mode!r}{known}; expected one of 'nearest', "
            "'nearest-exact', 'area', 'linear' (3-D input), 'bilinear', 'bicubic' (4-D input), "
            "'trilinear' (5-D input)"
        )
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{who}: align_corners must be None or a bool, got {align_corners!r}")
    if mode not in _INTERPOLATING_MODES and align_corners is not None:
        raise ValueError(
            f"{who}: align_corners option can only be set with the interpolating modes: "
            f"linear | bilinear | bicubic | trilinear, got align_corners={align_corners} with "
            f"mode={mode!r}"
        )


def _check_size_and_scale(size, scale_factor, recompute_scale_factor, who: str) -> None:
    """Exactly one of size and scale_factor, each an int/float or a sequence of them."""
    if size is not None and scale_factor is not None:
        raise ValueError(f"{who}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{who}: either size or scale_factor should be defined")
    if size is not None and recompute_scale_factor:
        raise ValueError(f"{who}: recompute_scale_factor is not meaningful with an explicit size")
    values = size if size is not None else scale_factor
    entries = list(values) if isinstance(values, (tuple, list)) else [values]
    if size is not None:
        if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in entries):
            raise TypeError(f"{who}: size must be an int or a sequence of ints, got {size!r}")
        if any(v < 1 for v in entries):
            raise ValueError(f"{who}: output sizes must be >= 1, got size={size!r}")
    else:
        if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in entries):
            raise TypeError(
                f"{who}: scale_factor must be a number or a sequence of numbers, got "
                f"{scale_factor!r}"
            )
        if any(not (math.isfinite(v) and v > 0) for v in entries):
            raise ValueError(
                f"{who}: scale_factor must be finite and > 0, got scale_factor={scale_factor!r}"
            )


def _per_axis(values, spatial: tuple[int, ...], name: str, who: str) -> list:
    """A scalar repeated for each spatial axis, or a sequence of one entry per axis."""
    if not isinstance(values, (tuple, list)):
        return [values] * len(spatial)
    if len(values) != len(spatial):
        raise ValueError(
            f"{who}: input and {name} must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(spatial)} and {name} {tuple(values)}"
        )
    return list(values)


def _nearest_index(size_in: int, size_out: int, scale, exact: bool, plane: bool) -> np.ndarray:
    """The input index read by each output position (see the module docstring); `plane`:
    4-D input, whose nearest mode copies an axis of equal size and halves one of twice."""
    d = np.arange(size_out)
    if plane and not exact and size_out == size_in:
        return d
    if plane and not exact and size_out == 2 * size_in:
        return d // 2
    # float32 throughout, as PyTorch: its rounding can floor differently from exact
    # arithmetic (in=14, out=46 picks another input at some positions)
    if scale is not None:
        step = np.float32(1.0 / scale)
    else:
        step = np.float32(size_in) / np.float32(size_out)
    position = d.astype(np.float32) + np.float32(0.5) if exact else d.astype(np.float32)
    return np.minimum(np.floor(position * step).astype(np.int64), size_in - 1)


def _linear_taps(size_in: int, size_out: int, scale, align_corners: bool, dtype):
    """(i0, i1, w0, w1) of each output position: the two input indices and weights; None
    when the axis keeps its size, which PyTorch copies whatever the scale_factor."""
    if size_out == size_in:
        return None
    real = np.dtype(dtype).type
    d = np.arange(size_out).astype(dtype)
    if align_corners:
        step = real(size_in - 1) / real(size_out - 1) if size_out > 1 else real(0)
        src = d * step
    else:
        step = real(1.0 / scale) if scale is not None else real(size_in) / real(size_out)
        src = np.maximum((d + real(0.5)) * step - real(0.5), real(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    i1 = np.minimum(i0 + 1, size_in - 1)
    w1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    w0 = (real(1) - w1).astype(dtype)
    return i0, i1, w0, w1


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, W), (N, C, H, W) or (N, C, D, H, W) input to `size` or by
    `scale_factor`, as torch.nn.functional.interpolate; the coordinate rules are in the
    module docstring. align_corners defaults to False for linear, bilinear, bicubic and
    trilinear and must be None for nearest, nearest-exact and area; antialias=True only
    with bilinear and bicubic."""
    who = "interpolate"
    x = float_data(input, who)
    _check_mode(mode, align_corners, who)
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(
            f"{who}: anti-alias option is restricted to bilinear and bicubic modes and requires "
            f"a 4-D tensor as input, got mode={mode!r}"
        )
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{who}: expected 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got "
            f"{x.ndim}-D input of shape {x.shape}"
        )
    rank = _RANK_OF_MODE[mode]
    if rank is not None and x.ndim != rank:
        raise ValueError(f"{who}: got {x.ndim}-D input, but {mode} mode needs {rank}-D input")
    _check_size_and_scale(size, scale_factor, recompute_scale_factor, who)
    spatial = x.shape[2:]
    if x.shape[1] == 0 or 0 in spatial:
        raise ValueError(
            f"{who}: expected non-empty C and spatial sizes, got input of shape {x.shape}"
        )
    if size is not None:
        out_sizes = [int(v) for v in _per_axis(size, spatial, "output size", who)]
        scales = [None] * len(spatial)
    else:
        factors = [float(v) for v in _per_axis(scale_factor, spatial, "scale_factor", who)]
        out_sizes = [math.floor(n * f) for n, f in zip(spatial, factors)]
        if min(out_sizes) < 1:
            raise ValueError(
                f"{who}: scale_factor={scale_factor!r} gives output size {tuple(out_sizes)} for "
                f"input of spatial size {tuple(spatial)}; every size must be >= 1"
            )
        # recompute_scale_factor=True: the coordinates use in / out, as with an explicit size
        scales = [None] * len(spatial) if recompute_scale_factor else factors
    if mode in _NEAREST_MODES:
        exact = mode == "nearest-exact"
        plane = x.ndim == 4
        indices = [
            _nearest_index(n, o, s, exact, plane) for n, o, s in zip(spatial, out_sizes, scales)
        ]
        return _nearest_node(input, x, indices)
    if mode == "area":
        return _area(input, x, out_sizes)
    corners = bool(align_corners)
    if antialias:
        support = 2 if mode == "bilinear" else 4
        taps = [
            _antialias_taps(n, o, s, corners, x.dtype, support)
            for n, o, s in zip(spatial, out_sizes, scales)
        ]
        return _separable_node(input, x, out_sizes, taps, _taps_axis_forward, _taps_axis_backward)
    if mode == "bicubic":
        # no copy of unchanged axes: PyTorch's bicubic forward applies the scale_factor
        taps = [
            _cubic_taps(n, o, s, corners, x.dtype) for n, o, s in zip(spatial, out_sizes, scales)
        ]
        return _separable_node(input, x, out_sizes, taps, _taps_axis_forward, _taps_axis_backward)
    taps = [
        _linear_taps(n, o, s, corners, x.dtype) for n, o, s in zip(spatial, out_sizes, scales)
    ]
    return _separable_node(
        input, x, out_sizes, taps, _linear_axis_forward, _linear_axis_backward
    )


def _cubic_taps(size_in: int, size_out: int, scale, align_corners: bool, dtype):
    """(index, weight) of shape (size_out, 4): the 4 input indices around each output's
    source coordinate (clamped into the input, so border pixels repeat, as PyTorch) and
    their cubic convolution weights. The source coordinate is not clamped at 0 here."""
    real = np.dtype(dtype).type
    d = np.arange(size_out).astype(dtype)
    if align_corners:
        step = real(size_in - 1) / real(size_out - 1) if size_out > 1 else real(0)
        src = d * step
    else:
        step = real(1.0 / scale) if scale is not None else real(size_in) / real(size_out)
        src = (d + real(0.5)) * step - real(0.5)
    floor = np.floor(src)
    index = np.clip(floor.astype(np.int64)[:, None] + np.arange(-1, 3), 0, size_in - 1)
    weight = cubic_weights((src - floor).astype(dtype))
    return np.ascontiguousarray(index), np.ascontiguousarray(weight, dtype=dtype)


def _antialias_taps(size_in, size_out, scale, align_corners, dtype, interp_size):
    """(index, weight) of shape (size_out, K) for antialias=True, or None for an axis of
    unchanged size (which PyTorch's forward copies): the filter (triangle for
    bilinear, Keys' cubic with a = -0.5 for bicubic, as PIL) stretched by the downscaling
    factor when it exceeds 1, over the inputs whose centres it covers, normalised to sum
    to 1. Unused taps have index -1 (skipped by the kernels) and weight 0."""
    if size_out == size_in:
        return None
    if align_corners:
        step = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else size_in / size_out
    stretch = max(step, 1.0)
    support = interp_size / 2 * stretch
    # align_corners only changes the step here, not where pixel centres sit (as PyTorch)
    centre = step * (np.arange(size_out) + 0.5)
    low = np.maximum((centre - support + 0.5).astype(np.int64), 0)
    high = np.minimum((centre + support + 0.5).astype(np.int64), size_in)
    width = int((high - low).max())
    index = low[:, None] + np.arange(width)
    distance = (index - centre[:, None] + 0.5) / stretch
    s = np.abs(distance)
    if interp_size == 2:
        weight = np.maximum(1 - s, 0)
    else:
        a = -0.5
        near = ((a + 2) * s - (a + 3)) * s * s + 1
        far = ((a * s - 5 * a) * s + 8 * a) * s - 4 * a
        weight = np.where(s < 1, near, np.where(s < 2, far, 0))
    weight = np.where(index < high[:, None], weight, 0)
    total = weight.sum(axis=1, keepdims=True)
    weight = weight / np.where(total != 0, total, 1)
    # unused taps are -1, which the kernels skip: reading a pixel the filter does not
    # cover with weight 0 would turn its NaN or inf into a NaN output
    index = np.where(index < high[:, None], index, -1)
    return np.ascontiguousarray(index), np.ascontiguousarray(weight, dtype=dtype)


def _area(input: Tensor, x: np.ndarray, out_sizes: list[int]) -> Tensor:
    """mode='area': adaptive average pooling to out_sizes, as PyTorch. 3-D and 4-D input
    run adaptive_avg_pool2d (3-D with a unit H axis); 5-D input pools (H, W) with it, then
    D (the mean over a box is the mean over D of the means over its (H, W) faces)."""
    n, c = x.shape[:2]
    if x.ndim == 3:
        out = adaptive_avg_pool2d(input.reshape(n, c, 1, x.shape[2]), (1, out_sizes[0]))
        return out.reshape(n, c, out_sizes[0])
    if x.ndim == 4:
        return adaptive_avg_pool2d(input, tuple(out_sizes))
    depth, height, width = x.shape[2:]
    out_d, out_h, out_w = out_sizes
    planes = input.reshape(n, c * depth, height, width)
    planes = adaptive_avg_pool2d(planes, (out_h, out_w)).reshape(n, c, depth, out_h * out_w)
    return adaptive_avg_pool2d(planes, (out_d, out_h * out_w)).reshape(n, c, out_d, out_h, out_w)


def _nearest_node(input: Tensor, x: np.ndarray, indices: list[np.ndarray]) -> Tensor:
    """out = x gathered at `indices` (one array per spatial axis); backward adds each
    output's gradient to the input it copied, axis by axis."""
    out = x[(slice(None), slice(None), *np.ix_(*indices))]
    passes = [(_nearest_axis_backward, (index,)) for index in indices]

    def backward(g: np.ndarray):
        return (_backward_passes(g, x, passes),)

    return Tensor.make(out, (input,), backward)


def _separable_node(
    input: Tensor, x: np.ndarray, out_sizes: list[int], taps: list, forward, backward_kernel
) -> Tensor:
    """Interpolation along W, then H, then D, with the axis kernel `forward` and its
    transpose `backward_kernel`; an axis whose taps are None keeps its size and is copied
    (PyTorch's rule, see _linear_taps)."""
    out = x
    for k in reversed(range(len(taps))):
        if taps[k] is not None:
            out = _axis_pass(out, 2 + k, out_sizes[k], forward, taps[k])
    if out is x:
        out = x.copy()
    passes = [None if t is None else (backward_kernel, t) for t in taps]

    def backward(g: np.ndarray):
        return (_backward_passes(g, x, passes),)

    return Tensor.make(out, (input,), backward)


def _backward_passes(g: np.ndarray, x: np.ndarray, passes: list) -> np.ndarray:
    """The input gradient: each spatial axis's (kernel, arguments) pass transposed, D
    before H before W (the reverse of the forward order); a None pass is an identity axis."""
    g = np.ascontiguousarray(g, dtype=x.dtype)
    for k, step in enumerate(passes):
        if step is not None:
            g = _axis_pass(g, 2 + k, x.shape[2 + k], step[0], step[1])
    return g


def _axis_pass(a: np.ndarray, axis: int, size_out: int, kernel, args) -> np.ndarray:
    """Run a resampling kernel along `axis` of `a`, seen as (before, axis, after)."""
    outer = math.prod(a.shape[:axis])
    inner = math.prod(a.shape[axis + 1 :])
    out = np.empty((outer, size_out, inner), dtype=a.dtype)
    kernel(np.ascontiguousarray(a).reshape(outer, a.shape[axis], inner), out, *args)
    return out.reshape(*a.shape[:axis], size_out, *a.shape[axis + 1 :])


class Upsample(Module):
    """Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None) as torch.nn.Upsample: F.interpolate with these arguments.
    A scalar scale_factor is stored as a float and a tuple as a tuple of floats, as torch."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        _check_mode(mode, align_corners, who)
        _check_size_and_scale(size, scale_factor, recompute_scale_factor, who)
        self.name = who
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(v) for v in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Tensor) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)  # fmt: skip

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """UpsamplingNearest2d(size=None, scale_factor=None): Upsample with mode='nearest'."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """UpsamplingBilinear2d(size=None, scale_factor=None): Upsample with mode='bilinear'
    and align_corners=True (PyTorch's fixed choice for this class)."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# torch's deprecated functional aliases of interpolate, kept so old code ports (torch warns
# on each call; these stay silent)
def upsample(
    input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None
) -> Tensor:
    """interpolate(input, size, scale_factor, mode, align_corners) (deprecated in torch)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """interpolate(input, size, scale_factor, mode='nearest') (deprecated in torch)."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """interpolate(input, size, scale_factor, mode='bilinear', align_corners=True), as
    torch's deprecated alias (note align_corners=True, unlike interpolate's default)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
