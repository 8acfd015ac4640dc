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
    from tinygrad_opt.nn.blas import _openblas

    openblas = _openblas()  # (library, get_num_threads, set_num_threads) or None
    before = numba.get_num_threads()
    try:
        found_openblas = thread_pools.set_num_threads(1)
        assert numba.get_num_threads() == 1
        if sys.platform.startswith("linux") and thread_pools._openblas_libraries():
            assert found_openblas
        if openblas is not None:  # read the count back from OpenBLAS itself
            assert openblas[1]() == 1
    finally:
        thread_pools.set_num_threads(before)
    assert numba.get_num_threads() == before
    if openblas is not None:
        assert openblas[1]() == before


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


# numpy imported BEFORE tinygrad_opt (the usual order); then a threaded product, a 0.5 s
# sleep, and the CPU seconds the other threads (OpenBLAS's workers) burnt during the sleep.
_SPIN_PROBE = """
import os, time, glob
import numpy as np
{maybe_import}
a = np.random.default_rng(0).random((600, 600))
expected = a @ a
def others():
    total = 0
    for task in glob.glob(f"/proc/{{os.getpid()}}/task/*"):
        if task.endswith(f"/{{os.getpid()}}"):
            continue
        fields = open(task + "/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
before = others()
time.sleep(0.5)
spun = others() - before
naive = np.einsum("ik,kj->ij", a, a)
print(spun, bool(np.allclose(expected, naive)), bool(np.allclose(a @ a, naive)))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_openblas_loaded_before_tinygrad_opt_stops_spinning_after_import():
    if os.cpu_count() < 2:
        pytest.skip("OpenBLAS starts no workers on one core")
    with_import = _SPIN_PROBE.format(maybe_import="import tinygrad_opt")
    spun, first_ok, after_ok = _child(with_import).split()
    # workers that sleep burn ~0 s in the sleep; without the restart they busy-wait ~0.1 s
    # after the product (measured: 0.10 s without `import tinygrad_opt`, 0.00 with it)
    assert float(spun) < 0.03
    # OpenBLAS still multiplies correctly after its workers were restarted
    assert first_ok == "True" and after_ok == "True"
