"""benchmarks/layers.py: every case builds, runs forward + backward, and gives each leaf a
gradient (a case whose backward silently stopped would time less work than torch's); the
inputs are the documented sizes. torch is never imported here."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT))  # layers imports benchmarks.train_step
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmarks.layers", ROOT / "benchmarks" / "layers.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT))


def test_inputs_have_the_documented_sizes(bench):
    assert bench.make_inputs("lstm")["x"].shape == (50, 32, 64)
    assert bench.make_inputs("mha")["x"].shape == (64, 16, 128)
    assert bench.make_inputs("convT")["x"].shape == (32, 64, 14, 14)
    assert bench.make_inputs("grid")["theta"].shape == (32, 2, 3)
    bags = bench.make_inputs("emb_bag")
    assert bags["indices"].size == 2048 * 20
    assert np.array_equal(np.diff(bags["offsets"]), np.full(2047, 20))
    assert 0 <= bags["indices"].min() and bags["indices"].max() < 10000


@pytest.mark.parametrize("name", ["lstm", "gru", "mha", "encoder", "convT", "interp",
                                  "grid", "emb_bag"])
def test_every_case_runs_forward_and_backward(bench, name):
    seen = []
    call, leaves = bench.ours_caller(name)
    assert leaves
    call()
    for leaf in leaves:
        assert leaf.grad is not None and np.all(np.isfinite(leaf.grad))
        seen.append(leaf.grad.copy())
    call()  # again: cleared first, so the same gradient, not twice it
    for leaf, first in zip(leaves, seen):
        np.testing.assert_allclose(leaf.grad, first, rtol=1e-5, atol=1e-6)


def test_unknown_case_is_a_value_error(bench):
    with pytest.raises(ValueError, match="unknown case 'rnn'"):
        bench.make_inputs("rnn")
