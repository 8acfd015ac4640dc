"""GradScaler against a step-by-step simulation of PyTorch's documented dynamic loss-scaling
rule, autocast's self-disabling, and torch.compile's pass-through."""

import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn, optim
from tinygrad_opt.amp import GradScaler


def test_scaler_follows_the_dynamic_rule_and_skips_overflowing_steps():
    rng = np.random.default_rng(0)
    growth_interval, lr = 3, 0.1
    scaler = GradScaler("cpu", init_scale=8.0, growth_interval=growth_interval)
    p = nn.Parameter(Tensor(np.ones(4)))
    opt = optim.SGD([p], lr=lr)
    expected_p, scale, tracker = np.ones(4), 8.0, 0
    for it in range(40):
        c = rng.standard_normal(4)
        bad = it in (4, 5, 17)
        opt.zero_grad()
        loss = (p * Tensor(c)).sum() * (np.inf if bad else 1.0)
        scaler.scale(loss).backward()
        np.testing.assert_array_equal(
            p.grad[~np.isnan(p.grad)], (c * scale * (np.inf if bad else 1))[~np.isnan(p.grad)]
        )
        result = scaler.step(opt)
        scaler.update()
        assert result is None
        if bad:  # skipped: parameters unchanged, scale backs off, the count restarts
            scale, tracker = scale * 0.5, 0
        else:
            expected_p = expected_p - lr * c  # the gradient of the unscaled loss
            tracker += 1
            if tracker == growth_interval:
                scale, tracker = scale * 2.0, 0
        assert scaler.get_scale() == scale and scaler.state_dict()["_growth_tracker"] == tracker
        np.testing.assert_allclose(p.data, expected_p, rtol=1e-15, atol=1e-15)


def test_unscale_divides_gradients_and_detects_nan():
    scaler = GradScaler("cpu", init_scale=4.0)
    a, b = nn.Parameter(Tensor(np.ones(2))), nn.Parameter(Tensor(np.ones(3)))
    opt = optim.Adam([a, b])
    a.grad = np.array([8.0, -4.0])
    b.grad = np.array([1.0, np.nan, 2.0])
    scaler.unscale_(opt)
    np.testing.assert_array_equal(a.grad, [2.0, -1.0])
    before = a.data.copy()
    scaler.step(opt)  # a NaN anywhere skips the whole step
    np.testing.assert_array_equal(a.data, before)
    scaler.update()
    assert scaler.get_scale() == 2.0


def test_call_order_errors_match_pytorch():
    scaler = GradScaler("cpu")
    p = nn.Parameter(Tensor(np.ones(2)))
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match="No inf checks were recorded|no inf checks"):
        scaler.update()
    scaler.scale(p.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"being called after step\(\)"):
        scaler.unscale_(opt)
    scaler.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)


def test_growth_that_would_overflow_is_skipped():
    big = float(np.finfo(np.float64).max) / 1.5
    scaler = GradScaler("cpu", init_scale=big, growth_interval=1)
    p = nn.Parameter(Tensor(np.ones(1)))
    opt = optim.SGD([p], lr=0.0)
    p.grad = np.array([1.0])
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == big


def test_nested_outputs_are_scaled_and_disabled_scaler_passes_through():
    scaler = GradScaler("cpu", init_scale=3.0)
    out = scaler.scale([Tensor(np.ones(1)), (Tensor(np.full(2, 2.0)),)])
    assert out[0].data.tolist() == [3.0] and out[1][0].data.tolist() == [6.0, 6.0]
    off = GradScaler("cpu", enabled=False)
    t = Tensor(np.array(2.0))
    assert off.scale(t) is t and off.get_scale() == 1.0 and off.state_dict() == {}
    p = nn.Parameter(Tensor(np.ones(1)))
    p.grad = np.array([1.0])
    off.step(optim.SGD([p], lr=0.5))
    assert p.data.tolist() == [0.5]


