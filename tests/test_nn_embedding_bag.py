"""EmbeddingBag / F.embedding_bag: values against a bag-by-bag Python loop written from the
documented definition, float64 finite-difference gradients for the weight and
per_sample_weights, padding_idx, empty bags, max_norm, scale_grad_by_freq, the module's
parameters and the errors for bad input."""

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


def naive_bags(idx, offsets, include_last_offset):
    """The list of bags (lists of positions) by the documented rule."""
    if idx.ndim == 2:
        return [list(range(r * idx.shape[1], (r + 1) * idx.shape[1])) for r in range(idx.shape[0])]
    # include_last_offset: offsets is CSR, its last entry ends the last bag
    bounds = list(offsets) if include_last_offset else list(offsets) + [len(idx)]
    starts = bounds[:-1]
    return [list(range(bounds[b], bounds[b + 1])) for b in range(len(starts))]


def naive_embedding_bag(table, idx, offsets=None, mode="mean", psw=None,
                        include_last_offset=False, padding_idx=None):
    flat = idx.reshape(-1)
    weights = None if psw is None else psw.reshape(-1)
    out = []
    for bag in naive_bags(idx, offsets, include_last_offset):
        kept = [p for p in bag if flat[p] != padding_idx]
        if not kept:
            out.append(np.zeros(table.shape[1]))
            continue
        rows = np.array([table[flat[p]] * (1.0 if weights is None else weights[p]) for p in kept])
        out.append({"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode])
    return np.array(out).reshape(-1, table.shape[1])


IDX_1D = np.array([1, 2, 2, 5, 0, 3, 4, 6, 6, 1, 0])
OFFSETS = np.array([0, 2, 2, 5, 9])  # bag 1 is empty


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, 6])
def test_values_1d_with_offsets(mode, padding_idx):
    table = randn(7, 4)
    out = F.embedding_bag(IDX_1D, Tensor(table), OFFSETS, mode=mode, padding_idx=padding_idx)
    expected = naive_embedding_bag(table, IDX_1D, OFFSETS, mode, padding_idx=padding_idx)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
    assert np.all(out.data[1] == 0)  # the empty bag


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_values_2d_and_include_last_offset(mode):
    table = randn(7, 3)
    idx = np.random.default_rng(3).integers(0, 7, (4, 5))
    out = F.embedding_bag(idx, Tensor(table), mode=mode, padding_idx=0)
    np.testing.assert_allclose(out.data, naive_embedding_bag(table, idx, mode=mode, padding_idx=0),
                               rtol=1e-12, atol=1e-14)
    last = np.append(OFFSETS, len(IDX_1D))
    out = F.embedding_bag(IDX_1D, Tensor(table), last, mode=mode, include_last_offset=True)
    np.testing.assert_allclose(out.data, naive_embedding_bag(table, IDX_1D, last, mode, None, True),
                               rtol=1e-12, atol=1e-14)
    assert out.shape == (len(OFFSETS), 3)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset_ends_the_last_bag_at_the_last_offset(mode):
    table = randn(7, 3)
    for last in ([0, 2, 2, 5], [0, 0], [0]):  # all shorter than IDX_1D; [0] is no bag at all
        last = np.array(last)
        w = Tensor(table, requires_grad=True)
        out = F.embedding_bag(IDX_1D, w, last, mode=mode, include_last_offset=True)
        expected = naive_embedding_bag(table, IDX_1D, last, mode, None, True)
        assert out.shape == (len(last) - 1, 3)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
        out.sum().backward()
        unused = np.setdiff1d(np.arange(7), IDX_1D[: last[-1]])
        np.testing.assert_array_equal(w.grad[unused], 0.0)  # rows only past the end


def test_a_bag_of_padding_only_is_zero_and_mean_ignores_padding():
    table = randn(4, 2)
    out = F.embedding_bag(np.array([[1, 1], [1, 3]]), Tensor(table), mode="mean", padding_idx=1)
    np.testing.assert_array_equal(out.data[0], 0.0)
    np.testing.assert_allclose(out.data[1], table[3])  # divided by 1, not 2


