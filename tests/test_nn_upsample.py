"""F.interpolate / nn.Upsample and pixel (un)shuffle: values against naive per-pixel loops
written from the documented coordinate rules and against closed forms (linear interpolation
reproduces linear and bilinear functions), gradients by finite differences in float64, and
the errors for bad arguments."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


# ----------------------------------------------------------------------------- references
def ref_nearest_source(d, n_in, n_out, scale, exact, plane):
    """PyTorch's nearest rule for one output position, in float32 arithmetic; `plane`:
    4-D input, whose forward copies an equal-size axis and halves a doubled one."""
    if plane and not exact and n_out == n_in:
        return d
    if plane and not exact and n_out == 2 * n_in:
        return d // 2
    step = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
    position = np.float32(d) + np.float32(0.5) if exact else np.float32(d)
    return min(int(math.floor(np.float32(position * step))), n_in - 1)


def ref_linear_taps(d, n_in, n_out, scale, align_corners):
    """(i0, i1, w0, w1) of one output position, in float64; an unchanged axis is copied."""
    if n_in == n_out:
        return d, d, 1.0, 0.0
    if align_corners:
        src = d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else n_in / n_out
        src = max((d + 0.5) * step - 0.5, 0.0)
    i0 = min(int(math.floor(src)), n_in - 1)
    i1 = min(i0 + 1, n_in - 1)
    w1 = min(max(src - i0, 0.0), 1.0)
    return i0, i1, 1.0 - w1, w1


def ref_interpolate(x, out_sizes, scales, mode, align_corners=False):
    """Naive loops over every output pixel of (N, C, W) or (N, C, H, W) input."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    if x.ndim == 3:
        spatial, out_sizes, scales = (1, *spatial), (1, *out_sizes), (None, *scales)
    x4 = x.reshape(n, c, *spatial)
    out = np.zeros((n, c, *out_sizes), dtype=np.float64)
    plane = x.ndim == 4
    for b in range(n):
        for ch in range(c):
            for oh in range(out_sizes[0]):
                for ow in range(out_sizes[1]):
                    if mode in ("nearest", "nearest-exact"):
                        exact = mode == "nearest-exact"
                        ih = ref_nearest_source(oh, spatial[0], out_sizes[0], scales[0], exact,
                                                plane)
                        iw = ref_nearest_source(ow, spatial[1], out_sizes[1], scales[1], exact,
                                                plane)
                        out[b, ch, oh, ow] = x4[b, ch, ih, iw]
                        continue
                    h0, h1, hl0, hl1 = ref_linear_taps(oh, spatial[0], out_sizes[0], scales[0],
                                                       align_corners)
                    w0, w1, wl0, wl1 = ref_linear_taps(ow, spatial[1], out_sizes[1], scales[1],
                                                       align_corners)
                    p = x4[b, ch]
                    out[b, ch, oh, ow] = (hl0 * (wl0 * p[h0, w0] + wl1 * p[h0, w1])
                                          + hl1 * (wl0 * p[h1, w0] + wl1 * p[h1, w1]))
    return out.reshape(n, c, *out_sizes[2 - (x.ndim - 2):])


# (input spatial size, keyword arguments, the reference's output sizes and scales)
CASES_2D = [
    ((4, 5), dict(size=(8, 10)), (8, 10), (None, None)),
    ((4, 5), dict(size=(7, 3)), (7, 3), (None, None)),        # up in H, down in W
    ((6, 7), dict(size=3), (3, 3), (None, None)),             # downsampling
    ((5, 4), dict(scale_factor=1.7), (8, 6), (1.7, 1.7)),
    ((5, 4), dict(scale_factor=(0.6, 2.5)), (3, 10), (0.6, 2.5)),
    ((5, 4), dict(scale_factor=1.7, recompute_scale_factor=True), (8, 6), (None, None)),
    ((3, 3), dict(size=(1, 1)), (1, 1), (None, None)),
    ((2, 4), dict(scale_factor=(1.05, 2.05)), (2, 8), (1.05, 2.05)),   # unchanged / doubled
    ((1, 1), dict(size=(3, 2)), (3, 2), (None, None)),
]
CASES_1D = [
    ((5,), dict(size=9), (9,), (None,)),
    ((9,), dict(size=4), (4,), (None,)),
    ((5,), dict(scale_factor=2.3), (11,), (2.3,)),
    ((7,), dict(scale_factor=(0.45,)), (3,), (0.45,)),
    ((5,), dict(scale_factor=2.3, recompute_scale_factor=True), (11,), (None,)),
    ((8,), dict(scale_factor=1.05), (8,), (1.05,)),
    ((4,), dict(scale_factor=2.05), (8,), (2.05,)),
]


