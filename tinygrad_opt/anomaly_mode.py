"""Anomaly detection for the backward engine: `detect_anomaly()`, `set_detect_anomaly(mode)`.

In anomaly mode (with `check_nan`, the default), every backward rule's results are checked
as it runs, and the first one holding a NaN raises RuntimeError naming the op whose backward
produced it. The engine reads the flag once per backward pass, so the mode costs nothing
when off. Deviation from PyTorch: no forward traceback of the op is recorded (the message
names the op's function and module instead), and Inf is not reported (as PyTorch).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np


class _AnomalyMode:
    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


ANOMALY_MODE = _AnomalyMode()


def is_anomaly_enabled() -> bool:
    return ANOMALY_MODE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY_MODE.check_nan


def _set(mode: bool, check_nan: bool) -> tuple[bool, bool]:
    previous = (ANOMALY_MODE.enabled, ANOMALY_MODE.check_nan)
    ANOMALY_MODE.enabled, ANOMALY_MODE.check_nan = bool(mode), bool(check_nan)
    return previous


class detect_anomaly:  # noqa: N801  (torch's name)
    """Context manager (and decorator) that turns anomaly mode on, as
    torch.autograd.detect_anomaly(check_nan=True); warns that it slows backward down."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._previous: list[tuple[bool, bool]] = []
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._previous.append(_set(True, self.check_nan))

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous.pop())

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801  (torch's name)
    """Set anomaly mode on or off, as torch.autograd.set_detect_anomaly(mode, check_nan=True):
    takes effect when called; used as a context manager, the old setting is back on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got {mode!r}")
        self._previous = _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous)


def check_backward_results(node, backward, results) -> None:
    """Raise RuntimeError if a backward rule returned NaN (called by the engine in anomaly
    mode only)."""
    if not ANOMALY_MODE.check_nan:
        return
    for i, g in enumerate(results):
        if g is None:
            continue
        value = g if isinstance(g, np.ndarray) else getattr(g, "value", g)
        value = np.asarray(value)
        if value.dtype.kind in "fc" and np.isnan(value).any():
            name = getattr(backward, "__qualname__", repr(backward)).split(".<locals>")[0]
            module = getattr(backward, "__module__", "?")
            raise RuntimeError(
                f"Function '{name}' returned nan values in its {i}th output (anomaly mode: "
                f"the backward of the op '{name}' in {module}, whose output has shape "
                f"{tuple(node.shape)}). Look at that op's inputs in the forward pass"
            )
