"""torch's process-wide switches at top level: thread counts, determinism, matmul precision,
anomaly mode, warn-always and the default device.

What each one does here:
- `set_num_threads(n)` / `get_num_threads()`: the thread count of numpy's OpenBLAS and
  Numba's parallel kernels (`thread_pools.set_num_threads`; Numba cannot go above the
  count it started with). `init_num_threads()` does nothing, as it needs nothing here.
- `set_num_interop_threads(n)` / `get_num_interop_threads()`: tinygrad_opt runs no
  inter-op pool, so the count is validated and remembered only (default: the CPU count).
  Deviation: torch allows one call before any parallel work; here every call is accepted.
- `use_deterministic_algorithms(mode, *, warn_only=False)`, `set_deterministic_debug_mode`
  ("default"/0, "warn"/1, "error"/2) and their getters: every op here is deterministic
  already (CPU kernels with a fixed reduction order), so the setting is recorded only.
- `set_float32_matmul_precision("highest" | "high" | "medium")`: recorded only; float32
  matmuls always run in full float32 (there is no TF32 or bfloat16 path on a CPU).
  Deviation: an unknown value raises ValueError (torch warns and ignores it).
- `set_anomaly_enabled(enabled, check_nan=True)`: anomaly mode of the backward engine
  (`autograd.set_detect_anomaly`); `is_anomaly_enabled`, `is_anomaly_check_nan_enabled`.
- `set_warn_always(b)` / `is_warn_always_enabled()`: recorded only (no op here warns once).
- `get_default_device()` is `device("cpu")`; `set_default_device` accepts the CPU (or None)
  and raises ValueError for anything else.
Bad arguments raise TypeError/ValueError (torch: RuntimeError for some) and change nothing.
"""

from __future__ import annotations

import os

import numpy as np

from . import thread_pools
from .anomaly_mode import _set as _set_anomaly
from .anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .devices import check_cpu, device

__all__ = [
    "are_deterministic_algorithms_enabled",
    "get_default_device",
    "get_deterministic_debug_mode",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "get_num_threads",
    "init_num_threads",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_warn_always_enabled",
    "set_anomaly_enabled",
    "set_default_device",
    "set_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "set_num_interop_threads",
    "set_num_threads",
    "set_warn_always",
    "use_deterministic_algorithms",
]

_SETTINGS = {
    "interop_threads": os.cpu_count() or 1,
    "deterministic": False,
    "warn_only": False,
    "matmul_precision": "highest",
    "warn_always": False,
}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}
_MATMUL_PRECISIONS = ("highest", "high", "medium")


def _check_bool(op: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


def _check_threads(op: str, threads) -> int:
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"{op}: expects a positive int, got {threads!r}")
    return int(threads)


def get_num_threads() -> int:
    """The thread count of Numba's parallel kernels (OpenBLAS is set to the same count by
    `set_num_threads`)."""
    import numba

    return int(numba.get_num_threads())


def set_num_threads(int) -> None:  # noqa: A002 - torch's parameter name
    """Use `int` threads in OpenBLAS and Numba from now on (see the module docstring)."""
    thread_pools.set_num_threads(_check_threads("set_num_threads", int))


def init_num_threads() -> None:
    """Nothing to do here (torch initialises its OpenMP pool for the calling thread)."""


def get_num_interop_threads() -> int:
    """The remembered inter-op thread count (no such pool runs here)."""
    return _SETTINGS["interop_threads"]


def set_num_interop_threads(int) -> None:  # noqa: A002 - torch's parameter name
    """Validate and remember the inter-op thread count (no such pool runs here)."""
    _SETTINGS["interop_threads"] = _check_threads("set_num_interop_threads", int)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the determinism setting (every op here is deterministic already)."""
    mode = _check_bool("use_deterministic_algorithms", "mode", mode)
    warn_only = _check_bool("use_deterministic_algorithms", "warn_only", warn_only)
    _SETTINGS["deterministic"], _SETTINGS["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _SETTINGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _SETTINGS["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    """"default"/0: off; "warn"/1: on with warn_only; "error"/2: on (as torch)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise ValueError(
                f"set_deterministic_debug_mode: expected one of 'default', 'warn', 'error', "
                f"got {debug_mode!r}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif isinstance(debug_mode, bool) or not isinstance(debug_mode, (int, np.integer)):
        raise TypeError(
            f"set_deterministic_debug_mode: debug_mode must be a str or int, got {debug_mode!r}"
        )
    elif debug_mode not in (0, 1, 2):
        raise ValueError(
            f"set_deterministic_debug_mode: expected 0, 1 or 2, got {debug_mode!r}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 when off, 1 when on with warn_only, 2 when on."""
    if not _SETTINGS["deterministic"]:
        return 0
    return 1 if _SETTINGS["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Record "highest", "high" or "medium" (matmuls here are always full float32)."""
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(
            f"set_float32_matmul_precision: expected one of 'highest', 'high', 'medium', "
            f"got {precision!r}"
        )
    _SETTINGS["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _SETTINGS["matmul_precision"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn the backward engine's anomaly mode on or off (see `autograd.detect_anomaly`)."""
    enabled = _check_bool("set_anomaly_enabled", "enabled", enabled)
    check_nan = _check_bool("set_anomaly_enabled", "check_nan", check_nan)
    _set_anomaly(enabled, check_nan)


def set_warn_always(b: bool) -> None:
    """Record the warn-always flag."""
    _SETTINGS["warn_always"] = _check_bool("set_warn_always", "b", b)


def is_warn_always_enabled() -> bool:
    return _SETTINGS["warn_always"]


def get_default_device() -> device:
    """Always `device("cpu")`, the only device."""
    return device("cpu")


def set_default_device(device) -> None:  # noqa: A002 - torch's parameter name
    """Accept the CPU (or None, the CPU); any other device raises ValueError."""
    check_cpu("set_default_device", device)
