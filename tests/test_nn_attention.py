"""scaled_dot_product_attention and MultiheadAttention against the numpy references of
attention_reference.py (softmax(Q K^T / sqrt(d) + M) V per head), finite differences in
float64, PyTorch's parameter names, shapes and init."""

import math

import numpy as np
import pytest
from attention_reference import attention, mha
from finite_differences import finite_difference_check

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, grad=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


# ------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("L,S", [(3, 5), (4, 4), (6, 3)])
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_matches_the_formula(L, S, kind):
    q, k, v = randn(2, 3, L, 4, seed=1), randn(2, 3, S, 4, seed=2), randn(2, 3, S, 5, seed=3)
    mask, bias, causal, scale = None, None, False, None
    if kind == "bool":  # True = takes part
        mask = np.random.default_rng(4).random((L, S)) > 0.3
        mask[:, 0] = True
        bias = np.where(mask, 0.0, -np.inf)
    elif kind == "float":
        mask = bias = randn(2, 1, L, S, seed=5)
    elif kind == "causal":  # top-left aligned: query i sees keys j <= i
        bias = np.array([[0.0 if j <= i else -np.inf for j in range(S)] for i in range(L)])
        causal = True
    elif kind == "scale":
        scale = 0.3
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=mask, is_causal=causal,
                                         scale=scale)
    expected, _ = attention(q, k, v, bias, scale)
    assert out.shape == (2, 3, L, 5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_sdpa_grouped_query_attention_shares_each_kv_head_among_consecutive_query_heads():
    q, k, v = randn(2, 6, 3, 4, seed=1), randn(2, 2, 5, 4, seed=2), randn(2, 2, 5, 3, seed=3)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    for h in range(6):  # query heads 0-2 use kv head 0, heads 3-5 kv head 1
        expected, _ = attention(q[:, h], k[:, h // 3], v[:, h // 3])
        np.testing.assert_allclose(out.data[:, h], expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="multiple"):
        F.scaled_dot_product_attention(T(randn(1, 5, 3, 4)), T(k[:1]), T(v[:1]), enable_gqa=True)


def test_sdpa_fully_masked_rows_give_zeros_and_zero_gradients():
    mask = np.ones((3, 4), bool)
    mask[1] = False
    q, k, v = T(randn(2, 3, 4), True), T(randn(2, 4, 4, seed=1), True), T(randn(2, 4, 2, seed=2))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.data[:, 1] == 0.0)
    expected, _ = attention(q.data, k.data, v.data, np.where(mask, 0.0, -np.inf))
    np.testing.assert_allclose(out.data[:, [0, 2]], expected[:, [0, 2]], rtol=1e-12)
    out.sum().backward()
    assert np.all(np.isfinite(q.grad)) and np.all(q.grad[:, 1] == 0.0)
    assert np.all(np.isfinite(k.grad))


def test_sdpa_gradients_by_finite_differences_including_a_float_mask():
    arrays = {"q": randn(2, 3, 4, seed=1), "k": randn(2, 5, 4, seed=2),
              "v": randn(2, 5, 3, seed=3), "mask": randn(3, 5, seed=4)}

    def forward(t):
        return [F.scaled_dot_product_attention(t["q"], t["k"], t["v"], attn_mask=t["mask"])]

    finite_difference_check(forward, arrays)

    def causal(t):
        return [F.scaled_dot_product_attention(t["q"], t["k"], t["v"], is_causal=True)]

    finite_difference_check(causal, {k: arrays[k] for k in ("q", "k", "v")})


def test_sdpa_dropout_falls_on_the_weights():
    q, k = T(randn(2, 3, 4)), T(randn(2, 5, 4, seed=1))
    v = T(np.broadcast_to(np.eye(5), (2, 5, 5)))  # identity values: the output is the weights
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).data == 0.0)
    manual_seed(3)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).data
    _, w = attention(q.data, k.data, v.data)
    # inverted dropout: each weight is either dropped or scaled by 1 / (1 - p) = 2
    ratio = dropped / w
    assert np.all(np.isclose(ratio, 0.0) | np.isclose(ratio, 2.0))
    assert np.isclose(ratio, 0.0).any() and np.isclose(ratio, 2.0).any()