def all_cases():
    for spatial, kwargs, sizes, scales in CASES_2D:
        for mode, corners in (("nearest", None), ("nearest-exact", None), ("bilinear", False),
                              ("bilinear", True)):
            yield spatial, kwargs, sizes, scales, mode, corners
    for spatial, kwargs, sizes, scales in CASES_1D:
        for mode, corners in (("nearest", None), ("nearest-exact", None), ("linear", False),
                              ("linear", True)):
            yield spatial, kwargs, sizes, scales, mode, corners


@pytest.mark.parametrize("spatial,kwargs,sizes,scales,mode,corners", list(all_cases()))
def test_interpolate_matches_the_per_pixel_reference(spatial, kwargs, sizes, scales, mode,
                                                     corners):
    x = randn(2, 3, *spatial)
    out = F.interpolate(Tensor(x), mode=mode, align_corners=corners, **kwargs)
    expected = ref_interpolate(x, sizes, scales, mode, bool(corners))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("spatial,kwargs,sizes,scales,mode,corners",
                         [c for c in all_cases() if c[0] != (1, 1)][::3])
def test_interpolate_gradients_by_finite_differences(spatial, kwargs, sizes, scales, mode,
                                                     corners):
    check_grads(lambda t: F.interpolate(t, mode=mode, align_corners=corners, **kwargs),
                randn(2, 2, *spatial))


@pytest.mark.parametrize("mode,corners", [("nearest", None), ("nearest-exact", None),
                                          ("bilinear", False), ("bilinear", True)])
def test_interpolate_backward_is_the_adjoint_on_larger_planes(mode, corners):
    # <f(x), g> = <x, f^T(g)> for the linear map f: checks every scattered contribution
    x, g = randn(3, 4, 13, 17), randn(3, 4, 30, 9, seed=2)
    t = Tensor(x, requires_grad=True)
    F.interpolate(t, size=(30, 9), mode=mode, align_corners=corners).backward(g)
    out = F.interpolate(Tensor(x), size=(30, 9), mode=mode, align_corners=corners).data
    np.testing.assert_allclose(np.sum(out * g), np.sum(x * t.grad), rtol=1e-12)


def test_linear_modes_reproduce_linear_functions():
    # interpolating samples of a + b*i gives a + b*src exactly, src clamped to [0, in - 1]
    x = (2.0 + 0.5 * np.arange(6.0)).reshape(1, 1, 6)
    d = np.arange(15.0)
    out = F.interpolate(Tensor(x), size=15, mode="linear").data.ravel()
    np.testing.assert_allclose(out, 2.0 + 0.5 * np.clip((d + 0.5) * 6 / 15 - 0.5, 0, 5),
                               rtol=1e-14)
    out = F.interpolate(Tensor(x), size=15, mode="linear", align_corners=True).data.ravel()
    np.testing.assert_allclose(out, 2.0 + 0.5 * np.linspace(0, 5, 15), rtol=1e-14)
    # and bilinear reproduces a + b*h + c*w + e*h*w at the corner-aligned source points
    h, w = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    plane = (1.0 + 2 * h - 3 * w + 0.5 * h * w)[None, None]
    hs, ws = np.meshgrid(np.linspace(0, 3, 7), np.linspace(0, 4, 9), indexing="ij")
    out = F.interpolate(Tensor(plane), size=(7, 9), mode="bilinear", align_corners=True).data
    np.testing.assert_allclose(out[0, 0], 1.0 + 2 * hs - 3 * ws + 0.5 * hs * ws, rtol=1e-13)


