"""tinygrad_opt.partials: the serial helpers parallel kernels use for their partial results."""

import numpy as np
import pytest

from tinygrad_opt.partials import sum_first_axis, zeros, zeros_float64


@pytest.mark.parametrize("shape", [(1,), (3, 5), (4, 2, 3), (2, 3, 1, 2, 4), (5, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_first_axis_adds_the_rows_in_order(shape, dtype):
    rng = np.random.default_rng(0)
    partial = rng.standard_normal(shape).astype(dtype)
    expected = np.zeros(shape[1:], dtype=dtype)
    for row in partial:  # the loop the helper replaces, in the same order
        expected += row
    total = sum_first_axis(partial)
    assert total.shape == shape[1:] and total.dtype == dtype
    np.testing.assert_array_equal(total, expected)


def test_zeros_take_the_shape_and_the_dtype_asked_for():
    like = np.ones(3, dtype=np.float32)
    a = zeros((2, 3), like)
    b = zeros_float64((4, 1))
    c = zeros(5, like)
    assert a.shape == (2, 3) and a.dtype == np.float32 and not a.any()
    assert b.shape == (4, 1) and b.dtype == np.float64 and not b.any()
    assert c.shape == (5,) and c.dtype == np.float32 and not c.any()
