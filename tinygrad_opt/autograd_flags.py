"""Engine switches of torch.autograd that have nothing to switch here:
`set_multithreading_enabled` / `is_multithreading_enabled`, `is_view_replay_enabled`, and
the removed `variable` function.

tinygrad_opt's backward always runs on the calling thread (torch's engine uses per-device
worker threads), so the multithreading flag is only recorded: it is thread-local and reads
back what was set (True by default, as torch), and backward ignores it. View replay (torch
re-running view ops on the base of a modified view) does not exist, so it is never enabled.
"""

from __future__ import annotations

import threading

import numpy as np


class _Flag(threading.local):
    enabled = True


_MULTITHREADING = _Flag()


class set_multithreading_enabled:  # noqa: N801 - torch's name
    """set_multithreading_enabled(mode): as a call, sets the flag for this thread; as
    `with set_multithreading_enabled(mode):`, restores the previous value on exit. Recorded
    only (see the module docstring)."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_multithreading_enabled: mode must be a bool, got "
                            f"{type(mode).__name__}")
        self._previous = _MULTITHREADING.enabled
        self.mode = bool(mode)
        _MULTITHREADING.enabled = self.mode  # the call form takes effect now

    def __enter__(self) -> None:
        _MULTITHREADING.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _MULTITHREADING.enabled = self._previous

    def clone(self) -> set_multithreading_enabled:
        return self.__class__(self.mode)


def is_multithreading_enabled() -> bool:
    """The flag set_multithreading_enabled records for this thread (True by default)."""
    return _MULTITHREADING.enabled


def is_view_replay_enabled() -> bool:
    """Always False: view replay does not exist here (False is also torch's default)."""
    return False


def variable(*args, **kwargs):
    """Removed in torch (it raises there too): use tinygrad_opt.tensor(...)."""
    raise RuntimeError("autograd.variable(...) is deprecated, use tinygrad_opt.tensor(...) "
                       "instead")
