"""PyTorch's Tensor conveniences (to, type, clone, new_*, zero_/fill_, register_hook), the
top-level creation and function spellings, allclose/isclose, set_grad_enabled and
inference_mode, and the dtype aliases; values against numpy formulas written here."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn, optim
from tinygrad_opt.grad_mode import GRAD_MODE


@pytest.fixture(autouse=True)
def _grad_mode_on():
    """A failing grad-mode test must not leave recording off for the next test."""
    yield
    GRAD_MODE.enabled = True


X = np.array([[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]], dtype=np.float32)


def finite_difference(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn(x) / dx by central differences (fn maps a float64 array to a float)."""
    grad = np.zeros_like(x)
    for j in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.reshape(-1)[j] += eps
        minus.reshape(-1)[j] -= eps
        grad.reshape(-1)[j] = (fn(plus) - fn(minus)) / (2 * eps)
    return grad


# ------------------------------------------------------------------ conversion and copies
def test_dtype_aliases_are_numpy_dtypes_under_torch_names():
    pairs = {
        "float32": np.float32, "float": np.float32, "float64": np.float64,
        "double": np.float64, "float16": np.float16, "half": np.float16,
        "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
        "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8,
        "bool": np.bool_, "bool_": np.bool_,
    }  # fmt: skip
    for name, dtype in pairs.items():
        assert getattr(tg, name) == np.dtype(dtype), name
        assert name in tg.__all__
    assert tg.zeros(3, dtype=tg.int64).dtype == np.int64
    assert tg.zeros(2, dtype=tg.float16).dtype == np.float16  # Tensor() alone gives float32
    assert tg.ones(2, dtype=tg.float16).dtype == np.float16
    assert tg.full((2,), 1.0, dtype=tg.half).dtype == np.float16
    assert tg.zeros_like(tg.ones(2), dtype=tg.float16).dtype == np.float16


def test_to_casts_as_numpy_and_returns_self_when_nothing_changes():
    x = Tensor(X)
    for dtype in (tg.float64, tg.int64, tg.int32, tg.bool, tg.float16, np.uint8, "float64"):
        y = x.to(dtype)
        assert y.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(y.numpy(), X.astype(dtype))
    assert x.to(tg.float32) is x and x.to("cpu") is x and x.to("cpu", tg.float32) is x
    assert x.to(Tensor([1, 2])).dtype == np.int64  # to(other): other's dtype
    assert x.to(dtype=tg.float64, device="cpu").dtype == np.float64
    copy = x.to(tg.float32, copy=True)
    assert copy is not x and not np.shares_memory(copy.data, x.data)
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(TypeError, match="to: unsupported dtype complex128"):
        x.to(np.complex128)


def test_to_type_and_type_as_are_differentiable_between_floats():
    # loss = sum(cast(x)^3) has gradient 3 x^2, returned in x's dtype
    x = Tensor(X, requires_grad=True)
    (x.to(tg.float64) ** 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 3 * X.astype(np.float64) ** 2, rtol=1e-6)
    x.grad = None
    (x.type(tg.float64) ** 3).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * X.astype(np.float64) ** 2, rtol=1e-6)
    # type_as against finite differences of sum(exp(cast(x)) * x) in float64
    x64 = X.astype(np.float64)
    x = Tensor(x64, requires_grad=True)
    y = x.type_as(Tensor(np.zeros(1, dtype=np.float32)))
    assert y.dtype == np.float32
    (y.exp() * x).sum().backward()
    expected = finite_difference(lambda a: float(np.sum(np.exp(a) * a)), x64)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5)
    # a cast to an integer dtype leaves the graph, as torch
    assert not Tensor(X, requires_grad=True).to(tg.int64).requires_grad


def test_type_without_argument_is_the_numpy_dtype_name_and_accepts_torch_names():
    assert Tensor(X).type() == "float32"
    assert Tensor([1, 2]).type() == "int64"
    y = Tensor(X).type("torch.LongTensor")
    np.testing.assert_array_equal(y.numpy(), X.astype(np.int64))  # truncation toward zero
    assert Tensor(X).type("torch.DoubleTensor").dtype == np.float64
    with pytest.raises(TypeError, match="expected a dtype"):
        Tensor(X).type("torch.NotATensor")