def test_state_dict_round_trip_and_bad_loads():
    scaler = GradScaler("cpu", init_scale=16.0, growth_factor=3.0, growth_interval=5)
    scaler._growth_tracker = 2
    saved = scaler.state_dict()
    assert saved == {"scale": 16.0, "growth_factor": 3.0, "backoff_factor": 0.5,
                     "growth_interval": 5, "_growth_tracker": 2}  # fmt: skip
    fresh = GradScaler("cpu")
    fresh.load_state_dict(saved)
    assert fresh.state_dict() == saved
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        fresh.load_state_dict({})
    with pytest.raises(ValueError, match="growth_factor must be > 1.0"):
        fresh.load_state_dict({**saved, "growth_factor": 0.5})
    assert fresh.state_dict() == saved  # unchanged by the refused loads


@pytest.mark.parametrize(
    "kwargs, message",
    [({"growth_factor": 1.0}, "growth_factor must be > 1.0"),
     ({"backoff_factor": 1.5}, "backoff_factor must be in"),
     ({"init_scale": -1.0}, "init_scale must be > 0"),
     ({"growth_interval": 0}, "growth_interval must be > 0")],
)  # fmt: skip
def test_invalid_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GradScaler("cpu", **kwargs)


def test_cuda_scaler_and_autocast_disable_themselves_with_a_warning():
    with pytest.warns(UserWarning, match="CUDA is not available. Disabling"):
        assert not tg.amp.GradScaler("cuda").is_enabled()
    with pytest.warns(FutureWarning, match="deprecated"):
        scaler = tg.cuda.amp.GradScaler(enabled=False)
    assert not scaler.is_enabled()
    x = Tensor(np.ones((2, 2), dtype=np.float32))
    with pytest.warns(UserWarning, match="disabling autocast"):
        with tg.autocast("cpu", dtype=None):
            assert not tg.is_autocast_enabled("cpu")
            assert (x @ x).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tg.autocast("cpu", enabled=False):
            pass

    @tg.autocast("cpu", enabled=False)
    def double(t):
        return t * 2

    assert double(x).data.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.warns(FutureWarning):
        ctx = tg.cuda.amp.autocast(False)  # torch.cuda.amp.autocast's first argument: enabled
    assert ctx._enabled is False


def test_compile_returns_the_model_itself():
    model = nn.Linear(2, 2)
    assert tg.compile(model) is model
    assert tg.compile(mode="max-autotune")(model) is model
    assert not tg.compiler.is_compiling()
    with pytest.raises(RuntimeError, match="Either mode or options"):
        tg.compile(model, mode="default", options={})
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        tg.compile(model, mode="fastest")
    with pytest.raises(RuntimeError, match="Model must be callable"):
        tg.compile(3)
    assert tg.cpu.is_available() and tg.cpu.device_count() == 1


def test_autocast_switches_and_cond():
    with pytest.warns(UserWarning, match="disabling autocast"):
        tg.set_autocast_enabled("cpu", True)
    assert not tg.is_autocast_enabled("cpu") and not tg.is_autocast_cpu_enabled()
    tg.set_autocast_cache_enabled(False)
    assert not tg.is_autocast_cache_enabled()
    tg.set_autocast_cache_enabled(True)
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = tg.cond(Tensor(np.array(True)), lambda t: t * 3, lambda t: t * 5, (x,))
    y.sum().backward()
    assert y.data.tolist() == [6.0] and x.grad.tolist() == [3.0]
    assert tg.cond(False, lambda t: t * 3, lambda t: t * 5, (x,)).data.tolist() == [10.0]
    with pytest.raises(RuntimeError, match="one element"):
        tg.cond(Tensor(np.array([True, False])), lambda: 1, lambda: 2)
    # top-level forms of two Tensor methods
    assert tg.as_strided(tg.arange(6.0), (2, 2), (1, 2)).data.tolist() == [[0, 2], [1, 3]]
    assert tg.nonzero_static(Tensor(np.array([0, 3])), size=2).data.tolist() == [[1], [-1]]
