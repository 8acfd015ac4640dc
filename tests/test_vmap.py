"""vmap (tinygrad_opt.vmap and tinygrad_opt.func.vmap): results against explicit loops over
the batch written here, in_dims/out_dims forms, randomness modes, gradients by float64
central differences, and the errors torch.func.vmap raises."""

import inspect

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.func import vmap as func_vmap

RNG = np.random.default_rng(0)


def test_same_function_in_both_places_and_torch_signature():
    assert tg.vmap is func_vmap
    params = inspect.signature(tg.vmap).parameters
    assert list(params) == ["func", "in_dims", "out_dims", "randomness", "chunk_size"]
    assert params["chunk_size"].kind == inspect.Parameter.KEYWORD_ONLY
    assert params["in_dims"].default == 0 and params["randomness"].default == "error"


def test_matches_a_loop_with_in_dims_and_out_dims():
    a = RNG.standard_normal((4, 3))
    b = RNG.standard_normal((3, 4))  # batched along dim 1
    c = RNG.standard_normal(3)  # not batched

    def f(x, y, z):
        return x * y + z, (x * z).sum()

    out0, out1 = tg.vmap(f, in_dims=(0, 1, None), out_dims=(1, 0))(
        tg.tensor(a), tg.tensor(b), tg.tensor(c))
    expected0 = np.stack([a[i] * b[:, i] + c for i in range(4)], axis=1)
    expected1 = np.array([(a[i] * c).sum() for i in range(4)])
    np.testing.assert_allclose(out0.numpy(), expected0)
    np.testing.assert_allclose(out1.numpy(), expected1)


def test_negative_and_nested_in_dims_and_kwargs():
    a = RNG.standard_normal((2, 5))
    out = tg.vmap(lambda x: x * 2, in_dims=-1)(tg.tensor(a))
    np.testing.assert_allclose(out.numpy(), np.stack([a[:, i] * 2 for i in range(5)]))
    d = {"w": tg.tensor(a), "b": tg.tensor(np.ones(5))}
    out = tg.vmap(lambda p, s=1.0: (p["w"] + p["b"]) * s, in_dims=({"w": 0, "b": None},))(d, s=3.0)
    np.testing.assert_allclose(out.numpy(), (a + 1) * 3)
    pair = (tg.tensor(a), tg.tensor(a.T.copy()))
    out = tg.vmap(lambda p: p[0] @ p[1], in_dims=((0, 1),))(pair)
    np.testing.assert_allclose(out.numpy(), [a[i] @ a[i] for i in range(2)])


def test_structured_outputs_and_unbatched_out_dim():
    a = RNG.standard_normal((3, 2))
    out = tg.vmap(lambda x: [x, {"s": x.sum()}])(tg.tensor(a))
    np.testing.assert_allclose(out[0].numpy(), a)
    np.testing.assert_allclose(out[1]["s"].numpy(), a.sum(1))
    c = tg.tensor([1.0, 2.0])
    same = tg.vmap(lambda x, y: (x + y, y * 2), in_dims=(0, None), out_dims=(0, None))(
        tg.tensor(a), c)
    np.testing.assert_allclose(same[1].numpy(), [2.0, 4.0])


def test_chunk_size_changes_nothing():
    a = RNG.standard_normal((5, 3))
    full = tg.vmap(lambda x: x.exp())(tg.tensor(a)).numpy()
    for chunk in (1, 2, 5, 10):
        np.testing.assert_array_equal(tg.vmap(lambda x: x.exp(), chunk_size=chunk)(
            tg.tensor(a)).numpy(), full)


def test_randomness_modes():
    x = tg.zeros(3, 4)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tg.vmap(lambda r: r + tg.rand(4))(x)
    tg.manual_seed(0)
    same = tg.vmap(lambda r: r + tg.rand(4, dtype=tg.float64), randomness="same")(x).numpy()
    expected = np.random.default_rng(0).random(4)
    np.testing.assert_array_equal(same, np.stack([expected] * 3))
    tg.manual_seed(0)
    different = tg.vmap(lambda r: r + tg.rand(4, dtype=tg.float64), randomness="different")(x)
    np.testing.assert_array_equal(different.numpy(),
                                  np.random.default_rng(0).random(12).reshape(3, 4))
    # the package generator is back in place after an error
    tg.manual_seed(1)
    with pytest.raises(RuntimeError):
        tg.vmap(lambda r: tg.randn(2))(x)
    np.testing.assert_array_equal(tg.rand(2, dtype=tg.float64).numpy(),
                                  np.random.default_rng(1).random(2))


def test_gradients_match_central_differences():
    a = RNG.standard_normal((3, 4))
    w = RNG.standard_normal(4)

    def loss(a_, w_):
        ta = tg.tensor(a_, requires_grad=True)
        tw = tg.tensor(w_, requires_grad=True)
        total = tg.vmap(lambda r, v: (r * v).tanh().sum(), in_dims=(0, None))(ta, tw).sum()
        return total, ta, tw

    total, ta, tw = loss(a, w)
    total.backward()

    def value(a_, w_):
        return float(np.tanh(a_ * w_).sum())

    eps = 1e-6
    for arr, grad, which in ((a, ta.grad, 0), (w, tw.grad, 1)):
        numeric = np.zeros_like(arr)
        for k in np.ndindex(arr.shape):
            plus, minus = arr.copy(), arr.copy()
            plus[k] += eps
            minus[k] -= eps
            args_p = (plus, w) if which == 0 else (a, plus)
            args_m = (minus, w) if which == 0 else (a, minus)
            numeric[k] = (value(*args_p) - value(*args_m)) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.vmap(lambda x: x)(3), ValueError, "cannot vmap over non-Tensor arguments"),
    (lambda: tg.vmap(lambda x, y: x)(tg.ones(2), tg.ones(3)), ValueError,
     r"same size in the mapped dimension, got sizes \[2, 3\]"),
    (lambda: tg.vmap(lambda x: x, in_dims=None)(tg.ones(2)), ValueError,
     "at least one Tensor"),
    (lambda: tg.vmap(lambda x: 3)(tg.ones(2)), ValueError, "must only return Tensors"),
    (lambda: tg.vmap(lambda x: x, randomness="x"), ValueError,
     "randomness must be 'error', 'different' or 'same', got 'x'"),
    (lambda: tg.vmap(lambda x: x, chunk_size=0), ValueError,
     "chunk_size should be None or greater than 0, got 0"),
    (lambda: tg.vmap(lambda x: x, in_dims=2)(tg.ones(2, 3)), ValueError,
     "expected -2 <= in_dim < 2"),
    (lambda: tg.vmap(lambda x: x, in_dims=(0, 0))(tg.ones(2)), ValueError,
     "in_dims has 2 entries but the function got 1"),
    (lambda: tg.vmap(lambda x: x, out_dims=3)(tg.ones(2, 3)), ValueError,
     "out_dim 3 is out of range"),
    (lambda: tg.vmap(lambda x: x)(tg.ones(0, 3)), ValueError, "empty"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
