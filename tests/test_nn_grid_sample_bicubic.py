"""F.grid_sample(mode='bicubic'): against a naive per-point loop written here from the
documented rule (Keys' cubic convolution, a = -0.75, over the 4 x 4 pixels around the
unpadded position; the padding rule maps each pixel index), float64 finite differences for
input and grid, closed forms (constants, the identity grid) and non-finite coordinates."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads
from test_nn_grid_sample import fold_into
from test_nn_upsample_modes import keys

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor

PADDINGS = ("zeros", "border", "reflection")


def tap_index(k, size, padding_mode, align_corners):
    """The pixel a tap at integer index k reads, or None (outside, 'zeros')."""
    if padding_mode == "zeros":
        return k if 0 <= k < size else None
    if padding_mode == "reflection":
        k = fold_into(k, 0, size - 1) if align_corners else fold_into(k, -0.5, size - 0.5)
    return int(min(max(k, 0), size - 1))


def naive_bicubic(x, grid, padding_mode, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *grid.shape[1:3]))
    for b in range(n):
        for i, j in np.ndindex(*grid.shape[1:3]):
            gx, gy = grid[b, i, j]
            if align_corners:
                px, py = (gx + 1) / 2 * (w - 1), (gy + 1) / 2 * (h - 1)
            else:
                px, py = ((gx + 1) * w - 1) / 2, ((gy + 1) * h - 1) / 2
            x0, y0 = math.floor(px), math.floor(py)
            for ky in range(y0 - 1, y0 + 3):
                yy = tap_index(ky, h, padding_mode, align_corners)
                for kx in range(x0 - 1, x0 + 3):
                    xx = tap_index(kx, w, padding_mode, align_corners)
                    if yy is not None and xx is not None:
                        out[b, :, i, j] += keys(py - ky) * keys(px - kx) * x[b, :, yy, xx]
    return out


def random_case(h, w, seed=0, spread=1.6):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3, h, w)), rng.uniform(-spread, spread, (2, 4, 5, 2))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("h,w", [(5, 7), (1, 4), (3, 1), (2, 2)])
def test_bicubic_matches_naive_loop(h, w, padding_mode, align_corners):
    x, grid = random_case(h, w, spread=2.6)
    grid[0, 0, 0] = [1e6, -3e5]  # far outside: whole periods of reflection, or no pixel
    out = F.grid_sample(Tensor(x), Tensor(grid), mode="bicubic", padding_mode=padding_mode,
                        align_corners=align_corners)  # fmt: skip
    np.testing.assert_allclose(out.data, naive_bicubic(x, grid, padding_mode, align_corners),
                               atol=1e-9)  # fmt: skip


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_bicubic_grads_by_finite_differences(padding_mode, align_corners):
    x, grid = random_case(4, 5, seed=3)
    check_grads(lambda a, g: F.grid_sample(a, g, mode="bicubic", padding_mode=padding_mode,
                                           align_corners=align_corners), x[:1, :2], grid[:1])


@pytest.mark.parametrize("padding_mode", ["border", "reflection"])
def test_bicubic_keeps_constants_and_reproduces_through_the_identity(padding_mode):
    x, grid = random_case(4, 6, seed=5, spread=3.0)
    out = F.grid_sample(Tensor(np.full_like(x, -1.25)), Tensor(grid), mode="bicubic",
                        padding_mode=padding_mode, align_corners=False)  # fmt: skip
    np.testing.assert_allclose(out.data, -1.25, rtol=1e-13)
    for corners in (False, True):
        theta = Tensor(np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2, 1, 1)))
        identity = F.affine_grid(theta, x.shape, align_corners=corners)
        out = F.grid_sample(Tensor(x), identity, mode="bicubic", padding_mode=padding_mode,
                            align_corners=corners)  # fmt: skip
        np.testing.assert_allclose(out.data, x, atol=1e-12)


def test_bicubic_only_the_inputs_that_ask_get_gradients():
    x, grid = random_case(3, 4)
    a, g = Tensor(x, requires_grad=True), Tensor(grid)
    F.grid_sample(a, g, mode="bicubic", align_corners=True).sum().backward()
    assert a.grad is not None and g.grad is None
    a, g = Tensor(x), Tensor(grid.astype(np.float32), requires_grad=True)
    F.grid_sample(a, g, mode="bicubic", align_corners=True).sum().backward()
    assert a.grad is None and g.grad.dtype == np.float32 and np.isfinite(g.grad).all()


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_bicubic_non_finite_coordinates_give_nan(padding_mode):
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    grid = np.array([[[[np.nan, 0.0], [np.inf, 0.0], [0.1, -np.inf], [0.0, 0.0]]]])
    out = F.grid_sample(Tensor(x), Tensor(grid), mode="bicubic", padding_mode=padding_mode,
                        align_corners=False).data.ravel()  # fmt: skip
    assert np.isnan(out[:3]).all()
    np.testing.assert_allclose(out[3], naive_bicubic(x, grid[:, :, 3:], padding_mode,
                                                     False).item())  # fmt: skip
