"""NUMBA_DISABLE_JIT=1 (jit.py's debugging switch) runs the same training step as plain Python."""

import os
import subprocess
import sys

import numpy as np

STEP = """
import numpy as np
from tinygrad_opt import Tensor, loss, manual_seed, nn, optim
manual_seed(0)
# the first conv convolves directly; the second (8 * 3 * 3 taps) would take the blocked
# route with its BLAS intrinsic, which has no Python form: with the JIT off it takes numpy's
model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=1), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3))
opt = optim.AdamW(model.parameters(), lr=1e-2)
x = Tensor(np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32))
y = np.array([1, 2])
for _ in range(3):
    opt.zero_grad()
    out = loss.cross_entropy(model(x), y)
    out.backward()
    opt.step()
print(repr(out.item()), *(repr(float(v)) for p in model.parameters() for v in p.data.ravel()))
"""


def _run(disable_jit: bool) -> np.ndarray:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    done = subprocess.run([sys.executable, "-c", STEP], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return np.array([float(v) for v in done.stdout.split()])


def test_plain_python_kernels_give_the_compiled_kernels_numbers():
    """Importing with the JIT off used to fail (serial_twin needs a dispatcher), and the
    blocked convolution's BLAS intrinsic cannot run as Python; now every kernel of a conv +
    pool + linear + AdamW step runs as Python, and the loss and the parameters after three
    steps agree with the compiled run to float32 rounding."""
    plain, compiled = _run(True), _run(False)
    assert plain.shape == compiled.shape and plain.size > 50
    np.testing.assert_allclose(plain, compiled, rtol=1e-5, atol=1e-6)