def test_nearest_rules_and_the_size_versus_scale_factor_difference():
    x = np.arange(3.0).reshape(1, 1, 3)
    # PyTorch's nearest floors d * in / out, not the centred nearest-exact rule
    assert F.interpolate(Tensor(x), size=5).data.ravel().tolist() == [0, 0, 1, 1, 2]
    assert F.interpolate(Tensor(x), size=5, mode="nearest-exact").data.ravel().tolist() == [
        0, 0, 1, 2, 2]
    # the same output size from a scale_factor uses 1 / scale_factor, not in / out
    x = np.arange(5.0).reshape(1, 1, 5)
    by_size = F.interpolate(Tensor(x), size=8, mode="linear").data.ravel()
    by_scale = F.interpolate(Tensor(x), scale_factor=1.7, mode="linear").data.ravel()
    np.testing.assert_allclose(by_size, np.clip((np.arange(8) + 0.5) * 5 / 8 - 0.5, 0, 4))
    np.testing.assert_allclose(by_scale, np.clip((np.arange(8) + 0.5) / 1.7 - 0.5, 0, 4))
    assert not np.allclose(by_size, by_scale)
    # 1.05 keeps two inputs at two outputs: 3-D nearest still floors d / 1.05, 4-D copies
    two = np.array([[[5.0, 7.0]]])
    assert F.interpolate(Tensor(two), scale_factor=1.05).data.ravel().tolist() == [5, 5]
    assert F.interpolate(Tensor(two[None]), scale_factor=1.05).data.ravel().tolist() == [5, 7]
    assert F.interpolate(Tensor(two), scale_factor=1.05, mode="linear").data.ravel().tolist() == [
        5, 7]


def test_nearest_index_uses_float32_arithmetic():
    # 14 -> 46: float32(14 / 46) * d floors differently from the exact d * 14 // 46 somewhere
    d = np.arange(46)
    exact = d * 14 // 46
    expected = np.array([ref_nearest_source(k, 14, 46, None, False, True) for k in d])
    assert (expected != exact).any()
    x = np.arange(14.0).reshape(1, 1, 14)
    np.testing.assert_array_equal(F.interpolate(Tensor(x), size=46).data.ravel(), expected)


def test_float32_in_float32_out_and_non_contiguous_input():
    x = randn(2, 3, 5, 4).astype(np.float32)
    for mode in ("nearest", "bilinear"):
        view = Tensor(x.transpose(0, 1, 3, 2), requires_grad=True)
        out = F.interpolate(view, size=(7, 3), mode=mode)
        assert out.data.dtype == np.float32
        np.testing.assert_allclose(out.data, ref_interpolate(x.transpose(0, 1, 3, 2).astype(
            np.float64), (7, 3), (None, None), mode), rtol=1e-5, atol=1e-6)
        out.backward(np.ones(out.shape, dtype=np.float32))
        assert view.grad.dtype == np.float32 and view.grad.shape == view.shape


def test_infinities_are_copied_not_turned_into_nan():
    x = np.array([[[1.0, np.inf, -np.inf]]])
    assert F.interpolate(Tensor(x), size=6).data.ravel().tolist() == [
        1, 1, np.inf, np.inf, -np.inf, -np.inf]
    out = F.interpolate(Tensor(x[None]), size=(1, 3), mode="bilinear").data.ravel()
    assert out.tolist() == [1, np.inf, -np.inf]  # unchanged size: copied
    t = Tensor(x, requires_grad=True)
    F.interpolate(t, size=6).backward(np.full((1, 1, 6), np.inf))
    assert t.grad.ravel().tolist() == [np.inf] * 3


def test_empty_batch():
    out = F.interpolate(Tensor(np.zeros((0, 2, 3, 3))), scale_factor=2, mode="bilinear")
    assert out.shape == (0, 2, 6, 6)


def test_upsample_modules():
    x = randn(2, 3, 4, 5)
    layer = nn.Upsample(scale_factor=2)
    assert layer.scale_factor == 2.0 and isinstance(layer.scale_factor, float)
    assert repr(layer) == "Upsample(scale_factor=2.0, mode='nearest')"
    np.testing.assert_array_equal(layer(Tensor(x)).data, np.repeat(np.repeat(x, 2, 2), 2, 3))
    layer = nn.Upsample(size=(6, 7), mode="bilinear", align_corners=True)
    assert repr(layer) == "Upsample(size=(6, 7), mode='bilinear')"
    np.testing.assert_allclose(layer(Tensor(x)).data,
                               ref_interpolate(x, (6, 7), (None, None), "bilinear", True))
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    assert list(layer.state_dict()) == [] and list(layer.parameters()) == []
    bilinear = nn.UpsamplingBilinear2d(scale_factor=1.5)
    assert repr(bilinear) == "UpsamplingBilinear2d(scale_factor=1.5, mode='bilinear')"
    assert bilinear.align_corners is True
    np.testing.assert_allclose(bilinear(Tensor(x)).data,
                               ref_interpolate(x, (6, 7), (1.5, 1.5), "bilinear", True))
    nearest = nn.UpsamplingNearest2d(size=(3, 8))
    assert repr(nearest) == "UpsamplingNearest2d(size=(3, 8), mode='nearest')"
    np.testing.assert_array_equal(nearest(Tensor(x)).data,
                                  ref_interpolate(x, (3, 8), (None, None), "nearest"))
    t = Tensor(x, requires_grad=True)
    nn.Upsample(scale_factor=2)(t).sum().backward()
    np.testing.assert_array_equal(t.grad, np.full(x.shape, 4.0))


