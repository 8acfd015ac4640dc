"""F.unfold / nn.Unfold and F.fold / nn.Fold: against naive loops over torch's
(N, C * KH * KW, L) layout, the overlap count, the adjoint identity, float64 finite
differences and the error messages."""

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn

# (kernel_size, dilation, padding, stride)
GEOMETRIES = [
    (2, 1, 0, 1),
    (3, 1, 1, 2),
    ((2, 3), (2, 1), (1, 0), (1, 2)),
    (1, 1, 0, 1),
    ((3, 1), 1, (0, 2), (2, 1)),
]


def two(v):
    return (v, v) if isinstance(v, int) else v


def blocks(size, k, d, p, s):
    return [(size[a] + 2 * p[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(2)]


def naive_unfold(x, kernel_size, dilation, padding, stride):
    n, c, h, w = x.shape
    k, d, p, s = map(two, (kernel_size, dilation, padding, stride))
    oh, ow = blocks((h, w), k, d, p, s)
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for b in range(n):
        for ch in range(c):
            for i in range(k[0]):
                for j in range(k[1]):
                    row = ch * k[0] * k[1] + i * k[1] + j
                    for y in range(oh):
                        for z in range(ow):
                            r, q = y * s[0] - p[0] + i * d[0], z * s[1] - p[1] + j * d[1]
                            if 0 <= r < h and 0 <= q < w:
                                out[b, row, y * ow + z] = x[b, ch, r, q]
    return out


def naive_overlap_count(size, kernel_size, dilation, padding, stride):
    """How many (block, tap) pairs read each pixel."""
    k, d, p, s = map(two, (kernel_size, dilation, padding, stride))
    oh, ow = blocks(size, k, d, p, s)
    count = np.zeros(size)
    for y in range(oh):
        for z in range(ow):
            for i in range(k[0]):
                for j in range(k[1]):
                    r, q = y * s[0] - p[0] + i * d[0], z * s[1] - p[1] + j * d[1]
                    if 0 <= r < size[0] and 0 <= q < size[1]:
                        count[r, q] += 1
    return count


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_unfold_matches_naive_loop(geometry):
    x = randn(2, 3, 6, 7)
    out = F.unfold(Tensor(x), *geometry)
    np.testing.assert_array_equal(out.data, naive_unfold(x, *geometry))
    unbatched = F.unfold(Tensor(x[1]), *geometry)
    np.testing.assert_array_equal(unbatched.data, naive_unfold(x, *geometry)[1])


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_fold_of_unfold_is_x_times_the_overlap_count(geometry):
    x = randn(2, 3, 6, 7)
    cols = F.unfold(Tensor(x), *geometry)
    back = F.fold(cols, (6, 7), *geometry)
    np.testing.assert_allclose(back.data, x * naive_overlap_count((6, 7), *geometry),
                               rtol=1e-12, atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_unfold_and_fold_are_adjoint(geometry):
    x = randn(2, 3, 6, 7)
    y = randn(*naive_unfold(x, *geometry).shape, seed=2)
    lhs = np.sum(F.unfold(Tensor(x), *geometry).data * y)
    rhs = np.sum(x * F.fold(Tensor(y), (6, 7), *geometry).data)
    assert abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs))
    assert abs(lhs) > 1e-3  # not trivially 0 = 0


@pytest.mark.parametrize("geometry", GEOMETRIES[:3])
def test_unfold_and_fold_grads_by_finite_differences(geometry):
    check_grads(lambda x: F.unfold(x, *geometry), randn(2, 2, 5, 6))
    cols = naive_unfold(randn(2, 2, 5, 6), *geometry)
    check_grads(lambda c: F.fold(c, (5, 6), *geometry), randn(*cols.shape, seed=3))
    check_grads(lambda c: F.fold(c, (5, 6), *geometry), randn(*cols.shape[1:], seed=4))


def test_float32_stays_float32():
    x = Tensor(randn(1, 2, 4, 4).astype(np.float32), requires_grad=True)
    cols = F.unfold(x, 2)
    assert cols.dtype == np.float32
    back = F.fold(cols, 4, 2)
    assert back.dtype == np.float32
    back.sum().backward()
    assert x.grad.dtype == np.float32


def test_modules_match_functional_and_print_like_torch():
    x = randn(2, 3, 6, 7)
    unfold = nn.Unfold(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2))
    fold = nn.Fold(output_size=(6, 7), kernel_size=(2, 3), dilation=(2, 1), padding=(1, 0),
                   stride=(1, 2))  # fmt: skip
    cols = unfold(Tensor(x))
    np.testing.assert_array_equal(cols.data, naive_unfold(x, *GEOMETRIES[2]))
    np.testing.assert_array_equal(fold(cols).data, F.fold(cols, (6, 7), *GEOMETRIES[2]).data)
    assert list(unfold.parameters()) == [] and fold.state_dict() == {}
    assert repr(nn.Unfold(3, padding=1)) == "Unfold(kernel_size=3, dilation=1, padding=1, stride=1)"
    assert repr(nn.Fold((4, 5), 2)) == (
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"
    )


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: F.unfold(Tensor(np.zeros((1, 1, 1, 4))), 5), ValueError,
         r"spatial size \(1, 4\) with kernel_size=\(5, 5\).* gives \(-3, 0\) sliding blocks"),
        (lambda: F.unfold(Tensor(np.zeros((1, 4))), 1), ValueError,
         r"3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(1, 4\)"),
        (lambda: F.unfold(Tensor(np.zeros((1, 1, 3, 3))), 0), ValueError,
         r"unfold: kernel_size must be >= 1, got \(0, 0\)"),
        (lambda: F.unfold(Tensor(np.zeros((1, 1, 3, 3))), 1, padding=-1), ValueError,
         r"unfold: padding must be >= 0, got \(-1, -1\)"),
        (lambda: F.unfold(Tensor(np.zeros((1, 1, 3, 3))), 1.5), TypeError,
         "kernel_size must be an int or a pair of ints, got 1.5"),
        (lambda: F.unfold(Tensor(np.zeros((1, 1, 3, 3), np.int64)), 1), TypeError,
         "unfold: expected a floating-point input"),
        (lambda: F.fold(Tensor(np.zeros((1, 5, 3))), (3, 3), 2), ValueError,
         r"dimension 1 to be divisible by the product of kernel_size \(2, 2\), got 5"),
        (lambda: F.fold(Tensor(np.zeros((1, 4, 3))), (3, 3), 2), ValueError,
         r"give 2 \* 2 sliding blocks, but input's dimension 2 has size 3"),
        (lambda: F.fold(Tensor(np.zeros((4, 3))), (3, 3), 2), ValueError,
         r"input's dimension 1 has size 3"),
        (lambda: F.fold(Tensor(np.zeros((1, 1, 4, 3))), (3, 3), 2), ValueError,
         r"fold: expected a 2-D \(C \* KH \* KW, L\) or 3-D"),
        (lambda: F.fold(Tensor(np.zeros((1, 4, 4))), "big", 2), TypeError,
         "output_size must be an int or a pair of ints"),
        (lambda: nn.Fold((3, 3), 2, stride=0), ValueError, r"Fold: stride must be >= 1"),
        (lambda: nn.Unfold(2, dilation=0), ValueError, r"Unfold: dilation must be >= 1"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_exported_as_torch_names():
    assert {"fold", "unfold"} <= set(F.__all__) and {"Fold", "Unfold"} <= set(nn.__all__)
    assert issubclass(nn.Fold, nn.Module) and issubclass(nn.Unfold, nn.Module)
