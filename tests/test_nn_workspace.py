"""The scratch-array cache reuses memory only once no array over it is alive."""

import gc

import numpy as np

from tinygrad_opt.nn import _workspace


def _big_shape():
    return (_workspace.MIN_BYTES // 4 + 8,)


def test_memory_is_reused_after_every_view_is_gone():
    _workspace.clear()
    a = _workspace.scratch(_big_shape(), np.float32)
    address = a.__array_interface__["data"][0]
    del a
    gc.collect()
    b = _workspace.scratch(_big_shape(), np.float32)
    assert b.__array_interface__["data"][0] == address
    _workspace.clear()


def test_memory_held_by_a_derived_view_is_not_handed_out_again():
    _workspace.clear()
    a = _workspace.scratch(_big_shape(), np.float32)
    a[:] = 7.0
    kept = a[8:].reshape(-1)[::2]  # a view of a view: must keep the block reserved
    del a
    gc.collect()
    b = _workspace.scratch(_big_shape(), np.float32)
    b[:] = -1.0
    assert not np.shares_memory(b, kept)
    np.testing.assert_array_equal(kept, 7.0)
    _workspace.clear()


def test_small_arrays_and_shapes_are_plain_and_writable():
    small = _workspace.scratch((3, 4), np.float64)
    assert small.shape == (3, 4) and small.dtype == np.float64 and small.flags.writeable
    big = _workspace.scratch((2, *_big_shape()), np.float32)
    assert big.shape == (2, *_big_shape()) and big.dtype == np.float32
    assert big.flags.c_contiguous and big.flags.writeable
    _workspace.clear()
