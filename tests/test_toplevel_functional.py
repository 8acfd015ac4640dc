"""The nn.functional ops at top level with torch's TOP-LEVEL signatures (tinygrad_opt.conv1d,
batch_norm, dropout, embedding_bag, losses with integer reductions, recurrent cells, ...):
values against naive loops and the documented formulas written here, gradients against
float64 central differences, and the argument orders that differ from nn.functional."""

import numpy as np
import pytest

import tinygrad_opt as tg

RNG = np.random.default_rng(0)


def _t(a, grad=False):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _fd_check(tg_fn, np_fn, *arrays, eps=1e-6, rtol=1e-6, atol=1e-8):
    weights = np.random.default_rng(1).standard_normal(np.shape(np_fn(*arrays)))
    tensors = [_t(a, True) for a in arrays]
    (tg_fn(*tensors) * _t(weights)).sum().backward()
    for i, (a, t) in enumerate(zip(arrays, tensors)):
        numeric = np.zeros_like(a)
        for k in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][k] += eps
            minus[i][k] -= eps
            change = (np_fn(*plus) * weights).sum() - (np_fn(*minus) * weights).sum()
            numeric[k] = change / (2 * eps)
        np.testing.assert_allclose(t.grad, numeric, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ convolution, padding
def _conv1d_ref(x, w, b, stride, pad):
    n, c, length = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    k = w.shape[2]
    out_len = (length + 2 * pad - k) // stride + 1
    out = np.zeros((n, w.shape[0], out_len))
    for i in range(n):
        for o in range(w.shape[0]):
            for j in range(out_len):
                out[i, o, j] = (xp[i, :, j * stride:j * stride + k] * w[o]).sum() + b[o]
    return out


def _conv_transpose1d_ref(x, w, stride, pad, out_pad):
    n, c, length = x.shape
    k = w.shape[2]
    full = np.zeros((n, w.shape[1], (length - 1) * stride + k + out_pad))
    for i in range(n):
        for ci in range(c):
            for j in range(length):
                full[i, :, j * stride:j * stride + k] += x[i, ci, j] * w[ci]
    return full[:, :, pad:full.shape[2] - pad] if pad else full


def test_convolution_dispatches_by_rank_and_transposed():
    x = RNG.standard_normal((2, 3, 7))
    w = RNG.standard_normal((4, 3, 3))
    b = RNG.standard_normal(4)
    out = tg.convolution(_t(x), _t(w), _t(b), [2], [1], [1], False, [0], 1)
    np.testing.assert_allclose(out.numpy(), _conv1d_ref(x, w, b, 2, 1))
    np.testing.assert_allclose(tg.conv1d(_t(x), _t(w), _t(b), 2, 1).numpy(),
                               _conv1d_ref(x, w, b, 2, 1))
    wt = RNG.standard_normal((3, 2, 3))
    out_t = tg.convolution(_t(x), _t(wt), None, [2], [1], [1], True, [1], 1)
    np.testing.assert_allclose(out_t.numpy(), _conv_transpose1d_ref(x, wt, 2, 1, 1)[:, :, :14])
    x2 = RNG.standard_normal((1, 3, 5, 5))
    w2 = RNG.standard_normal((2, 3, 3, 3))
    out2 = tg.convolution(_t(x2), _t(w2), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    ref = np.array([[[[(x2[0, :, i:i + 3, j:j + 3] * w2[o]).sum() for j in range(3)]
                      for i in range(3)] for o in range(2)]])
    np.testing.assert_allclose(out2.numpy(), ref)
    with pytest.raises(ValueError, match="weight must have 3 to 5 dimensions"):
        tg.convolution(_t(x), _t(np.ones((3, 3))), None, [1], [0], [1], False, [0], 1)


def test_constant_pad_nd_pads_and_crops():
    a = RNG.standard_normal((2, 3, 4))
    out = tg.constant_pad_nd(_t(a), [1, -2, 0, 1], 2.5)
    ref = np.pad(a, ((0, 0), (0, 1), (1, 0)), constant_values=2.5)[:, :, :-2]
    np.testing.assert_allclose(out.numpy(), ref)


# ------------------------------------------------------------------ pooling
def test_max_pools_have_no_return_indices_and_the_indices_variant():
    x = RNG.standard_normal((2, 3, 9))

    def ref(k, s):
        n_out = (9 - k) // s + 1
        windows = np.stack([x[:, :, j * s:j * s + k] for j in range(n_out)], axis=2)
        return windows.max(-1), windows.argmax(-1) + np.arange(n_out) * s

    vals, idx = ref(3, 2)
    np.testing.assert_allclose(tg.max_pool1d(_t(x), 3, 2).numpy(), vals)
    got_v, got_i = tg.max_pool1d_with_indices(_t(x), 3, 2)
    np.testing.assert_allclose(got_v.numpy(), vals)
    np.testing.assert_array_equal(got_i.numpy(), idx)
    np.testing.assert_allclose(tg.max_pool1d(_t(x), 3).numpy(), ref(3, 3)[0])  # stride = kernel
    v, i = tg.adaptive_max_pool1d(_t(x), 3)
    np.testing.assert_allclose(v.numpy(), ref(3, 3)[0])
    np.testing.assert_array_equal(i.numpy(), ref(3, 3)[1])
    x2 = RNG.standard_normal((1, 2, 4, 4))
    ref2 = x2.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5))
    np.testing.assert_allclose(tg.max_pool2d(_t(x2), 2).numpy(), ref2)
    x3 = RNG.standard_normal((1, 1, 2, 2, 2))
    np.testing.assert_allclose(tg.max_pool3d(_t(x3), 2).numpy().reshape(-1), [x3.max()])


