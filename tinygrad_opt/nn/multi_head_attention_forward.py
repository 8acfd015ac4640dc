"""`F.multi_head_attention_forward`: torch's functional form of nn.MultiheadAttention, taking
the projection weights as arguments, over attention.py's masking and attention helpers."""

from __future__ import annotations

import math

import numpy as np

from ..ops.join import cat
from ..tensor import Tensor
from .attention import _attend, _check_float, _merge_masks, _one_more_key
from .dropout import _check_p
from .linear import linear

_WHO = "multi_head_attention_forward"


def _heads(t: Tensor, N: int, H: int, D: int) -> Tensor:  # noqa: N803
    """(N, S, H * D) -> (N, H, S, D)."""
    return t.reshape(N, t.shape[1], H, D).transpose(1, 2)


def _static(t, name: str, N: int, H: int, D: int) -> Tensor:  # noqa: N803
    """static_k / static_v of shape (N * H, S, D) as (N, H, S, D)."""
    t = _check_float(t, name, _WHO)
    if t.ndim != 3 or t.shape[0] != N * H or t.shape[2] != D:
        raise ValueError(f"{_WHO}: expected {name} of shape ({N * H}, S, {D}), got "
                         f"{tuple(t.shape)}")
    return t.reshape(N, H, t.shape[1], D)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
    out_proj_weight: Tensor, out_proj_bias, training: bool = True, key_padding_mask=None,
    need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
    q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
    static_v=None, average_attn_weights: bool = True, is_causal: bool = False,
):
    """(attn_output, attn_weights or None) for query (L, N, E) and key/value (S, N, E*) or
    unbatched (L, E) / (S, E*), as torch.nn.functional.multi_head_attention_forward (which
    nn.MultiheadAttention calls with its parameters; there is no batch_first here).

    Projections: in_proj_weight (3E, E) split into q, k, v rows, or with
    use_separate_proj_weight q/k/v_proj_weight; in_proj_bias (3E,) split likewise.
    bias_k/bias_v (1, 1, E) append one key and value; static_k/static_v (N * num_heads, S,
    E / num_heads) replace the projected keys/values (not together with bias_k/bias_v);
    add_zero_attn appends a zero key and value. Masks as MultiheadAttention (bool True =
    masked, float added; attn_mask (L, S) or (N * num_heads, L, S), key_padding_mask (N, S),
    S the length before the appended keys). Dropout (p = dropout_p when `training`) falls on
    the weights; weights are averaged over heads unless average_attn_weights is False.
    is_causal is only a hint and needs attn_mask, as torch. Deviations as MultiheadAttention:
    masks are constants, malformed input raises ValueError (torch: AssertionError or
    RuntimeError)."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_float(t, name, _WHO)
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"{_WHO}: query, key and value must all be 3-D (batched) or all 2-D "
                         f"(unbatched), got {query.shape}, {key.shape} and {value.shape}")
    batched = query.ndim == 3
    E = query.shape[-1]
    if E != embed_dim_to_check:
        raise ValueError(f"{_WHO}: query's embedding dimension {E} differs from "
                         f"embed_dim_to_check={embed_dim_to_check}")
    if isinstance(num_heads, bool) or not isinstance(num_heads, (int, np.integer)) \
            or num_heads <= 0 or E % num_heads:
        raise ValueError(f"{_WHO}: num_heads must be a positive int dividing embed_dim {E}, "
                         f"got {num_heads!r}")
    if is_causal and attn_mask is None:
        raise ValueError(f"{_WHO}: need attn_mask if specifying the is_causal hint; "
                         "Transformer.generate_square_subsequent_mask makes a causal mask")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{_WHO}: bias_k and bias_v must be given together")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise ValueError(f"{_WHO}: bias_k/bias_v cannot be added to static_k/static_v")
    same = query is key and key is value
    # work in (N, L, E)
    if batched:
        query, key, value = (t.transpose(0, 1) for t in (query, key, value))
    else:
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
    N, L, _ = query.shape
    if key.shape[:2] != value.shape[:2] or key.shape[0] != N:
        raise ValueError(f"{_WHO}: key and value must have the same batch size and sequence "
                         f"length as each other (and the batch size of query), got "
                         f"{key.shape} and {value.shape} in (N, S, E) order")
    H, D = int(num_heads), E // int(num_heads)

    bq = bk = bv = None
    if in_proj_bias is not None:
        if tuple(in_proj_bias.shape) != (3 * E,):
            raise ValueError(f"{_WHO}: in_proj_bias must have shape ({3 * E},), got "
                             f"{tuple(in_proj_bias.shape)}")
        bq, bk, bv = in_proj_bias.chunk(3)
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{_WHO}: use_separate_proj_weight=True needs q_proj_weight, "
                             "k_proj_weight and v_proj_weight")
        q, k, v = (linear(query, q_proj_weight, bq), linear(key, k_proj_weight, bk),
                   linear(value, v_proj_weight, bv))
    else:
        if in_proj_weight is None or tuple(in_proj_weight.shape) != (3 * E, E):
            shape = None if in_proj_weight is None else tuple(in_proj_weight.shape)
            raise ValueError(f"{_WHO}: in_proj_weight must have shape ({3 * E}, {E}) when "
                             f"use_separate_proj_weight is False, got {shape}")
        if same:  # self-attention: one product
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        else:
            wq, wk, wv = in_proj_weight.chunk(3)
            q, k, v = linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    S = static_k.shape[1] if static_k is not None else key.shape[1]
    bias = _merge_masks(attn_mask, key_padding_mask, batched, N, H, L, S, query.dtype, _WHO)
    if bias_k is not None:
        k = cat([k, bias_k.reshape(1, 1, E).expand(N, 1, E)], dim=1)
        v = cat([v, bias_v.reshape(1, 1, E).expand(N, 1, E)], dim=1)
        bias = _one_more_key(bias)
    q = _heads(q, N, H, D)
    k = _heads(k, N, H, D) if static_k is None else _static(static_k, "static_k", N, H, D)
    v = _heads(v, N, H, D) if static_v is None else _static(static_v, "static_v", N, H, D)
    if k.shape[2] != v.shape[2]:
        raise ValueError(f"{_WHO}: keys and values have different lengths {k.shape[2]} and "
                         f"{v.shape[2]}")
    if add_zero_attn:
        zeros = Tensor(np.zeros((N, H, 1, D), dtype=k.dtype))
        k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)
        bias = _one_more_key(bias)
    p = _check_p(dropout_p, _WHO) if training else 0.0
    out, weights = _attend(q, k, v, bias, 1.0 / math.sqrt(D), p, safe=not need_weights)
    out = linear(out.transpose(1, 2).reshape(N, L, E), out_proj_weight, out_proj_bias)
    out = out.transpose(0, 1) if batched else out.squeeze(0)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(axis=1)
    return out, (weights if batched else weights.squeeze(0))
