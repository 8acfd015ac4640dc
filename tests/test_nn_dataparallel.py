"""nn.DataParallel as PyTorch without GPUs: forward is the wrapped module's, state_dict keys
carry the `module.` prefix, so DataParallel checkpoints load; argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_opt import Tensor, nn


def test_forward_is_the_wrapped_module_and_gradients_reach_it():
    rng = np.random.default_rng(0)
    inner = nn.Linear(3, 2)
    wrapped = nn.DataParallel(inner, device_ids=[0, 1], output_device=0, dim=0)
    assert wrapped.module is inner and wrapped.device_ids == []
    x = rng.standard_normal((4, 3)).astype(np.float32)
    out = wrapped(Tensor(x))
    want = x @ inner.weight.data.T + inner.bias.data  # y = x W^T + b
    np.testing.assert_allclose(out.data, want, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(inner.weight.grad, np.tile(x.sum(0), (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(inner.bias.grad, [4.0, 4.0])


def test_keyword_inputs_are_passed_through():
    class Two(nn.Module):
        def forward(self, a, scale=1.0):
            return a * scale

    out = nn.DataParallel(Two())(Tensor(np.array([1.0, 2.0])), scale=3.0)
    np.testing.assert_allclose(out.data, [3.0, 6.0])


def test_state_dict_keys_carry_the_module_prefix_and_checkpoints_load():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    wrapped = nn.DataParallel(model)
    keys = list(wrapped.state_dict())
    assert keys == ["module." + k for k in model.state_dict()]
    assert keys[0] == "module.0.weight" and "module.1.running_mean" in keys
    # a checkpoint written from a DataParallel model: every key prefixed with "module."
    fresh = {k: np.full(v.shape, 0.5, v.dtype) for k, v in wrapped.state_dict().items()}
    other = nn.DataParallel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    other.load_state_dict(fresh)
    np.testing.assert_array_equal(other.module[0].weight.data, np.full((4, 3), 0.5))
    # and the bare module loads the un-prefixed keys
    bare = {k[len("module."):]: v for k, v in fresh.items()}
    nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).load_state_dict(bare)
    assert [n for n, _ in wrapped.named_parameters()][0] == "module.0.weight"


def test_train_and_eval_reach_the_wrapped_module():
    wrapped = nn.DataParallel(nn.Dropout(0.5))
    wrapped.eval()
    assert not wrapped.module.training


def test_bad_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        nn.DataParallel(lambda x: x)
    with pytest.raises(TypeError, match="device_ids"):
        nn.DataParallel(nn.Identity(), device_ids="cuda")
    with pytest.raises(TypeError, match="dim"):
        nn.DataParallel(nn.Identity(), dim=0.5)
