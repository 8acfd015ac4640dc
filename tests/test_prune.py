"""nn.utils.prune: masks against references written here (entries ranked by a Python sort on
(|w|, index), per-channel norms by a loop over channels, counts by the documented rounding),
iterative pruning (PruningContainer), global_unstructured, remove(), state_dict round trips,
gradients (closed form and float64 central differences), training with pruned weights, and
bad input leaving the module unchanged."""

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, manual_seed, nn, optim
from tinygrad_opt.nn.utils import prune


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def linear(i, o, seed=0, dtype=np.float32):
    layer = nn.Linear(i, o, dtype=dtype)
    layer.weight.data[...] = randn(o, i, seed=seed)
    layer.bias.data[...] = randn(o, seed=seed + 100)
    return layer


def smallest(values, k):
    """Flat indices of the k smallest |values|, ties to the lower index (Python's sort)."""
    flat = [abs(float(v)) for v in np.ravel(values)]
    return sorted(range(len(flat)), key=lambda i: (flat[i], i))[:k]


def mask_without(shape, pruned):
    mask = np.ones(int(np.prod(shape)))
    mask[list(pruned)] = 0
    return mask.reshape(shape)


def channel_norm(w, dim, c, p):
    x = np.abs(np.take(w, c, axis=dim).astype(np.float64)).ravel()
    if p == math.inf:
        return x.max()
    return (x**p).sum() ** (1 / p)


def snapshot(module):
    return (
        type(module),
        {k: v.copy() for k, v in module.state_dict().items()},
        dict(module.__dict__.get("_weight_hooks", {})),
        prune.is_pruned(module),
    )


def assert_unchanged(module, before):
    after = snapshot(module)
    assert after[0] is before[0]
    assert list(after[1]) == list(before[1])
    for key in before[1]:
        np.testing.assert_array_equal(after[1][key], before[1][key])
    assert after[2] == before[2] and after[3] == before[3]


# ------------------------------------------------------------------ unstructured
@pytest.mark.parametrize("amount, count", [(0.3, 6), (0.5, 10), (0, 0), (1.0, 20), (7, 7)])
def test_l1_unstructured_prunes_the_smallest(amount, count):
    layer = linear(5, 4)
    w = layer.weight.data.copy()
    assert prune.l1_unstructured(layer, "weight", amount=amount) is layer
    expected = mask_without(w.shape, smallest(w, count))
    np.testing.assert_array_equal(layer.weight_mask.data, expected)
    np.testing.assert_array_equal(layer.weight.data, w * expected)
    assert layer.weight_orig.data is not None and np.array_equal(layer.weight_orig.data, w)
    assert isinstance(layer.weight_orig, nn.Parameter)
    assert not isinstance(layer.weight, nn.Parameter)
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in layer.named_buffers()] == ["weight_mask"]
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert isinstance(layer, nn.Linear) and type(layer).__name__ == "Linear"


def test_fraction_rounds_half_to_even():
    # round(0.5 * 5) = 2 and round(0.5 * 7) = 4: Python's round, as PyTorch
    for size, count in ((5, 2), (7, 4), (3, 2)):
        w = randn(size, seed=size)
        mask = prune.L1Unstructured(0.5).compute_mask(Tensor(w), Tensor(np.ones(size))).data
        assert int(size - mask.sum()) == count


def test_ties_go_to_the_lower_index():
    w = np.array([2.0, -1.0, 1.0, 0.0, -0.0, 1.0, 3.0, np.nan])
    mask = prune.L1Unstructured(4).compute_mask(Tensor(w), Tensor(np.ones(8))).data
    np.testing.assert_array_equal(mask, [1, 0, 0, 0, 0, 1, 1, 1])
    mask = prune.L1Unstructured(7).compute_mask(Tensor(w), Tensor(np.ones(8))).data
    np.testing.assert_array_equal(mask, [0, 0, 0, 0, 0, 0, 0, 1])  # NaN counts as largest


def test_importance_scores_choose_what_is_pruned():
    layer = linear(4, 3)
    w = layer.weight.data.copy()
    scores = randn(3, 4, seed=7)
    prune.l1_unstructured(layer, "weight", amount=5, importance_scores=Tensor(scores))
    expected = mask_without(w.shape, smallest(scores, 5))
    np.testing.assert_array_equal(layer.weight_mask.data, expected)
    np.testing.assert_array_equal(layer.weight_orig.data, w)


