"""Higher-order gradients (`create_graph=True`): second and third derivatives against closed
forms, Hessians against numpy formulas, Hessian-vector products and gradient penalties
against central finite differences in float64 of first-order gradients."""

import numpy as np
import pytest
from finite_differences import central_differences

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, autograd, nn
from tinygrad_opt.autograd_functional import hessian, hvp, jacobian, jvp, vhp, vjp
from tinygrad_opt.higher_order import covered_ops


def leaf(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def second(f, x: Tensor) -> np.ndarray:
    """The diagonal d2/dx2 of the elementwise f, by two autograd.grad calls."""
    (g,) = autograd.grad(f(x).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = autograd.grad(g.sum(), x)
    return h.data


def fd_grad(f, arrays: list[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """Central finite differences of the scalar f(*arrays) (float64)."""
    return [central_differences(f, a, eps) for a in arrays]


# ----------------------------------------------------------------- closed-form derivatives
X = np.array([0.3, -0.7, 1.2, 2.1])
POSITIVE = np.array([0.3, 0.7, 1.2, 2.1])
CLOSED_FORMS = [
    ("cube", lambda x: x**3, lambda a: 6 * a, X),
    ("sin", lambda x: x.sin(), lambda a: -np.sin(a), X),
    ("cos", lambda x: x.cos(), lambda a: -np.cos(a), X),
    ("exp", lambda x: x.exp(), np.exp, X),
    ("log", lambda x: x.log(), lambda a: -1 / a**2, POSITIVE),
    ("sqrt", lambda x: x.sqrt(), lambda a: -0.25 * a**-1.5, POSITIVE),
    ("rsqrt", lambda x: x.rsqrt(), lambda a: 0.75 * a**-2.5, POSITIVE),
    ("reciprocal", lambda x: x.reciprocal(), lambda a: 2 / a**3, POSITIVE),
    ("div", lambda x: 3.0 / x, lambda a: 6 / a**3, POSITIVE),
    ("tanh", lambda x: x.tanh(), lambda a: -2 * np.tanh(a) * (1 - np.tanh(a) ** 2), X),
    ("F.tanh", F.tanh, lambda a: -2 * np.tanh(a) * (1 - np.tanh(a) ** 2), X),
    ("sigmoid", lambda x: x.sigmoid(),
     lambda a: (s := 1 / (1 + np.exp(-a))) * (1 - s) * (1 - 2 * s), X),
    ("F.sigmoid", F.sigmoid, lambda a: (s := 1 / (1 + np.exp(-a))) * (1 - s) * (1 - 2 * s), X),
    ("square", lambda x: x.square(), lambda a: 2 + 0 * a, X),
    ("pow_tensor", lambda x: x ** Tensor(np.full(4, 2.5)), lambda a: 3.75 * a**0.5, POSITIVE),
    ("rpow", lambda x: 2.0**x, lambda a: np.log(2) ** 2 * 2**a, X),
    ("relu", lambda x: x.relu() * x, lambda a: 2.0 * (a > 0), X),
    ("abs", lambda x: x.abs() * x, lambda a: 2 * np.sign(a), X),
    ("softplus", F.softplus, lambda a: (s := 1 / (1 + np.exp(-a))) * (1 - s), X),
    ("silu", F.silu, lambda a: (s := 1 / (1 + np.exp(-a))) * (2 + a * (1 - 2 * s)) * (1 - s), X),
    ("elu", lambda x: F.elu(x, 1.5), lambda a: np.where(a > 0, 0, 1.5 * np.exp(a)), X),
]


@pytest.mark.parametrize("name,f,d2,at", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_second_derivative_closed_form(name, f, d2, at):
    x = leaf(at)
    np.testing.assert_allclose(second(f, x), d2(at), rtol=1e-10, atol=1e-12)


def test_second_derivative_through_a_dtype_cast():
    x = leaf([0.5, -1.5])
    np.testing.assert_allclose(second(lambda t: t.astype(np.float32) ** 3, x), 6 * x.data,
                               rtol=1e-6)  # fmt: skip


def test_cross_terms_of_exp_x_times_y():
    # f = exp(x) y^2: f_xx = exp(x) y^2, f_xy = 2 exp(x) y, f_yy = 2 exp(x)
    x, y = leaf([0.4, -1.1]), leaf([1.5, 0.2])
    gx, gy = autograd.grad((x.exp() * y * y).sum(), (x, y), create_graph=True)
    hxx, hxy = autograd.grad(gx.sum(), (x, y), retain_graph=True)
    hyx, hyy = autograd.grad(gy.sum(), (x, y))
    e, b = np.exp(x.data), y.data
    np.testing.assert_allclose(hxx.data, e * b * b, rtol=1e-12)
    np.testing.assert_allclose(hxy.data, 2 * e * b, rtol=1e-12)
    np.testing.assert_allclose(hyx.data, 2 * e * b, rtol=1e-12)
    np.testing.assert_allclose(hyy.data, 2 * e, rtol=1e-12)


def test_third_derivatives():
    x = leaf([0.5, -0.8, 1.3])
    f = (x**5).sum() + x.tanh().sum()
    (g1,) = autograd.grad(f, x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = autograd.grad(g2.sum(), x)
    t = np.tanh(x.data)
    np.testing.assert_allclose(g3.data, 60 * x.data**2 + (1 - t * t) * (6 * t * t - 2),
                               rtol=1e-10)  # fmt: skip


def test_gradgrad_values_match_first_order():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3))
    model.double()
    x = Tensor(rng.normal(size=(5, 3)))
    y = np.array([0, 2, 1, 1, 0])
    params = list(model.parameters())
    first = autograd.grad(F.cross_entropy(model(x), y), params)
    graph = autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
    for a, b in zip(first, graph):
        assert b.requires_grad
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------ Hessians
def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4))
    x = Tensor(rng.normal(size=4))
    h = hessian(lambda v: (v * (Tensor(a) @ v)).sum(), x)
    np.testing.assert_allclose(h.data, a + a.T, rtol=1e-12)


def test_hessian_of_logistic_loss():
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(7, 3))
    labels = (rng.random(7) > 0.5).astype(np.float64)
    w = Tensor(rng.normal(size=3))

    def loss(v):
        return F.binary_cross_entropy_with_logits(Tensor(xs) @ v, labels, reduction="sum")

    p = 1 / (1 + np.exp(-xs @ w.data))
    expected = xs.T @ np.diag(p * (1 - p)) @ xs
    np.testing.assert_allclose(hessian(loss, w).data, expected, rtol=1e-10)
    # the same through sigmoid and log by hand
    def manual(v):
        s = (Tensor(xs) @ v).sigmoid()
        return -(Tensor(labels) * s.log() + (1 - Tensor(labels)) * (1 - s).log()).sum()

    np.testing.assert_allclose(hessian(manual, w).data, expected, rtol=1e-8)


def test_hessian_of_two_inputs():
    a, b = Tensor(np.array([0.3, -0.4])), Tensor(np.array([1.2, 0.7]))
    h = hessian(lambda u, v: (u * u * v).sum() + (u.exp() * v).sum(), (a, b))
    np.testing.assert_allclose(h[0][0].data, np.diag(2 * b.data + np.exp(a.data) * b.data))
    np.testing.assert_allclose(h[0][1].data, np.diag(2 * a.data + np.exp(a.data)))
    np.testing.assert_allclose(h[1][0].data, np.diag(2 * a.data + np.exp(a.data)))
    np.testing.assert_allclose(h[1][1].data, np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="single element"):
        hessian(lambda u: u * 2.0, a)


def _seeded_dropout(x: Tensor) -> Tensor:
    tg.manual_seed(0)  # the same mask at every call, so finite differences see one function
    return (F.dropout(x * x, 0.5, training=True) ** 2).sum()


# the ops a Hessian-vector product is checked through (each scalar, float64)
W = np.random.default_rng(3).normal(size=(4, 3))
TARGET = np.random.default_rng(4).normal(size=(2, 3))
PROBS = np.random.default_rng(5).uniform(0.1, 0.9, size=(2, 3))
HVP_FUNCTIONS = {
    "matmul_tanh": lambda x: (Tensor(W) @ x.reshape(3, 2)).tanh().sum(),
    "matmul_1d": lambda x: x.reshape(-1)[:4] @ Tensor(W) @ x.reshape(3, 2)[:, 0]
    + (x @ x.reshape(-1)[:3]).sum(),
    "bmm": lambda x: (tg.bmm(Tensor(W[:2, None, :]) * x.reshape(2, 3, 1), x.reshape(2, 3, 1)) ** 2
                      ).sum(),
    "linear_gelu": lambda x: F.gelu(F.linear(x, Tensor(W[:2, :3]), Tensor([0.1, -0.2]))).sum(),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh").sum() + x.gelu(approximate="tanh").sum(),
    "gelu_method": lambda x: x.gelu().sum(),
    "softmax": lambda x: (x.softmax(-1) * Tensor(TARGET)).sum() + (F.softmax(x, 0) ** 2).sum(),
    "log_softmax": lambda x: (x.log_softmax(1) * Tensor(TARGET)).sum()
    + (F.log_softmax(x, 0) ** 2).sum(),
    "broadcast": lambda x: ((x + x[0]) * (x - x[:, :1]) / (x * x + 1.0)).sum(),
    "reductions": lambda x: (x.sum(0) ** 2).sum() + (x.mean(1, keepdim=True) ** 3).sum()
    + x.var(1).sum() + x.std() + x.max(1).sum() * x.sum() + x.amax(dim=(0, 1)) ** 2,
    "max_all": lambda x: x.max() * x.sum() + x.min(0).exp().sum(),
    "shapes": lambda x: (x.T @ x.permute(0, 1).transpose(0, 1).T).sum()
    + (x.flatten().unsqueeze(0).squeeze(0).view(3, 2) ** 2).sum()
    + (x.expand(2, 2, 3) * x.reshape(1, 2, 3)).sum() + (x.contiguous() ** 3).sum(),
    "indexing": lambda x: (x[1] ** 2).sum() + (x[:, 1:] ** 3).sum()
    + (x[np.array([0, 0, 1])] ** 2).sum() + (x.pad((1, 1)) ** 2).sum(),
    "join": lambda x: (tg.cat([x, x * x], 1) ** 2).sum() + (tg.stack([x, x.exp()], 0) ** 2).sum(),
    "select": lambda x: (tg.where(x.data > 0, x * x, x * 3.0) * x).sum()
    + (tg.maximum(x, x * x) * x).sum() + (tg.minimum(x, 0.5) * x).sum()
    + (x.clamp(-0.5, 0.5) * x).sum() + (F.leaky_relu(x, 0.2) * x).sum()
    + (x.leaky_relu(0.1) * x).sum() + (F.hardtanh(x) * x).sum(),
    "gather_index_select": lambda x: (x.gather(1, np.array([[0, 0], [2, 1]])) ** 3).sum()
    + (x.index_select(1, np.array([2, 0, 2])) ** 3).sum(),
    "dropout": lambda x: _seeded_dropout(x),
    "split_cumsum_min": lambda x: (x.split(1, 1)[2] ** 3).sum() + (x.chunk(2, 0)[1] ** 3).sum()
    + (x.cumsum(1) ** 3).sum() + x.min(1).sum() * x.sum() + x.amin(0).exp().sum(),
    "selu_celu": lambda x: F.selu(x).sum() + F.celu(x, 0.7).sum() + F.elu(x * 3.0).sum(),
    "unfold_fold": lambda x: (F.unfold(x.reshape(1, 1, 2, 3), 2) ** 3).sum()
    + (F.fold(x.reshape(1, 3, 2), (2, 3), (1, 3)) ** 3).sum(),
    "masked_fill": lambda x: (x.masked_fill(Tensor(x.data > 0.5), 0.0) ** 2).sum(),
    "mse_l1": lambda x: F.mse_loss(x * x, TARGET) + F.l1_loss(x * x, Tensor(TARGET))
    + F.mse_loss(x, x * 0.5, reduction="sum"),
    "smooth_l1_huber": lambda x: F.smooth_l1_loss(x * x, TARGET, beta=0.5)
    + F.huber_loss(x * x, TARGET, delta=0.7, reduction="sum"),
    "cross_entropy": lambda x: F.cross_entropy(x * x, np.array([2, 0]))
    + F.cross_entropy(x, np.array([1, -100]), label_smoothing=0.2, weight=np.array([1.0, 2, 3]))
    + F.cross_entropy(x * x, PROBS, reduction="sum", label_smoothing=0.1),
    "cross_entropy_soft_target": lambda x: F.cross_entropy(Tensor(TARGET), x.softmax(1)),
    "nll": lambda x: F.nll_loss(x.log_softmax(1), np.array([2, 1]), reduction="sum")
    + F.nll_loss(x.log_softmax(1), np.array([0, 1]), weight=np.array([0.5, 1, 2])),
    "bce": lambda x: F.binary_cross_entropy(x.sigmoid(), PROBS)
    + F.binary_cross_entropy(Tensor(PROBS), x.sigmoid(), weight=np.array([1.0, 2, 3])),
    "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x * x, PROBS, reduction="sum")
    + F.binary_cross_entropy_with_logits(x, x.sigmoid(), pos_weight=np.array([1.0, 2, 0.5])),
    "erf_sinh": lambda x: (tg.erf(x) * x).sum() + x.sinh().sum() + x.cosh().sum()
    + x.atan().sum(),
}


@pytest.mark.parametrize("name", list(HVP_FUNCTIONS))
def test_hessian_vector_product_matches_finite_differences(name):
    f = HVP_FUNCTIONS[name]
    rng = np.random.default_rng(6)
    x0 = rng.normal(size=(2, 3)) * 0.8 + 0.05
    v = rng.normal(size=(2, 3))
    value, product = hvp(f, Tensor(x0), Tensor(v))
    first = vjp(f, Tensor(x0))[1].data
    # create_graph gives the first-order gradient unchanged
    x = leaf(x0)
    (g,) = autograd.grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(g.data, first, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    plus = vjp(f, Tensor(x0 + eps * v))[1].data
    minus = vjp(f, Tensor(x0 - eps * v))[1].data
    np.testing.assert_allclose(product.data, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(value.data, f(Tensor(x0)).data)


# ------------------------------------------------------------------ gradient penalties
def test_gradient_penalty_through_mlp_matches_finite_differences():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1))
    model.double()
    params = list(model.parameters())
    xs = np.random.default_rng(7).normal(size=(6, 3))

    def penalty() -> Tensor:
        x = Tensor(xs, requires_grad=True)
        (gx,) = autograd.grad(model(x).sum(), x, create_graph=True)
        return (((gx * gx).sum(1).sqrt() - 1) ** 2).mean()  # WGAN-GP

    grads = autograd.grad(penalty(), params, allow_unused=True)
    expected = fd_grad(lambda: penalty().item(), [p.data for p in params])
    assert grads[-1] is None  # the last bias does not change d model / dx
    for g, e in zip(grads[:-1], expected[:-1]):
        np.testing.assert_allclose(g.data, e, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(expected[-1], 0, atol=1e-8)
    # backward() accumulates the same into .grad, as graph tensors
    model.zero_grad()
    penalty().backward(create_graph=True)
    np.testing.assert_allclose(params[0].grad.data, grads[0].data, rtol=1e-12)
    assert isinstance(params[0].grad, Tensor) and params[0].grad.requires_grad


def test_gradient_penalty_through_conv_net_matches_finite_differences():
    tg.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.Tanh(),
        nn.Conv2d(4, 3, 1), nn.Flatten(), nn.Linear(27, 3),
    )  # fmt: skip
    model.double()
    params = list(model.parameters())
    xs = np.random.default_rng(8).normal(size=(2, 2, 5, 5))
    labels = np.array([1, 2])

    def penalty() -> Tensor:
        x = Tensor(xs, requires_grad=True)
        (gx,) = autograd.grad(F.cross_entropy(model(x), labels), x, create_graph=True)
        return (gx * gx).sum()

    grads = autograd.grad(penalty(), params, materialize_grads=True)
    expected = fd_grad(lambda: penalty().item(), [p.data for p in params])
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.data, e, rtol=1e-5, atol=1e-8)


