"""Flush denormal floats to zero on every thread that runs our work, as torch.set_flush_denormal.

Why it matters: a float32 below 1.18e-38 (float64: 2.2e-308) is denormal, and x86 cores
compute with denormal operands or results through a microcode assist, tens of times slower
per instruction. Training makes them: Adam's first moment decays by beta1 every step its
gradient is exactly zero (a dead ReLU unit, an input pixel that is zero in every image, as
MNIST's borders are), reaches the denormal range after ~800 steps, and stays there, since
0.9 x the smallest denormals rounds back to themselves. Measured on this project's 2-core
machine, the MLP of benchmarks/train_step trained on one batch: 50,323 of its 235,146
first-moment entries were denormal after 1,000 steps and AdamW's step went from ~0.2 to
~0.6 ms (PyTorch's fused AdamW on the same model: ~0.34 to ~0.8 ms).

`set_flush_denormal(True)` sets the x86 MXCSR flags FTZ (denormal results become zero) and
DAZ (denormal operands count as zero). MXCSR is per thread, so it is set on the calling
thread, on every thread of Numba's pool (a parallel launch that records which threads ran),
and on OpenBLAS's workers, which are stopped: OpenBLAS starts new ones from the thread of
its next threaded call, and a new thread inherits its creator's floating-point flags.

Off by default, as in PyTorch: with it on, values that would be denormal become zero, so
state and results can differ from IEEE arithmetic (and from PyTorch's defaults) below the
smallest normal number.
"""

from __future__ import annotations

import platform

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from .thread_pools import stop_openblas_workers

FLUSH_TO_ZERO = 1 << 15  # MXCSR.FTZ
DENORMALS_ARE_ZERO = 1 << 6  # MXCSR.DAZ
_FLAGS = FLUSH_TO_ZERO | DENORMALS_ARE_ZERO

# Launches of the pool kernel before giving up on reaching every Numba thread: OpenMP's
# static schedule gives each thread its share at once; the other layers hand out work
# dynamically, so a thread can miss one launch.
_ATTEMPTS = 16


def supported() -> bool:
    """True where the flags can be set: x86-64 with Numba's JIT on."""
    return platform.machine().lower() in ("x86_64", "amd64") and not numba.config.DISABLE_JIT


@intrinsic
def _swap_mxcsr(typingctx, clear, set_bits):
    """MXCSR = (MXCSR & ~clear) | set_bits on the running thread; returns the old value."""
    signature = types.uint32(types.uint32, types.uint32)

    def codegen(context, builder, sig, args):
        clear, set_bits = args
        i32 = ir.IntType(32)
        pointer = ir.IntType(8).as_pointer()
        access = ir.FunctionType(ir.VoidType(), [pointer])
        store = builder.module.declare_intrinsic("llvm.x86.sse.stmxcsr", fnty=access)
        load = builder.module.declare_intrinsic("llvm.x86.sse.ldmxcsr", fnty=access)
        slot = builder.alloca(i32)
        address = builder.bitcast(slot, pointer)
        builder.call(store, [address])
        old = builder.load(slot)
        new = builder.or_(builder.and_(old, builder.not_(clear)), set_bits)
        builder.store(new, slot)
        builder.call(load, [address])
        return old

    return signature, codegen


@numba.njit(cache=True)
def _swap_here(clear, set_bits):
    return _swap_mxcsr(clear, set_bits)


@numba.njit(parallel=True, cache=True)
def _swap_on_pool(clear, set_bits, thread_ids, after):
    """Each iteration sets the flags on the thread running it and records that thread."""
    for i in numba.prange(thread_ids.shape[0]):
        _swap_mxcsr(clear, set_bits)
        thread_ids[i] = numba.get_thread_id()
        after[i] = _swap_mxcsr(np.uint32(0), np.uint32(0))


def _set_on_numba_pool(clear: int, set_bits: int) -> bool:
    """Set the flags on every thread of Numba's pool; True if each one was seen to take them."""
    threads = numba.config.NUMBA_NUM_THREADS
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        reached: set[int] = set()
        for _ in range(_ATTEMPTS):
            thread_ids = np.full(64 * threads, -1, dtype=np.int64)
            after = np.zeros(64 * threads, dtype=np.uint32)
            _swap_on_pool(np.uint32(clear), np.uint32(set_bits), thread_ids, after)
            if np.any(after & np.uint32(_FLAGS) != np.uint32(set_bits)):
                return False
            reached.update(int(t) for t in thread_ids)
            if reached >= set(range(threads)):
                return True
        return False
    finally:
        numba.set_num_threads(previous)


def set_flush_denormal(mode: bool) -> bool:
    """Flush denormal floats to zero (True) or compute them exactly (False, the default).

    As torch.set_flush_denormal: returns True if the mode was set, False where it cannot be
    (not x86-64, or NUMBA_DISABLE_JIT). Applies to the calling thread, Numba's thread pool
    and OpenBLAS's workers; other threads keep their own setting.
    """
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(f"set_flush_denormal: mode must be True or False, got {mode!r}")
    if not supported():
        return False
    set_bits = _FLAGS if mode else 0
    clear = np.uint32(_FLAGS)
    previous = int(_swap_here(clear, np.uint32(set_bits)))
    if not _set_on_numba_pool(_FLAGS, set_bits):
        # Leave things as they were: the calling thread and, as far as it can be reached,
        # the pool (whose threads were all given one mode by the last call).
        _swap_here(clear, np.uint32(previous & _FLAGS))
        _set_on_numba_pool(_FLAGS, previous & _FLAGS)
        return False
    stop_openblas_workers()
    return True


def flush_denormal_enabled() -> bool:
    """Whether the calling thread flushes denormals (both FTZ and DAZ set)."""
    if not supported():
        return False
    current = int(_swap_here(np.uint32(0), np.uint32(0)))
    return current & _FLAGS == _FLAGS