def test_random_unstructured_is_seeded_and_counts():
    masks = []
    for _ in range(2):
        manual_seed(3)
        layer = linear(6, 5)
        prune.random_unstructured(layer, "weight", amount=0.4)
        masks.append(layer.weight_mask.data.copy())
    np.testing.assert_array_equal(masks[0], masks[1])
    assert set(np.unique(masks[0])) <= {0.0, 1.0} and masks[0].sum() == 30 - 12
    manual_seed(4)
    other = linear(6, 5)
    prune.random_unstructured(other, "weight", amount=0.4)
    assert not np.array_equal(other.weight_mask.data, masks[0])


# ------------------------------------------------------------------ structured
@pytest.mark.parametrize("n", [1, 2, 3, math.inf])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ln_structured_prunes_channels_of_smallest_norm(n, dim):
    conv = nn.Conv2d(4, 6, 3)
    w = conv.weight.data.copy()
    prune.ln_structured(conv, "weight", amount=0.5, n=n, dim=dim)
    axis = dim % 4
    norms = [channel_norm(w, axis, c, n) for c in range(w.shape[axis])]
    k = round(0.5 * w.shape[axis])
    pruned = sorted(range(len(norms)), key=lambda c: (norms[c], c))[:k]
    expected = np.ones(w.shape)
    for c in pruned:
        index = [slice(None)] * 4
        index[axis] = c
        expected[tuple(index)] = 0
    np.testing.assert_array_equal(conv.weight_mask.data, expected)
    np.testing.assert_array_equal(conv.weight.data, w * expected)


def test_ln_structured_norm_variants():
    w = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
    ones = Tensor(np.ones((4, 3)))
    # p = 0 counts nonzeros: 1, 2, 0, 3 -> rows 2 and 0 go
    mask = prune.LnStructured(2, 0, dim=0).compute_mask(Tensor(w), ones).data
    np.testing.assert_array_equal(mask[:, 0], [0, 1, 0, 1])
    # 'fro' is the 2-norm: sqrt(1), sqrt(2), 0, sqrt(12)
    mask = prune.LnStructured(1, "fro", dim=0).compute_mask(Tensor(w), ones).data
    np.testing.assert_array_equal(mask[:, 0], [1, 1, 0, 1])
    # 'nuc' on a 3-D tensor: the sum of singular values of each channel's matrix
    t = randn(5, 3, 4, seed=2)
    nuc = [np.linalg.svd(t[c], compute_uv=False).sum() for c in range(5)]
    method = prune.LnStructured(2, "nuc", dim=0)
    mask = method.compute_mask(Tensor(t), Tensor(np.ones(t.shape))).data
    expected = np.ones(5)
    expected[np.argsort(nuc)[:2]] = 0
    np.testing.assert_array_equal(mask[:, 0, 0], expected)


def test_random_structured_prunes_whole_channels():
    manual_seed(0)
    conv = nn.Conv2d(5, 8, 3)
    prune.random_structured(conv, "weight", amount=3, dim=0)
    per_channel = conv.weight_mask.data.reshape(8, -1)
    assert set(per_channel.min(axis=1)) <= {0.0, 1.0}
    np.testing.assert_array_equal(per_channel.min(axis=1), per_channel.max(axis=1))
    assert per_channel.max(axis=1).sum() == 5


def test_custom_from_mask_and_identity():
    layer = linear(3, 2)
    w = layer.weight.data.copy()
    mask = np.array([[1, 0, 1], [0, 0, 1]], dtype=bool)
    prune.custom_from_mask(layer, "weight", mask=mask)
    np.testing.assert_array_equal(layer.weight.data, w * mask)
    assert layer.weight_mask.dtype == np.float32
    other = linear(3, 2)
    prune.identity(other, "bias")
    np.testing.assert_array_equal(other.bias_mask.data, np.ones(2))
    assert list(other.state_dict()) == ["weight", "bias_orig", "bias_mask"]


# ------------------------------------------------------------------ iterative pruning
def test_second_pruning_only_sees_unpruned_entries():
    layer = linear(5, 4)
    w = layer.weight.data.copy()
    prune.l1_unstructured(layer, "weight", amount=8)
    first = mask_without(w.shape, smallest(w, 8))
    # scores smallest exactly where already pruned: the new method must still take 3 more
    scores = np.where(first == 0, 0.0, np.abs(randn(4, 5, seed=9)) + 1)
    method = prune.L1Unstructured.apply(layer, "weight", 0.25, importance_scores=Tensor(scores))
    assert isinstance(method, prune.PruningContainer) and len(method) == 2
    alive = np.flatnonzero(first.ravel())
    extra = [alive[i] for i in smallest(scores.ravel()[alive], round(0.25 * alive.size))]
    expected = first.ravel().copy()
    expected[extra] = 0
    np.testing.assert_array_equal(layer.weight_mask.data.ravel(), expected)
    assert layer.weight_mask.data.sum() == 20 - 8 - 3
    # a third method joins the same container
    again = prune.RandomUnstructured.apply(layer, "weight", 2)
    assert again is method and len(method) == 3
    assert [type(m) for m in method] == [
        prune.L1Unstructured, prune.L1Unstructured, prune.RandomUnstructured
    ]
    assert layer.weight_mask.data.sum() == 7
    assert np.all(layer.weight_mask.data.ravel()[expected == 0] == 0)
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_mask"]


