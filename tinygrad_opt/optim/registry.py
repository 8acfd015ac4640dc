"""Optimizers by lower-case name: `register` (a class decorator) and `create`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .optimizer import Optimizer

_REGISTRY: dict[str, type[Optimizer]] = {}


def register(name: str) -> Callable[[type[Optimizer]], type[Optimizer]]:
    """Class decorator: make `create(name, ...)` build this optimizer."""
    key = name.lower()

    def add(cls: type[Optimizer]) -> type[Optimizer]:
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"optimizer name {key!r} is already registered")
        _REGISTRY[key] = cls
        return cls

    return add


def available() -> list[str]:
    """Registered optimizer names, sorted."""
    return sorted(_REGISTRY)


def get(name: str) -> type[Optimizer]:
    """The optimizer class registered as `name` (case-insensitive)."""
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a string, got {type(name).__name__}")
    cls = _REGISTRY.get(name.lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(available())}")
    return cls


def create(name: str, params: Iterable[Any], **hyperparameters: Any) -> Optimizer:
    """Build an optimizer by lower-case name: `create("adamw", model.parameters(), lr=1e-3)`."""
    return get(name)(params, **hyperparameters)
