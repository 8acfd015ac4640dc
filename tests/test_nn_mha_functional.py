"""F.multi_head_attention_forward against the per-head numpy reference of
attention_reference.py, against nn.MultiheadAttention with the same parameters, its
static_k/static_v path, float64 finite-difference gradients and errors; and
F.native_channel_shuffle against the index formula."""

from __future__ import annotations

import numpy as np
import pytest
from attention_reference import attention, mha
from finite_differences import finite_difference_check

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn

RNG = np.random.default_rng(9)
L, S, N, E, H = 3, 4, 2, 6, 2


def params(bias_kv=False):
    sd = {"in_proj_weight": RNG.standard_normal((3 * E, E)),
          "in_proj_bias": RNG.standard_normal(3 * E),
          "out_proj.weight": RNG.standard_normal((E, E)),
          "out_proj.bias": RNG.standard_normal(E)}
    if bias_kv:
        sd["bias_k"] = RNG.standard_normal((1, 1, E))
        sd["bias_v"] = RNG.standard_normal((1, 1, E))
    return sd


def call(sd, q, k, v, **kw):
    t = {name: Tensor(a) for name, a in sd.items()}
    return F.multi_head_attention_forward(
        Tensor(q), Tensor(k), Tensor(v), E, H, t["in_proj_weight"], t["in_proj_bias"],
        t.get("bias_k"), t.get("bias_v"), kw.pop("add_zero_attn", False), 0.0,
        t["out_proj.weight"], t["out_proj.bias"], **kw)


@pytest.mark.parametrize("bias_kv,zero_attn", [(False, False), (True, False), (False, True)])
def test_matches_the_per_head_reference_with_masks(bias_kv, zero_attn):
    sd = params(bias_kv)
    q, k, v = (RNG.standard_normal((n, N, E)) for n in (L, S, S))
    attn_mask = RNG.random((L, S)) < 0.3
    attn_mask[:, 0] = False
    kpm = RNG.random((N, S)) < 0.3
    kpm[:, 1] = False
    out, w = call(sd, q, k, v, add_zero_attn=zero_attn, attn_mask=Tensor(attn_mask),
                  key_padding_mask=Tensor(kpm), average_attn_weights=False)
    for b in range(N):
        ref_out, ref_w = mha(sd, q[:, b], k[:, b], v[:, b], H, attn_mask, kpm[b],
                             add_zero_attn=zero_attn)
        np.testing.assert_allclose(out.data[:, b], ref_out, atol=1e-12)
        np.testing.assert_allclose(w.data[b], ref_w, atol=1e-12)


def test_same_as_the_module_with_its_parameters():
    module = nn.MultiheadAttention(E, H, dtype=np.float64)
    x = RNG.standard_normal((L, N, E))
    xt = Tensor(x)
    want, want_w = module(xt, xt, xt)
    got, got_w = F.multi_head_attention_forward(
        xt, xt, xt, E, H, module.in_proj_weight, module.in_proj_bias, None, None, False, 0.0,
        module.out_proj.weight, module.out_proj.bias)
    np.testing.assert_allclose(got.data, want.data, atol=1e-12)
    np.testing.assert_allclose(got_w.data, want_w.data, atol=1e-12)


def test_separate_projection_weights_and_unbatched_input():
    sd = params()
    wq, wk, wv = np.split(sd["in_proj_weight"], 3)
    q, k, v = (RNG.standard_normal((n, E)) for n in (L, S, S))
    out, w = F.multi_head_attention_forward(
        Tensor(q), Tensor(k), Tensor(v), E, H, None, Tensor(sd["in_proj_bias"]), None, None,
        False, 0.0, Tensor(sd["out_proj.weight"]), Tensor(sd["out_proj.bias"]),
        use_separate_proj_weight=True, q_proj_weight=Tensor(wq), k_proj_weight=Tensor(wk),
        v_proj_weight=Tensor(wv))
    ref_out, ref_w = mha(sd, q, k, v, H)
    np.testing.assert_allclose(out.data, ref_out, atol=1e-12)
    np.testing.assert_allclose(w.data, ref_w.mean(0), atol=1e-12)


def test_static_keys_and_values_replace_the_projections():
    sd = params()
    q = RNG.standard_normal((L, N, E))
    D = E // H
    static_k = RNG.standard_normal((N * H, 5, D))
    static_v = RNG.standard_normal((N * H, 5, D))
    out, w = call(sd, q, q, q, static_k=Tensor(static_k), static_v=Tensor(static_v),
                  average_attn_weights=False)
    wq = np.split(sd["in_proj_weight"], 3)[0]
    bq = np.split(sd["in_proj_bias"], 3)[0]
    for b in range(N):
        qp = q[:, b] @ wq.T + bq
        heads = []
        for h in range(H):
            o, wh = attention(qp[:, h * D:(h + 1) * D], static_k[b * H + h], static_v[b * H + h])
            heads.append(o)
            np.testing.assert_allclose(w.data[b, h], wh, atol=1e-12)
        ref = np.hstack(heads) @ sd["out_proj.weight"].T + sd["out_proj.bias"]
        np.testing.assert_allclose(out.data[:, b], ref, atol=1e-12)


def test_gradients_match_finite_differences():
    sd = params(bias_kv=True)
    arrays = {"q": RNG.standard_normal((L, N, E)), "k": RNG.standard_normal((S, N, E)),
              "v": RNG.standard_normal((S, N, E)), **sd}

    def forward(t):
        out, w = F.multi_head_attention_forward(
            t["q"], t["k"], t["v"], E, H, t["in_proj_weight"], t["in_proj_bias"],
            t["bias_k"], t["bias_v"], False, 0.0, t["out_proj.weight"], t["out_proj.bias"])
        return [out, w]

    finite_difference_check(forward, arrays)


def test_errors():
    sd = params()
    x = RNG.standard_normal((L, N, E))
    with pytest.raises(ValueError, match="embed_dim_to_check"):
        F.multi_head_attention_forward(
            Tensor(x), Tensor(x), Tensor(x), E + 1, H, Tensor(sd["in_proj_weight"]), None,
            None, None, False, 0.0, Tensor(sd["out_proj.weight"]), None)
    with pytest.raises(ValueError, match="is_causal"):
        call(sd, x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="in_proj_weight"):
        F.multi_head_attention_forward(
            Tensor(x), Tensor(x), Tensor(x), E, H, None, None, None, None, False, 0.0,
            Tensor(sd["out_proj.weight"]), None)
    with pytest.raises(ValueError, match="attn_mask"):
        call(sd, x, x, x, attn_mask=Tensor(np.zeros((2, 2), bool)))
    with pytest.raises(ValueError, match="dropout"):
        F.multi_head_attention_forward(
            Tensor(x), Tensor(x), Tensor(x), E, H, Tensor(sd["in_proj_weight"]), None, None,
            None, False, 1.5, Tensor(sd["out_proj.weight"]), None)


def test_native_channel_shuffle_is_the_channel_permutation():
    x = RNG.standard_normal((2, 6, 3))
    out = F.native_channel_shuffle(Tensor(x), 3)
    # channel c of the output is input channel (c % 3) * 2 + c // 3
    for c in range(6):
        np.testing.assert_array_equal(out.data[:, c], x[:, (c % 3) * 2 + c // 3])
    assert tg.nn.functional.native_channel_shuffle is F.native_channel_shuffle
    with pytest.raises(ValueError, match="divisible"):
        F.native_channel_shuffle(Tensor(x), 4)
