"""LoRA: zero-initialised update, frozen base (bit-identical after training), adaptation to
a shifted task, merge/unmerge, and only adapter parameters reaching the optimizer."""

import numpy as np
import pytest

from tinygrad_opt import Tensor, loss, manual_seed, nn, optim


def base_model():
    manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 4))


def wrap(model, r=4, alpha=8):
    wrapped = nn.Sequential(
        nn.LoRALinear(model[0], r=r, alpha=alpha),
        model[1],
        nn.LoRALinear(model[2], r=r, alpha=alpha),
    )
    nn.lora.mark_only_lora_as_trainable(wrapped)
    return wrapped


def test_lora_starts_as_identity_update_and_freezes_base():
    model = base_model()
    x = Tensor(np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))
    before = model(x).data.copy()
    wrapped = wrap(model)
    np.testing.assert_array_equal(wrapped(x).data, before)
    names = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    assert names == ["0.lora_A", "0.lora_B", "2.lora_A", "2.lora_B"]
    assert wrapped[0].lora_A.shape == (4, 8) and wrapped[0].lora_B.shape == (32, 4)
    assert np.all(wrapped[0].lora_B.data == 0) and np.any(wrapped[0].lora_A.data != 0)
    # A is kaiming_uniform(a=sqrt(5)) as peft: U(-1/sqrt(in), 1/sqrt(in)); 32 draws reach
    # past half the bound unless the distribution is a different one
    bound = 1 / np.sqrt(8)
    a = np.abs(wrapped[0].lora_A.data)
    assert a.max() <= bound and a.max() > 0.5 * bound and a.mean() > 0.35 * bound
    assert wrapped[0].scaling == 2.0
    assert "0.base.weight" in wrapped.state_dict()
    adapters = {"0.lora_A", "0.lora_B", "2.lora_A", "2.lora_B"}
    assert set(nn.lora.lora_state_dict(wrapped)) == adapters


def test_lora_adapts_a_frozen_model_to_a_shifted_task():
    model = base_model()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    shift = (rng.standard_normal((4, 2)) @ rng.standard_normal((2, 8))).astype(np.float32)
    target = model(Tensor(x)).data + 0.5 * np.tanh(x @ shift.T)
    wrapped = wrap(model)
    frozen = {k: v.copy() for k, v in wrapped.state_dict().items() if "lora_" not in k}
    trainable = [p for p in wrapped.parameters() if p.requires_grad]
    assert len(trainable) == 4
    opt = optim.Adam(trainable, lr=1e-2)
    xt = Tensor(x)
    start = loss.mse_loss(wrapped(xt), target).item()
    for _ in range(300):
        opt.zero_grad()
        out = loss.mse_loss(wrapped(xt), target)
        out.backward()
        opt.step()
    end = loss.mse_loss(wrapped(xt), target).item()
    assert end < 0.05 * start, (start, end)
    for key, value in wrapped.state_dict().items():
        if "lora_" not in key:
            assert np.array_equal(value, frozen[key]), f"{key} changed"
    for layer in (wrapped[0], wrapped[2]):
        assert layer.base.weight.grad is None


def trained_adapters_and_input(seed):
    """A wrapped model whose B matrices are no longer zero, and an input batch."""
    model = wrap(base_model())
    rng = np.random.default_rng(seed)
    for layer in (model[0], model[2]):
        layer.lora_B.data[:] = rng.standard_normal(layer.lora_B.shape)
    return model, Tensor(rng.standard_normal((6, 8)).astype(np.float32))