def test_clone_copies_the_data_and_passes_the_gradient():
    x = Tensor(X, requires_grad=True)
    c = x.clone()
    assert not c.is_leaf and c.requires_grad and not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.numpy(), X)
    (c * x).sum().backward()  # d/dx sum(x * x) = 2x
    np.testing.assert_allclose(x.grad, 2 * X)
    d = Tensor(X).clone()
    d.data[0, 0] = 100.0
    assert X[0, 0] == 1.5


def test_numel_dim_tolist_cpu_contiguous():
    x = Tensor(X)
    assert x.numel() == 6 and isinstance(x.numel(), int) and x.dim() == 2
    assert x.tolist() == [[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]]
    assert Tensor(2.5).tolist() == 2.5 and Tensor(2.5).dim() == 0
    assert x.cpu() is x and x.contiguous() is x and x.T.contiguous().shape == (3, 2)


def test_new_functions_default_to_self_dtype():
    x = Tensor(np.ones(2, dtype=np.float64))
    for z in (x.new_zeros(2, 3), x.new_zeros((2, 3)), x.new_empty([2, 3])):
        assert z.shape == (2, 3) and z.dtype == np.float64 and not z.numpy().any()
    o = x.new_ones(4, dtype=tg.int32)
    assert o.dtype == np.int32 and o.numpy().tolist() == [1, 1, 1, 1]
    assert Tensor([1, 2]).new_full((2,), 2.5).numpy().tolist() == [2, 2]  # int64: int(2.5)
    f = Tensor(X).new_full((3,), 2.5, requires_grad=True)
    assert f.dtype == np.float32 and f.requires_grad and f.numpy().tolist() == [2.5] * 3
    source = np.array([1, 2])
    t = x.new_tensor(source)
    assert t.dtype == np.float64 and t.numpy().tolist() == [1.0, 2.0]  # self's dtype, as torch
    assert not np.shares_memory(t.data, source)
    assert x.new_tensor([True], dtype=tg.bool).dtype == np.bool_


# ------------------------------------------------------------------------ in-place fills
def test_zero_and_fill_write_into_the_array():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    view = x.detach()
    assert x.fill_(3.5) is x
    assert (view.numpy() == 3.5).all()
    assert x.zero_() is x and not view.numpy().any()
    x.fill_(Tensor([7.0]))
    assert (x.numpy() == 7.0).all()
    i = Tensor([1, 2, 3]).fill_(1.5)
    assert i.dtype == np.int64 and i.numpy().tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="one-element"):
        x.fill_(Tensor([1.0, 2.0]))


def test_fills_refuse_tensors_that_require_grad_and_leave_them_unchanged():
    leaf = Tensor(X, requires_grad=True)
    for call in (lambda t: t.zero_(), lambda t: t.fill_(1.0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            call(leaf)
        np.testing.assert_array_equal(leaf.numpy(), X)
        computed = leaf * 2
        with pytest.raises(RuntimeError, match="requires grad cannot be changed in place"):
            call(computed)
        np.testing.assert_array_equal(computed.numpy(), 2 * X)
    with tg.no_grad():  # as torch (nn.init): allowed without recording
        leaf.fill_(2.0)
    assert (leaf.numpy() == 2.0).all() and leaf.requires_grad


# ---------------------------------------------------------------------------- hooks
def test_hook_on_a_leaf_sees_the_summed_gradient_once_and_can_replace_it():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()))
    (w * 2 + w * w).sum().backward()  # d/dw = 2 + 2w
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [4.0, -2.0])
    np.testing.assert_allclose(w.grad, [4.0, -2.0])
    w.grad = None
    w.register_hook(lambda g: g * 10)  # hooks run in order; the replacement is accumulated
    (w * 2 + w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [40.0, -20.0])
    assert len(seen) == 2


