"""Weight initialisation in place, with PyTorch's formulas and argument names (`torch.nn.init`).

Every function fills `tensor.data` in place (so optimizer views stay valid), draws from
`tinygrad_opt.random.generator()` (seeded by `manual_seed`) or, as torch 2.x, from the
`generator=` given to the random ones (a `tinygrad_opt.Generator`), and returns the tensor.
fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where the
receptive field is the product of the dimensions after the first two.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..ops.erf import erf
from ..random import resolve
from ..tensor import Tensor

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _array(tensor) -> np.ndarray:
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(
            f"nn.init: expected a floating-point Tensor or numpy array, got {type(tensor).__name__}"
        )
    return array


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(array: np.ndarray) -> tuple[int, int]:
    if array.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {array.shape}"
        )
    receptive = int(np.prod(array.shape[2:])) if array.ndim > 2 else 1
    return array.shape[1] * receptive, array.shape[0] * receptive


def _fan(array: np.ndarray, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(array)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values: np.ndarray):
    np.copyto(_array(tensor), values, casting="unsafe")
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with U(a, b)."""
    array = _array(tensor)
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b (a [a, b) range), got a={a}, b={b}")
    return _fill(tensor, resolve(generator, "uniform_").uniform(a, b, size=array.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with N(mean, std^2)."""
    array = _array(tensor)
    if not std >= 0:
        raise ValueError(f"normal_: expects std >= 0, got std={std}")
    return _fill(tensor, resolve(generator, "normal_").normal(mean, std, size=array.shape))


def constant_(tensor, val: float):
    _array(tensor)[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator=None,
):
    """U(-b, b), b = gain * sqrt(3 / fan) (He et al., 2015); gain from `nonlinearity` and `a`."""
    array = _array(tensor)
    if 0 in array.shape:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(array, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator=None,
):
    """N(0, std^2), std = gain / sqrt(fan) (He et al., 2015)."""
    array = _array(tensor)
    if 0 in array.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(array, mode))
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
    generator=None,
):
    """N(mean, std^2) restricted to [a, b] (absolute bounds, as PyTorch), by inverting the
    normal CDF on the uniform interval between the bounds' CDF values."""
    array = _array(tensor)
    if not std >= 0:
        raise ValueError(f"trunc_normal_: expects std >= 0, got std={std}")
    if not a <= b:
        raise ValueError(f"trunc_normal_: expects a <= b, got a={a}, b={b}")
    if std == 0:
        return _fill(tensor, np.full(array.shape, min(max(mean, a), b)))
    # Phi(z) = (1 + erf(z / sqrt 2)) / 2; sample u between Phi(lo) and Phi(hi), map back
    lo, hi = (math.erf((bound - mean) / (std * math.sqrt(2.0))) for bound in (a, b))
    u = resolve(generator, "trunc_normal_").uniform(lo, hi, size=array.shape)
    values = mean + std * math.sqrt(2.0) * _erfinv(u)
    return _fill(tensor, np.clip(values, a, b))


def _erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse error function on (-1, 1): Giles' single-precision approximation (2012)
    polished by two Newton steps on erf, so float64 accuracy without scipy."""
    y = np.clip(y, -1 + 1e-15, 1 - 1e-15)
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws, wl = w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0
    ps = np.polyval(
        [
            2.81022636e-08,
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ],
        ws,
    )
    pl = np.polyval(
        [
            -0.000200214257,
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ],
        wl,
    )
    x = np.where(small, ps, pl) * y
    for _ in range(2):
        x = x - (erf(x) - y) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
    return x


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """A (semi-)orthogonal matrix times `gain` (Saxe et al., 2013), as PyTorch: the Q of a
    QR factorisation of a normal matrix, signs fixed by R's diagonal; dimensions after the
    first are flattened."""
    array = _array(tensor)
    if array.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dimensions, got shape {array.shape}")
    if array.size == 0:
        return tensor
    rows = array.shape[0]
    cols = array.size // rows
    flat = resolve(generator, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(array.shape))


def eye_(tensor):
    """The identity matrix in a 2-D tensor (ones on the main diagonal of a non-square one)."""
    array = _array(tensor)
    if array.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got {array.shape}")
    return _fill(tensor, np.eye(*array.shape))


def dirac_(tensor, groups: int = 1):
    """The Dirac delta for a 3-, 4- or 5-D conv weight (out, in, *kernel): within each of
    `groups` groups of output channels, channel d copies input channel d at the kernel's
    centre (index size // 2), so the convolution preserves as many channels as it can."""
    array = _array(tensor)
    if array.ndim not in (3, 4, 5):
        raise ValueError(
            f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got {array.shape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"dirac_: groups must be a positive int, got {groups!r}")
    if array.shape[0] % groups:
        raise ValueError(
            f"dirac_: dim 0 must be divisible by groups, got size {array.shape[0]} and "
            f"groups={groups}"
        )
    per_group = array.shape[0] // groups
    kept = min(per_group, array.shape[1])
    values = np.zeros(array.shape)
    d = np.arange(kept)
    out_channels = (np.arange(groups)[:, None] * per_group + d).ravel()
    centre = tuple(n // 2 for n in array.shape[2:])
    values[(out_channels, np.tile(d, groups), *centre)] = 1
    return _fill(tensor, values)


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """A 2-D matrix ~ N(0, std^2) with ceil(sparsity * rows) entries of every column set to
    zero, at rows drawn at random (Martens, 2010)."""
    array = _array(tensor)
    if array.ndim != 2:
        raise ValueError(
            f"sparse_: only tensors with 2 dimensions are supported, got {array.shape}"
        )
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparse_: sparsity must lie in [0, 1], got {sparsity}")
    if not std >= 0:
        raise ValueError(f"sparse_: expects std >= 0, got std={std}")
    rows, cols = array.shape
    zeros = math.ceil(sparsity * rows)
    rng = resolve(generator, "sparse_")
    values = rng.normal(0.0, std, size=array.shape)
    # one random permutation of the rows per column: the first `zeros` rows of each are zeroed
    order = rng.random(array.shape).argsort(axis=0)
    values[order[:zeros], np.arange(cols)] = 0
    return _fill(tensor, values)


def _deprecated_alias(fill):
    """The old name without the trailing underscore: warns (FutureWarning, as torch) and
    calls the in-place initialiser with the same arguments."""
    old = fill.__name__[:-1]

    def alias(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fill.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fill(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated: use `nn.init.{fill.__name__}`."
    return alias


# torch's deprecated spellings, kept for old code
uniform = _deprecated_alias(uniform_)
normal = _deprecated_alias(normal_)
constant = _deprecated_alias(constant_)
eye = _deprecated_alias(eye_)
dirac = _deprecated_alias(dirac_)
xavier_uniform = _deprecated_alias(xavier_uniform_)
xavier_normal = _deprecated_alias(xavier_normal_)
kaiming_uniform = _deprecated_alias(kaiming_uniform_)
kaiming_normal = _deprecated_alias(kaiming_normal_)
orthogonal = _deprecated_alias(orthogonal_)
sparse = _deprecated_alias(sparse_)
