"""nn.utils.rnn (pad/pack/unpack) against naive Python loops written from the definitions,
gradients through packing in both directions, errors, and RNN/LSTM/GRU on PackedSequence
input against each sequence run alone, unpadded, through the numpy reference of
test_nn_recurrent and through the same layer; float64 finite differences of a packed LSTM."""

import importlib

import numpy as np
import pytest
from finite_differences import finite_difference_check
from test_nn_recurrent import make, numpy_state, randn, ref_sequence

from tinygrad_opt import Tensor, manual_seed, nn
from tinygrad_opt.nn import rnn_utils
from tinygrad_opt.nn.rnn_utils import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)


# ------------------------------------------------------------------ naive references
def naive_pad(seqs, batch_first=False, value=0.0, side="right"):
    steps = max(len(s) for s in seqs)
    out = np.full((steps, len(seqs)) + seqs[0].shape[1:], value)
    for b, s in enumerate(seqs):
        for t in range(len(s)):
            out[t + (steps - len(s) if side == "left" else 0), b] = s[t]
    return out.swapaxes(0, 1) if batch_first else out


def naive_sorted_indices(lengths):
    """Longest first; Python's sort is stable, so ties keep their order."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def naive_pack(x, lengths):
    """x (T, B, *): for each step t, the sequences still running, longest first."""
    order = naive_sorted_indices(lengths)
    rows, sizes = [], []
    for t in range(max(lengths)):
        active = [b for b in order if lengths[b] > t]
        rows += [x[t, b] for b in active]
        sizes.append(len(active))
    return np.array(rows), sizes


LENGTHS = [[5, 3, 3, 1], [3, 5, 1, 3], [2, 5, 2, 5], [4], [1, 1, 1]]


# ------------------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_a_naive_loop(batch_first, side):
    seqs = [randn(n, 2, 3, seed=n) for n in (2, 5, 0, 1)]
    out = pad_sequence([Tensor(s) for s in seqs], batch_first, -1.5, side)
    np.testing.assert_array_equal(out.data, naive_pad(seqs, batch_first, -1.5, side))


def test_pad_sequence_of_a_tensor_splits_its_first_dimension_and_keeps_dtype():
    x = randn(3, 4, 2).astype(np.float32)
    out = pad_sequence(Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, x.swapaxes(0, 1))
    ints = pad_sequence([Tensor(np.array([1, 2])), Tensor(np.array([3]))], padding_value=-1)
    np.testing.assert_array_equal(ints.data, [[1, 3], [2, -1]])


@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_gradient_is_the_padded_gradient_cut_back(side):
    seqs = [randn(n, 3, seed=n) for n in (3, 1, 4)]
    tensors = [Tensor(s, requires_grad=True) for s in seqs]
    out = pad_sequence(tensors, batch_first=True, padding_side=side)
    g = randn(*out.shape, seed=9)
    out.backward(Tensor(g))
    for b, (s, t) in enumerate(zip(seqs, tensors)):
        start = out.shape[1] - len(s) if side == "left" else 0
        np.testing.assert_array_equal(t.grad, g[b, start : start + len(s)])


def test_unpad_sequence_inverts_pad_sequence():
    seqs = [randn(n, 2, seed=n) for n in (3, 5, 1)]
    for batch_first in (False, True):
        padded = pad_sequence([Tensor(s) for s in seqs], batch_first)
        back = unpad_sequence(padded, Tensor(np.array([3, 5, 1])), batch_first)
        for s, b in zip(seqs, back):
            np.testing.assert_array_equal(b.data, s)


# ------------------------------------------------------------------------ packing
@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_matches_the_definitions(lengths, batch_first):
    x = randn(max(lengths) + 1, len(lengths), 3)  # one step longer than any sequence
    rows, sizes = naive_pack(x, lengths)
    given = Tensor(x.swapaxes(0, 1).copy() if batch_first else x)
    packed = pack_padded_sequence(given, lengths, batch_first, enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.data, rows)
    assert packed.batch_sizes.data.tolist() == sizes and packed.batch_sizes.dtype == np.int64
    order = naive_sorted_indices(lengths)
    assert packed.sorted_indices.data.tolist() == order
    assert [packed.unsorted_indices.data.tolist()[i] for i in order] == list(range(len(order)))
    if lengths == sorted(lengths, reverse=True):
        sorted_packed = pack_padded_sequence(given, lengths, batch_first)
        np.testing.assert_array_equal(sorted_packed.data.data, rows)
        assert sorted_packed.sorted_indices is None and sorted_packed.unsorted_indices is None


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_packed_sequence_restores_the_padded_batch(lengths, batch_first):
    steps = max(lengths)
    x = randn(steps, len(lengths), 2)
    given = x.swapaxes(0, 1).copy() if batch_first else x
    packed = pack_padded_sequence(Tensor(given), lengths, batch_first, enforce_sorted=False)
    for total in (None, steps + 2):
        padded, out_lengths = pad_packed_sequence(packed, batch_first, 7.0, total)
        expected = naive_pad([x[:n, b] for b, n in enumerate(lengths)], batch_first, 7.0)
        if total is not None:  # padding_value fills the extra steps too
            pad = [(0, 0)] * expected.ndim
            pad[1 if batch_first else 0] = (0, total - steps)
            expected = np.pad(expected, pad, constant_values=7.0)
        np.testing.assert_array_equal(padded.data, expected)
        assert out_lengths.data.tolist() == lengths and out_lengths.dtype == np.int64


@pytest.mark.parametrize("lengths", LENGTHS)
def test_pack_sequence_and_unpack_sequence_round_trip(lengths):
    seqs = [randn(n, 2, seed=i) for i, n in enumerate(lengths)]
    packed = pack_sequence([Tensor(s) for s in seqs], enforce_sorted=False)
    rows, sizes = naive_pack(naive_pad(seqs), lengths)
    np.testing.assert_array_equal(packed.data.data, rows)
    assert packed.batch_sizes.data.tolist() == sizes
    for s, back in zip(seqs, unpack_sequence(packed)):
        np.testing.assert_array_equal(back.data, s)


def test_gradients_flow_from_packed_data_to_the_padded_input_and_back():
    lengths = [2, 4, 1]
    x = randn(4, 3, 2)
    given = Tensor(x, requires_grad=True)
    packed = pack_padded_sequence(given, lengths, enforce_sorted=False)
    g = randn(*packed.data.shape, seed=5)
    packed.data.backward(Tensor(g))
    expected = np.zeros_like(x)  # each packed row's gradient lands on its padded slot
    k = 0
    for t in range(4):
        for b in naive_sorted_indices(lengths):
            if lengths[b] > t:
                expected[t, b] = g[k]
                k += 1
    np.testing.assert_array_equal(given.grad, expected)

    data = Tensor(packed.data.data.copy(), requires_grad=True)
    repacked = PackedSequence(data, packed.batch_sizes, packed.sorted_indices)
    padded, _ = pad_packed_sequence(repacked, batch_first=True, padding_value=3.0)
    h = randn(*padded.shape, seed=6)
    padded.backward(Tensor(h))
    rows, _ = naive_pack(h.swapaxes(0, 1), lengths)  # padding slots get no gradient
    np.testing.assert_array_equal(data.grad, rows)


# ---------------------------------------------------------------------- PackedSequence
def test_packed_sequence_is_a_namedtuple_with_torchs_fields():
    data = Tensor(randn(4, 2))
    packed = PackedSequence(data, [2, 1, 1], [1, 0])
    assert PackedSequence._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert isinstance(packed, tuple) and packed.data is data
    assert packed.unsorted_indices.data.tolist() == [1, 0]
    shuffled = PackedSequence(data, [2, 1, 1], [2, 0, 1])  # the inverse permutation
    assert shuffled.unsorted_indices.data.tolist() == [1, 2, 0]
    pair = PackedSequence((data, Tensor(np.array([3, 1]))))
    assert pair.batch_sizes.data.tolist() == [3, 1] and pair.sorted_indices is None
    as_double = PackedSequence(Tensor(randn(2, 1).astype(np.float32)), [1, 1]).double()
    assert as_double.data.dtype == np.float64 and as_double.batch_sizes.data.tolist() == [1, 1]


def test_utils_rnn_is_importable_by_path_and_as_attribute():
    by_path = importlib.import_module("tinygrad_opt.nn.utils.rnn")
    assert nn.utils.rnn is by_path
    for name in rnn_utils.__all__:
        assert getattr(by_path, name) is getattr(rnn_utils, name)
    utils = importlib.import_module("tinygrad_opt.nn.utils")
    assert callable(utils.clip_grad_norm_) and callable(utils.parameters_to_vector)


# ------------------------------------------------------------------------------ errors
def test_packing_errors_name_the_problem():
    x = Tensor(randn(5, 3, 2))
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        pack_padded_sequence(x, [3, 5, 1])
    with pytest.raises(ValueError, match="between 1 and the input's 5 steps"):
        pack_padded_sequence(x, [6, 3, 1], enforce_sorted=False)
    with pytest.raises(ValueError, match="between 1 and"):
        pack_padded_sequence(x, [5, 3, 0])
    with pytest.raises(ValueError, match="between 1 and"):
        pack_sequence([Tensor(randn(2, 2)), Tensor(np.zeros((0, 2)))], enforce_sorted=False)
    with pytest.raises(ValueError, match=r"len\(lengths\) to be equal to batch_size"):
        pack_padded_sequence(x, [5, 3])
    with pytest.raises(TypeError, match="lengths must be a 1-D integer"):
        pack_padded_sequence(x, [5.0, 3.0, 1.0])
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        pack_padded_sequence(Tensor(randn(4)), [4])
    with pytest.raises(ValueError, match="cannot pack empty"):
        pack_padded_sequence(Tensor(np.zeros((3, 0, 2))), [])
    packed = pack_padded_sequence(x, [5, 3, 1])
    with pytest.raises(ValueError, match="total_length=4 and max sequence length being 5"):
        pad_packed_sequence(packed, total_length=4)
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        pad_packed_sequence(x)
    with pytest.raises(ValueError, match="non-increasing"):
        pad_packed_sequence(PackedSequence(packed.data, [1, 3, 3, 1, 1]))
    with pytest.raises(ValueError, match="sum to the data's 9 rows"):
        pad_packed_sequence(PackedSequence(packed.data, [3, 3, 1, 1]))
    with pytest.raises(ValueError, match="permutation"):
        pad_packed_sequence(PackedSequence(packed.data, packed.batch_sizes, [0, 0, 1]))


def test_padding_errors_name_the_problem():
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence([Tensor(randn(2))], padding_side="middle")
    with pytest.raises(ValueError, match="empty list"):
        pad_sequence([])
    with pytest.raises(ValueError, match="same trailing dimensions"):
        pad_sequence([Tensor(randn(2, 3)), Tensor(randn(2, 4))])
    with pytest.raises(TypeError, match="must be a Tensor"):
        pad_sequence([randn(2, 3)])
    with pytest.raises(ValueError, match="between 0 and 3"):
        unpad_sequence(Tensor(randn(3, 2)), [4, 1])


# ------------------------------------------------------------------ packed recurrent layers
def packed_reference(kind, layer, x, lengths, h0, c0, relu=False):
    """Each sequence alone, unpadded, through the numpy reference: padded outputs (zeros
    past each end) and h_n / c_n in the caller's order."""
    sd = numpy_state(layer)
    D = 2 if layer.bidirectional else 1
    outputs = np.zeros(x.shape[:2] + (D * (layer.proj_size or layer.hidden_size),))
    h_n, c_n = np.zeros(h0.shape), None if c0 is None else np.zeros(c0.shape)
    for b, n in enumerate(lengths):
        out, h, c = ref_sequence(kind, sd, x[:n, b : b + 1], h0[:, b : b + 1],
                                 None if c0 is None else c0[:, b : b + 1], layer.num_layers, D,
                                 relu)  # fmt: skip
        outputs[:n, b], h_n[:, b] = out[:, 0], h[:, 0]
        if c0 is not None:
            c_n[:, b] = c[:, 0]
    return outputs, h_n, c_n