def test_hook_on_a_non_leaf_changes_what_flows_to_its_inputs():
    # y = 3w, z = sum(y^2): dz/dy = 6w; the hook adds 1, so dz/dw = 3 (6w + 1); the leaf's
    # hook then multiplies by 10, and y's retained .grad is the replaced 6w + 1 (as torch).
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    order = []
    w.register_hook(lambda g: order.append("w") or g * 10)
    y = w * 3
    y.retain_grad()
    y.register_hook(lambda g: order.append("y") or g + 1)
    z = (y * y).sum()
    z.register_hook(lambda g: order.append(("z", float(g))))
    z.backward()
    assert order == [("z", 1.0), "y", "w"]
    np.testing.assert_allclose(y.grad, [7.0, 13.0])
    np.testing.assert_allclose(w.grad, [210.0, 390.0])


def test_hook_handle_removes_and_bad_hooks_are_refused():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    handle = w.register_hook(lambda g: g * 0)
    handle.remove()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 4.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(X).register_hook(lambda g: g)
    w.register_hook(lambda g: np.ones(3))
    w.grad = None
    with pytest.raises(RuntimeError, match="must keep the shape"):
        (w * w).sum().backward()
    assert w.grad is None


def test_hook_replacement_reaches_an_optimizers_gradient_buffer():
    # matmul's backward may write the weight's gradient straight into the flat buffer;
    # the hook's replacement must still be what the optimizer sees: d sum(x @ W)/dW = x^T 1
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    weight = Tensor(np.zeros((2, 2)), requires_grad=True)
    optimizer = optim.SGD([weight], lr=1.0)
    weight.register_hook(lambda g: g * 0.5)
    (Tensor(x) @ weight).sum().backward()
    expected = 0.5 * x.T @ np.ones((2, 2))
    np.testing.assert_allclose(weight.grad, expected)
    optimizer.step()
    np.testing.assert_allclose(weight.numpy(), -expected)


def test_hook_on_a_weight_with_an_optimizer_buffer_keeps_what_it_saw():
    # Linear's backward may write a weight's gradient straight into the optimizer's flat
    # buffer; a hook must still receive an array of its own, not that buffer, which the
    # next backward accumulates into. d sum(x W^T + b) / dW = 1^T x, the same each time.
    x = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]], dtype=np.float32)
    layer = nn.Linear(3, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    seen = []
    layer.weight.register_hook(seen.append)
    expected = np.ones((2, 2)) @ x
    optimizer.zero_grad()
    for _ in range(2):
        layer(Tensor(x)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, 2 * expected, rtol=1e-6)
    assert len(seen) == 2
    for g in seen:
        np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6)


