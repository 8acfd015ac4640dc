"""Every differentiable op's gradient against central finite differences in float64,
on scalar, vector, matrix and broadcasting inputs, inside each op's domain."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt as tg
from tinygrad_opt import Tensor


def numeric_grads(fn, arrays: list[np.ndarray], projection: np.ndarray, eps: float = 1e-6):
    """d/d(inputs) of sum(fn(*inputs) * projection) by central differences, input by input."""
    grads = []
    for i, base in enumerate(arrays):
        grad = np.zeros_like(base)
        flat = grad.reshape(-1)
        for j in range(base.size):
            values = []
            for step in (eps, -eps):
                shifted = [a.copy() for a in arrays]
                shifted[i].reshape(-1)[j] += step
                out = fn(*[Tensor(a) for a in shifted]).data
                values.append(float(np.sum(out * projection)))
            flat[j] = (values[0] - values[1]) / (2 * eps)
        grads.append(grad)
    return grads


def check_grads(fn, *arrays, rtol: float = 1e-5, atol: float = 1e-7, seed: int = 0) -> None:
    """Compare the autograd gradients of fn at float64 `arrays` with finite differences,
    through a random projection of the output (so every output element matters)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    assert out.dtype == np.float64, f"float64 inputs gave {out.dtype}"
    rng = np.random.default_rng(seed)
    projection = rng.standard_normal(out.shape)
    (out * Tensor(projection)).sum().backward()
    expected = numeric_grads(fn, arrays, projection)
    for k, (tensor, want) in enumerate(zip(inputs, expected)):
        assert tensor.grad is not None, f"input {k} got no gradient"
        assert tensor.grad.shape == want.shape
        assert tensor.grad.dtype == np.float64
        np.testing.assert_allclose(tensor.grad, want, rtol=rtol, atol=atol, err_msg=f"input {k}")


def test_the_checker_catches_a_wrong_backward_rule():
    def square_with_bad_grad(x):
        return Tensor.make(x.data**2, (x,), lambda g: (g * x.data,))  # should be 2x

    with pytest.raises(AssertionError):
        check_grads(square_with_bad_grad, np.array([0.5, 1.5]))


RNG = np.random.default_rng(1234)


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    """Magnitudes in [0.3, 2] with random signs: keeps kinks (abs, relu) away from the FD step."""
    return RNG.uniform(0.3, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)


SHAPES = {"scalar": (), "vector": (5,), "matrix": (3, 4)}

BINARY_BROADCASTS = [
    ((), ()),
    ((5,), (5,)),
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (3, 4)),
]


@pytest.mark.parametrize("shape_a,shape_b", BINARY_BROADCASTS)
@pytest.mark.parametrize(
    "name,fn,make_b",
    [
        ("add", lambda a, b: a + b, normal),
        ("sub", lambda a, b: a - b, normal),
        ("mul", lambda a, b: a * b, normal),
        ("div", lambda a, b: a / b, away_from_zero),
        ("maximum", tg.maximum, normal),
        ("minimum", tg.minimum, normal),
    ],
)
def test_binary_ops_with_broadcasting(name, fn, make_b, shape_a, shape_b):
    check_grads(fn, normal(*shape_a), make_b(*shape_b))


@pytest.mark.parametrize("shape_a,shape_b", BINARY_BROADCASTS)
def test_pow_tensor_exponent_on_positive_base(shape_a, shape_b):
    check_grads(lambda a, b: a**b, positive(*shape_a), normal(*shape_b))


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, -1.5, 2.5])
@pytest.mark.parametrize("kind", SHAPES)
def test_pow_scalar_exponent(exponent, kind):
    check_grads(lambda a: a**exponent, positive(*SHAPES[kind]))


@pytest.mark.parametrize("kind", SHAPES)
def test_integer_powers_of_negative_base(kind):
    check_grads(lambda a: a**3, normal(*SHAPES[kind]))
    check_grads(lambda a: a**2 + a ** (-2), away_from_zero(*SHAPES[kind]))


