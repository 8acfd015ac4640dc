"""tg.Size: a tuple of ints with numel(), returned by x.size(); x.shape stays a tuple."""

import copy
import pickle

import numpy as np
import pytest

import tinygrad_opt as tg


def test_size_is_a_tuple_with_numel_and_repr():
    s = tg.Size([2, 3, 4])
    assert isinstance(s, tuple) and s == (2, 3, 4) and hash(s) == hash((2, 3, 4))
    assert s.numel() == 2 * 3 * 4 and tg.Size([]).numel() == 1 and tg.Size([5, 0]).numel() == 0
    assert repr(s) == "Size([2, 3, 4])" and repr(tg.Size()) == "Size([])"
    assert tg.Size([np.int64(2), True, tg.tensor(3)]) == (2, 1, 3)  # index-like ints
    assert all(type(d) is int for d in tg.Size([np.int64(2)]))


def test_size_slices_and_sums_stay_sizes():
    s = tg.Size([2, 3, 4])
    assert type(s[1:]) is tg.Size and s[1:] == (3, 4) and type(s[0]) is int and s[-1] == 4
    assert type(s + (5,)) is tg.Size and s + (5,) == (2, 3, 4, 5)
    assert type((1,) + s) is tg.Size and (1,) + s == (1, 2, 3, 4)
    assert type(s * 2) is tg.Size and len(2 * s) == 6


def test_size_copy_and_pickle():
    s = tg.Size([2, 3])
    for twin in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert type(twin) is tg.Size and twin == s


@pytest.mark.parametrize("bad, message", [
    ([2.5], "item 0 is 'float'"), ([1, "a"], "item 1 is 'str'"), (3, "iterable of ints"),
    ("12", "iterable of ints"),
])
def test_size_refuses_non_ints(bad, message):
    with pytest.raises(TypeError, match=message):
        tg.Size(bad)


def test_tensor_size_returns_size_and_shape_a_tuple():
    x = tg.zeros(2, 3)
    assert type(x.size()) is tg.Size and x.size() == (2, 3) and x.size().numel() == 6
    assert x.size(1) == 3 and x.size == 6  # the int and per-dimension forms are unchanged
    assert type(x.shape) is tuple
    # a Size is accepted wherever a shape is
    assert tg.zeros(x.size()).shape == (2, 3) and x.reshape(tg.Size([3, 2])).shape == (3, 2)
    assert tg.ones(tg.Size([4])).shape == (4,)
