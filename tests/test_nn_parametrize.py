"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm), plus the
older hook-based nn.utils.weight_norm / spectral_norm: values against numpy formulas written
here (norms per slice, power iteration, np.linalg.svd), gradients against float64 central
differences, state_dict keys and round trips, assignment through right_inverse, removal,
cached() and errors."""

import numpy as np
import pytest

from tinygrad_opt import Tensor, manual_seed, nn, optim
from tinygrad_opt.nn.utils import parametrizations, parametrize


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def numeric_grad(f, arrays, i, eps=1e-6):
    """d f(*arrays) / d arrays[i] by central differences; f is plain numpy, scalar-valued."""
    x = arrays[i]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f(*arrays)
        x[idx] = old - eps
        down = f(*arrays)
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def norm_except(v, dim):
    """The 2-norm over all axes but `dim`, kept as size-1 axes; dim None: whole tensor."""
    if dim is None:
        return np.sqrt(np.sum(v * v))
    dim %= v.ndim
    out = np.zeros([n if d == dim else 1 for d, n in enumerate(v.shape)])
    for k in range(v.shape[dim]):
        index = [0] * v.ndim
        index[dim] = k
        out[tuple(index)] = np.sqrt(np.sum(np.take(v, k, axis=dim) ** 2))
    return out


def as_matrix(w, dim):
    return np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def right_inverse(self, a):
        return a / self.factor


class NoInverse(nn.Module):
    def forward(self, x):
        return x * 2


def sym_ref(x):
    return np.triu(x) + np.triu(x, 1).T


# ------------------------------------------------------------------------ weight_norm
@pytest.mark.parametrize(
    "layer, dim",
    [(lambda: nn.Linear(5, 4), 0), (lambda: nn.Linear(5, 4), 1), (lambda: nn.Linear(5, 4), None),
     (lambda: nn.Conv2d(3, 4, 3), 0), (lambda: nn.Conv2d(3, 4, 3), 2)],
)  # fmt: skip
def test_weight_norm_is_g_times_v_over_the_norm_per_slice(layer, dim):
    manual_seed(0)
    m = layer()
    w0 = m.weight.data.copy()
    parametrizations.weight_norm(m, dim=dim)
    g = m.parametrizations.weight.original0.data
    v = m.parametrizations.weight.original1.data
    # at registration g = ||w|| per slice and v = w, so the weight keeps its value
    np.testing.assert_allclose(g, norm_except(w0, dim), rtol=1e-6)
    np.testing.assert_allclose(v, w0)
    np.testing.assert_allclose(m.weight.data, w0, rtol=1e-5, atol=1e-7)
    # new g and v: the weight is g * v / ||v||
    m.parametrizations.weight.original0.data[...] = np.abs(randn(*g.shape, seed=1)) + 0.5
    m.parametrizations.weight.original1.data[...] = randn(*v.shape, seed=2)
    ref = g * v / norm_except(v, dim)
    np.testing.assert_allclose(m.weight.data, ref, rtol=1e-5, atol=1e-7)


def test_weight_norm_gradients_by_finite_differences_float64():
    manual_seed(0)
    m = parametrizations.weight_norm(nn.Linear(4, 3).double())
    x, r = randn(6, 4, seed=1), randn(6, 3, seed=2)
    g = m.parametrizations.weight.original0
    v = m.parametrizations.weight.original1
    g.data[...] = randn(3, 1, seed=3)
    v.data[...] = randn(3, 4, seed=4)
    b = m.bias.data.copy()

    def loss(g_, v_):
        w = g_ * v_ / np.sqrt(np.sum(v_ * v_, axis=1, keepdims=True))
        return np.sum(r * (x @ w.T + b))

    (m(Tensor(x)) * Tensor(r)).sum().backward()
    arrays = [g.data.copy(), v.data.copy()]
    np.testing.assert_allclose(g.grad, numeric_grad(loss, arrays, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(v.grad, numeric_grad(loss, arrays, 1), rtol=1e-6, atol=1e-8)


def test_weight_norm_state_dict_keys_and_round_trip():
    manual_seed(0)
    a = parametrizations.weight_norm(nn.Linear(3, 4))
    b = parametrizations.weight_norm(nn.Linear(3, 4))
    sd = a.state_dict()
    assert list(sd) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1",
    ]  # fmt: skip
    assert sd["parametrizations.weight.original0"].shape == (4, 1)
    b.load_state_dict(sd)
    np.testing.assert_array_equal(b.weight.data, a.weight.data)
    assert type(a).__name__ == "ParametrizedLinear" and isinstance(a, nn.Linear)


def test_weight_norm_trains_g_and_v_with_an_optimizer():
    manual_seed(0)
    m = parametrizations.weight_norm(nn.Linear(3, 2).double())
    assert [n for n, _ in m.named_parameters()] == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1",
    ]  # fmt: skip
    before = [p.data.copy() for p in m.parameters()]
    opt = optim.SGD(m.parameters(), lr=0.1)
    m(Tensor(randn(5, 3))).square().sum().backward()
    grads = [p.grad.copy() for p in m.parameters()]
    opt.step()
    for p, old, grad in zip(m.parameters(), before, grads):
        np.testing.assert_allclose(p.data, old - 0.1 * grad, rtol=1e-12)


# ---------------------------------------------------------------------- spectral_norm
@pytest.mark.parametrize(
    "layer, dim",
    [(lambda: nn.Linear(6, 4), 0), (lambda: nn.Conv2d(3, 5, 3), 0),
     (lambda: nn.ConvTranspose2d(3, 5, 3), 1)],
)  # fmt: skip
def test_spectral_norm_sigma_is_the_largest_singular_value(layer, dim):
    manual_seed(0)
    m = parametrizations.spectral_norm(layer().double(), n_power_iterations=50)
    assert m.parametrizations.weight[0].dim == dim  # 1 for a transposed convolution
    w = m.parametrizations.weight.original.data
    for _ in range(3):
        weight = m.weight.data  # each access in training mode iterates
    sigma = np.linalg.svd(as_matrix(w, dim), compute_uv=False)[0]
    np.testing.assert_allclose(weight, w / sigma, rtol=1e-8)
    np.testing.assert_allclose(np.linalg.svd(as_matrix(weight, dim), compute_uv=False)[0], 1.0)


def test_spectral_norm_buffers_update_in_training_only():
    manual_seed(0)
    m = parametrizations.spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=2)
    sn = m.parametrizations.weight[0]
    w = m.parametrizations.weight.original.data
    u, v = sn._u.data.copy(), sn._v.data.copy()
    m.eval()
    weight = m.weight.data
    np.testing.assert_array_equal(sn._u.data, u)  # eval: the stored vectors, unchanged
    np.testing.assert_array_equal(sn._v.data, v)
    np.testing.assert_allclose(weight, w / (u @ w @ v), rtol=1e-12)
    m.train()
    weight = m.weight.data
    for _ in range(2):  # power iteration: u from v, then v from the new u
        u = w @ v / np.linalg.norm(w @ v)
        v = w.T @ u / np.linalg.norm(w.T @ u)
    np.testing.assert_allclose(sn._u.data, u, rtol=1e-12)
    np.testing.assert_allclose(sn._v.data, v, rtol=1e-12)
    np.testing.assert_allclose(weight, w / (u @ w @ v), rtol=1e-12)


def test_spectral_norm_gradient_by_finite_differences_float64():
    manual_seed(0)
    m = parametrizations.spectral_norm(nn.Linear(4, 3).double()).eval()
    sn = m.parametrizations.weight[0]
    u, v = sn._u.data.copy(), sn._v.data.copy()
    original = m.parametrizations.weight.original
    r = randn(3, 4, seed=5)

    def loss(w):
        return np.sum(r * w / (u @ w @ v))

    (m.weight * Tensor(r)).sum().backward()
    expected = numeric_grad(loss, [original.data.copy()], 0)
    np.testing.assert_allclose(original.grad, expected, rtol=1e-6, atol=1e-8)


def test_spectral_norm_state_dict_keys_round_trip_and_1d_weight():
    manual_seed(0)
    a = parametrizations.spectral_norm(nn.Linear(3, 4))
    assert list(a.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]  # fmt: skip
    manual_seed(1)
    b = parametrizations.spectral_norm(nn.Linear(3, 4))
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    np.testing.assert_array_equal(b.weight.data, a.weight.data)
    c = parametrizations.spectral_norm(nn.Linear(3, 4), name="bias")  # 1-D: bias / ||bias||
    bias = c.parametrizations.bias.original.data
    np.testing.assert_allclose(c.bias.data, bias / np.linalg.norm(bias), rtol=1e-6)
    assert "parametrizations.bias.0._u" not in c.state_dict()


# ------------------------------------------------------------- parametrize (custom module)
def test_register_symmetric_parametrization_values_keys_and_gradient():
    manual_seed(0)
    m = nn.Linear(4, 4).double()
    original = m.weight
    x0 = m.weight.data.copy()
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert m.parametrizations.weight.original is original  # the same Parameter
    np.testing.assert_array_equal(original.data, np.triu(x0))  # right_inverse at registration
    np.testing.assert_array_equal(m.weight.data, sym_ref(original.data))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    r = randn(4, 4, seed=1)
    (m.weight * Tensor(r)).sum().backward()
    expected = numeric_grad(lambda x: np.sum(r * sym_ref(x)), [original.data.copy()], 0)
    np.testing.assert_allclose(original.grad, expected, rtol=1e-6, atol=1e-8)


def test_assignment_calls_right_inverse_in_place():
    m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    original = m.parametrizations.weight.original
    data = original.data
    a = randn(3, 3, seed=2).astype(np.float32)
    a = a + a.T
    m.weight = Tensor(a)
    assert original.data is data  # copied in place: optimizer views keep seeing it
    np.testing.assert_array_equal(original.data, np.triu(a))
    np.testing.assert_allclose(m.weight.data, a)


def test_chained_parametrizations_and_buffers():
    m = nn.Linear(3, 3).double()
    w0 = m.weight.data.copy()
    parametrize.register_parametrization(m, "weight", Symmetric())
    parametrize.register_parametrization(m, "weight", Scale(2.0))
    original = m.parametrizations.weight.original.data
    np.testing.assert_allclose(m.weight.data, 2.0 * sym_ref(original))
    np.testing.assert_array_equal(original, np.triu(w0))  # the second registration keeps it
    m.weight = Tensor(np.eye(3) * 4.0)  # Scale's inverse, then Symmetric's
    np.testing.assert_allclose(original, np.eye(3) * 2.0)
    bn = nn.BatchNorm1d(3)
    parametrize.register_parametrization(bn, "running_var", Scale(3.0))
    assert "parametrizations.running_var.original" in dict(bn.named_buffers())
    assert not dict(bn.named_parameters()).keys() & {"parametrizations.running_var.original"}
    np.testing.assert_allclose(bn.running_var.data, np.ones(3))  # 3 * (1 / 3)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    m = nn.Linear(3, 3).double()
    parametrize.register_parametrization(m, "weight", Scale(2.0))
    original = m.parametrizations.weight.original
    x = original.data.copy()
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.data, 2.0 * x if leave else x)


class Split(nn.Module):
    """w = a + b, right_inverse gives (w / 2, w / 2): two originals."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w / 2, w / 2


