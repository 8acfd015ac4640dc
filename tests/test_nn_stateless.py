"""functional_call (nn.utils.stateless and tinygrad_opt.func), skip_init, get_total_norm and
clip_grads_with_norm_, checked against closed forms and numpy."""

import math
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn
from tinygrad_opt.nn import utils
from tinygrad_opt.nn.utils.stateless import functional_call


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2, bias=False)
        self.b = nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.a(x) + self.b(x)


def test_functional_call_values_and_gradients():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model.eval()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    w = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=4), requires_grad=True)
    mean = Tensor(rng.normal(size=4))
    x = rng.normal(size=(5, 3))
    out = functional_call(model, {"0.weight": w, "0.bias": b, "1.running_mean": mean}, Tensor(x))
    h = x @ w.data.T + b.data
    expected = (h - mean.data) / np.sqrt(1 + 1e-5) * 1.0 + 0.0  # bn: var 1, gamma 1, beta 0
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    out.sum().backward()
    # d sum / dW[o, i] = sum_n x[n, i] / sqrt(1 + eps); d sum / db[o] = N / sqrt(1 + eps)
    np.testing.assert_allclose(w.grad, np.tile(x.sum(0), (4, 1)) / np.sqrt(1 + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(b.grad, np.full(4, 5 / np.sqrt(1 + 1e-5)), rtol=1e-5)
    for k, v in model.state_dict().items():  # restored
        np.testing.assert_array_equal(v, before[k])
    assert model[0].weight.grad is None and isinstance(model[0].weight, nn.Parameter)


def test_restored_after_error_and_args_forms():
    model = nn.Linear(2, 2)
    weight = model.weight
    with pytest.raises(ValueError):
        functional_call(model, {"weight": Tensor(np.zeros((2, 2)))}, Tensor(np.zeros((1, 3))))
    assert model.weight is weight
    x = Tensor(np.ones((1, 2)))
    zero = {"weight": Tensor(np.zeros((2, 2)), dtype=np.float32)}
    np.testing.assert_allclose(functional_call(model, zero, x).data, model.bias.data[None])
    np.testing.assert_allclose(functional_call(model, zero, (x,)).data, model.bias.data[None])
    np.testing.assert_allclose(functional_call(model, zero, (), {"x": x}).data,
                               model.bias.data[None])


def test_tie_weights_and_strict():
    model = Tied()
    x = Tensor(np.array([[1.0, 2.0]]))
    eye = Tensor(np.eye(2))
    # tied: both layers use the identity, 2 x
    np.testing.assert_allclose(functional_call(model, {"a.weight": eye}, x).data, [[2.0, 4.0]])
    untied = functional_call(model, {"a.weight": eye}, x, tie_weights=False).data
    np.testing.assert_allclose(untied, x.data + x.data @ model.a.weight.data.T, rtol=1e-6)
    # the same tensor under both tied names is no conflict (PyTorch's documented rule) ...
    both = functional_call(model, {"a.weight": eye, "b.weight": eye}, x).data
    np.testing.assert_allclose(both, [[2.0, 4.0]])
    # ... two different ones are
    with pytest.raises(ValueError, match="tied"):
        functional_call(model, {"a.weight": eye, "b.weight": Tensor(np.eye(2))}, x)
    linear = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="Missing key.*'bias'"):
        functional_call(linear, {"weight": eye}, x, strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key.*'extra'"):
        functional_call(linear, {"weight": eye, "bias": eye[0], "extra": eye}, x, strict=True)
    with pytest.raises(TypeError):
        functional_call(linear, {"weight": np.eye(2)}, x)
    assert "extra" not in linear.__dict__


def test_func_functional_call_dicts():
    linear = nn.Linear(2, 2)
    x = Tensor(np.array([[1.0, -1.0]]))
    w, b = Tensor(np.eye(2)), Tensor(np.array([0.5, 0.25]))
    out = tg.func.functional_call(linear, ({"weight": w}, {"bias": b}), x)
    np.testing.assert_allclose(out.data, [[1.5, -0.75]])
    with pytest.raises(ValueError, match="multiple dictionaries"):
        tg.func.functional_call(linear, ({"weight": w}, {"weight": w}), x)


def test_skip_init():
    m = utils.skip_init(nn.Linear, 3, 5, bias=False)
    assert isinstance(m, nn.Linear) and m.weight.shape == (5, 3) and m.bias is None
    with pytest.raises(TypeError):
        utils.skip_init(nn.Linear(1, 1))


def grads(rng, shapes):
    params = [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes]
    for p in params:
        p.grad = np.asarray(3.0 * rng.normal(size=p.shape))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
def test_total_norm_then_clip_equals_clip_grad_norm(norm_type):
    rng = np.random.default_rng(1)
    shapes = [(4, 3), (5,), ()]
    a, b = grads(rng, shapes), grads(np.random.default_rng(1), shapes)
    flat = np.concatenate([p.grad.ravel() for p in a])
    p = float(norm_type)
    ref = np.max(np.abs(flat)) if p == math.inf else np.sum(np.abs(flat) ** p) ** (1 / p)
    total = utils.get_total_norm([Tensor(q.grad) for q in a], norm_type)
    np.testing.assert_allclose(total.item(), ref, rtol=1e-12)
    assert isinstance(total, Tensor) and total.shape == ()
    utils.clip_grads_with_norm_(a, 1.0, total)
    for q, g in zip(a, [q.grad.copy() for q in b]):
        np.testing.assert_allclose(q.grad, g * min(1.0, 1.0 / (ref + 1e-6)), rtol=1e-12)
    returned = utils.clip_grad_norm_(b, 1.0, norm_type)
    np.testing.assert_allclose(returned, ref, rtol=1e-12)
    for q, r in zip(a, b):
        np.testing.assert_allclose(q.grad, r.grad, rtol=1e-12)


def test_total_norm_of_the_grads_themselves():
    # .grad is a numpy array here, so torch's idiom get_total_norm([p.grad for p in ...])
    # passes arrays; a single array is one tensor
    rng = np.random.default_rng(4)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model(Tensor(rng.normal(size=(5, 3)).astype(np.float32))).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(isinstance(g, np.ndarray) for g in grads)
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    total = utils.get_total_norm(grads)
    np.testing.assert_allclose(total.item(), np.sqrt(np.sum(flat * flat)), rtol=1e-6)
    assert total.dtype == np.float32
    one = utils.get_total_norm(grads[0], 1.0)
    np.testing.assert_allclose(one.item(), np.sum(np.abs(grads[0].astype(np.float64))), rtol=1e-6)
    with pytest.raises(TypeError, match="expected Tensors or arrays"):
        utils.get_total_norm([1.0, 2.0])


def test_clip_helpers_edges():
    assert utils.get_total_norm([]).item() == 0.0
    p = Tensor(np.ones(4), requires_grad=True)
    p.grad = np.full(4, 3.0)
    utils.clip_grads_with_norm_([p], 100.0, 6.0)  # coefficient clamped to 1: unchanged
    np.testing.assert_array_equal(p.grad, np.full(4, 3.0))
    with pytest.raises(RuntimeError, match="nan"):
        utils.get_total_norm([Tensor(np.array([np.nan]))], error_if_nonfinite=True)
    with pytest.raises(TypeError):
        utils.clip_grads_with_norm_([p], 1.0, "big")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = utils.clip_grad_norm([p], 1.0)
    assert total == pytest.approx(6.0) and caught[0].category is FutureWarning
    np.testing.assert_allclose(p.grad, np.full(4, 3.0 / (6.0 + 1e-6)))
    assert utils.clip_grad.clip_grad_norm_ is utils.clip_grad_norm_
    assert utils.convert_parameters.parameters_to_vector is utils.parameters_to_vector
