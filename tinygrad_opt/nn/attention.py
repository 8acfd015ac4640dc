"""Attention: `scaled_dot_product_attention` and `MultiheadAttention`, with torch's names,
arguments, parameter layouts and state_dict keys.

Built from Tensor ops (linear, matmul, softmax, dropout, cat, reshape), so autograd gives
the gradients. Per head (Vaswani et al., 2017):

    Attention(Q, K, V) = softmax(Q K^T * scale + M) V,   scale = 1 / sqrt(head_dim)

where M is the additive mask: 0 where a key takes part, -inf where it is masked, or the
values of a float mask. The two PyTorch entry points read bool masks oppositely:
    scaled_dot_product_attention: True = the key TAKES PART;
    MultiheadAttention:           True = the key is MASKED (attn_mask and key_padding_mask).

A query row whose keys are all masked gives zeros (and zero gradients) from
scaled_dot_product_attention and from MultiheadAttention with need_weights=False, but NaN
from MultiheadAttention with need_weights=True, as PyTorch 2.x (whose fused path zeroes such
rows while its weights path does not).
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..ops.join import cat
from ..ops.select import masked_fill
from ..tensor import Tensor
from . import init
from .activation import softmax
from .dropout import _check_p, dropout
from .linear import Linear, linear
from .module import Module, Parameter


def _bool_to_additive(mask: np.ndarray, masked_when: bool, dtype: np.dtype) -> np.ndarray:
    """0 where a key takes part, -inf where `mask == masked_when`."""
    return np.where(mask == masked_when, -np.inf, 0.0).astype(dtype)


def _additive(data: np.ndarray, masked_when: bool, dtype: np.dtype) -> np.ndarray:
    """A bool mask as 0 / -inf, a float mask as it is (in `dtype`)."""
    if data.dtype == np.bool_:
        return _bool_to_additive(data, masked_when, dtype)
    return data.astype(dtype)


def _one_more_key(bias: np.ndarray | None) -> np.ndarray | None:
    """The mask for one appended key (bias_k or the zero key), which always takes part."""
    return None if bias is None else np.concatenate([bias, np.zeros_like(bias[..., :1])], -1)


def _mask_data(mask, name: str, who: str) -> np.ndarray:
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype != np.bool_ and data.dtype.kind != "f":
        raise TypeError(
            f"{who}: only bool and floating types of {name} are supported, got {data.dtype}"
        )
    return data


def _merge_masks(attn_mask, key_padding_mask, batched, N, H, L, S, dtype, who):
    """attn_mask ((L, S) or (N * H, L, S); (H, L, S) unbatched) and key_padding_mask ((N, S);
    (S,) unbatched), True = masked, merged into one additive (N or 1, H or 1, L, S) numpy
    array, or None (shared by MultiheadAttention and multi_head_attention_forward)."""
    bias = None
    if attn_mask is not None:
        data = _mask_data(attn_mask, "attn_mask", who)
        heads_shape = (N * H, L, S) if batched else (H, L, S)
        if data.shape == (L, S):
            data = data.reshape(1, 1, L, S)
        elif data.shape == heads_shape:
            data = data.reshape(N, H, L, S)
        else:
            raise ValueError(
                f"{who}: attn_mask should have shape {(L, S)} or {heads_shape}, got "
                f"{data.shape}"
            )
        bias = _additive(data, True, dtype)
    if key_padding_mask is not None:
        data = _mask_data(key_padding_mask, "key_padding_mask", who)
        want = (N, S) if batched else (S,)
        if data.shape != want:
            raise ValueError(
                f"{who}: expected key_padding_mask of shape {want}, got {data.shape}"
            )
        data = data.reshape(N, 1, 1, S)
        pad = _additive(data, True, dtype)
        bias = pad if bias is None else bias + pad
    return bias


def _attend(q: Tensor, k: Tensor, v: Tensor, bias, scale: float, dropout_p: float, safe: bool):
    """(softmax(q k^T * scale + bias) v, weights). `bias` is None, a numpy array or a Tensor
    broadcasting to the scores; with `safe`, rows whose bias is -inf throughout give zero
    weights instead of NaN. Inverted dropout falls on the weights."""
    logits = (q @ k.transpose(-2, -1)) * scale
    dead = None
    if bias is not None:
        bias_data = bias.data if isinstance(bias, Tensor) else bias
        logits = logits + (bias if isinstance(bias, Tensor) else Tensor(bias_data))
        if safe:
            full = np.broadcast_to(bias_data, logits.shape)
            dead = np.all(np.isneginf(full), axis=-1, keepdims=True)
    if dead is not None and dead.any():
        # a row of zeros keeps softmax finite; the constant factor then zeroes the row and
        # its gradient
        live = Tensor((~dead).astype(logits.dtype))
        weights = softmax(masked_fill(logits, dead, 0.0), dim=-1) * live
    else:
        with np.errstate(invalid="ignore"):  # unsafe dead rows are NaN on purpose
            weights = softmax(logits, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ v, weights


def _check_float(value, name: str, who: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise TypeError(f"{who}: {name} must be floating point, got {value.dtype}")
    return value


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + M) V over the last two axes, as
    torch.nn.functional.scaled_dot_product_attention.

    query (..., Hq, L, E), key (..., H, S, E), value (..., H, S, Ev) -> (..., Hq, L, Ev);
    scale defaults to 1 / sqrt(E). attn_mask broadcasts to (..., L, S): bool True = takes
    part, a float mask is added (and gets a gradient when it is a Tensor that requires one).
    is_causal masks key j > query i (top-left aligned when L != S). With enable_gqa, Hq must
    be a multiple of H and each key/value head serves Hq / H query heads. Dropout is applied
    whenever dropout_p > 0 (there is no training flag, as in PyTorch). Rows with every key
    masked give zeros. Deviations: attn_mask together with is_causal is a ValueError, as
    PyTorch documents (torch 2.13 combines them silently); bad shapes are ValueErrors.
    """
    who = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_float(t, name, who)
        if t.ndim < 2:
            raise ValueError(f"{who}: {name} must have at least 2 dimensions, got {t.shape}")
    p = _check_p(dropout_p, who)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{who}: query and key must have the same embedding size (last dimension), got "
            f"{query.shape} and {key.shape}"
        )
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(
            f"{who}: key and value must agree in all but the last dimension, got {key.shape} "
            f"and {value.shape}"
        )
    if attn_mask is not None and is_causal:
        raise ValueError(f"{who}: attn_mask must be None when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa:
        if query.ndim < 3 or key.ndim < 3:
            raise ValueError(f"{who}: enable_gqa needs a heads dimension (-3) in query and key")
        hq, hkv = query.shape[-3], key.shape[-3]
        if hkv == 0 or hq % hkv:
            raise ValueError(
                f"{who}: with enable_gqa the number of query heads ({hq}) must be a multiple of "
                f"the number of key/value heads ({hkv})"
            )
        if hq != hkv:
            key, value = (_repeat_heads(t, hq // hkv) for t in (key, value))
    bias = None
    if is_causal:
        bias = _bool_to_additive(np.tril(np.ones((L, S), dtype=bool)), False, query.dtype)
    elif attn_mask is not None:
        data = _mask_data(attn_mask, "attn_mask", who)
        if data.dtype == np.bool_:
            bias = _bool_to_additive(data, False, query.dtype)
        elif isinstance(attn_mask, Tensor):
            if data.dtype != query.dtype:
                raise TypeError(
                    f"{who}: a float attn_mask must have the query's dtype {query.dtype}, got "
                    f"{data.dtype}"
                )
            bias = attn_mask
        else:
            bias = data.astype(query.dtype)
        try:
            np.broadcast_shapes(data.shape, (L, S))
            if data.ndim > 2:
                np.broadcast_shapes(data.shape, query.shape[:-2] + (L, S))
        except ValueError:
            raise ValueError(
                f"{who}: attn_mask of shape {data.shape} does not broadcast to the attention "
                f"scores (..., L={L}, S={S})"
            ) from None
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    out, _ = _attend(query, key, value, bias, float(scale), p, safe=True)
    return out


def _repeat_heads(t: Tensor, times: int) -> Tensor:
    """(..., H, S, E) -> (..., H * times, S, E), each head repeated `times` times in a row
    (torch.repeat_interleave on dim -3)."""
    shape = t.shape
    spread = t.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return spread.reshape(*shape[:-3], shape[-3] * times, *shape[-2:])


class MultiheadAttention(Module):
    """Multi-head attention as torch.nn.MultiheadAttention:
    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O + b_O,
    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V).

    Parameters (PyTorch's names and layouts): `in_proj_weight` (3E, E) when kdim == vdim ==
    embed_dim, else `q_proj_weight` (E, E), `k_proj_weight` (E, kdim), `v_proj_weight`
    (E, vdim); `in_proj_bias` (3E,); `bias_k`, `bias_v` (1, 1, E) with add_bias_kv; `out_proj`
    a Linear(E, E). Init as PyTorch: xavier_uniform_ on the input projections, zeros for
    in_proj_bias and out_proj.bias, xavier_normal_ for bias_k/bias_v, Linear's default for
    out_proj.weight.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) takes (L, N, E) ((N, L, E) with batch_first)
    or unbatched (L, E) input and returns (attn_output, attn_weights or None); weights are
    (N, L, S) averaged over heads or (N, num_heads, L, S) (unbatched without N), after
    dropout. Bool masks: True = masked; float masks are added. attn_mask is (L, S) or
    (N * num_heads, L, S); key_padding_mask is (N, S). is_causal is only a hint that attn_mask
    is causal and, as in PyTorch, needs attn_mask. Deviations: masks are constants (no
    gradient reaches a float mask); malformed input is a ValueError (PyTorch: AssertionError
    or RuntimeError); `out_proj` is called as a module, so its hooks (and prune's or
    weight_norm's recompute) run (PyTorch passes its weight to the functional form: its
    hooks never run).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("MultiheadAttention", device)
        super().__init__()
        who = "MultiheadAttention"
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(
                f"{who}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        for name, value in (("kdim", kdim), ("vdim", vdim)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0
            ):
                raise ValueError(f"{who}: {name} must be None or a positive int, got {value!r}")
        self.embed_dim = int(embed_dim)
        self.kdim = int(kdim) if kdim is not None else self.embed_dim
        self.vdim = int(vdim) if vdim is not None else self.embed_dim
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.num_heads = int(num_heads)
        self.dropout = _check_p(dropout, who)
        self.batch_first = batch_first
        self.head_dim = self.embed_dim // self.num_heads
        self.add_zero_attn = add_zero_attn
        dtype = default_float(dtype)
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype=dtype))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _project(self, query: Tensor, key: Tensor, value: Tensor, same: bool):
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
        if self._qkv_same_embed_dim:
            if same:  # self-attention: one product
                return linear(query, self.in_proj_weight, b).chunk(3, dim=-1)
            wq, wk, wv = self.in_proj_weight.chunk(3)
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        who = "MultiheadAttention"
        for name, t in (("query", query), ("key", key), ("value", value)):
            _check_float(t, name, who)
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(
                f"{who}: query, key and value must all be 3-D (batched) or all 2-D (unbatched), "
                f"got {query.shape}, {key.shape} and {value.shape}"
            )
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(
                    f"{who}: expected {name} with last dimension {size}, got {t.shape}"
                )
        if is_causal and attn_mask is None:
            raise ValueError(
                f"{who}: need attn_mask if specifying the is_causal hint; "
                "Transformer.generate_square_subsequent_mask makes a causal mask"
            )
        # checked before the layout changes below, which give three distinct Tensors
        same = query is key and key is value
        # work in (N, L, E)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        N, L, _ = query.shape
        S = key.shape[1]
        if key.shape[:2] != (N, S) or value.shape[:2] != (N, S):
            raise ValueError(
                f"{who}: key and value must have the same batch size and sequence length as "
                f"each other (and the batch size of query), got {key.shape} and {value.shape}"
            )
        H, D = self.num_heads, self.head_dim
        bias = self._mask(attn_mask, key_padding_mask, batched, N, L, S, query.dtype)

        q, k, v = self._project(query, key, value, same)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(N, 1, self.embed_dim)], dim=1)
            v = cat([v, self.bias_v.expand(N, 1, self.embed_dim)], dim=1)
            bias = _one_more_key(bias)
        q, k, v = (t.reshape(N, t.shape[1], H, D).transpose(1, 2) for t in (q, k, v))
        if self.add_zero_attn:
            zeros = Tensor(np.zeros((N, H, 1, D), dtype=k.dtype))
            k, v = cat([k, zeros], dim=2), cat([v, zeros], dim=2)
            bias = _one_more_key(bias)
        p = self.dropout if self.training else 0.0
        out, weights = _attend(q, k, v, bias, 1.0 / math.sqrt(D), p, safe=not need_weights)
        out = self.out_proj(out.transpose(1, 2).reshape(N, L, self.embed_dim))
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights if batched else weights.squeeze(0))

    def _mask(self, attn_mask, key_padding_mask, batched, N, L, S, dtype):
        return _merge_masks(attn_mask, key_padding_mask, batched, N, self.num_heads, L, S,
                            dtype, "MultiheadAttention")

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"