def test_sequence_right_inverse_gives_original0_original1():
    m = nn.Linear(2, 3).double()
    w0 = m.weight.data.copy()
    parametrize.register_parametrization(m, "weight", Split())
    assert list(m.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1",
    ]  # fmt: skip
    np.testing.assert_allclose(m.parametrizations.weight.original0.data, w0 / 2)
    np.testing.assert_allclose(m.weight.data, w0)
    with pytest.raises(ValueError, match="leave_parametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.data, w0)


class Counting(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * 1.0


def test_cached_computes_once_inside_the_block():
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    counter = m.parametrizations.weight[0]
    counter.calls = 0
    with parametrize.cached():
        first = m.weight
        assert m.weight is first and counter.calls == 1
        with parametrize.cached():  # nested: still the same cache
            assert m.weight is first
        assert m.weight is first
    assert m.weight is not first and counter.calls == 2


def test_errors_leave_the_module_unchanged():
    m = nn.Linear(3, 3)
    w0 = m.weight.data.copy()
    with pytest.raises(ValueError, match="foo"):
        parametrize.register_parametrization(m, "foo", Symmetric())
    with pytest.raises(TypeError, match="Module"):
        parametrize.register_parametrization(m, "weight", lambda x: x)

    class Shrink(Symmetric):
        def forward(self, x):
            return x[:2]

    with pytest.raises(ValueError, match="shape"):
        parametrize.register_parametrization(m, "weight", Shrink())
    assert type(m) is nn.Linear and "weight" in m._parameters
    np.testing.assert_array_equal(m.weight.data, w0)  # right_inverse was not stored
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(m, "weight")

    parametrize.register_parametrization(m, "weight", Symmetric())
    original = m.parametrizations.weight.original.data.copy()
    with pytest.raises(ValueError, match="shape"):
        m.weight = Tensor(np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="dtype"):
        m.weight = Tensor(np.zeros((3, 3)), dtype=np.float64)
    with pytest.raises(TypeError, match="Tensor"):
        m.weight = np.zeros((3, 3), dtype=np.float32)
    with pytest.raises(KeyError, match="parametrized"):
        m.weight = nn.Parameter(np.zeros((3, 3), dtype=np.float32))
    np.testing.assert_array_equal(m.parametrizations.weight.original.data, original)
    parametrize.register_parametrization(m, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="right_inverse"):
        m.weight = Tensor(np.zeros((3, 3), dtype=np.float32))


def test_norm_argument_errors():
    with pytest.raises(ValueError, match="n_power_iterations"):
        parametrizations.spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(ValueError, match="out of range"):
        parametrizations.spectral_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="foo"):
        parametrizations.spectral_norm(nn.Linear(3, 3), name="foo")
    with pytest.raises(ValueError, match="out of range"):
        parametrizations.weight_norm(nn.Linear(3, 3), dim=5)
    m = nn.utils.weight_norm(nn.Linear(3, 3))
    with pytest.raises(RuntimeError, match="two weight_norm"):
        nn.utils.weight_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)