def test_sdpa_errors():
    q, k, v = T(randn(3, 4)), T(randn(5, 4)), T(randn(5, 2))
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match="same embedding size"):
        F.scaled_dot_product_attention(q, T(randn(5, 3)), v)
    with pytest.raises(ValueError, match="key and value"):
        F.scaled_dot_product_attention(q, k, T(randn(4, 2)))
    with pytest.raises(ValueError, match="broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(TypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), np.int64))
    with pytest.raises(ValueError, match="dropout probability"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)


# ---------------------------------------------------------------------- MultiheadAttention
def numpy_state(module):
    return {k: v.astype(np.float64) for k, v in module.state_dict().items()}


def to_layout(x, batched, batch_first):
    """(N, L, E) reference layout -> the module's layout."""
    if not batched:
        return x[0]
    return x if batch_first else x.transpose(1, 0, 2).copy()


def from_layout(y, batched, batch_first):
    if not batched:
        return y[None]
    return y if batch_first else y.transpose(1, 0, 2)


CONFIGS = {
    "default": dict(),
    "batch_first": dict(batch_first=True),
    "kdim_vdim": dict(kdim=3, vdim=5),
    "bias_kv": dict(add_bias_kv=True),
    "zero_attn": dict(add_zero_attn=True),
    "everything": dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=2, batch_first=True),
    "no_bias": dict(bias=False),
}
MASKS = ["none", "bool2d", "float3d", "bool_kpm", "float_kpm", "both"]


