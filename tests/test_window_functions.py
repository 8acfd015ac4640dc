"""Window functions (hann, hamming, blackman, bartlett, kaiser) against their documented
formulas evaluated in plain Python loops here; I0 by its power series."""

import inspect
import math

import numpy as np
import pytest

import tinygrad_opt as tg


def _i0(x: float) -> float:
    # sum_k ((x / 2)^k / k!)^2, converges fast for the arguments used here
    total, term, k = 1.0, 1.0, 0
    while term > 1e-18 * total:
        k += 1
        term *= (x / 2.0) ** 2 / (k * k)
        total += term
    return total


def _reference(kind: str, length: int, periodic: bool, **kw) -> list[float]:
    if length == 0:
        return []
    if length == 1:
        return [1.0]
    n_span = length if periodic else length - 1
    out = []
    for n in range(length):
        c1 = math.cos(2 * math.pi * n / n_span)
        if kind == "hann":
            out.append(0.5 - 0.5 * c1)
        elif kind == "hamming":
            out.append(kw.get("alpha", 0.54) - kw.get("beta", 0.46) * c1)
        elif kind == "blackman":
            out.append(0.42 - 0.5 * c1 + 0.08 * math.cos(4 * math.pi * n / n_span))
        elif kind == "bartlett":
            out.append(1 - abs(2 * n / n_span - 1))
        else:
            beta = kw.get("beta", 12.0)
            r = 2 * n / n_span - 1
            out.append(_i0(beta * math.sqrt(max(0.0, 1 - r * r))) / _i0(beta))
    return out


FUNCTIONS = {
    "hann": tg.hann_window,
    "hamming": tg.hamming_window,
    "blackman": tg.blackman_window,
    "bartlett": tg.bartlett_window,
    "kaiser": tg.kaiser_window,
}


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
@pytest.mark.parametrize("length", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_formulas(kind, length, periodic):
    out = FUNCTIONS[kind](length, periodic, dtype=tg.float64)
    assert out.dtype == np.float64 and out.shape == (length,)
    np.testing.assert_allclose(out.numpy(), _reference(kind, length, periodic), atol=1e-12)


def test_periodic_is_the_default_and_drops_the_last_point_of_a_longer_window():
    for kind, fn in FUNCTIONS.items():
        default = fn(6, dtype=tg.float64).numpy()
        longer = _reference(kind, 7, False)
        np.testing.assert_allclose(default, longer[:6], atol=1e-12, err_msg=kind)


def test_window_parameters_and_default_dtype():
    np.testing.assert_allclose(tg.hamming_window(7, False, 0.5, 0.5, dtype=tg.float64).numpy(),
                               _reference("hann", 7, False), atol=1e-12)
    np.testing.assert_allclose(tg.kaiser_window(9, True, 5.0, dtype=tg.float64).numpy(),
                               _reference("kaiser", 9, True, beta=5.0), atol=1e-12)
    assert tg.hann_window(4).dtype == np.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.blackman_window(4).dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.hann_window(3, requires_grad=True).requires_grad


@pytest.mark.parametrize("kind", sorted(FUNCTIONS))
def test_window_bad_arguments(kind):
    fn = FUNCTIONS[kind]
    with pytest.raises(ValueError, match="window_length must be non-negative, got -1"):
        fn(-1)
    with pytest.raises(TypeError, match="window_length must be an int, got 2.5"):
        fn(2.5)
    with pytest.raises(TypeError, match="dtype must be floating point, got int64"):
        fn(3, dtype=tg.int64)
    with pytest.raises(TypeError, match="periodic must be a bool"):
        fn(3, "yes")
    with pytest.raises(ValueError, match="CPU only"):
        fn(3, device="cuda")
    with pytest.raises(ValueError, match="beta must be non-negative, got -1"):
        tg.kaiser_window(3, True, -1.0)


def test_window_signatures_follow_torch():
    common = ["window_length", "periodic"]
    keyword = ["dtype", "layout", "device", "pin_memory", "requires_grad"]
    expected = {
        "hann_window": common, "blackman_window": common, "bartlett_window": common,
        "hamming_window": common + ["alpha", "beta"], "kaiser_window": common + ["beta"],
    }
    for name, positional in expected.items():
        params = inspect.signature(getattr(tg, name)).parameters.values()
        assert [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD] == positional
        assert [p.name for p in params if p.kind == p.KEYWORD_ONLY] == keyword
