"""Review fixes to the top-level torch functions: nested vmap, slice_copy/squeeze_copy
dimension checks, embedding_bag's max_indices for padding-only bags, segment_reduce on many
segments, svd_lowrank's default q on small matrices, GradScaler growth at float32's limit
and malformed RNG states. References are written here (loops, numpy, closed forms).
"""

import tracemalloc

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.amp import GradScaler

RNG = np.random.default_rng(7)


def test_nested_vmap_with_default_randomness_maps_both_dimensions():
    a = RNG.standard_normal((3, 4, 5))
    got = tg.vmap(tg.vmap(lambda row: (row * row).sum()))(tg.tensor(a))
    want = np.array([[np.sum(a[i, j] ** 2) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    # an inner "same" inside an outer "error" vmap works as long as nothing is drawn
    inner_same = tg.vmap(tg.vmap(lambda row: row + 1.0, randomness="same"))(tg.tensor(a))
    np.testing.assert_allclose(inner_same.numpy(), a + 1.0)
    # ... and a draw there is still refused by the outer vmap, which then restores the stream
    before = tg.get_rng_state()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tg.vmap(tg.vmap(lambda row: row + tg.rand(5), randomness="different"))(tg.tensor(a))
    assert tg.get_rng_state() == before


def test_slice_copy_refuses_a_dimension_out_of_range():
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match="dimension 2 is out of range .* -2 to 1"):
        tg.slice_copy(x, 2)
    with pytest.raises(ValueError, match="0-d"):
        tg.slice_copy(tg.tensor(1.0), 0)
    np.testing.assert_array_equal(tg.slice_copy(x, -1, 1, None, 2).numpy(),
                                  np.arange(12.0).reshape(3, 4)[:, 1::2])


def test_squeeze_copy_with_dims_on_0d_and_bad_dims():
    out = tg.squeeze_copy(tg.tensor(2.5), (0,))
    assert out.shape == () and out.item() == 2.5
    a = np.zeros((1, 3, 1))
    assert tg.squeeze_copy(tg.tensor(a), (-1,)).shape == (1, 3)
    with pytest.raises(ValueError, match="dimension 5 is out of range"):
        tg.squeeze_copy(tg.tensor(a), (0, 5))


def test_embedding_bag_max_indices_ignore_padding_even_in_an_all_padding_bag():
    w = RNG.standard_normal((10, 4))
    idx = np.array([1, 2, 0, 4, 4, 9, 3])
    offsets = np.array([0, 3, 3, 5])
    pad = 4
    out, _, size, max_idx = tg.embedding_bag(tg.tensor(w), tg.tensor(idx), tg.tensor(offsets),
                                             False, 2, False, None, False, pad)
    bounds = list(offsets) + [len(idx)]
    for b in range(4):
        rows = [i for i in idx[bounds[b]:bounds[b + 1]] if i != pad]
        assert size.numpy()[b] == len(rows)
        if not rows:  # empty or padding only: zeros and index 0
            np.testing.assert_array_equal(out.numpy()[b], 0.0)
            np.testing.assert_array_equal(max_idx.numpy()[b], 0)
            continue
        for f in range(4):
            best = max(rows, key=lambda r: w[r, f])  # first row reaching the maximum
            assert max_idx.numpy()[b, f] == best
            assert out.numpy()[b, f] == w[best, f]


def test_segment_reduce_many_segments_matches_reduceat_in_linear_memory():
    # 10,000 segments over 20,000 entries: a (entries x segments) table would take 200 MB
    lengths = RNG.integers(0, 3, 10_000)  # about 10,000 entries; the last segment fills up
    lengths[-1] += 20_000 - lengths.sum()
    data = RNG.standard_normal(int(lengths.sum()))
    tracemalloc.start()
    try:
        got = tg.segment_reduce(tg.tensor(data), "sum", lengths=tg.tensor(lengths)).numpy()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"segment_reduce used {peak / 1e6:.0f} MB for 20,000 entries"
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    want = np.where(lengths > 0, np.add.reduceat(data, np.minimum(starts, data.size - 1)), 0.0)
    np.testing.assert_allclose(got, want, atol=1e-12)
    # batched lengths (one row of segments per leading index) against a loop
    per_row = np.array([[2, 0, 3], [1, 4, 0]])
    block = RNG.standard_normal((2, 5, 3))
    got = tg.segment_reduce(tg.tensor(block), "max", lengths=tg.tensor(per_row), axis=1).numpy()
    for r in range(2):
        start = 0
        for s, n in enumerate(per_row[r]):
            want = block[r, start:start + n].max(0) if n else np.full(3, -np.inf)
            np.testing.assert_array_equal(got[r, s], want)
            start += n


def test_svd_lowrank_default_q_on_a_matrix_smaller_than_six():
    a = RNG.standard_normal((5, 4))
    u, s, v = tg.svd_lowrank(tg.tensor(a))  # q=6 > min(m, n): every triplet, as torch
    ref_u, ref_s, ref_vt = np.linalg.svd(a, full_matrices=False)
    assert u.shape == (5, 4) and s.shape == (4,) and v.shape == (4, 4)
    np.testing.assert_allclose(s.numpy(), ref_s, rtol=1e-12)
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ v.numpy().T, a, atol=1e-12)
    with pytest.raises(ValueError, match="q must be a non-negative int, got -1"):
        tg.svd_lowrank(tg.tensor(a), q=-1)


def test_gradscaler_does_not_grow_past_float32():
    p = tg.nn.Parameter(tg.zeros(2))
    opt = tg.optim.SGD([p], lr=0.1)
    scaler = GradScaler("cpu", init_scale=2.0**126, growth_interval=1)
    for want in (2.0**127, 2.0**127, 2.0**127):  # 2**128 is beyond float32's maximum
        opt.zero_grad()
        scaler.scale(p.sum() * 1e-30).backward()
        scaler.step(opt)
        scaler.update()
        assert scaler.get_scale() == want
    np.testing.assert_allclose(p.data, -0.1 * 3 * 1e-30 * np.ones(2), rtol=1e-5)


def test_set_rng_state_refuses_out_of_range_numbers_unchanged():
    tg.manual_seed(3)
    state = tg.get_rng_state()
    bad = dict(state, state={"state": -1, "inc": 1})
    with pytest.raises(ValueError, match="set_rng_state: expected a state returned by"):
        tg.set_rng_state(bad)
    assert tg.get_rng_state() == state
    g = tg.Generator().manual_seed(1)
    before = g.get_state()
    with pytest.raises(ValueError, match="Generator.set_state"):
        g.set_state(bad)
    assert g.get_state() == before


def test_tensor_repr_lines_fit_the_linewidth_with_the_prefix():
    from tinygrad_opt import print_options

    saved = dict(print_options.PRINT_OPTIONS)
    try:
        for width in (80, 30):
            tg.set_printoptions(linewidth=width)
            text = repr(tg.tensor(np.linspace(0.0, 1.0, 25)))
            lines = text.split("\n")
            assert len(lines) > 1
            # every line but the last (which also carries ", dtype=...)") fits the width
            assert all(len(line) <= width for line in lines[:-1])
            # wrapped lines start under the first value, after "Tensor(["
            assert all(line.startswith(" " * len("Tensor([")) for line in lines[1:])
            values = " ".join(text[len("Tensor(["):text.rindex("]")].split())
            assert [float(v) for v in values.split()] == pytest.approx(
                np.linspace(0.0, 1.0, 25), abs=5e-5)
    finally:
        print_options.PRINT_OPTIONS.update(saved)


def test_integer_promotion_never_leaves_the_integer_category():
    # within a category the wider dtype wins; uint64 and a signed type have no such dtype
    assert tg.promote_types(np.uint32, np.int32) == np.int64
    assert tg.promote_types(np.uint8, np.int8) == np.int16
    with pytest.raises(TypeError, match="no integer dtype holds both uint64 and int64"):
        tg.promote_types(np.uint64, np.int64)
    with pytest.raises(TypeError, match="result_type: no integer dtype holds both"):
        tg.result_type(tg.tensor(np.array([1], np.uint64)), tg.tensor(np.array([1], np.int8)))
    assert tg.promote_types(np.uint64, np.float32) == np.float32  # across categories
