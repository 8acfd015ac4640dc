"""The function spellings the ported tutorial scripts call (`tg.pow` in a siamese
contrastive loss, `narrow` in the word-language-model's batchify, `tg.add`, `tg.div`,
`tg.transpose`, ...): values against numpy, gradients against closed forms and finite
differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(7)


def leaf(a):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True)


def numeric_grad(f, a, h=1e-6):
    """Central differences of the scalar f at every entry of a (float64)."""
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(up) - f(down)) / (2 * h)
    return g


def test_pow_tensor_base_matches_numpy_and_power_rule():
    a = RNG.uniform(0.5, 2.0, (3, 4))
    x = leaf(a)
    out = tg.pow(x, 3)
    np.testing.assert_allclose(out.numpy(), a**3, rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * a**2, rtol=1e-14)


def test_pow_tensor_exponent_and_number_base():
    a = RNG.uniform(0.5, 2.0, (4,))
    b = RNG.uniform(-1.0, 1.0, (4,))
    x, e = leaf(a), leaf(b)
    tg.pow(x, e).sum().backward()
    np.testing.assert_allclose(x.grad, b * a ** (b - 1), rtol=1e-13)
    np.testing.assert_allclose(e.grad, a**b * np.log(a), rtol=1e-13)
    y = leaf(b)
    out = tg.pow(2.0, y)  # torch.pow(self: Number, exponent: Tensor)
    np.testing.assert_allclose(out.numpy(), 2.0**b, rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(y.grad, 2.0**b * np.log(2.0), rtol=1e-14)


def test_contrastive_loss_written_with_pow_matches_formula():
    # the siamese-network contrastive loss as users write it with torch.pow / torch.clamp
    d = np.array([0.2, 1.5, 0.7, 0.9])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    dist = leaf(d)
    loss = tg.mean(
        Tensor(t) * tg.pow(dist, 2) + (1 - Tensor(t)) * tg.pow(tg.clamp(1.0 - dist, min=0.0), 2)
    )
    expected = np.mean(t * d**2 + (1 - t) * np.maximum(1 - d, 0) ** 2)
    assert np.isclose(loss.item(), expected, rtol=1e-15)
    loss.backward()
    grad = (2 * t * d - 2 * (1 - t) * np.maximum(1 - d, 0)) / 4
    np.testing.assert_allclose(dist.grad, grad, rtol=1e-14)


@pytest.mark.parametrize("dim,start,length", [(0, 0, 4), (0, 1, 2), (1, -3, 2), (-1, 2, 0)])
def test_narrow_is_the_slice_and_its_gradient_fills_the_slice(dim, start, length):
    a = RNG.standard_normal((5, 4))
    ax = dim % 2
    first = start + a.shape[ax] if start < 0 else start
    index = (slice(None),) * ax + (slice(first, first + length),)
    x = leaf(a)
    out = x.narrow(dim, start, length)
    np.testing.assert_array_equal(out.numpy(), a[index])
    np.testing.assert_array_equal(tg.narrow(Tensor(a), dim, start, length).numpy(), a[index])
    w = RNG.standard_normal(out.shape)
    (out * Tensor(w)).sum().backward()
    expected = np.zeros_like(a)
    expected[index] = w
    np.testing.assert_array_equal(x.grad, expected)


def test_narrow_batchify_as_the_word_language_model_does():
    data = Tensor(np.arange(23))
    bsz = 4
    nbatch = data.size(0) // bsz
    out = data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()
    np.testing.assert_array_equal(out.numpy(), np.arange(20).reshape(4, 5).T)


def test_arithmetic_function_spellings_with_alpha():
    a, b = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    x, y = leaf(a), leaf(b)
    out = tg.add(x, y, alpha=0.5) + tg.sub(x, y, alpha=2.0) + tg.mul(x, y) + tg.div(x, 4.0)
    np.testing.assert_allclose(out.numpy(), (a + 0.5 * b) + (a - 2 * b) + a * b + a / 4, rtol=1e-14)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, 1 + 1 + b + 0.25, rtol=1e-14)
    np.testing.assert_allclose(y.grad, 0.5 - 2 + a, rtol=1e-14)
    np.testing.assert_allclose(tg.neg(x).numpy(), -a)
    np.testing.assert_allclose(tg.div(x, y).numpy(), a / b, rtol=1e-15)


def test_div_function_gradient_matches_finite_differences():
    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (2, 3))
    y = leaf(b)
    tg.div(Tensor(a), y).sum().backward()
    np.testing.assert_allclose(y.grad, numeric_grad(lambda v: np.sum(a / v), b), rtol=1e-7)


def test_div_rounding_modes_floor_and_trunc():
    a = np.array([-7, 7, -8, 5, 0, -1])
    b = np.array([2, -2, 3, 5, 3, 4])
    trunc = [int(x / y) for x, y in zip(a, b)]  # Python's int() rounds toward zero
    floor = [x // y for x, y in zip(a, b)]  # Python's // rounds down
    out = tg.div(Tensor(a), Tensor(b), rounding_mode="trunc")
    assert out.dtype == np.int64 and out.numpy().tolist() == trunc
    out = tg.div(Tensor(a), Tensor(b), rounding_mode="floor")
    assert out.dtype == np.int64 and out.numpy().tolist() == floor
    x = leaf(a / 1.0)
    out = tg.div(x, 2.0, rounding_mode="trunc")
    assert out.numpy().tolist() == [int(v / 2.0) for v in a]
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(6))  # piecewise constant, as torch


def test_shape_and_reduction_function_spellings():
    a = RNG.standard_normal((2, 3, 4))
    x = Tensor(a)
    np.testing.assert_array_equal(tg.transpose(x, 0, 2).numpy(), np.swapaxes(a, 0, 2))
    np.testing.assert_array_equal(tg.permute(x, (2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(tg.reshape(x, (4, 6)).numpy(), a.reshape(4, 6))
    np.testing.assert_array_equal(tg.unsqueeze(x, 1).numpy(), a[:, None])
    np.testing.assert_array_equal(tg.squeeze(tg.unsqueeze(x, 0), 0).numpy(), a)
    np.testing.assert_array_equal(tg.t(Tensor(a[0])).numpy(), a[0].T)
    np.testing.assert_allclose(tg.std(x).item(), np.std(a, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(tg.var(x, dim=0).numpy(), np.var(a, axis=0, ddof=1), rtol=1e-14)
    c = tg.clone(x)
    assert c is not x and np.array_equal(c.numpy(), a)
