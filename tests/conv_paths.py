"""Forcing conv2d down one of its three implementations, for tests that check each."""

import numpy as np
import pytest

import tinygrad_opt.nn.conv as conv_module

PATHS = ["im2col", "blocked", "direct"]


def use_conv_path(monkeypatch, path):
    """Make conv2d take one path wherever it applies, whatever the layer size would pick:
    "im2col" (one BLAS product), "blocked" (per-thread chunks, conv_blocked.py; needs
    width dilation 1) or "direct" (conv_direct.py; needs stride 1, no dilation)."""
    monkeypatch.setattr(conv_module, "_DIRECT_MAX_TAPS", 10**9 if path == "direct" else 0)
    monkeypatch.setattr(conv_module, "_BLOCKED", path == "blocked")
    if path == "blocked" and conv_module.blas.gemm_address(np.float64) is None:
        pytest.skip("numpy's OpenBLAS cannot be called from Numba here")