def test_structured_after_unstructured_counts_surviving_channels():
    layer = nn.Linear(4, 5)
    w = np.arange(20.0).reshape(5, 4) - 7
    layer.weight.data[...] = w
    prune.l1_unstructured(layer, "weight", 3)  # |0|, |-1|, |1| go
    first = layer.weight_mask.data.copy()
    prune.ln_structured(layer, "weight", 0.5, n=1, dim=0)
    t = w * first
    norms = [np.abs(t[r]).sum() for r in range(5)]
    gone = sorted(range(5), key=lambda r: (norms[r], r))[:2]  # round(2.5) = 2
    expected = first.copy()
    expected[gone] = 0
    np.testing.assert_array_equal(layer.weight_mask.data, expected)
    # now only 3 rows are nonzero: amount=1 of those 3 removes the smallest-norm survivor
    prune.ln_structured(layer, "weight", 1, n=1, dim=0)
    alive = [r for r in range(5) if r not in gone]
    expected[min(alive, key=lambda r: (norms[r], r))] = 0
    np.testing.assert_array_equal(layer.weight_mask.data, expected)


def test_pruning_container_api():
    a = prune.L1Unstructured(0.2)
    b = prune.RandomUnstructured(0.1)
    a._tensor_name = b._tensor_name = "weight"
    container = prune.PruningContainer(a, b)
    assert len(container) == 2 and container[0] is a and list(container) == [a, b]
    c = prune.L1Unstructured(1)
    c._tensor_name = "bias"
    with pytest.raises(ValueError, match="parameter named 'weight'.*Found 'bias'"):
        container.add_pruning_method(c)
    with pytest.raises(TypeError, match="not a BasePruningMethod"):
        container.add_pruning_method(3)
    assert len(container) == 2


# ------------------------------------------------------------------ global
def test_global_unstructured_ranks_all_tensors_together():
    layers = [linear(6, 4, seed=1), linear(4, 3, seed=2), linear(5, 5, seed=3)]
    prune.l1_unstructured(layers[0], "weight", 5)  # already pruned entries stay out
    scores = randn(3, 4, seed=5)
    pairs = [(m, "weight") for m in layers] + [(layers[1], "bias")]
    values = [
        layers[0].weight_orig.data * layers[0].weight_mask.data,
        scores,
        layers[2].weight.data.copy(),
        layers[1].bias.data.copy(),
    ]
    masks = [layers[0].weight_mask.data.copy(), np.ones((3, 4)), np.ones((5, 5)), np.ones(3)]
    originals = [layers[0].weight_orig.data.copy(), layers[1].weight.data.copy(), values[2]]
    prune.global_unstructured(
        pairs, prune.L1Unstructured, importance_scores={(layers[1], "weight"): Tensor(scores)},
        amount=0.4,
    )
    flat = np.concatenate([v.ravel() for v in values])
    alive = np.flatnonzero(np.concatenate([m.ravel() for m in masks]))
    gone = [alive[i] for i in smallest(flat[alive], round(0.4 * alive.size))]
    expected = np.concatenate([m.ravel() for m in masks])
    expected[gone] = 0
    got = np.concatenate(
        [layers[0].weight_mask.data.ravel(), layers[1].weight_mask.data.ravel(),
         layers[2].weight_mask.data.ravel(), layers[1].bias_mask.data.ravel()]
    )  # fmt: skip
    np.testing.assert_array_equal(got, expected)
    for layer, orig in zip(layers, originals):
        np.testing.assert_array_equal(layer.weight_orig.data, orig)
    assert list(layers[1].state_dict()) == ["weight_orig", "bias_orig", "weight_mask", "bias_mask"]


# ------------------------------------------------------------------ remove and state_dict
def test_remove_makes_pruning_permanent():
    layer = linear(5, 3)
    param = layer.weight
    prune.l1_unstructured(layer, "weight", 0.4)
    prune.l1_unstructured(layer, "weight", 2)
    masked = layer.weight_orig.data * layer.weight_mask.data
    assert prune.is_pruned(layer) and prune.is_pruned(nn.Sequential(nn.ReLU(), layer))
    assert prune.remove(layer, "weight") is layer
    assert layer.weight is param and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(layer.weight.data, masked)
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert type(layer) is nn.Linear and not prune.is_pruned(layer)
    assert not hasattr(layer, "weight_orig") and not hasattr(layer, "weight_mask")
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(layer, "weight")


