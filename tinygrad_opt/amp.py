"""`torch.amp` for a float32 CPU framework: a working `GradScaler`, and `autocast`, which
disables itself as PyTorch does when the reduced precision it asks for is not available.

Mixed precision needs bfloat16 or float16 kernels, and there are none here (nor a GPU), so
`autocast` warns and leaves every op in its input dtype, as PyTorch's autocast does for a
device or dtype it cannot serve ("Disabling autocast"); `is_autocast_enabled()` then says
False. Scripts written for mixed precision run unchanged, in full precision.

`GradScaler` is the loss scaling of Micikevicius et al., "Mixed Precision Training" (ICLR
2018), with PyTorch's dynamic rule and its checks: `scale(loss)` multiplies by the scale
S, `unscale_(optimizer)` divides the optimizer's gradients by S and notes whether any is
not finite, `step(optimizer)` unscales if needed and steps only if all gradients were
finite, and `update()` multiplies S by backoff_factor after a step with a non-finite
gradient, or by growth_factor after growth_interval finite steps in a row (a growth that
would overflow is skipped). Without reduced precision the scaling is not needed, but it is
harmless, and it skips steps whose gradients overflowed, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .optim.grad_kernels import count_nonfinite
from .tensor import Tensor

_NO_REDUCED_PRECISION = (
    "tinygrad_opt has no bfloat16/float16 kernels (nor a GPU): disabling autocast, ops keep "
    "their input dtype"
)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class autocast(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """`torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`, as a
    context manager or decorator. Enabled, it warns that it disables itself (see the module
    docstring); the arguments are checked as PyTorch checks them."""

    def __init__(
        self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(
                f"autocast: expected device_type of type str, got {type(device_type).__name__}"
            )
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: enabled must be a bool, got {enabled!r}")
        self.device_type = device_type
        self.fast_dtype = dtype
        self._enabled = enabled

    def __enter__(self) -> autocast:
        if self._enabled:
            warnings.warn(_NO_REDUCED_PRECISION, UserWarning, stacklevel=2)
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        return False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on (for `device_type`): never here, see the module docstring."""
    return False


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast could run on `device_type`: no (no reduced-precision kernels)."""
    return False


def is_autocast_cpu_enabled() -> bool:
    """torch.is_autocast_cpu_enabled (deprecated there): False, see the module docstring."""
    return False


def set_autocast_enabled(device_type, enabled: bool | None = None) -> None:
    """torch.set_autocast_enabled(device_type, enabled) (or the deprecated one-argument
    form): turning it on warns and leaves it off, as `autocast` does."""
    on = device_type if enabled is None else enabled
    if on:
        warnings.warn(_NO_REDUCED_PRECISION, UserWarning, stacklevel=2)


_CACHE = {"enabled": True}


def is_autocast_cache_enabled() -> bool:
    """Whether autocast would cache its casts (PyTorch's default True; recorded only)."""
    return _CACHE["enabled"]


def set_autocast_cache_enabled(enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_cache_enabled: expected a bool, got {enabled!r}")
    _CACHE["enabled"] = enabled


def clear_autocast_cache() -> None:
    """Nothing is ever cast, so nothing is cached."""


def _checked_factor(name: str, value: Any, condition: Callable[[float], bool], rule: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not condition(value):
        raise ValueError(f"GradScaler: {name} must be {rule}, got {value!r}")
    return float(value)


class GradScaler:
    """`torch.amp.GradScaler(device='cuda', init_scale=2.0**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)`: dynamic loss scaling (see the
    module docstring). device 'cuda' warns and disables the scaler, as PyTorch does without
    a GPU; a disabled scaler passes everything through (`step` just steps)."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if device not in ("cpu", "cuda"):
            raise ValueError(f"GradScaler: device must be 'cpu' or 'cuda', got {device!r}")
        if enabled and device == "cuda":
            warnings.warn(
                "GradScaler is enabled, but CUDA is not available. Disabling.",
                UserWarning,
                stacklevel=2,
            )
            enabled = False
        self._device = device
        self._enabled = bool(enabled)
        self._scale = _checked_factor("init_scale", init_scale, lambda v: v > 0, "> 0")
        self._growth_factor = _checked_factor(
            "growth_factor", growth_factor, lambda v: v > 1.0, "> 1.0"
        )
        self._backoff_factor = _checked_factor(
            "backoff_factor", backoff_factor, lambda v: 0.0 < v < 1.0, "in (0, 1)"
        )
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, int):
            raise TypeError(f"GradScaler: growth_interval must be an int, got {growth_interval!r}")
        if growth_interval <= 0:
            raise ValueError(f"GradScaler: growth_interval must be > 0, got {growth_interval}")
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._used = False  # scale() was called since the last update
        # per optimizer (by id): "unscaled" / "stepped" and whether a gradient was not finite
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ---------------------------------------------------------------- the loop's calls
    def scale(self, outputs):
        """outputs * S: a Tensor, or tensors nested in lists and tuples (same structure)."""
        if not self._enabled:
            return outputs
        self._used = True
        return self._scaled(outputs)

    def _scaled(self, value):
        if isinstance(value, Tensor):
            return value * self._scale
        if isinstance(value, (list, tuple)):
            return type(value)(self._scaled(v) for v in value)
        raise ValueError("GradScaler.scale: outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of `optimizer`'s parameters by S, in place, and note whether
        any is not finite. Once per optimizer between updates, and before `step`."""
        if not self._enabled:
            return
        state = self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "inf": False})
        if state["stage"] == "unscaled":
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == "stepped":
            raise RuntimeError("unscale_() is being called after step().")
        # PyTorch multiplies by the float32 reciprocal of S (computed in double)
        inv_scale = np.float32(1.0 / self._scale)
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                found_inf = found_inf or bool(count_nonfinite(grad.reshape(-1)))
                grad *= inv_scale.astype(grad.dtype)
        state["inf"] = found_inf
        state["stage"] = "unscaled"

    def step(self, optimizer, *args: Any, **kwargs: Any):
        """Unscale (unless `unscale_` already did), then `optimizer.step(*args, **kwargs)`
        if every gradient is finite; returns what it returns, or None for a skipped step."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "inf": False})
        if state["stage"] == "stepped":
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Set S to `new_scale`, or move it by PyTorch's dynamic rule (module docstring)
        from the non-finite checks of this iteration's optimizers."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
            self._scale = _checked_factor("new_scale", value, lambda v: v > 0, "> 0")
        else:
            checked = [s for s in self._per_optimizer.values() if s["stage"] != "ready"]
            if not checked:
                raise RuntimeError(
                    "GradScaler.update: no inf checks were recorded prior to update; call "
                    "scaler.step(optimizer) (or unscale_) first"
                )
            if any(s["inf"] for s in checked):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    # PyTorch keeps S in float32: a growth past float32's range is skipped
                    if grown <= _FLOAT32_MAX:
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer = {}
        self._used = False

    # ------------------------------------------------------------------- queries, state
    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = _checked_factor("growth_factor", new_factor, lambda v: v > 1, "> 1.0")

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = _checked_factor(
            "backoff_factor", new_factor, lambda v: 0.0 < v < 1.0, "in (0, 1)"
        )

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        if isinstance(new_interval, bool) or not isinstance(new_interval, int) or new_interval <= 0:
            raise ValueError(
                f"GradScaler: growth_interval must be an int > 0, got {new_interval!r}"
            )
        self._growth_interval = new_interval

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval,
        _growth_tracker ({} when disabled)."""
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict` saved; checked whole before anything changes."""
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        keys = ("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker")
        missing = [k for k in keys if k not in state_dict]
        if missing:
            raise KeyError(f"GradScaler.load_state_dict: missing keys {missing}")
        scale = state_dict["scale"]
        scale = float(scale.item() if isinstance(scale, Tensor) else scale)
        loaded = GradScaler(
            "cpu", scale, state_dict["growth_factor"], state_dict["backoff_factor"],
            int(state_dict["growth_interval"]),
        )  # fmt: skip
        tracker = state_dict["_growth_tracker"]
        tracker = int(tracker.item() if isinstance(tracker, Tensor) else tracker)
        if tracker < 0:
            raise ValueError(
                f"GradScaler.load_state_dict: _growth_tracker must be >= 0, got {tracker}"
            )
        self._scale, self._growth_factor = loaded._scale, loaded._growth_factor
        self._backoff_factor, self._growth_interval = (
            loaded._backoff_factor,
            loaded._growth_interval,
        )
        self._growth_tracker = tracker


class _DeviceAmp:
    """`torch.cuda.amp` / `torch.cpu.amp`: the deprecated device-bound forms, with PyTorch's
    FutureWarning pointing to torch.amp. Their signatures have no device argument, and
    autocast's starts with `enabled` (torch.cuda.amp.autocast(enabled=True, dtype=...,
    cache_enabled=True))."""

    def __init__(self, device: str) -> None:
        self._device = device

    def _warn(self, name: str) -> None:
        warnings.warn(
            f"`torch.{self._device}.amp.{name}(args...)` is deprecated. Please use "
            f"`torch.amp.{name}('{self._device}', args...)` instead.",
            FutureWarning,
            stacklevel=3,
        )

    def GradScaler(self, *args: Any, **kwargs: Any) -> GradScaler:  # noqa: N802 - PyTorch's name
        self._warn("GradScaler")
        return GradScaler(self._device, *args, **kwargs)

    def autocast(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> autocast:
        self._warn("autocast")
        return autocast(self._device, dtype, enabled, cache_enabled)