X3, X4 = Tensor(randn(2, 3, 5)), Tensor(randn(2, 3, 5, 6))
INTERPOLATE_ERRORS = [
    (ValueError, "only one of size or scale_factor", lambda: F.interpolate(X4, 3, 2)),
    (ValueError, "either size or scale_factor", lambda: F.interpolate(X4)),
    (ValueError, "got 4-D input, but linear mode needs 3-D", lambda: F.interpolate(
        X4, 3, mode="linear")),
    (ValueError, "got 3-D input, but bilinear mode needs 4-D", lambda: F.interpolate(
        X3, 3, mode="bilinear")),
    (ValueError, "align_corners option can only be set with the interpolating modes",
     lambda: F.interpolate(X4, 3, align_corners=False)),
    (ValueError, "align_corners.*mode='nearest-exact'", lambda: F.interpolate(
        X4, 3, mode="nearest-exact", align_corners=True)),
    (ValueError, "unsupported mode 'cubic'", lambda: F.interpolate(X4, 3, mode="cubic")),
    (ValueError, "unsupported mode 'lanczos' \\(PyTorch has it", lambda: F.interpolate(
        X4, 3, mode="lanczos")),
    (ValueError, r"expected 3-D \(N, C, W\), 4-D \(N, C, H, W\) or 5-D \(N, C, D, H, W\) "
     r"input, got 2-D", lambda: F.interpolate(Tensor(randn(2, 3)), 3)),
    (ValueError, r"spatial dimensions of \[5, 6\] and output size \(3, 4, 5\)",
     lambda: F.interpolate(X4, (3, 4, 5))),
    (ValueError, r"spatial dimensions of \[5\] and scale_factor \(2.0, 2.0\)",
     lambda: F.interpolate(X3, scale_factor=(2.0, 2.0))),
    (ValueError, r"output sizes must be >= 1, got size=\(3, 0\)", lambda: F.interpolate(
        X4, (3, 0))),
    (ValueError, r"gives output size \(0, 0\) for input of spatial size \(5, 6\)",
     lambda: F.interpolate(X4, scale_factor=0.1)),
    (ValueError, "scale_factor must be finite and > 0, got scale_factor=-2",
     lambda: F.interpolate(X4, scale_factor=-2)),
    (ValueError, "scale_factor must be finite and > 0, got scale_factor=inf",
     lambda: F.interpolate(X4, scale_factor=float("inf"))),
    (ValueError, "recompute_scale_factor is not meaningful with an explicit size",
     lambda: F.interpolate(X4, 3, recompute_scale_factor=True)),
    (ValueError, "anti-alias option is restricted to bilinear and bicubic", lambda: F.interpolate(
        X4, 3, mode="nearest", antialias=True)),
    (ValueError, r"non-empty C and spatial sizes, got input of shape \(2, 3, 0, 6\)",
     lambda: F.interpolate(Tensor(np.zeros((2, 3, 0, 6))), 3)),
    (TypeError, r"size must be an int or a sequence of ints, got \(3, 4.0\)",
     lambda: F.interpolate(X4, (3, 4.0))),
    (TypeError, "size must be an int or a sequence of ints, got True",
     lambda: F.interpolate(X4, True)),
    (TypeError, "scale_factor must be a number or a sequence of numbers, got '2'",
     lambda: F.interpolate(X4, scale_factor="2")),
    (TypeError, "align_corners must be None or a bool, got 1", lambda: F.interpolate(
        X4, 3, mode="bilinear", align_corners=1)),
    (TypeError, "expected a floating-point input", lambda: F.interpolate(
        Tensor(np.zeros((1, 1, 3), dtype=np.int64)), 3)),
    (ValueError, "Upsample: only one of size or scale_factor", lambda: nn.Upsample(3, 2)),
    (ValueError, "Upsample: either size or scale_factor", lambda: nn.Upsample()),
    (ValueError, "Upsample: align_corners option", lambda: nn.Upsample(3, align_corners=True)),
    (ValueError, "Upsample: unsupported mode 'bicubicc'", lambda: nn.Upsample(
        3, mode="bicubicc")),
]