def test_state_dict_round_trip(tmp_path):
    model = nn.Sequential(linear(4, 6, seed=1), nn.ReLU(), linear(6, 2, seed=2))
    prune.l1_unstructured(model[0], "weight", 0.5)
    prune.ln_structured(model[2], "weight", 1, n=2, dim=1)
    state = model.state_dict()
    assert list(state) == [
        "0.bias", "0.weight_orig", "0.weight_mask", "2.bias", "2.weight_orig", "2.weight_mask"
    ]
    path = tmp_path / "pruned.tgo"
    tg.save(state, path)
    fresh = nn.Sequential(linear(4, 6, seed=3), nn.ReLU(), linear(6, 2, seed=4))
    prune.identity(fresh[0], "weight")
    prune.identity(fresh[2], "weight")
    fresh.load_state_dict(tg.load(path))
    x = Tensor(randn(3, 4, seed=8).astype(np.float32))
    w0 = state["0.weight_orig"] * state["0.weight_mask"]
    w2 = state["2.weight_orig"] * state["2.weight_mask"]
    expected = np.maximum(x.data @ w0.T + state["0.bias"], 0) @ w2.T + state["2.bias"]
    np.testing.assert_allclose(fresh(x).data, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="weight_orig"):
        nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)).load_state_dict(state)


# ------------------------------------------------------------------ gradients and training
def test_gradient_reaches_orig_masked():
    layer = linear(4, 3, dtype=np.float64)
    prune.l1_unstructured(layer, "weight", 5)
    x = randn(6, 4, seed=1)
    g = randn(6, 3, seed=2)
    (layer(Tensor(x)) * Tensor(g)).sum().backward()
    mask = layer.weight_mask.data
    np.testing.assert_allclose(layer.weight_orig.grad, (g.T @ x) * mask, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-12)
    assert np.all(layer.weight_orig.grad[mask == 0] == 0)


def test_gradient_matches_central_differences():
    conv = nn.Conv2d(2, 3, 2, dtype=np.float64)
    prune.ln_structured(conv, "weight", 1, n=2, dim=0)
    prune.random_unstructured(conv, "weight", 0.3)
    x = Tensor(randn(1, 2, 3, 3, seed=4))
    r = randn(1, 3, 2, 2, seed=5)
    (conv(x) * Tensor(r)).sum().backward()
    orig = conv.weight_orig.data
    numeric = np.zeros_like(orig)
    for idx in np.ndindex(orig.shape):
        keep = orig[idx]
        values = []
        for step in (1e-6, -1e-6):
            orig[idx] = keep + step
            with tg.no_grad():
                values.append(float(np.sum(conv(x).data * r)))
        orig[idx] = keep
        numeric[idx] = (values[0] - values[1]) / 2e-6
    np.testing.assert_allclose(conv.weight_orig.grad, numeric, rtol=1e-6, atol=1e-8)


def test_training_keeps_pruned_weights_zero():
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    prune.l1_unstructured(model[0], "weight", 0.5)
    prune.random_structured(model[2], "weight", 3, dim=1)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    x = Tensor(randn(32, 3, seed=1).astype(np.float32))
    y = Tensor((x.data @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32))
    zeros = [layer.weight_mask.data == 0 for layer in (model[0], model[2])]
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        for layer, z in zip((model[0], model[2]), zeros):
            assert np.all(layer.weight.data[z] == 0)
    assert losses[-1] < 0.5 * losses[0]
    # the forward used orig * mask of the latest step (recomputed before each call)
    w0 = model[0].weight_orig.data * model[0].weight_mask.data
    w2 = model[2].weight_orig.data * model[2].weight_mask.data
    h = np.maximum(x.data @ w0.T + model[0].bias.data, 0)
    np.testing.assert_allclose(model(x).data, h @ w2.T + model[2].bias.data, rtol=1e-5, atol=1e-6)
    prune.remove(model[0], "weight")
    prune.remove(model[2], "weight")
    for layer, z in zip((model[0], model[2]), zeros):
        assert isinstance(layer.weight, nn.Parameter) and np.all(layer.weight.data[z] == 0)


