"""Global switch for graph recording: `no_grad()`, `enable_grad()`, `set_grad_enabled(mode)`
and `inference_mode()`."""

from __future__ import annotations

import functools

import numpy as np


class _GradMode:
    """Holds one flag; ops read `GRAD_MODE.enabled` before recording a node."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


GRAD_MODE = _GradMode()


class _SetGradMode:
    """Context manager and decorator that sets the recording flag and restores it on exit."""

    def __init__(self, enabled: bool) -> None:
        self._target = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> _SetGradMode:
        self._previous.append(GRAD_MODE.enabled)
        GRAD_MODE.enabled = self._target
        return self

    def __exit__(self, *exc: object) -> None:
        GRAD_MODE.enabled = self._previous.pop()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self._target):
                return fn(*args, **kwargs)

        return wrapper


def no_grad(fn=None):
    """Ops run inside `with no_grad():` record no graph (as torch.no_grad); also a decorator,
    `@no_grad()` or `@no_grad`."""
    mode = _SetGradMode(False)
    return mode if fn is None else mode(fn)


def enable_grad(fn=None):
    """Turns recording back on inside a `no_grad` block (as torch.enable_grad); also a
    decorator, `@enable_grad()` or `@enable_grad`."""
    mode = _SetGradMode(True)
    return mode if fn is None else mode(fn)


def is_grad_enabled() -> bool:
    return GRAD_MODE.enabled


class set_grad_enabled(_SetGradMode):  # noqa: N801 - torch's name
    """Turn recording on or off, as torch.set_grad_enabled: a plain call sets the mode for
    good; `with set_grad_enabled(mode):` restores the previous mode on exit (also after an
    exception); `@set_grad_enabled(mode)` runs a function in that mode."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        super().__init__(bool(mode))
        self._previous.append(GRAD_MODE.enabled)
        GRAD_MODE.enabled = self._target  # takes effect now: the call form needs no `with`

    def __enter__(self) -> set_grad_enabled:
        if not self._previous:  # entered again after an exit: set the mode anew
            super().__enter__()
        return self

    def __call__(self, fn):
        if self._previous:  # as a decorator it changes nothing now
            GRAD_MODE.enabled = self._previous.pop()
        return _SetGradMode(self._target)(fn)


# inference_mode's own flag, for is_inference_mode_enabled (recording itself is GRAD_MODE's)
INFERENCE_MODE = [False]


class _InferenceMode(_SetGradMode):
    """_SetGradMode that also sets the inference flag (to `not enabled`) and restores it."""

    def __enter__(self) -> _InferenceMode:
        super().__enter__()
        self._previous.append(INFERENCE_MODE[0])
        INFERENCE_MODE[0] = not self._target
        return self

    def __exit__(self, *exc: object) -> None:
        INFERENCE_MODE[0] = self._previous.pop()
        super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    """Whether code runs inside `inference_mode()` (torch.is_inference_mode_enabled)."""
    return INFERENCE_MODE[0]


def inference_mode(mode=True):
    """As `no_grad()` here (torch's inference tensors have no equivalent: tensors made
    inside can later be used in graphs); `inference_mode(False)` turns recording back on,
    as torch. Also a decorator, `@inference_mode()` or `@inference_mode`."""
    if callable(mode):
        return _InferenceMode(False)(mode)
    return _InferenceMode(not mode)
