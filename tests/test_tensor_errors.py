"""Bad input gets a clear error naming the op and what was expected, and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor


@pytest.mark.parametrize(
    "name,fn",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", tg.maximum),
        ("minimum", tg.minimum),
    ],
)
def test_incompatible_shapes_name_the_op_and_both_shapes(name, fn):
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(4))
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot broadcast$"):
        fn(a, b)
    assert a.grad is None and a.shape == (2, 3)


def test_matmul_shape_errors():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul: .*at least one dimension"):
        Tensor(np.ones(3)) @ Tensor(2.0)
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 2, 3\) and \(3, 3, 4\)"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 4)))


def test_comparison_and_where_shape_errors():
    with pytest.raises(ValueError, match=r"lt: shapes \(2,\) and \(3,\)"):
        _ = Tensor([1.0, 2.0]) < Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="where: shapes"):
        tg.where(np.array([True, False]), Tensor(np.ones(3)), 0.0)


def test_unsupported_operand_type():
    with pytest.raises(TypeError, match="add: unsupported operand of type str"):
        Tensor([1.0]) + "a"
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor(np.array(["x"]))


def test_movement_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape .*\(2, 3\).* shape \(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="permute: dims"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="transpose: dimension 2 is out of range"):
        x.transpose(0, 2)
    with pytest.raises(ValueError, match="expand: shape"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="expand: -1 is not allowed for new leading dim"):
        x.expand(-1, 2, 3)  # as torch: -1 only keeps an existing size
    with pytest.raises(ValueError, match="pad: needs an even number"):
        x.pad((1, 2, 3))
    with pytest.raises(ValueError, match="flatten: start_dim"):
        x.flatten(1, 0)
    with pytest.raises(ValueError, match="unsqueeze: dimension 3"):
        x.unsqueeze(3)


def test_reduction_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sum: dimension 2 is out of range"):
        x.sum(axis=2)
    with pytest.raises(TypeError, match="pass axis= or dim="):
        x.sum(axis=0, dim=1)
    with pytest.raises(ValueError, match="max: cannot reduce an empty tensor"):
        Tensor(np.zeros((0,))).max()
    with pytest.raises(TypeError, match="mean: needs a floating-point tensor"):
        Tensor([1, 2]).mean()
    with pytest.raises(ValueError, match="repeats an axis"):
        x.sum(axis=(0, 0))


def test_join_errors():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"cat: shapes \(2, 3\) and \(2, 4\) differ outside"):
        tg.cat([a, b], dim=0)
    with pytest.raises(ValueError, match=r"stack: shapes \(2, 3\) and \(2, 4\) differ"):
        tg.stack([a, b])
    with pytest.raises(ValueError, match="non-empty"):
        tg.cat([])
    with pytest.raises(TypeError, match="list or tuple"):
        tg.cat(a)


def test_indexing_errors():
    with pytest.raises(IndexError, match=r"getitem: index .* invalid for shape \(3,\)"):
        Tensor([1.0, 2.0, 3.0])[5]


def test_backward_errors():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for a scalar output.*shape \(3,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\) but the tensor has shape"):
        y.backward(gradient=np.ones(2))
    assert x.grad is None
    y.backward(gradient=np.ones(3))  # the failed calls left the graph usable
    np.testing.assert_allclose(x.grad, [2, 2, 2])


def test_backward_rule_returning_a_wrong_shape_is_reported():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    bad = Tensor.make(x.data.sum(0), (x,), lambda g: (np.ones(4),))
    with pytest.raises(RuntimeError, match=r"gradient of shape \(4,\) for an input of shape \(2,"):
        bad.sum().backward()


def test_creation_and_misc_errors():
    with pytest.raises(ValueError, match="arange: step"):
        tg.arange(0, 5, 0)
    with pytest.raises(TypeError, match="randn: dtype must be floating"):
        tg.randn(2, dtype=np.int64)
    with pytest.raises(ValueError, match="clip: at least one"):
        Tensor([1.0]).clip()
    with pytest.raises(ValueError, match="gelu: approximate"):
        Tensor([1.0]).gelu(approximate="fast")
    with pytest.raises(TypeError, match="manual_seed expects an int"):
        tg.manual_seed(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        tg.manual_seed(-1)
    with pytest.raises(RuntimeError, match="retain_grad"):
        Tensor([1.0]).retain_grad()