def test_per_sample_weights_values():
    table = randn(7, 4)
    psw = randn(*IDX_1D.shape, seed=5)
    out = F.embedding_bag(IDX_1D, Tensor(table), OFFSETS, mode="sum",
                          per_sample_weights=Tensor(psw), padding_idx=2)
    expected = naive_embedding_bag(table, IDX_1D, OFFSETS, "sum", psw, padding_idx=2)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 5])
def test_weight_gradients_by_finite_differences(mode, padding_idx):
    # random table entries: no ties inside a bag, so max is differentiable
    check_grads(lambda w: F.embedding_bag(IDX_1D, w, OFFSETS, mode=mode, padding_idx=padding_idx),
                randn(7, 4))
    idx = np.random.default_rng(2).integers(0, 6, (3, 4))
    check_grads(lambda w: F.embedding_bag(idx, w, mode=mode, padding_idx=padding_idx), randn(6, 3))


def test_padding_row_and_unused_rows_get_zero_gradient():
    weight = Tensor(randn(7, 4), requires_grad=True)
    F.embedding_bag(IDX_1D, weight, OFFSETS, mode="mean", padding_idx=2).sum().backward()
    np.testing.assert_array_equal(weight.grad[2], 0.0)
    weight.grad = None
    F.embedding_bag(np.array([[3, 3]]), weight, mode="max").sum().backward()
    assert np.count_nonzero(weight.grad.sum(axis=1)) == 1


def test_per_sample_weights_as_a_plain_array_are_constants():
    weight = Tensor(randn(7, 4), requires_grad=True)
    psw = randn(IDX_1D.size, seed=4)
    F.embedding_bag(IDX_1D, weight, OFFSETS, mode="sum", per_sample_weights=psw).sum().backward()
    expected = np.zeros((7, 4))
    for p, row in enumerate(IDX_1D):
        expected[row] += psw[p]
    np.testing.assert_allclose(weight.grad, expected, rtol=1e-12)


def test_per_sample_weights_gradients_by_finite_differences():
    def fn(w, psw):
        return F.embedding_bag(IDX_1D, w, OFFSETS, mode="sum", per_sample_weights=psw,
                               padding_idx=6)
    check_grads(fn, randn(7, 4), randn(IDX_1D.size, seed=4))
    idx = np.array([[0, 2, 2], [1, 3, 0]])
    check_grads(lambda w, psw: F.embedding_bag(idx, w, mode="sum", per_sample_weights=psw),
                randn(4, 3), randn(2, 3, seed=4))


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_divides_by_each_rows_count(mode):
    weight = Tensor(randn(7, 2), requires_grad=True)
    F.embedding_bag(IDX_1D, weight, OFFSETS, mode=mode).backward(gradient=np.ones((5, 2)))
    plain = weight.grad.copy()
    weight.grad = None
    F.embedding_bag(IDX_1D, weight, OFFSETS, mode=mode, scale_grad_by_freq=True).backward(
        gradient=np.ones((5, 2)))
    counts = np.array([np.sum(IDX_1D == r) for r in range(7)])
    np.testing.assert_allclose(weight.grad, plain / np.maximum(counts, 1)[:, None])


def test_max_norm_renormalises_the_looked_up_rows_in_place():
    table = randn(5, 3) * 3
    weight = Tensor(table.copy())
    idx = np.array([[0, 1], [1, 3]])
    out = F.embedding_bag(idx, weight, mode="sum", max_norm=1.0)
    expected = table.copy()
    for r in (0, 1, 3):
        norm = np.sqrt(np.sum(table[r] ** 2))
        if norm > 1.0:
            expected[r] = table[r] * 1.0 / (norm + 1e-7)
    np.testing.assert_allclose(weight.data, expected, rtol=1e-12)
    np.testing.assert_allclose(out.data, naive_embedding_bag(expected, idx, mode="sum"),
                               rtol=1e-12)
    np.testing.assert_array_equal(weight.data[[2, 4]], table[[2, 4]])


def test_float32_stays_float32():
    out = F.embedding_bag(IDX_1D, Tensor(randn(7, 4).astype(np.float32)), OFFSETS, mode="max")
    assert out.dtype == np.float32


