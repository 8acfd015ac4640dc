"""Bit-exact deep equality of nested dicts, lists, tuples, numbers and arrays, shared by the
tests of save/load, resume and lr_find's restore."""

import math

import numpy as np


def assert_same(a, b, where="obj"):
    """Bit-exact deep equality that also checks Python types, dtypes, shapes and key types
    exactly: arrays and numpy scalars by their bytes, Python floats by float.hex (so -0.0
    and 0.0 differ; any NaN matches any NaN)."""
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where  # the raw bytes: -0.0 != 0.0, NaN payloads
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    elif isinstance(a, float):
        assert a.hex() == b.hex(), f"{where}: {a!r} vs {b!r}"  # -0.0 vs 0.0 shows
    else:
        assert a == b, where
