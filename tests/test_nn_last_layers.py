"""The last torch.nn names: the 3-D lazy layers, LPPool3d, MaxUnpool3d, the 3-D
*_with_indices pools, FractionalMaxPool2d/3d, CrossMapLRN2d, SyncBatchNorm, NLLLoss2d,
RNNBase/RNNCellBase and Container: values against naive loops written here, gradients by
float64 finite differences, torch's attributes, and the errors."""

import itertools
import math
import warnings

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


# ---- fractional max pooling
def graham_starts(n_in, n_out, k, u):
    """Graham (2014)'s pseudo-random sequence, as the docs describe it, one start at a time."""
    if n_out == 1:
        return [n_in - k]
    alpha = (n_in - k) / (n_out - 1)
    return [int((i + u) * alpha) - int(u * alpha) for i in range(n_out - 1)] + [n_in - k]


def naive_fractional(x, kernel, out_size, samples, order):
    n, c = x.shape[:2]
    dims = len(kernel)
    out = np.zeros((n, c, *out_size))
    idx = np.zeros((n, c, *out_size), np.int64)
    for b in range(n):
        for ch in range(c):
            starts = [graham_starts(x.shape[2 + a], out_size[a], kernel[a],
                                    samples[b, ch, order[a]]) for a in range(dims)]
            for o in itertools.product(*[range(m) for m in out_size]):
                best, where = -np.inf, None
                for t in itertools.product(*[range(k) for k in kernel]):
                    pos = tuple(starts[a][o[a]] + t[a] for a in range(dims))
                    if x[(b, ch) + pos] > best:
                        best, where = x[(b, ch) + pos], pos
                out[(b, ch) + o] = best
                idx[(b, ch) + o] = np.ravel_multi_index(where, x.shape[2:])
    return out, idx


@pytest.mark.parametrize("dims,shape,kernel,out_size", [
    (2, (2, 3, 11, 9), (3, 2), (4, 5)), (2, (1, 2, 6, 7), (2, 2), (1, 6)),
    (3, (1, 2, 7, 8, 6), (2, 3, 2), (3, 4, 5)),
])
def test_fractional_max_pool_matches_naive_windows(dims, shape, kernel, out_size):
    x = randn(*shape)
    samples = np.random.default_rng(5).random((shape[0], shape[1], dims))
    fn = F.fractional_max_pool2d if dims == 2 else F.fractional_max_pool3d
    out, idx = fn(Tensor(x), kernel, output_size=out_size, return_indices=True,
                  _random_samples=Tensor(samples))
    # the samples' last axis is (W, H) for 2-D and (D, H, W) for 3-D, as torch
    order = (1, 0) if dims == 2 else (0, 1, 2)
    ref, ref_idx = naive_fractional(x, kernel, out_size, samples, order)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    assert idx.dtype == np.int64
    check_grads(lambda t: fn(t, kernel, output_size=out_size, _random_samples=samples), x)