# ------------------------------------------------------------------ normalisation
def test_batch_norm_takes_weights_first():
    x = RNG.standard_normal((4, 3, 5))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    eval_out = tg.batch_norm(_t(x), _t(w), _t(b), _t(rm), _t(rv), False, 0.1, 1e-5, True)
    ref = (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5) * w[:, None] + b[:, None]
    np.testing.assert_allclose(eval_out.numpy(), ref)
    running_mean, running_var = _t(rm.copy()), _t(rv.copy())
    train_out = tg.batch_norm(_t(x), None, None, running_mean, running_var, True, 0.2, 1e-5,
                              False)
    mean, var = x.mean((0, 2)), x.var((0, 2))
    np.testing.assert_allclose(train_out.numpy(),
                               (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-5), rtol=1e-10)
    unbiased = var * 20 / 19
    np.testing.assert_allclose(running_mean.numpy(), 0.8 * rm + 0.2 * mean)
    np.testing.assert_allclose(running_var.numpy(), 0.8 * rv + 0.2 * unbiased)


def test_instance_layer_group_norms():
    x = RNG.standard_normal((2, 4, 6))
    w, b = RNG.standard_normal(4), RNG.standard_normal(4)
    inst = tg.instance_norm(_t(x), _t(w), _t(b), None, None, True, 0.1, 1e-5, False)
    ref = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + 1e-5)
    np.testing.assert_allclose(inst.numpy(), ref * w[:, None] + b[:, None], rtol=1e-10)
    lw = RNG.standard_normal(6)
    ln = tg.layer_norm(_t(x), [6], _t(lw), None, 1e-5, True)
    np.testing.assert_allclose(ln.numpy(), ref * lw, rtol=1e-10)
    gn = tg.group_norm(_t(x), 2, _t(w), _t(b), 1e-5, True)
    g = x.reshape(2, 2, 12)
    gref = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5)).reshape(
        2, 4, 6)
    np.testing.assert_allclose(gn.numpy(), gref * w[:, None] + b[:, None], rtol=1e-10)
    rms = tg.rms_norm(_t(x), [6], None, 1e-6)
    np.testing.assert_allclose(rms.numpy(), x / np.sqrt((x**2).mean(2, keepdims=True) + 1e-6))


