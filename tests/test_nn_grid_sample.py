"""F.affine_grid and F.grid_sample: against the closed form of the grid, a naive per-pixel
loop written here from the documented interpolation and padding rules, float64 finite
differences, identity transforms, warnings and error messages."""

import math
import warnings

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor

MODES = ("bilinear", "nearest")
PADDINGS = ("zeros", "border", "reflection")


def centres(size, align_corners):
    """Normalised pixel centres along an axis, from the documented conventions."""
    if size == 1:
        return [0.0]
    if align_corners:  # -1 and 1 are the centres of the corner pixels
        return [-1 + 2 * j / (size - 1) for j in range(size)]
    return [-1 + (2 * j + 1) / size for j in range(size)]  # ... the outer edges


def naive_affine_grid(theta, size, align_corners):
    n, _, h, w = size
    xs, ys = centres(w, align_corners), centres(h, align_corners)
    grid = np.zeros((n, h, w, 2))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                grid[b, i, j] = theta[b] @ np.array([xs[j], ys[i], 1.0])
    return grid


def fold_into(v, low, high):
    """v mirrored at low and high until it lies in [low, high] (a fold at a time)."""
    if low == high:
        return low
    while v < low or v > high:
        v = 2 * low - v if v < low else 2 * high - v
    return v


def source_position(c, size, padding_mode, align_corners):
    """The pixel position a normalised coordinate reads along an axis of `size` pixels."""
    p = (c + 1) / 2 * (size - 1) if align_corners else ((c + 1) * size - 1) / 2
    if padding_mode == "reflection":
        # mirrors: the corner centres with align_corners=True, else the outer edges
        p = fold_into(p, 0, size - 1) if align_corners else fold_into(p, -0.5, size - 0.5)
    if padding_mode in ("border", "reflection"):
        p = min(max(p, 0), size - 1)
    return p


def naive_grid_sample(x, grid, mode, padding_mode, align_corners):
    n, c, h, w = x.shape
    out_h, out_w = grid.shape[1:3]
    out = np.zeros((n, c, out_h, out_w))

    def pixel(b, yy, xx):
        inside = 0 <= yy < h and 0 <= xx < w
        return x[b, :, yy, xx] if inside else np.zeros(c)

    for b in range(n):
        for i in range(out_h):
            for j in range(out_w):
                px = source_position(grid[b, i, j, 0], w, padding_mode, align_corners)
                py = source_position(grid[b, i, j, 1], h, padding_mode, align_corners)
                if mode == "nearest":
                    out[b, :, i, j] = pixel(b, round(py), round(px))  # round: half to even
                    continue
                x0, y0 = math.floor(px), math.floor(py)
                for yy in (y0, y0 + 1):
                    for xx in (x0, x0 + 1):
                        weight = (1 - abs(px - xx)) * (1 - abs(py - yy))
                        out[b, :, i, j] += weight * pixel(b, yy, xx)
    return out


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def normalised(pos, size, align_corners):
    """The normalised coordinate of pixel position pos (the inverse of source_position
    before padding)."""
    return 2 * pos / (size - 1) - 1 if align_corners else (2 * pos + 1) / size - 1


def test_affine_grid_matches_closed_form():
    theta = randn(3, 2, 3)
    for size in [(3, 2, 4, 5), (3, 1, 1, 6), (3, 1, 7, 1), (3, 4, 2, 2)]:
        for align_corners in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # unit sizes with align_corners=True warn
                grid = F.affine_grid(Tensor(theta), size, align_corners=align_corners)
            assert grid.shape == (size[0], size[2], size[3], 2)
            np.testing.assert_allclose(grid.data, naive_affine_grid(theta, size, align_corners),
                                       rtol=1e-12, atol=1e-12)  # fmt: skip


def test_affine_grid_keeps_float32_and_grads_theta():
    grid = F.affine_grid(Tensor(randn(2, 2, 3).astype(np.float32)), (2, 1, 3, 4), False)
    assert grid.dtype == np.float32
    for align_corners in (True, False):
        check_grads(lambda t, ac=align_corners: F.affine_grid(t, (2, 3, 4, 5), ac),
                    randn(2, 2, 3))  # fmt: skip


