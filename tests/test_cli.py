"""The `tinygrad-opt` command line through subprocesses, on tiny budgets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt import load

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def data_root() -> Path | None:
    """The folder with mnist/ and fashion-mnist/ ($TINYGRAD_OPT_DATA or ../shared/data)."""
    for candidate in (os.environ.get("TINYGRAD_OPT_DATA"), SHARED_DATA):
        if candidate and (Path(candidate) / "mnist").is_dir():
            return Path(candidate)
    return None


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120):
    """Run `python -m tinygrad_opt ARGS` and return the finished process."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("TINYGRAD_OPT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "tinygrad_opt", *args], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def assert_png_with_content(path: Path) -> None:
    """A real image file with visible structure (not one flat colour)."""
    import matplotlib.image

    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels[..., :3].var() > 1e-3


def table_rows(output: str) -> dict[str, list[str]]:
    """Markdown table rows of `output`, keyed by their first cell."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("| ") and not line.startswith("|-"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.setdefault(cells[0], []).append(cells)
    return rows


# ------------------------------------------------------------------------------ help and errors
def test_every_subcommand_has_help(tmp_path):
    from tinygrad_opt.cli.main import COMMANDS, build_parser

    parser = build_parser()
    names = list(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert len(names) == len(COMMANDS)
    assert {"train", "compare", "race", "schedules", "lr-find", "bench", "download",
            "run"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as stop:
            parser.parse_args([name, "--help"])
        assert stop.value.code == 0
    result = cli("race", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--seed" in result.stdout and "rosenbrock" in result.stdout
    script = Path(sys.executable).parent / "tinygrad-opt"  # the console script of pyproject
    if script.is_file():
        version = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                                 timeout=60)
        assert version.returncode == 0 and version.stdout.startswith("tinygrad-opt ")


BAD_ARGUMENTS = [
    (["train", "--model", "resnet"], "invalid choice"),
    (["train", "--epochs", "0"], "--epochs must be a positive integer"),
    (["train", "--epochs", "two"], "invalid int value"),
    (["train", "--optimizer", "adamm", "--limit", "50"], "unknown optimizer"),
    (["train", "--lr", "-1", "--limit", "50"], "lr"),
    (["train", "--opt", "eps", "--limit", "50"], "KEY=VALUE"),
    (["train", "--dataset", "spirals", "--model", "lenet"], "needs an image dataset"),
    (["train", "--schedule", "linear"], "invalid choice"),
    (["train", "--warmup", "100000", "--limit", "50"], "--warmup"),
    (["compare", "--optimizers", "sgd", "nosuch", "--limit", "50", "--dataset", "blobs",
      "--model", "mlp"], "nosuch"),
    (["race", "--function", "himmelblau"], "invalid choice"),
    (["race", "--steps", "-3"], "--steps must be a positive integer"),
    (["race", "-o", "muon"], "Muon only supports 2D parameters"),  # a point is a vector
    (["lr-find", "--start-lr", "1", "--end-lr", "0.1"], "--start-lr"),
    (["schedules", "--steps", "5"], "--steps must be at least 20"),
    (["schedules", "--lr", "-0.1"], "--lr must be a positive number"),
    (["schedules", "-s", "linear"], "invalid choice"),
    (["download", "cifar10"], "invalid choice"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--epochs", "2", "--stop-after", "3"], "--stop-after"),
    (["frobnicate"], "invalid choice"),
]


def run_in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `tinygrad-opt ARGV` run in this process."""
    from tinygrad_opt.cli import main

    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own exits
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_bad_arguments_exit_2_with_one_line(capsys, monkeypatch, argv, message):
    monkeypatch.delenv("TINYGRAD_OPT_DEBUG", raising=False)
    code, _, err = run_in_process(argv, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "error:" in lines[0] and message in lines[0]


@pytest.mark.parametrize("argv", [["train", "--epochs", "two"],
                                  ["train", "--optimizer", "adamm", "--limit", "50"]])
def test_errors_in_a_real_process_have_no_traceback(tmp_path, argv):
    result = cli(*argv, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_data_says_how_to_download(tmp_path):
    empty = tmp_path / "no-data"
    empty.mkdir()
    result = cli("train", "--dataset", "mnist", "--data-root", str(empty), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "tinygrad-opt download mnist" in result.stderr
    assert str(empty) in result.stderr


# ------------------------------------------------------------------------------ happy paths
def test_race_prints_steps_and_draws_each_function(tmp_path):
    result = cli("race", "-f", "ravine", "saddle", "-o", "sgd", "adam", "sgd+momentum",
                 "--steps", "300", "--out", "pics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert len(rows["ravine"]) == 3 and len(rows["saddle"]) == 3
    # momentum (lr 0.05) crosses the ravine well within 300 steps: a step count is printed
    momentum = next(r for r in rows["ravine"] if r[1] == "sgd+momentum")
    assert momentum[3].isdigit() and 0 < int(momentum[3]) <= 300
    for name in ("ravine", "saddle"):
        assert_png_with_content(tmp_path / "pics" / f"race_{name}.png")


def test_without_matplotlib_tables_still_print_and_say_how_to_get_pictures(tmp_path):
    result = cli("race", "--steps", "50", "-o", "adam", "--out", "pics", cwd=tmp_path,
                 env={"TINYGRAD_OPT_NO_PLOT": "1"})
    assert result.returncode == 0, result.stderr
    assert "rosenbrock" in table_rows(result.stdout)
    assert "install tinygrad-opt[plot] for the pictures" in result.stdout
    assert not (tmp_path / "pics").exists()


def test_compare_table_and_loss_curves(tmp_path):
    result = cli("compare", "--dataset", "blobs", "--model", "mlp", "--limit", "240",
                 "--epochs", "2", "-o", "sgd", "adam:lr=0.01", "--out", "pics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert set(rows) >= {"optimizer", "sgd", "adam:lr=0.01"}
    adam = rows["adam:lr=0.01"][0]
    assert float(adam[1]) == pytest.approx(0.01)
    # blobs are well separated: two epochs of Adam classify almost all of them
    assert float(adam[4].rstrip("%")) > 80
    assert_png_with_content(tmp_path / "pics" / "compare_loss.png")


def test_train_summary_and_exact_resume(tmp_path):
    common = ["train", "--dataset", "moons", "--model", "mlp", "--limit", "300",
              "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--schedule", "cosine",
              "--warmup", "5", "--batch-size", "32", "--grad-accum", "2", "--max-grad-norm",
              "5", "--no-progress", "--seed", "3"]
    straight = cli(*common, "--epochs", "2", "--checkpoint", "straight.ckpt", cwd=tmp_path)
    assert straight.returncode == 0, straight.stderr
    assert "final: train loss" in straight.stdout
    assert set(table_rows(straight.stdout)) >= {"epoch", "1", "2"}

    first = cli(*common, "--epochs", "2", "--stop-after", "1", "--checkpoint", "split.ckpt",
                cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = cli(*common, "--epochs", "2", "--resume", "split.ckpt", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "resuming" in second.stdout

    a = load(str(tmp_path / "straight.ckpt"))
    b = load(str(tmp_path / "split.ckpt"))
    assert a["epoch"] == b["epoch"] == 2
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])
    np.testing.assert_array_equal(a["losses"], b["losses"])
    assert table_rows(straight.stdout)["2"] == table_rows(second.stdout)["2"]


def test_resume_refuses_a_different_setup(tmp_path):
    common = ["train", "--dataset", "blobs", "--limit", "100", "--no-progress"]
    assert cli(*common, "--epochs", "1", "--checkpoint", "c.ckpt", cwd=tmp_path).returncode == 0
    result = cli(*common, "--epochs", "2", "--optimizer", "sgd", "--resume", "c.ckpt",
                 cwd=tmp_path)
    assert result.returncode == 2
    assert "optimizer='adam'" in result.stderr and "Traceback" not in result.stderr
    missing = cli(*common, "--resume", "nowhere.ckpt", cwd=tmp_path)
    assert missing.returncode == 2 and "no checkpoint" in missing.stderr


def test_resume_refuses_other_hyperparameters_or_clipping(tmp_path):
    # the optimizer's saved state would silently override --lr; clipping is not saved at all
    common = ["train", "--dataset", "blobs", "--limit", "100", "--no-progress", "--epochs", "2"]
    first = cli(*common, "--lr", "0.01", "--max-grad-norm", "1", "--stop-after", "1",
                "--checkpoint", "c.ckpt", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for changed, shown in ((["--lr", "0.5", "--max-grad-norm", "1"], "{'lr': 0.5}"),
                           (["--lr", "0.01"], "max_grad_norm=1.0")):
        result = cli(*common, *changed, "--resume", "c.ckpt", cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert shown in result.stderr and "Traceback" not in result.stderr


def test_checkpoint_folder_is_created_before_training(tmp_path):
    # as ModelCheckpoint does; the save after the first epoch used to fail on a fresh checkout
    result = cli("train", "--dataset", "blobs", "--limit", "50", "--no-progress", "--epochs",
                 "1", "--checkpoint", "runs/sub/c.ckpt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load(str(tmp_path / "runs" / "sub" / "c.ckpt"))["epoch"] == 1


def test_lr_find_prints_a_suggestion_and_draws_the_curve(tmp_path):
    result = cli("lr-find", "--dataset", "spirals", "--limit", "600", "--num-iter", "60",
                 "--optimizer", "sgd", "--out", "pics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("suggested lr"))
    suggestion = float(line.split(":")[1])
    assert 1e-7 <= suggestion <= 10
    assert_png_with_content(tmp_path / "pics" / "lr_find.png")


@pytest.mark.skipif(data_root() is None, reason="MNIST files not found")
def test_download_verifies_files_already_in_place(tmp_path):
    # Files already present are checked by SHA-256, not fetched: no network needed here.
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    for source in (data_root() / "mnist").glob("*.gz"):
        (root / "mnist" / source.name).symlink_to(source)
    result = cli("download", "mnist", "--data-root", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mnist train: 60000 images" in result.stdout
    assert "mnist test: 10000 images" in result.stdout


def test_download_of_a_corrupt_file_fails_cleanly(tmp_path):
    # A wrong file in place and no reachable mirror: a one-line error, no traceback.
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    (root / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"not mnist")
    env = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = cli("download", "mnist", "--data-root", str(root), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "train-images-idx3-ubyte.gz" in result.stderr


def test_run_quick_prints_the_comparison_and_draws_both_pictures(tmp_path):
    result = cli("run", "--quick", "--out", "runs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    for label in ("sgd", "sgd+momentum", "rmsprop", "adam", "adamw", "lion"):
        assert label in rows
    assert "rosenbrock" in rows
    assert_png_with_content(tmp_path / "runs" / "compare_loss.png")
    assert_png_with_content(tmp_path / "runs" / "race_rosenbrock.png")


def test_bench_quick_prints_one_table(tmp_path):
    for name in ("optim_step", "train_step"):
        if not (REPO / "benchmarks" / f"{name}.py").is_file():
            pytest.skip(f"benchmarks/{name}.py not written yet")
    result = cli("bench", "--quick", "--optimizers", "sgd", "adam", "--models", "mlp",
                 cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert [r[1] for r in rows["optimizer step"]] == ["sgd", "adam"]
    assert [r[1] for r in rows["train step"]] == ["mlp"]
    for row in rows["optimizer step"] + rows["train step"]:
        assert float(row[3]) > 0
    unknown = cli("bench", "--quick", "--only", "train", "--models", "resnet", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown model resnet" in unknown.stderr


def test_bench_outside_a_source_checkout_says_so(capsys, monkeypatch, tmp_path):
    from tinygrad_opt.cli import bench

    monkeypatch.setattr(bench, "source_root", lambda: tmp_path)
    code, _, err = run_in_process(["bench", "--quick"], capsys)
    assert code == 2
    assert "source checkout" in err and str(tmp_path) in err


@pytest.mark.skipif(data_root() is None, reason="MNIST files not found")
def test_train_on_real_mnist_subset(capsys):
    code, out, err = run_in_process(
        ["train", "--dataset", "mnist", "--data-root", str(data_root()), "--limit", "1000",
         "--epochs", "1", "--batch-size", "50", "--lr", "3e-3", "--no-progress"], capsys)
    assert code == 0, err
    assert "1000 train / 1000 test examples" in out
    accuracy = float(table_rows(out)["1"][0][3].rstrip("%"))
    assert accuracy > 60  # 20 Adam steps of an MLP on MNIST: far above chance (10%)


# ------------------------------------------------------------------------------ flags reach the run
# Each command run in-process against the same run written out with the Python API: a flag
# that is parsed but not passed on changes the numbers.
def test_train_flags_all_reach_the_run(tmp_path, capsys, monkeypatch):
    from tinygrad_opt import manual_seed, optim
    from tinygrad_opt.cli import schedules, workloads
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import fit

    monkeypatch.setenv("TINYGRAD_OPT_NO_PLOT", "1")
    checkpoint = tmp_path / "run.ckpt"
    code, out, err = run_in_process(
        ["train", "--dataset", "moons", "--model", "mlp", "--limit", "200", "--epochs", "2",
         "--optimizer", "sgd", "--lr", "0.2", "--momentum", "0.8", "--weight-decay", "0.01",
         "--schedule", "cosine", "--warmup", "3", "--batch-size", "16", "--grad-accum", "3",
         "--max-grad-norm", "0.05", "--seed", "7", "--no-progress",
         "--checkpoint", str(checkpoint)], capsys)
    assert code == 0, err
    saved = load(str(checkpoint))
    group = saved["optimizer"]["param_groups"][0]
    assert group["momentum"] == 0.8 and group["weight_decay"] == 0.01

    manual_seed(7)
    data = workloads.load_data("moons", None, 200, 7)
    model = workloads.build_model("mlp", data)
    optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.8, weight_decay=0.01)
    # 200 examples in batches of 16: 13 batches, 5 optimizer steps of 3 per epoch, 10 in all
    scheduler, interval = schedules.build("cosine", optimizer, 0.2, 10, 5, 3)
    losses, norms, last_lrs = [], [], []
    for epoch in range(2):
        train_loader, _ = workloads.loaders(data, 16, 7, epoch)  # the order of (seed, epoch)
        history = fit(model, cross_entropy, optimizer, train_loader, scheduler=scheduler,
                      scheduler_interval=interval, grad_accum_steps=3, max_grad_norm=0.05,
                      progress=False)
        losses += history.loss
        norms += history.grad_norm
        last_lrs.append(history.lr[-1])
    assert len(losses) == 10 and min(norms) > 0.05  # clipping is active at every step
    np.testing.assert_allclose(saved["losses"], losses, rtol=1e-6)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(saved["model"][name], value, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(saved["epoch_rows"][:, 4], last_lrs, rtol=1e-9)


def test_train_parses_betas_into_the_optimizer():
    from tinygrad_opt.cli.main import build_parser
    from tinygrad_opt.cli.train import optimizer_spec

    args = build_parser().parse_args(["train", "--optimizer", "adam", "--betas", "0.8", "0.95",
                                      "--opt", "eps=1e-6"])
    assert optimizer_spec(args).hyperparameters == {"betas": (0.8, 0.95), "eps": 1e-6}


def test_lr_find_flags_reach_the_range_test(tmp_path, capsys, monkeypatch):
    from tinygrad_opt import manual_seed, optim
    from tinygrad_opt.cli import workloads
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import lr_find

    monkeypatch.setenv("TINYGRAD_OPT_NO_PLOT", "1")
    code, out, err = run_in_process(
        ["lr-find", "--dataset", "blobs", "--limit", "160", "--batch-size", "16",
         "--optimizer", "sgd", "--momentum", "0.5", "--start-lr", "1e-4", "--end-lr", "1",
         "--num-iter", "15", "--seed", "2", "--out", str(tmp_path)], capsys)
    assert code == 0, err

    manual_seed(2)
    data = workloads.load_data("blobs", None, 160, 2)
    model = workloads.build_model("mlp", data)
    optimizer = optim.SGD(model.parameters(), lr=1e-4, momentum=0.5)
    train_loader, _ = workloads.loaders(data, 16, 2)
    result = lr_find(model, cross_entropy, optimizer, train_loader, start_lr=1e-4, end_lr=1.0,
                     num_iter=15)
    assert len(result.lrs) == 15 and result.suggested_lr is not None
    assert "15 mini-batches from 0.0001 to 1\n" in out
    assert f"suggested lr: {result.suggested_lr:.3g}" in out
    printed = [(float(r[0]), float(r[1])) for r in
               (cells for key, rows in table_rows(out).items() if key != "lr" for cells in rows)]
    assert len(printed) == 12
    sweep = 1e-4 * 1e4 ** (np.arange(15) / 14)  # the exponential sweep, closed form
    for lr, loss in printed:
        i = int(np.argmin(np.abs(np.log(sweep / lr))))
        assert lr == pytest.approx(sweep[i], rel=5e-3)
        assert loss == pytest.approx(result.losses[i], rel=5e-3)


def test_compare_flags_reach_every_run_from_the_same_start(capsys, monkeypatch):
    from tinygrad_opt import manual_seed, optim
    from tinygrad_opt.cli import workloads
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import evaluate, fit

    monkeypatch.setenv("TINYGRAD_OPT_NO_PLOT", "1")
    code, out, err = run_in_process(
        ["compare", "--dataset", "blobs", "--model", "mlp", "--limit", "120", "--epochs", "2",
         "--batch-size", "24", "-o", "sgd:lr=0.05", "adam:lr=0.01", "--seed", "4"], capsys)
    assert code == 0, err
    rows = table_rows(out)
    data = workloads.load_data("blobs", None, 120, 4)
    for label, build in (("sgd:lr=0.05", lambda p: optim.SGD(p, lr=0.05)),
                         ("adam:lr=0.01", lambda p: optim.Adam(p, lr=0.01))):
        manual_seed(4)  # every optimizer starts from the same weights
        model = workloads.build_model("mlp", data)
        optimizer = build(model.parameters())
        for epoch in range(2):
            train_loader, test_loader = workloads.loaders(data, 24, 4, epoch)
            history = fit(model, cross_entropy, optimizer, train_loader, progress=False)
        metrics = evaluate(model, test_loader, cross_entropy)
        row = rows[label][0]
        assert float(row[2]) == pytest.approx(history.train_loss[-1], rel=5e-3), label
        assert float(row[3]) == pytest.approx(metrics["loss"], rel=5e-3), label
        assert float(row[4].rstrip("%")) == pytest.approx(100 * metrics["accuracy"], abs=0.01)


def test_race_steps_and_tolerance_reach_the_race(capsys, monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_NO_PLOT", "1")
    code, out, err = run_in_process(["race", "-f", "ravine", "-o", "sgd:lr=0.15", "--steps", "40",
                                     "--tolerance", "7"], capsys)
    assert code == 0, err
    # plain gradient descent on x^2 / 20 + 5 y^2 from (-9, 1): gradient (x / 10, 10 y)
    point, reached = np.array([-9.0, 1.0]), None
    for step in range(1, 41):
        point = point - 0.15 * np.array([point[0] / 10, 10 * point[1]])
        if reached is None and np.hypot(*point) <= 7:
            reached = step
    (row,) = table_rows(out)["ravine"]
    assert reached is not None and row[3] == str(reached)
    assert row[5] == f"({point[0]:.3f}, {point[1]:.3f})"
