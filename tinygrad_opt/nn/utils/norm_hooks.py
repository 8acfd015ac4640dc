"""The older, hook-based `nn.utils.weight_norm` / `spectral_norm` (and `remove_weight_norm` /
`remove_spectral_norm`), which PyTorch keeps for old code (DCGAN / SNGAN tutorials) beside
the `nn.utils.parametrizations` versions.

As PyTorch: `weight_norm` replaces the parameter `weight` by `weight_g` and `weight_v`;
`spectral_norm` renames it `weight_orig` and adds the buffers `weight_u` and `weight_v`. In
both, `module.weight` is a plain Tensor recomputed before every call of the module.

How: the module's table `_weight_hooks` (name -> hook) is run by one forward pre-hook
(`register_forward_pre_hook`), registered with the first entry and removed with the last.
Deviations from PyTorch: no load_state_dict pre-hooks, so checkpoints from before
PyTorch 1.x's spectral_norm version 1 are not converted; a missing name raises ValueError
(PyTorch: KeyError).
"""

from __future__ import annotations

import numpy as np

from ...grad_mode import no_grad
from ...random import generator
from ...tensor import Tensor
from ..module import Module, Parameter
from .parametrizations import (
    check_spectral_args,
    check_weight_norm_dim,
    default_spectral_dim,
    divided_by_sigma,
    norm_except_dim,
    normalized,
    weight_matrix,
    weight_norm_apply,
)


def _recompute_weights(module: Module, args) -> None:
    """The forward pre-hook: recompute each hooked weight before the module's forward."""
    for hook in module.__dict__["_weight_hooks"].values():
        setattr(module, hook.name, hook.compute_weight(module, do_power_iteration=module.training))


def _add_hook(module: Module, hook) -> None:
    if "_weight_hooks" not in module.__dict__:
        module.__dict__["_weight_hooks"] = {}
        handle = module.register_forward_pre_hook(_recompute_weights)
        module.__dict__["_weight_hooks_handle"] = handle
    module.__dict__["_weight_hooks"][hook.name] = hook


def _find_hook(module: Module, name: str, kind: type):
    hook = module.__dict__.get("_weight_hooks", {}).get(name)
    return hook if isinstance(hook, kind) else None


def _drop_hook(module: Module, name: str) -> None:
    hooks = module.__dict__["_weight_hooks"]
    del hooks[name]
    if not hooks:
        del module.__dict__["_weight_hooks"]
        module.__dict__.pop("_weight_hooks_handle").remove()


def _take_parameter(module: Module, name: str, who: str) -> Parameter:
    if name in module.__dict__.get("_weight_hooks", {}):
        raise RuntimeError(f"Cannot register two {who} hooks on the same parameter {name}")
    weight = module._parameters.get(name) if isinstance(module, Module) else None
    if weight is None:
        raise ValueError(f"{who}: module has no parameter named '{name}' (got {module!r})")
    return weight


class _WeightNormHook:
    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module, do_power_iteration: bool = False) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_apply(v, g, self.dim)


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalisation (Salimans & Kingma, 2016) by hooks, as torch.nn.utils.weight_norm:
    `<name>_g` = ||w|| over all dimensions but `dim` (None: the whole tensor), `<name>_v` = w,
    and `module.<name>` = g * v / ||v|| recomputed before each call. PyTorch now recommends
    `nn.utils.parametrizations.weight_norm`."""
    weight = _take_parameter(module, name, "weight_norm")
    dim = check_weight_norm_dim(dim, weight)
    hook = _WeightNormHook(name, dim)
    with no_grad():
        g = norm_except_dim(weight, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(np.array(g.data, copy=True)))
    module.register_parameter(name + "_v", Parameter(np.array(weight.data, copy=True)))
    setattr(module, name, hook.compute_weight(module))
    _add_hook(module, hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo `weight_norm`: `<name>` becomes a Parameter holding the current g * v / ||v||."""
    hook = _find_hook(module, name, _WeightNormHook)
    if hook is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module)
    _drop_hook(module, name)
    delattr(module, name)
    del module._parameters[name + "_g"]
    del module._parameters[name + "_v"]
    setattr(module, name, Parameter(np.array(weight.data, copy=True)))
    return module


class _SpectralNormHook:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u").data
        v = getattr(module, self.name + "_v").data
        mat = weight_matrix(weight, self.dim)
        if do_power_iteration:
            # this older form updates v first, then u (parametrizations' updates u first)
            w = mat.data
            for _ in range(self.n_power_iterations):
                np.copyto(v, normalized(w.T @ u, self.eps))
                np.copyto(u, normalized(w @ v, self.eps))
        return divided_by_sigma(weight, mat, u, v)


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalisation (Miyato et al., 2018) by hooks, as torch.nn.utils.spectral_norm:
    `<name>_orig` is the parameter, `<name>_u` / `<name>_v` the power-iteration buffers
    (random unit vectors at first, no warm-up iterations), and `module.<name>` =
    `<name>_orig` / sigma recomputed before each call, with `n_power_iterations` steps of
    power iteration first in training mode only. `dim` defaults to 0 (1 for a transposed
    convolution). PyTorch now recommends `nn.utils.parametrizations.spectral_norm`."""
    weight = _take_parameter(module, name, "spectral_norm")
    if dim is None:
        dim = default_spectral_dim(module)
    dim = check_spectral_args(n_power_iterations, eps, dim, weight, "spectral_norm")
    hook = _SpectralNormHook(name, int(n_power_iterations), dim, float(eps))
    h, w = weight_matrix(weight.data, dim).shape
    dtype = weight.data.dtype
    u = normalized(generator().normal(size=h).astype(dtype), hook.eps).astype(dtype)
    v = normalized(generator().normal(size=w).astype(dtype), hook.eps).astype(dtype)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    # the raw weight until the first call, as PyTorch
    setattr(module, name, Tensor(weight.data))
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    _add_hook(module, hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo `spectral_norm`: `<name>` becomes a Parameter holding `<name>_orig` / sigma from
    the stored u and v."""
    hook = _find_hook(module, name, _SpectralNormHook)
    if hook is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False)
    _drop_hook(module, name)
    delattr(module, name)
    for suffix in ("_u", "_v", "_orig"):
        delattr(module, name + suffix)
    module.register_parameter(name, Parameter(np.array(weight.data, copy=True)))
    return module
