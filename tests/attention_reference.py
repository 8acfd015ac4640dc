"""Plain numpy references for the attention and Transformer tests, written from the
documented formulas (Vaswani et al., 2017; PyTorch's layer documentation)."""

import math

import numpy as np


def softmax_rows(x):
    """softmax over the last axis; a row that is -inf throughout gives NaN (0 / 0)."""
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def attention(q, k, v, bias=None, scale=None):
    """softmax(q k^T * scale + bias) v over the last two axes, and the weights."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("...le,...se->...ls", q, k) * scale
    if bias is not None:
        logits = logits + bias
    w = softmax_rows(logits)
    return np.einsum("...ls,...sv->...lv", w, v), w


def mha(sd, query, key, value, num_heads, attn_mask=None, key_padding_mask=None,
        add_zero_attn=False, zero_dead_rows=False):
    """One batch element at a time, one head at a time: query (L, E), key (S, kdim), value
    (S, vdim); attn_mask (L, S) or (num_heads, L, S) and key_padding_mask (S,), bool True =
    masked, float added. Returns the output (L, E) and the per-head weights (H, L, S')."""
    E = query.shape[-1]
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"], 3)
    else:
        wq, wk, wv = sd["q_proj_weight"], sd["k_proj_weight"], sd["v_proj_weight"]
    bq = bk = bv = np.zeros(E)
    if "in_proj_bias" in sd:
        bq, bk, bv = np.split(sd["in_proj_bias"], 3)
    q, k, v = query @ wq.T + bq, key @ wk.T + bk, value @ wv.T + bv
    L, S = q.shape[0], k.shape[0]
    bias = np.zeros((num_heads, L, S))
    if attn_mask is not None:
        bias = bias + (np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask)
    if key_padding_mask is not None:
        m = key_padding_mask
        bias = bias + (np.where(m, -np.inf, 0.0) if m.dtype == bool else m)[None, None, :]
    if "bias_k" in sd:
        k = np.vstack([k, sd["bias_k"].reshape(1, E)])
        v = np.vstack([v, sd["bias_v"].reshape(1, E)])
        bias = np.concatenate([bias, np.zeros((num_heads, L, 1))], axis=-1)
    D = E // num_heads
    heads, weights = [], []
    for h in range(num_heads):
        cols = slice(h * D, (h + 1) * D)
        kh, vh = k[:, cols], v[:, cols]
        bh = bias[h]
        if add_zero_attn:
            kh, vh = np.vstack([kh, np.zeros((1, D))]), np.vstack([vh, np.zeros((1, D))])
            bh = np.concatenate([bh, np.zeros((L, 1))], axis=-1)
        out, w = attention(q[:, cols], kh, vh, bh)
        if zero_dead_rows:
            dead = np.all(np.isneginf(bh), axis=-1)
            out[dead] = 0.0
            w[dead] = 0.0
        heads.append(out)
        weights.append(w)
    out = np.hstack(heads) @ sd["out_proj.weight"].T
    if "out_proj.bias" in sd:
        out = out + sd["out_proj.bias"]
    return out, np.stack(weights)


def layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    out = (x - mean) / np.sqrt(var + eps)
    return out * (1.0 if w is None else w) + (0.0 if b is None else b)


def relu(x):
    return np.maximum(x, 0.0)


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def sub(sd, prefix):
    """The entries of `sd` under `prefix.`, with the prefix removed."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in sd.items() if k.startswith(prefix + ".")}


def feed_forward(sd, x, act):
    h = act(x @ sd["linear1.weight"].T + sd.get("linear1.bias", 0.0))
    return h @ sd["linear2.weight"].T + sd.get("linear2.bias", 0.0)


def norm(sd, name, x, eps=1e-5):
    return layer_norm(x, sd.get(name + ".weight"), sd.get(name + ".bias"), eps)


def encoder_layer(sd, x, nhead, norm_first, act=relu, mask=None, kpm=None):
    """One sequence (L, E): post-norm x = n1(x + SA(x)), x = n2(x + FF(x)); pre-norm
    x = x + SA(n1(x)), x = x + FF(n2(x)). Dead rows are zeros (need_weights=False)."""
    def sa(y):
        return mha(sub(sd, "self_attn"), y, y, y, nhead, mask, kpm, zero_dead_rows=True)[0]
    if norm_first:
        x = x + sa(norm(sd, "norm1", x))
        return x + feed_forward(sd, norm(sd, "norm2", x), act)
    x = norm(sd, "norm1", x + sa(x))
    return norm(sd, "norm2", x + feed_forward(sd, x, act))


def decoder_layer(sd, x, mem, nhead, norm_first, act=relu, tgt_mask=None, mem_mask=None,
                  tgt_kpm=None, mem_kpm=None):
    """As encoder_layer with the cross-attention step CA(x) = MHA(x, mem, mem) between."""
    def sa(y):
        return mha(sub(sd, "self_attn"), y, y, y, nhead, tgt_mask, tgt_kpm,
                   zero_dead_rows=True)[0]

    def ca(y):
        return mha(sub(sd, "multihead_attn"), y, mem, mem, nhead, mem_mask, mem_kpm,
                   zero_dead_rows=True)[0]
    if norm_first:
        x = x + sa(norm(sd, "norm1", x))
        x = x + ca(norm(sd, "norm2", x))
        return x + feed_forward(sd, norm(sd, "norm3", x), act)
    x = norm(sd, "norm1", x + sa(x))
    x = norm(sd, "norm2", x + ca(x))
    return norm(sd, "norm3", x + feed_forward(sd, x, act))
