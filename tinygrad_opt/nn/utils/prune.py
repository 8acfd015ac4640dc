"""`nn.utils.prune`, as torch.nn.utils.prune: zero out entries or channels of a parameter
with a mask, by magnitude (L1, Ln norms of channels), at random, or from a given mask.

After `prune.l1_unstructured(module, "weight", amount=0.3)` the parameter is
`module.weight_orig`, the mask the buffer `module.weight_mask` (state_dict keys as PyTorch's),
and `module.weight` a plain Tensor `weight_orig * weight_mask` recomputed before every call of
the module, so gradients reach `weight_orig` masked. Pruning the same tensor again makes a
`PruningContainer`: the new method only sees the entries (or channels) still unpruned, and
its `amount` is counted among those. `prune.remove(module, "weight")` makes it permanent:
`weight` is a Parameter again (the same object as `weight_orig`, its values masked in place).

`amount` is a count (int >= 0) or a fraction (float in [0, 1], rounded with Python's round,
half to even, as PyTorch). Random methods draw from the package generator
(`tinygrad_opt.manual_seed`).

How: the recomputation uses the hook table of `norm_hooks` (run by one forward pre-hook,
removed with the last entry).

Deviations from PyTorch:
- Ties: L1Unstructured prunes the smallest |t| and LnStructured the channels of smallest
  norm, ties going to the lower (flat) index first. PyTorch's topk picks among ties in an
  order that changes with the tensor's size; NaN counts as largest in both.
- Random masks come from our generator, so they differ from torch's for the same seed.
- When re-pruning, the scores are the current `<name>_orig * <name>_mask`; PyTorch reads
  `module.<name>` as set by the last call, which an optimizer step since then made stale.
- A failed prune leaves the module unchanged (PyTorch drops the existing hook when a
  re-prune fails). Errors are ValueError / TypeError: a missing parameter, a dim out of
  range and a shape mismatch raise ValueError (PyTorch: AttributeError, IndexError,
  AssertionError).
- `module._forward_pre_hooks` holds norm_hooks' one recompute function, not the pruning
  methods themselves (find them with `is_pruned`); `BasePruningMethod.remove(module)` also
  unregisters the method. The mask buffer has the parameter's dtype whatever `compute_mask`
  returns. `PruningContainer(m1, m2, ...)` with several methods works. LnStructured's
  n='fro' is the 2-norm over any number of other dims (torch.norm needs exactly two).
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterable

import numpy as np

from ...grad_mode import no_grad
from ...ops.axes import normalize_axis
from ...random import generator
from ...tensor import Tensor
from ..module import Module, Parameter
from .norm_hooks import _add_hook, _drop_hook

__all__ = [
    "BasePruningMethod",
    "PruningContainer",
    "Identity",
    "RandomUnstructured",
    "L1Unstructured",
    "RandomStructured",
    "LnStructured",
    "CustomFromMask",
    "identity",
    "random_unstructured",
    "l1_unstructured",
    "random_structured",
    "ln_structured",
    "global_unstructured",
    "custom_from_mask",
    "remove",
    "is_pruned",
]


# ------------------------------------------------------------------ checks and helpers
def _array(value, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    raise TypeError(f"{what} must be a Tensor (or numpy array), got {type(value).__name__}")


def _check_amount(amount) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount!r}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        bad = amount < 0
    else:
        bad = not 0.0 <= float(amount) <= 1.0  # NaN fails too
    if bad:
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a "
            "non-negative integer"
        )


def _count_to_prune(amount, size: int) -> int:
    """How many of `size` units `amount` prunes; an int larger than `size` is an error."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(
                f"amount={amount} should be smaller than or equal to the number of "
                f"parameters to prune={size}"
            )
        return int(amount)
    return round(float(amount) * size)  # half to even, as PyTorch


def _check_dim(dim) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"dim must be an int, got {dim!r}")
    return int(dim)


def _structured_dim(t: np.ndarray, dim: int) -> int:
    if t.ndim <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found "
            f"tensor of shape {t.shape} with {t.ndim} dims"
        )
    return normalize_axis("structured pruning", dim, t.ndim)


