"""`affine_grid` and `grid_sample` as torch.nn.functional's (spatial transformer networks,
Jaderberg et al. 2015), for 4-D (N, C, H, W) input.

Normalised coordinates: -1 and +1 are the centres of the corner pixels with
align_corners=True, and the outer edges of the corner pixels with align_corners=False (the
default, with PyTorch's warning when it is not given). A grid point (x, y) reads column
x and row y: along an axis of `size` pixels, the source position is (x + 1) / 2 * (size - 1)
or ((x + 1) * size - 1) / 2 respectively. padding_mode 'zeros' reads 0 outside the input,
'border' clamps the position to [0, size - 1], 'reflection' reflects it at the borders
(the corner centres with align_corners=True, the outer edges otherwise) and then clamps.
'bilinear' mixes the 4 surrounding pixels; 'nearest' takes the pixel at the position
rounded half to even, as PyTorch's nearbyint.

The positions and their derivatives with respect to the grid are computed here in numpy;
the interpolation and its backward (scatter-add into the input gradient, the grid gradient
from the weights' derivatives) run in Numba kernels over channels-last memory
(grid_sample_kernels.py). The grid gradient is zero in 'nearest' mode and where 'border' or
'reflection' clamps, as PyTorch's.

Deviations: no 'bicubic' mode and no 5-D (volumetric) input (ValueError); input and grid
of different float dtypes are computed in the wider one (PyTorch raises); errors PyTorch
raises as RuntimeError / NotImplementedError are ValueErrors. A NaN or infinite grid
coordinate gives NaN in 'bilinear' mode with 'zeros' padding and reads 0 in 'nearest' mode
with 'zeros' padding, as PyTorch's CPU kernel; with 'border' a NaN (with 'reflection' a NaN
or an infinity) also reads 0, where PyTorch's CPU kernel reads an edge pixel.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from ._layout import channels_last, float_data
from .grid_sample_kernels import (
    _bilinear_backward,
    _bilinear_forward,
    _nearest_backward,
    _nearest_forward,
)

_MODES = ("bilinear", "nearest")
_PADDING_MODES = ("zeros", "border", "reflection")
_DEFAULT_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)
# Positions this far outside the input have no corner inside it; PyTorch moves them (and
# NaN / inf) to -100 before its float-to-int conversion, as done here.
_FAR = 2


def _resolve_align_corners(align_corners) -> bool:
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coordinates(size: int, align_corners: bool) -> np.ndarray:
    """The normalised coordinates of the pixel centres along an axis (0 for one pixel)."""
    if size == 1:
        return np.zeros(1)
    j = np.arange(size)
    if align_corners:
        return 2 * j / (size - 1) - 1
    return (2 * j + 1) / size - 1


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps theta (N, 2, 3) for an output of
    size (N, C, H, W), as torch.nn.functional.affine_grid: grid[n, i, j] = theta[n] @
    (x_j, y_i, 1), with x_j, y_i the normalised pixel centres (see the module docstring).

    Differentiable with respect to theta. align_corners defaults to False with PyTorch's
    warning; align_corners=True with a unit height or width warns as PyTorch. Only 4-D sizes;
    errors PyTorch raises as NotImplementedError or RuntimeError are ValueErrors.
    """
    align_corners = _resolve_align_corners(align_corners)
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: expected theta to be a Tensor, got {type(theta).__name__}")
    t = theta.data
    if t.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {t.dtype}")
    try:
        dims = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        raise TypeError(f"affine_grid: size must be a sequence of ints, got {size!r}") from None
    if len(dims) != 4:
        raise ValueError(
            f"affine_grid: only 4-D sizes (N, C, H, W) for 2-D affine transforms are "
            f"supported, got size {tuple(size)}"
        )
    n, _, height, width = dims
    if t.shape != (n, 2, 3):
        raise ValueError(
            f"Expected a batch of 2D affine matrices of shape Nx2x3 with N = size[0] = {n} "
            f"for size {dims}. Got {t.shape}."
        )
    if align_corners and min(height, width) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    if min(dims) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {dims}")
    xs = _base_coordinates(width, align_corners)
    ys = _base_coordinates(height, align_corners)
    base = np.empty((height, width, 3), dtype=t.dtype)  # rows (x_j, y_i, 1)
    base[..., 0] = xs
    base[..., 1] = ys[:, None]
    base[..., 2] = 1
    base = base.reshape(height * width, 3)
    out = np.matmul(base, t.transpose(0, 2, 1))  # (N, H*W, 2)

    def backward(g: np.ndarray):
        return (np.matmul(g.reshape(n, height * width, 2).transpose(0, 2, 1), base),)

    return Tensor.make(out.reshape(n, height, width, 2), (theta,), backward)


def _reflect(pos: np.ndarray, twice_low: int, twice_high: int):
    """(pos reflected into [twice_low / 2, twice_high / 2], d reflected / d pos = +-1)."""
    if twice_low == twice_high:  # one pixel with align_corners=True: everything maps to it
        return np.zeros_like(pos), np.zeros_like(pos)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = pos - low
    sign = np.where(shifted < 0, -1, 1).astype(pos.dtype)
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    odd = np.floor(shifted / span) % 2 == 1
    return np.where(odd, span - extra + low, extra + low), np.where(odd, -sign, sign)


