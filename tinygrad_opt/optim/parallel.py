"""When an optimizer kernel may use every core, and when it runs on the calling thread.

Kernels are `@kernel` (parallel, one `prange` loop). Updates of fewer than
`PARALLEL_MIN_SIZE` elements run inside `single_thread()`, which sets Numba's thread count
to 1 for the call, so the loop runs on the calling thread without waking the pool. Waking
it costs microseconds on an idle machine and, measured on this project's shared 2-core box
under load, up to milliseconds per call (17 ms median for a 2-element update, against a few
microseconds on one thread); one thread updates 16k float32 Adam elements in ~10 us (0.6 ns
each, vectorised). So small models, Rosenbrock-style loops and runs split by None grads stay
on one thread, and big buffers use every core.

Why from Python: calling `set_num_threads` inside a kernel stops Numba from caching it
("uses dynamic globals"), and a serial `range` loop beside the `prange` one duplicates the
body (a shared per-element helper is not reliably inlined: measured 2.6 ns/element,
unvectorised).
"""

from __future__ import annotations

import numba

PARALLEL_MIN_SIZE = 1 << 14


class single_thread:  # noqa: N801  (used like a function: `with single_thread():`)
    """Context manager: Numba parallel loops started inside run on the calling thread."""

    __slots__ = ("_previous",)

    def __enter__(self) -> single_thread:
        self._previous = numba.get_num_threads()
        numba.set_num_threads(1)
        return self

    def __exit__(self, *exc: object) -> None:
        numba.set_num_threads(self._previous)
