"""`affine_grid` and `grid_sample` as torch.nn.functional's (spatial transformer networks,
Jaderberg et al. 2015), for 4-D (N, C, H, W) and 5-D (N, C, D, H, W) input.

Normalised coordinates: -1 and +1 are the centres of the corner pixels with
align_corners=True, and the outer edges of the corner pixels with align_corners=False (the
default, with PyTorch's warning when it is not given). A grid point (x, y) reads column
x and row y: along an axis of `size` pixels, the source position is (x + 1) / 2 * (size - 1)
or ((x + 1) * size - 1) / 2 respectively. padding_mode 'zeros' reads 0 outside the input,
'border' clamps the position to [0, size - 1], 'reflection' reflects it at the borders
(the corner centres with align_corners=True, the outer edges otherwise) and then clamps.
'bilinear' mixes the 4 surrounding pixels; 'nearest' takes the pixel at the position
rounded half to even, as PyTorch's nearbyint. 'bicubic' mixes the 4 x 4 pixels around the
unpadded position with Keys' cubic convolution weights (a = -0.75, nn/cubic.py); as
PyTorch, the padding rule then maps each of these integer pixel indices, not the position,
so the grid gradient is never cut by 'border' or 'reflection'.

The positions and their derivatives with respect to the grid are computed here in numpy;
the interpolation and its backward (scatter-add into the input gradient, the grid gradient
from the weights' derivatives) run in Numba kernels over channels-last memory
(grid_sample_kernels.py). The grid gradient is zero in 'nearest' mode and where 'border' or
'reflection' clamps, as PyTorch's.

5-D input (N, C, D, H, W) takes a grid (N, D_out, H_out, W_out, 3) of (x, y, z) and
affine_grid 5-D sizes with theta (N, 3, 4): 'bilinear' is then trilinear (8 voxels).

Deviations: input and grid of different float dtypes are computed in the wider one
(PyTorch raises); errors PyTorch raises as RuntimeError / NotImplementedError are
ValueErrors. A NaN or infinite grid coordinate gives NaN in 'bilinear' mode with 'zeros'
padding and reads 0 in 'nearest' mode with 'zeros' padding, as PyTorch's CPU kernel; with
'border' a NaN (with 'reflection' a NaN or an infinity) also reads 0, where PyTorch's CPU
kernel reads an edge pixel. In 'bicubic' mode it gives NaN with every padding, as
PyTorch's; with 5-D input it reads 0 with 'zeros' padding, as PyTorch's (which reads an
edge voxel with 'border' and 'reflection', where we read 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from ._layout import channels_last, float_data
from .cubic import cubic_weight_derivatives, cubic_weights
from .grid_sample_kernels import (
    _bicubic_backward,
    _bicubic_forward,
    _bilinear_backward,
    _bilinear_forward,
    _nearest_backward,
    _nearest_forward,
    _trilinear_backward,
    _trilinear_forward,
)

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
_DEFAULT_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)
_UNIT_SIZE_WARNING = (
    "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
    "align_corners=True. This is not an intended use case of affine_grid. See the "
    "documentation of affine_grid for details."
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
    size (N, C, H, W) (or (N, D, H, W, 3) of theta (N, 3, 4) for size (N, C, D, H, W)), as
    torch.nn.functional.affine_grid: grid[n, i, j] = theta[n] @
    (x_j, y_i, 1), with x_j, y_i the normalised pixel centres (see the module docstring).

    Differentiable with respect to theta. align_corners defaults to False with PyTorch's
    warning; align_corners=True with a unit size warns as PyTorch. 4-D and 5-D sizes;
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
    if len(dims) not in (4, 5):
        raise ValueError(
            f"affine_grid: only 4-D sizes (N, C, H, W) for 2-D affine transforms and 5-D sizes "
            f"(N, C, D, H, W) for 3-D ones are supported, got size {tuple(size)}"
        )
    if len(dims) == 5:
        return _affine_grid_3d(theta, t, dims, align_corners)
    n, _, height, width = dims
    if t.shape != (n, 2, 3):
        raise ValueError(
            f"Expected a batch of 2D affine matrices of shape Nx2x3 with N = size[0] = {n} "
            f"for size {dims}. Got {t.shape}."
        )
    if align_corners and min(height, width) == 1:
        warnings.warn(
            _UNIT_SIZE_WARNING,
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


def _affine_grid_3d(theta: Tensor, t: np.ndarray, dims: tuple, align_corners: bool) -> Tensor:
    """affine_grid for a 5-D size (N, C, D, H, W) and theta (N, 3, 4): grid (N, D, H, W, 3)
    with grid[n, i, j, k] = theta[n] @ (x_k, y_j, z_i, 1)."""
    n, _, depth, height, width = dims
    if t.shape != (n, 3, 4):
        raise ValueError(
            f"Expected a batch of 3D affine matrices of shape Nx3x4 with N = size[0] = {n} "
            f"for size {dims}. Got {t.shape}."
        )
    if align_corners and min(depth, height, width) == 1:
        warnings.warn(_UNIT_SIZE_WARNING, UserWarning, stacklevel=3)
    if min(dims) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {dims}")
    base = np.empty((depth, height, width, 4), dtype=t.dtype)  # rows (x_k, y_j, z_i, 1)
    base[..., 0] = _base_coordinates(width, align_corners)
    base[..., 1] = _base_coordinates(height, align_corners)[:, None]
    base[..., 2] = _base_coordinates(depth, align_corners)[:, None, None]
    base[..., 3] = 1
    points = depth * height * width
    base = base.reshape(points, 4)
    out = np.matmul(base, t.transpose(0, 2, 1))  # (N, D*H*W, 3)

    def backward(g: np.ndarray):
        return (np.matmul(g.reshape(n, points, 3).transpose(0, 2, 1), base),)

    return Tensor.make(out.reshape(n, depth, height, width, 3), (theta,), backward)


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
    (N, C, H_out, W_out); or 5-D input (N, C, D_in, H_in, W_in) at a grid (N, D_out, H_out,
    W_out, 3) of (x, y, z), output (N, C, D_out, H_out, W_out).

    mode 'bilinear' (default), 'nearest' (half to even) or 'bicubic'; padding_mode 'zeros'
    (default), 'border' or 'reflection'; align_corners defaults to False with PyTorch's warning. See
    the module docstring for the rules and the deviations from PyTorch.
    """
    if mode not in _MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    align_corners = _resolve_align_corners(align_corners)
    x = float_data(input, "grid_sample")
    gd = float_data(grid, "grid_sample")
    if x.ndim not in (4, 5):
        raise ValueError(
            "grid_sample: expected a 4-D input (N, C, H_in, W_in) or 5-D input (N, C, D_in, "
            f"H_in, W_in), got shape {x.shape}"
        )
    if x.ndim == 5 and mode == "bicubic":
        raise ValueError(
            f"grid_sample: mode='bicubic' needs a 4-D input (N, C, H_in, W_in), got shape "
            f"{x.shape}"
        )
    if x.ndim == 4 and (gd.ndim != 4 or gd.shape[-1] != 2):
        raise ValueError(
            f"grid_sample: expected a grid of shape (N, H_out, W_out, 2), got {gd.shape}"
        )
    if x.ndim == 5 and (gd.ndim != 5 or gd.shape[-1] != 3):
        raise ValueError(
            "grid_sample: expected a grid of shape (N, D_out, H_out, W_out, 3) for 5-D input, "
            f"got {gd.shape}"
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
    if x.ndim == 5:
        return _grid_sample_3d(input, grid, x, gd, mode, padding_mode, align_corners)
    dtype = np.result_type(x.dtype, gd.dtype)
    n, channels, height, width = x.shape
    out_h, out_w = gd.shape[1:3]
    coords = gd.astype(dtype, copy=False)
    if mode == "bicubic":
        x_nhwc = channels_last(x.astype(dtype, copy=False))
        return _bicubic_node(input, grid, x, gd, x_nhwc, coords, padding_mode, align_corners)
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


def _cubic_taps(coord: np.ndarray, size: int, padding_mode: str, align_corners: bool):
    """(index, weight, d weight / d position, d position / d coord) along an axis of `size`
    pixels, for bicubic sampling: the 4 taps around the unnormalised position (padding is
    applied to each tap's integer index, not to the position, as PyTorch; index -1: a tap
    outside the input with 'zeros')."""
    if align_corners:
        slope = (size - 1) / 2
        pos = (coord + 1) * slope
    else:
        slope = size / 2
        pos = ((coord + 1) * size - 1) / 2
    finite = np.isfinite(pos)
    pos = np.where(finite, pos, 0)  # the output there is set to NaN by the caller
    if padding_mode == "reflection":
        # the reflected taps repeat with this period: shifting by it changes nothing
        period = 2 * (size - 1) if align_corners else 2 * size
        pos = np.mod(pos, period) if period else np.zeros_like(pos)
    else:
        # beyond this every tap is outside ('zeros') or at the same edge pixel ('border')
        pos = np.clip(pos, -4, size + 3)
    floor = np.floor(pos)
    t = (pos - floor).astype(coord.dtype)
    index = floor.astype(np.int64)[..., None] + np.arange(-1, 3)
    if padding_mode == "zeros":
        index = np.where((index >= 0) & (index < size), index, -1)
    elif padding_mode == "border":
        index = np.clip(index, 0, size - 1)
    elif size == 1:
        index = np.zeros_like(index)
    elif align_corners:  # mirrors at the corner centres 0 and size - 1
        index = np.mod(index, 2 * (size - 1))
        index = np.where(index > size - 1, 2 * (size - 1) - index, index)
    else:  # mirrors at the outer edges -0.5 and size - 0.5
        index = np.mod(index, 2 * size)
        index = np.where(index > size - 1, 2 * size - 1 - index, index)
    weight = cubic_weights(t)
    derivative = cubic_weight_derivatives(t)
    return (np.ascontiguousarray(index), np.ascontiguousarray(weight),
            np.ascontiguousarray(derivative), slope)  # fmt: skip


def _bicubic_node(input, grid, x, gd, x_nhwc, coords, padding_mode, align_corners) -> Tensor:
    """grid_sample's 'bicubic' mode: 4 x 4 taps with Keys' weights (nn/cubic.py); the grid
    gradient comes from the weights' derivatives, whatever the padding."""
    dtype = x_nhwc.dtype
    n, height, width, channels = x_nhwc.shape
    out_h, out_w = gd.shape[1:3]
    jx, wx, dwx, slope_x = _cubic_taps(coords[..., 0], width, padding_mode, align_corners)
    jy, wy, dwy, slope_y = _cubic_taps(coords[..., 1], height, padding_mode, align_corners)
    out = np.empty((n, out_h, out_w, channels), dtype=dtype)
    _bicubic_forward(x_nhwc, jx, jy, wx, wy, out)
    if not np.isfinite(coords).all():
        out[~np.isfinite(coords).all(axis=-1)] = np.nan  # as PyTorch, whatever the padding

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        want_dx, want_grid = input.requires_grad, grid.requires_grad
        dx = np.empty((n if want_dx else 0, height, width, channels), dtype=dtype)
        gix = np.empty((n if want_grid else 0, out_h, out_w), dtype=dtype)
        giy = np.empty_like(gix)
        _bicubic_backward(x_nhwc, jx, jy, wx, wy, dwx, dwy, g_nhwc, dx, gix, giy, want_dx,
                          want_grid)  # fmt: skip
        g_input = dx.transpose(0, 3, 1, 2).astype(x.dtype, copy=False) if want_dx else None
        g_grid = None
        if want_grid:
            g_grid = np.stack((gix * slope_x, giy * slope_y), axis=-1).astype(gd.dtype)
        return g_input, g_grid

    return Tensor.make(out.transpose(0, 3, 1, 2), (input, grid), backward)


def _grid_sample_3d(input, grid, x, gd, mode, padding_mode, align_corners) -> Tensor:
    """grid_sample of 5-D input (N, C, D, H, W) at grid (N, OD, OH, OW, 3) ((x, y, z), x
    along W, z along D): 'bilinear' mixes the 8 surrounding voxels (trilinear), 'nearest'
    reads one, with the 2-D rules along each axis."""
    dtype = np.result_type(x.dtype, gd.dtype)
    n, channels, depth, height, width = x.shape
    out_shape = gd.shape[1:4]
    coords = gd.astype(dtype, copy=False)
    ix, slope_x = _source_positions(coords[..., 0], width, padding_mode, align_corners)
    iy, slope_y = _source_positions(coords[..., 1], height, padding_mode, align_corners)
    iz, slope_z = _source_positions(coords[..., 2], depth, padding_mode, align_corners)
    x_ndhwc = np.ascontiguousarray(x.astype(dtype, copy=False).transpose(0, 2, 3, 4, 1))
    out = np.empty((n, *out_shape, channels), dtype=dtype)
    if mode == "bilinear":
        # a NaN or infinite coordinate reads 0 here (no NaN): PyTorch's 5-D CPU kernel does
        _trilinear_forward(x_ndhwc, ix, iy, iz, out)
    else:
        # a voxel (z, y, x) is pixel (z * H + y, x) of the (D * H, W) plane: the 2-D kernels
        jx, jy, jz = (np.rint(p).astype(np.int64) for p in (ix, iy, iz))
        row = np.where((jz >= 0) & (jz < depth) & (jy >= 0) & (jy < height), jz * height + jy, -1)
        flat = (n, out_shape[0] * out_shape[1], out_shape[2])
        jx, row = jx.reshape(flat), np.ascontiguousarray(row.reshape(flat))
        plane = (n, depth * height, width, channels)
        _nearest_forward(x_ndhwc.reshape(plane), jx, row, out.reshape(*flat, channels))

    def backward(g: np.ndarray):
        g_ndhwc = np.ascontiguousarray(g.astype(dtype, copy=False).transpose(0, 2, 3, 4, 1))
        want_dx, want_grid = input.requires_grad, grid.requires_grad
        g_input = g_grid = None
        if mode == "nearest":
            if want_dx:
                dx = np.empty(plane, dtype=dtype)
                _nearest_backward(g_ndhwc.reshape(*flat, channels), jx, row, dx)
                g_input = dx.reshape(n, depth, height, width, channels)
            if want_grid:  # piecewise constant in the grid
                g_grid = np.zeros(gd.shape, dtype=gd.dtype)
        else:
            dx = np.empty((n if want_dx else 0, depth, height, width, channels), dtype=dtype)
            gix = np.empty((n if want_grid else 0, *out_shape), dtype=dtype)
            giy, giz = np.empty_like(gix), np.empty_like(gix)
            _trilinear_backward(x_ndhwc, ix, iy, iz, g_ndhwc, dx, gix, giy, giz, want_dx,
                                want_grid)  # fmt: skip
            g_input = dx if want_dx else None
            if want_grid:
                g_grid = np.stack((gix * slope_x, giy * slope_y, giz * slope_z), axis=-1)
        if g_input is not None:
            g_input = g_input.transpose(0, 4, 1, 2, 3).astype(x.dtype, copy=False)
        if g_grid is not None:
            g_grid = g_grid.astype(gd.dtype, copy=False)
        return g_input, g_grid

    return Tensor.make(out.transpose(0, 4, 1, 2, 3), (input, grid), backward)