# ------------------------------------------------------------------------------ creation
def test_tensor_copies_and_from_numpy_shares():
    source = np.array([1.0, 2.0])
    t = tg.tensor(source, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and not np.shares_memory(t.data, source)
    assert tg.tensor([1.0, 2.0]).dtype == np.float32 and tg.tensor(5).dtype == np.int64
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    for dtype in (np.float16, np.float32, np.float64, np.int32, np.bool_):
        array = np.zeros(3, dtype=dtype)
        shared = tg.from_numpy(array)
        assert shared.dtype == dtype and shared.data is array
    array = np.zeros(3)
    tg.from_numpy(array).data[1] = 5.0
    assert array[1] == 5.0
    with pytest.raises(TypeError, match="numpy.ndarray"):
        tg.from_numpy([1.0, 2.0])


def test_full_like_empty_and_eye():
    f = tg.full_like(Tensor([1, 2]), 2.7)
    assert f.dtype == np.int64 and f.numpy().tolist() == [2, 2]
    g = tg.full_like(Tensor(X), 0.5, dtype=tg.float64, requires_grad=True)
    assert g.dtype == np.float64 and g.requires_grad and (g.numpy() == 0.5).all()
    e = tg.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == np.float32 and not e.numpy().any()
    el = tg.empty_like(Tensor([1, 2]))
    assert el.dtype == np.int64 and not el.numpy().any()
    for n, m in ((3, None), (2, 4), (4, 2)):
        expected = [[float(i == j) for j in range(m or n)] for i in range(n)]
        eye = tg.eye(n, m)
        assert eye.dtype == np.float32 and eye.numpy().tolist() == expected
    assert tg.eye(2, dtype=tg.int64).dtype == np.int64


def test_linspace_and_logspace():
    for start, end, steps in ((0, 1, 5), (-1, 10, 4), (3, -2.5, 7), (2, 9, 1)):
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        expected = [start + i * step for i in range(steps)]
        got = tg.linspace(start, end, steps)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
        log = tg.logspace(start, end, steps, base=2.0, dtype=tg.float64)
        np.testing.assert_allclose(log.numpy(), [2.0**v for v in expected], rtol=1e-12)
    assert tg.linspace(0, 1, 0).shape == (0,)
    # integer dtype, as torch: start -5.5 -> -5, end 0; values -5, -2.5, 0 truncate to -5, -2, 0
    assert tg.linspace(-5.5, 0, 3, dtype=tg.int64).numpy().tolist() == [-5, -2, 0]
    # -1.5 -> -1: steps of 1/3 give -1, -2/3, -1/3, 0 (steps of 0.5 from -1.5 would not)
    assert tg.linspace(-1.5, 0, 4, dtype=tg.int64).numpy().tolist() == [-1, 0, 0, 0]
    with pytest.raises(ValueError, match="steps"):
        tg.linspace(0, 1, -1)
    # logspace with an integer dtype truncates start and end first too: 10 ** (0, 1, 2)
    assert tg.logspace(0.5, 2.5, 3, dtype=tg.int64).numpy().tolist() == [1, 10, 100]
    # -1.5 -> -1, 1.5 -> 1: 10 ** (-1, -1/3, 1/3, 1) = 0.1, 0.46, 2.15, 10 truncated
    assert tg.logspace(-1.5, 1.5, 4, dtype=tg.int64).numpy().tolist() == [0, 0, 2, 10]


def test_randint_forms_range_and_seed():
    tg.manual_seed(3)
    a = tg.randint(2, 7, (500,))
    assert a.dtype == np.int64 and a.shape == (500,)
    assert a.numpy().min() == 2 and a.numpy().max() == 6  # [low, high), 500 draws cover 5 values
    tg.manual_seed(3)
    np.testing.assert_array_equal(tg.randint(low=2, high=7, size=(500,)).numpy(), a.numpy())
    b = tg.randint(3, (4, 5))
    assert b.shape == (4, 5) and b.numpy().min() >= 0 and b.numpy().max() <= 2
    assert tg.randint(high=3, size=(2,), dtype=tg.float32).dtype == np.float32
    tg.manual_seed(3)
    c = tg.randint(3, size=(4, 5))  # torch.randint(high, size=...): high positional
    tg.manual_seed(3)
    np.testing.assert_array_equal(c.numpy(), tg.randint(0, 3, (4, 5)).numpy())
    with pytest.raises(ValueError, match="low must be less than high"):
        tg.randint(5, 5, (2,))


def test_randn_like_and_rand_like_follow_the_package_seed():
    like = Tensor(np.zeros((300, 4)))
    tg.manual_seed(11)
    n, u = tg.randn_like(like), tg.rand_like(like, dtype=tg.float32)
    tg.manual_seed(11)
    np.testing.assert_array_equal(tg.randn_like(like).numpy(), n.numpy())
    np.testing.assert_array_equal(tg.rand_like(like, dtype=tg.float32).numpy(), u.numpy())
    assert n.dtype == np.float64 and n.shape == (300, 4) and u.dtype == np.float32
    assert abs(n.numpy().mean()) < 0.1 and abs(n.numpy().std() - 1) < 0.1
    assert (u.numpy() >= 0).all() and (u.numpy() < 1).all()
    assert tg.randn_like(tg.from_numpy(np.zeros(3, dtype=np.float16))).dtype == np.float16
    with pytest.raises(TypeError, match="floating point"):
        tg.randn_like(Tensor([1, 2]))


# ------------------------------------------------------------------- function spellings
def test_function_spellings_match_numpy():
    x = Tensor(X)
    a = np.abs(X) + 0.5
    for name, ref in (("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("tanh", np.tanh)):
        np.testing.assert_allclose(getattr(tg, name)(Tensor(a)).numpy(), ref(a), rtol=1e-6)
    np.testing.assert_allclose(tg.abs(x).numpy(), np.abs(X))
    np.testing.assert_allclose(tg.sigmoid(x).numpy(), 1 / (1 + np.exp(-X)), rtol=1e-6)
    np.testing.assert_allclose(tg.relu(x).numpy(), np.maximum(X, 0))
    np.testing.assert_allclose(tg.matmul(x, x.T).numpy(), X @ X.T, rtol=1e-6)
    assert tg.flatten(x).shape == (6,)
    np.testing.assert_allclose(tg.sum(x, 1).numpy(), X.sum(1))
    np.testing.assert_allclose(tg.mean(x, dim=0, keepdim=True).numpy(), X.mean(0, keepdims=True))
    np.testing.assert_allclose(tg.clamp(x, -1, 2).numpy(), np.clip(X, -1, 2))
    np.testing.assert_allclose(tg.clip(x, min=0).numpy(), np.maximum(X, 0))
    e = np.exp(X - X.max(1, keepdims=True))
    np.testing.assert_allclose(tg.softmax(x, 1).numpy(), e / e.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(
        tg.log_softmax(x, dim=1).numpy(), np.log(e / e.sum(1, keepdims=True)), rtol=1e-5
    )
    assert tg.argmax(x, 1).numpy().tolist() == [2, 1] and int(tg.argmin(x)) == 1


def test_max_and_min_have_torchs_three_forms():
    x = Tensor(X, requires_grad=True)
    assert float(tg.max(x)) == 4.0 and float(tg.min(x)) == -2.0
    values, indices = tg.max(x, 1)
    assert values.numpy().tolist() == [3.0, 4.0] and indices.numpy().tolist() == [2, 1]
    result = tg.min(x, dim=0, keepdim=True)
    assert result.values.numpy().tolist() == [[0.25, -2.0, -1.0]]
    assert result.indices.numpy().tolist() == [[1, 0, 1]]
    result.values.sum().backward()  # the gradient goes to the selected elements
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 1]])
    other = Tensor(np.zeros(3, dtype=np.float32))
    np.testing.assert_array_equal(tg.max(x, other).numpy(), np.maximum(X, 0))
    np.testing.assert_array_equal(tg.min(x, other).numpy(), np.minimum(X, 0))


def test_allclose_and_isclose_follow_the_formula():
    def reference(a, b, rtol, atol, equal_nan):  # |a - b| <= atol + rtol |b|, NaN by equal_nan
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            close = np.abs(a - b) <= atol + rtol * np.abs(b)
        both_nan = np.isnan(a) & np.isnan(b)
        return close | (both_nan & equal_nan) | (a == b)

    cases = [
        ([1.0, 2.0], [1.00001, 2.1], {}),
        ([1.0, np.nan], [1.0, np.nan], {}),
        ([1.0, np.nan], [1.0, np.nan], {"equal_nan": True}),
        ([1.0, 2.0], [1.01, 2.0], {"rtol": 0.02}),
        ([0.0, 1.0], [1e-9, 1.0], {}),
        ([1.0, np.inf], [1.2, np.inf], {"atol": 0.3}),
    ]
    for a, b, kwargs in cases:
        a, b = np.float32(a), np.float32(b)  # the reference sees the float32 values too
        args = {"rtol": 1e-05, "atol": 1e-08, "equal_nan": False, **kwargs}
        expected = reference(a, b, **args)
        close = tg.isclose(Tensor(a), Tensor(b), **kwargs)
        assert close.dtype == np.bool_ and close.numpy().tolist() == expected.tolist()
        result = tg.allclose(Tensor(a), Tensor(b), **kwargs)
        assert type(result) is bool and result == bool(expected.all())


# ------------------------------------------------------------------------------ grad mode
def test_set_grad_enabled_as_a_call_and_as_a_context():
    w = Tensor(X, requires_grad=True)
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled() and not (w * 2).requires_grad
    tg.set_grad_enabled(True)
    assert tg.is_grad_enabled() and (w * 2).requires_grad
    for outer in (True, False):
        tg.set_grad_enabled(outer)
        for inner in (True, False):
            with tg.set_grad_enabled(inner):
                assert tg.is_grad_enabled() is inner
            assert tg.is_grad_enabled() is outer
    tg.set_grad_enabled(True)
    with pytest.raises(ZeroDivisionError):
        with tg.set_grad_enabled(False):
            1 / 0  # noqa: B018
    assert tg.is_grad_enabled()
    with pytest.raises(TypeError, match="must be a bool"):
        tg.set_grad_enabled(1)
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_changes_nothing_until_called():
    @tg.set_grad_enabled(False)
    def inside():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()
    assert inside() is False and tg.is_grad_enabled()


def test_inference_mode_is_no_grad():
    with tg.inference_mode():
        assert not tg.is_grad_enabled()
        with tg.inference_mode(False):  # as torch: recording back on
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    @tg.inference_mode
    def bare():
        return tg.is_grad_enabled()

    @tg.inference_mode()
    def called():
        return tg.is_grad_enabled()

    assert bare() is False and called() is False and tg.is_grad_enabled()


def test_function_forms_of_the_new_methods_are_the_methods():
    """tg.topk(x, k) is x.topk(k), and so on: one implementation behind both spellings."""
    import tinygrad_opt as tg

    for name in ("topk", "sort", "argsort", "cumsum", "prod", "logsumexp", "norm", "gather",
                 "masked_fill", "tril", "triu", "outer", "split", "chunk", "square", "isnan"):
        assert getattr(tg, name) is getattr(tg.Tensor, name), name
    x = tg.Tensor(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]))
    values, indices = tg.max(x, 1)  # torch.max with a dim: the same pair type as topk's
    assert type(values) is tg.Tensor and type(tg.topk(x, 1)) is type(tg.max(x, 1))
    np.testing.assert_array_equal(indices.data, [0, 1])