def _channel_mask(keep: np.ndarray, dim: int, default_mask: np.ndarray) -> np.ndarray:
    """default_mask with the channels along `dim` where `keep` is False zeroed."""
    shape = [1] * default_mask.ndim
    shape[dim] = keep.size
    return default_mask * keep.reshape(shape).astype(default_mask.dtype)


def _channel_norms(t: np.ndarray, n, dim: int) -> np.ndarray:
    """The n-norm of each slice of `t` along `dim` (torch.norm's p over the other dims)."""
    rows = np.moveaxis(t, dim, 0).astype(np.float64)
    if n == "nuc":
        if rows.ndim != 3:
            raise ValueError(
                f"LnStructured: n='nuc' needs a 3-dimensional tensor (a matrix per channel), "
                f"got {t.ndim} dimensions"
            )
        return np.linalg.norm(rows, "nuc", axis=(1, 2))
    a = np.abs(rows.reshape(rows.shape[0], -1))
    p = 2.0 if n == "fro" else float(n)
    if p == math.inf:
        return a.max(axis=1, initial=0.0)
    if p == -math.inf:
        return a.min(axis=1, initial=math.inf)
    if p == 0:
        return np.count_nonzero(a, axis=1).astype(np.float64)
    with np.errstate(divide="ignore", over="ignore"):  # p < 0 with a zero entry: norm 0
        return np.sum(a**p, axis=1) ** (1.0 / p)


def _check_n(n) -> None:
    if isinstance(n, str):
        if n not in ("fro", "nuc"):
            raise ValueError(f"LnStructured: n must be a number, 'fro' or 'nuc', got {n!r}")
    elif isinstance(n, bool) or not isinstance(n, numbers.Real) or math.isnan(n):
        raise TypeError(
            f"LnStructured: n must be a number (inf allowed), 'fro' or 'nuc', got {n!r}"
        )


