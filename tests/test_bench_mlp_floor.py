"""benchmarks/mlp_floor.py: one round runs every part and its sum line adds them up."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT))  # mlp_floor imports benchmarks.train_step
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmarks.mlp_floor", ROOT / "benchmarks" / "mlp_floor.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT))


def test_one_round_prints_the_parts_and_their_sum(bench, capsys, monkeypatch):
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)  # no torch
    bench.main(["--rounds", "1", "--threads", "1"])
    out = capsys.readouterr().out
    values = {}
    for line in out.splitlines()[2:]:
        name, _, number = line.rpartition(" ")
        if name.strip():
            values[name.strip()] = float(number)
    parts = ["its 8 products (numpy)", "its AdamW step", "framework, 4-unit model"]
    assert set(parts) <= set(values) and "MLP train step" in values
    total = sum(values[p] for p in parts)
    assert values["sum of the three parts"] == pytest.approx(total, abs=2e-3)



def test_hand_written_step_is_the_framework_step(bench):
    """The graph-free step must compute what the framework's step computes: the same loss,
    gradients and updated weights from the same start (else it is no floor for it)."""
    import numpy as np

    from tinygrad_opt import Tensor, loss, manual_seed, models, optim

    x_np, y = bench.make_batch("mlp")
    manual_seed(0)
    model = models.mlp()
    manual_seed(0)
    by_hand_model = models.mlp()
    step, last = bench.hand_written_step(by_hand_model, x_np, y)
    step()

    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    out = loss.cross_entropy(model(Tensor(x_np)), y)
    out.backward()
    grads = [p.grad.copy() for p in model.parameters()]
    optimizer.step()

    np.testing.assert_allclose(last["loss"], out.data, rtol=1e-6)
    for p, q, g in zip(model.parameters(), by_hand_model.parameters(), grads):
        np.testing.assert_allclose(q.grad, g, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(q.data, p.data, rtol=1e-6, atol=1e-7)
