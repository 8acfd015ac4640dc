"""Forcing conv2d down one of its three implementations, for tests that check each."""

import numpy as np
import pytest

import tinygrad_opt.nn.conv as conv_module

PATHS = ["im2col", "blocked", "direct"]
_ROUTES = {"im2col": "_conv2d_im2col", "blocked": "_conv2d_blocked", "direct": "_conv2d_direct"}


class Routes:
    """The routes conv2d took since `use_conv_path`, to tell a test that really ran the forced
    path from one whose case the path does not apply to (conv2d then falls back to im2col)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.taken: set[str] = set()

    def assert_taken(self) -> None:
        """For a test written for this path: fail if conv2d never took it."""
        assert self.path in self.taken, f"conv2d took {sorted(self.taken)}, not {self.path}"

    def skip_unless_taken(self) -> None:
        """For a case run under every path: report it skipped where the path does not apply
        (its checks ran, on the route conv2d did take), so the test id does not claim it."""
        if self.path not in self.taken:
            pytest.skip(f"the {self.path} route does not apply here (took {sorted(self.taken)})")


def use_conv_path(monkeypatch, path) -> Routes:
    """Make conv2d take one path wherever it applies, whatever the layer size would pick:
    "im2col" (one BLAS product), "blocked" (per-thread chunks, conv_blocked.py; needs
    width dilation 1) or "direct" (conv_direct.py; needs stride 1, no dilation). Returns the
    record of the routes taken."""
    monkeypatch.setattr(conv_module, "_DIRECT_MAX_TAPS", 10**9 if path == "direct" else 0)
    monkeypatch.setattr(conv_module, "_BLOCKED", path == "blocked")
    if path == "blocked" and conv_module.blas.gemm_address(np.float64) is None:
        pytest.skip("numpy's OpenBLAS cannot be called from Numba here")
    routes = Routes(path)
    for route, name in _ROUTES.items():
        monkeypatch.setattr(conv_module, name, _recording(getattr(conv_module, name), route,
                                                          routes.taken))  # fmt: skip
    return routes


def _recording(function, route, taken):
    def recorded(*args, **kwargs):
        taken.add(route)
        return function(*args, **kwargs)

    return recorded