def test_module_parameters_init_and_repr():
    manual_seed(0)
    bag = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-2)
    assert [name for name, _ in bag.named_parameters()] == ["weight"]
    assert list(bag.state_dict()) == ["weight"]
    assert bag.weight.shape == (10, 3) and bag.weight.dtype == np.float32
    assert bag.padding_idx == 8 and np.all(bag.weight.data[8] == 0)
    assert repr(bag) == "EmbeddingBag(10, 3, mode='sum', padding_idx=8)"
    manual_seed(0)
    again = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=8)
    np.testing.assert_array_equal(again.weight.data, bag.weight.data)
    idx = np.array([[1, 8, 3]])
    np.testing.assert_allclose(bag(idx).data, naive_embedding_bag(bag.weight.data, idx, mode="sum",
                                                                  padding_idx=8), rtol=1e-6)


def test_module_forward_with_offsets_and_weights():
    bag = nn.EmbeddingBag(7, 4, mode="sum", include_last_offset=True)
    last = np.append(OFFSETS, len(IDX_1D))
    psw = randn(IDX_1D.size)
    out = bag(IDX_1D, last, Tensor(psw))
    expected = naive_embedding_bag(bag.weight.data.astype(np.float64), IDX_1D, last, "sum", psw,
                                   include_last_offset=True)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


def test_from_pretrained_copies_and_freezes():
    table = randn(4, 2)
    bag = nn.EmbeddingBag.from_pretrained(Tensor(table), mode="max", padding_idx=1)
    np.testing.assert_array_equal(bag.weight.data, table)  # the padding row is not zeroed
    assert not bag.weight.requires_grad and bag.mode == "max"
    assert nn.EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="2-D"):
        nn.EmbeddingBag.from_pretrained(np.zeros(3))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(input=IDX_1D, offsets=np.array([1, 3])), r"offsets\[0\] has to be 0"),
        (dict(input=IDX_1D, offsets=np.array([0, 5, 3])), "non-decreasing"),
        (dict(input=IDX_1D, offsets=np.array([0, 12])), r"offsets\[-1\] can not be greater"),
        (dict(input=IDX_1D, offsets=None), "offsets has to be a 1D Tensor"),
        (dict(input=IDX_1D, offsets=np.array([[0, 1]])), "offsets has to be a 1D Tensor"),
        (dict(input=IDX_1D.reshape(1, -1), offsets=np.array([0])), "if input is 2D"),
        (dict(input=IDX_1D.reshape(1, 1, -1)), "1D or 2D"),
        (dict(input=IDX_1D, offsets=OFFSETS, mode="mean", per_sample_weights=randn(11)),
         "only supported for mode='sum'"),
        (dict(input=IDX_1D, offsets=OFFSETS, mode="sum", per_sample_weights=randn(10)),
         "per_sample_weights must have the input's shape"),
        (dict(input=IDX_1D, offsets=OFFSETS, mode="median"), "mode has to be one of"),
        (dict(input=IDX_1D, offsets=OFFSETS, mode="max", scale_grad_by_freq=True),
         "max mode does not support"),
        (dict(input=np.array([0, 7]), offsets=np.array([0])), "index out of range"),
        (dict(input=IDX_1D, offsets=OFFSETS, padding_idx=7), "padding_idx"),
    ],
)
def test_bad_input_raises_value_error_and_leaves_weight_unchanged(kwargs, match):
    weight = Tensor(randn(7, 4) * 3, requires_grad=True)
    before = weight.data.copy()
    with pytest.raises(ValueError, match=match):
        F.embedding_bag(weight=weight, max_norm=0.5, **kwargs)
    np.testing.assert_array_equal(weight.data, before)


def test_bad_types_raise_type_error():
    weight = Tensor(randn(7, 4))
    with pytest.raises(TypeError, match="indices must be integers"):
        F.embedding_bag(np.array([0.0, 1.0]), weight, np.array([0]))
    with pytest.raises(TypeError, match="offsets must be integers"):
        F.embedding_bag(IDX_1D, weight, np.array([0.0]))
    with pytest.raises(ValueError, match="mode has to be one of"):
        nn.EmbeddingBag(3, 2, mode="prod")
    with pytest.raises(ValueError, match="_weight must have shape"):
        nn.EmbeddingBag(3, 2, _weight=np.zeros((2, 3)))