def test_conv_routes_and_unbatched_input_second_order():
    rng = np.random.default_rng(9)
    w = rng.normal(size=(4, 2, 3, 3))
    for kwargs in ({}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": 2},
                   {"groups": 2}, {"padding": 1, "groups": 2}):  # fmt: skip
        weights = w if "groups" not in kwargs else w[:, :1]
        x0 = rng.normal(size=(2, 5, 6)) if kwargs.get("groups") else rng.normal(size=(2, 2, 5, 6))

        def f(x, weights=weights, kwargs=kwargs):
            return (F.conv2d(x, Tensor(weights), **kwargs) ** 2).sum()

        v = rng.normal(size=x0.shape)
        _, product = hvp(f, Tensor(x0), Tensor(v))
        eps = 1e-6
        plus, minus = (vjp(f, Tensor(x0 + s * eps * v))[1].data for s in (1, -1))
        np.testing.assert_allclose(product.data, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_fused_conv_relu_on_unbatched_input_second_order():
    tg.manual_seed(2)
    block = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU()).double()
    x0 = np.random.default_rng(15).normal(size=(2, 4, 4))
    v = np.random.default_rng(16).normal(size=x0.shape)

    def f(x):
        return (block(x) ** 3).sum()

    _, product = hvp(f, Tensor(x0), Tensor(v))
    eps = 1e-6
    plus, minus = (vjp(f, Tensor(x0 + s * eps * v))[1].data for s in (1, -1))
    np.testing.assert_allclose(product.data, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_maml_meta_gradient_matches_finite_differences():
    rng = np.random.default_rng(10)
    xs, ys = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    xv, yv = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    w0 = rng.normal(size=(2, 3))

    def meta_loss(w: Tensor) -> Tensor:
        inner = F.mse_loss(F.linear(Tensor(xs), w).tanh(), ys)
        (g,) = autograd.grad(inner, w, create_graph=True)
        adapted = w - 0.5 * g
        return F.mse_loss(F.linear(Tensor(xv), adapted).tanh(), yv)

    w = leaf(w0)
    (meta,) = autograd.grad(meta_loss(w), w)
    (expected,) = fd_grad(lambda: meta_loss(leaf(w0)).item(), [w0])
    np.testing.assert_allclose(meta.data, expected, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------- functional API
def test_jacobian_vjp_jvp_with_create_graph():
    rng = np.random.default_rng(11)
    a = rng.normal(size=(3, 3))
    x = leaf(rng.normal(size=3))

    def f(v):
        return (Tensor(a) @ v).tanh()

    jac = jacobian(f, x, create_graph=True)
    t = np.tanh(a @ x.data)
    np.testing.assert_allclose(jac.data, (1 - t * t)[:, None] * a, rtol=1e-12)
    # d/dx of sum(J): sum_ij -2 t_i (1 - t_i^2) a_ij a_ik
    (g,) = autograd.grad(jac.sum(), x)
    expected = ((-2 * t * (1 - t * t)) * a.sum(1)) @ a
    np.testing.assert_allclose(g.data, expected, rtol=1e-10)
    v = rng.normal(size=3)
    out, product = jvp(f, Tensor(x.data), Tensor(v))
    np.testing.assert_allclose(product.data, jac.data @ v, rtol=1e-12)
    np.testing.assert_allclose(out.data, t)
    out, product = vjp(f, x, Tensor(v), create_graph=True)
    assert product.requires_grad and out.requires_grad
    (g,) = autograd.grad(product.sum(), x)
    np.testing.assert_allclose(g.data, ((v * -2 * t * (1 - t * t)) * a.sum(1)) @ a, rtol=1e-10)
    value, vh = vhp(lambda u: (u**4).sum(), Tensor(x.data), Tensor(v))
    np.testing.assert_allclose(vh.data, 12 * x.data**2 * v, rtol=1e-12)
    np.testing.assert_allclose(value.data, (x.data**4).sum())


# ------------------------------------------------------------------- engine features
def test_uncovered_op_raises_not_implemented_naming_it():
    x = leaf([0.2, 0.5])
    with pytest.raises(NotImplementedError, match="'prod'.*create_graph supports"):
        autograd.grad(x.prod(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="'asin'"):
        autograd.grad(x.asin().sum(), x, create_graph=True)
    assert "mul" in covered_ops() and "prod" not in covered_ops()


def test_custom_function_under_create_graph_raises():
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    x = leaf([1.0])
    with pytest.raises(NotImplementedError, match="DoubleBackward"):
        autograd.grad((Double.apply(x) ** 2).sum(), x, create_graph=True)


def test_hooks_retain_grad_inputs_and_accumulation():
    x = leaf([1.0, 2.0])
    y = x * x
    y.retain_grad()
    seen = []

    def hook(g):
        seen.append(g)
        return g * 2.0  # a replacement that stays in the graph

    y.register_hook(hook)
    (y * x).sum().backward(create_graph=True)  # d/dx x^3 = 3x^2, hooked part doubled
    assert isinstance(seen[0], Tensor) and seen[0].requires_grad
    np.testing.assert_allclose(y.grad.data, 2 * x.data)
    np.testing.assert_allclose(x.grad.data, 2 * 2 * x.data * x.data + x.data**2)
    first = x.grad
    # the hook is on y's node, so it doubles y's part again in this second pass, as torch:
    # d/dx (2x * x + 2x * x + y) with y's gradient doubled = 4x + 4x + 2 * 2x
    (d2,) = autograd.grad(first.sum(), x, retain_graph=True)
    np.testing.assert_allclose(d2.data, 12 * x.data)
    # accumulates out of place into the existing Tensor .grad; the graph was retained
    (y * x).sum().backward(create_graph=True, inputs=[x])
    np.testing.assert_allclose(x.grad.data, 2 * first.data)
    assert first is not x.grad
    # a numpy .grad is added to as well
    z = leaf([3.0])
    z.grad = np.array([1.0])
    (z**2).sum().backward(create_graph=True)
    np.testing.assert_allclose(z.grad.data, [7.0])


def test_retain_graph_defaults_and_freeing():
    x = leaf([1.5])
    y = (x**3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)  # retain_graph defaults to True
    (g2,) = autograd.grad(y, x, create_graph=True, retain_graph=False)
    np.testing.assert_allclose(g.data, g2.data)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x, create_graph=True)


def test_allow_unused_and_materialize_grads():
    x, unused = leaf([1.0, 2.0]), leaf([3.0])
    y = (x * 2.0).sum()
    gx, gu = autograd.grad(y, (x, unused), create_graph=True, allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.data, [2.0, 2.0])
    # the gradient of a linear function is constant: it has no graph and no second derivative
    assert not gx.requires_grad
    _, gu = autograd.grad(y, (x, unused), create_graph=True, materialize_grads=True)
    np.testing.assert_allclose(gu.data, [0.0])
    with pytest.raises(RuntimeError, match="not have been used"):
        autograd.grad(y, (x, unused), create_graph=True)


def test_grad_outputs_with_graph_and_anomaly_mode():
    x = leaf([0.5, 1.0])
    u = leaf([2.0, 3.0])
    (g,) = autograd.grad(x * x, x, grad_outputs=u, create_graph=True)  # 2 x u
    (gu,) = autograd.grad(g.sum(), u)
    np.testing.assert_allclose(gu.data, 2 * x.data)
    z = leaf([0.0, 4.0])
    with pytest.warns(UserWarning), autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="nan"):
            autograd.grad((z.sqrt() * 0.0).sum(), z, create_graph=True)


def test_first_order_backward_unchanged():
    # .grad stays a numpy array without create_graph
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    assert type(x.grad) is np.ndarray
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


POOL_AND_NORM = {
    "max_pool": lambda x: (F.max_pool2d(x * x, 2) ** 2).sum()
    + (F.max_pool2d(x, 3, stride=2, padding=1) ** 3).sum(),
    "max_pool_dilated_unbatched": lambda x: (F.max_pool2d(x[0], 2, dilation=2) ** 3).sum(),
    "avg_pool": lambda x: (F.avg_pool2d(x * x, 2) ** 2).sum()
    + (F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False) ** 3).sum()
    + (F.avg_pool2d(x, 2, ceil_mode=True) ** 2).sum(),
    "batch_norm": lambda x: (F.batch_norm(x * x, None, None, Tensor(np.array([1.5, -0.5])),
                                          Tensor(np.array([0.1, 0.2])), training=True) ** 3).sum()
    + (F.batch_norm(x, np.array([0.1, -0.2]), np.array([1.5, 0.5]), training=False) ** 3).sum(),
    "layer_norm": lambda x: (F.layer_norm(x * x, (5,), Tensor(np.linspace(0.5, 1.5, 5)),
                                          Tensor(np.linspace(-1, 1, 5))) ** 3).sum()
    + (F.layer_norm(x, (4, 5), eps=1e-3) ** 3).sum(),
}


