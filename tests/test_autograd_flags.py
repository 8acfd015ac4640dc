"""autograd.set_multithreading_enabled / is_multithreading_enabled (recorded per thread,
backward unaffected), is_view_replay_enabled and the removed autograd.variable."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tinygrad_opt import Tensor, autograd


def test_multithreading_flag_as_call_and_context_manager():
    assert autograd.is_multithreading_enabled()
    switch = autograd.set_multithreading_enabled(False)
    assert not autograd.is_multithreading_enabled()
    with switch:
        assert not autograd.is_multithreading_enabled()
    assert autograd.is_multithreading_enabled()  # restored to the value before the call
    with autograd.set_multithreading_enabled(False):
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        (x * x).sum().backward()  # backward runs as always
        np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert autograd.is_multithreading_enabled()


def test_multithreading_flag_is_thread_local_and_checked():
    seen = []
    with autograd.set_multithreading_enabled(False):
        worker = threading.Thread(target=lambda: seen.append(autograd.is_multithreading_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]
    with pytest.raises(TypeError, match="bool"):
        autograd.set_multithreading_enabled(1)
    assert autograd.is_multithreading_enabled()


def test_view_replay_is_never_enabled_and_variable_is_gone():
    assert autograd.is_view_replay_enabled() is False
    with pytest.raises(RuntimeError, match="tensor"):
        autograd.variable(np.ones(2))
