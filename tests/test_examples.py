"""Every example runs on a reduced budget (--quick) and learns something."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED_DATA = REPO.parent / "shared" / "data"
MNIST_EXAMPLES = ["mnist_mlp", "mnist_lenet", "lora_finetune", "lr_finder"]


def data_root() -> Path | None:
    """The folder with mnist/ and fashion-mnist/ ($TINYGRAD_OPT_DATA or ../shared/data)."""
    for candidate in (os.environ.get("TINYGRAD_OPT_DATA"), SHARED_DATA):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return Path(candidate)
    return None


needs_data = pytest.mark.skipif(data_root() is None, reason="MNIST files not found")


def example(name: str):
    """The example script loaded as a module (its main() not yet run)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_has_main_and_quick_flag():
    scripts = sorted(p.stem for p in EXAMPLES.glob("*.py"))
    assert set(scripts) >= {*MNIST_EXAMPLES, "pytorch_style_loop"}
    for name in scripts:
        text = (EXAMPLES / f"{name}.py").read_text()
        assert "def main(" in text and "--quick" in text and '__name__ == "__main__"' in text


@needs_data
def test_mnist_mlp_learns(tmp_path):
    metrics = example("mnist_mlp").main(["--quick", "--data-root", str(data_root())])
    assert metrics["accuracy"] > 0.6  # 16 steps on 2,000 images: far above chance (0.1)


@needs_data
def test_mnist_lenet_learns():
    metrics = example("mnist_lenet").main(["--quick", "--data-root", str(data_root())])
    assert metrics["accuracy"] > 0.5


@needs_data
def test_lora_adapts_to_new_digits_training_a_small_fraction(capsys):
    result = example("lora_finetune").main(["--quick", "--data-root", str(data_root())])
    # rank 8 adapters on 784-256 and 256-128 (r * (in + out) each) plus the whole 128-10 head
    assert result["trainable"] == 8 * ((784 + 256) + (256 + 128)) + 128 * 10 + 10
    assert result["total"] == result["trainable"] + (784 * 256 + 256 + 256 * 128 + 128)
    assert f"trainable parameters: {result['trainable']:,}" in capsys.readouterr().out
    # before adaptation the model never predicts 5-9; chance among them is 0.2
    assert result["new_accuracy"] > 0.7
    # merge() folds B A into the base weights: the same function without adapters
    assert abs(result["merged_accuracy"] - result["new_accuracy"]) < 0.005


@needs_data
def test_lr_finder_suggests_a_rate_and_trains_with_it(tmp_path):
    result = example("lr_finder").main(["--quick", "--data-root", str(data_root()),
                                        "--out", str(tmp_path)])
    assert 1e-5 <= result["suggestion"] <= 10
    assert result["metrics"]["accuracy"] > 0.5
    assert (tmp_path / "lr_finder.png").is_file()


@needs_data
def test_pytorch_style_loop_runs_and_learns(capsys):
    accuracy = example("pytorch_style_loop").main(["--quick", "--data-root", str(data_root())])
    out = capsys.readouterr().out
    assert "Epoch 1" in out and "Test Error" in out and "Done!" in out
    assert accuracy > 0.3  # Fashion-MNIST, 10 classes: chance is 0.1


@pytest.mark.parametrize("name", ["mnist_lenet", "pytorch_style_loop"])
def test_examples_skip_cleanly_without_data(tmp_path, name):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--quick",
                             "--data-root", str(empty)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "tinygrad-opt download" in result.stdout and "skipping" in result.stdout


@needs_data
def test_spatial_transformer_starts_as_identity_and_learns():
    result = example("spatial_transformer").main(["--quick", "--data-root", str(data_root())])
    # the localisation head starts at theta = identity: the digits pass through unchanged
    assert result["identity_error"] < 1e-5
    assert result["accuracy"] > 0.3  # one epoch on 2,000 images; chance is 0.1


def test_spatial_transformer_skips_cleanly_without_data(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(EXAMPLES / "spatial_transformer.py"), "--quick",
                             "--data-root", str(tmp_path)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "tinygrad-opt download" in result.stdout and "skipping" in result.stdout
