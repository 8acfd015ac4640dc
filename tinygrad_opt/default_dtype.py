"""The default floating dtype: `set_default_dtype(d)` / `get_default_dtype()`, as torch.

The default (float32 until changed) is the dtype of tensors made from Python floats and
lists of them, of the float creation functions (`zeros ones empty full(float fill) rand
randn eye linspace logspace arange(float arguments) normal(numbers)`) and of the parameters
of nn layers built without `dtype=`. numpy arrays keep their own dtype, as
`torch.tensor(ndarray)`. Everything reads it through `default_float()` at call time, never
at import, so a change reaches code that is already loaded. torch also accepts float16 (and
bfloat16) here; numpy's float16 has no fast matmul or Numba kernels in this package, so only
float32 and float64 are accepted. Process-wide, like torch's (not per thread).
"""

from __future__ import annotations

import numpy as np

_ALLOWED = (np.dtype(np.float32), np.dtype(np.float64))
# one-element list: a module attribute rebinding would not reach `from ... import` copies
_DEFAULT = [np.dtype(np.float32)]


def set_default_dtype(d) -> None:
    """Make `d` (float32 or float64, as numpy or tinygrad_opt dtype) the default float dtype."""
    # a dtype object or numpy scalar type only: torch refuses strings and Python's `float`
    is_dtype = isinstance(d, np.dtype) or (isinstance(d, type) and issubclass(d, np.generic))
    if not is_dtype or np.dtype(d) not in _ALLOWED:
        raise TypeError(
            f"set_default_dtype: only floating-point dtypes float32 and float64 are supported "
            f"as the default dtype, got {d!r}"
        )
    _DEFAULT[0] = np.dtype(d)


def get_default_dtype() -> np.dtype:
    """The current default floating dtype (a numpy dtype; float32 unless changed)."""
    return _DEFAULT[0]


def default_float(dtype=None) -> np.dtype:
    """`dtype` as a numpy dtype, or the default floating dtype when it is None."""
    return _DEFAULT[0] if dtype is None else np.dtype(dtype)