@pytest.mark.parametrize("kind", SHAPES)
def test_reflected_scalar_ops(kind):
    x = away_from_zero(*SHAPES[kind])
    check_grads(lambda a: 2.0 + a, x)
    check_grads(lambda a: 2.0 - a, x)
    check_grads(lambda a: 3.0 * a, x)
    check_grads(lambda a: 3.0 / a, x)
    check_grads(lambda a: 1.7**a, x)
    check_grads(lambda a: -a, x)
    check_grads(lambda a: a * 2 - 1 / (a + 5.0), x)


UNARY = [
    ("exp", lambda a: a.exp(), normal),
    ("log", lambda a: a.log(), positive),
    ("sqrt", lambda a: a.sqrt(), positive),
    ("abs", lambda a: a.abs(), away_from_zero),
    ("tanh", lambda a: a.tanh(), normal),
    ("sigmoid", lambda a: a.sigmoid(), normal),
    ("relu", lambda a: a.relu(), away_from_zero),
    ("leaky_relu", lambda a: a.leaky_relu(), away_from_zero),
    ("leaky_relu_0.2", lambda a: a.leaky_relu(0.2), away_from_zero),
    ("gelu", lambda a: a.gelu(), normal),
    ("gelu_tanh", lambda a: a.gelu(approximate="tanh"), normal),
    ("clip", lambda a: a.clip(-0.25, 0.25), away_from_zero),
    ("clip_min", lambda a: a.clip(min=0.1), away_from_zero),
    ("clip_max", lambda a: a.clip(max=0.1), away_from_zero),
    ("softmax", lambda a: a.softmax(), normal),
    ("log_softmax", lambda a: a.log_softmax(), normal),
]


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("name,fn,make", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops(name, fn, make, kind):
    check_grads(fn, make(*SHAPES[kind]))


def test_softmax_along_other_axes():
    x = normal(2, 3, 4)
    for axis in (0, 1, -1):
        check_grads(lambda a, axis=axis: a.softmax(axis), x)
        check_grads(lambda a, axis=axis: a.log_softmax(dim=axis), x)


REDUCTIONS = [
    ("sum", lambda a, **k: a.sum(**k)),
    ("mean", lambda a, **k: a.mean(**k)),
    ("var", lambda a, **k: a.var(**k)),
    ("std", lambda a, **k: a.std(**k)),
    ("var0", lambda a, **k: a.var(correction=0, **k)),
    ("std_biased", lambda a, **k: a.std(unbiased=False, **k)),
    ("max", lambda a, **k: a.max(**k)),
    ("min", lambda a, **k: a.min(**k)),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("name,fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions(name, fn, axis, keepdims):
    x = normal(2, 3, 4)  # continuous values: no ties
    check_grads(lambda a: fn(a, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name,fn", REDUCTIONS[:3], ids=[r[0] for r in REDUCTIONS[:3]])
def test_reductions_on_vectors_and_scalars(name, fn):
    check_grads(lambda a: fn(a), normal(6))
    check_grads(lambda a: fn(a, dim=0, keepdim=True), normal(6))
    if name != "var":
        check_grads(lambda a: fn(a), normal())


MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4,)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((2, 3, 2, 4), (4, 3)),  # two batch dimensions to sum the right operand's gradient over
    ((3, 2, 4), (1, 4, 5)),  # a size-1 batch dimension stretched on either side
    ((1, 2, 4), (3, 4, 5)),
]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul(shape_a, shape_b):
    check_grads(lambda a, b: a @ b, normal(*shape_a), normal(*shape_b))


MOVEMENT = [
    ("reshape", lambda a: a.reshape(4, 6)),
    ("reshape_-1", lambda a: a.reshape((-1, 2))),
    ("view", lambda a: a.view(24)),
    ("transpose", lambda a: a.transpose(0, 2)),
    ("permute", lambda a: a.permute(2, 0, 1)),
    ("T", lambda a: a.T),
    ("flatten", lambda a: a.flatten()),
    ("flatten_1", lambda a: a.flatten(1)),
    ("unsqueeze", lambda a: a.unsqueeze(1)),
    ("squeeze", lambda a: a.unsqueeze(0).unsqueeze(-1).squeeze()),
    ("squeeze_dim", lambda a: a.unsqueeze(0).squeeze(0)),
    ("expand", lambda a: a[:, :1, :].expand(5, 2, 3, 4)),
    ("expand_-1", lambda a: a[:1].expand(3, -1, -1)),
    ("pad", lambda a: a.pad((1, 2))),
    ("pad_2d", lambda a: a.pad((1, 0, 2, 1), value=3.0)),
    ("pad_crop", lambda a: a.pad((-1, 1, 0, -1))),
    ("getitem_int", lambda a: a[1]),
    ("getitem_slices", lambda a: a[:, 1:3, ::2]),
    ("getitem_none_ellipsis", lambda a: a[None, ..., 1]),
    ("getitem_negative_step", lambda a: a[::-1, :, -1]),
    ("getitem_int_array_repeats", lambda a: a[np.array([0, 1, 0, 0])]),
    ("getitem_int_list_two_axes", lambda a: a[[0, 1, 1], [2, 2, 0]]),
    ("getitem_int_tensor", lambda a: a[:, tg.Tensor(np.array([[2, 2], [0, 1]]))]),
    ("getitem_mask", lambda a: a[a.data > 0]),
    ("getitem_mask_tensor", lambda a: a[tg.Tensor(np.array([True, False]))]),
]


@pytest.mark.parametrize("name,fn", MOVEMENT, ids=[m[0] for m in MOVEMENT])
def test_movement_and_indexing(name, fn):
    check_grads(fn, normal(2, 3, 4))


def test_movement_on_matrix_and_vector():
    check_grads(lambda a: a.T, normal(3, 4))
    check_grads(lambda a: a.transpose(1, 0), normal(3, 4))
    check_grads(lambda a: a.pad((2, 1)), normal(5))
    check_grads(lambda a: a[3], normal(5))
    check_grads(lambda a: a[[1, 1, 4]], normal(5))
    check_grads(lambda a: a.reshape(1, 1), normal())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_repeated_row_indices_accumulate_like_add_at(dtype):
    rng = np.random.default_rng(3)
    table = Tensor(rng.standard_normal((7, 3, 2)).astype(dtype), requires_grad=True)
    rows = rng.integers(-7, 7, 50)  # negative indices and many repeats
    g = rng.standard_normal((50, 3, 2)).astype(dtype)
    table[rows].backward(gradient=g)
    expected = np.zeros((7, 3, 2), dtype=dtype)
    np.add.at(expected, rows, g)
    np.testing.assert_allclose(table.grad, expected, rtol=1e-6)
    vector = Tensor(np.zeros(4), requires_grad=True)
    vector[np.array([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(vector.grad, [0, 3, 0, 1])


def test_cat_and_stack():
    a, b, c = normal(2, 3), normal(4, 3), normal(2, 3)
    check_grads(lambda x, y: tg.cat([x, y], 0), a, b)
    check_grads(lambda x, y: tg.cat([x, y], dim=1), a, c)
    check_grads(lambda x, y: tg.stack([x, y]), a, c)
    check_grads(lambda x, y: tg.stack([x, y, x], dim=-1), a, c)


def test_where():
    cond = RNG.random((3, 4)) > 0.5
    check_grads(lambda x, y: tg.where(cond, x, y), normal(3, 4), normal(4))
    check_grads(lambda x: tg.where(tg.Tensor(cond), x, 0.0), normal(3, 4))
    check_grads(lambda y: tg.where(cond, 1.5, y), normal(3, 1))


def test_composite_expression():
    def mlp(x, w1, b1, w2):
        h = (x @ w1 + b1).tanh()
        return (h @ w2).log_softmax(-1).mean()

    check_grads(mlp, normal(4, 3), normal(3, 5), normal(5), normal(5, 2))


def test_reused_inputs_accumulate():
    check_grads(lambda x: x * x + x.exp() * x - x.sum() * x, normal(3, 2))


def test_max_ties_split_evenly_for_full_reduction():
    x = tg.Tensor(np.array([[1.0, 3.0], [3.0, 3.0]]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0, 1 / 3], [1 / 3, 1 / 3]])


def test_max_along_axis_sends_ties_to_first_index():
    x = tg.Tensor(np.array([[3.0, 3.0, 1.0], [0.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[1, 0, 0], [0, 1, 0]])
    x.grad = None
    x.min(dim=0).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 1], [1, 1, 0]])


def test_maximum_ties_share_the_gradient():
    a = tg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = tg.Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.5, 0, 1])
    np.testing.assert_allclose(b.grad, [0.5, 1, 0])


def test_kink_conventions_match_pytorch():
    x = tg.Tensor(np.array([0.0, 0.0, 1.0]), requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_allclose(x.grad, [0, 0, 2])
    y = tg.Tensor(np.array([-1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    y.clip(0.0, 1.0).sum().backward()
    np.testing.assert_allclose(y.grad, [0, 1, 1, 0])  # bounds included
    z = tg.Tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    z.leaky_relu(0.2).sum().backward()
    np.testing.assert_allclose(z.grad, [0.2, 0.2, 1])  # x > 0 ? 1 : slope, so slope at 0


def test_pow_edge_cases_follow_pytorch():
    x = tg.Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_allclose(x.grad, [0, 0])
    base = tg.Tensor(np.array([0.0, 2.0]), requires_grad=True)
    exponent = tg.Tensor(np.array([2.0, 3.0]), requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8 * np.log(2.0)])
    np.testing.assert_allclose(base.grad, [0.0, 12.0])


def test_pow_at_zero_to_the_zero_follows_pytorch():
    """0 ** 0 with a tensor exponent: PyTorch takes the base gradient exponent * base **
    (exponent - 1) as 0 where exponent == 0 (not 0 * inf = NaN), and the exponent gradient
    out * log(base) as 0 where base == 0 and exponent >= 0 (not 1 * -inf)."""
    base = tg.Tensor(np.array([0.0, 2.0, 0.0]), requires_grad=True)
    exponent = tg.Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    out = base**exponent
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(base.grad, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(exponent.grad, [0.0, np.log(2.0), 0.0], rtol=1e-15)


def test_max_over_several_axes_shares_ties_within_each_slice():
    """As torch.amax: a slice's gradient is split evenly between its tied extremes."""
    a = np.array([[[1.0, 4.0], [4.0, 2.0]], [[5.0, 0.0], [1.0, 5.0]], [[3.0, 3.0], [3.0, 3.0]]])
    for keepdims in (False, True):
        x = tg.Tensor(a, requires_grad=True)
        g = np.array([2.0, 6.0, 8.0]).reshape((3, 1, 1) if keepdims else (3,))
        x.max(axis=(1, 2), keepdims=keepdims).backward(gradient=g)
        expected = [[[0, 1], [1, 0]], [[3, 0], [0, 3]], [[2, 2], [2, 2]]]
        np.testing.assert_allclose(x.grad, expected, rtol=1e-15)
    y = tg.Tensor(-a, requires_grad=True)
    y.min(dim=(2, 1)).sum().backward()
    np.testing.assert_allclose(
        y.grad, [[[0, 0.5], [0.5, 0]], [[0.5, 0], [0, 0.5]], [[0.25] * 2] * 2], rtol=1e-15
    )


# ------------------------------------------------------------ property tests: broadcasting
BINARY_FNS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": tg.maximum,
}


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(BINARY_FNS)),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_gradients_match_finite_differences(shapes, op, seed):
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a = rng.standard_normal(shape_a)
    b = rng.standard_normal(shape_b)
    out = BINARY_FNS[op](Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    check_grads(BINARY_FNS[op], a, b, seed=seed)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_broadcast_gradient_equals_sum_over_broadcast_axes(shapes, seed):
    """d(sum(a * b))/da is b broadcast to the result and summed back to a's shape."""
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a = Tensor(rng.standard_normal(shape_a), requires_grad=True)
    b = Tensor(rng.standard_normal(shape_b), requires_grad=True)
    (a * b).sum().backward()
    full_b = np.broadcast_to(b.data, shapes.result_shape)
    lead = len(shapes.result_shape) - len(shape_a)
    expected = full_b.sum(axis=tuple(range(lead))) if lead else full_b
    expected = expected.sum(
        axis=tuple(i for i, n in enumerate(shape_a) if n == 1), keepdims=True
    ).reshape(shape_a)
    np.testing.assert_allclose(a.grad, expected, rtol=1e-12, atol=1e-12)
    assert b.grad.shape == shape_b


def test_std_of_constant_input_has_zero_gradient():
    """d std = d var / (2 std) is 0/0 where std == 0; PyTorch takes it as 0 (its std backward
    masks result == 0), so a constant slice does not poison the gradient with NaN."""
    x = tg.Tensor(np.array([[3.0, 3.0, 3.0], [1.0, 2.0, 6.0]]), requires_grad=True)
    x.std(dim=1, correction=0).sum().backward()
    row = np.array([1.0, 2.0, 6.0])  # d/dx sqrt(mean((x - m)^2)) = (x - m) / (n std)
    expected_row = (row - row.mean()) / (3 * row.std())
    np.testing.assert_allclose(x.grad, [[0.0, 0.0, 0.0], expected_row], rtol=1e-12)
    y = tg.Tensor(np.array([2.5]), requires_grad=True)  # one element, correction 0: std 0
    y.std(correction=0).backward()
    np.testing.assert_array_equal(y.grad, [0.0])


def test_full_max_min_with_nan_share_the_gradient_between_the_nans():
    """As PyTorch: max() of a tensor holding NaN is NaN, and its gradient is split evenly
    between the NaN elements (not NaN everywhere)."""
    a = np.array([[np.nan, 1.0], [np.nan, 3.0]])
    for reduce in (lambda t: t.max(), lambda t: t.min()):
        x = tg.Tensor(a, requires_grad=True)
        out = reduce(x)
        assert np.isnan(out.item())
        out.backward()
        np.testing.assert_array_equal(x.grad, [[0.5, 0.0], [0.5, 0.0]])


def test_maximum_minimum_with_nan_pass_the_gradient_to_both_inputs():
    """As PyTorch: an input gets the gradient unless it is strictly beaten (half of it at a
    tie); NaN compares false, so both inputs of a NaN result get all of it."""
    for fn in (tg.maximum, tg.minimum):
        a = tg.Tensor(np.array([np.nan, 1.0, 2.0]), requires_grad=True)
        b = tg.Tensor(np.array([1.0, np.nan, 2.0]), requires_grad=True)
        fn(a, b).sum().backward()
        np.testing.assert_array_equal(a.grad, [1.0, 1.0, 0.5])
        np.testing.assert_array_equal(b.grad, [1.0, 1.0, 0.5])


def test_clip_with_tensor_bounds_sends_the_gradient_to_the_bound_that_is_the_result():
    """Each output element equals x, min or max; the gradient goes to that one (as
    torch.clamp; with min > max the result is max). Bounds broadcast like x."""
    x = tg.Tensor(np.array([-1.0, 0.5, 2.0, 0.5]), requires_grad=True)
    lo = tg.Tensor(np.array([0.0, 0.0, 0.0, 1.0]), requires_grad=True)
    hi = tg.Tensor(np.array([1.0, 1.0, 1.0, 0.0]), requires_grad=True)
    out = x.clip(lo, hi)
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.5, 1.0, 0.0])
    out.backward(gradient=np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(lo.grad, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi.grad, [0.0, 0.0, 3.0, 4.0])
    floor = tg.Tensor(np.array([0.0]), requires_grad=True)  # one bound broadcast over x
    x.clamp(min=floor).sum().backward()
    np.testing.assert_array_equal(floor.grad, [1.0])  # only x[0] = -1 is below it