def test_merge_and_unmerge_are_exact_to_rounding():
    model, x = trained_adapters_and_input(2)
    unmerged = model(x).data
    weights = [model[i].base.weight.data.copy() for i in (0, 2)]
    for i in (0, 2):
        model[i].merge()
    np.testing.assert_allclose(model(x).data, unmerged, rtol=1e-5, atol=1e-5)
    expected = weights[0] + 2.0 * model[0].lora_B.data @ model[0].lora_A.data
    np.testing.assert_allclose(model[0].base.weight.data, expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(RuntimeError, match="already merged"):
        model[0].merge()
    for i in (0, 2):
        model[i].unmerge()
    for i, w in zip((0, 2), weights):
        np.testing.assert_allclose(model[i].base.weight.data, w, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model(x).data, unmerged, rtol=1e-5, atol=1e-5)


def test_a_merged_layers_state_loads_merged_so_the_update_counts_once():
    """A merged layer's saved weight already holds scaling * B A: the layer loading it must
    come out merged (its output base(x) alone), not add the update a second time."""
    model, x = trained_adapters_and_input(3)
    expected = model(x).data
    model[0].merge()
    saved = model.state_dict()
    assert saved["0.merged"].dtype == bool and saved["0.merged"] and not saved["2.merged"]
    fresh = wrap(base_model())
    fresh.load_state_dict(saved)
    assert fresh[0].is_merged() and not fresh[2].is_merged()
    np.testing.assert_allclose(fresh(x).data, expected, rtol=1e-5, atol=1e-5)
    fresh[0].unmerge()  # and back: the base weight as it was before the merge
    np.testing.assert_allclose(
        fresh[0].base.weight.data, base_model()[0].weight.data, rtol=0, atol=1e-6
    )
    # an unmerged state loaded into a merged layer unmerges its flag with its weight
    fresh.load_state_dict(wrap(base_model()).state_dict())
    assert not fresh[0].is_merged()
    assert "0.merged" not in nn.lora.lora_state_dict(model)  # adapters only


def test_lora_dropout_is_inverted_dropout_on_the_adapter_input_only():
    """With A = B = I the adapter's output is scaling * dropout(x) element by element, so
    each output minus the base output must be 0 or scaling / (1 - p), dropped at rate p."""
    p, scaling = 0.25, 2.0
    manual_seed(0)
    layer = nn.LoRALinear(nn.Linear(4, 4, dtype=np.float64), r=4, alpha=8, dropout=p)
    layer.lora_A.data[:] = np.eye(4)
    layer.lora_B.data[:] = np.eye(4)
    x = Tensor(np.ones((2000, 4)))
    base = x.data @ layer.base.weight.data.T + layer.base.bias.data
    manual_seed(3)
    adapter = layer(x).data - base
    dropped = np.isclose(adapter, 0.0, atol=1e-12)
    kept = np.isclose(adapter, scaling / (1 - p), rtol=1e-12)
    assert np.all(dropped | kept)
    assert abs(dropped.mean() - p) < 0.02  # 8000 draws: std of the rate ~0.005
    manual_seed(3)
    np.testing.assert_array_equal(layer(x).data - base, adapter)  # seeded by manual_seed
    layer.eval()
    np.testing.assert_allclose(layer(x).data - base, scaling, rtol=1e-12)


def test_mark_only_lora_as_trainable_freezes_every_other_layer_and_bias_all():
    manual_seed(0)
    model = nn.Sequential(nn.LoRALinear(nn.Linear(3, 4), r=2), nn.LayerNorm(4), nn.Linear(4, 2))
    nn.lora.mark_only_lora_as_trainable(model)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["0.lora_A", "0.lora_B"]
    nn.lora.mark_only_lora_as_trainable(model, bias="all")
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["0.lora_A", "0.lora_B", "0.base.bias", "1.bias", "2.bias"]
    with pytest.raises(ValueError, match="bias"):
        nn.lora.mark_only_lora_as_trainable(model, bias="lora_only")


def test_lora_dropout_and_bad_arguments():
    manual_seed(0)
    layer = nn.LoRALinear(nn.Linear(4, 3), r=2, alpha=4, dropout=0.5)
    layer.lora_B.data[:] = 1.0
    x = Tensor(np.ones((2, 4), np.float32))
    layer.eval()
    a = layer(x).data
    expected = x.data @ layer.base.weight.data.T + layer.base.bias.data
    expected = expected + 2.0 * (x.data @ layer.lora_A.data.T) @ layer.lora_B.data.T
    np.testing.assert_allclose(a, expected, rtol=1e-5)
    layer.train()
    assert not np.allclose(layer(x).data, a)  # dropout on the adapter path in training
    with pytest.raises(TypeError):
        nn.LoRALinear(nn.Conv2d(1, 1, 1))
    with pytest.raises(ValueError):
        nn.LoRALinear(nn.Linear(2, 2), r=0)
    with pytest.raises(ValueError, match=r"\(\*, 4\)"):
        nn.LoRALinear(nn.Linear(4, 2))(Tensor(np.zeros((1, 3), np.float32)))


@pytest.mark.parametrize("kwargs, name", [
    ({"alpha": "16"}, "alpha"), ({"dropout": "0.1"}, "dropout"), ({"alpha": None}, "alpha"),
])
def test_lora_refuses_non_numbers_by_name_and_leaves_the_base_trainable(kwargs, name):
    base = nn.Linear(4, 2)
    with pytest.raises(TypeError, match=f"LoRALinear: {name} must be a number"):
        nn.LoRALinear(base, **kwargs)
    assert base.weight.requires_grad and base.bias.requires_grad