# ------------------------------------------------------------- the older, hook-based forms
def test_hook_weight_norm_keys_recompute_and_remove():
    manual_seed(0)
    m = nn.Linear(4, 3).double()
    w0 = m.weight.data.copy()
    nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(m.weight_g.data, norm_except(w0, 0))
    np.testing.assert_allclose(m.weight.data, w0)
    m.weight_v.data[...] = randn(3, 4, seed=1)
    x = randn(2, 4, seed=2)
    out = m(Tensor(x))  # the weight is recomputed before the call
    w = m.weight_g.data * m.weight_v.data / norm_except(m.weight_v.data, 0)
    np.testing.assert_allclose(out.data, x @ w.T + m.bias.data, rtol=1e-12)
    out.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    nn.utils.remove_weight_norm(m)
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.data, w, rtol=1e-12)


def test_hook_spectral_norm_power_iteration_v_then_u():
    manual_seed(0)
    m = nn.utils.spectral_norm(nn.Linear(4, 3).double())
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    w = m.weight_orig.data
    u = m.weight_u.data.copy()
    x = randn(2, 4, seed=3)
    out = m(Tensor(x))
    v = w.T @ u / np.linalg.norm(w.T @ u)  # this form updates v first
    u = w @ v / np.linalg.norm(w @ v)
    np.testing.assert_allclose(m.weight_v.data, v, rtol=1e-12)
    np.testing.assert_allclose(m.weight_u.data, u, rtol=1e-12)
    np.testing.assert_allclose(out.data, x @ (w / (u @ w @ v)).T + m.bias.data, rtol=1e-12)
    m.eval()
    m(Tensor(x))
    np.testing.assert_array_equal(m.weight_u.data, u)  # no update in eval mode
    nn.utils.remove_spectral_norm(m)
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.data, w / (u @ w @ v), rtol=1e-12)