def test_native_norms_return_their_statistics():
    x = RNG.standard_normal((2, 3, 4))
    out, mean, rstd = tg.native_layer_norm(_t(x), [4], None, None, 1e-5)
    np.testing.assert_allclose(mean.numpy(), x.mean(2, keepdims=True))
    np.testing.assert_allclose(rstd.numpy(), 1 / np.sqrt(x.var(2, keepdims=True) + 1e-5))
    np.testing.assert_allclose(out.numpy(), (x - mean.numpy()) * rstd.numpy(), rtol=1e-10)
    out, save_mean, save_invstd = tg.native_batch_norm(_t(x), None, None, None, None, True,
                                                       0.1, 1e-5)
    np.testing.assert_allclose(save_mean.numpy(), x.mean((0, 2)))
    np.testing.assert_allclose(save_invstd.numpy(), 1 / np.sqrt(x.var((0, 2)) + 1e-5))
    _, m_eval, s_eval = tg.native_batch_norm(_t(x), None, None, _t(np.zeros(3)),
                                             _t(np.ones(3)), False, 0.1, 1e-5)
    assert m_eval.shape == (0,) and s_eval.shape == (0,)
    _fd_check(lambda t: tg.native_layer_norm(t, [4], None, None, 1e-5)[0],
              lambda v: (v - v.mean(2, keepdims=True)) / np.sqrt(v.var(2, keepdims=True) + 1e-5),
              x)


# ------------------------------------------------------------------ dropout
def test_dropout_needs_train_and_scales_survivors():
    x = _t(RNG.uniform(1, 2, (50, 40)))
    with pytest.raises(TypeError):
        tg.dropout(x, 0.5)  # train is required, as torch.dropout
    assert tg.dropout(x, 0.5, False) is x
    out = tg.dropout(x, 0.25, True).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], x.numpy()[kept] / 0.75)
    assert abs(kept.mean() - 0.75) < 0.03
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        tg.dropout(x, 1.5, True)
    y = _t(np.ones((4, 4)))
    same = tg.dropout_(y, 0.5, True)
    assert same is y and set(np.unique(y.numpy())) <= {0.0, 2.0}
    assert tg.alpha_dropout(x, 0.5, False) is x and tg.feature_alpha_dropout(x, 0.5, False) is x


def test_feature_dropout_and_native_dropout():
    x = _t(np.ones((6, 5, 3, 4)))
    out = tg.feature_dropout(x, 0.5, True).numpy()
    per_channel = out.reshape(6, 5, -1)
    assert (per_channel == per_channel[:, :, :1]).all()  # one draw per (sample, channel)
    assert set(np.unique(out)) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tg.feature_dropout(_t(np.ones(4)), 0.5, True)
    z = _t(np.ones((3, 4)))
    assert tg.feature_dropout_(z, 0.5, True) is z and set(np.unique(z.numpy())) <= {0.0, 2.0}
    v = _t(RNG.uniform(1, 2, (20, 10)))
    dropped, mask = tg.native_dropout(v, 0.4, True)
    assert mask.dtype == np.bool_
    np.testing.assert_allclose(dropped.numpy(), np.where(mask.numpy(), v.numpy() / 0.6, 0))
    same, full = tg.native_dropout(v, 0.4, False)
    assert full.numpy().all()
    np.testing.assert_array_equal(same.numpy(), v.numpy())


# ------------------------------------------------------------------ embeddings
def test_embedding_takes_the_table_first_and_negative_padding_means_none():
    w = RNG.standard_normal((6, 3))
    idx = np.array([0, 4, 4, 5])
    for padding, zero_row in ((-1, None), (-2, None), (4, 4)):
        weight = _t(w, True)
        out = tg.embedding(weight, tg.tensor(idx), padding)
        np.testing.assert_array_equal(out.numpy(), w[idx])
        out.sum().backward()
        counts = np.bincount(idx, minlength=6).astype(float)
        if zero_row is not None:
            counts[zero_row] = 0
        np.testing.assert_array_equal(weight.grad, np.repeat(counts[:, None], 3, 1))


