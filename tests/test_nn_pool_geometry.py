"""The helpers the pooling modules share (pool_geometry.py and pool_with_indices.with_indices):
output sizes against PyTorch's documented formula, each rank's wording of the errors, and the
*_with_indices wrappers ignoring return_indices however it is passed."""

import inspect
import math

import numpy as np
import pytest

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor
from tinygrad_opt.nn.pool_geometry import (
    adaptive_output_size,
    check_nonempty,
    pool_geometry,
    pool_output_size,
    pool_sizes,
)
from tinygrad_opt.nn.pool_with_indices import with_indices


def documented_output_size(size, k, s, p, d, ceil_mode):
    """PyTorch's MaxPool docs: floor or ceil of (S + 2p - d(k-1) - 1) / s + 1, dropping a
    last ceil_mode window that would start in the right padding."""
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((size + 2 * p - d * (k - 1) - 1) / s + 1)
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_output_size_follows_the_documented_formula(ceil_mode):
    for size in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, k // 2 + 1):
                    for d in (1, 2):
                        want = documented_output_size(size, k, s, p, d, ceil_mode)
                        assert pool_output_size(size, k, s, p, d, ceil_mode) == want


def test_geometry_gives_tuples_per_rank_and_stride_defaults_to_kernel():
    x = np.zeros((1, 2, 9, 8, 7))
    sizes, out = pool_geometry(x, (3, 2, 1), (), (1, 1, 0), [2], False, 3, "who")
    assert sizes == ((3, 2, 1), (3, 2, 1), (1, 1, 0), (2, 2, 2))
    assert out == tuple(documented_output_size(n, k, k, p, 2, False)
                        for n, k, p in zip((9, 8, 7), (3, 2, 1), (1, 1, 0)))  # fmt: skip
    assert pool_sizes([4], 2, "kernel_size", "who") == (4, 4)
    assert pool_sizes((5,), 1, "kernel_size", "who") == (5,)


@pytest.mark.parametrize(
    "dims,shape,message",
    [
        (1, (1, 1, 3), "who: input of length 3 is too small for kernel 2 with padding 0 and "
                       "dilation 5"),
        (2, (1, 1, 3, 3), "who: input of spatial size 3x3 is too small for kernel 2x2 with "
                          "padding 0,0 and dilation 5,5"),
        (3, (1, 1, 3, 3, 3), "who: input of spatial size (3, 3, 3) is too small for kernel "
                             "(2, 2, 2) with padding (0, 0, 0) and dilation (5, 5, 5)"),
    ],
)  # fmt: skip
def test_too_small_message_keeps_each_ranks_wording(dims, shape, message):
    with pytest.raises(ValueError) as err:
        pool_geometry(np.zeros(shape), 2, None, 0, 5, False, dims, "who")
    assert str(err.value) == message


def test_padding_message_prints_1d_sizes_as_ints():
    with pytest.raises(ValueError, match=r"^who: .* got padding=2 for kernel_size=3$"):
        pool_geometry(np.zeros((1, 1, 9)), 3, None, 2, 1, False, 1, "who")
    with pytest.raises(ValueError, match=r"got padding=\(2, 0\) for kernel_size=\(3, 3\)$"):
        pool_geometry(np.zeros((1, 1, 9, 9)), 3, None, (2, 0), 1, False, 2, "who")


@pytest.mark.parametrize(
    "dims,channels,shape,listed",
    [(1, True, (2, 0, 4), "C and L"), (1, False, (2, 3, 0), "L"),
     (2, True, (2, 0, 4, 4), "C, H and W"), (2, False, (2, 3, 4, 0), "H and W"),
     (3, True, (2, 0, 4, 4, 4), "C, D, H and W"), (3, False, (2, 3, 0, 4, 4), "D, H and W")],
)  # fmt: skip
def test_nonempty_names_the_axes_of_the_rank(dims, channels, shape, listed):
    with pytest.raises(ValueError, match=rf"^who: expected non-zero {listed}, got input"):
        check_nonempty(np.zeros(shape), dims, "who", channels)
    check_nonempty(np.zeros(shape[:1] + (1,) * (len(shape) - 1)), dims, "who", channels)


def test_adaptive_output_size_keeps_none_axes_and_names_the_sequence():
    assert adaptive_output_size((None, 3), (5, 7), "who") == (5, 3)
    assert adaptive_output_size(np.int64(2), (5, 7, 9), "who") == (2, 2, 2)
    with pytest.raises(TypeError, match="an int or a pair of ints or None"):
        adaptive_output_size((1, 2, 3), (5, 7), "who")
    with pytest.raises(TypeError, match="an int or a tuple of three ints or None"):
        adaptive_output_size((1, 2), (5, 7, 9), "who")
    with pytest.raises(ValueError, match="entries must be ints >= 0"):
        adaptive_output_size((1, True), (5, 7), "who")


def test_with_indices_returns_indices_however_return_indices_is_passed():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    want_out, want_idx = F.max_pool2d(Tensor(x), 3, 2, 1, 1, True, True)
    for call in (lambda: F.max_pool2d_with_indices(Tensor(x), 3, 2, 1, 1, True),
                 lambda: F.max_pool2d_with_indices(Tensor(x), 3, 2, 1, 1, True, False),
                 lambda: F.max_pool2d_with_indices(Tensor(x), 3, 2, 1, ceil_mode=True,
                                                   return_indices=False)):  # fmt: skip
        out, idx = call()
        np.testing.assert_array_equal(out.data, want_out.data)
        np.testing.assert_array_equal(idx.data, want_idx.data)


def test_with_indices_shows_the_pool_signature_and_its_own_name():
    def pool(input, size, return_indices=False, scale=1):
        return ("indices" if return_indices else "values", size * scale)

    wrapped = with_indices(pool)
    assert wrapped(None, 2, False, 3) == ("indices", 6)
    assert wrapped.__name__ == "pool_with_indices"
    assert list(inspect.signature(wrapped).parameters) == ["input", "size", "return_indices",
                                                           "scale"]  # fmt: skip
    assert F.adaptive_max_pool3d_with_indices.__name__ == "adaptive_max_pool3d_with_indices"
