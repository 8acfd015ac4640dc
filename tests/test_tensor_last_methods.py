"""The last torch Tensor methods (byte/char/short, angle, isreal, adjoint, cholesky,
lu_solve, triangular_solve, unsafe_*, nonzero_static, as_strided, new, apply_, map_,
resize_, resize_as_): values against numpy formulas and naive loops written here, gradients
by float64 finite differences, and the errors."""

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

from tinygrad_opt import Tensor


def test_small_integer_casts_wrap_as_twos_complement():
    x = Tensor(np.arange(-3, 3))
    assert x.byte().numpy().tolist() == [253, 254, 255, 0, 1, 2]
    assert x.byte().dtype == np.uint8
    assert x.char().dtype == np.int8 and x.char().numpy().tolist() == [-3, -2, -1, 0, 1, 2]
    big = Tensor(np.array([70000]))
    assert big.short().dtype == np.int16 and big.short().item() == 70000 - 65536


def test_angle_isreal_adjoint():
    a = np.array([-1.5, 0.0, 2.0, np.nan, -0.0], np.float32)
    x = Tensor(a, requires_grad=True)
    out = x.angle()
    np.testing.assert_array_equal(out.numpy(), np.float32([np.pi, 0, 0, np.nan, 0]))
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(5))
    assert Tensor(np.array([-2, 3])).angle().dtype == np.float32
    assert Tensor(np.array([1.0, -2.0])).isreal().numpy().tolist() == [True, True]
    m = randn(2, 3, 4)
    np.testing.assert_array_equal(Tensor(m).adjoint().numpy(), m.swapaxes(-1, -2))
    with pytest.raises(ValueError, match="matrix"):
        Tensor(randn(3)).adjoint()


def test_cholesky_lu_solve_triangular_solve_methods():
    a = randn(2, 3, 3)
    spd = a @ a.swapaxes(-1, -2) + 3 * np.eye(3)
    low = np.linalg.cholesky(spd)
    np.testing.assert_allclose(Tensor(spd).cholesky().numpy(), low, atol=1e-12)
    np.testing.assert_allclose(Tensor(spd).cholesky(upper=True).numpy(),
                               low.swapaxes(-1, -2), atol=1e-12)
    b = randn(2, 3, 2, seed=3)
    import tinygrad_opt as tg

    lu, piv = tg.linalg.lu_factor(Tensor(spd))
    np.testing.assert_allclose(Tensor(b).lu_solve(lu, piv).numpy(), np.linalg.solve(spd, b),
                               atol=1e-10)
    for upper in (True, False):
        for transpose in (True, False):
            for unit in (True, False):
                tri = np.triu(spd) if upper else np.tril(spd)
                if unit:
                    tri = tri - np.einsum("bii->bi", tri)[..., None] * np.eye(3) + np.eye(3)
                coeff = tri.swapaxes(-1, -2) if transpose else tri
                x, clone = Tensor(b).triangular_solve(Tensor(spd), upper=upper,
                                                      transpose=transpose, unitriangular=unit)
                np.testing.assert_allclose(x.numpy(), np.linalg.solve(coeff, b), atol=1e-10)
                np.testing.assert_array_equal(clone.numpy(), spd)
    # one matrix for a batch of right-hand sides: the copy of A takes the batch shape too
    single = np.tril(spd[0])
    x, clone = Tensor(b).triangular_solve(Tensor(single), upper=False)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(single, b), atol=1e-10)
    assert clone.shape == (2, 3, 3)
    np.testing.assert_array_equal(clone.numpy(), np.stack([single, single]))
    check_grads(lambda bb, aa: bb.triangular_solve(aa, upper=False, transpose=True)[0],
                b, np.tril(spd))


def test_unsafe_aliases_split_like_chunk_and_split():
    x = Tensor(np.arange(10.0))
    assert [t.numpy().tolist() for t in x.unsafe_chunk(3)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(t.numpy()) for t in x.unsafe_split(4)] == [4, 4, 2]
    assert [len(t.numpy()) for t in x.unsafe_split_with_sizes([1, 9])] == [1, 9]


def test_nonzero_static_pads_and_truncates():
    a = np.array([[0, 3], [1, 5]])
    rows = [(i, j) for i in range(2) for j in range(2) if a[i, j] != 0]
    got = Tensor(a).nonzero_static(size=5).numpy()
    assert got.dtype == np.int64
    assert got.tolist() == [list(r) for r in rows] + [[-1, -1]] * 2
    assert Tensor(a).nonzero_static(size=1, fill_value=7).numpy().tolist() == [[0, 1]]
    with pytest.raises(ValueError, match="size"):
        Tensor(a).nonzero_static(size=-1)
    for bad in (1.5, True, None):  # int64 rows: refused rather than truncated
        with pytest.raises(TypeError, match="fill_value"):
            Tensor(a).nonzero_static(size=2, fill_value=bad)
    assert Tensor(a).nonzero_static(size=4, fill_value=np.int64(-9)).numpy()[3].tolist() == [-9, -9]