def test_embedding_bag_returns_torchs_four_tuple():
    w = RNG.standard_normal((6, 3))
    idx = np.array([1, 2, 4, 5, 4, 3])
    offsets = np.array([0, 3, 3])
    bags = [idx[0:3], idx[3:3], idx[3:6]]
    owner = np.array([0, 0, 0, 2, 2, 2])
    out, o2b, size, maxi = tg.embedding_bag(_t(w), tg.tensor(idx), tg.tensor(offsets), False, 0)
    np.testing.assert_allclose(out.numpy(), [w[b].sum(0) if len(b) else np.zeros(3) for b in bags])
    np.testing.assert_array_equal(o2b.numpy(), owner)
    assert not size.numpy().any() and not maxi.numpy().any()
    out, o2b, size, maxi = tg.embedding_bag(_t(w), tg.tensor(idx), tg.tensor(offsets), False, 1)
    np.testing.assert_allclose(out.numpy(),
                               [w[b].mean(0) if len(b) else np.zeros(3) for b in bags])
    np.testing.assert_array_equal(size.numpy(), [3, 0, 3])
    np.testing.assert_array_equal(maxi.numpy(), [3, 0, 3])
    out, o2b, size, maxi = tg.embedding_bag(_t(w), tg.tensor(idx), tg.tensor(offsets), False, 2)
    for bag, rows in enumerate(bags):
        if len(rows):
            np.testing.assert_allclose(out.numpy()[bag], w[rows].max(0))
            np.testing.assert_array_equal(maxi.numpy()[bag], rows[w[rows].argmax(0)])
        else:
            assert not maxi.numpy()[bag].any()
    _, _, size, _ = tg.embedding_bag(_t(w), tg.tensor(idx), tg.tensor(offsets), False, 1,
                                     False, None, False, 4)
    np.testing.assert_array_equal(size.numpy(), [2, 0, 2])  # padding entries not counted
    with pytest.raises(ValueError, match="mode must be 0 \\(sum\\), 1 \\(mean\\) or 2"):
        tg.embedding_bag(_t(w), tg.tensor(idx), tg.tensor(offsets), False, 3)


def test_embedding_renorm_():
    w = RNG.standard_normal((5, 3)) * 3
    table = _t(w.copy())
    assert tg.embedding_renorm_(table, tg.tensor([1, 3, 3]), 1.0, 2.0) is table
    expected = w.copy()
    for r in (1, 3):
        norm = np.sqrt((w[r] ** 2).sum())
        if norm > 1.0:
            expected[r] = w[r] * (1.0 / (norm + 1e-7))
    np.testing.assert_allclose(table.numpy(), expected)


# ------------------------------------------------------------------ activations and friends
def test_activations_with_top_level_signatures():
    a = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(tg.celu(_t(a), 0.7).numpy(),
                               np.maximum(a, 0) + np.minimum(0, 0.7 * (np.exp(a / 0.7) - 1)))
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    np.testing.assert_allclose(tg.selu(_t(a)).numpy(),
                               scale * np.where(a > 0, a, alpha * (np.exp(a) - 1)))
    np.testing.assert_allclose(tg.threshold(_t(a), 0.1, -2.0).numpy(), np.where(a > 0.1, a, -2.0))
    np.testing.assert_allclose(tg.rrelu(_t(a), 0.1, 0.3, False).numpy(),
                               np.where(a >= 0, a, a * 0.2))
    g = tg.Generator().manual_seed(4)
    slopes = np.random.default_rng(4).uniform(0.1, 0.3, a.shape)
    np.testing.assert_allclose(tg.rrelu(_t(a), 0.1, 0.3, True, g).numpy(),
                               np.where(a >= 0, a, a * slopes))
    for fn, args, ref in ((tg.celu_, (0.5,), lambda v: np.where(v > 0, v, 0.5 * np.expm1(v / 0.5))),
                          (tg.selu_, (), lambda v: scale * np.where(v > 0, v, alpha * np.expm1(v))),
                          (tg.threshold_, (0.0, 1.0), lambda v: np.where(v > 0, v, 1.0))):
        t = _t(a.copy())
        assert fn(t, *args) is t
        np.testing.assert_allclose(t.numpy(), ref(a))


