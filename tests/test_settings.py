"""Process-wide settings at top level (threads, determinism, matmul precision, anomaly mode,
inference mode, warn-always, default device) and set_printoptions as seen in Tensor reprs
(expected strings built here from numpy's formatting rules)."""

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import print_options, settings


@pytest.fixture(autouse=True)
def _restore():
    saved = dict(settings._SETTINGS)
    printing = dict(print_options.PRINT_OPTIONS)
    anomaly = (tg.is_anomaly_enabled(), tg.is_anomaly_check_nan_enabled())
    yield
    settings._SETTINGS.update(saved)
    print_options.PRINT_OPTIONS.update(printing)
    tg.set_anomaly_enabled(*anomaly)


def test_num_threads_reach_numba():
    import numba

    before = tg.get_num_threads()
    assert before == numba.get_num_threads()
    tg.set_num_threads(1)
    try:
        assert tg.get_num_threads() == 1 == numba.get_num_threads()
    finally:
        tg.set_num_threads(before)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="expects a positive int"):
            tg.set_num_threads(bad)
    assert tg.get_num_threads() == before
    assert tg.init_num_threads() is None


def test_interop_threads_are_remembered():
    tg.set_num_interop_threads(3)
    assert tg.get_num_interop_threads() == 3
    with pytest.raises(ValueError, match="set_num_interop_threads: expects a positive int, got 0"):
        tg.set_num_interop_threads(0)
    assert tg.get_num_interop_threads() == 3


def test_deterministic_settings():
    assert tg.get_deterministic_debug_mode() == 0
    table = {"default": (0, False, False), "warn": (1, True, True), "error": (2, True, False),
             0: (0, False, False), 1: (1, True, True), 2: (2, True, False)}
    for mode, (code, on, warn) in table.items():
        tg.set_deterministic_debug_mode(mode)
        assert (tg.get_deterministic_debug_mode(), tg.are_deterministic_algorithms_enabled(),
                tg.is_deterministic_algorithms_warn_only_enabled()) == (code, on, warn)
    tg.use_deterministic_algorithms(True, warn_only=True)
    assert tg.get_deterministic_debug_mode() == 1
    tg.use_deterministic_algorithms(False)
    with pytest.raises(TypeError, match="mode must be a bool, got 1"):
        tg.use_deterministic_algorithms(1)
    with pytest.raises(ValueError, match="expected one of 'default', 'warn', 'error', got 'x'"):
        tg.set_deterministic_debug_mode("x")
    with pytest.raises(ValueError, match="expected 0, 1 or 2, got 3"):
        tg.set_deterministic_debug_mode(3)
    with pytest.raises(TypeError, match="must be a str or int, got 1.0"):
        tg.set_deterministic_debug_mode(1.0)
    assert not tg.are_deterministic_algorithms_enabled()


def test_matmul_precision():
    assert tg.get_float32_matmul_precision() == "highest"
    for p in ("high", "medium", "highest"):
        tg.set_float32_matmul_precision(p)
        assert tg.get_float32_matmul_precision() == p
    with pytest.raises(ValueError, match="expected one of 'highest', 'high', 'medium', got 'low'"):
        tg.set_float32_matmul_precision("low")
    assert tg.get_float32_matmul_precision() == "highest"


def test_anomaly_mode_is_the_engines():
    tg.set_anomaly_enabled(True)
    assert tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
    x = tg.tensor([-1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned nan values"):
        x.sqrt().sum().backward()
    tg.set_anomaly_enabled(False)
    y = tg.tensor([-1.0], requires_grad=True)
    y.sqrt().sum().backward()  # anomaly mode off: the NaN gradient passes unchecked
    assert np.isnan(y.grad).all()
    tg.set_anomaly_enabled(True, False)
    assert tg.is_anomaly_enabled() and not tg.is_anomaly_check_nan_enabled()
    tg.set_anomaly_enabled(False)
    assert not tg.is_anomaly_enabled()
    with pytest.raises(TypeError, match="enabled must be a bool"):
        tg.set_anomaly_enabled("yes")


def test_inference_mode_flag():
    assert not tg.is_inference_mode_enabled()
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled() and not tg.is_grad_enabled()
        with tg.inference_mode(False):
            assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()
        assert tg.is_inference_mode_enabled()
    assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()

    @tg.inference_mode
    def inside():
        return tg.is_inference_mode_enabled()

    assert inside() and not tg.is_inference_mode_enabled()


def test_warn_always_and_default_device():
    tg.set_warn_always(True)
    assert tg.is_warn_always_enabled()
    tg.set_warn_always(False)
    assert not tg.is_warn_always_enabled()
    with pytest.raises(TypeError, match="b must be a bool"):
        tg.set_warn_always(1)
    assert tg.get_default_device() == "cpu" and tg.get_default_device().type == "cpu"
    tg.set_default_device("cpu")
    tg.set_default_device(None)
    with pytest.raises(ValueError, match="CPU only; got device 'cuda'"):
        tg.set_default_device("cuda")


def _values(t) -> str:
    text = repr(t)
    return text[len("Tensor("):text.rindex(", dtype=")]


def test_printoptions_reach_tensor_repr():
    x = tg.tensor(np.array([1.0 / 3.0, 2.0]))
    assert _values(x) == "[0.3333 2.    ]"  # default precision 4
    tg.set_printoptions(precision=2)
    assert _values(x) == "[0.33 2.  ]"
    tg.set_printoptions(sci_mode=True)
    assert _values(x) == "[3.33e-01 2.00e+00]"
    tg.set_printoptions(profile="default")
    assert print_options.PRINT_OPTIONS == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                           "linewidth": 80, "sci_mode": None}
    long = tg.arange(2000)
    assert "..." in _values(long)
    tg.set_printoptions(threshold=5, edgeitems=2)
    assert _values(tg.arange(10)) == "[0 1 ... 8 9]"
    tg.set_printoptions(profile="full")
    assert print_options.PRINT_OPTIONS["threshold"] == math.inf
    assert "..." not in _values(long)
    tg.set_printoptions(profile="short")
    assert _values(x) == "[0.33 2.  ]"
    tg.set_printoptions(profile="default", sci_mode=False)
    assert _values(tg.tensor(np.array([1e-8, 1.0]))) == "[0.0000 1.0000]"


def test_printoptions_errors_change_nothing():
    before = dict(print_options.PRINT_OPTIONS)
    with pytest.raises(ValueError, match="profile must be one of"):
        tg.set_printoptions(precision=2, profile="x")
    with pytest.raises(ValueError, match="precision must be an int >= 0, got -1"):
        tg.set_printoptions(precision=-1)
    with pytest.raises(ValueError, match="sci_mode must be True, False or None, got 'yes'"):
        tg.set_printoptions(sci_mode="yes")
    assert print_options.PRINT_OPTIONS == before
