"""Gradient clipping on the flat gradient buffers: `clip_grad_norm_`, `clip_grad_value_`,
and its two halves `get_total_norm` / `clip_grads_with_norm_` (torch 2.6+).

Both follow torch.nn.utils. Gradients that are consecutive views of one flat buffer (what an
optimizer makes of them) are merged into one contiguous slice, so clipping a model of a
thousand tensors is one kernel call per buffer rather than a thousand; any other gradient
array works too (non-contiguous ones go through numpy).
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ...optim.flat_buffer import grad_view_position
from ...optim.grad_kernels import clamp_, max_abs, min_abs, scale_, sum_abs_pow, sum_squares
from ...optim.parallel import PARALLEL_MIN_SIZE, single_thread
from ...tensor import Tensor


def _grads(parameters: Any) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif isinstance(parameters, np.ndarray):
        raise TypeError("clip_grad: pass Tensors (e.g. model.parameters()), not a numpy array")
    grads = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad: expected Tensors, got {type(p).__name__}")
        grad = p.grad
        if grad is None:
            continue
        if isinstance(grad, Tensor):  # after backward(create_graph=True): scaled in place, as
            grad = grad.data  # PyTorch's clipping does outside the graph
        if not isinstance(grad, np.ndarray):
            raise TypeError(f"clip_grad: a .grad is {type(grad).__name__}, expected an ndarray")
        grads.append(grad)
    return grads


def _span(grads: list[np.ndarray], i: int) -> tuple[np.ndarray, int, int, int] | None:
    """(1-D base, start, stop, grads consumed) for grads[i] if it views a 1-D array."""
    g = grads[i]
    where = grad_view_position(g)
    if where is not None:
        buffer, j = where
        views = buffer.grad_views
        k = len(views) - j
        # the common case, all of an optimizer's grads in order: one check at C speed
        if 1 < k <= len(grads) - i and all(map(operator.is_, grads[i : i + k], views[j:])):
            return buffer.grad, buffer.offset_list[j], buffer.offset_list[-1], k
        return buffer.grad, buffer.offset_list[j], buffer.offset_list[j + 1], 1
    base = g.base
    if (
        g.flags.c_contiguous and base is not None and base.ndim == 1
        and base.flags.c_contiguous and base.dtype == g.dtype
    ):  # fmt: skip
        start = g.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        lo = start // g.itemsize
        return base, lo, lo + g.size, 1
    return None


def _contiguous_pieces(grads: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """1-D views covering the grads, adjacent views of one buffer merged; plus the rest.

    Returns (pieces, others): `pieces` are writable 1-D views (updates reach the grads);
    `others` are non-contiguous grads, handled with numpy.
    """
    pieces: list[np.ndarray] = []
    others: list[np.ndarray] = []
    run_base = None
    run_lo = run_hi = 0
    i = 0
    while i < len(grads):
        span = _span(grads, i)
        if span is None:
            g = grads[i]
            (pieces if g.flags.c_contiguous else others).append(
                g.reshape(-1) if g.flags.c_contiguous else g
            )
            i += 1
            continue
        base, lo, hi, consumed = span
        i += consumed
        if base is run_base and lo == run_hi:
            run_hi = hi
            continue
        if run_base is not None:
            pieces.append(run_base[run_lo:run_hi])
        run_base, run_lo, run_hi = base, lo, hi
    if run_base is not None:
        pieces.append(run_base[run_lo:run_hi])
    return pieces, others


def _norm_type(norm_type: Any) -> float:
    """float(norm_type), as PyTorch reads it: 'inf', '2' and negative orders are accepted."""
    if isinstance(norm_type, bool) or not isinstance(norm_type, (numbers.Real, str)):
        raise TypeError(f"norm_type must be a number or 'inf', got {norm_type!r}")
    try:
        value = float(norm_type)
    except ValueError:
        raise ValueError(f"norm_type must be a number or 'inf', got {norm_type!r}") from None
    if math.isnan(value):
        raise ValueError(f"norm_type must be a number or +-inf, got {norm_type!r}")
    return value


def _total_norm(
    grads: list[np.ndarray], pieces: list[np.ndarray], others: list[np.ndarray], p: float
) -> float:
    if p == math.inf:
        values = [max_abs(x) for x in pieces] + [float(np.max(np.abs(x))) for x in others if x.size]
        if any(math.isnan(v) for v in values):
            return math.nan
        return max(values, default=0.0)
    if p == -math.inf:
        values = [min_abs(x) for x in pieces] + [float(np.min(np.abs(x))) for x in others if x.size]
        if any(math.isnan(v) for v in values):
            return math.nan
        return min(values, default=math.inf)
    if p == 0:
        # PyTorch takes the norm of the per-gradient norms: for every other p that is the
        # norm of all entries, but for p = 0 it counts the gradients holding a nonzero (or
        # NaN) entry, not the entries
        return float(sum(1 for g in grads if np.count_nonzero(g)))
    if p == 2:
        total = sum(sum_squares(x) for x in pieces)
        total += sum(float(np.sum(np.square(x, dtype=np.float64))) for x in others)
        return math.sqrt(total)
    total = sum(sum_abs_pow(x, p) for x in pieces)
    with np.errstate(divide="ignore"):  # p < 0: a zero entry gives inf, and the norm 0
        total += sum(float(np.sum(np.abs(x.astype(np.float64)) ** p)) for x in others)
    if total == 0.0 and p < 0:
        return math.inf  # only empty gradients: 0 ** (1/p), as -inf's min over nothing
    return total ** (1.0 / p)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> np.float64:
    """Scale all gradients together so their global norm is at most `max_norm`.

    As torch.nn.utils.clip_grad_norm_: the norm is taken over all gradients as if
    concatenated; they are multiplied by min(1, max_norm / (total_norm + 1e-6)); returns the
    norm before clipping (a numpy float64, so `.item()` works as on PyTorch's tensor). A NaN
    or Inf norm raises RuntimeError if `error_if_nonfinite`, else it scales the gradients
    (making them NaN) as PyTorch does. `foreach` is accepted for compatibility and ignored.
    Parameters without a gradient are skipped; no gradients at all gives 0.0. `norm_type` is
    read as PyTorch reads it, float(norm_type): 'inf', '2' and negative orders work; NaN is
    refused. Deviation: empty gradients are skipped for negative orders (PyTorch raises).
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"max_norm must be a number, got {max_norm!r}")
    p = _norm_type(norm_type)
    grads = _grads(parameters)
    if not grads:
        return np.float64(0.0)
    pieces, others = _contiguous_pieces(grads)
    if sum(x.size for x in pieces) < PARALLEL_MIN_SIZE:
        with single_thread():  # see optim/parallel.py
            return _clip_norm(grads, pieces, others, p, max_norm, norm_type,
                              error_if_nonfinite)  # fmt: skip
    return _clip_norm(grads, pieces, others, p, max_norm, norm_type, error_if_nonfinite)


