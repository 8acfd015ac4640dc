"""In-place elementwise math methods (tinygrad_opt/ops/in_place_math.py): x.exp_(), ..."""

import math

import numpy as np
import pytest

import tinygrad_opt as tg


def _data():
    return np.random.default_rng(0).uniform(0.1, 0.9, (3, 4))


@pytest.mark.parametrize(
    "name, reference",
    [
        ("exp", np.exp),
        ("log", np.log),
        ("sqrt", np.sqrt),
        ("rsqrt", lambda a: 1.0 / np.sqrt(a)),
        ("sigmoid", lambda a: 1.0 / (1.0 + np.exp(-a))),
        ("tanh", np.tanh),
        ("neg", np.negative),
        ("reciprocal", lambda a: 1.0 / a),
        ("square", lambda a: a * a),
        ("asin", np.arcsin),
        ("erf", np.vectorize(math.erf)),
    ],
)
def test_unary_forms_write_the_result_into_the_same_array(name, reference):
    a = _data()
    x = tg.tensor(a.copy())
    view = x.view(12)
    out = getattr(x, name + "_")()
    assert out is x
    np.testing.assert_allclose(x.numpy(), reference(a), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(view.numpy(), x.numpy().ravel())  # the view sees it


def test_relu_round_and_the_binary_forms_against_numpy():
    a = _data() - 0.5
    x = tg.tensor(a.copy())
    x.relu_()
    np.testing.assert_array_equal(x.numpy(), np.where(a > 0, a, 0.0))
    r = tg.tensor(np.array([1.26, -2.34, 0.75]))
    r.round_(decimals=1)
    np.testing.assert_allclose(r.numpy(), [1.3, -2.3, 0.8], rtol=1e-15)
    b = np.array([0.5, 2.0, 3.0, 1.5])  # broadcast over the rows
    base = _data()
    for name, reference in [("pow", np.power(base, b)), ("fmod", np.fmod(base, b)),
                            ("atan2", np.arctan2(base, b)), ("hypot", np.hypot(base, b)),
                            ("true_divide", base / b)]:
        x = tg.tensor(base.copy())
        assert getattr(x, name + "_")(tg.tensor(b)) is x
        np.testing.assert_allclose(x.numpy(), reference, rtol=1e-14, err_msg=name)
    x = tg.tensor(base.copy())
    x.lerp_(tg.tensor(b), 0.25)
    np.testing.assert_allclose(x.numpy(), base + 0.25 * (b - base), rtol=1e-14)


# the forms port2's audit found missing (torch tutorials call them)
UNARY = (
    "abs acos asin atan ceil cos cosh erf exp exp2 expm1 floor frac log log10 log1p log2 neg "
    "reciprocal relu round rsqrt sigmoid sign sin sinh sqrt square tan tanh trunc nan_to_num"
).split()
BINARY = "pow lerp fmod remainder atan2 hypot floor_divide".split()


def test_every_listed_form_exists():
    for name in UNARY + BINARY:
        assert callable(getattr(tg.Tensor, name + "_")), name


def test_refused_on_a_tensor_that_requires_grad_and_allowed_under_no_grad():
    a = _data()
    w = tg.tensor(a.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_"):
        w.exp_()
    np.testing.assert_array_equal(w.numpy(), a)  # unchanged
    h = w * 2.0
    with pytest.raises(RuntimeError, match="sqrt_"):
        h.sqrt_()
    np.testing.assert_array_equal(h.numpy(), 2.0 * a)
    with pytest.raises(RuntimeError, match="pow_"):
        tg.tensor(a.copy()).pow_(w)
    with tg.no_grad():
        w.clamp_(0.2, 0.8).sqrt_()
    np.testing.assert_allclose(w.numpy(), np.sqrt(np.clip(a, 0.2, 0.8)), rtol=1e-15)


def test_bad_dtype_raises_and_leaves_the_tensor_unchanged():
    x = tg.tensor(np.array([4, 9]))
    with pytest.raises(TypeError, match="sqrt_.*int64"):
        x.sqrt_()
    np.testing.assert_array_equal(x.numpy(), [4, 9])


def test_an_op_that_used_the_tensor_refuses_to_backpropagate():
    w = tg.tensor(_data(), requires_grad=True)
    x = tg.tensor(_data())
    y = (w * x).sum()  # mul saved x's array for w's gradient
    x.exp_()
    with pytest.raises(RuntimeError):
        y.backward()


def test_the_refusal_on_a_computed_tensor_names_the_out_of_place_rewrite():
    w = tg.tensor(_data(), requires_grad=True)
    for op, rewrite in [("div_", "x = x.div("), ("clamp_", "x = x.clamp("),
                        ("exp_", "x = x.exp("), ("masked_fill_", "x = x.masked_fill(")]:
        h = w * 2.0
        args = {"div_": (255.0,), "clamp_": (0.0, 1.0), "masked_fill_": (h > 1.0, 0.0)}
        with pytest.raises(RuntimeError, match=rf"{op}: .*{rewrite.replace('(', '[(]')}"):
            getattr(h, op)(*args.get(op, ()))
    with pytest.raises(RuntimeError, match="zeros_like"):
        (w * 2.0).zero_()  # a fill: the way out is a new tensor
