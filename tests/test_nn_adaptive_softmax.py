"""AdaptiveLogSoftmaxWithLoss against the paper's factorisation written with numpy from the
module's weights: log_prob rows are distributions, forward's output and loss are the
log-probabilities of the targets and their mean negative, predict is the argmax; float64
finite-difference gradients; submodules, state_dict keys, sizes and init as torch.nn; errors."""

import inspect

import numpy as np
import pytest
from finite_differences import finite_difference_check
from test_nn_gradcheck import check_grads

from tinygrad_opt import Tensor, nn


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def make(in_features=12, n_classes=11, cutoffs=(3, 7), div_value=2.0, **kwargs):
    # div_value 2 keeps every tail's projection at least 1 wide for 12 features
    return nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, list(cutoffs), div_value,
                                         dtype=np.float64, **kwargs)


def reference_log_prob(module, x):
    """log p(c | x) from the paper's two-level factorisation, class by class."""
    head = x @ module.head.weight.data.T
    if module.head.bias is not None:
        head = head + module.head.bias.data
    head = log_softmax(head)
    cutoffs = [0] + module.cutoffs
    out = np.empty((x.shape[0], module.n_classes))
    for c in range(module.n_classes):
        if c < cutoffs[1]:
            out[:, c] = head[:, c]
            continue
        i = next(k for k in range(1, len(cutoffs)) if cutoffs[k] <= c < cutoffs[k + 1]) - 1
        projection, output = module.tail[i]
        tail = log_softmax(x @ projection.weight.data.T @ output.weight.data.T)
        out[:, c] = head[:, cutoffs[1] + i] + tail[:, c - cutoffs[i + 1]]
    return out


def test_structure_state_dict_and_sizes():
    module = make(in_features=16, n_classes=10, cutoffs=(3, 6), div_value=2.0)
    assert module.cutoffs == [3, 6, 10]
    assert (module.shortlist_size, module.n_clusters, module.head_size) == (3, 2, 5)
    shapes = {k: v.shape for k, v in module.state_dict().items()}
    assert shapes == {
        "head.weight": (5, 16), "tail.0.0.weight": (8, 16), "tail.0.1.weight": (3, 8),
        "tail.1.0.weight": (4, 16), "tail.1.1.weight": (4, 4),
    }
    names = [name for name, _ in module.named_modules()]
    assert names == ["", "head", "tail", "tail.0", "tail.0.0", "tail.0.1", "tail.1",
                     "tail.1.0", "tail.1.1"]
    default = nn.AdaptiveLogSoftmaxWithLoss(64, 20, [5, 10])  # div_value 4: 64 // 4, 64 // 16
    assert [tail[0].out_features for tail in default.tail] == [16, 4]
    assert default.div_value == 4.0 and default.head.bias is None
    biased = make(head_bias=True)
    assert "head.bias" in biased.state_dict() and biased.head.bias.shape == (5,)
    params = inspect.signature(nn.AdaptiveLogSoftmaxWithLoss).parameters
    assert [(k, v.default) for k, v in params.items()][:5] == [
        ("in_features", inspect.Parameter.empty), ("n_classes", inspect.Parameter.empty),
        ("cutoffs", inspect.Parameter.empty), ("div_value", 4.0), ("head_bias", False),
    ]


def test_init_is_linear_default():
    module = make(in_features=64, n_classes=20, cutoffs=(5,), div_value=4.0, head_bias=True)
    for linear in (module.head, module.tail[0][0], module.tail[0][1]):
        bound = 1 / np.sqrt(linear.in_features)
        w = linear.weight.data
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(module.head.bias.data).max() <= 1 / 8


