"""torch.func's `functional_call`: the stateless call of a module with given tensors.

Only `functional_call` and `vmap` (vmap.py: a per-example loop, not a vectorising transform;
grad/jacrev need a traced, higher-order engine; for first-order Jacobians see
`tinygrad_opt.autograd.functional`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .nn.module import Module
from .nn.utils.stateless import _call
from .tensor import Tensor
from .vmap import vmap  # noqa: F401 - torch.func.vmap (a per-example loop, see vmap.py)

__all__ = ["functional_call", "vmap"]


def functional_call(
    module: Module,
    parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """As torch.func.functional_call: `nn.utils.stateless.functional_call`, where the names
    may also come as a tuple or list of dicts (say parameters and buffers apart); a name in
    more than one of them raises ValueError."""
    if isinstance(parameter_and_buffer_dicts, Mapping):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        merged = {}
        repeated = []
        for d in parameter_and_buffer_dicts:
            if not isinstance(d, Mapping):
                raise TypeError(f"functional_call: expected dicts of name -> Tensor, got "
                                f"{type(d).__name__}")
            repeated += [k for k in d if k in merged]
            merged.update(d)
        if repeated:
            raise ValueError(f"{sorted(set(repeated))} appeared in multiple dictionaries; "
                             "behavior of functional call is ambiguous")
    else:
        raise TypeError("functional_call: expected a dict or a tuple of dicts of name -> "
                        f"Tensor, got {type(parameter_and_buffer_dicts).__name__}")
    return _call(module, merged, args, kwargs, tie_weights, strict)
