"""Legacy typed constructors (tinygrad_opt/tensor_types.py): FloatTensor, LongTensor, ..."""

import numpy as np
import pytest

import tinygrad_opt as tg


def test_sizes_make_a_zero_filled_tensor_of_the_fixed_dtype():
    t = tg.FloatTensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.data.any()
    assert tg.DoubleTensor(tg.Size([4, 1])).shape == (4, 1)
    assert tg.LongTensor(np.int64(3)).shape == (3,)
    empty = tg.FloatTensor()
    assert empty.shape == (0,) and empty.dtype == np.float32


def test_float_tensor_ignores_the_default_dtype():
    old = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.FloatTensor([1.5]).dtype == np.float32
        assert tg.FloatTensor(2).dtype == np.float32
    finally:
        tg.set_default_dtype(old)


def test_data_is_converted_as_numpy_and_a_tuple_is_data():
    np.testing.assert_array_equal(tg.FloatTensor((2, 3)).data, np.array([2.0, 3.0], np.float32))
    np.testing.assert_array_equal(tg.LongTensor([1.7, -2.2, 3]).data, [1, -2, 3])  # truncation
    b = tg.BoolTensor([[1, 0], [0, 2]])
    assert b.dtype == np.bool_
    np.testing.assert_array_equal(b.data, [[True, False], [False, True]])
    a = np.array([1, 2])
    t = tg.DoubleTensor(a)
    a[0] = 9  # data is copied
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    assert t.dtype == np.float64
    for cls, dtype in [(tg.HalfTensor, np.float16), (tg.IntTensor, np.int32),
                       (tg.ShortTensor, np.int16), (tg.CharTensor, np.int8),
                       (tg.ByteTensor, np.uint8)]:
        assert cls([1, 2]).dtype == dtype


def test_a_tensor_of_the_same_dtype_is_shared_another_is_refused():
    x = tg.zeros(3, dtype=tg.float32)
    y = tg.FloatTensor(x)
    y.data[0] = 5.0
    assert x.data[0] == 5.0
    with pytest.raises(TypeError, match="float32"):
        tg.FloatTensor(tg.zeros(3, dtype=tg.float64))


def test_isinstance_checks_the_dtype():
    assert isinstance(tg.zeros(2, dtype=tg.float32), tg.FloatTensor)
    assert not isinstance(tg.zeros(2, dtype=tg.float64), tg.FloatTensor)
    assert isinstance(tg.tensor([1, 2]), tg.LongTensor)
    assert not isinstance(np.zeros(2, np.float32), tg.FloatTensor)


def test_bad_arguments():
    with pytest.raises(TypeError, match="sequence"):
        tg.FloatTensor(2.5)
    with pytest.raises(TypeError, match="sizes"):
        tg.FloatTensor(2, [3])
    with pytest.raises(ValueError, match="non-negative"):
        tg.FloatTensor(2, -1)
    with pytest.raises(ValueError, match="CPU"):
        tg.FloatTensor(2, device="cuda")
    assert tg.FloatTensor(2, device="cpu").shape == (2,)


def test_parameter_from_a_float_tensor_trains():
    p = tg.nn.Parameter(tg.FloatTensor(3))
    assert p.requires_grad and p.shape == (3,) and p.dtype == np.float32