# ---------------------------------------------------------------------------- orthogonal
def expm_skew(a):
    """exp(A) of a real skew-symmetric A from the eigendecomposition of the Hermitian iA."""
    lam, u = np.linalg.eigh(1j * a)
    return (u @ np.diag(np.exp(-1j * lam)) @ u.conj().T).real


def cayley(a):
    eye = np.eye(len(a))
    return np.linalg.solve(eye - a / 2, eye + a / 2)


def householder(x):
    """sign-scaled first k columns of H_1 ... H_k, v_i = e_i + strictly-lower column i."""
    n, k = x.shape
    q = np.eye(n)
    for i in range(k):
        v = np.zeros(n)
        v[i] = 1.0
        v[i + 1 :] = x[i + 1 :, i]
        q = q @ (np.eye(n) - 2.0 / (v @ v) * np.outer(v, v))
    return q[:, :k] * np.trunc(np.diag(x))


def orthogonal_ref(x, orthogonal_map, base):
    transposed = x.shape[0] < x.shape[1]
    if transposed:
        x = x.T
    n, k = x.shape
    if orthogonal_map == "householder":
        q = householder(x)
    else:
        square = np.zeros((n, n))
        square[:, :k] = np.tril(x)
        a = square - square.T
        q = (expm_skew(a) if orthogonal_map == "matrix_exp" else cayley(a))[:, :k]
    if base is not None:
        q = base @ q
    return q.T if transposed else q


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_maps_against_numpy_references(shape, orthogonal_map, trivial):
    manual_seed(0)
    m = nn.Linear(shape[1], shape[0]).double()
    w0 = m.weight.data.copy()
    parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    keys = ["bias", "parametrizations.weight.original"] + (
        ["parametrizations.weight.0.base"] if trivial else []
    )
    assert list(m.state_dict()) == keys
    if trivial and shape[0] == shape[1]:
        # base: QR's Q of the weight with diag(R) > 0; X = -I, so the weight is base
        q, r = np.linalg.qr(w0)
        np.testing.assert_allclose(m.weight.data, q * np.sign(np.diag(r)), atol=1e-12)
    original = m.parametrizations.weight.original
    noise = 0.3 * randn(*shape, seed=1)
    if orthogonal_map == "householder":
        np.fill_diagonal(noise, 0.0)  # the diagonal holds the signs
    original.data += noise
    base = m.parametrizations.weight[0].base.data if trivial else None
    w = m.weight.data
    np.testing.assert_allclose(w, orthogonal_ref(original.data, orthogonal_map, base), atol=1e-12)
    small = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley"])