def make_masks(kind, N, H, L, S, batched, seed=7):
    rng = np.random.default_rng(seed)
    am = kpm = None
    if kind in ("bool2d", "both"):
        am = rng.random((L, S)) > 0.6
        am[:, 0] = False  # keep every row alive
    if kind == "float3d":
        am = rng.standard_normal((N * H, L, S) if batched else (H, L, S))
    if kind in ("bool_kpm", "both"):
        kpm = rng.random((N, S)) > 0.6
        kpm[:, 0] = False
    if kind == "float_kpm":
        kpm = rng.standard_normal((N, S))
    if not batched and kpm is not None:
        kpm = kpm[0]
    return am, kpm


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
@pytest.mark.parametrize("masks", MASKS)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_mha_matches_the_per_head_formula(config, masks, batched):
    kwargs = CONFIGS[config]
    manual_seed(1)
    E, H, L, S = 6, 2, 3, 4
    N = 2 if batched else 1
    m = nn.MultiheadAttention(E, H, dtype=np.float64, **kwargs)
    bf = kwargs.get("batch_first", False)
    kd, vd = kwargs.get("kdim", E), kwargs.get("vdim", E)
    q, k, v = randn(N, L, E, seed=1), randn(N, S, kd, seed=2), randn(N, S, vd, seed=3)
    am, kpm = make_masks(masks, N, H, L, S, batched)
    sd = numpy_state(m)
    for average in (True, False):
        out, w = m(*(T(to_layout(a, batched, bf)) for a in (q, k, v)), key_padding_mask=kpm,
                   attn_mask=am, average_attn_weights=average)
        out_n = from_layout(out.data, batched, bf)
        w_n = w.data if batched else w.data[None]
        for n in range(N):
            am_n = am if am is None or am.ndim == 2 else am.reshape(N, H, L, S)[n]
            kpm_n = None if kpm is None else (kpm[n] if batched else kpm)
            exp_out, exp_w = mha(sd, q[n], k[n], v[n], H, am_n, kpm_n,
                                 add_zero_attn=kwargs.get("add_zero_attn", False))
            np.testing.assert_allclose(out_n[n], exp_out, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(w_n[n], exp_w.mean(axis=0) if average else exp_w,
                                       rtol=1e-10, atol=1e-12)
        extra = kwargs.get("add_bias_kv", False) + kwargs.get("add_zero_attn", False)
        heads = () if average else (H,)
        assert w.shape == ((N,) if batched else ()) + heads + (L, S + extra)
    out2, none = m(*(T(to_layout(a, batched, bf)) for a in (q, k, v)), key_padding_mask=kpm,
                   attn_mask=am, need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.data, out.data, rtol=1e-12, atol=1e-12)


def test_mha_self_attention_uses_the_same_weights_as_separate_inputs():
    m = nn.MultiheadAttention(4, 2, dtype=np.float64)
    x = randn(3, 2, 4)
    same = m(T(x), T(x), T(x))[0].data
    xt = T(x)
    np.testing.assert_allclose(m(xt, xt, xt)[0].data, same, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("batched", [True, False])
def test_mha_self_attention_projects_in_one_product(monkeypatch, batch_first, batched):
    from tinygrad_opt.nn import attention as attention_module

    calls = []

    def counting_linear(x, weight, bias=None):
        calls.append(weight.shape)
        return real_linear(x, weight, bias)

    real_linear = attention_module.linear
    monkeypatch.setattr(attention_module, "linear", counting_linear)
    m = nn.MultiheadAttention(4, 2, batch_first=batch_first, dtype=np.float64)
    x = T(randn(3, 2, 4) if batched else randn(3, 4))
    out = m(x, x, x)[0].data
    assert calls == [(12, 4)]  # the (3E, E) in_proj_weight at once, whatever the layout
    calls.clear()
    separate = m(x, T(x.data), T(x.data))[0].data
    assert len(calls) == 3
    np.testing.assert_allclose(out, separate, rtol=1e-12, atol=1e-14)


def test_mha_fully_masked_rows_nan_with_weights_zero_without():
    m = nn.MultiheadAttention(4, 2, dtype=np.float64)
    x = T(randn(3, 2, 4))
    am = np.zeros((3, 3), bool)
    am[1] = True
    out, w = m(x, x, x, attn_mask=am)
    assert np.isnan(out.data[1]).all() and np.isnan(w.data[:, 1]).all()
    assert np.isfinite(out.data[[0, 2]]).all()
    out, _ = m(x, x, x, attn_mask=am, need_weights=False)
    np.testing.assert_allclose(out.data[1], np.broadcast_to(m.out_proj.bias.data, (2, 4)))


def test_mha_causal_hint_needs_a_mask():
    m = nn.MultiheadAttention(4, 2)
    x = Tensor(randn(3, 2, 4).astype(np.float32))
    with pytest.raises(ValueError, match="need attn_mask"):
        m(x, x, x, is_causal=True)
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(m(x, x, x, attn_mask=causal, is_causal=True)[0].data,
                                  m(x, x, x, attn_mask=causal)[0].data)


@pytest.mark.parametrize("config", ["default", "everything", "no_bias"])
def test_mha_gradients_by_finite_differences(config):
    manual_seed(2)
    kwargs = CONFIGS[config]
    m = nn.MultiheadAttention(4, 2, dtype=np.float64, **kwargs)
    kd, vd = kwargs.get("kdim", 4), kwargs.get("vdim", 4)
    bf = kwargs.get("batch_first", False)
    shape = (lambda n, d: (2, n, d)) if bf else (lambda n, d: (n, 2, d))
    arrays = {"query": randn(*shape(3, 4), seed=1), "key": randn(*shape(2, kd), seed=2),
              "value": randn(*shape(2, vd), seed=3), **dict(m.named_parameters())}
    if config == "default":  # keep bias and out_proj.bias away from 0 for the check
        m.in_proj_bias.data[:] = randn(12, seed=4)
    kpm = np.array([[False, True], [False, False]])

    def forward(t):
        out, w = m(t["query"], t["key"], t["value"], key_padding_mask=kpm,
                   average_attn_weights=False)
        return [out, w]

    finite_difference_check(forward, arrays)


def test_mha_dropout_only_in_training():
    manual_seed(3)
    m = nn.MultiheadAttention(4, 2, dropout=0.5, dtype=np.float64)
    x = T(randn(3, 2, 4))
    sd = numpy_state(m)
    m.eval()
    out, w = m(x, x, x, average_attn_weights=False)
    exp_out, exp_w = mha(sd, x.data[:, 0], x.data[:, 0], x.data[:, 0], 2)
    np.testing.assert_allclose(out.data[:, 0], exp_out, rtol=1e-12)
    m.train()
    _, w_train = m(x, x, x, average_attn_weights=False)
    # inverted dropout: each weight is 0 or twice the eval weight
    ratio = w_train.data / w.data
    assert np.all(np.isclose(ratio, 0.0) | np.isclose(ratio, 2.0))
    assert np.isclose(ratio, 0.0).any() and np.isclose(ratio, 2.0).any()


@pytest.mark.parametrize("kwargs,keys", [
    (dict(), [("in_proj_weight", (12, 4)), ("in_proj_bias", (12,)),
              ("out_proj.weight", (4, 4)), ("out_proj.bias", (4,))]),
    (dict(kdim=3, vdim=5, add_bias_kv=True),
     [("q_proj_weight", (4, 4)), ("k_proj_weight", (4, 3)), ("v_proj_weight", (4, 5)),
      ("in_proj_bias", (12,)), ("bias_k", (1, 1, 4)), ("bias_v", (1, 1, 4)),
      ("out_proj.weight", (4, 4)), ("out_proj.bias", (4,))]),
    (dict(bias=False), [("in_proj_weight", (12, 4)), ("out_proj.weight", (4, 4))]),
])
def test_mha_state_dict_keys_and_shapes(kwargs, keys):
    sd = nn.MultiheadAttention(4, 2, **kwargs).state_dict()
    assert [(k, v.shape) for k, v in sd.items()] == keys


def test_mha_init_follows_pytorch():
    manual_seed(0)
    E = 64
    m = nn.MultiheadAttention(E, 4, add_bias_kv=True)
    bound = math.sqrt(6.0 / (E + 3 * E))  # xavier_uniform_ on (3E, E)
    w = m.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.all(m.in_proj_bias.data == 0) and np.all(m.out_proj.bias.data == 0)
    assert np.abs(m.out_proj.weight.data).max() <= 1 / math.sqrt(E)  # Linear's default
    std = math.sqrt(2.0 / (E + E))  # xavier_normal_ on (1, 1, E): fans E and E
    both = np.concatenate([m.bias_k.data.ravel(), m.bias_v.data.ravel()])
    assert 0.7 * std < both.std() < 1.3 * std
    sep = nn.MultiheadAttention(E, 4, kdim=32)
    assert np.abs(sep.k_proj_weight.data).max() <= math.sqrt(6.0 / (E + 32))
    assert sep.in_proj_weight is None and sep.q_proj_weight.shape == (E, E)


def test_mha_float32_stays_float32():
    m = nn.MultiheadAttention(4, 2)
    x = Tensor(randn(3, 2, 4).astype(np.float32))
    out, w = m(x, x, x, attn_mask=np.zeros((3, 3), bool))
    assert out.dtype == np.float32 and w.dtype == np.float32


@pytest.mark.parametrize("kwargs,match", [
    (dict(embed_dim=5, num_heads=2), "divisible"),
    (dict(embed_dim=0, num_heads=1), "embed_dim"),
    (dict(embed_dim=4, num_heads=2, dropout=2.0), "dropout"),
    (dict(embed_dim=4, num_heads=2, kdim=0), "kdim"),
])
def test_mha_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.MultiheadAttention(**kwargs)


def test_mha_input_errors():
    m = nn.MultiheadAttention(4, 2)
    x = Tensor(randn(3, 2, 4).astype(np.float32))
    with pytest.raises(ValueError, match="last dimension 4"):
        m(x, Tensor(randn(3, 2, 3).astype(np.float32)), x)
    with pytest.raises(ValueError, match="3-D"):
        m(x, x[0], x[0])
    with pytest.raises(ValueError, match="attn_mask should have shape"):
        m(x, x, x, attn_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(TypeError, match="bool and floating"):
        m(x, x, x, attn_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match="batch size"):
        y = Tensor(randn(3, 1, 4).astype(np.float32))
        m(x, y, y)


def test_exported():
    assert "MultiheadAttention" in nn.__all__
    assert "scaled_dot_product_attention" in F.__all__
