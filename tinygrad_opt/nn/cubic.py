"""Keys' cubic convolution weights (R. Keys, "Cubic convolution interpolation for digital
image processing", 1981), shared by bicubic `F.interpolate` and `F.grid_sample`.

A source coordinate src = floor(src) + t reads the 4 pixels at offsets -1, 0, 1, 2 from
floor(src), at distances 1 + t, t, 1 - t, 2 - t, with weights W(distance):
W(s) = (a + 2)|s|^3 - (a + 3)|s|^2 + 1 for |s| <= 1, a|s|^3 - 5a|s|^2 + 8a|s| - 4a for
1 < |s| < 2. a = -0.75, PyTorch's choice (Keys proposes -0.5). The weights sum to 1.
"""

from __future__ import annotations

import numpy as np

CUBIC_A = -0.75


def cubic_weights(t: np.ndarray) -> np.ndarray:
    """The 4 weights (last axis) of fractional parts t, in t's dtype."""
    a = t.dtype.type(CUBIC_A)

    def near(s):
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def far(s):
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a

    return np.stack((far(t + 1), near(t), near(1 - t), far(2 - t)), axis=-1)


def cubic_weight_derivatives(t: np.ndarray) -> np.ndarray:
    """d cubic_weights(t) / dt (last axis), for the gradient with respect to a position."""
    a = t.dtype.type(CUBIC_A)

    def near(s):
        return (3 * (a + 2) * s - 2 * (a + 3)) * s

    def far(s):
        return (3 * a * s - 10 * a) * s + 8 * a

    return np.stack((far(t + 1), near(t), -near(1 - t), -far(2 - t)), axis=-1)