def _clip_norm(grads, pieces, others, p, max_norm, norm_type, error_if_nonfinite) -> np.float64:
    total = _total_norm(grads, pieces, others, p)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            "be clipped; find where the NaN/Inf comes from, or pass error_if_nonfinite=False "
            "to scale by it anyway"
        )
    _scale_grads(pieces, others, float(max_norm) / (total + 1e-6))
    return np.float64(total)


def _scale_grads(pieces: list[np.ndarray], others: list[np.ndarray], coef: float) -> None:
    if coef >= 1.0:  # PyTorch multiplies by the clamped 1.0: skip the no-op pass
        return
    for x in pieces:
        scale_(x, x.dtype.type(coef))
    for x in others:
        x *= x.dtype.type(coef)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The norm of the given tensors (usually the gradients) as if concatenated, as
    torch.nn.utils.get_total_norm: a 0-d Tensor of their dtype (float32 if none are given;
    then 0). Same norms and `error_if_nonfinite` as clip_grad_norm_; `foreach` is ignored.
    numpy arrays count as tensors, since `.grad` is one here: `[p.grad for p in params]`."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        tensors = [tensors]
    arrays = []
    for t in tensors:
        if not isinstance(t, (Tensor, np.ndarray)):
            raise TypeError(f"get_total_norm: expected Tensors or arrays, got {type(t).__name__}")
        arrays.append(t.data if isinstance(t, Tensor) else t)
    p = _norm_type(norm_type)
    dtype = np.result_type(*arrays) if arrays else np.dtype(np.float32)
    total = _total_norm(arrays, *_contiguous_pieces(arrays), p) if arrays else 0.0
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the tensors is {total}; find where the "
            "NaN/Inf comes from, or pass error_if_nonfinite=False"
        )
    return Tensor(np.asarray(total, dtype=dtype), dtype=dtype)


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor | float,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6)), as
    torch.nn.utils.clip_grads_with_norm_ (the second half of clip_grad_norm_, with the norm
    from get_total_norm, e.g. reduced across workers first). `foreach` is ignored."""
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"max_norm must be a number, got {max_norm!r}")
    if isinstance(total_norm, Tensor):
        if total_norm.data.size != 1:
            raise ValueError(f"total_norm must hold one number, got shape {total_norm.shape}")
        total_norm = total_norm.data.item()
    if isinstance(total_norm, bool) or not isinstance(total_norm, numbers.Real):
        raise TypeError(f"total_norm must be a number or a 1-element Tensor, got {total_norm!r}")
    grads = _grads(parameters)
    if grads:
        _scale_grads(*_contiguous_pieces(grads), float(max_norm) / (float(total_norm) + 1e-6))


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> np.float64:
    """Deprecated alias of `clip_grad_norm_` (warns FutureWarning, as PyTorch)."""
    warnings.warn(
        "`nn.utils.clip_grad_norm` is now deprecated in favor of `nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def skip_init(module_cls: type, *args, **kwargs):
    """`module_cls(*args, **kwargs)`, as torch.nn.utils.skip_init, whose parameter values are
    to be treated as uninitialised (the caller initialises them). Deviation: there is no
    meta device here, so the module's own initialisation still runs (no time is saved) and
    `module_cls` need not take a `device` argument."""
    if not isinstance(module_cls, type):
        raise TypeError(f"skip_init: expected a Module class, got {module_cls!r}")
    from ..module import Module  # imported here: nn imports this package

    if not issubclass(module_cls, Module):
        raise TypeError(f"skip_init: expected a Module class, got {module_cls.__name__}")
    return module_cls(*args, **kwargs)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place to [-clip_value, clip_value] (torch.nn.utils semantics).

    NaN entries stay NaN, as with torch.clamp; as torch.clamp's min > max and NaN bounds, a
    negative clip_value sets every entry to clip_value and a NaN one to NaN. `foreach` is
    accepted and ignored.
    """
    if isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real):
        raise TypeError(f"clip_value must be a number, got {clip_value!r}")
    value = float(clip_value)
    pieces, others = _contiguous_pieces(_grads(parameters))
    for x in pieces:
        if x.size < PARALLEL_MIN_SIZE:
            with single_thread():
                clamp_(x, x.dtype.type(-value), x.dtype.type(value))
        else:
            clamp_(x, x.dtype.type(-value), x.dtype.type(value))
    for x in others:
        np.clip(x, -value, value, out=x)


from ..parameter_vector import parameters_to_vector, vector_to_parameters  # noqa: E402, F401
from . import rnn  # noqa: E402, F401  (torch.nn.utils.rnn)

# isort: split
from . import parametrizations, parametrize  # noqa: E402, F401  (torch.nn.utils.parametrize)
from .norm_hooks import (  # noqa: E402, F401  (the older hook-based forms)
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)

# isort: split
from . import prune  # noqa: E402, F401  (torch.nn.utils.prune)

# isort: split
from . import clip_grad, convert_parameters, fusion, stateless  # noqa: E402, F401
from .fusion import (  # noqa: E402, F401
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)

# isort: split
from .memory_format import (  # noqa: E402, F401  (memory formats do not exist here)
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)
