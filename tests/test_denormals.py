"""set_flush_denormal: denormals flushed on the calling thread, Numba's pool and OpenBLAS's
workers when on; IEEE results (checked against values worked out by hand) when off."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, optim
from tinygrad_opt.denormals import flush_denormal_enabled, set_flush_denormal, supported
from tinygrad_opt.optim.parallel import PARALLEL_MIN_SIZE
from tinygrad_opt.thread_pools import set_num_threads

pytestmark = pytest.mark.skipif(not supported(), reason="FTZ/DAZ flags exist on x86-64 only")

ULP = 2.0**-149  # the smallest float32 denormal


def bits(x) -> np.ndarray:
    """float32 bit patterns: with DAZ on, comparisons themselves treat denormals as zero."""
    return np.asarray(x, dtype=np.float32).view(np.uint32)


def f32(value: float) -> np.ndarray:
    return bits(np.float32(value))
TWO_THREADS = numba.config.NUMBA_NUM_THREADS >= 2


@pytest.fixture(autouse=True)
def flags_off_after():
    yield
    assert set_flush_denormal(False)
    set_num_threads(numba.config.NUMBA_NUM_THREADS)


def test_exported_from_the_package():
    assert tinygrad_opt.set_flush_denormal is set_flush_denormal


def test_calling_thread_flushes_results_and_operands():
    two_ulp = np.float32(2 * ULP)  # made before any flag is set
    tiny = np.float32(1e-20)
    assert not flush_denormal_enabled()
    assert bits(tiny * tiny) == f32(1e-40)  # IEEE: 1e-40 is a denormal float32
    assert bits(two_ulp * np.float32(0.5)) == f32(ULP)
    assert bits(two_ulp * np.float32(2.0**100)) == f32(2.0**-48)

    assert set_flush_denormal(True)
    assert flush_denormal_enabled()
    assert bits(tiny * tiny) == 0  # FTZ: a denormal result becomes zero
    assert bits(two_ulp * np.float32(2.0**100)) == 0  # DAZ: IEEE gives 2**-48, normal
    assert bits(np.float32(2.0**-100) * np.float32(2.0**-20)) == f32(2.0**-120)  # normal: exact

    assert set_flush_denormal(False)
    assert not flush_denormal_enabled()
    assert bits(tiny * tiny) == f32(1e-40)


@numba.njit(parallel=True)
def _halve_recording_threads(x, out, thread_ids):
    for i in numba.prange(x.shape[0]):
        out[i] = x[i] * np.float32(0.5)
        thread_ids[i] = numba.get_thread_id()


@pytest.mark.skipif(not TWO_THREADS, reason="needs Numba's pool to have two threads")
@pytest.mark.parametrize("mode", [True, False])
def test_every_thread_of_numba_pool_follows_the_mode(mode):
    x = np.full(1 << 16, 4 * ULP, dtype=np.float32)
    out = np.full_like(x, -1.0)
    thread_ids = np.full(x.shape, -1, dtype=np.int64)
    set_num_threads(2)
    assert set_flush_denormal(mode)
    _halve_recording_threads(x, out, thread_ids)
    assert set(np.unique(thread_ids)) == {0, 1}  # both threads did part of the work
    expected = f32(0.0 if mode else 2 * ULP)
    assert np.all(bits(out) == expected)


@pytest.mark.skipif(not TWO_THREADS, reason="needs two threads")
def test_openblas_workers_follow_the_mode():
    a = np.full((256, 256), 2.0**-130, dtype=np.float32)  # denormal (below 2**-126)
    b = np.ones((256, 256), dtype=np.float32)
    set_num_threads(2)
    a @ b  # OpenBLAS's workers are up before the mode changes
    exact = f32(2.0**-122)  # 256 denormal terms sum to a normal number, exactly
    assert set_flush_denormal(True)
    assert np.all(bits(a @ b) == 0)  # every row, whichever OpenBLAS thread computed it
    assert set_flush_denormal(False)
    assert np.all(bits(a @ b) == exact)


@pytest.mark.skipif(not TWO_THREADS, reason="needs two threads")
def test_adamw_step_on_stuck_first_moments():
    """The case that makes them: a zero gradient over a first moment decayed to denormals."""
    n = 4 * PARALLEL_MIN_SIZE  # a parallel kernel call over both threads
    stuck = np.float32(3 * ULP)  # 0.9 * 3 ulp rounds back to 3 ulp
    results = {}
    set_num_threads(2)
    for mode in (False, True):
        param = Tensor(np.ones(n, dtype=np.float32), requires_grad=True)
        param.grad = np.zeros(n, dtype=np.float32)
        opt = optim.AdamW([param], lr=1e-3, weight_decay=0.0)
        opt.step()
        opt.state[param]["exp_avg"][...] = stuck
        opt.state[param]["exp_avg_sq"][...] = 1e-6
        assert set_flush_denormal(mode)
        opt.step()
        results[mode] = opt.state[param]["exp_avg"].copy()
    assert np.all(bits(results[False]) == bits(stuck))  # IEEE: round(0.9 * 3) ulp = 3 ulp
    assert np.all(bits(results[True]) == 0)


def test_mode_must_be_a_bool_and_bad_input_changes_nothing():
    for bad in ("yes", 1, None, 0.0):
        with pytest.raises(TypeError, match=rf"mode must be True or False, got {bad!r}"):
            set_flush_denormal(bad)
        assert not flush_denormal_enabled()


def test_unsupported_machine_reports_false_and_changes_nothing(monkeypatch):
    import tinygrad_opt.denormals as denormals

    monkeypatch.setattr(denormals.platform, "machine", lambda: "aarch64")
    assert set_flush_denormal(True) is False
    assert not flush_denormal_enabled()
    monkeypatch.undo()
    assert not flush_denormal_enabled()


def test_thread_counts_are_kept():
    set_num_threads(1)
    assert set_flush_denormal(True)
    assert numba.get_num_threads() == 1
