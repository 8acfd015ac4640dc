"""Both builds of the size-switched kernels (serial below a threshold, parallel above) give
the reference result: ReLU and max pooling on each side of their thresholds."""

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.jit import serial_twin
from tinygrad_opt.nn import activation, pooling


@pytest.mark.parametrize("size", [1000, activation._RELU_PARALLEL_MIN + 5])
def test_relu_matches_numpy_on_both_paths(size):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
    g = rng.standard_normal(size).astype(np.float32)
    out = activation.relu(x)
    out.backward(g)
    np.testing.assert_array_equal(out.data, np.maximum(x.data, 0))
    np.testing.assert_array_equal(x.grad, np.where(x.data > 0, g, 0))


def _naive_max_pool_2x2(x):
    n, c, h, w = x.shape
    windows = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    return windows.max(axis=(3, 5))


@pytest.mark.parametrize("batch", [2, pooling._PARALLEL_MIN // (8 * 12 * 12) + 1])
def test_max_pool_matches_naive_on_both_paths(batch):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((batch, 8, 12, 12)).astype(np.float32)
    x = Tensor(data, requires_grad=True)
    out = pooling.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, _naive_max_pool_2x2(data))
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    # Each window's gradient goes to its (unique, continuous data) maximum.
    expected = np.zeros_like(data)
    windows = data.reshape(batch, 8, 6, 2, 6, 2)
    is_max = windows == windows.max(axis=(3, 5), keepdims=True)
    expected.reshape(batch, 8, 6, 2, 6, 2)[...] = np.where(is_max, g[:, :, :, None, :, None], 0)
    np.testing.assert_array_equal(x.grad, expected)


def test_serial_twin_is_a_separate_build_with_the_same_result():
    twin = activation._relu_forward_serial
    assert twin.py_func.__qualname__.endswith("_serial")
    assert twin is not activation._relu_forward
    x = np.array([-1.0, 0.0, 2.5, np.nan], dtype=np.float32)
    out = np.empty_like(x)
    serial_twin(activation._relu_forward)(x, out)
    np.testing.assert_array_equal(out, np.array([0.0, 0.0, 2.5, np.nan], dtype=np.float32))
