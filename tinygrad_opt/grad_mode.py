"""Global switch for graph recording: `no_grad()` and `enable_grad()`."""

from __future__ import annotations

import functools


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