CASES = [
    dict(),
    dict(bidirectional=True),
    dict(num_layers=2),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
]


@pytest.mark.parametrize("kind", ["RNN", "RNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CASES, ids=lambda c: "-".join(c) or "default")
@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 5, 1, 4, 4], [3, 3]],
                         ids=["sorted", "unsorted", "equal"])  # fmt: skip
@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "h0"])
def test_packed_layers_match_each_sequence_run_alone(kind, config, lengths, given_state):
    manual_seed(3)
    relu = kind == "RNN-relu"
    kind = kind.split("-")[0]
    layer = make(kind, 3, 4, relu=relu, **config)
    D, B, T = 2 if layer.bidirectional else 1, len(lengths), max(lengths)
    x = randn(T, B, 3, seed=1)
    shape = (D * layer.num_layers, B, 4)
    h0 = randn(*shape, seed=2) if given_state else np.zeros(shape)
    c0 = (randn(*shape, seed=3) if given_state else np.zeros(shape)) if kind == "LSTM" else None
    out_ref, hn_ref, cn_ref = packed_reference(kind, layer, x, lengths, h0, c0, relu)

    batch_first = config.get("batch_first", False)
    given = x.swapaxes(0, 1).copy() if batch_first else x
    unsorted = lengths != sorted(lengths, reverse=True)
    packed = pack_padded_sequence(Tensor(given), lengths, batch_first, enforce_sorted=not unsorted)
    hx = None
    if given_state:
        hx = (Tensor(h0), Tensor(c0)) if kind == "LSTM" else Tensor(h0)
    out, state = layer(packed, hx)
    hn, cn = state if kind == "LSTM" else (state, None)
    assert isinstance(out, PackedSequence)
    assert out.batch_sizes.data.tolist() == packed.batch_sizes.data.tolist()
    assert (out.sorted_indices is None) == (not unsorted)
    padded, out_lengths = pad_packed_sequence(out, batch_first)
    padded = padded.data.swapaxes(0, 1) if batch_first else padded.data
    assert out_lengths.data.tolist() == lengths
    np.testing.assert_allclose(padded, out_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hn.data, hn_ref, rtol=1e-12, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(cn.data, cn_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_lstm_with_projection_matches_each_sequence_through_the_same_layer(bidirectional):
    manual_seed(4)
    layer = make("LSTM", 2, 4, num_layers=2, proj_size=3, bidirectional=bidirectional)
    lengths = [3, 6, 2, 6]
    seqs = [randn(n, 2, seed=i) for i, n in enumerate(lengths)]
    D = 2 if bidirectional else 1
    h0, c0 = randn(2 * D, 4, 3, seed=7), randn(2 * D, 4, 4, seed=8)
    packed = pack_sequence([Tensor(s) for s in seqs], enforce_sorted=False)
    out, (hn, cn) = layer(packed, (Tensor(h0), Tensor(c0)))
    for b, (s, back) in enumerate(zip(seqs, unpack_sequence(out))):
        alone, (h, c) = layer(Tensor(s), (Tensor(h0[:, b]), Tensor(c0[:, b])))  # unbatched
        np.testing.assert_allclose(back.data, alone.data, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hn.data[:, b], h.data, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cn.data[:, b], c.data, rtol=1e-12, atol=1e-12)


def test_packed_float32_layer_keeps_float32():
    layer = nn.GRU(2, 3)
    packed = pack_sequence([Tensor(randn(3, 2).astype(np.float32)),
                            Tensor(randn(1, 2).astype(np.float32))])  # fmt: skip
    out, hn = layer(packed)
    assert out.data.dtype == np.float32 and hn.dtype == np.float32 and hn.shape == (1, 2, 3)


def test_packed_layer_errors():
    layer = nn.LSTM(2, 3)
    packed = pack_sequence([Tensor(randn(3, 2)), Tensor(randn(1, 2))])
    with pytest.raises(ValueError, match=r"packed data of shape \(sum of lengths, 3\)"):
        nn.LSTM(3, 3)(packed)
    bad_state = (Tensor(np.zeros((1, 3, 3))), Tensor(np.zeros((1, 3, 3))))
    with pytest.raises(ValueError, match=r"h_0 of shape \(1, 2, 3\)"):
        layer(packed, bad_state)
    with pytest.raises(ValueError, match="non-increasing"):
        layer(PackedSequence(packed.data, [1, 2, 1]))


def test_packed_lstm_gradients_by_finite_differences():
    manual_seed(6)
    layer = make("LSTM", 2, 2, num_layers=2, bidirectional=True)
    lengths = [2, 3, 1]
    arrays = {"input": randn(3, 3, 2, seed=1), "h_0": randn(4, 3, 2, seed=2) * 0.5,
              "c_0": randn(4, 3, 2, seed=3) * 0.5, **dict(layer.named_parameters())}

    def forward(t):
        packed = pack_padded_sequence(t["input"], lengths, enforce_sorted=False)
        out, (hn, cn) = layer(packed, (t["h_0"], t["c_0"]))
        padded, _ = pad_packed_sequence(out, batch_first=True)
        return [padded, hn, cn]

    finite_difference_check(forward, arrays)