# ------------------------------------------------------------------ methods on their own
class EveryOther(prune.BasePruningMethod):
    """The custom method of PyTorch's pruning tutorial, written with Tensor methods."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_custom_method_and_prune_on_a_tensor():
    layer = linear(3, 2)
    w = layer.weight.data.copy()
    EveryOther.apply(layer, "weight")
    np.testing.assert_array_equal(layer.weight_mask.data.ravel(), [0, 1, 0, 1, 0, 1])
    # iterative: every other of the 3 survivors (positions 1, 3, 5) goes
    EveryOther.apply(layer, "weight")
    np.testing.assert_array_equal(layer.weight_mask.data.ravel(), [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(layer.weight.data.ravel(), w.ravel() * [0, 0, 0, 1, 0, 0])
    t = Tensor(randn(5))
    np.testing.assert_array_equal(
        prune.L1Unstructured(2).prune(t).data, t.data * mask_without(5, smallest(t.data, 2))
    )


# ------------------------------------------------------------------ bad input
BAD = [
    (lambda m: prune.l1_unstructured(m, "weight", -1), ValueError, "amount=-1 should either"),
    (lambda m: prune.l1_unstructured(m, "weight", -0.1), ValueError,
     r"float in the range \[0, 1\]"),
    (lambda m: prune.l1_unstructured(m, "weight", 1.5), ValueError, "amount=1.5 should either"),
    (lambda m: prune.l1_unstructured(m, "weight", float("nan")), ValueError, "amount=nan"),
    (lambda m: prune.random_unstructured(m, "weight", 13), ValueError,
     "amount=13 should be smaller than or equal to the number of parameters to prune=12"),
    (lambda m: prune.l1_unstructured(m, "weight", "a"), TypeError, "Invalid type for amount"),
    (lambda m: prune.l1_unstructured(m, "foo", 1), ValueError, "'foo' of Linear does not exist"),
    (lambda m: prune.ln_structured(m, "weight", 1, 2, dim=2), ValueError,
     "dimension 2 is out of range"),
    (lambda m: prune.random_structured(m, "weight", 1, dim=-3), ValueError,
     "dimension -3 is out of range"),
    (lambda m: prune.random_structured(m, "weight", 4, dim=0), ValueError,
     "parameters to prune=3"),
    (lambda m: prune.ln_structured(m, "bias", 1, 2, dim=0), ValueError,
     "Structured pruning can only be applied to multidimensional tensors"),
    (lambda m: prune.ln_structured(m, "weight", 1, "max", dim=0), ValueError, "n must be"),
    (lambda m: prune.l1_unstructured(m, "weight", 1, importance_scores=Tensor(np.ones(4))),
     ValueError, "same shape as parameter weight"),
    (lambda m: prune.custom_from_mask(m, "weight", np.ones(4)), ValueError, "shape"),
    (lambda m: prune.global_unstructured([(m, "weight")], prune.RandomStructured, amount=1),
     TypeError, 'Only "unstructured"'),
    (lambda m: prune.global_unstructured([(m, "weight"), (m, "nope")], prune.L1Unstructured,
                                         amount=1), ValueError, "'nope'"),
    (lambda m: prune.global_unstructured(3, prune.L1Unstructured, amount=1), TypeError,
     "not an Iterable"),
    (lambda m: prune.global_unstructured([(m, "weight")], prune.L1Unstructured,
                                         importance_scores=[1], amount=1), TypeError,
     "must be of type dict"),
    (lambda m: prune.remove(m, "bias"), ValueError, "has to be pruned"),
]  # fmt: skip


@pytest.mark.parametrize("pruned_before", [False, True])
@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_input_raises_and_changes_nothing(call, error, message, pruned_before):
    layer = linear(4, 3)
    if pruned_before:
        prune.l1_unstructured(layer, "weight", 0)  # 12 entries left, as before
        container = prune.L1Unstructured.apply(layer, "weight", 0)
    before = snapshot(layer)
    with pytest.raises(error, match=message):
        call(layer)
    assert_unchanged(layer, before)
    if pruned_before:
        assert len(container) == 2


def test_bad_parameter_kinds():
    norm = nn.BatchNorm1d(3)
    with pytest.raises(TypeError, match="'running_mean' of BatchNorm1d is a buffer"):
        prune.l1_unstructured(norm, "running_mean", 1)
    layer = nn.Linear(3, 2, bias=False)
    before = snapshot(layer)
    with pytest.raises(ValueError, match="'bias' of Linear is None"):
        prune.l1_unstructured(layer, "bias", 1)
    assert_unchanged(layer, before)
    with pytest.raises(TypeError, match="expected an nn.Module"):
        prune.l1_unstructured(np.ones(3), "weight", 1)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        prune.L1Unstructured(Tensor(np.ones(1)))
