"""autograd.gradcheck, anomaly mode, Variable and autograd.functional (jacobian, vjp), checked
against closed-form derivatives and deliberately wrong backward rules."""

import warnings

import numpy as np
import pytest
from tinygrad_opt.autograd.functional import jacobian, vjp

import tinygrad_opt as tg
from tinygrad_opt import Tensor, autograd
from tinygrad_opt.autograd import Function, GradcheckError, gradcheck


class WrongSquare(Function):
    """x ** 2 with a backward off by a factor: gradcheck must catch it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 3.0


class NanBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


def f64(rng, *shape):
    return Tensor(rng.normal(size=shape), dtype=np.float64, requires_grad=True)


def test_gradcheck_passes_and_fails():
    rng = np.random.default_rng(0)
    a, b = f64(rng, 3, 4), f64(rng, 4, 2)
    assert gradcheck(lambda x, y: ((x @ y).tanh(), x.exp().sum()), (a, b)) is True
    c = Tensor(rng.normal(size=3), dtype=np.float64)  # not checked: requires_grad False
    assert gradcheck(lambda x, y: x * y, [f64(rng, 3), c])
    x = f64(rng, 5)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_restores_inputs_and_validates():
    rng = np.random.default_rng(1)
    x = f64(rng, 2, 3)
    before = x.data.copy()
    gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x.data, before)
    with pytest.raises(ValueError, match="require"):
        gradcheck(lambda t: t * 2, Tensor(np.ones(2), dtype=np.float64))
    with pytest.raises(NotImplementedError):
        gradcheck(lambda t: t, x, check_forward_ad=True)
    with pytest.warns(UserWarning, match="double precision"):
        gradcheck(lambda t: t * 2, Tensor(np.ones(2, dtype=np.float32), requires_grad=True),
                  atol=1e-2, rtol=1e-2, eps=1e-3)


def test_jacobian_closed_forms():
    rng = np.random.default_rng(2)
    x = Tensor(rng.normal(size=3), dtype=np.float64)
    a = rng.normal(size=(2, 3))
    jac = jacobian(lambda t: Tensor(a) @ t.sin(), x)
    np.testing.assert_allclose(jac.data, a * np.cos(x.data)[None, :], rtol=1e-12)
    y = Tensor(rng.normal(size=(2, 2)), dtype=np.float64)
    both = jacobian(lambda u, v: (u * 2.0, (u.sum() * v)), (x, y))
    assert isinstance(both, tuple) and len(both) == 2 and isinstance(both[0], tuple)
    np.testing.assert_allclose(both[0][0].data, 2 * np.eye(3))
    np.testing.assert_array_equal(both[0][1].data, np.zeros((3, 2, 2)))  # independent: zeros
    expected = np.zeros((2, 2, 3))
    expected[...] = y.data[..., None]  # d(sum(u) v_ij)/du_k = v_ij
    np.testing.assert_allclose(both[1][0].data, expected)
    np.testing.assert_allclose(both[1][1].data.reshape(4, 4), x.data.sum() * np.eye(4))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda u, v: u * 2.0, (x, y), strict=True)
    with pytest.raises(TypeError):
        jacobian(lambda u: u, [x])
    assert x.grad is None and not x.requires_grad  # the caller's tensor is untouched


def test_vjp_closed_form():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(2, 3)), dtype=np.float64)
    v = Tensor(rng.normal(size=(2, 3)), dtype=np.float64)
    out, grad = vjp(lambda t: t.exp() * 3.0, x, v)
    np.testing.assert_allclose(out.data, 3 * np.exp(x.data))
    assert not out.requires_grad
    np.testing.assert_allclose(grad.data, v.data * 3 * np.exp(x.data), rtol=1e-12)
    out, grad = vjp(lambda t: (t * t).sum(), x)
    np.testing.assert_allclose(grad.data, 2 * x.data)
    with pytest.raises(RuntimeError, match="can only be None"):
        vjp(lambda t: t * 2.0, x)
    with pytest.raises(ValueError, match="invalid size"):
        vjp(lambda t: t * 2.0, x, Tensor(np.ones(3)))
    assert autograd.functional.vjp is vjp


def test_detect_anomaly_names_the_op():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection"), autograd.detect_anomaly():
        assert autograd.is_anomaly_enabled()
        y = (x.sqrt() * 0.0).sum()  # d sqrt / dx at 0 is inf, times 0: NaN in sqrt's backward
        with pytest.raises(RuntimeError, match="Function 'sqrt' returned nan values in its 0th"):
            with np.errstate(divide="ignore", invalid="ignore"):  # the NaN is the point
                y.backward()
        z = NanBackward.apply(x).sum()
        with pytest.raises(RuntimeError, match="returned nan values"):
            z.backward()
    assert not autograd.is_anomaly_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (x.sqrt() * 0.0).sum().backward()  # mode off: NaN passes through, as PyTorch
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.0
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled()
        with autograd.set_detect_anomaly(False):
            assert not autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()


def test_anomaly_mode_passes_clean_graphs():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with autograd.set_detect_anomaly(True):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_variable_is_tensor():
    t = Tensor(np.ones(3))
    v = autograd.Variable(t, requires_grad=True)
    assert isinstance(v, Tensor) and isinstance(t, autograd.Variable) and v.requires_grad
    assert v.data is t.data  # shares the array, as torch's Variable(tensor)
    (v * 2.0).sum().backward()
    np.testing.assert_allclose(v.grad, [2.0, 2.0, 2.0])
    assert not isinstance(np.ones(1), autograd.Variable)
    assert isinstance(autograd.Variable([1.0, 2.0]), tg.Tensor)
