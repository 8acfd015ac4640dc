"""Regressions from a review of `create_graph=True`: softplus's curvature on an all-zero
input, gradgradcheck checking the create_graph rules against independent values, and
materialized gradients under create_graph; plus Hessian-vector products of edge cases
(negative and tuple dims, scalars on the left, repeated indices, joins on the last dim)
against central finite differences in float64 of first-order gradients."""

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, autograd
from tinygrad_opt import higher_order as ho
from tinygrad_opt.autograd import gradgradcheck
from tinygrad_opt.ops import unary


def _second_diagonal(f, x0: np.ndarray) -> np.ndarray:
    """d2/dx2 of the elementwise f at x0, by two autograd.grad calls."""
    x = Tensor(x0, dtype=x0.dtype, requires_grad=True)
    (g,) = autograd.grad(f(x).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    return h.data


@pytest.mark.parametrize("beta", [2.0, 0.5, -1.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_curvature_on_an_all_zero_input(beta, dtype):
    # d2/dx2 log(1 + exp(beta x)) / beta = beta s (1 - s), s = sigmoid(beta x): beta / 4 at 0
    # (the rule once took beta as 1 when no element of x was nonzero)
    h = _second_diagonal(lambda x: F.softplus(x, beta=beta), np.zeros(3, dtype=dtype))
    assert h.dtype == dtype
    np.testing.assert_allclose(h, np.full(3, beta / 4), rtol=1e-6)


def test_softplus_beta_survives_an_overflowing_element():
    # beta x overflows to inf in float32 at the first element (linear there); the rule once
    # read beta off that element as inf, so the other elements' gradients became g itself
    x0 = np.array([3e37, 0.05, -0.07], dtype=np.float32)
    beta = 30.0
    x = Tensor(x0, requires_grad=True)
    with np.errstate(over="ignore"):
        (g,) = autograd.grad(F.softplus(x, beta=beta).sum(), x, create_graph=True)
        (h,) = autograd.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-beta * x0[1:].astype(np.float64)))
    np.testing.assert_allclose(g.data, np.r_[1.0, s], rtol=1e-5)
    np.testing.assert_allclose(h.data, np.r_[0.0, beta * s * (1 - s)], rtol=1e-4)


def test_softplus_all_zero_input_beyond_the_threshold_is_linear():
    # beta x = 0 > threshold = -1: softplus is x itself there, so no curvature (and no NaN)
    h = _second_diagonal(lambda x: F.softplus(x, beta=2.0, threshold=-1.0) * x, np.zeros(3))
    np.testing.assert_array_equal(h, np.full(3, 2.0))  # d2/dx2 x * x


def test_scalar_base_power_with_a_zero_or_negative_base():
    # the rule once called math.log(base), a ValueError for these bases
    x0 = np.array([0.5, 1.0, 2.0])
    x = Tensor(x0, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (g,) = autograd.grad((0.0**x * x).sum(), x, create_graph=True)
        (h,) = autograd.grad(g.sum(), x)
    # 0 ** x = 0 for x > 0: flat, so both derivatives are 0
    np.testing.assert_array_equal(g.data, np.zeros(3))
    np.testing.assert_array_equal(h.data, np.zeros(3))
    x = Tensor(x0, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (g,) = autograd.grad(((-2.0) ** x).sum(), x, create_graph=True)
        (h,) = autograd.grad(g.sum(), x)
    # no real logarithm of -2: NaN, as the first-order rule gives
    assert np.isnan(g.data).all() and np.isnan(h.data).all()


@pytest.mark.parametrize("dim", [None, 0])
def test_std_of_a_constant_slice_adds_no_nan_one_order_up(dim):
    # std passes a zero gradient where it is 0 (as torch); its rule once took sqrt' at 0
    # (inf) inside the graph, so the second derivative of the whole sum became NaN
    x0 = np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]])
    x = Tensor(x0, requires_grad=True)
    constant = x * 0 + 1
    y = (constant.std(dim) ** 2).sum() + (x**3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.data, 3 * x0**2)
    np.testing.assert_allclose(h.data, 6 * x0)


@pytest.mark.parametrize("loss", ["cross_entropy", "cross_entropy_smoothed", "nll_loss", "kdim"])
def test_mean_loss_with_every_target_ignored_has_zero_gradients(loss):
    # 'mean' divides by the summed weight, 0 here: the first-order rules give ignored rows a
    # zero gradient (as torch); the create_graph rule once gave 0 * inf = NaN
    x0 = np.array([[0.2, -0.3, 0.5], [0.1, 0.4, -0.6]])
    x = Tensor(x0, requires_grad=True)
    ignored = np.array([-100, -100])
    with np.errstate(invalid="ignore", divide="ignore"):
        if loss == "cross_entropy":
            y = F.cross_entropy(x * x, ignored)
        elif loss == "cross_entropy_smoothed":
            y = F.cross_entropy(x * x, ignored, label_smoothing=0.3)
        elif loss == "nll_loss":
            y = F.nll_loss((x * x).log_softmax(1), ignored)
        else:
            y = F.cross_entropy((x * x).reshape(1, 3, 2), ignored.reshape(1, 2))
        (g,) = autograd.grad(y, x, create_graph=True)
        np.testing.assert_array_equal(g.data, np.zeros((2, 3)))
        if g.requires_grad:
            (h,) = autograd.grad(g.sum(), x, allow_unused=True, materialize_grads=True)
            np.testing.assert_array_equal(h.data, np.zeros((2, 3)))