@pytest.mark.parametrize("name", list(POOL_AND_NORM))
def test_pooling_and_norm_hessian_vector_products(name):
    f = POOL_AND_NORM[name]
    rng = np.random.default_rng(12)
    x0 = rng.normal(size=(2, 2, 4, 5))
    v = rng.normal(size=x0.shape)
    _, product = hvp(f, Tensor(x0), Tensor(v))
    eps = 1e-6
    plus, minus = (vjp(f, Tensor(x0 + s * eps * v))[1].data for s in (1, -1))
    np.testing.assert_allclose(product.data, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-6)


def test_norm_parameters_get_second_order_gradients():
    rng = np.random.default_rng(13)
    x0 = rng.normal(size=(3, 4))
    w0, b0 = rng.normal(size=4), rng.normal(size=4)

    def penalty(w: Tensor, b: Tensor) -> Tensor:
        x = Tensor(x0, requires_grad=True)
        (gx,) = autograd.grad((F.layer_norm(x, (4,), w, b).tanh() ** 2).sum(), x,
                              create_graph=True)  # fmt: skip
        return (gx * gx).sum()

    w, b = leaf(w0), leaf(b0)
    gw, gb = autograd.grad(penalty(w, b), (w, b))
    ew, eb = fd_grad(lambda: penalty(Tensor(w0), Tensor(b0)).item(), [w0, b0])
    np.testing.assert_allclose(gw.data, ew, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb.data, eb, rtol=1e-6, atol=1e-8)


def test_optimizer_steps_on_graph_gradients():
    rng = np.random.default_rng(14)
    w = leaf(rng.normal(size=(2, 3)))
    x = Tensor(rng.normal(size=(4, 3)))
    opt = tg.optim.SGD([w], lr=0.1)
    w0 = w.data.copy()
    (F.linear(x, w) ** 2).sum().backward(create_graph=True)
    expected = 2 * (x.data @ w0.T).T @ x.data  # d/dW sum((x W^T)^2)
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-12)
    opt.step()
    np.testing.assert_allclose(w.data, w0 - 0.1 * expected, rtol=1e-12)
