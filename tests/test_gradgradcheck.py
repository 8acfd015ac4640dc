"""gradgradcheck: second derivatives from the create_graph rules against finite differences
of the first-order gradients, and a deliberately wrong rule that it must catch."""

import numpy as np
import pytest

from tinygrad_opt import Tensor, autograd, higher_order, nn
from tinygrad_opt.ops import unary


def _inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(Tensor(rng.uniform(0.5, 1.5, s), requires_grad=True) for s in shapes)


@pytest.mark.parametrize(
    "func, shapes",
    [
        (lambda a, b: (a * a * b + a.sin()).sum() * b.tanh(), [(3,), (3,)]),
        (lambda a: (a.exp() / (1 + a * a)).log(), [(2, 2)]),
        (lambda a, w: (a @ w).sigmoid(), [(2, 3), (3, 2)]),
    ],
)
def test_second_derivatives_match_finite_differences(func, shapes):
    assert autograd.gradgradcheck(func, _inputs(*shapes))


def test_a_small_tanh_network_with_given_grad_outputs():
    layer = nn.Linear(3, 2, dtype=np.float64)
    (x,) = _inputs((4, 3), seed=1)
    seeds = Tensor(np.random.default_rng(2).standard_normal((4, 2)), requires_grad=True)
    assert autograd.gradgradcheck(lambda t: layer(t).tanh(), (x,), (seeds,))


def test_a_wrong_second_derivative_is_caught(monkeypatch):
    # sin's Tensor-level rule replaced by one whose value is right (g cos x) but whose own
    # backward gives +g sin x for x instead of -g sin x: a wrong second derivative
    def wrong_rule(g, parents, saved):
        x = parents[0]
        value = g.data * np.cos(x.data)
        return (
            Tensor.make(value, (g, x), lambda h: (h * np.cos(x.data), h * g.data * np.sin(x.data))),
        )

    higher_order.covered_ops()  # loads the rules, so the patch below is not overwritten
    code = unary.sin.__code__
    nested = [c for c in code.co_consts if getattr(c, "co_name", None) == "<lambda>"]
    monkeypatch.setitem(higher_order._RULES, nested[0], wrong_rule)
    (x,) = _inputs((3,))
    assert not autograd.gradgradcheck(lambda a: a.sin().sum(), (x,), raise_exception=False)
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradgradcheck(lambda a: a.sin().sum(), (x,))
    monkeypatch.undo()
    assert autograd.gradgradcheck(lambda a: a.sin().sum(), (x,))  # the real rule passes


def test_forward_over_reverse_is_refused():
    with pytest.raises(NotImplementedError, match="check_fwd_over_rev"):
        autograd.gradgradcheck(lambda a: a.sum(), _inputs((2,)), check_fwd_over_rev=True)
