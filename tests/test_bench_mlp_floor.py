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

