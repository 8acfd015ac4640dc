"""A float64 finite-difference gradient check over named arrays and parameters, shared by the
tests of layers with several inputs and outputs (recurrent, attention, Transformer)."""

import numpy as np

from tinygrad_opt import Tensor, no_grad


def central_differences(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f() / d array by central differences: each entry of `array` is moved by +-eps in
    place (and restored) while the scalar f() reads it."""
    numeric = np.zeros_like(array)
    for k in np.ndindex(array.shape):
        keep = array[k]
        array[k] = keep + eps
        plus = f()
        array[k] = keep - eps
        minus = f()
        array[k] = keep
        numeric[k] = (plus - minus) / (2 * eps)
    return numeric


def finite_difference_check(forward, arrays, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """forward(tensors) -> list of output Tensors. Every entry of `arrays` (numpy arrays or
    Parameters, whose data is perturbed in place and restored) is checked: the analytic
    gradient of sum_k <R_k, out_k> against central differences, in float64."""
    rng = np.random.default_rng(seed)
    tensors = {name: a if isinstance(a, Tensor) else Tensor(a, requires_grad=True)
               for name, a in arrays.items()}
    outputs = forward(tensors)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    total = sum((o * Tensor(d)).sum() for o, d in zip(outputs, directions))
    total.backward()

    def scalar():
        with no_grad():
            return sum(float(np.sum(o.data * d)) for o, d in zip(forward(tensors), directions))

    for name, tensor in tensors.items():
        data = tensor.data
        assert data.dtype == np.float64, f"{name} must be float64 for the check"
        numeric = central_differences(scalar, data, eps)
        assert tensor.grad is not None, f"{name} got no gradient"
        np.testing.assert_allclose(tensor.grad, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")
