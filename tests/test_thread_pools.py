"""Process defaults set on import, and set_num_threads for both thread pools."""

import os
import platform
import subprocess
import sys
import textwrap

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


def test_a_refused_thread_count_changes_neither_pool():
    from tinygrad_opt.nn.blas import _openblas

    openblas = _openblas()
    before = numba.get_num_threads()
    try:
        thread_pools.set_num_threads(1)
        for bad in (0, numba.config.NUMBA_NUM_THREADS + 1):
            with pytest.raises(ValueError, match="set_num_threads"):
                thread_pools.set_num_threads(bad)
            assert numba.get_num_threads() == 1
            if openblas is not None:
                assert openblas[1]() == 1
    finally:
        thread_pools.set_num_threads(before)


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


def test_numba_prefers_openmp_then_workqueue_even_when_imported_first():
    code = ("import os, numba, tinygrad_opt; "
            "print(os.environ['NUMBA_THREADING_LAYER_PRIORITY'], '|', "
            "' '.join(numba.config.THREADING_LAYER_PRIORITY))")
    env_priority, config_priority = _child(code).split(" | ")
    assert env_priority.split()[:2] == ["omp", "workqueue"]  # documented: OpenMP first
    assert config_priority == env_priority  # numba read its config before our import


def test_a_threading_layer_the_user_chose_is_obeyed_as_is():
    code = ("import os, numba, tinygrad_opt.thread_pools as t; "
            "print(numba.config.THREADING_LAYER, os.environ.get('OMP_WAIT_POLICY'), "
            "os.environ.get('NUMBA_THREADING_LAYER_PRIORITY'), t.applied_defaults)")
    out = _child(code, NUMBA_THREADING_LAYER="workqueue")
    assert out == "workqueue None None ['OPENBLAS_THREAD_TIMEOUT']"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt/mallinfo2 are glibc's")
def test_keep_freed_memory_serves_large_arrays_from_the_heap_and_keeps_it():
    # glibc's mallinfo2: `hblkhd` counts bytes in mmap()ed blocks (by default each array
    # above 128 KiB gets its own), `arena` the heap's size (shrunk when freed memory is trimmed)
    code = textwrap.dedent("""
        import ctypes
        import tinygrad_opt.thread_pools as t
        import numpy as np
        class Info(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                        "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "mallinfo2"):
            print("no-mallinfo2")
            raise SystemExit
        libc.mallinfo2.restype = Info
        before = libc.mallinfo2()
        arrays = [np.ones(12 << 20, dtype=np.uint8) for _ in range(3)]  # 36 MiB held at once
        held = libc.mallinfo2()
        del arrays
        freed = libc.mallinfo2()
        print(t.keep_freed_memory(), held.hblkhd - before.hblkhd, held.arena - freed.arena)
    """)
    kept = _child(code)
    if kept == "no-mallinfo2":
        pytest.skip("glibc older than 2.33")
    assert kept == "True 0 0"  # nothing mmapped (each array < 32 MiB), nothing trimmed
    applied, mmapped, _ = _child(code, TINYGRAD_OPT_KEEP_MEMORY="0").split()
    assert applied == "False" and int(mmapped) >= 3 * (12 << 20)


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
