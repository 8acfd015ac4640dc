"""`tinygrad-opt schedules`: each curve against the schedule's closed form (or a plain loop of
its documented rule), then the command's table and picture."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_cli import assert_png_with_content, cli, table_rows

from tinygrad_opt.cli.schedule_gallery import SCHEDULES, lr_curve, plateau_loss

STEPS, LR = 120, 0.1
K = np.arange(STEPS)
LAST = STEPS - 1
WARMUP = STEPS // 10


def cyclic_triangular2(k: np.ndarray, low: float, high: float, half: int) -> np.ndarray:
    """CyclicLR 'triangular2' as documented: a triangle wave whose amplitude halves each cycle."""
    cycle = np.floor(1 + k / (2 * half))
    x = np.abs(k / half - 2 * cycle + 1)
    return low + (high - low) * np.maximum(0, 1 - x) / 2 ** (cycle - 1)


def plateau_reference(steps: int, lr: float, factor=0.5, patience=10, threshold=1e-2):
    """ReduceLROnPlateau's documented rule in a plain loop (mode 'min', relative threshold,
    no cooldown): the lr is multiplied by `factor` once more than `patience` steps in a row
    fail to beat the best loss by a factor (1 - threshold)."""
    lrs, best, bad = [], math.inf, 0
    for step in range(steps):
        lrs.append(lr)
        loss = plateau_loss(step, steps)
        if loss < best * (1 - threshold):
            best, bad = loss, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
    return np.array(lrs)


def hf_linear(k):
    return np.where(k < WARMUP, k / WARMUP, np.maximum(0, (LAST - k) / (LAST - WARMUP)))


def hf_cosine(k):
    progress = (k - WARMUP) / (LAST - WARMUP)
    return np.where(k < WARMUP, k / WARMUP,
                    np.maximum(0, 0.5 * (1 + np.cos(math.pi * progress))))


def sgdr(k):
    """Warm restarts with T_0 = STEPS // 15 and T_mult = 2: periods T_0, 2 T_0, 4 T_0, ..."""
    t0 = STEPS // 15
    cycle = np.floor(np.log2(k / t0 + 1))
    start = t0 * (2**cycle - 1)
    return 0.5 * (1 + np.cos(math.pi * (k - start) / (t0 * 2**cycle)))


CLOSED_FORMS = {
    "step": lambda k: 0.5 ** (k // (STEPS // 4)),
    "multistep": lambda k: np.where(k >= 3 * STEPS // 4, 0.01, np.where(k >= STEPS // 2, 0.1, 1)),
    "exponential": lambda k: 0.01 ** (k / LAST),
    "cosine": lambda k: 0.5 * (1 + np.cos(math.pi * k / LAST)),
    "warm-restarts": sgdr,
    "warmup-linear": hf_linear,
    "warmup-cosine": hf_cosine,
    "cyclic": lambda k: cyclic_triangular2(k, 0.1, 1.0, STEPS // 8),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_each_curve_follows_its_closed_form(name):
    np.testing.assert_allclose(lr_curve(name, STEPS, LR), LR * CLOSED_FORMS[name](K),
                               rtol=1e-9, atol=1e-12)


def test_onecycle_rises_to_lr_at_30_percent_and_ends_far_below():
    lrs = lr_curve("onecycle", STEPS, LR)
    peak = round(0.3 * STEPS) - 1  # OneCycleLR's first phase ends at pct_start * total - 1
    assert lrs[0] == pytest.approx(LR / 25) and lrs[peak] == pytest.approx(LR)
    assert lrs[-1] == pytest.approx(LR / 25 / 1e4)
    # cosine annealing in between: the midpoint of the rise is the mean of its ends
    assert lrs[peak // 2] == pytest.approx((LR / 25 + LR) / 2, rel=0.05)
    assert np.all(np.diff(lrs[: peak + 1]) > 0) and np.all(np.diff(lrs[peak:]) < 0)


def test_plateau_halves_the_lr_each_time_the_loss_stalls():
    lrs = lr_curve("plateau", STEPS, LR)
    reference = plateau_reference(STEPS, LR)
    np.testing.assert_allclose(lrs, reference, rtol=1e-12)
    assert 2 <= np.count_nonzero(np.diff(reference)) and reference[0] == LR  # it can fail


def test_command_prints_every_schedule_and_draws_the_panels(tmp_path):
    result = cli("schedules", "--steps", "100", "--lr", "0.5", "--out", "pics", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert set(SCHEDULES) <= set(rows)
    cosine = rows["cosine"][0]
    # columns: name, steps 0, 10, 25, 50, 75, 99, then min and max
    assert float(cosine[1]) == pytest.approx(0.5)
    assert float(cosine[4]) == pytest.approx(0.25 * (1 + math.cos(math.pi * 50 / 99)), rel=1e-3)
    assert float(rows["step"][0][-2]) == pytest.approx(0.5 * 0.5**3)
    assert_png_with_content(tmp_path / "pics" / "schedules.png")


def test_command_without_matplotlib_prints_the_table_and_the_hint(tmp_path):
    result = cli("schedules", "-s", "cosine", "step", "--out", "pics", cwd=tmp_path,
                 env={"TINYGRAD_OPT_NO_PLOT": "1"})
    assert result.returncode == 0, result.stderr
    assert set(table_rows(result.stdout)) == {"schedule", "cosine", "step"}
    assert "install tinygrad-opt[plot] for the pictures" in result.stdout
    assert not (tmp_path / "pics").exists()
