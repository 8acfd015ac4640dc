"""Process-level runtime settings applied when tinygrad_opt is imported, before numpy and Numba
load: thread pools that do not spin, and a heap that keeps freed memory.

numpy's OpenBLAS and Numba each keep a pool of worker threads. By default both pools
busy-wait after every call (OpenBLAS for ~0.1 s, Numba's OpenMP layer for a spin count), so on
a small CPU each pool steals the cores the other needs next: a LeNet-5 training step used
5x its wall time in CPU. Two settings stop the spinning:

- OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS workers go to sleep almost at once. OpenBLAS reads it
  when it loads; if numpy was imported first, `restart_openblas_threads` makes it re-read
  its environment and restart its workers.
- Numba's OpenMP threading layer with OMP_WAIT_POLICY=PASSIVE: its workers sleep between
  kernels instead of spinning (libgomp reads the variable when Numba first loads it). Where
  the OpenMP layer cannot load, Numba falls back to its "workqueue" layer, whose workers
  also sleep. OpenMP first: each workqueue launch costs more (measured on 2 cores, training
  step at 2 threads, 5 interleaved pairs: LeNet-5 ~10.5 -> ~8 ms, BN CNN ~37 -> ~31 ms).
  A NUMBA_THREADING_LAYER the user set is obeyed as is.

Memory: a training step allocates the same large arrays (im2col patches, activations,
gradients) every step. glibc serves arrays above its mmap threshold with fresh mmap()s and
gives freed heap tops back to the OS, so every step page-faults its working set in again
(measured: about half of a LeNet-5 step). `keep_freed_memory` raises the mmap threshold to
glibc's maximum (32 MiB) and stops trimming, so freed arrays are reused from the heap, as
PyTorch's caching allocator reuses its blocks. The process keeps its peak heap size.
Set TINYGRAD_OPT_KEEP_MEMORY=0 (or any MALLOC_*_ variable, which glibc reads itself) to
keep glibc's defaults.

All are defaults: a variable the user already set is left alone.

`set_num_threads(n)` changes both pools' thread counts at run time (OPENBLAS_NUM_THREADS and
NUMBA_NUM_THREADS only act when the libraries load), e.g. to time a step on one core.
"""

from __future__ import annotations

import ctypes
import os
import sys

# glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's upper limit on 64-bit
_TRIM_THRESHOLD = 1 << 30


# Numba's layers in the order tried when the user chose none (see the module docstring).
_LAYER_PRIORITY = ("omp", "workqueue", "tbb")


# Names of the environment variables configure_thread_pools set (the user had not), e.g. for
# a benchmark that starts torch in a child process with the user's own OpenMP settings.
applied_defaults: list[str] = []


def _set_default(name: str, value: str) -> None:
    if name not in os.environ:
        os.environ[name] = value
        applied_defaults.append(name)


def configure_thread_pools() -> None:
    _set_default("OPENBLAS_THREAD_TIMEOUT", "4")
    if os.environ.get("NUMBA_THREADING_LAYER", "default") != "default":
        return  # the user picked a layer
    _set_default("NUMBA_THREADING_LAYER_PRIORITY", " ".join(_LAYER_PRIORITY))
    _set_default("OMP_WAIT_POLICY", "PASSIVE")
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.THREADING_LAYER == "default":
        # Numba was imported first and read the variables already; the layer is chosen at
        # the first parallel launch, so setting the config now still counts.
        priority = os.environ["NUMBA_THREADING_LAYER_PRIORITY"].split()
        numba.config.THREADING_LAYER_PRIORITY = priority


# OpenBLAS's thread-count setter under the names numpy's bundled builds export (scipy-openblas
# wheels prefix the symbols, 64-bit-integer builds add a suffix) and a plain build's name.
_OPENBLAS_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def _openblas_libraries() -> list[str]:
    """Paths of the OpenBLAS libraries mapped into this process (numpy's bundled one)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:  # not Linux
        return []
    return sorted(path for path in paths if path.startswith("/"))


def openblas_handles():
    """A ctypes handle of each OpenBLAS library mapped into this process, in path order."""
    for path in _openblas_libraries():
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


def restart_openblas_threads() -> bool:
    """Make an OpenBLAS that loaded before tinygrad_opt take OPENBLAS_THREAD_TIMEOUT: re-read
    its environment and stop its workers, which it restarts (with the new timeout) at its
    next threaded call. True if done.

    OpenBLAS reads its variables when it loads, so `import numpy` before `import
    tinygrad_opt` (the usual order) left its workers busy-waiting ~0.1 s after every call;
    measured on a LeNet-5 step at 2 threads: the worker used 5x the CPU and the step took
    ~8.5 instead of ~6 ms. Uses OpenBLAS's exported openblas_read_env and
    blas_thread_shutdown_; returns False where a build lacks them."""
    return _stop_openblas_workers(read_env=True)


def stop_openblas_workers() -> bool:
    """Stop OpenBLAS's workers; its next threaded call starts new ones from the calling
    thread, which inherit that thread's floating-point flags (see denormals.py). True if
    done."""
    return _stop_openblas_workers(read_env=False)


def _stop_openblas_workers(read_env: bool) -> bool:
    for library in openblas_handles():
        read = getattr(library, "openblas_read_env", None)
        shutdown = getattr(library, "blas_thread_shutdown_", None)
        if shutdown is None or (read_env and read is None):
            continue
        shutdown.restype = ctypes.c_int
        if read_env:
            read.restype = None
            read()
        shutdown()
        return True
    return False


def set_num_threads(threads: int) -> bool:
    """Use `threads` threads in numpy's OpenBLAS and in Numba's parallel kernels from now on.

    Numba cannot go above the count it started with (NUMBA_NUM_THREADS, default: all cores).
    Returns True if OpenBLAS was found and set too (Linux, numpy imported); False means only
    Numba changed.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive int, got {threads!r}")
    import numba
    import numpy  # noqa: F401  (loads OpenBLAS, so it can be found below)

    if threads > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(
            f"set_num_threads: Numba started with {numba.config.NUMBA_NUM_THREADS} threads "
            f"(NUMBA_NUM_THREADS) and cannot use {threads}"
        )
    numba.set_num_threads(threads)
    for library in openblas_handles():
        for symbol in _OPENBLAS_SETTERS:
            setter = getattr(library, symbol, None)
            if setter is not None:
                setter.argtypes = (ctypes.c_int,)
                setter.restype = None
                setter(threads)
                return True
    return False


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory for reuse (see the module docstring); True if applied."""
    if os.environ.get("TINYGRAD_OPT_KEEP_MEMORY", "1") == "0":
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False  # the user tuned glibc's allocator explicitly
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    return mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1 and ok


configure_thread_pools()
keep_freed_memory()
if "OPENBLAS_THREAD_TIMEOUT" in applied_defaults and "numpy" in sys.modules:
    restart_openblas_threads()  # numpy came first: its OpenBLAS missed the timeout