def test_log_prob_is_a_distribution_matching_the_factorisation():
    module = make(head_bias=True)
    x = np.random.default_rng(1).standard_normal((6, 12))
    out = module.log_prob(Tensor(x))
    assert out.shape == (6, 11)
    np.testing.assert_allclose(np.exp(out.data).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(out.data, reference_log_prob(module, x), rtol=1e-12)


@pytest.mark.parametrize("cutoffs", [(3, 7), (5,), (1, 2, 10)])
def test_forward_output_loss_and_predict(cutoffs):
    module = make(cutoffs=cutoffs)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 12))
    target = rng.integers(0, 11, size=9)
    target[:3] = [0, 10, cutoffs[0]]  # the first and last class and a cluster's first class
    result = module(Tensor(x), target)
    assert type(result).__name__ == "_ASMoutput" and result._fields == ("output", "loss")
    full = reference_log_prob(module, x)
    np.testing.assert_allclose(result.output.data, full[np.arange(9), target], rtol=1e-12)
    np.testing.assert_allclose(result.loss.data, -full[np.arange(9), target].mean(), rtol=1e-12)
    output, loss_value = result
    assert output is result.output and loss_value.shape == ()
    predicted = module.predict(Tensor(x))
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted.data, full.argmax(axis=1))


def test_only_shortlist_targets_and_unbatched():
    module = make()
    x = np.random.default_rng(3).standard_normal((4, 12))
    full = reference_log_prob(module, x)
    shortlist = module(Tensor(x), np.array([0, 1, 2, 1]))
    np.testing.assert_allclose(shortlist.output.data, full[np.arange(4), [0, 1, 2, 1]])
    single = module(Tensor(x[2]), Tensor(np.array(8)))
    assert single.output.shape == () and single.loss.shape == ()
    np.testing.assert_allclose(single.output.data, full[2, 8], rtol=1e-12)
    np.testing.assert_allclose(single.loss.data, -full[2, 8], rtol=1e-12)


def test_gradients_match_finite_differences():
    module = make(head_bias=True, cutoffs=(2, 5))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, 12))
    target = np.array([0, 1, 2, 4, 5, 10, 6])
    arrays = {"input": x, **dict(module.named_parameters())}
    finite_difference_check(lambda t: [module(t["input"], target).loss], arrays)
    check_grads(lambda inp: module.log_prob(inp), x)


def test_unused_cluster_gets_no_tail_evaluation():
    module = make(cutoffs=(3, 7))
    x = Tensor(np.random.default_rng(5).standard_normal((3, 12)))
    module(x, np.array([0, 4, 5])).loss.backward()
    assert module.tail[0][0].weight.grad is not None
    assert module.tail[1][0].weight.grad is None  # no target in [7, 11): not computed


@pytest.mark.parametrize(
    "cutoffs, error, match",
    [
        ([], ValueError, "length larger than 0"),
        ([3, 3], ValueError, "unique, positive integers"),
        ([0, 5], ValueError, "unique, positive integers"),
        ([5, 3], ValueError, "unique, positive integers"),
        ([3, 11], ValueError, "between 1 and n_classes-1"),
        ([3.0, 6], TypeError, "cutoffs must be ints"),
    ],
)
def test_bad_cutoffs(cutoffs, error, match):
    with pytest.raises(error, match=match):
        nn.AdaptiveLogSoftmaxWithLoss(12, 11, cutoffs)


def test_bad_inputs_and_targets():
    module = make()
    x = Tensor(np.zeros((4, 12)))
    with pytest.raises(ValueError, match=r"target values should be in \[0, 10\].*\[1, 11\]"):
        module(x, np.array([1, 2, 3, 11]))
    with pytest.raises(ValueError, match=r"\[-1, 2\]"):
        module(x, np.array([-1, 2, 0, 0]))
    with pytest.raises(ValueError, match="same size in the batch dimension"):
        module(x, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"\(N, 12\)"):
        module(Tensor(np.zeros((4, 11))), np.array([1, 2, 3, 4]))
    with pytest.raises(TypeError, match="integer class indices"):
        module(x, np.array([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match=r"log_prob: input must have shape \(N, 12\)"):
        module.log_prob(Tensor(np.zeros(12)))
    with pytest.raises(ValueError, match="predict"):
        module.predict(Tensor(np.zeros((2, 3, 12))))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.AdaptiveLogSoftmaxWithLoss(0, 11, [3])
