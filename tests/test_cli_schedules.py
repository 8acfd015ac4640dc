"""The CLI's named learning-rate schedules against their closed forms."""

import numpy as np

from tinygrad_opt import Tensor


def lrs_of(schedule: str, total: int, warmup: int, per_epoch: int = 4, lr: float = 0.1):
    """The lr of each of `total` optimizer steps under the CLI's named schedule."""
    from tinygrad_opt import optim
    from tinygrad_opt.cli import schedules

    optimizer = optim.SGD([Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)], lr=lr)
    scheduler, interval = schedules.build(schedule, optimizer, lr, total, per_epoch, warmup)
    assert interval == "step"
    seen = []
    for _ in range(total):
        seen.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    return np.array(seen)


def test_warmup_ramps_linearly_then_hands_over_to_the_schedule():
    lr, total, warmup = 0.1, 20, 4
    ramp = lr * np.arange(1, warmup + 1) / (warmup + 1)  # lr / (W + 1) up to W lr / (W + 1)
    np.testing.assert_allclose(lrs_of("none", total, warmup)[:warmup], ramp, rtol=1e-6)
    np.testing.assert_allclose(lrs_of("none", total, warmup)[warmup:], lr, rtol=1e-6)
    t = np.arange(total - warmup)
    cosine = lr * (1 + np.cos(np.pi * t / (total - warmup))) / 2
    got = lrs_of("cosine", total, warmup)
    np.testing.assert_allclose(got[:warmup], ramp, rtol=1e-6)
    np.testing.assert_allclose(got[warmup:], cosine, rtol=1e-5, atol=1e-9)


def test_exponential_and_step_schedules_follow_their_closed_forms():
    lr, total = 0.1, 30
    steps = np.arange(total)
    np.testing.assert_allclose(lrs_of("exponential", total, 0), lr * 0.01 ** (steps / total),
                               rtol=1e-5)
    np.testing.assert_allclose(lrs_of("step", total, 0), lr * 0.1 ** (steps // 10), rtol=1e-5)
    # 16 steps in thirds of 6, 6 and 4: two decays, never a third one at the end
    np.testing.assert_allclose(lrs_of("step", 16, 0), lr * 0.1 ** (np.arange(16) // 6),
                               rtol=1e-5)
    # warm restarts: the first period is one epoch (4 steps), then 8, ...
    restarts = lrs_of("cosine-warm-restarts", 12, 0)
    np.testing.assert_allclose(restarts[[0, 4]], lr, rtol=1e-6)
    np.testing.assert_allclose(restarts[:4], lr * (1 + np.cos(np.pi * np.arange(4) / 4)) / 2,
                               rtol=1e-5)
