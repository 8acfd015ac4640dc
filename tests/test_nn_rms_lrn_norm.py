"""RMSNorm / F.rms_norm and LocalResponseNorm / F.local_response_norm: values against naive
loops written here from the documented formulas, gradients by float64 finite differences,
PyTorch's defaults, parameters and state_dict keys, and the errors for bad input."""

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


def ref_rms_norm(x, dims, w=None, eps=None):
    """y = x / sqrt(mean(x^2) + eps) * w over the trailing `dims` axes, row by row."""
    eps = np.finfo(x.dtype).eps if eps is None else eps
    size = int(np.prod(x.shape[x.ndim - dims:]))
    rows = x.reshape(-1, size).astype(np.float64)
    out = np.empty_like(rows)
    for i in range(rows.shape[0]):
        mean_square = sum(v * v for v in rows[i]) / size
        out[i] = rows[i] / np.sqrt(mean_square + eps)
    out = out.reshape(x.shape)
    return out if w is None else out * w


def ref_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """b_c = a_c / (k + alpha / size * sum over c' in [c - size//2, c + (size-1)//2])^beta."""
    out = np.empty(x.shape)
    channels = x.shape[1]
    for n in range(x.shape[0]):
        for c in range(channels):
            lo, hi = max(0, c - size // 2), min(channels - 1, c + (size - 1) // 2)
            total = sum(x[n, j] ** 2 for j in range(lo, hi + 1))
            out[n, c] = x[n, c] / (k + alpha / size * total) ** beta
    return out


# --- RMSNorm ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm_default_eps_is_the_dtype_machine_epsilon(dtype):
    x = (randn(3, 4, 5) * 1e-4).astype(dtype)  # small values make eps visible
    out = F.rms_norm(Tensor(x), (4, 5))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, ref_rms_norm(x, 2), rtol=tol)
    assert out.data.dtype == dtype


def test_rms_norm_explicit_eps_and_weight():
    x, w = randn(2, 3, 4), randn(4, seed=2)
    out = F.rms_norm(Tensor(x), [4], Tensor(w), eps=0.5)
    np.testing.assert_allclose(out.data, ref_rms_norm(x, 1, w, 0.5), rtol=1e-12)
    # an int normalized_shape works as in the module
    np.testing.assert_allclose(F.rms_norm(Tensor(x), 4).data, ref_rms_norm(x, 1), rtol=1e-12)


def test_rms_norm_gradients_by_finite_differences():
    x, w = randn(3, 2, 4), randn(2, 4, seed=3)
    check_grads(lambda t, v: F.rms_norm(t, (2, 4), v, eps=1e-3), x, w)
    check_grads(lambda t: F.rms_norm(t, (4,)), x)


def test_rms_norm_module_parameters_state_dict_and_repr():
    m = nn.RMSNorm([3, 4])
    assert m.normalized_shape == (3, 4) and m.eps is None and m.elementwise_affine
    assert list(m.state_dict()) == ["weight"]
    np.testing.assert_array_equal(m.weight.data, np.ones((3, 4)))
    assert repr(m) == "RMSNorm((3, 4), eps=None, elementwise_affine=True)"
    assert list(nn.RMSNorm(3, elementwise_affine=False).state_dict()) == []
    assert nn.RMSNorm(3).normalized_shape == (3,)


def test_rms_norm_module_forward_and_backward():
    m = nn.RMSNorm(4, eps=1e-2, dtype=np.float64)
    m.weight.data[:] = randn(4, seed=4)
    x = randn(5, 4)
    out = m(Tensor(x))
    np.testing.assert_allclose(out.data, ref_rms_norm(x, 1, m.weight.data, 1e-2), rtol=1e-12)
    w0 = m.weight.data.copy()
    check_grads(lambda t, v: F.rms_norm(t, (4,), v, 1e-2), x, w0)
    g = randn(5, 4, seed=5)
    out.backward(gradient=g)
    np.testing.assert_allclose(m.weight.grad, (g * ref_rms_norm(x, 1, eps=1e-2)).sum(0),
                               rtol=1e-10)


