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
    """Output and input-gradient rule of 2x2/2 max pooling by a loop over windows."""
    n, c, h, w = x.shape
    out = np.empty((n, c, h // 2, w // 2), dtype=x.dtype)
    winner = np.zeros(x.shape, dtype=bool)
    for a in range(n):
        for b in range(c):
            for i in range(h // 2):
                for j in range(w // 2):
                    window = x[a, b, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                    k = int(np.argmax(window))
                    out[a, b, i, j] = window.flat[k]
                    winner[a, b, 2 * i + k // 2, 2 * j + k % 2] = True
    return out, winner


@pytest.mark.parametrize(
    "shape",
    [
        (2, 8, 12, 12),  # serial, zero-then-scatter backward (few channels)
        (2, 16, 13, 11),  # serial, one-pass tiled backward; odd sizes leave uncovered pixels
        (pooling._PARALLEL_MIN // (8 * 12 * 12) + 1, 8, 12, 12),  # parallel builds
        (pooling._PARALLEL_MIN // (16 * 13 * 11) + 1, 16, 13, 11),
    ],
)
def test_max_pool_matches_naive_on_every_path(shape):
    rng = np.random.default_rng(1)
    data = rng.standard_normal(shape).astype(np.float32)
    x = Tensor(data, requires_grad=True)
    out = pooling.max_pool2d(x, 2)
    expected_out, winner = _naive_max_pool_2x2(data)
    np.testing.assert_array_equal(out.data, expected_out)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    g_up = np.zeros_like(data)
    g_up[:, :, : shape[2] // 2 * 2, : shape[3] // 2 * 2] = g.repeat(2, axis=2).repeat(2, axis=3)
    np.testing.assert_array_equal(x.grad, np.where(winner, g_up, 0))


def test_serial_twin_is_a_separate_build_with_the_same_result():
    twin = activation._relu_forward_serial
    assert twin.py_func.__qualname__.endswith("_serial")
    assert twin is not activation._relu_forward
    x = np.array([-1.0, 0.0, 2.5, np.nan], dtype=np.float32)
    out = np.empty_like(x)
    serial_twin(activation._relu_forward)(x, out)
    np.testing.assert_array_equal(out, np.array([0.0, 0.0, 2.5, np.nan], dtype=np.float32))
