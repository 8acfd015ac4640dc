import numpy as np

from tinygrad_opt import Tensor


def test_float_lists_become_float32_and_float64_arrays_stay():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.zeros(3)).dtype == np.float64