def test_fractional_max_pool_ratio_unbatched_nan_and_seed():
    x = randn(3, 8, 10)
    samples = np.random.default_rng(1).random((1, 3, 2))
    out = F.fractional_max_pool2d(Tensor(x), 2, output_ratio=(0.5, 0.75),
                                  _random_samples=samples)
    ref, _ = naive_fractional(x[None], (2, 2), (4, 7), samples, (1, 0))
    np.testing.assert_array_equal(out.numpy(), ref[0])
    nan = np.array([[[[1.0, np.nan, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]])
    out, idx = F.fractional_max_pool2d_with_indices(Tensor(nan), 2, output_size=2,
                                                    _random_samples=np.zeros((1, 1, 2)))
    assert np.isnan(out.numpy()[0, 0, 0]).all() and idx.numpy()[0, 0, 0].tolist() == [1, 1]
    manual_seed(3)
    first = F.fractional_max_pool3d(Tensor(randn(1, 2, 6, 6, 6)), 2, output_size=3)
    manual_seed(3)
    again = F.fractional_max_pool3d(Tensor(randn(1, 2, 6, 6, 6)), 2, output_size=3)
    np.testing.assert_array_equal(first.numpy(), again.numpy())


def test_fractional_max_pool_two_nans_pick_the_last_as_max_pool():
    # a window holding two NaNs: the later one (in the window's row-major order) is the
    # winner, so its index is returned and it takes the gradient (max_pool's rule too)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan
    samples = np.zeros((1, 1, 2))  # u = 0: windows start at 0 and 2 along both axes
    out, idx = F.fractional_max_pool2d_with_indices(Tensor(x), 2, output_size=2,
                                                    _random_samples=samples)
    assert np.isnan(out.numpy()[0, 0, 0, 0]) and idx.numpy()[0, 0, 0, 0] == 1 * 4 + 1
    assert idx.numpy()[0, 0].tolist() == [[5, 7], [13, 15]]
    t = Tensor(x, requires_grad=True)
    F.fractional_max_pool2d(t, 2, output_size=2, _random_samples=samples).sum().backward()
    expected = np.zeros(16)
    expected[[5, 7, 13, 15]] = 1.0
    np.testing.assert_array_equal(np.asarray(t.grad).reshape(-1), expected)
    x3 = np.zeros((1, 1, 2, 2, 2))
    x3[0, 0, 0, 1, 0] = x3[0, 0, 1, 0, 1] = np.nan
    _, idx3 = F.fractional_max_pool3d_with_indices(Tensor(x3), 2, output_size=1,
                                                   _random_samples=np.zeros((1, 1, 3)))
    assert idx3.numpy().reshape(-1).tolist() == [1 * 4 + 0 * 2 + 1]


def test_fractional_max_pool_empty_batch():
    # N = 0: an empty result of the right shape, and an empty gradient
    for fn, shape, want in ((F.fractional_max_pool2d, (0, 2, 5, 5), (0, 2, 3, 3)),
                            (F.fractional_max_pool3d, (0, 1, 4, 4, 4), (0, 1, 3, 3, 3))):
        t = Tensor(np.zeros(shape), requires_grad=True)
        out, idx = fn(t, 2, output_size=3, return_indices=True)
        assert out.shape == want and idx.shape == want and idx.dtype == np.int64
        out.sum().backward()
        assert np.asarray(t.grad).shape == shape


def test_fractional_max_pool_module_and_errors():
    m = nn.FractionalMaxPool2d(3, output_ratio=0.5)
    assert (m.kernel_size, m.output_size, m.output_ratio) == ((3, 3), None, (0.5, 0.5))
    assert list(m.state_dict()) == []
    samples = np.random.default_rng(0).random((1, 1, 3))
    m3 = nn.FractionalMaxPool3d(2, output_size=(2, 3, 2), return_indices=True,
                                _random_samples=Tensor(samples))
    assert list(m3.state_dict()) == ["_random_samples"]
    out, idx = m3(Tensor(randn(1, 1, 5, 6, 4)))
    assert out.shape == (1, 1, 2, 3, 2) and idx.shape == out.shape
    with pytest.raises(ValueError, match="either"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one"):
        nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.0)
    with pytest.raises(ValueError, match="do not fit"):
        F.fractional_max_pool2d(Tensor(randn(1, 1, 5, 5)), 2, output_size=5)
    with pytest.raises(ValueError, match="_random_samples"):
        F.fractional_max_pool2d(Tensor(randn(1, 2, 5, 5)), 2, output_size=2,
                                _random_samples=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        F.fractional_max_pool2d(Tensor(randn(5, 5)), 2, output_size=2)


# ---- 3-D pools
def naive_pool3d(x, k, s, op):
    n, c, d, h, w = x.shape
    od, oh, ow = ((d - k[0]) // s[0] + 1, (h - k[1]) // s[1] + 1, (w - k[2]) // s[2] + 1)
    out = np.zeros((n, c, od, oh, ow))
    idx = np.zeros(out.shape, np.int64)
    for b, ch, i, j, m in np.ndindex(*out.shape):
        win = x[b, ch, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1],
                m * s[2]:m * s[2] + k[2]]
        out[b, ch, i, j, m] = op(win)
        z, y, q = np.unravel_index(np.argmax(win), win.shape)
        idx[b, ch, i, j, m] = ((i * s[0] + z) * h + j * s[1] + y) * w + m * s[2] + q
    return out, idx


def test_lp_pool3d_matches_power_sum_and_grads():
    x = randn(1, 2, 4, 5, 4)
    for p in (2.0, 3.0):
        out = F.lp_pool3d(Tensor(x), p, (2, 3, 2), (2, 1, 2))
        with np.errstate(invalid="ignore"):
            ref, _ = naive_pool3d(x, (2, 3, 2), (2, 1, 2),
                                  lambda w, p=p: np.sum(w ** p) ** (1 / p))
        if p == 2.0:
            np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
        else:  # odd powers of negative values: NaN roots where the sum is negative, as torch
            ok = ~np.isnan(ref)
            np.testing.assert_allclose(out.numpy()[ok], ref[ok], rtol=1e-10)
    check_grads(lambda t: F.lp_pool3d(t, 2, 2), np.abs(x) + 0.5)
    m = nn.LPPool3d(2, 2)
    np.testing.assert_allclose(m(Tensor(x)).numpy(), F.lp_pool3d(Tensor(x), 2, 2).numpy())
    inf = F.lp_pool3d(Tensor(x), math.inf, 2)
    np.testing.assert_allclose(inf.numpy(), naive_pool3d(np.abs(x), (2,) * 3, (2,) * 3,
                                                         np.max)[0])


def test_max_pool3d_with_indices_and_unpool3d_roundtrip():
    x = randn(2, 2, 4, 6, 4)
    out, idx = F.max_pool3d_with_indices(Tensor(x), 2)
    ref, ref_idx = naive_pool3d(x, (2, 2, 2), (2, 2, 2), np.max)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    a_out, a_idx = F.adaptive_max_pool3d_with_indices(Tensor(x), (2, 3, 2))
    np.testing.assert_array_equal(a_idx.numpy(), ref_idx)  # the same even windows here
    unpooled = nn.MaxUnpool3d(2)(out, idx, output_size=(5, 7, 5))
    expected = np.zeros((2, 2, 5 * 7 * 5))
    for b, ch in np.ndindex(2, 2):
        expected[b, ch, ref_idx[b, ch].reshape(-1)] = ref[b, ch].reshape(-1)
    np.testing.assert_array_equal(unpooled.numpy(), expected.reshape(2, 2, 5, 7, 5))
    check_grads(lambda t: F.max_unpool3d(t, idx, 2), ref)
    assert nn.MaxUnpool3d(2).stride == (2, 2, 2)
    with pytest.raises(ValueError, match=r"\(N, C, D, H, W\)"):
        F.max_unpool3d(Tensor(randn(2, 3)), Tensor(np.zeros((2, 3), np.int64)), 2)


# ---- CrossMapLRN2d
def naive_cross_map_lrn(x, size, alpha, beta, k):
    """torch's recurrence, one channel at a time: s_0 sums channels [0, pre), each next s_c
    adds channel c + pre - 1 while it exists and drops channel c - pre once c > pre."""
    channels = x.shape[1]
    pre = (size - 1) // 2 + 1
    sq = x * x
    s = np.zeros_like(x)
    s[:, 0] = sq[:, :min(pre, channels)].sum(1)
    for c in range(1, channels):
        s[:, c] = s[:, c - 1]
        if c < channels - pre + 1:
            s[:, c] += sq[:, c + pre - 1]
        if c > pre:
            s[:, c] -= sq[:, c - pre]
    return x * (k + alpha / size * s) ** -beta


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_cross_map_lrn2d_matches_recurrence_and_grads(size):
    x = randn(2, 6, 3, 2)
    m = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=1.5)
    np.testing.assert_allclose(m(Tensor(x)).numpy(), naive_cross_map_lrn(x, size, 0.3, 0.75, 1.5),
                               rtol=1e-12)
    check_grads(lambda t: m(t), x)


def test_cross_map_lrn2d_attributes_and_errors():
    m = nn.CrossMapLRN2d(3)
    assert (m.size, m.alpha, m.beta, m.k) == (3, 1e-4, 0.75, 1)
    with pytest.raises(ValueError, match="4-D"):
        m(Tensor(randn(2, 3, 4)))
    with pytest.raises(ValueError, match="size"):
        nn.CrossMapLRN2d(0)


# ---- SyncBatchNorm
def test_sync_batchnorm_is_batch_norm_of_any_rank():
    for shape in ((6, 3), (4, 3, 5), (2, 3, 4, 2, 2)):
        x = randn(*shape)
        m = nn.SyncBatchNorm(3).double()
        axes = tuple(i for i in range(len(shape)) if i != 1)
        bshape = [1] * len(shape)
        bshape[1] = 3
        mean, var = x.mean(axes), x.var(axes)
        ref = (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5)
        np.testing.assert_allclose(m(Tensor(x)).numpy(), ref, atol=1e-10)
        count = x.size // 3
        np.testing.assert_allclose(m.running_var.numpy(), 0.9 + 0.1 * var * count / (count - 1))
        assert m.num_batches_tracked.item() == 1
    assert list(nn.SyncBatchNorm(3).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with pytest.raises(ValueError, match="process_group"):
        nn.SyncBatchNorm(3, process_group="group")
    with pytest.raises(ValueError, match=r"\(N, 3, \*\)"):
        nn.SyncBatchNorm(3)(Tensor(randn(3)))


def test_convert_sync_batchnorm_shares_parameters():
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3),
                          nn.Sequential(nn.BatchNorm1d(3, affine=False), nn.InstanceNorm2d(3)))
    model.eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is nn.SyncBatchNorm and converted[1].weight is model[1].weight
    assert type(converted[2][0]) is nn.SyncBatchNorm and converted[2][0].weight is None
    assert type(converted[2][1]) is nn.InstanceNorm2d
    assert not converted[1].training
    root = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm3d(2))
    assert type(root) is nn.SyncBatchNorm and root.num_features == 2


