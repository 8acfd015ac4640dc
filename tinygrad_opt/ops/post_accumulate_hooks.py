"""`Tensor.register_post_accumulate_grad_hook`, as torch: `hook(tensor)` runs after backward
has accumulated a leaf's gradient into `tensor.grad` (the engine calls it from
`Tensor._accumulate_grad`), e.g. to step an optimizer per parameter during backward.
It returns None; its return value is ignored. Only leaves that require grad take one.
"""

from __future__ import annotations

from ..tensor import Tensor
from .utility import RemovableHandle


def register_post_accumulate_grad_hook(x: Tensor, hook) -> RemovableHandle:
    """Call `hook(x)` each time backward has accumulated into `x.grad`; returns a handle
    whose `remove()` unregisters it."""
    if not x.requires_grad:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: cannot register a hook on a tensor that "
            "does not require grad"
        )
    if not x.is_leaf:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be "
            "registered on non-leaf tensors"
        )
    if not callable(hook):
        raise TypeError(f"register_post_accumulate_grad_hook: expected a callable, got {hook!r}")
    if x._post_accumulate_hooks is None:
        x._post_accumulate_hooks = {}
    handle = RemovableHandle(x._post_accumulate_hooks)
    x._post_accumulate_hooks[handle.id] = hook
    return handle
