"""nn/recurrent_sequence.py: the one-node LSTM / GRU recurrences. Forward values against a
naive numpy loop of PyTorch's documented equations; every gradient (projected input, initial
state, W_hh, b_hh) against float64 central finite differences of a random projection of the
outputs; the Numba step kernels against the same arithmetic in plain numpy."""

import numpy as np
import pytest
from finite_differences import finite_difference_check

from tinygrad_opt import Tensor
from tinygrad_opt.nn.recurrent_sequence import (
    _gru_step_backward,
    _lstm_step_backward,
    _sigmoid,
    gru_sequence,
    lstm_sequence,
)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_lstm(xw, h, c, w_hh, b_hh, reverse):
    """Outputs (L, N, H) and the final c, one documented step at a time."""
    H = h.shape[1]
    out = np.zeros(xw.shape[:2] + (H,))
    for t in (range(len(xw) - 1, -1, -1) if reverse else range(len(xw))):
        pre = xw[t] + h @ w_hh.T + b_hh
        i, f = sigmoid(pre[:, :H]), sigmoid(pre[:, H:2 * H])
        g, o = np.tanh(pre[:, 2 * H:3 * H]), sigmoid(pre[:, 3 * H:])
        c = f * c + i * g
        h = out[t] = o * np.tanh(c)
    return out, c


def ref_gru(xw, h, w_hh, b_hh, reverse):
    H = h.shape[1]
    out = np.zeros(xw.shape[:2] + (H,))
    for t in (range(len(xw) - 1, -1, -1) if reverse else range(len(xw))):
        hw = h @ w_hh.T + b_hh
        r = sigmoid(xw[t][:, :H] + hw[:, :H])
        z = sigmoid(xw[t][:, H:2 * H] + hw[:, H:2 * H])
        n = np.tanh(xw[t][:, 2 * H:] + r * hw[:, 2 * H:])
        h = out[t] = (1 - z) * n + z * h
    return out


def arrays(kind, seed, L=4, N=3, H=2):
    rng = np.random.default_rng(seed)
    gates = 4 if kind == "LSTM" else 3
    made = {"projected": rng.standard_normal((L, N, gates * H)),
            "h0": 0.5 * rng.standard_normal((N, H)),
            "w_hh": 0.7 * rng.standard_normal((gates * H, H)),
            "b_hh": 0.3 * rng.standard_normal(gates * H)}
    if kind == "LSTM":
        made["c0"] = 0.5 * rng.standard_normal((N, H))
    return made


def run(kind, t, reverse, bias):
    b = t["b_hh"] if bias else None
    if kind == "LSTM":
        return lstm_sequence(t["projected"], t["h0"], t["c0"], t["w_hh"], b, reverse)
    return gru_sequence(t["projected"], t["h0"], t["w_hh"], b, reverse)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
def test_forward_matches_the_documented_equations(kind, reverse):
    a = arrays(kind, 1)
    out = run(kind, {k: Tensor(v) for k, v in a.items()}, reverse, True).data
    if kind == "LSTM":
        ref_out, ref_c = ref_lstm(a["projected"], a["h0"], a["c0"], a["w_hh"], a["b_hh"], reverse)
        np.testing.assert_allclose(out[:-1], ref_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out[-1], ref_c, rtol=1e-12, atol=1e-12)
    else:
        ref_out = ref_gru(a["projected"], a["h0"], a["w_hh"], a["b_hh"], reverse)
        np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gradients_by_finite_differences(kind, reverse, bias):
    a = arrays(kind, 2)
    if not bias:
        del a["b_hh"]
    finite_difference_check(
        lambda t: [run(kind, t, reverse, bias)], a, rtol=1e-6, atol=1e-8, seed=3
    )


def test_only_the_inputs_that_need_it_get_a_gradient():
    a = arrays("LSTM", 4)
    t = {k: Tensor(v, requires_grad=k in ("w_hh", "h0")) for k, v in a.items()}
    lstm_sequence(t["projected"], t["h0"], t["c0"], t["w_hh"], t["b_hh"], False).sum().backward()
    assert t["w_hh"].grad is not None and t["h0"].grad is not None
    assert t["projected"].grad is None and t["c0"].grad is None and t["b_hh"].grad is None


def test_sigmoid_keeps_the_unary_op_values_nan_and_tails():
    values = [-1000.0, -30.0, -1.5, -0.0, 0.0, 2.0, 40.0, 1000.0, np.nan, -np.inf, np.inf]
    for dtype in (np.float64, np.float32):
        a = np.array(values + list(np.linspace(-9, 9, 101)), dtype=dtype)
        e = np.exp(-np.abs(a))
        expected = np.where(a >= 0, 1, e) / (1 + e)  # ops.unary.sigmoid's formula
        assert _sigmoid(a).dtype == dtype
        np.testing.assert_array_equal(_sigmoid(a), expected)


def test_step_kernels_match_plain_numpy():
    rng = np.random.default_rng(5)
    N, H = 3, 4
    acts = rng.random((N, 4 * H))
    tanh_c, c_prev, g = rng.random((N, H)), rng.random((N, H)), rng.random((N, H))
    dh, dc = rng.random((N, H)), rng.random((N, H))
    d = np.empty((N, 4 * H))
    dc_in = dc.copy()
    _lstm_step_backward(acts, tanh_c, c_prev, g, dh, dc, d)
    i, f, gg, o = np.split(acts, 4, axis=1)
    dhv = dh + g
    dcv = dc_in + dhv * o * (1 - tanh_c ** 2)
    expected = np.concatenate([dcv * gg * i * (1 - i), dcv * c_prev * f * (1 - f),
                               dcv * i * (1 - gg ** 2), dhv * tanh_c * o * (1 - o)], axis=1)
    np.testing.assert_allclose(d, expected, rtol=1e-13)
    np.testing.assert_allclose(dc, dcv * f, rtol=1e-13)

    rz, n, hn, h_prev = rng.random((N, 2 * H)), rng.random((N, H)), rng.random((N, H)), \
        rng.random((N, H))
    dh_in = dh.copy()
    d_pre, d_hw = np.empty((N, 3 * H)), np.empty((N, 3 * H))
    _gru_step_backward(rz, n, hn, h_prev, g, dh, d_pre, d_hw)
    r, z = rz[:, :H], rz[:, H:]
    dhv = dh_in + g
    dn = dhv * (1 - z) * (1 - n ** 2)
    dr, dz = dn * hn * r * (1 - r), dhv * (h_prev - n) * z * (1 - z)
    np.testing.assert_allclose(d_pre, np.concatenate([dr, dz, dn], axis=1), rtol=1e-13)
    np.testing.assert_allclose(d_hw, np.concatenate([dr, dz, dn * r], axis=1), rtol=1e-13)
    np.testing.assert_allclose(dh, dhv * z, rtol=1e-13)