def naive_as_strided(flat, size, stride, offset):
    out = np.zeros(size)
    for index in np.ndindex(*size):
        out[index] = flat[offset + sum(i * s for i, s in zip(index, stride))]
    return out


@pytest.mark.parametrize("size,stride,offset", [
    ((3, 2), (1, 1), 1), ((2, 2, 2), (4, 1, 2), 0), ((4,), (3,), 0), ((2, 3), (0, 2), 5),
])
def test_as_strided_reads_and_grads(size, stride, offset):
    base = randn(3, 4)
    got = Tensor(base).as_strided(size, stride, offset).numpy()
    np.testing.assert_array_equal(got, naive_as_strided(base.reshape(-1), size, stride, offset))
    check_grads(lambda t: t.as_strided(size, stride, offset), base)


def test_as_strided_errors():
    x = Tensor(np.arange(6.0))
    with pytest.raises(ValueError, match="past the 6 elements"):
        x.as_strided((3,), (3,), 0)
    with pytest.raises(ValueError, match="stride"):
        x.as_strided((2,), (-1,))
    with pytest.raises(ValueError, match="same length"):
        x.as_strided((2, 2), (1,))
    with pytest.raises(TypeError, match="storage_offset"):
        x.as_strided((2,), (1,), (1, 2))
    out = x.as_strided((2,), (1,))
    with pytest.raises(ValueError):
        out.data[0] = 5.0  # a read-only view


def test_new_sizes_data_and_empty():
    x = Tensor(np.ones(2, np.float64))
    made = x.new(2, 3)
    assert made.shape == (2, 3) and made.dtype == np.float64 and not made.numpy().any()
    assert x.new().shape == (0,)
    assert Tensor(np.ones(2, np.int64)).new([1.5, 2.5]).numpy().tolist() == [1, 2]
    assert x.new((2, 3)).numpy().tolist() == [2.0, 3.0]  # a tuple is data, as torch
    with pytest.raises(TypeError, match="sequence"):
        x.new(2.5)  # neither a size nor a sequence of data


def test_apply_and_map_in_place():
    x = Tensor(np.arange(4.0))
    assert x.apply_(lambda v: v * v + 1) is x
    assert x.numpy().tolist() == [1.0, 2.0, 5.0, 10.0]
    x.map_(Tensor(np.array([1.0, 2.0, 3.0, 4.0])), lambda a, b: a - b)
    assert x.numpy().tolist() == [0.0, 0.0, 2.0, 6.0]
    x.map_(Tensor(np.array([10.0])), max)  # broadcast
    assert x.numpy().tolist() == [10.0] * 4
    with pytest.raises(RuntimeError, match="requires grad"):
        Tensor(np.ones(2), requires_grad=True).apply_(abs)
    with pytest.raises(TypeError, match="callable"):
        x.apply_(3)
    with pytest.raises(ValueError, match="broadcast"):
        x.map_(Tensor(np.ones(3)), max)
    assert x.numpy().tolist() == [10.0] * 4


def test_resize_keeps_c_order_and_zero_fills():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    x.resize_(4, 2)
    assert x.numpy().tolist() == [[0, 1], [2, 3], [4, 5], [0, 0]]
    x.resize_(3)
    assert x.numpy().tolist() == [0, 1, 2]
    x.resize_as_(Tensor(np.zeros((1, 2))))
    assert x.numpy().tolist() == [[0, 1]]
    with pytest.raises(RuntimeError, match="requires grad"):
        Tensor(np.ones(2), requires_grad=True).resize_(3)
    with pytest.raises(ValueError, match="sizes"):
        x.resize_(-1)
    assert x.shape == (1, 2)


def test_in_place_legacy_methods_refuse_grad_tensors_even_under_no_grad():
    # no_grad does not make rewriting a leaf's values or shape safe: refused as with grad on
    import tinygrad_opt as tg

    leaf = Tensor(np.arange(3.0), requires_grad=True)
    with tg.no_grad():
        with pytest.raises(RuntimeError, match="requires grad"):
            leaf.apply_(lambda v: v + 1)
        with pytest.raises(RuntimeError, match="requires grad"):
            leaf.resize_(5)
        with pytest.raises(RuntimeError, match="requires grad"):
            leaf.resize_as_(Tensor(np.zeros(1)))
        with pytest.raises(RuntimeError, match="requires grad"):
            leaf.map_(Tensor(np.ones(3)), max)
        plain = Tensor(np.zeros(3))
        with pytest.raises(RuntimeError, match="requires grad"):
            plain.map_(leaf, max)  # the other tensor may not require grad either
    assert leaf.numpy().tolist() == [0.0, 1.0, 2.0] and leaf.shape == (3,)
    assert plain.numpy().tolist() == [0.0, 0.0, 0.0]