def _sin_rule_code():
    ho._load_rules()
    return next(c for c in unary.sin.__code__.co_consts if getattr(c, "co_name", "") == "<lambda>")


def test_gradgradcheck_catches_a_rule_with_wrong_values(monkeypatch):
    x = Tensor(np.array([0.3, -0.8, 1.1]), requires_grad=True)
    assert gradgradcheck(lambda t: t.sin(), (x,))
    # 1% off, yet differentiated consistently: the finite differences of the create_graph
    # gradients would agree with it, those of the first-order gradients do not
    monkeypatch.setitem(ho._RULES, _sin_rule_code(),
                        lambda g, p, s: (g * unary.cos(p[0]) * 1.01,))  # fmt: skip
    assert not gradgradcheck(lambda t: t.sin(), (x,), raise_exception=False)
    with pytest.raises(autograd.GradcheckError):
        gradgradcheck(lambda t: t.sin(), (x,))


def test_materialized_gradients_require_grad_under_create_graph():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    unused = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    gx, gu = autograd.grad((x**3).sum(), [x, unused], create_graph=True, materialize_grads=True)
    np.testing.assert_array_equal(gu.data, np.zeros(3))
    assert gu.requires_grad and gx.requires_grad  # as torch: every result can be differentiated
    (h,) = autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)
    _, plain = autograd.grad((x**3).sum(), [x, unused], materialize_grads=True)
    assert not plain.requires_grad


# ------------------------------------------------- Hessian-vector products of edge cases
REPEATED = np.array([0, 0, 2, 0])
EDGE_CASES = {
    "scalar_left": lambda x: (2.0 / (x * x + 1)).sum() + ((1 - x) ** 3).sum() + (3.0**x).sum()
    + ((x - 1) * (2 * x)).sum() + (0.5**x * x).sum(),
    "negative_dims": lambda x: (x.sum(-1, keepdim=True) ** 3).sum() + (x.mean((0, -1)) ** 3).sum()
    + (x.var(-1) ** 2).sum() + (x.std((0, -1), keepdim=True) ** 3).sum()
    + (x.amax(-1) ** 3).sum() + (x.cumsum(-1) ** 3).sum(),
    "last_dim_joins": lambda x: (tg.cat([x, x * x], -1) ** 3).sum()
    + (tg.stack([x, x.sin()], -1) ** 3).sum() + (tg.stack([x, x], 1) * x[:, None]).sum(),
    "repeated_and_stepped_indices": lambda x: (x[REPEATED] ** 3).sum()
    + (x[::-1, ::2] ** 3).sum() + (x.index_select(-1, np.array([3, 3, 0])) ** 3).sum()
    + (x.gather(-1, np.array([[0, 0], [3, 3], [1, 1]])) ** 3).sum(),
    "softmax_on_dims": lambda x: (x.softmax(-1) ** 2 * x).sum() + (x.log_softmax(0) ** 2).sum(),
    "losses_none": lambda x: (F.cross_entropy(x * x, np.array([1, 3, -100]), reduction="none",
                                              label_smoothing=0.2) ** 2).sum()
    + (F.smooth_l1_loss(x * x, x.sin(), reduction="none") ** 2).sum(),
}


def _first_order(f, x0: np.ndarray) -> np.ndarray:
    x = Tensor(x0.copy(), requires_grad=True)
    f(x).backward()
    return x.grad


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_case_hessian_vector_products_match_finite_differences(name):
    f = EDGE_CASES[name]
    rng = np.random.default_rng(7)
    x0 = rng.normal(size=(3, 4)) * 0.8 + 0.05
    v = rng.normal(size=(3, 4))
    x = Tensor(x0.copy(), requires_grad=True)
    (g,) = autograd.grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(g.data, _first_order(f, x0), rtol=1e-12, atol=1e-12)
    (hv,) = autograd.grad(g, x, grad_outputs=Tensor(v))
    eps = 1e-6
    numeric = (_first_order(f, x0 + eps * v) - _first_order(f, x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------- freed graphs never drop a path
def test_grad_after_a_second_order_pass_freed_the_graph_raises():
    # grad(g.sum(), x) frees the forward nodes it runs through (exp's among them); a later
    # grad(y, x) once skipped them silently and returned only the other path's e^x part
    x = Tensor(np.array([0.3, 0.5]), requires_grad=True)
    y = (x.exp() * x).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, np.exp(x.data) * (1 + x.data))
    autograd.grad(g.sum(), x)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)


def test_create_graph_without_retain_graph_then_differentiating_again_raises():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    inner = x * x
    (g,) = autograd.grad((inner.exp() * x).sum(), x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(g.sum(), x)  # once: the path through inner's freed node was dropped


def test_first_order_grad_through_a_freed_node_raises_and_unrelated_graphs_still_work():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad((y + x).sum(), x)  # once 1 (the y path dropped) instead of 2x + 1
    (g,) = autograd.grad((x * 3.0).sum(), x)  # a new graph that does not reach y
    np.testing.assert_array_equal(g.data, [3.0, 3.0])
