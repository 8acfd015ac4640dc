"""F.interpolate's bicubic, trilinear and area modes and 5-D nearest input: values against
naive per-pixel loops written here from the documented rules (Keys' cubic convolution with
a = -0.75 and clamped border taps; linear interpolation along D, H and W; the mean over
adaptive windows), gradients by finite differences in float64, and errors."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn
from test_nn_upsample import ref_linear_taps, ref_nearest_source

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


# ----------------------------------------------------------------------------- references
def keys(s, a=-0.75):
    """Keys (1981) cubic convolution kernel W(s)."""
    s = abs(s)
    if s <= 1:
        return (a + 2) * s**3 - (a + 3) * s**2 + 1
    if s < 2:
        return a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a
    return 0.0


def ref_cubic_taps(d, n_in, n_out, scale, align_corners):
    """[(input index, weight)] of one output position: the 4 pixels around the source
    coordinate, indices clamped into the input."""
    if align_corners:
        src = d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else n_in / n_out
        src = (d + 0.5) * step - 0.5
    base = math.floor(src)
    return [(min(max(k, 0), n_in - 1), keys(src - k)) for k in range(base - 1, base + 3)]


def ref_bicubic(x, out_sizes, scales, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *out_sizes))
    for b in range(n):
        for ch in range(c):
            for oh in range(out_sizes[0]):
                rows = ref_cubic_taps(oh, h, out_sizes[0], scales[0], align_corners)
                for ow in range(out_sizes[1]):
                    cols = ref_cubic_taps(ow, w, out_sizes[1], scales[1], align_corners)
                    out[b, ch, oh, ow] = sum(wy * wx * x[b, ch, iy, ix]
                                             for iy, wy in rows for ix, wx in cols)
    return out


def ref_trilinear(x, out_sizes, scales, align_corners):
    n, c = x.shape[:2]
    out = np.zeros((n, c, *out_sizes))
    for b in range(n):
        for ch in range(c):
            for o in np.ndindex(*out_sizes):
                taps = []
                for axis in range(3):
                    i0, i1, l0, l1 = ref_linear_taps(o[axis], x.shape[2 + axis], out_sizes[axis],
                                                     scales[axis], align_corners)
                    taps.append([(i0, l0), (i1, l1)])
                out[(b, ch, *o)] = sum(wd * wh * ww * x[b, ch, d, h, w]
                                       for d, wd in taps[0] for h, wh in taps[1]
                                       for w, ww in taps[2])
    return out


def ref_area(x, out_sizes):
    """The mean over [floor(o * in / out), ceil((o + 1) * in / out)) along every axis."""
    n, c = x.shape[:2]
    out = np.zeros((n, c, *out_sizes))
    for b in range(n):
        for ch in range(c):
            for o in np.ndindex(*out_sizes):
                box = tuple(slice(k * s // m, -(-(k + 1) * s // m))
                            for k, s, m in zip(o, x.shape[2:], out_sizes))
                out[(b, ch, *o)] = x[(b, ch, *box)].mean()
    return out


def ref_nearest_volume(x, out_sizes, scales, exact):
    n, c = x.shape[:2]
    out = np.zeros((n, c, *out_sizes))
    for o in np.ndindex(*out_sizes):
        src = [ref_nearest_source(o[k], x.shape[2 + k], out_sizes[k], scales[k], exact, False)
               for k in range(3)]
        out[(slice(None), slice(None), *o)] = x[(slice(None), slice(None), *src)]
    return out


# (input spatial size, keyword arguments, the reference's output sizes and scales)
CASES_2D = [
    ((4, 5), dict(size=(8, 10)), (8, 10), (None, None)),
    ((5, 3), dict(size=(7, 2)), (7, 2), (None, None)),        # up in H, down in W
    ((7, 9), dict(size=3), (3, 3), (None, None)),             # downsampling, odd sizes
    ((5, 4), dict(scale_factor=1.7), (8, 6), (1.7, 1.7)),
    ((5, 4), dict(scale_factor=(0.6, 2.5)), (3, 10), (0.6, 2.5)),
    ((5, 4), dict(scale_factor=1.7, recompute_scale_factor=True), (8, 6), (None, None)),
    ((3, 3), dict(size=(1, 1)), (1, 1), (None, None)),
    ((2, 4), dict(scale_factor=(1.05, 2.05)), (2, 8), (1.05, 2.05)),   # scale kept on H
    ((1, 1), dict(size=(3, 2)), (3, 2), (None, None)),
]
CASES_3D = [
    ((3, 4, 5), dict(size=(5, 7, 4)), (5, 7, 4), (None, None, None)),
    ((3, 4, 5), dict(scale_factor=1.7), (5, 6, 8), (1.7, 1.7, 1.7)),
    ((2, 3, 5), dict(scale_factor=(1.05, 2.05, 0.6)), (2, 6, 3), (1.05, 2.05, 0.6)),
    ((3, 4, 5), dict(scale_factor=(1.3, 0.5, 2.2), recompute_scale_factor=True), (3, 2, 11),
     (None, None, None)),
    ((1, 2, 3), dict(size=(3, 1, 2)), (3, 1, 2), (None, None, None)),
]


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("spatial,kwargs,sizes,scales", CASES_2D)
def test_bicubic_matches_the_per_pixel_reference(spatial, kwargs, sizes, scales, corners):
    x = randn(2, 3, *spatial)
    out = F.interpolate(Tensor(x), mode="bicubic", align_corners=corners, **kwargs)
    np.testing.assert_allclose(out.data, ref_bicubic(x, sizes, scales, corners), atol=1e-12)


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("spatial,kwargs,sizes,scales", CASES_2D)
def test_bicubic_gradients_by_finite_differences(spatial, kwargs, sizes, scales, corners):
    check_grads(lambda t: F.interpolate(t, mode="bicubic", align_corners=corners, **kwargs),
                randn(1, 2, *spatial))  # fmt: skip


def test_bicubic_keeps_constants_and_overshoots_at_a_step():
    """The weights sum to 1 (clamped taps included); a = -0.75 rings at a step edge."""
    out = F.interpolate(Tensor(np.full((1, 1, 3, 4), 2.5)), size=(7, 9), mode="bicubic")
    np.testing.assert_allclose(out.data, 2.5, rtol=1e-14)
    step = np.zeros((1, 1, 1, 8))
    step[..., 4:] = 1.0
    out = F.interpolate(Tensor(step), size=(1, 32), mode="bicubic").data
    assert out.max() > 1.0 and out.min() < 0.0


def test_bicubic_float32_stays_float32():
    x = randn(1, 2, 5, 6).astype(np.float32)
    out = F.interpolate(Tensor(x), scale_factor=1.5, mode="bicubic")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, ref_bicubic(x.astype(np.float64), (7, 9), (1.5, 1.5),
                                                     False), atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("spatial,kwargs,sizes,scales", CASES_3D)
def test_trilinear_matches_the_per_pixel_reference(spatial, kwargs, sizes, scales, corners):
    x = randn(2, 2, *spatial)
    out = F.interpolate(Tensor(x), mode="trilinear", align_corners=corners, **kwargs)
    np.testing.assert_allclose(out.data, ref_trilinear(x, sizes, scales, corners), atol=1e-12)


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("spatial,kwargs", [case[:2] for case in CASES_3D])
def test_trilinear_gradients_by_finite_differences(spatial, kwargs, corners):
    check_grads(lambda t: F.interpolate(t, mode="trilinear", align_corners=corners, **kwargs),
                randn(1, 2, *spatial))  # fmt: skip


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("spatial,kwargs,sizes,scales", CASES_3D)
def test_nearest_on_volumes(spatial, kwargs, sizes, scales, mode):
    x = randn(2, 2, *spatial)
    out = F.interpolate(Tensor(x), mode=mode, **kwargs)
    np.testing.assert_array_equal(out.data, ref_nearest_volume(x, sizes, scales,
                                                               mode == "nearest-exact"))
    check_grads(lambda t: F.interpolate(t, mode=mode, **kwargs), randn(1, 1, *spatial))


AREA_CASES = [
    ((7,), dict(size=3), (3,)),
    ((5,), dict(scale_factor=2.5), (12,)),
    ((7, 9), dict(size=(3, 4)), (3, 4)),
    ((5, 4), dict(scale_factor=(0.6, 2.5)), (3, 10)),
    ((6, 5), dict(size=(6, 5)), (6, 5)),
    ((5, 4, 7), dict(size=(2, 3, 3)), (2, 3, 3)),
    ((3, 4, 5), dict(scale_factor=(1.7, 0.5, 1.0)), (5, 2, 5)),
]


@pytest.mark.parametrize("spatial,kwargs,sizes", AREA_CASES)
def test_area_is_the_mean_over_adaptive_windows(spatial, kwargs, sizes):
    x = randn(2, 3, *spatial)
    out = F.interpolate(Tensor(x), mode="area", **kwargs)
    assert out.shape == (2, 3, *sizes)
    np.testing.assert_allclose(out.data, ref_area(x, sizes), atol=1e-12)
    check_grads(lambda t: F.interpolate(t, mode="area", **kwargs), randn(1, 2, *spatial))


def test_upsample_module_with_the_new_modes():
    x = randn(1, 2, 3, 4)
    out = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)(Tensor(x))
    np.testing.assert_allclose(out.data, ref_bicubic(x, (6, 8), (2.0, 2.0), True), atol=1e-12)
    v = randn(1, 1, 2, 3, 4)
    out = nn.Upsample(size=(3, 4, 5), mode="trilinear")(Tensor(v))
    np.testing.assert_allclose(out.data, ref_trilinear(v, (3, 4, 5), (None,) * 3, False),
                               atol=1e-12)  # fmt: skip
    out = nn.Upsample(size=2, mode="area")(Tensor(x))
    np.testing.assert_allclose(out.data, ref_area(x, (2, 2)), atol=1e-12)


def ref_antialias_taps(d, n_in, n_out, scale, align_corners, mode):
    """[(input index, weight)] of one output position with antialias=True: the filter
    (triangle, or Keys' cubic with a = -0.5) widened by the downscaling factor s = max(step,
    1), over the inputs whose centres lie within its support around the output's centre,
    normalised to sum 1."""
    if align_corners:
        step = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else n_in / n_out
    s = max(step, 1.0)
    support = (1.0 if mode == "bilinear" else 2.0) * s
    centre = step * (d + 0.5)
    taps = []
    for j in range(n_in):
        if int(centre - support + 0.5) <= j < int(centre + support + 0.5):
            u = (j + 0.5 - centre) / s
            taps.append((j, max(1 - abs(u), 0.0) if mode == "bilinear" else keys(u, a=-0.5)))
    total = sum(w for _, w in taps)
    return [(j, w / total) for j, w in taps]


def ref_antialias(x, out_sizes, scales, align_corners, mode):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *out_sizes))
    for oh in range(out_sizes[0]):
        rows = ([(oh, 1.0)] if out_sizes[0] == h else
                ref_antialias_taps(oh, h, out_sizes[0], scales[0], align_corners, mode))
        for ow in range(out_sizes[1]):
            cols = ([(ow, 1.0)] if out_sizes[1] == w else
                    ref_antialias_taps(ow, w, out_sizes[1], scales[1], align_corners, mode))
            out[:, :, oh, ow] = sum(wy * wx * x[:, :, iy, ix] for iy, wy in rows
                                    for ix, wx in cols)
    return out


AA_CASES = [
    ((6, 7), dict(size=3), (3, 3), (None, None)),
    ((13, 11), dict(size=(4, 5)), (4, 5), (None, None)),
    ((9, 8), dict(scale_factor=(0.3, 0.45)), (2, 3), (0.3, 0.45)),
    ((9, 8), dict(scale_factor=0.35, recompute_scale_factor=True), (3, 2), (None, None)),
    ((4, 5), dict(size=(7, 3)), (7, 3), (None, None)),      # up in H, down in W
    ((3, 3), dict(size=(1, 1)), (1, 1), (None, None)),
    ((2, 9), dict(scale_factor=(1.05, 0.5)), (2, 4), (1.05, 0.5)),  # unchanged H: copied
]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("spatial,kwargs,sizes,scales", AA_CASES)
def test_antialias_matches_the_per_pixel_reference(spatial, kwargs, sizes, scales, corners,
                                                   mode):
    x = randn(2, 2, *spatial)
    out = F.interpolate(Tensor(x), mode=mode, align_corners=corners, antialias=True, **kwargs)
    np.testing.assert_allclose(out.data, ref_antialias(x, sizes, scales, corners, mode),
                               atol=1e-12)  # fmt: skip
    check_grads(lambda t: F.interpolate(t, mode=mode, align_corners=corners, antialias=True,
                                        **kwargs), randn(1, 1, *spatial))  # fmt: skip


def test_antialias_ignores_a_nan_outside_the_filter():
    """A NaN pixel reaches only the outputs whose filter covers it; the padding taps of
    the others (weight 0) must not turn 0 * NaN into NaN."""
    x = randn(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    x[0, 0, 3, 0] = np.inf
    for mode in ("bilinear", "bicubic"):
        out = F.interpolate(Tensor(x), size=(7, 3), mode=mode, antialias=True).data
        want = ref_antialias(x, (7, 3), (None, None), False, mode)
        if mode == "bilinear":  # the first row's triangle misses both
            assert np.isfinite(want[0, 0, 0]).all()
        np.testing.assert_allclose(out, want, atol=1e-12)


def test_antialias_averages_a_checkerboard_away():
    """Without antialias, a 5x downscale samples single pixels of the board (0 or 1); with
    it, each output averages ~10 x 10 pixels, so stays within 0.01 of the mean 0.5."""
    board = np.indices((15, 15)).sum(axis=0)[None, None] % 2 * 1.0
    sharp = F.interpolate(Tensor(board), size=3, mode="bilinear").data
    np.testing.assert_array_equal(sharp, board[..., 2::5, 2::5])
    smooth = F.interpolate(Tensor(board), size=3, mode="bilinear", antialias=True).data
    np.testing.assert_allclose(smooth, 0.5, atol=0.01)


X3, X4, X5 = Tensor(randn(1, 2, 5)), Tensor(randn(1, 2, 4, 5)), Tensor(randn(1, 2, 3, 4, 5))
ERRORS = [
    (ValueError, "got 3-D input, but bicubic mode needs 4-D", lambda: F.interpolate(
        X3, 3, mode="bicubic")),
    (ValueError, "got 5-D input, but bicubic mode needs 4-D", lambda: F.interpolate(
        X5, 3, mode="bicubic")),
    (ValueError, "got 4-D input, but trilinear mode needs 5-D", lambda: F.interpolate(
        X4, 3, mode="trilinear")),
    (ValueError, "align_corners option can only be set with the interpolating modes: "
     "linear | bilinear | bicubic | trilinear", lambda: F.interpolate(
         X4, 3, mode="area", align_corners=False)),
    (ValueError, "anti-alias option is restricted to bilinear and bicubic modes",
     lambda: F.interpolate(X5, 3, mode="trilinear", antialias=True)),
    (ValueError, "got 3-D input, but bilinear mode needs 4-D", lambda: F.interpolate(
        X3, 3, mode="bilinear", antialias=True)),
    (ValueError, r"or 5-D \(N, C, D, H, W\) input, got 6-D", lambda: F.interpolate(
        Tensor(np.zeros((1, 1, 2, 2, 2, 2))), 3)),
    (ValueError, r"spatial dimensions of \[3, 4, 5\] and output size \(3, 4\)",
     lambda: F.interpolate(X5, (3, 4), mode="trilinear")),
    (ValueError, "Upsample: align_corners option", lambda: nn.Upsample(
        3, mode="area", align_corners=True)),
]


@pytest.mark.parametrize("error,message,call", ERRORS)
def test_bad_arguments(error, message, call):
    with pytest.raises(error, match=message):
        call()
