"""Thread-pool settings applied when tinygrad_opt is imported, before numpy and Numba load.

numpy's OpenBLAS and Numba each keep a pool of worker threads. By default both pools
busy-wait after every call (OpenBLAS for ~0.1 s, Numba's OpenMP layer for a spin count), so on
a small CPU each pool steals the cores the other needs next: a LeNet-5 training step used
5x its wall time in CPU. Two settings stop the spinning:

- OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS workers go to sleep almost at once. OpenBLAS reads it
  when it loads, so it only takes effect if tinygrad_opt is imported before numpy.
- Numba's "workqueue" threading layer, whose workers sleep between kernels.

Both are defaults: a variable the user already set is left alone.
"""

from __future__ import annotations

import os
import sys


def configure_thread_pools() -> None:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.THREADING_LAYER == "default":
        # Numba was imported first and read no variable; the layer is chosen at the first
        # parallel launch, so setting the config now still counts.
        numba.config.THREADING_LAYER = os.environ["NUMBA_THREADING_LAYER"]


configure_thread_pools()
