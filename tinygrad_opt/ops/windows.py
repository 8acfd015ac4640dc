"""Window functions of torch: `hann_window`, `hamming_window`, `blackman_window`,
`bartlett_window`, `kaiser_window`.

For a window of length L, the symmetric form (`periodic=False`) uses N = L - 1 in the
formulas below; the periodic form (the default, as torch, for spectral analysis) computes
the symmetric window of length L + 1 and drops its last value. L == 1 gives [1.], L == 0 an
empty tensor. n runs over 0 .. L-1:

- hann:     0.5 - 0.5 cos(2 pi n / N)
- hamming:  alpha - beta cos(2 pi n / N)           (alpha=0.54, beta=0.46)
- blackman: 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)
- bartlett: 1 - |2 n / N - 1|
- kaiser:   I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta)   (beta=12.0)

Values are computed in float64 and cast to `dtype` (the default float dtype when None).
Deviations from torch: bad arguments raise ValueError/TypeError (torch: RuntimeError);
`layout` and `pin_memory` are accepted for signature compatibility and ignored.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor


def _window(op: str, window_length, periodic, dtype, device, requires_grad, formula) -> Tensor:
    check_cpu(op, device)
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{op}: window_length must be an int, got {window_length!r}")
    if window_length < 0:
        raise ValueError(f"{op}: window_length must be non-negative, got {window_length}")
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"{op}: periodic must be a bool, got {periodic!r}")
    dt = default_float(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be floating point, got {dt}")
    length = int(window_length)
    if length <= 1:
        values = np.ones(length)
    else:
        n_span = length if periodic else length - 1  # N of the symmetric window computed
        values = formula(np.arange(length, dtype=np.float64), float(n_span))
    return Tensor(values.astype(dt), requires_grad=requires_grad, dtype=dt)


def hann_window(
    window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
    pin_memory: bool = False, requires_grad: bool = False,
) -> Tensor:
    """The Hann window 0.5 - 0.5 cos(2 pi n / N) (see the module docstring)."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.5 - 0.5 * np.cos(2.0 * np.pi * n / N))


def hamming_window(
    window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
    dtype=None, layout=None, device=None, pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The generalised Hamming window alpha - beta cos(2 pi n / N); alpha=0.5, beta=0.5 is
    the Hann window."""
    a, b = float(alpha), float(beta)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: a - b * np.cos(2.0 * np.pi * n / N))


def blackman_window(
    window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
    pin_memory: bool = False, requires_grad: bool = False,
) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 0.42 - 0.5 * np.cos(2.0 * np.pi * n / N)
                   + 0.08 * np.cos(4.0 * np.pi * n / N))


def bartlett_window(
    window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
    pin_memory: bool = False, requires_grad: bool = False,
) -> Tensor:
    """The Bartlett (triangular) window 1 - |2 n / N - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, N: 1.0 - np.abs(2.0 * n / N - 1.0))


def kaiser_window(
    window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None,
    layout=None, device=None, pin_memory: bool = False, requires_grad: bool = False,
) -> Tensor:
    """The Kaiser window I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta), I0 the modified
    Bessel function of the first kind of order 0."""
    b = float(beta)
    if b < 0:
        raise ValueError(f"kaiser_window: beta must be non-negative, got {beta}")

    def formula(n, N):
        ratio = np.clip(2.0 * n / N - 1.0, -1.0, 1.0)  # rounding must not leave [-1, 1]
        return np.i0(b * np.sqrt(1.0 - ratio * ratio)) / np.i0(b)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   formula)
