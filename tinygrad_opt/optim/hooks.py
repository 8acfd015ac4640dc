"""Optimizer hooks, as torch.optim's: around `step()`, `state_dict()` and `load_state_dict()`.

Per optimizer (methods of `Optimizer`, each returning a handle whose `remove()` unregisters):
- `register_step_pre_hook(hook)`: `hook(optimizer, args, kwargs)` before every step; `args`
  holds the optimizer itself first, as PyTorch's. A non-None result must be a pair
  `(new_args, new_kwargs)` and replaces the step's arguments (otherwise RuntimeError).
- `register_step_post_hook(hook)`: `hook(optimizer, args, kwargs)` after every step.
- `register_state_dict_pre_hook(hook, prepend=False)`: `hook(optimizer)`.
- `register_state_dict_post_hook(hook, prepend=False)`: `hook(optimizer, state_dict)`; a
  non-None result replaces the state dict returned.
- `register_load_state_dict_pre_hook(hook, prepend=False)`: `hook(optimizer, state_dict)`
  on a shallow copy of the caller's dict; a non-None result is loaded instead.
- `register_load_state_dict_post_hook(hook, prepend=False)`: `hook(optimizer)`.

Global, for every optimizer: `register_optimizer_step_pre_hook(hook)` and
`register_optimizer_step_post_hook(hook)` (also importable from `optim.optimizer`). Global
pre-hooks run before the optimizer's own, global post-hooks after them, as in PyTorch.

`Optimizer` wraps `step`, `state_dict` and `load_state_dict` of every subclass that defines
them (LBFGS's closure-driven step included), so hooks run once per outermost call: a
subclass calling `super().state_dict()` does not run them twice. With no hook registered
the wrapper just calls through. Deviation: registering a non-callable raises TypeError
(PyTorch accepts it and fails at the next call).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..ops.utility import RemovableHandle

_global_optimizer_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable] = OrderedDict()

# each optimizer's hook tables, created by Optimizer.__init__ (PyTorch's attribute names)
HOOK_TABLES = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)


def add_hook(
    table: OrderedDict[int, Callable], hook: Any, prepend: bool, where: str
) -> RemovableHandle:
    """Put `hook` last in `table` (first with prepend=True); the handle removes it."""
    if not callable(hook):
        raise TypeError(f"{where}: hook must be callable, got {hook!r}")
    if not isinstance(prepend, bool):
        raise TypeError(f"{where}: prepend must be a bool, got {prepend!r}")
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(optimizer, args, kwargs)` before the step of every optimizer (see above)."""
    return add_hook(_global_optimizer_pre_hooks, hook, False, "register_optimizer_step_pre_hook")


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(optimizer, args, kwargs)` after the step of every optimizer."""
    return add_hook(_global_optimizer_post_hooks, hook, False, "register_optimizer_step_post_hook")


@contextmanager
def _outermost(optimizer: Any, name: str) -> Iterator[None]:
    running = optimizer._hooks_running
    running.add(name)
    try:
        yield
    finally:
        running.discard(name)


def with_step_hooks(step: Callable) -> Callable:
    """`step` running the global and the optimizer's step pre- and post-hooks."""

    @functools.wraps(step)
    def hooked_step(self, *args, **kwargs):
        pre, post = self._optimizer_step_pre_hooks, self._optimizer_step_post_hooks
        if not (pre or post or _global_optimizer_pre_hooks or _global_optimizer_post_hooks):
            return step(self, *args, **kwargs)  # the usual case: no hook anywhere
        if "step" in self._hooks_running:  # super().step() inside a subclass's step
            return step(self, *args, **kwargs)
        with _outermost(self, "step"):
            args = (self, *args)
            # tuples: a hook that removes itself (or another) does not upset the loop
            for hook in (*_global_optimizer_pre_hooks.values(), *pre.values()):
                result = hook(self, args, kwargs)
                if result is None:
                    continue
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook!r} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result!r}"
                    )
                args, kwargs = result
            out = step(*args, **kwargs)
            for hook in (*post.values(), *_global_optimizer_post_hooks.values()):
                hook(self, args, kwargs)
            return out

    return hooked_step


def with_state_dict_hooks(state_dict: Callable) -> Callable:
    """`state_dict` running the optimizer's state_dict pre- and post-hooks."""

    @functools.wraps(state_dict)
    def hooked_state_dict(self, *args, **kwargs):
        pre, post = self._optimizer_state_dict_pre_hooks, self._optimizer_state_dict_post_hooks
        if not (pre or post) or "state_dict" in self._hooks_running:
            return state_dict(self, *args, **kwargs)
        with _outermost(self, "state_dict"):
            for hook in tuple(pre.values()):
                hook(self)
            saved = state_dict(self, *args, **kwargs)
            for hook in tuple(post.values()):
                result = hook(self, saved)
                if result is not None:
                    saved = result
            return saved

    return hooked_state_dict


def with_load_state_dict_hooks(load_state_dict: Callable) -> Callable:
    """`load_state_dict` running the optimizer's load_state_dict pre- and post-hooks."""

    @functools.wraps(load_state_dict)
    def hooked_load_state_dict(self, state_dict, *args, **kwargs):
        pre = self._optimizer_load_state_dict_pre_hooks
        post = self._optimizer_load_state_dict_post_hooks
        if not (pre or post) or "load_state_dict" in self._hooks_running:
            return load_state_dict(self, state_dict, *args, **kwargs)
        with _outermost(self, "load_state_dict"):
            if pre and isinstance(state_dict, dict):
                state_dict = state_dict.copy()  # hooks may edit it; the caller's stays as is
            for hook in tuple(pre.values()):
                result = hook(self, state_dict)
                if result is not None:
                    state_dict = result
            out = load_state_dict(self, state_dict, *args, **kwargs)
            for hook in tuple(post.values()):
                hook(self)
            return out

    return hooked_load_state_dict


WRAPPERS = {
    "step": with_step_hooks,
    "state_dict": with_state_dict_hooks,
    "load_state_dict": with_load_state_dict_hooks,
}
