"""A whole LSTM or GRU layer direction over time as ONE graph node: the forward loops over the
time steps on plain arrays, and the backward is backpropagation through time written out
(the gate derivatives by hand), so a sequence of L steps costs one node instead of ~15 per
step, and the recurrent weight's gradient is one matmul over all steps instead of L.

The forward does the arithmetic of recurrent.py's per-step Tensor ops in the same order
(pre = x W_ih^T + b_ih + (h W_hh^T + b_hh); sigmoid as ops.unary.sigmoid), so its values are
the same to the bit. The backward's elementwise part of each step is one serial Numba kernel
(a parallel launch costs more than a (batch, hidden) step is worth); only h's gradient
through W_hh stays a matmul per step. Used by RNNBase for LSTM without proj_size and for GRU
on unpacked input.
"""

from __future__ import annotations

import numpy as np

from ..jit import kernel
from ..tensor import Tensor


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) from exp(-|a|), the values of ops.unary.sigmoid: its numerator
    where(a >= 0, 1, e) is max(e, a >= 0) as 0 < e <= 1 (NaN stays NaN), ~3x cheaper."""
    e = np.exp(-np.abs(a))
    return np.maximum(e, a >= 0) / (1 + e)


def _recurrent_product(h: np.ndarray, w_t: np.ndarray, b_hh: np.ndarray | None) -> np.ndarray:
    """h W_hh^T + b_hh with w_t = W_hh^T made contiguous once (BLAS ~25% faster on it)."""
    hw = h @ w_t
    if b_hh is not None:
        hw += b_hh  # in place on the fresh product, as linear()
    return hw


@kernel(parallel=False)
def _lstm_step_backward(acts, tanh_c, c_prev, g, dh, dc, d):
    """One LSTM step back: dh (in: the gradient from the next step) and dc (in/out) of
    (N, H); writes the gate pre-activations' gradient d (N, 4H) and leaves in dc the
    gradient of the previous c. acts holds sigma(i), sigma(f), tanh(g), sigma(o)."""
    H = dh.shape[1]
    for n in range(dh.shape[0]):
        for j in range(H):
            i, f = acts[n, j], acts[n, H + j]
            gg, o = acts[n, 2 * H + j], acts[n, 3 * H + j]
            dhv = dh[n, j] + g[n, j]
            tc = tanh_c[n, j]
            dcv = dc[n, j] + dhv * o * (1 - tc * tc)
            d[n, j] = dcv * gg * i * (1 - i)
            d[n, H + j] = dcv * c_prev[n, j] * f * (1 - f)
            d[n, 2 * H + j] = dcv * i * (1 - gg * gg)
            d[n, 3 * H + j] = dhv * tc * o * (1 - o)
            dc[n, j] = dcv * f


@kernel(parallel=False)
def _gru_step_backward(rz, n_t, hn, h_prev, g, dh, d_pre, d_hw):
    """One GRU step back: dh (N, H) comes in as the gradient from the next step and leaves
    as the direct part z * dh' of the previous h's (the caller adds d_hw W_hh); writes the
    gradients of x W_ih^T + b_ih (d_pre) and of h W_hh^T + b_hh (d_hw), both (N, 3H)."""
    H = dh.shape[1]
    for n in range(dh.shape[0]):
        for j in range(H):
            r, z, nv = rz[n, j], rz[n, H + j], n_t[n, j]
            dhv = dh[n, j] + g[n, j]
            dn = dhv * (1 - z) * (1 - nv * nv)
            dr = dn * hn[n, j] * r * (1 - r)
            dz = dhv * (h_prev[n, j] - nv) * z * (1 - z)
            d_pre[n, j] = dr
            d_pre[n, H + j] = dz
            d_pre[n, 2 * H + j] = dn
            d_hw[n, j] = dr
            d_hw[n, H + j] = dz
            d_hw[n, 2 * H + j] = dn * r
            dh[n, j] = dhv * z


def _parents_and_grads(projected, h0, c0, w_hh, b_hh, d_pre, d_h0, d_c0, d_hw, h_prev):
    """The gradients of (projected, h0[, c0], w_hh[, b_hh]) in that order, None where a
    parent takes none. d_hw (L, N, G) is the gradient of each step's h W_hh^T + b_hh."""
    grads = [d_pre if projected.requires_grad else None,
             d_h0 if h0.requires_grad else None]  # fmt: skip
    if c0 is not None:
        grads.append(d_c0 if c0.requires_grad else None)
    flat = d_hw.reshape(-1, d_hw.shape[-1])
    grads.append(flat.T @ h_prev.reshape(-1, h_prev.shape[-1]) if w_hh.requires_grad else None)
    if b_hh is not None:
        grads.append(flat.sum(axis=0) if b_hh.requires_grad else None)
    return tuple(grads)


