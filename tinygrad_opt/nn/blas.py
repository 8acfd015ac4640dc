"""Matrix products called from inside Numba kernels, through numpy's own OpenBLAS.

A convolution done as im2col + ONE product builds a patch matrix of N*OH*OW x C*KH*KW
values (85 MB for the Keras-style CNN's second layer) that goes through memory four times
a step. Cut into per-thread chunks of a few samples (conv_blocked.py), each chunk's patches
stay in the core's cache and are multiplied at once, by a single-threaded product on the
thread that built them. numpy cannot be called inside a Numba kernel, so `gemm` calls
OpenBLAS's cblas_?gemm by address (the address is a kernel argument, so kernels still
cache).

Only numpy's bundled OpenBLAS with 64-bit integers (the scipy-openblas64 build of numpy's
wheels, symbols ending in `64_`) is used, because that ABI is known here; elsewhere
`gemm_address` returns None and callers keep their plain numpy path. While such a kernel
runs, OpenBLAS is held at one thread (`single_threaded`), so each kernel thread's product
runs on that thread alone instead of queueing for OpenBLAS's own workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ..thread_pools import openblas_handles

# CBLAS enum values (cblas.h)
NO_TRANS = 111
TRANS = 112
_ROW_MAJOR = 101

# symbol names per dtype in the 64-bit-integer builds (scipy-openblas64, then a plain one)
_GEMM_SYMBOLS = {
    "float32": ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
    "float64": ("scipy_cblas_dgemm64_", "cblas_dgemm64_"),
}
_THREAD_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
)


@functools.cache
def _openblas():
    """(library, get_num_threads, set_num_threads) of numpy's ILP64 OpenBLAS, or None."""
    import numpy  # noqa: F401  (maps OpenBLAS into the process)

    for library in openblas_handles():
        for get_name, set_name in _THREAD_SYMBOLS:
            getter = getattr(library, get_name, None)
            setter = getattr(library, set_name, None)
            if getter is not None and setter is not None:
                getter.restype = ctypes.c_int
                setter.argtypes = (ctypes.c_int,)
                setter.restype = None
                return library, getter, setter
    return None


@functools.cache
def gemm_address(dtype) -> int | None:
    """Address of the row-major cblas_?gemm for float32 or float64, or None if unavailable
    (also under NUMBA_DISABLE_JIT: the `gemm` intrinsic cannot run as plain Python)."""
    import numba

    if numba.config.DISABLE_JIT:
        return None
    found = _openblas()
    name = np.dtype(dtype).name
    if found is None or name not in _GEMM_SYMBOLS:
        return None
    for symbol in _GEMM_SYMBOLS[name]:
        function = getattr(found[0], symbol, None)
        if function is not None:
            return ctypes.cast(function, ctypes.c_void_p).value
    return None


_hold_lock = threading.Lock()
_hold = {"depth": 0, "before": 1}


@contextlib.contextmanager
def single_threaded():
    """Hold OpenBLAS at one thread for the block, then restore its thread count.

    Nested or concurrent holds (from several Python threads) share one hold: the first
    saves the count, the last restores it. Products numpy runs elsewhere meanwhile use one
    thread."""
    found = _openblas()
    if found is None:
        yield
        return
    _, getter, setter = found
    with _hold_lock:
        if _hold["depth"] == 0:
            _hold["before"] = getter()
            setter(1)
        _hold["depth"] += 1
    try:
        yield
    finally:
        with _hold_lock:
            _hold["depth"] -= 1
            if _hold["depth"] == 0:
                setter(_hold["before"])


@intrinsic
def gemm(typingctx, address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """C = alpha op(A) op(B) + beta C, row-major, through the cblas_?gemm at `address`.

    All integers are int64 (the ILP64 ABI); a, b, c are data addresses (`array.ctypes.data`);
    alpha and beta have the matrices' float type, which picks float or double arguments."""
    signature = types.void(
        address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
    )

    def codegen(context, builder, sig, args):
        address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc = args
        i32, i64 = ir.IntType(32), ir.IntType(64)
        real = context.get_value_type(sig.args[6])
        pointer = ir.IntType(8).as_pointer()
        function_type = ir.FunctionType(
            ir.VoidType(),
            [i32, i32, i32, i64, i64, i64, real, pointer, i64, pointer, i64, real, pointer, i64],
        )
        function = builder.inttoptr(address, function_type.as_pointer())

        def as_int64(value, index):
            return context.cast(builder, value, sig.args[index], types.int64)

        def as_pointer(value, index):
            return builder.inttoptr(as_int64(value, index), pointer)

        builder.call(function, [
            ir.Constant(i32, _ROW_MAJOR),
            builder.trunc(as_int64(trans_a, 1), i32),
            builder.trunc(as_int64(trans_b, 2), i32),
            as_int64(m, 3), as_int64(n, 4), as_int64(k, 5), alpha,
            as_pointer(a, 7), as_int64(lda, 8), as_pointer(b, 9), as_int64(ldb, 10),
            context.cast(builder, beta, sig.args[11], sig.args[6]),
            as_pointer(c, 12), as_int64(ldc, 13),
        ])  # fmt: skip
        return context.get_dummy_value()

    return signature, codegen