def test_rms_norm_errors():
    with pytest.raises(ValueError, match=r"rms_norm: expected input of shape \(\*, 4\), got"):
        F.rms_norm(Tensor(randn(2, 3)), (4,))
    with pytest.raises(ValueError, match=r"rms_norm: expected weight of shape \(3,\).*got \(4,\)"):
        F.rms_norm(Tensor(randn(2, 3)), (3,), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="at least one entry"):
        F.rms_norm(Tensor(randn(3)), [])
    with pytest.raises(TypeError, match="rms_norm: expected a floating-point input"):
        F.rms_norm(Tensor(np.ones((2, 3), np.int64)), (3,))
    with pytest.raises(ValueError,
                       match=r"RMSNorm: expected input of shape \(\*, 3\), got \(2, 4\)"):
        nn.RMSNorm(3)(Tensor(randn(2, 4)))
    with pytest.raises(ValueError, match="RMSNorm: normalized_shape must be positive ints, got 0"):
        nn.RMSNorm(0)
    with pytest.raises(TypeError, match="RMSNorm: normalized_shape must be an int or a sequence"):
        nn.RMSNorm(2.5)


# --- LocalResponseNorm -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 2), (1, 3, 2, 2, 2)])
def test_local_response_norm_matches_loops(size, shape):
    x = randn(*shape) * 3
    out = F.local_response_norm(Tensor(x), size, alpha=0.5, beta=0.6, k=2.0)
    np.testing.assert_allclose(out.data, ref_lrn(x, size, 0.5, 0.6, 2.0), rtol=1e-12)


def test_local_response_norm_closed_form_and_defaults():
    # size 3 over channels 1..5: the edges sum 2 squares but still divide by 3
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)
    out = F.local_response_norm(Tensor(x), 3, alpha=3.0, beta=1.0, k=0.0).data.ravel()
    sums = np.array([1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16 + 25, 16 + 25])
    np.testing.assert_allclose(out, np.arange(1.0, 6.0) / sums, rtol=1e-14)
    m = nn.LocalResponseNorm(2)
    assert (m.size, m.alpha, m.beta, m.k) == (2, 1e-4, 0.75, 1.0)
    assert repr(m) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    assert list(m.state_dict()) == []
    x = randn(2, 4, 3)
    np.testing.assert_allclose(m(Tensor(x)).data, ref_lrn(x, 2), rtol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm_gradients_by_finite_differences(size):
    check_grads(lambda t: F.local_response_norm(t, size, alpha=1.0, beta=0.5, k=2.0),
                randn(2, 4, 3))
    check_grads(lambda t: nn.LocalResponseNorm(size, 2.0, 0.75, 1.5)(t), randn(1, 5, 2, 2))


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match="local_response_norm: expected input of 3 or more "
                                         r"dimensions \(N, C, \*\), got 2 dimensions"):
        F.local_response_norm(Tensor(randn(2, 3)), 2)
    with pytest.raises(ValueError, match="local_response_norm: size must be >= 1, got 0"):
        F.local_response_norm(Tensor(randn(2, 3, 4)), 0)
    with pytest.raises(ValueError, match="LocalResponseNorm: size must be >= 1, got -1"):
        nn.LocalResponseNorm(-1)
    with pytest.raises(TypeError, match="LocalResponseNorm: size must be an int, got 2.0"):
        nn.LocalResponseNorm(2.0)
    # empty batch or channels: an empty result, as PyTorch
    assert F.local_response_norm(Tensor(randn(0, 3, 4)), 2).shape == (0, 3, 4)
    assert F.local_response_norm(Tensor(np.zeros((2, 0, 4))), 2).shape == (2, 0, 4)


def test_exported_names():
    assert {"RMSNorm", "LocalResponseNorm"} <= set(nn.__all__)
    assert {"rms_norm", "local_response_norm"} <= set(F.__all__)