def lstm_sequence(projected: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor,
                  b_hh: Tensor | None, reverse: bool) -> Tensor:  # fmt: skip
    """LSTM over projected (L, N, 4H) = x W_ih^T + b_ih from (h0, c0), both (N, H). Returns
    (L + 1, N, H): h_t at each time position t, then the final cell state c_n (the final h
    is row L - 1, or row 0 when `reverse`). Gate order i, f, g, o, as PyTorch."""
    xw, w, b = projected.data, w_hh.data, None if b_hh is None else b_hh.data
    w_t = np.ascontiguousarray(w.T)
    length, batch, gates = xw.shape
    H = gates // 4
    steps = range(length - 1, -1, -1) if reverse else range(length)
    out = np.empty((length + 1, batch, H), dtype=xw.dtype)
    acts = np.empty((length, batch, gates), dtype=xw.dtype)  # sigma(i), sigma(f), tanh(g), sigma(o)
    h_prev = np.empty((length, batch, H), dtype=xw.dtype)
    c_prev = np.empty((length, batch, H), dtype=xw.dtype)
    tanh_c = np.empty((length, batch, H), dtype=xw.dtype)
    h, c = h0.data, c0.data
    for t in steps:
        pre = _recurrent_product(h, w_t, b)
        pre += xw[t]
        a = acts[t]
        a[...] = _sigmoid(pre)  # all four chunks: one call beats two; g's is replaced next
        a[:, 2 * H : 3 * H] = np.tanh(pre[:, 2 * H : 3 * H])
        h_prev[t], c_prev[t] = h, c
        c = a[:, H : 2 * H] * c + a[:, : H] * a[:, 2 * H : 3 * H]
        tanh_c[t] = np.tanh(c)
        h = out[t] = a[:, 3 * H :] * tanh_c[t]
    out[length] = c

    def backward(g: np.ndarray):
        g = np.ascontiguousarray(g, dtype=xw.dtype)
        d_pre = np.empty_like(acts)
        dh = np.zeros((batch, H), dtype=xw.dtype)
        dc = g[length].copy()
        for t in reversed(steps):
            _lstm_step_backward(acts[t], tanh_c[t], c_prev[t], g[t], dh, dc, d_pre[t])
            dh = d_pre[t] @ w
        return _parents_and_grads(projected, h0, c0, w_hh, b_hh, d_pre, dh, dc, d_pre, h_prev)

    parents = (projected, h0, c0, w_hh) + (() if b_hh is None else (b_hh,))
    return Tensor.make(out, parents, backward)


def gru_sequence(projected: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None,
                 reverse: bool) -> Tensor:  # fmt: skip
    """GRU over projected (L, N, 3H) = x W_ih^T + b_ih from h0 (N, H). Returns h_t at each
    time position, (L, N, H). Gate order r, z, n; b_hn stays inside r * (W_hn h + b_hn)."""
    xw, w, b = projected.data, w_hh.data, None if b_hh is None else b_hh.data
    w_t = np.ascontiguousarray(w.T)
    length, batch, gates = xw.shape
    H = gates // 3
    steps = range(length - 1, -1, -1) if reverse else range(length)
    out = np.empty((length, batch, H), dtype=xw.dtype)
    rz = np.empty((length, batch, 2 * H), dtype=xw.dtype)
    n_all = np.empty((length, batch, H), dtype=xw.dtype)
    hn_all = np.empty((length, batch, H), dtype=xw.dtype)  # W_hn h + b_hn
    h_prev = np.empty((length, batch, H), dtype=xw.dtype)
    h = h0.data
    for t in steps:
        hw = _recurrent_product(h, w_t, b)
        rz[t] = _sigmoid(xw[t, :, : 2 * H] + hw[:, : 2 * H])
        hn_all[t] = hw[:, 2 * H :]
        n = n_all[t] = np.tanh(xw[t, :, 2 * H :] + rz[t, :, :H] * hw[:, 2 * H :])
        h_prev[t] = h
        h = out[t] = n + rz[t, :, H:] * (h - n)

    def backward(g: np.ndarray):
        g = np.ascontiguousarray(g, dtype=xw.dtype)
        d_pre = np.empty((length, batch, gates), dtype=xw.dtype)
        d_hw = np.empty_like(d_pre)
        dh = np.zeros((batch, H), dtype=xw.dtype)
        for t in reversed(steps):
            _gru_step_backward(rz[t], n_all[t], hn_all[t], h_prev[t], g[t], dh, d_pre[t],
                               d_hw[t])  # fmt: skip
            dh += d_hw[t] @ w
        return _parents_and_grads(projected, h0, None, w_hh, b_hh, d_pre, dh, None, d_hw, h_prev)

    parents = (projected, h0, w_hh) + (() if b_hh is None else (b_hh,))
    return Tensor.make(out, parents, backward)
