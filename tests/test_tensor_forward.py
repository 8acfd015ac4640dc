"""Forward values against plain numpy (or a closed form), and the dtype rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(7)


def close(t: Tensor, expected, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(t.numpy(), expected, rtol=rtol, atol=atol)


def test_arithmetic_matches_numpy():
    a = RNG.standard_normal((3, 4))
    b = RNG.uniform(0.5, 2, (4,))
    A, B = Tensor(a), Tensor(b)
    close(A + B, a + b)
    close(A - B, a - b)
    close(A * B, a * b)
    close(A / B, a / b)
    close(B**A, b**a)
    close(-A, -a)
    close(2 - A, 2 - a)
    close(2 / B, 2 / b)
    close(2**A, 2**a)
    close(A @ a.T, a @ a.T)
    close(a.T @ A, a.T @ a)
    close(a + A, a + a)  # ndarray on the left defers to the Tensor


def test_unary_and_activations_match_closed_forms():
    a = RNG.standard_normal((5, 3)) * 3
    A = Tensor(a)
    close(A.exp(), np.exp(a))
    close(A.abs().log(), np.log(np.abs(a)))
    close(A.abs().sqrt(), np.sqrt(np.abs(a)))
    close(A.tanh(), np.tanh(a))
    close(A.sigmoid(), 1 / (1 + np.exp(-a)))
    close(A.relu(), np.where(a > 0, a, 0))
    close(A.leaky_relu(0.1), np.where(a > 0, a, 0.1 * a))
    close(A.leaky_relu(), np.where(a > 0, a, 0.01 * a))  # PyTorch's default slope
    close(A.clip(-1, 0.5), np.clip(a, -1, 0.5))
    erf = np.vectorize(math.erf)
    close(A.gelu(), 0.5 * a * (1 + erf(a / math.sqrt(2))), rtol=1e-12, atol=1e-15)
    tanh_form = 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))
    close(A.gelu(approximate="tanh"), tanh_form)


def test_erf_is_accurate_to_float64_over_a_wide_range():
    from tinygrad_opt.ops.erf import erf

    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, -1e-10, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_array_max_ulp(erf(x), expected, maxulp=1)
    x32 = x.astype(np.float32)
    assert erf(x32).dtype == np.float32
    # float32 input is computed in float64 and rounded once (not in float32 arithmetic)
    expected32 = np.array([math.erf(float(v)) for v in x32]).astype(np.float32)
    np.testing.assert_array_equal(erf(x32), expected32)


def test_sigmoid_is_stable_at_extremes():
    out = Tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)).sigmoid()
    assert np.all(np.isfinite(out.numpy()))
    np.testing.assert_allclose(out.numpy(), [0.0, 1.9287498e-22, 0.5, 1.0, 1.0], rtol=1e-6)


def test_softmax_is_stable_and_normalised():
    a = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], dtype=np.float32)
    s = Tensor(a).softmax(-1).numpy()
    shifted = a - a.max(-1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(-1, keepdims=True)
    np.testing.assert_allclose(s, expected, rtol=1e-6)
    e = np.exp(shifted)
    np.testing.assert_allclose(Tensor(a).softmax().numpy(), s, rtol=1e-6)  # default: last axis
    np.testing.assert_allclose(Tensor(a).log_softmax().numpy(),
                               shifted - np.log(e.sum(-1, keepdims=True)), rtol=1e-6)
    ls = Tensor(a).log_softmax(dim=1).numpy()
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(ls, shifted - np.log(np.exp(shifted).sum(-1, keepdims=True)))


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(axis, keepdims):
    a = RNG.standard_normal((2, 3, 4))
    A = Tensor(a)
    close(A.sum(axis, keepdims), a.sum(axis=axis, keepdims=keepdims))
    close(A.mean(axis=axis, keepdims=keepdims), a.mean(axis=axis, keepdims=keepdims))
    close(A.var(axis, keepdims), a.var(axis=axis, keepdims=keepdims, ddof=1))
    close(A.std(axis, keepdims), a.std(axis=axis, keepdims=keepdims, ddof=1))  # unbiased
    close(A.std(axis, keepdims, correction=0), a.std(axis=axis, keepdims=keepdims))
    close(A.var(axis, keepdims, unbiased=False), a.var(axis=axis, keepdims=keepdims))
    close(A.std(axis, keepdims, unbiased=False), a.std(axis=axis, keepdims=keepdims))
    close(A.var(axis, keepdims, unbiased=True), a.var(axis=axis, keepdims=keepdims, ddof=1))
    close(A.max(axis, keepdims), a.max(axis=axis, keepdims=keepdims))
    close(A.min(dim=axis, keepdim=keepdims), a.min(axis=axis, keepdims=keepdims))


def test_argmax_argmin_and_pytorch_spellings():
    a = np.array([[1, 5, 5], [7, 0, 7]], dtype=np.float32)
    A = Tensor(a)
    assert A.argmax().item() == 3  # flat index of the first 7
    assert A.argmax(dim=1).numpy().tolist() == [1, 0]  # first of the tied maxima
    assert A.argmin(axis=0, keepdims=True).numpy().tolist() == [[0, 1, 0]]
    assert A.argmax().dtype == np.int64
    assert A.sum(dim=1, keepdim=True).shape == (2, 1)
    # no dim with keepdim: the flat index in a tensor of ones of A's rank (torch.argmax)
    assert A.argmax(keepdim=True).numpy().tolist() == [[3]]
    assert A.argmin(keepdims=True).numpy().tolist() == [[4]]


def test_movement_matches_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    A = Tensor(a)
    close(A.reshape(4, 6), a.reshape(4, 6))
    close(A.view(-1, 4), a.reshape(-1, 4))
    close(A.transpose(0, 2), a.swapaxes(0, 2))
    close(A.permute(1, 2, 0), a.transpose(1, 2, 0))
    close(A.T, a.T)
    assert A.flatten().shape == (24,)
    assert A.flatten(1).shape == (2, 12)
    assert A.flatten(0, 1).shape == (6, 4)
    assert A.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert A.unsqueeze(0).shape == (1, 2, 3, 4)
    assert Tensor(np.zeros((1, 3, 1))).squeeze().shape == (3,)
    assert Tensor(np.zeros((1, 3, 1))).squeeze(1).shape == (1, 3, 1)  # not size 1: no-op
    assert Tensor(np.zeros((1, 3, 1))).squeeze((0, 2)).shape == (3,)
    assert A[:, :1].expand(5, 2, 3, 4).shape == (5, 2, 3, 4)
    assert Tensor(np.zeros(())).flatten().shape == (1,)


def test_pad_matches_numpy_constant_mode():
    a = np.arange(6.0).reshape(2, 3)
    A = Tensor(a)
    close(A.pad((1, 2)), np.pad(a, ((0, 0), (1, 2))))
    close(A.pad((1, 0, 0, 2), value=-1.0), np.pad(a, ((0, 2), (1, 0)), constant_values=-1.0))
    close(A.pad((-1, 1)), np.pad(a, ((0, 0), (0, 1)))[:, 1:])


def test_indexing_matches_numpy():
    a = RNG.standard_normal((4, 5))
    A = Tensor(a)
    idx = np.array([3, 0, 3])
    mask = a > 0
    for index in [1, -1, (slice(1, 3), 2), (None, Ellipsis, 0), idx, (idx, idx), mask]:
        close(A[index], a[index])
    close(A[Tensor(idx)], a[idx])
    close(A[Tensor(mask)], a[mask])
    close(A[[0, 2]], a[[0, 2]])
    rows = [row.numpy() for row in A]  # iteration goes through __getitem__
    np.testing.assert_array_equal(np.stack(rows), a)


def test_cat_stack_where_maximum_minimum():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    close(tg.cat([Tensor(a), Tensor(b)], dim=1), np.concatenate([a, b], 1))
    close(tg.stack([Tensor(a), Tensor(b)], -1), np.stack([a, b], -1))
    close(tg.where(Tensor(a > 0), Tensor(a), Tensor(b)), np.where(a > 0, a, b))
    close(tg.where(a > 0, Tensor(a), 0.0), np.where(a > 0, a, 0.0))
    close(tg.maximum(Tensor(a), Tensor(b)), np.maximum(a, b))
    close(tg.minimum(Tensor(a), 0.0), np.minimum(a, 0.0))
    close(tg.maximum(0.0, Tensor(a)), np.maximum(a, 0.0))


def test_comparisons_are_boolean_and_outside_the_graph():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x < 2, [True, False, False]),
        (x <= 2, [True, True, False]),
        (x > 2, [False, False, True]),
        (x >= 2, [False, True, True]),
        (x == 2, [False, True, False]),
        (x != 2, [True, False, True]),
        (x == Tensor([1.0, 0.0, 3.0]), [True, False, True]),
    ]:
        assert result.dtype == np.bool_
        assert not result.requires_grad
        assert result.numpy().tolist() == expected
    assert (~(x > 2)).numpy().tolist() == [True, True, False]
    assert ((x > 1) & (x < 3)).numpy().tolist() == [False, True, False]
    assert ((x < 2) | (x > 2)).numpy().tolist() == [True, False, True]
    assert (Tensor([1, 4]) | 2).numpy().tolist() == [3, 6]  # bitwise on integers, as torch


# ------------------------------------------------------------------------------ dtype rules
def test_default_dtypes():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(1.5).dtype == np.float32
    assert Tensor(np.zeros(3)).dtype == np.float64
    assert Tensor(np.float64(2.5)).dtype == np.float64  # numpy scalars keep float64 too
    assert Tensor(np.float32(2.5)).dtype == np.float32
    assert Tensor(np.zeros(3, dtype=np.float16)).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64
    assert Tensor(np.array([True])).dtype == np.bool_


def test_python_scalars_never_upcast_float32():
    x = Tensor([1.0, 2.0])
    for result in [x + 1.5, 1.5 + x, x * 2, x - 0.1, 0.1 - x, x / 3.0, 3.0 / x, x**2.5,
                   2.5**x, x + np.float64(1.0), tg.maximum(x, 0.5), tg.where(x > 1, x, 0.0),
                   tg.maximum(0.5, x), tg.minimum(0.5, x), tg.where(x > 1, 0.5, x)]:
        assert result.dtype == np.float32, result


def test_integer_tensor_rules():
    i = Tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64
    assert (i * 2).dtype == np.int64
    assert (2 - i).dtype == np.int64
    assert (i + 1.5).dtype == np.float32  # as torch: an int tensor with a float becomes float32
    assert (i / 2).dtype == np.float32  # true division gives the default float dtype
    assert (i / i).dtype == np.float32
    assert (i + Tensor([0.5, 0.5, 0.5])).dtype == np.float32  # numpy would give float64
    assert (i + Tensor(np.zeros(3))).dtype == np.float64
    assert (Tensor([1.0], dtype=np.float32) + Tensor(np.ones(1))).dtype == np.float64
    assert i.sum().dtype == np.int64
    assert Tensor(np.array([True, True])).sum().item() == 2


def test_float32_tensor_with_integer_tensor_stays_float32_in_either_order():
    f = Tensor([1.5, 2.5], requires_grad=True)  # float32
    i = Tensor([2, 4])  # int64: as torch, the floating operand's dtype wins
    results = {
        "f+i": (f + i, [3.5, 6.5]),
        "i+f": (i + f, [3.5, 6.5]),
        "f*i": (f * i, [3.0, 10.0]),
        "f/i": (f / i, [0.75, 0.625]),
        "i-f": (i - f, [0.5, 1.5]),
        "maximum": (tg.maximum(f, i), [2.0, 4.0]),
        "where": (tg.where(np.array([True, False]), f, i), [1.5, 4.0]),
        "cat": (tg.cat([f, i]), [1.5, 2.5, 2.0, 4.0]),
        "stack": (tg.stack([i, f]), [[2.0, 4.0], [1.5, 2.5]]),
    }
    for name, (result, expected) in results.items():
        assert result.dtype == np.float32, name
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=name)
    (f * i).sum().backward()
    assert f.grad.dtype == np.float32
    np.testing.assert_array_equal(f.grad, [2.0, 4.0])


def test_math_on_integer_tensors_gives_float32():
    """As torch.exp(int_tensor): integer input computes in the default float dtype."""
    i = Tensor([1, 2, 3])
    a = np.array([1.0, 2.0, 3.0])
    erf = np.vectorize(math.erf)
    for name, result, expected in [
        ("exp", i.exp(), np.exp(a)),
        ("log", i.log(), np.log(a)),
        ("sqrt", i.sqrt(), np.sqrt(a)),
        ("tanh", i.tanh(), np.tanh(a)),
        ("sigmoid", i.sigmoid(), 1 / (1 + np.exp(-a))),
        ("gelu", i.gelu(), 0.5 * a * (1 + erf(a / math.sqrt(2)))),
    ]:
        assert result.dtype == np.float32, name
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6, err_msg=name)


def test_mixed_dtype_gradients_take_each_inputs_dtype():
    a = Tensor([1.0, 2.0], requires_grad=True)  # float32
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)  # float64
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [3, 4])


def test_float_casts():
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [3.0, 5.0])
    labels = x.long()
    assert labels.dtype == np.int64 and not labels.requires_grad
    assert labels.float().dtype == np.float32


def test_as_tensor_like_keeps_int_with_int():
    from tinygrad_opt.tensor import as_tensor_like

    assert as_tensor_like(2, Tensor([1, 2])).dtype == np.int64
    assert as_tensor_like(2, Tensor(np.array([1], dtype=np.int32))).dtype == np.int32
    assert as_tensor_like(2.5, Tensor([1, 2])).dtype == np.float32
    assert as_tensor_like(2, Tensor([1.0])).dtype == np.float32
    assert as_tensor_like(2.0, Tensor(np.zeros(1))).dtype == np.float64


FLOAT32_OPS = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.abs().log(),
    "sqrt": lambda x: x.abs().sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.2),
    "gelu": lambda x: x.gelu(),
    "gelu_tanh": lambda x: x.gelu(approximate="tanh"),
    "softmax": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(),
    "clip": lambda x: x.clip(-0.5, 0.5),
    "mean": lambda x: x.mean(0),
    "var": lambda x: x.var(1),
    "std": lambda x: x.std(),
    "max": lambda x: x.max(1),
    "pad": lambda x: x.pad((1, 1), value=2.0),
    "matmul": lambda x: x @ x.T,
    "pow": lambda x: x.abs() ** 2.5 + 2.0**x,
    "where": lambda x: tg.where(x > 0, x, 0.5),
    "maximum": lambda x: tg.maximum(x, 0.1),
    "cat": lambda x: tg.cat([x, x * 0.5], 1),
    "getitem": lambda x: x[np.array([0, 0, 1])],
}


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_stays_float32_forward_and_backward(name):
    x = Tensor(RNG.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    out = FLOAT32_OPS[name](x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


def test_zero_dim_operand_does_not_widen_a_dimensioned_tensor():
    """PyTorch's rule: a 0-d tensor (or 0-d array) takes part in dtype promotion like a
    Python scalar, unless its category (bool < integer < floating) is higher."""
    f = Tensor([1.0, 2.0])  # float32
    half = Tensor(np.array(0.5))  # 0-d float64
    for name, result, expected in [
        ("add", f + half, [1.5, 2.5]),
        ("radd", half + f, [1.5, 2.5]),
        ("mul 0-d ndarray", f * np.array(2.0), [2.0, 4.0]),
        ("pow", f**half, [1.0, np.sqrt(2.0)]),
        ("where", tg.where(np.array([True, False]), f, half), [1.0, 0.5]),
        ("maximum", tg.maximum(f, half), [1.0, 2.0]),
    ]:
        assert result.dtype == np.float32, name
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-7, err_msg=name)
    i32 = Tensor(np.array([1, 2], dtype=np.int32))
    assert (i32 + Tensor(np.array(3))).dtype == np.int32  # 0-d int64, same category
    assert (i32 * half).dtype == np.float64  # 0-d of a higher category decides
    assert (Tensor(np.array([True])) + Tensor(np.array(2, np.int32))).dtype == np.int32
    assert (Tensor(1.0) + half).dtype == np.float64  # both 0-d: ordinary promotion
    w = Tensor(np.array(3.0), requires_grad=True)  # a 0-d float64 weight
    (f * w).sum().backward()
    assert w.grad.dtype == np.float64 and w.grad == 3.0  # d/dw sum(f * w) = 1 + 2


def test_integer_and_boolean_sums_are_int64():
    """As torch.sum: every integral input sums to int64 (numpy keeps uint64 for uint8)."""
    for data in [np.array([200, 200], np.uint8), np.array([1, 2], np.int32), [True, True]]:
        total = Tensor(data).sum()
        assert total.dtype == np.int64
        assert total.item() == int(np.sum(np.asarray(data, dtype=np.int64)))


def test_var_std_divide_by_zero_when_correction_reaches_n():
    """PyTorch divides by max(0, N - correction): a sum of squares s > 0 gives inf, s == 0
    gives NaN (0/0), never a negative or finite variance."""
    x = Tensor([1.0, 2.0])  # s = 0.5
    for correction in (2, 3):
        assert x.var(correction=correction).item() == np.inf
        assert x.std(dim=0, correction=correction).item() == np.inf
    one = Tensor([2.5])  # s = 0
    assert np.isnan(one.var(correction=2).item())
    assert np.isnan(one.std(0, correction=3).item())


def test_max_min_argmax_over_a_nonempty_axis_of_an_empty_tensor():
    """As PyTorch: only the reduced dimension must be non-empty."""
    x = Tensor(np.zeros((0, 3), np.float32))
    assert x.max(1).shape == (0,)
    assert x.min(dim=-1, keepdim=True).shape == (0, 1)
    assert x.argmax(1).shape == (0,)
    assert x.max(axis=(1,)).shape == (0,)
    for reduce in (lambda: x.max(0), lambda: x.max(), lambda: x.argmin(dim=0)):
        with pytest.raises(ValueError, match="cannot reduce an empty tensor"):
            reduce()


def test_pad_may_crop_a_dimension_to_size_zero():
    """As torch.nn.functional.pad: negative padding may leave size 0, not less; crops count
    before the padding of the same dimension is added."""
    x = Tensor(np.ones((2, 4), np.float32), requires_grad=True)
    assert x.pad((-2, -2)).shape == (2, 0)
    assert x.pad((-4, 0)).shape == (2, 0)
    out = x.pad((0, 0, -1, -1))
    assert out.shape == (0, 4)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="crop more than"):
        x.pad((-5, 1))  # 4 - 5 < 0, even though the result would have size 0


def test_clip_of_an_integer_tensor_with_float_bounds_is_float32():
    """As torch.clamp: a Python float bound gives the default float dtype, not float64."""
    i = Tensor([-2, 0, 3])
    for result in (i.clip(0.5, 1.5), i.clamp(min=-0.5), i.clip(max=2.5)):
        assert result.dtype == np.float32
    np.testing.assert_array_equal(i.clip(0.5, 1.5).numpy(), [0.5, 0.5, 1.5])
    assert i.clip(0, 1).dtype == np.int64


def test_size_is_the_element_count_and_callable_as_pytorchs_method():
    x = Tensor(np.zeros((2, 3, 4), np.float32))
    assert x.size == 24 and isinstance(x.size, int) and x.size + 1 == 25  # numpy's meaning
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4  # PyTorch's method
    assert x.view(x.size(0), -1).shape == (2, 12)  # the tutorial idiom
    assert Tensor(np.float32(1.5)).size == 1 and Tensor(np.float32(1.5)).size() == ()
    with pytest.raises(IndexError, match="dimension 3 is out of range for 3"):
        x.size(3)
    with pytest.raises(TypeError, match="dim must be an int"):
        x.size(1.0)


def test_size_copies_and_pickles_as_a_plain_int():
    import copy
    import pickle

    x = Tensor(np.zeros((2, 3)))
    for clone in (copy.copy(x.size), copy.deepcopy(x.size), pickle.loads(pickle.dumps(x.size))):
        assert clone == 6 and type(clone) is int
    assert copy.deepcopy({"n": x.size}) == {"n": 6}
