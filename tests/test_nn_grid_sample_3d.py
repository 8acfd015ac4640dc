"""F.affine_grid and F.grid_sample on 5-D (volumetric) input: against a naive per-voxel loop
written here from the documented rules (the 2-D coordinate and padding rules along each of
x, y, z; trilinear weights over 8 voxels), float64 finite differences, the identity
transform and errors."""

import itertools
import math
import warnings

import numpy as np
import pytest
from test_nn_gradcheck import check_grads
from test_nn_grid_sample import centres, source_position

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor

PADDINGS = ("zeros", "border", "reflection")


def naive_grid_sample_3d(x, grid, mode, padding_mode, align_corners):
    n, c, d, h, w = x.shape
    out = np.zeros((n, c, *grid.shape[1:4]))

    def voxel(b, zz, yy, xx):
        inside = 0 <= zz < d and 0 <= yy < h and 0 <= xx < w
        return x[b, :, zz, yy, xx] if inside else np.zeros(c)

    for b in range(n):
        for o in np.ndindex(*grid.shape[1:4]):
            px, py, pz = (source_position(grid[(b, *o, k)], size, padding_mode, align_corners)
                          for k, size in enumerate((w, h, d)))
            if mode == "nearest":
                out[(b, slice(None), *o)] = voxel(b, round(pz), round(py), round(px))
                continue
            x0, y0, z0 = math.floor(px), math.floor(py), math.floor(pz)
            for zz, yy, xx in itertools.product((z0, z0 + 1), (y0, y0 + 1), (x0, x0 + 1)):
                weight = (1 - abs(px - xx)) * (1 - abs(py - yy)) * (1 - abs(pz - zz))
                out[(b, slice(None), *o)] += weight * voxel(b, zz, yy, xx)
    return out


def random_case(shape, seed=0, spread=1.4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x, rng.uniform(-spread, spread, (shape[0], 2, 3, 4, 3))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("spatial", [(3, 4, 5), (1, 2, 3)])
def test_grid_sample_3d_matches_naive_loop(spatial, mode, padding_mode, align_corners):
    x, grid = random_case((2, 3, *spatial))
    grid[0, 0, 0, 0] = [1e6, -3e5, 2.0]  # far outside
    out = F.grid_sample(Tensor(x), Tensor(grid), mode=mode, padding_mode=padding_mode,
                        align_corners=align_corners)  # fmt: skip
    ref = naive_grid_sample_3d(x, grid, mode, padding_mode, align_corners)
    np.testing.assert_allclose(out.data, ref, atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_trilinear_grads_by_finite_differences(padding_mode, align_corners):
    x, grid = random_case((1, 2, 3, 3, 4), seed=4)
    check_grads(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode,
                                           align_corners=align_corners), x, grid)


def test_nearest_3d_grads_input_only():
    x, grid = random_case((1, 2, 3, 3, 4), seed=5)
    check_grads(lambda a: F.grid_sample(a, Tensor(grid), mode="nearest", align_corners=False),
                x)  # fmt: skip
    g = Tensor(grid, requires_grad=True)
    F.grid_sample(Tensor(x), g, mode="nearest", align_corners=False).sum().backward()
    np.testing.assert_array_equal(g.grad, 0.0)


def naive_affine_grid_3d(theta, size, align_corners):
    n, _, d, h, w = size
    xs, ys, zs = (centres(s, align_corners) for s in (w, h, d))
    grid = np.zeros((n, d, h, w, 3))
    for b in range(n):
        for i, j, k in np.ndindex(d, h, w):
            grid[b, i, j, k] = theta[b] @ np.array([xs[k], ys[j], zs[i], 1.0])
    return grid


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_3d_closed_form_grad_and_identity(align_corners):
    theta = np.random.default_rng(6).standard_normal((2, 3, 4))
    size = (2, 3, 3, 4, 5)
    out = F.affine_grid(Tensor(theta), size, align_corners=align_corners)
    np.testing.assert_allclose(out.data, naive_affine_grid_3d(theta, size, align_corners),
                               atol=1e-14)  # fmt: skip
    check_grads(lambda t: F.affine_grid(t, (2, 1, 2, 3, 2), align_corners=align_corners), theta)
    x = np.random.default_rng(7).standard_normal(size)
    identity = F.affine_grid(Tensor(np.tile(np.eye(3, 4), (2, 1, 1))), size,
                             align_corners=align_corners)  # fmt: skip
    for mode in ("bilinear", "nearest"):
        out = F.grid_sample(Tensor(x), identity, mode=mode, align_corners=align_corners)
        np.testing.assert_allclose(out.data, x, atol=1e-12)


def test_affine_grid_3d_warns_on_unit_sizes_with_align_corners():
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(Tensor(np.eye(3, 4)[None]), (1, 1, 1, 2, 2), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.affine_grid(Tensor(np.eye(3, 4)[None]), (1, 1, 1, 2, 2), align_corners=False)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: F.affine_grid(Tensor(np.eye(2, 3)[None]), (1, 1, 2, 2, 2), align_corners=False),
         r"shape Nx3x4 with N = size\[0\] = 1 .* Got \(1, 2, 3\)"),
        (lambda: F.affine_grid(Tensor(np.eye(3, 4)[None]), (1, 1, 2, 0, 2), align_corners=False),
         r"positive output size. Got \(1, 1, 2, 0, 2\)"),
        (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 2, 2, 2))), Tensor(np.zeros((1, 1, 1, 2))),
                               align_corners=False),
         r"grid of shape \(N, D_out, H_out, W_out, 3\) for 5-D input, got \(1, 1, 1, 2\)"),
        (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 2, 2))), Tensor(np.zeros((1, 1, 1, 1, 3))),
                               align_corners=False),
         r"grid of shape \(N, H_out, W_out, 2\), got \(1, 1, 1, 1, 3\)"),
        (lambda: F.grid_sample(Tensor(np.zeros((1, 1, 2, 2, 2, 2))),
                               Tensor(np.zeros((1, 1, 1, 1, 3))), align_corners=False),
         r"or 5-D input \(N, C, D_in, H_in, W_in\), got shape \(1, 1, 2, 2, 2, 2\)"),
    ],
)
def test_errors_3d(call, match):
    with pytest.raises(ValueError, match=match):
        call()