# ------------------------------------------------------------------ methods
class BasePruningMethod(abc.ABC):
    """Base of the pruning methods: subclasses set `PRUNING_TYPE` ("unstructured",
    "structured" or "global") and implement `compute_mask(t, default_mask)`, which returns a
    mask of `t`'s shape that keeps `default_mask`'s zeros. `apply(module, name, ...)` prunes a
    module's parameter; `prune(t)` masks a tensor; `remove(module)` makes the pruning
    permanent."""

    PRUNING_TYPE: str
    _tensor_name: str | None = None

    def __call__(self, module: Module, inputs=None) -> None:
        """Recompute `module.<name>` from the original and the mask (what runs before each
        call of a pruned module)."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abc.abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for importance scores `t`, starting from `default_mask`."""

    def apply_mask(self, module: Module) -> Tensor:
        """`<name>_orig * <name>_mask` of `module`, a graph reaching `<name>_orig`."""
        if self._tensor_name is None:
            raise ValueError(f"Module {module} has to be pruned before the mask can be applied")
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        if mask.dtype != orig.dtype:
            mask = Tensor(mask.data.astype(orig.dtype))
        return orig * mask

    @classmethod
    def apply(cls, module: Module, name: str, *args, importance_scores=None, **kwargs):
        """Prune `module.<name>` with `cls(*args, **kwargs)`; returns the method hooked to
        the module (a PruningContainer when the tensor was already pruned)."""
        method = cls(*args, **kwargs)
        method._tensor_name = name
        return _prune(module, name, method, importance_scores)

    def prune(
        self, t: Tensor, default_mask: Tensor | None = None, importance_scores=None
    ) -> Tensor:
        """`t` times `compute_mask(importance_scores or t, default_mask or ones)`."""
        data = _array(t, "prune: t")
        scores = data
        if importance_scores is not None:
            scores = _array(importance_scores, "importance_scores")
        if scores.shape != data.shape:
            raise ValueError(
                f"importance_scores should have the shape of t, got {scores.shape} vs {data.shape}"
            )
        start = np.ones_like(data) if default_mask is None else _array(default_mask, "default_mask")
        mask = _array(self.compute_mask(Tensor(scores), Tensor(start)), "compute_mask's result")
        t = t if isinstance(t, Tensor) else Tensor(t)
        return t * Tensor(mask.astype(data.dtype))

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: `<name>` becomes the Parameter `<name>_orig` holding
        `orig * mask` (written in place, so an optimizer holding it keeps working); the mask
        buffer and the recomputation go."""
        name = self._tensor_name
        pruned = isinstance(module, Module) and f"{name}_orig" in module._parameters
        if name is None or not pruned:
            raise ValueError(f"Module {module} has to be pruned before pruning can be removed")
        with no_grad():
            weight = self.apply_mask(module)
        orig = module._parameters.pop(name + "_orig")
        del module._buffers[name + "_mask"]
        np.copyto(orig.data, weight.data)
        # also when `self` is one method of the hooked container: the mask it recomputes
        # from is gone
        if _method_of(module, name) is not None:
            _drop_hook(module, name)
        module.__dict__.pop(name, None)
        module.register_parameter(name, orig)


class PruningContainer(BasePruningMethod):
    """The methods applied one after another to one tensor (iterative pruning): each new
    method acts only on what the earlier ones left, i.e. entries whose mask is 1
    (unstructured), channels along its dim that are not all zero (structured), or all
    entries (global). Iterable, indexable, with `len`."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if args and isinstance(args[0], BasePruningMethod):
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Append `method`, which must prune the same tensor as the others."""
        if method is None:
            return
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if not self._pruning_methods and self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif self._tensor_name != method._tensor_name:
            raise ValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer. Found '{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """`default_mask` updated by the last method, applied where the mask still keeps."""
        if not self._pruning_methods:
            raise ValueError("PruningContainer.compute_mask: the container holds no method")
        return Tensor(_combined_mask(self._pruning_methods[-1], t, default_mask))


def _combined_mask(method: BasePruningMethod, t, default_mask) -> np.ndarray:
    """`default_mask` with `method`'s mask computed on the part of `t` still unpruned."""
    scores = _array(t, "t")
    mask = _array(default_mask, "default_mask")
    kind = getattr(method, "PRUNING_TYPE", None)
    if kind == "unstructured":
        where = mask == 1
    elif kind == "structured":
        dim = _structured_dim(scores, method.dim)
        others = tuple(d for d in range(mask.ndim) if d != dim)
        keep = np.sum(mask, axis=others) != 0
        where = tuple(keep if d == dim else slice(None) for d in range(mask.ndim))
    elif kind == "global":
        where = (slice(None),) * mask.ndim
    else:
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
    part = method.compute_mask(Tensor(scores[where]), Tensor(mask[where]))
    new_mask = np.array(mask, copy=True)
    new_mask[where] = _array(part, "compute_mask's result")
    return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (or `default_mask`)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` of the (unpruned) entries, chosen uniformly at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = _array(t, "t").size
        k = _count_to_prune(self.amount, size)
        mask = np.array(_array(default_mask, "default_mask"), copy=True)
        if k:
            mask.reshape(-1)[generator().permutation(size)[:k]] = 0
        return Tensor(mask)

    @classmethod
    def apply(cls, module: Module, name: str, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the `amount` (unpruned) entries of smallest absolute value; ties go to the
    lower flat index first (see the module docstring)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = np.abs(_array(t, "t")).reshape(-1)
        k = _count_to_prune(self.amount, scores.size)
        mask = np.array(_array(default_mask, "default_mask"), copy=True)
        if k:
            mask.reshape(-1)[np.argsort(scores, kind="stable")[:k]] = 0
        return Tensor(mask)

    @classmethod
    def apply(cls, module: Module, name: str, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` of the (unpruned) channels along `dim` (default -1: the last
    dimension), chosen uniformly at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim: int = -1) -> None:
        _check_amount(amount)
        self.amount = amount
        self.dim = _check_dim(dim)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = _array(t, "t")
        dim = _structured_dim(scores, self.dim)
        channels = scores.shape[dim]
        k = _count_to_prune(self.amount, channels)
        keep = np.ones(channels, dtype=bool)
        keep[generator().permutation(channels)[:k]] = False
        return Tensor(_channel_mask(keep, dim, _array(default_mask, "default_mask")))

    @classmethod
    def apply(cls, module: Module, name: str, amount, dim: int = -1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` (unpruned) channels along `dim` (default -1) of smallest
    `n`-norm (torch.norm's p over the other dimensions: a number, inf, -inf, 'fro', or 'nuc'
    for 3-D tensors); ties go to the lower channel index first."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1) -> None:
        _check_amount(amount)
        _check_n(n)
        self.amount = amount
        self.n = n
        self.dim = _check_dim(dim)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        scores = _array(t, "t")
        dim = _structured_dim(scores, self.dim)
        channels = scores.shape[dim]
        k = _count_to_prune(self.amount, channels)
        keep = np.ones(channels, dtype=bool)
        if k:
            keep[np.argsort(_channel_norms(scores, self.n, dim), kind="stable")[:k]] = False
        return Tensor(_channel_mask(keep, dim, _array(default_mask, "default_mask")))

    @classmethod
    def apply(cls, module: Module, name: str, amount, n, dim: int, importance_scores=None):
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prunes where the given `mask` (of the tensor's shape) is zero."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = np.array(_array(mask, "CustomFromMask: mask"), copy=True)

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        start = _array(default_mask, "default_mask")
        if start.shape != self.mask.shape:
            raise ValueError(
                f"CustomFromMask: mask of shape {self.mask.shape} given for a tensor of shape "
                f"{start.shape}"
            )
        return Tensor(start * self.mask.astype(start.dtype))

    @classmethod
    def apply(cls, module: Module, name: str, mask):
        return super().apply(module, name, mask=mask)


# ------------------------------------------------------------------ hooking into a module
class _PruneHook:
    """The entry in the module's hook table (norm_hooks): recompute `<name>` before a call."""

    def __init__(self, method: BasePruningMethod) -> None:
        self.method = method
        self.name = method._tensor_name

    def compute_weight(self, module: Module, do_power_iteration: bool = False) -> Tensor:
        return self.method.apply_mask(module)


def _method_of(module: Module, name: str) -> BasePruningMethod | None:
    hook = module.__dict__.get("_weight_hooks", {}).get(name)
    return hook.method if isinstance(hook, _PruneHook) else None


def _parameter(module: Module, name: str) -> Parameter:
    """The not yet pruned parameter `module.<name>`, or a ValueError / TypeError."""
    if not isinstance(module, Module):
        raise TypeError(f"prune: expected an nn.Module, got {type(module).__name__}")
    if not isinstance(name, str):
        raise TypeError(f"prune: the parameter name must be a str, got {name!r}")
    if name in module._buffers:
        raise TypeError(
            f"prune: '{name}' of {type(module).__name__} is a buffer; only parameters "
            "(nn.Parameter) can be pruned"
        )
    param = module._parameters.get(name)
    if param is None:
        found = ", ".join(n for n, p in module._parameters.items() if p is not None)
        what = "is None" if name in module._parameters else "does not exist"
        raise ValueError(
            f"prune: parameter '{name}' of {type(module).__name__} {what}; expected one of "
            f"its parameters ({found or 'none'})"
        )
    for suffix in ("_orig", "_mask"):
        if hasattr(module, name + suffix):
            raise ValueError(
                f"prune: {type(module).__name__} already has an attribute "
                f"'{name + suffix}', which pruning '{name}' would create"
            )
    return param


def _prune(module: Module, name: str, method: BasePruningMethod, importance_scores):
    """Compute the new mask, then (only if that worked) change the module."""
    old = _method_of(module, name) if isinstance(module, Module) else None
    if old is None:
        orig = _parameter(module, name)
        default_mask = np.ones_like(orig.data)
        current = orig.data
    else:
        orig = module._parameters[name + "_orig"]
        default_mask = module._buffers[name + "_mask"].data.astype(orig.dtype)
        current = orig.data * default_mask
    scores = current
    if importance_scores is not None:
        scores = _array(importance_scores, "importance_scores")
        if scores.shape != current.shape:
            raise ValueError(
                f"importance_scores should have the same shape as parameter {name} of "
                f"{type(module).__name__}, got {scores.shape} vs {current.shape}"
            )
    if old is None:
        mask = method.compute_mask(Tensor(scores), Tensor(default_mask))
        mask = _array(mask, "compute_mask's result")
    else:
        mask = _combined_mask(method, scores, default_mask)
    if mask.shape != current.shape:
        raise ValueError(
            f"{type(method).__name__}.compute_mask returned a mask of shape {mask.shape} for "
            f"parameter {name} of shape {current.shape}"
        )
    if old is None:
        del module._parameters[name]
        module.register_parameter(name + "_orig", orig)
    elif isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        method = old
    else:
        method = PruningContainer(old, method)
    module.register_buffer(name + "_mask", Tensor(mask.astype(orig.dtype)))
    setattr(module, name, method.apply_mask(module))
    _add_hook(module, _PruneHook(method))
    return method


# ------------------------------------------------------------------ functions
def identity(module: Module, name: str) -> Module:
    """Apply a mask of ones to `module.<name>`: `<name>_orig` and `<name>_mask` exist, nothing
    is pruned (e.g. to load a pruned state_dict). Returns the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount) -> Module:
    """Prune `amount` of the unpruned entries of `module.<name>` at random. Returns the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount, importance_scores=None) -> Module:
    """Prune the `amount` unpruned entries of `module.<name>` with the smallest |score| (the
    scores default to the tensor itself). Returns the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount, dim: int) -> Module:
    """Prune `amount` of the unpruned channels of `module.<name>` along `dim` at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount, n, dim: int, importance_scores=None) -> Module:
    """Prune the `amount` unpruned channels of `module.<name>` along `dim` with the smallest
    `n`-norm of the scores (default: the tensor itself). Returns the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask) -> Module:
    """Prune `module.<name>` where `mask` is zero. Returns the module."""
    CustomFromMask.apply(module, name, mask=mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the (module, name) pairs of `parameters` together: `pruning_method(**kwargs)`,
    an unstructured method class (e.g. `L1Unstructured` with `amount=`), acts on all their
    unpruned entries as one vector, so a fraction `amount` is of the total and layers lose
    different shares. `importance_scores` maps (module, name) to scores of the parameter's
    shape (default: the parameter). Every pair is checked before any is pruned."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    if not (isinstance(pruning_method, type) and issubclass(pruning_method, BasePruningMethod)):
        raise TypeError(
            f"global_unstructured(): pruning_method must be a BasePruningMethod class, got "
            f"{pruning_method!r}"
        )
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found '
            f"method {pruning_method} of type {method.PRUNING_TYPE}"
        )
    parameters = list(parameters)
    scores, masks = [], []
    for pair in parameters:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"global_unstructured(): expected (module, name) pairs, got {pair!r}")
        module, name = pair
        if isinstance(module, Module) and _method_of(module, name) is not None:
            mask = module._buffers[name + "_mask"].data
            current = module._parameters[name + "_orig"].data * mask
        else:
            current = _parameter(module, name).data
            mask = np.ones_like(current)
        score = _array(importance_scores.get(pair, current), "importance_scores")
        if score.shape != current.shape:
            raise ValueError(
                f"importance_scores for parameter {name} of {type(module).__name__} should "
                f"have its shape {current.shape}, got {score.shape}"
            )
        scores.append(score)
        masks.append(mask)
    if not parameters:
        return
    flat_scores = np.concatenate([s.reshape(-1) for s in scores])
    final = _combined_mask(method, flat_scores, np.concatenate([m.reshape(-1) for m in masks]))
    start = 0
    for (module, name), score in zip(parameters, scores, strict=True):
        stop = start + score.size
        custom_from_mask(module, name, mask=final[start:stop].reshape(score.shape))
        start = stop


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `module.<name>` permanent: `<name>` is a Parameter again, holding
    the masked values; `<name>_orig`, `<name>_mask` and the recomputation go."""
    method = _method_of(module, name) if isinstance(module, Module) else None
    if method is None:
        raise ValueError(
            f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
        )
    method.remove(module)
    return module


def is_pruned(module: Module) -> bool:
    """True if `module` or any of its submodules has a pruned tensor."""
    return any(
        isinstance(hook, _PruneHook)
        for sub in module.modules()
        for hook in sub.__dict__.get("_weight_hooks", {}).values()
    )
