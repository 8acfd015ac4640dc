"""Process defaults set on import, and set_num_threads for both thread pools."""

import os
import subprocess
import sys

import numba
import pytest

from tinygrad_opt import thread_pools


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_what_is_not_a_positive_int(bad):
    before = numba.get_num_threads()
    with pytest.raises(ValueError, match="threads must be a positive int"):
        thread_pools.set_num_threads(bad)
    assert numba.get_num_threads() == before


def test_set_num_threads_refuses_more_than_numba_started_with():
    with pytest.raises(ValueError, match="NUMBA_NUM_THREADS"):
        thread_pools.set_num_threads(numba.config.NUMBA_NUM_THREADS + 1)


def test_set_num_threads_moves_numba_and_finds_numpys_openblas():
    before = numba.get_num_threads()
    try:
        found_openblas = thread_pools.set_num_threads(1)
        assert numba.get_num_threads() == 1
        if sys.platform.startswith("linux") and thread_pools._openblas_libraries():
            assert found_openblas
    finally:
        thread_pools.set_num_threads(before)
    assert numba.get_num_threads() == before


OURS = ("OMP_", "OPENBLAS_", "NUMBA_THREADING", "MALLOC_", "TINYGRAD_OPT_")


def _child_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(overrides)
    return env


def _child(code: str, **overrides) -> str:
    return subprocess.run([sys.executable, "-c", code], env=_child_env(**overrides),
                          capture_output=True, text=True, check=True).stdout.strip()


def test_import_sets_non_spinning_defaults_but_keeps_what_the_user_set():
    code = ("import os, tinygrad_opt.thread_pools as t; "
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), os.environ.get('OMP_WAIT_POLICY'), "
            "sorted(t.applied_defaults))")
    out = _child(code)
    assert out.startswith("4 PASSIVE ")
    assert "OPENBLAS_THREAD_TIMEOUT" in out and "OMP_WAIT_POLICY" in out
    out = _child(code, OPENBLAS_THREAD_TIMEOUT="7", OMP_WAIT_POLICY="ACTIVE")
    assert out.startswith("7 ACTIVE ")
    assert "OMP_WAIT_POLICY" not in out.split(" ", 2)[2]


def test_keep_freed_memory_is_skipped_when_the_user_opts_out():
    code = "import tinygrad_opt.thread_pools as t; print(t.keep_freed_memory())"
    assert _child(code, TINYGRAD_OPT_KEEP_MEMORY="0") == "False"
    assert _child(code, MALLOC_ARENA_MAX="2") == "False"