def test_shuffles_distances_bilinear():
    x = RNG.standard_normal((1, 8, 2, 3))
    ps = tg.pixel_shuffle(_t(x), 2).numpy()
    for c in range(2):
        for i in range(4):
            for j in range(6):
                assert ps[0, c, i, j] == x[0, c * 4 + (i % 2) * 2 + j % 2, i // 2, j // 2]
    np.testing.assert_array_equal(tg.pixel_unshuffle(_t(ps), 2).numpy(), x)
    cs = tg.channel_shuffle(_t(x), 2).numpy()
    np.testing.assert_array_equal(cs[0, [0, 1, 2, 3, 4, 5, 6, 7]],
                                  x[0, [0, 4, 1, 5, 2, 6, 3, 7]])
    np.testing.assert_array_equal(tg.native_channel_shuffle(_t(x), 2).numpy(), cs)
    p = RNG.standard_normal((4, 3))
    q = RNG.standard_normal((4, 3))
    ref = [np.sum(np.abs(p[i] - p[j]) ** 1.5) ** (1 / 1.5) for i in range(4)
           for j in range(i + 1, 4)]
    np.testing.assert_allclose(tg.pdist(_t(p), 1.5).numpy(), ref)
    np.testing.assert_allclose(tg.pairwise_distance(_t(p), _t(q), 3.0, 1e-6, True).numpy(),
                               (np.abs(p - q + 1e-6) ** 3).sum(1, keepdims=True) ** (1 / 3))
    cos = (p * q).sum(0) / np.maximum(np.linalg.norm(p, axis=0) * np.linalg.norm(q, axis=0),
                                      1e-8)
    np.testing.assert_allclose(tg.cosine_similarity(_t(p), _t(q), 0).numpy(), cos)
    w = RNG.standard_normal((5, 3, 2))
    r = RNG.standard_normal((4, 2))
    b = RNG.standard_normal(5)
    np.testing.assert_allclose(tg.bilinear(_t(p), _t(r), _t(w), _t(b)).numpy(),
                               np.einsum("ni,oij,nj->no", p, w, r) + b)


# ------------------------------------------------------------------ losses (int reductions)
def _reduce(values, reduction):
    return {0: values, 1: values.mean(), 2: values.sum()}[reduction]


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses_take_integer_reductions(reduction):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    ref = np.where(y > 0, 1 - cos, np.maximum(0, cos - 0.2))
    np.testing.assert_allclose(
        tg.cosine_embedding_loss(_t(a), _t(b), _t(y), 0.2, reduction).numpy(),
        _reduce(ref, reduction), rtol=1e-6)
    s = np.sign(b)
    np.testing.assert_allclose(tg.hinge_embedding_loss(_t(a), _t(s), 0.5, reduction).numpy(),
                               _reduce(np.where(s > 0, a, np.maximum(0, 0.5 - a)), reduction))
    tgt = np.abs(b)
    np.testing.assert_allclose(tg.kl_div(_t(a), _t(tgt), reduction).numpy(),
                               _reduce(tgt * (np.log(tgt) - a), reduction))
    np.testing.assert_allclose(tg.kl_div(_t(a), _t(b), reduction, log_target=True).numpy(),
                               _reduce(np.exp(b) * (b - a), reduction))
    np.testing.assert_allclose(
        tg.margin_ranking_loss(_t(a[:, 0]), _t(b[:, 0]), _t(y), 0.1, reduction).numpy(),
        _reduce(np.maximum(0, -y * (a[:, 0] - b[:, 0]) + 0.1), reduction))
    counts = np.array([[0.0, 1.0, 3.0]] * 4)
    stirling = np.where(counts > 1, counts * np.log(np.maximum(counts, 1)) - counts
                        + 0.5 * np.log(2 * np.pi * np.maximum(counts, 1)), 0)
    np.testing.assert_allclose(
        tg.poisson_nll_loss(_t(a), _t(counts), True, True, 1e-8, reduction).numpy(),
        _reduce(np.exp(a) - counts * a + stirling, reduction))
    n = RNG.standard_normal((4, 3))

    def dist(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(1))

    d_an = np.minimum(dist(a, n), dist(b, n))  # swap: the closer of anchor/positive to negative
    np.testing.assert_allclose(
        tg.triplet_margin_loss(_t(a), _t(b), _t(n), 1.0, 2.0, 1e-6, True, reduction).numpy(),
        _reduce(np.maximum(dist(a, b) - d_an + 1.0, 0), reduction))
    t01 = (b > 0) * 1.0
    w = np.abs(RNG.standard_normal((4, 3)))
    pw = np.abs(RNG.standard_normal(3))
    sig = 1 / (1 + np.exp(-a))
    bce = -w * (pw * t01 * np.log(sig) + (1 - t01) * np.log(1 - sig))
    np.testing.assert_allclose(  # torch's order: weight, pos_weight, reduction
        tg.binary_cross_entropy_with_logits(_t(a), _t(t01), _t(w), _t(pw), reduction).numpy(),
        _reduce(bce, reduction), rtol=1e-10)


def test_reduction_codes_are_checked_and_ctc_maps_them():
    with pytest.raises(ValueError, match="reduction must be 0 \\(none\\), 1 \\(mean\\) or 2 "
                                         "\\(sum\\), got 3"):
        tg.kl_div(_t(np.zeros(2)), _t(np.ones(2)), 3)
    lp = RNG.standard_normal((6, 2, 4))
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    targets = tg.tensor(np.array([[1, 2], [3, 3]]))
    per = tg.ctc_loss(_t(lp), targets, [6, 5], [2, 2], 0, 0, False).numpy()
    assert per.shape == (2,)
    mean = tg.ctc_loss(_t(lp), targets, [6, 5], [2, 2], 0, 1, False).numpy()
    np.testing.assert_allclose(mean, (per / 2).mean())  # torch: divided by target lengths
    np.testing.assert_allclose(tg.ctc_loss(_t(lp), targets, [6, 5], [2, 2], 0, 2).numpy(),
                               per.sum())


# ------------------------------------------------------------------ grid sampling
def test_grid_sampler_integer_codes():
    img = RNG.standard_normal((1, 1, 3, 4))
    # align_corners=True: -1 and 1 are the centres of the corner pixels
    points = [(0, 0), (2, 3), (1, 2), (0, 3)]
    grid = np.array([[[[2 * c / 3 - 1, 2 * r / 2 - 1] for r, c in points]]])
    out = tg.grid_sampler(_t(img), _t(grid), 1, 0, True).numpy()
    np.testing.assert_allclose(out[0, 0, 0], [img[0, 0, r, c] for r, c in points])
    mid = np.array([[[[2 * 0.5 / 3 - 1, 2 * 0.5 / 2 - 1]]]])  # halfway between 4 pixels
    bil = tg.grid_sampler(_t(img), _t(mid), 0, 0, True).numpy()
    np.testing.assert_allclose(bil.reshape(-1), [img[0, 0, :2, :2].mean()])
    outside = np.array([[[[3.0, 0.0]]]])
    assert tg.grid_sampler(_t(img), _t(outside), 1, 0, True).numpy().item() == 0.0  # zeros
    border = tg.grid_sampler(_t(img), _t(outside), 1, 1, True).numpy().item()
    assert border == img[0, 0, 1, 3]  # border: clamped to the last column
    with pytest.raises(ValueError, match="interpolation_mode must be 0 \\(bilinear\\), 1"):
        tg.grid_sampler(_t(img), _t(grid), 3, 0, True)
    with pytest.raises(ValueError, match="padding_mode must be 0 \\(zeros\\)"):
        tg.grid_sampler(_t(img), _t(grid), 0, 5, True)


def test_affine_grid_generator():
    theta = RNG.standard_normal((2, 2, 3))
    grid = tg.affine_grid_generator(_t(theta), [2, 1, 3, 4], False).numpy()
    xs = (2 * np.arange(4) + 1) / 4 - 1
    ys = (2 * np.arange(3) + 1) / 3 - 1
    for n in range(2):
        for i in range(3):
            for j in range(4):
                np.testing.assert_allclose(grid[n, i, j], theta[n] @ [xs[j], ys[i], 1.0])


# ------------------------------------------------------------------ recurrent cells
def _sig(v):
    return 1 / (1 + np.exp(-v))


def test_recurrent_cells_match_their_equations():
    x, h, c = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 5)), RNG.standard_normal((3, 5))
    w1, u1, b1, d1 = (RNG.standard_normal(s) for s in ((5, 4), (5, 5), (5,), (5,)))
    np.testing.assert_allclose(
        tg.rnn_tanh_cell(_t(x), _t(h), _t(w1), _t(u1), _t(b1), _t(d1)).numpy(),
        np.tanh(x @ w1.T + b1 + h @ u1.T + d1))
    np.testing.assert_allclose(tg.rnn_relu_cell(_t(x), _t(h), _t(w1), _t(u1)).numpy(),
                               np.maximum(x @ w1.T + h @ u1.T, 0))
    w4, u4, b4 = RNG.standard_normal((20, 4)), RNG.standard_normal((20, 5)), RNG.standard_normal(20)
    gates = x @ w4.T + h @ u4.T + b4
    i, f, g, o = np.split(gates, 4, axis=1)
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    h_new, c_got = tg.lstm_cell(_t(x), (_t(h), _t(c)), _t(w4), _t(u4), _t(b4))
    np.testing.assert_allclose(c_got.numpy(), c_new)
    np.testing.assert_allclose(h_new.numpy(), _sig(o) * np.tanh(c_new))

    w3, u3, b3, d3 = (RNG.standard_normal(s) for s in ((15, 4), (15, 5), (15,), (15,)))

    def gru(xv, hv, wv, uv):
        xr, xz, xn = np.split(xv @ wv.T + b3, 3, axis=1)
        hr, hz, hn = np.split(hv @ uv.T + d3, 3, axis=1)
        r, z = _sig(xr + hr), _sig(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * hv

    np.testing.assert_allclose(
        tg.gru_cell(_t(x), _t(h), _t(w3), _t(u3), _t(b3), _t(d3)).numpy(), gru(x, h, w3, u3))
    _fd_check(lambda a, b, c_, d: tg.gru_cell(a, b, c_, d, _t(b3), _t(d3)), gru, x, h, w3, u3)
    with pytest.raises(ValueError, match="w_ih and w_hh need 4 \\* hidden_size = 20 rows"):
        tg.lstm_cell(_t(x), (_t(h), _t(c)), _t(w1), _t(u1))
    with pytest.raises(TypeError, match="hx must be a pair"):
        tg.lstm_cell(_t(x), _t(h), _t(w4), _t(u4))


# ------------------------------------------------------------------ more references
def test_conv3d_conv_transpose2d_and_adaptive_avg_pool1d_against_loops():
    x = RNG.standard_normal((1, 2, 3, 4, 4))
    w = RNG.standard_normal((3, 2, 2, 3, 3))
    out = tg.conv3d(_t(x), _t(w), None, 1, 0).numpy()
    for o in range(3):
        for d in range(2):
            for i in range(2):
                for j in range(2):
                    ref = (x[0, :, d:d + 2, i:i + 3, j:j + 3] * w[o]).sum()
                    assert out[0, o, d, i, j] == pytest.approx(ref)
    x2 = RNG.standard_normal((1, 2, 3, 3))
    wt = RNG.standard_normal((2, 3, 2, 2))
    full = np.zeros((1, 3, 6, 6))
    for c in range(2):
        for i in range(3):
            for j in range(3):
                full[0, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += x2[0, c, i, j] * wt[c]
    np.testing.assert_allclose(tg.conv_transpose2d(_t(x2), _t(wt), None, 2).numpy(), full)
    seq = RNG.standard_normal((2, 3, 7))
    pooled = tg.adaptive_avg_pool1d(_t(seq), 3).numpy()
    for k in range(3):
        lo, hi = (k * 7) // 3, -((-(k + 1) * 7) // 3)
        np.testing.assert_allclose(pooled[:, :, k], seq[:, :, lo:hi].mean(-1))
    avg = tg.avg_pool1d(_t(seq), 2).numpy()  # empty stride: the kernel size
    np.testing.assert_allclose(avg, seq[:, :, :6].reshape(2, 3, 3, 2).mean(-1))


def test_gradients_of_legacy_factor_helpers_and_dropout():
    a = RNG.standard_normal((4, 4))
    piv = tg.lu(_t(a))[1]
    _fd_check(lambda t: tg.lu_unpack(t, piv)[1] + tg.lu_unpack(t, piv)[2],
              lambda v: np.tril(v, -1) + np.eye(4) + np.triu(v), a)
    h, tau = tg.geqrf(_t(RNG.standard_normal((4, 3))))
    c = RNG.standard_normal((4, 2))
    _fd_check(lambda t: tg.ormqr(h, tau, t, True, True),
              lambda v: tg.ormqr(h, tau, _t(v), True, True).numpy(), c)
    v = _t(RNG.uniform(1, 2, (6, 5)), True)
    out, mask = tg.native_dropout(v, 0.3, True)
    out.sum().backward()
    np.testing.assert_allclose(v.grad, mask.numpy() / 0.7)