@pytest.mark.parametrize("error,message,call", INTERPOLATE_ERRORS)
def test_interpolate_bad_arguments(error, message, call):
    with pytest.raises(error, match=message):
        call()


def test_upsample_checks_the_rank_at_forward():
    with pytest.raises(ValueError, match="got 4-D input, but linear mode needs 3-D"):
        nn.Upsample(scale_factor=2, mode="linear")(X4)


# ----------------------------------------------------------------------------- pixel shuffle
def ref_pixel_shuffle(x, r):
    """out[..., c, h * r + i, w * r + j] = x[..., c * r * r + i * r + j, h, w], by loops."""
    *batch, channels, height, width = x.shape
    flat = x.reshape(-1, channels, height, width)
    out = np.zeros((flat.shape[0], channels // (r * r), height * r, width * r), dtype=x.dtype)
    for b in range(flat.shape[0]):
        for c in range(channels // (r * r)):
            for h in range(height):
                for w in range(width):
                    for i in range(r):
                        for j in range(r):
                            out[b, c, h * r + i, w * r + j] = flat[b, c * r * r + i * r + j, h, w]
    return out.reshape(*batch, channels // (r * r), height * r, width * r)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((1, 18, 2, 3), 3), ((12, 2, 2), 2),
                                     ((2, 3, 4, 2, 3), 2), ((2, 3, 2, 2), 1)])
def test_pixel_shuffle_matches_the_index_loop_and_round_trips(shape, r):
    x = randn(*shape)
    out = F.pixel_shuffle(Tensor(x), r)
    expected = ref_pixel_shuffle(x, r)
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(nn.PixelShuffle(r)(Tensor(x)).data, expected)
    np.testing.assert_array_equal(F.pixel_unshuffle(out, r).data, x)
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(Tensor(expected)).data, x)
    check_grads(lambda t: F.pixel_shuffle(t, r), x)
    check_grads(lambda t: F.pixel_unshuffle(t, r), expected)


def test_pixel_unshuffle_inverts_shuffle_and_keeps_integer_dtypes():
    y = np.arange(2 * 3 * 6 * 4).reshape(2, 3, 6, 4)
    down = F.pixel_unshuffle(Tensor(y), 2)
    assert down.shape == (2, 12, 3, 2) and down.data.dtype == y.dtype
    np.testing.assert_array_equal(ref_pixel_shuffle(down.data, 2), y)
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"


PIXEL_ERRORS = [
    (ValueError, r"at least 3 dimensions \(\*, C, H, W\), but got input of shape \(5, 4\)",
     lambda: F.pixel_shuffle(Tensor(randn(5, 4)), 2)),
    (ValueError, "input.size\\(-3\\)=5 is not divisible by 4",
     lambda: F.pixel_shuffle(Tensor(randn(2, 5, 4, 4)), 2)),
    (ValueError, "expects a positive upscale_factor, but got 0",
     lambda: F.pixel_shuffle(Tensor(randn(2, 8, 4, 4)), 0)),
    (TypeError, "upscale_factor must be an int, got 2.0",
     lambda: F.pixel_shuffle(Tensor(randn(2, 8, 4, 4)), 2.0)),
    (ValueError, "expects width to be divisible by downscale_factor, but input.size\\(-1\\)=5",
     lambda: F.pixel_unshuffle(Tensor(randn(2, 8, 4, 5)), 2)),
    (ValueError, "expects height to be divisible by downscale_factor, but input.size\\(-2\\)=5",
     lambda: F.pixel_unshuffle(Tensor(randn(2, 8, 5, 4)), 2)),
    (ValueError, "PixelShuffle: expects a positive upscale_factor, but got -1",
     lambda: nn.PixelShuffle(-1)),
    (TypeError, "PixelUnshuffle: downscale_factor must be an int, got True",
     lambda: nn.PixelUnshuffle(True)),
    (TypeError, "expected a Tensor input, got ndarray",
     lambda: F.pixel_shuffle(randn(2, 8, 4, 4), 2)),
]


@pytest.mark.parametrize("error,message,call", PIXEL_ERRORS)
def test_pixel_shuffle_bad_arguments(error, message, call):
    with pytest.raises(error, match=message):
        call()


def test_new_names_are_exported():
    for name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
                 "PixelUnshuffle"):
        assert name in nn.__all__ and hasattr(nn, name)
    for name in ("interpolate", "pixel_shuffle", "pixel_unshuffle"):
        assert name in F.__all__ and hasattr(F, name)