def test_affine_grid_warns_as_torch():
    theta = Tensor(randn(1, 2, 3))
    with pytest.warns(UserWarning, match="changed to align_corners=False since 1.3.0"):
        F.affine_grid(theta, (1, 1, 3, 3))
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        F.affine_grid(theta, (1, 1, 1, 3), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.affine_grid(theta, (1, 1, 1, 3), align_corners=False)
        F.affine_grid(theta, (1, 1, 2, 3), align_corners=True)


@pytest.mark.parametrize(
    "theta, size, error, match",
    [
        (np.eye(2, 3)[None].astype(np.int64), (1, 1, 2, 2), ValueError,
         "Expected theta to have floating point type, but got int64"),
        (np.eye(2, 3)[None], (1, 1, 0, 2), ValueError,
         r"Expected non-zero, positive output size. Got \(1, 1, 0, 2\)"),
        (np.eye(2, 3)[None], (1, 2, 2), ValueError, r"only 4-D sizes .* got size \(1, 2, 2\)"),
        (np.eye(2, 3)[None], (2, 1, 2, 2), ValueError,
         r"shape Nx2x3 with N = size\[0\] = 2 .* Got \(1, 2, 3\)"),
        (np.eye(3)[None], (1, 1, 2, 2), ValueError, r"Nx2x3 .* Got \(1, 3, 3\)"),
        (np.eye(2, 3)[None], "abcd", TypeError, "size must be a sequence of ints"),
    ],
)
def test_affine_grid_errors(theta, size, error, match):
    with pytest.raises(error, match=match):
        F.affine_grid(Tensor(theta), size, align_corners=False)


def sample_grid(n, out_h, out_w, seed):
    """Random coordinates in and beyond [-1, 1], plus exactly -1, 1 and 0."""
    grid = np.random.default_rng(seed).uniform(-1.7, 1.7, (n, out_h, out_w, 2))
    grid.reshape(-1)[:8] = [-1, -1, 1, 1, -1, 1, 0, 0]
    return grid


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_matches_naive_loop(mode, padding_mode, align_corners):
    for seed, (shape, out_hw) in enumerate([((2, 3, 5, 6), (4, 7)), ((1, 2, 1, 4), (3, 3)),
                                            ((2, 1, 3, 1), (2, 5))]):  # fmt: skip
        x = randn(*shape, seed=seed)
        grid = sample_grid(shape[0], *out_hw, seed=seed + 10)
        out = F.grid_sample(Tensor(x), Tensor(grid), mode, padding_mode, align_corners)
        expected = naive_grid_sample(x, grid, mode, padding_mode, align_corners)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_on_pixel_centres_edges_and_far_outside(padding_mode, align_corners):
    x = randn(1, 2, 4, 5)
    # every pixel centre, the outer edges (+-1 with align_corners=False), points beyond
    # them, and coordinates far outside in both directions
    xs = [normalised(p, 5, align_corners) for p in (0, 1, 2, 3, 4, -0.5, 4.5, -1, 5)]
    xs += [-1.0, 1.0, -40.0, 40.0]
    ys = [normalised(p, 4, align_corners) for p in (0, 3, -0.5, 3.5)] + [-1.0, 1.0, 25.0]
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)[None]
    for mode in MODES:
        out = F.grid_sample(Tensor(x), Tensor(grid), mode, padding_mode, align_corners)
        expected = naive_grid_sample(x, grid, mode, padding_mode, align_corners)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_nearest_rounds_half_to_even():
    x = Tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    # align_corners=True over 5 pixels: position = 2 (c + 1), so these are 0.5, 1.5, 2.5, 3.5
    grid = Tensor(np.array([[[[-0.75, 0], [-0.25, 0], [0.25, 0], [0.75, 0]]]]))
    out = F.grid_sample(x, grid, mode="nearest", align_corners=True)
    np.testing.assert_array_equal(out.data.ravel(), [0, 2, 2, 4])


def kink_free_grid(n, out_h, out_w, h, w, align_corners, seed):
    """Coordinates whose pixel positions are an integer in [-2, size + 1] plus a fraction
    in [0.15, 0.35] or [0.65, 0.85]: away from the integer and half-integer positions where
    the bilinear weights, the clamps and the mirrors have kinks."""
    rng = np.random.default_rng(seed)
    grid = np.empty((n, out_h, out_w, 2))
    for axis, size in ((0, w), (1, h)):
        whole = rng.integers(-2, size + 2, (n, out_h, out_w))
        frac = rng.uniform(0.15, 0.35, (n, out_h, out_w)) + 0.5 * rng.integers(0, 2, whole.shape)
        grid[..., axis] = normalised(whole + frac, size, align_corners)
    return grid


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_bilinear_grads_by_finite_differences(padding_mode, align_corners):
    x = randn(2, 3, 4, 5)
    grid = kink_free_grid(2, 3, 4, 4, 5, align_corners, seed=3)
    check_grads(lambda a, g: F.grid_sample(a, g, "bilinear", padding_mode, align_corners),
                x, grid)  # fmt: skip


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_nearest_grads_input_only_and_grid_grad_is_zero(padding_mode):
    x, grid = randn(2, 3, 4, 5), sample_grid(2, 3, 4, seed=4)
    check_grads(lambda a: F.grid_sample(a, Tensor(grid), "nearest", padding_mode, False), x)
    g = Tensor(grid, requires_grad=True)
    F.grid_sample(Tensor(x), g, "nearest", padding_mode, False).sum().backward()
    np.testing.assert_array_equal(g.grad, np.zeros_like(grid))