def test_view_as_expand_as_and_the_bool_and_half_casts():
    import tinygrad_opt as tg

    t = tg.Tensor(np.arange(6.0), requires_grad=True)
    other = tg.Tensor(np.zeros((2, 3)))
    y = t.view_as(other)
    assert y.shape == (2, 3) and t.reshape_as(other).shape == (2, 3)
    row = tg.Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    (y * row.expand_as(y)).sum().backward()
    np.testing.assert_array_equal(t.grad, [1, 2, 3, 1, 2, 3])  # d/dt of sum(t * row)
    np.testing.assert_array_equal(row.grad, [[3, 5, 7]])  # summed back over the rows
    assert t.bool().dtype == np.bool_ and t.half().dtype == np.float16
    np.testing.assert_array_equal(t.bool().data, [False] + [True] * 5)


# ------------------------------------------------------------- in-place updates, devices
def test_in_place_updates_write_into_the_array_as_the_numpy_formula():
    x = Tensor(X.copy())
    view = x.detach()
    other = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    expected = X.copy()
    for call, step in (
        (lambda t: t.add_(Tensor(other)), lambda a: a + other),
        (lambda t: t.add_(other, alpha=-0.5), lambda a: a - 0.5 * other),
        (lambda t: t.sub_(2.0), lambda a: a - 2.0),
        (lambda t: t.sub_(Tensor(other), alpha=3), lambda a: a - 3 * other),
        (lambda t: t.mul_(Tensor(other)), lambda a: a * other),
        (lambda t: t.div_(4), lambda a: a / 4),
    ):
        assert call(x) is x
        expected = step(expected).astype(np.float32)
        np.testing.assert_allclose(view.numpy(), expected, rtol=1e-6)
    assert x.copy_(Tensor(other)) is x  # broadcast over the rows
    np.testing.assert_array_equal(view.numpy(), np.broadcast_to(other, X.shape))
    ints = Tensor(np.zeros(3, dtype=np.int64)).copy_(np.array([1.7, -2.2, 3.9]))
    assert ints.dtype == np.int64 and ints.numpy().tolist() == [1, -2, 3]  # truncated, as torch
    with pytest.raises(ValueError):
        x.add_(Tensor(np.ones((3, 2, 3), np.float32)))  # only the operand may broadcast