def test_orthogonal_gradient_by_finite_differences(orthogonal_map):
    manual_seed(0)
    m = parametrizations.orthogonal(nn.Linear(3, 4).double(), orthogonal_map=orthogonal_map)
    original = m.parametrizations.weight.original
    original.data += 0.5 * randn(4, 3, seed=2)
    base = m.parametrizations.weight[0].base.data
    r = randn(4, 3, seed=3)
    (m.weight * Tensor(r)).sum().backward()

    def loss(x):
        return np.sum(r * orthogonal_ref(x, orthogonal_map, base))

    expected = numeric_grad(loss, [original.data.copy()], 0)
    np.testing.assert_allclose(original.grad, expected, rtol=1e-6, atol=1e-8)


def test_orthogonal_assignment_and_errors():
    manual_seed(0)
    m = parametrizations.orthogonal(nn.Linear(3, 3).double())
    q = np.linalg.qr(randn(3, 3, seed=4))[0]
    m.weight = Tensor(q)  # an orthogonal value becomes the base as it is
    np.testing.assert_allclose(m.weight.data, q, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        m.weight = Tensor(np.eye(4))
    fixed = parametrizations.orthogonal(nn.Linear(3, 3).double(), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        fixed.weight = Tensor(q)
    with pytest.raises(ValueError, match="matrix or batch"):
        parametrizations.orthogonal(nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match="orthogonal_map"):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