def test_input_gradient_adds_up_every_read_of_a_pixel():
    x = Tensor(np.zeros((1, 2, 3, 3)), requires_grad=True)
    grid = np.zeros((1, 4, 5, 2))  # every output reads the centre pixel
    for mode in MODES:
        x.grad = None
        F.grid_sample(x, Tensor(grid), mode, align_corners=True).sum().backward()
        expected = np.zeros((1, 2, 3, 3))
        expected[:, :, 1, 1] = 20
        np.testing.assert_allclose(x.grad, expected)


def test_only_the_inputs_that_ask_get_gradients():
    x = randn(1, 2, 3, 4)
    grid = np.random.default_rng(5).uniform(-0.9, 0.9, (1, 2, 2, 2))
    a, g = Tensor(x, requires_grad=True), Tensor(grid)
    F.grid_sample(a, g, align_corners=False).sum().backward()
    assert a.grad is not None and g.grad is None
    a, g = Tensor(x), Tensor(grid, requires_grad=True)
    F.grid_sample(a, g, align_corners=False).sum().backward()
    assert a.grad is None and g.grad is not None and np.abs(g.grad).sum() > 0


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_identity_theta_reproduces_the_input(mode, align_corners):
    x = randn(2, 3, 5, 7).astype(np.float32)
    theta = Tensor(np.tile(np.eye(2, 3), (2, 1, 1)).astype(np.float32))
    grid = F.affine_grid(theta, x.shape, align_corners=align_corners)
    out = F.grid_sample(Tensor(x), grid, mode, align_corners=align_corners)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x, atol=1e-6)


def test_mismatched_align_corners_does_not_reproduce_the_input():
    # an align_corners=True grid read with align_corners=False lands between pixels
    x = randn(1, 1, 4, 4)
    grid = F.affine_grid(Tensor(np.eye(2, 3)[None]), x.shape, align_corners=True)
    out = F.grid_sample(Tensor(x), grid, align_corners=False)
    assert np.abs(out.data - x).max() > 0.1


def test_grid_sample_warns_without_align_corners():
    x, grid = Tensor(randn(1, 1, 2, 2)), Tensor(np.zeros((1, 1, 1, 2)))
    with pytest.warns(UserWarning, match="changed to align_corners=False"):
        out = F.grid_sample(x, grid)
    np.testing.assert_allclose(out.data.ravel(), [randn(1, 1, 2, 2).mean()])


def test_nan_coordinates_as_torch():
    x = Tensor(np.arange(4.0).reshape(1, 1, 1, 4))
    grid = Tensor(np.array([[[[np.nan, 0.0], [np.inf, 0.0], [0.0, 0.0]]]]))
    zeros = F.grid_sample(x, grid, align_corners=False).data.ravel()
    assert np.isnan(zeros[:2]).all() and zeros[2] == 1.5
    border = F.grid_sample(x, grid, padding_mode="border", align_corners=False).data.ravel()
    np.testing.assert_array_equal(border, [0, 3, 1.5])
    nearest = F.grid_sample(x, grid, mode="nearest", align_corners=False).data.ravel()
    np.testing.assert_array_equal(nearest, [0, 0, 2])


@pytest.mark.parametrize(
    "kwargs, x_shape, grid_shape, error, match",
    [
        ({"mode": "linear"}, (1, 1, 2, 2), (1, 1, 1, 2), ValueError,
         "expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'linear'"),
        ({"mode": "bicubic"}, (1, 1, 2, 2, 2), (1, 1, 1, 2), ValueError,
         r"4-D input .* got shape \(1, 1, 2, 2, 2\)"),
        ({"padding_mode": "reflect"}, (1, 1, 2, 2), (1, 1, 1, 2), ValueError,
         "expected padding_mode to be 'zeros', 'border', or 'reflection', but got: 'reflect'"),
        ({}, (1, 2, 2), (1, 1, 1, 2), ValueError, r"4-D input .* got shape \(1, 2, 2\)"),
        ({}, (1, 1, 2, 2), (1, 1, 1, 3), ValueError,
         r"grid of shape \(N, H_out, W_out, 2\), got \(1, 1, 1, 3\)"),
        ({}, (2, 1, 2, 2), (1, 1, 1, 2), ValueError, "same batch size"),
        ({}, (1, 1, 0, 2), (1, 1, 1, 2), ValueError, "non-empty spatial dimensions"),
    ],
)
def test_grid_sample_errors(kwargs, x_shape, grid_shape, error, match):
    with pytest.raises(error, match=match):
        F.grid_sample(Tensor(np.zeros(x_shape)), Tensor(np.zeros(grid_shape)),
                      align_corners=False, **kwargs)  # fmt: skip


def test_grid_sample_refuses_integer_input():
    with pytest.raises(TypeError, match="grid_sample: expected a floating-point input"):
        F.grid_sample(Tensor(np.zeros((1, 1, 2, 2), np.int64)), Tensor(np.zeros((1, 1, 1, 2))),
                      align_corners=False)  # fmt: skip


def test_exported_as_torch_names():
    assert {"affine_grid", "grid_sample"} <= set(F.__all__)
    assert callable(F.affine_grid) and callable(F.grid_sample)