def _source_positions(coord: np.ndarray, size: int, padding_mode: str, align_corners: bool):
    """(positions in pixels, d position / d coord) of normalised coordinates along an axis
    of `size` pixels, padding rule applied; positions with no corner inside the input
    (NaN too) become -100."""
    if align_corners:
        slope = (size - 1) / 2
        pos = (coord + 1) * slope
    else:
        slope = size / 2
        pos = ((coord + 1) * size - 1) / 2
    slope = np.full_like(pos, slope)
    if padding_mode == "reflection":
        if align_corners:
            pos, sign = _reflect(pos, 0, 2 * (size - 1))
        else:
            pos, sign = _reflect(pos, -1, 2 * size - 1)
        slope *= sign
    if padding_mode != "zeros":
        # clamped positions do not move with the grid: their derivative is 0, and 0 at
        # the limits themselves, as PyTorch
        slope *= (pos > 0) & (pos < size - 1)
        pos = np.clip(pos, 0, size - 1)
    pos = np.where((pos >= -_FAR) & (pos <= size - 1 + _FAR), pos, -100)
    return np.ascontiguousarray(pos, dtype=coord.dtype), slope


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample input (N, C, H_in, W_in) at the normalised positions grid (N, H_out, W_out, 2)
    ((x, y) in [-1, 1], x along the width), as torch.nn.functional.grid_sample: output
    (N, C, H_out, W_out).

    mode 'bilinear' (default) or 'nearest' (half to even); padding_mode 'zeros' (default),
    'border' or 'reflection'; align_corners defaults to False with PyTorch's warning. See
    the module docstring for the rules and the deviations from PyTorch.
    """
    if mode not in (*_MODES, "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if mode == "bicubic":
        raise ValueError("grid_sample: mode='bicubic' is not supported; use 'bilinear' or "
                         "'nearest'")  # fmt: skip
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    align_corners = _resolve_align_corners(align_corners)
    x = float_data(input, "grid_sample")
    gd = float_data(grid, "grid_sample")
    if x.ndim != 4:
        raise ValueError(
            f"grid_sample: expected a 4-D input (N, C, H_in, W_in), got shape {x.shape} "
            "(5-D volumetric input is not supported)"
        )
    if gd.ndim != 4 or gd.shape[-1] != 2:
        raise ValueError(
            f"grid_sample: expected a grid of shape (N, H_out, W_out, 2), got {gd.shape}"
        )
    if gd.shape[0] != x.shape[0]:
        raise ValueError(
            f"grid_sample: expected grid and input to have the same batch size, got input "
            f"of shape {x.shape} and grid of shape {gd.shape}"
        )
    if 0 in x.shape[2:]:
        raise ValueError(
            f"grid_sample: expected input to have non-empty spatial dimensions, got {x.shape}"
        )
    dtype = np.result_type(x.dtype, gd.dtype)
    n, channels, height, width = x.shape
    out_h, out_w = gd.shape[1:3]
    coords = gd.astype(dtype, copy=False)
    ix, slope_x = _source_positions(coords[..., 0], width, padding_mode, align_corners)
    iy, slope_y = _source_positions(coords[..., 1], height, padding_mode, align_corners)
    x_nhwc = channels_last(x.astype(dtype, copy=False))
    out = np.empty((n, out_h, out_w, channels), dtype=dtype)
    if mode == "bilinear":
        _bilinear_forward(x_nhwc, ix, iy, out)
        # one flat test first: the per-position mask (a reduction over pairs) cost ~30% of
        # the whole forward on a 28x28 grid, and grids are nearly always finite
        if padding_mode == "zeros" and not np.isfinite(coords).all():
            lost = ~np.isfinite(coords).all(axis=-1)
            out[lost] = np.nan  # PyTorch's weights are NaN there; the kernels saw -100
    else:
        jx, jy = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
        _nearest_forward(x_nhwc, jx, jy, out)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        want_dx, want_grid = input.requires_grad, grid.requires_grad
        g_input = g_grid = None
        if mode == "nearest":
            if want_dx:
                dx = np.empty((n, height, width, channels), dtype=dtype)
                _nearest_backward(g_nhwc, jx, jy, dx)
                g_input = dx.transpose(0, 3, 1, 2)
            if want_grid:  # piecewise constant in the grid
                g_grid = np.zeros(gd.shape, dtype=gd.dtype)
        else:
            dx = np.empty((n if want_dx else 0, height, width, channels), dtype=dtype)
            gix = np.empty((n if want_grid else 0, out_h, out_w), dtype=dtype)
            giy = np.empty_like(gix)
            _bilinear_backward(x_nhwc, ix, iy, g_nhwc, dx, gix, giy, want_dx, want_grid)
            if want_dx:
                g_input = dx.transpose(0, 3, 1, 2)
            if want_grid:
                g_grid = np.stack((gix * slope_x, giy * slope_y), axis=-1)
        if g_input is not None:
            g_input = g_input.astype(x.dtype, copy=False)
        if g_grid is not None:
            g_grid = g_grid.astype(gd.dtype, copy=False)
        return g_input, g_grid

    return Tensor.make(out.transpose(0, 3, 1, 2), (input, grid), backward)
