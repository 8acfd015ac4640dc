"""nn.init's deprecated names without the trailing underscore: a FutureWarning naming the
replacement (as torch), then the in-place initialiser's effect with the same arguments."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.nn import init

RANDOM = ["uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
          "kaiming_normal", "orthogonal"]


@pytest.mark.parametrize("name", RANDOM)
def test_random_aliases_warn_and_draw_what_the_in_place_form_draws(name):
    old, new = getattr(init, name), getattr(init, name + "_")
    tg.manual_seed(3)
    want = new(Tensor(np.empty((4, 5), np.float32))).data.copy()
    tg.manual_seed(3)
    t = Tensor(np.empty((4, 5), np.float32))
    with pytest.warns(FutureWarning, match=rf"`nn.init.{name}` is now deprecated in favor of "
                                           rf"`nn.init.{name}_`"):
        out = old(t)
    assert out is t
    np.testing.assert_array_equal(t.data, want)
    assert old.__name__ == name


def test_deterministic_aliases_give_their_closed_forms():
    t = Tensor(np.zeros((2, 3)))
    with pytest.warns(FutureWarning, match="constant_"):
        init.constant(t, 0.25)
    np.testing.assert_array_equal(t.data, np.full((2, 3), 0.25))
    with pytest.warns(FutureWarning, match="eye_"):
        init.eye(t)
    np.testing.assert_array_equal(t.data, np.eye(2, 3))
    d = Tensor(np.zeros((2, 2, 3)))
    with pytest.warns(FutureWarning, match="dirac_"):
        init.dirac(d)
    want = np.zeros((2, 2, 3))
    want[0, 0, 1] = want[1, 1, 1] = 1.0  # identity at the kernel centre
    np.testing.assert_array_equal(d.data, want)
    s = Tensor(np.zeros((10, 4)))
    with pytest.warns(FutureWarning, match="sparse_"):
        init.sparse(s, sparsity=0.3, std=0.5)
    # ceil(0.3 * 10) = 3 zeros in every column
    np.testing.assert_array_equal((s.data == 0).sum(0), [3] * 4)


def test_aliases_pass_keyword_arguments_and_errors_through():
    t = Tensor(np.empty((3, 3), np.float32))
    with pytest.warns(FutureWarning):
        init.uniform(t, a=2.0, b=3.0)
    assert t.data.min() >= 2.0 and t.data.max() <= 3.0
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="sparsity"):
        init.sparse(Tensor(np.zeros((3, 3))), sparsity=2.0)