# ---- lazy 3-D layers
def test_lazy_3d_layers_read_sizes_and_become_regular():
    conv = nn.LazyConv3d(2, 3)
    conv(Tensor(randn(1, 4, 5, 5, 5).astype(np.float32)))
    assert type(conv) is nn.Conv3d and conv.in_channels == 4
    assert conv.weight.shape == (2, 4, 3, 3, 3)
    up = nn.LazyConvTranspose3d(2, 3, groups=2)
    up(Tensor(randn(4, 5, 5, 5).astype(np.float32)))
    assert type(up) is nn.ConvTranspose3d and up.weight.shape == (4, 1, 3, 3, 3)
    bn = nn.LazyBatchNorm3d()
    x = randn(2, 3, 2, 2, 2)
    out = bn(Tensor(x))
    assert type(bn) is nn.BatchNorm3d and bn.num_features == 3
    mean = x.mean((0, 2, 3, 4), keepdims=True)
    np.testing.assert_allclose(out.numpy(), (x - mean) / np.sqrt(
        x.var((0, 2, 3, 4), keepdims=True) + 1e-5), atol=1e-5)
    inorm = nn.LazyInstanceNorm3d()
    inorm(Tensor(randn(3, 2, 2, 2)))
    assert type(inorm) is nn.InstanceNorm3d and inorm.weight.shape == (3,)
    with pytest.raises(ValueError, match=r"\(N, C, D, H, W\)"):
        nn.LazyBatchNorm3d()(Tensor(randn(2, 3, 4)))


# ---- aliases and bases
def test_nllloss2d_rnn_bases_and_container():
    logp = np.log(np.random.default_rng(0).dirichlet(np.ones(3), size=(2, 2, 2))).transpose(
        0, 3, 1, 2)
    target = np.array([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])
    ref = -np.mean([logp[b, target[b, i, j], i, j] for b, i, j in np.ndindex(2, 2, 2)])
    np.testing.assert_allclose(nn.NLLLoss2d()(Tensor(logp), target).item(), ref)
    assert issubclass(nn.NLLLoss2d, nn.NLLLoss)
    assert isinstance(nn.LSTM(2, 3), nn.RNNBase) and isinstance(nn.GRUCell(2, 3), nn.RNNCellBase)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        box = nn.Container(a=nn.Linear(2, 3), b=nn.ReLU())
    assert caught and issubclass(caught[0].category, FutureWarning)
    assert list(box.state_dict()) == ["a.weight", "a.bias"] and len(list(box.children())) == 2