def test_in_place_updates_are_refused_in_the_graph_but_allowed_under_no_grad():
    w = Tensor(X.copy(), requires_grad=True)
    for call in (lambda t: t.add_(1.0), lambda t: t.mul_(2.0), lambda t: t.copy_(X)):
        with pytest.raises(RuntimeError, match="requires grad"):
            call(w)
        with pytest.raises(RuntimeError, match="requires grad"):
            call(w * 1)
    with pytest.raises(RuntimeError, match="operand requires grad"):
        Tensor(X.copy()).add_(w)
    np.testing.assert_array_equal(w.numpy(), X)
    # manual SGD as PyTorch code writes it; the optimizer's flat buffer sees the change
    opt = optim.SGD([w], lr=0.0)
    (w * w).sum().backward()
    opt.step()
    with tg.no_grad():
        w.add_(Tensor(w.grad), alpha=-0.25)  # w - 0.25 * 2w = 0.5 w
    assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), 0.5 * X)
    np.testing.assert_allclose(opt.param_groups[0]["params"][0].numpy(), 0.5 * X)


def test_device_is_the_cpu_under_torchs_names():
    cpu = tg.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and cpu.index is None
    assert repr(cpu) == "device(type='cpu')" and tg.device(cpu) is cpu
    cuda = tg.device("cuda", 1)
    assert str(cuda) == "cuda:1" and cuda.type == "cuda" and cuda.index == 1
    assert tg.device("cuda:0").index == 0
    with pytest.raises(RuntimeError):
        tg.device("gpu")
    x = Tensor(X)
    assert x.device == "cpu" and x.device.type == "cpu"
    assert x.to(cpu) is x and tg.nn.Linear(2, 2).to(cpu) is not None
    with pytest.raises(ValueError, match="CPU only"):
        x.to(cuda)
    made = tg.zeros(2, 3, device=x.device)
    assert made.shape == (2, 3)
    for make in (
        lambda d: tg.tensor([1.0], device=d),
        lambda d: tg.ones(2, device=d),
        lambda d: tg.randn(2, device=d),
        lambda d: tg.arange(3, device=d),
        lambda d: tg.full((2,), 1.0, device=d),
        lambda d: tg.zeros_like(x, device=d),
        lambda d: tg.randint(0, 3, (2,), device=d),
        lambda d: tg.eye(2, device=d),
    ):
        assert make("cpu").device == "cpu"
        with pytest.raises(ValueError, match="CPU only"):
            make("cuda:0")


def test_grad_fn_is_none_exactly_for_leaves_and_index_takes_0d_integers():
    w = Tensor(X, requires_grad=True)
    y = (w * 2).sum()
    assert w.grad_fn is None and callable(y.grad_fn)
    assert Tensor(X).grad_fn is None and (Tensor(X) * 2).grad_fn is None
    with tg.no_grad():
        assert (w * 2).grad_fn is None
    assert w.detach().grad_fn is None
    classes = ["a", "b", "c"]
    assert classes[Tensor(np.array(2))] == "c" and list(range(Tensor(np.array(3)))) == [0, 1, 2]
    for bad in (Tensor(np.array(1.0)), Tensor(np.array([1]))):
        with pytest.raises(TypeError, match="0-d integer"):
            classes[bad]
    assert tg.is_tensor(w) and not tg.is_tensor(X) and tg.numel(w) == 6
