"""CTC loss against a brute-force reference that enumerates every alignment of tiny inputs
and sums their probabilities, closed forms for repeated labels and impossible targets,
every reduction, both target layouts, unbatched input, zero_infinity, float64 finite
differences of the gradient, a plain-loop forward recursion for a batch large enough for
the parallel kernels, and argument errors."""

import inspect
import itertools

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, loss, loss_ctc_kernels, nn


def collapse(path, blank):
    """Graves' map B: merge repeated labels, then drop blanks."""
    out = []
    previous = None
    for c in path:
        if c != previous and c != blank:
            out.append(c)
        previous = c
    return tuple(out)


def brute_force(log_probs, target, steps, blank=0):
    """-log sum over all paths of length `steps` that collapse to `target` of their
    probability (log_probs (T, C) of one sample)."""
    classes = log_probs.shape[1]
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        if collapse(path, blank) == tuple(target):
            total += np.exp(sum(log_probs[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def batch(seed, steps=5, n=3, classes=3, longest=3):
    rng = np.random.default_rng(seed)
    lp = log_softmax(rng.standard_normal((steps, n, classes)))
    targets = rng.integers(1, classes, size=(n, longest))
    input_lengths = rng.integers(1, steps + 1, size=n)
    input_lengths[0] = steps
    target_lengths = rng.integers(0, longest + 1, size=n)
    return lp, targets, input_lengths, target_lengths


def reference(lp, targets, input_lengths, target_lengths, blank=0):
    return np.array([
        brute_force(lp[:, n], targets[n, : target_lengths[n]], input_lengths[n], blank)
        for n in range(lp.shape[1])
    ])


def concatenated(targets, target_lengths):
    return np.concatenate([targets[n, :k] for n, k in enumerate(target_lengths)]).astype(int)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_matches_brute_force_per_sample(seed, layout):
    lp, targets, il, tl = batch(seed)
    given = targets if layout == "padded" else concatenated(targets, tl)
    out = F.ctc_loss(Tensor(lp), given, il, tl, reduction="none")
    np.testing.assert_allclose(out.data, reference(lp, targets, il, tl), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions(reduction):
    lp, targets, il, tl = batch(11, steps=6, n=4)
    tl[1] = 0  # an empty target: 'mean' divides its loss by 1, not 0
    per_sample = reference(lp, targets, il, tl)
    expected = {
        "none": per_sample,
        "sum": per_sample.sum(),
        "mean": (per_sample / np.maximum(tl, 1)).mean(),
    }[reduction]
    out = F.ctc_loss(Tensor(lp), targets, tuple(il), tuple(tl), reduction=reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    assert out.shape == np.shape(expected)


def test_blank_elsewhere_and_tensors_as_lengths():
    lp, targets, il, tl = batch(3, classes=4)
    targets = np.where(targets == 2, 0, targets)  # blank = 2: labels are 0, 1, 3
    out = F.ctc_loss(Tensor(lp), Tensor(targets), Tensor(il), Tensor(tl), blank=2,
                     reduction="none")
    np.testing.assert_allclose(out.data, reference(lp, targets, il, tl, blank=2), rtol=1e-10)


def test_unbatched_input():
    lp, targets, il, tl = batch(5, n=1)
    out = F.ctc_loss(Tensor(lp[:, 0]), targets[0], il, tl, reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.data, reference(lp, targets, il, tl)[0], rtol=1e-10)
    mean = F.ctc_loss(Tensor(lp[:, 0]), targets[0], int(il[0]), int(tl[0]))
    np.testing.assert_allclose(mean.data, out.data / max(tl[0], 1), rtol=1e-12)


def test_repeated_label_needs_a_blank_between():
    lp = log_softmax(np.random.default_rng(2).standard_normal((3, 1, 3)))
    # two steps cannot hold "1 1": the only paths collapse to "1"
    two = F.ctc_loss(Tensor(lp[:2]), [[1, 1]], [2], [2], reduction="none")
    assert np.isinf(two.data[0])
    # three steps: exactly one path, 1 blank 1
    three = F.ctc_loss(Tensor(lp), [[1, 1]], [3], [2], reduction="none")
    np.testing.assert_allclose(three.data[0], -(lp[0, 0, 1] + lp[1, 0, 0] + lp[2, 0, 1]))
    # different labels need no blank: "1 2" in two steps is the single path 1 2
    different = F.ctc_loss(Tensor(lp[:2]), [[1, 2]], [2], [2], reduction="none")
    np.testing.assert_allclose(different.data[0], -(lp[0, 0, 1] + lp[1, 0, 2]))


def test_empty_target_and_zero_input_length():
    lp = log_softmax(np.random.default_rng(4).standard_normal((4, 2, 3)))
    out = F.ctc_loss(Tensor(lp), np.zeros((2, 0), dtype=int), [4, 0], [0, 0], reduction="none")
    np.testing.assert_allclose(out.data, [-lp[:, 0, 0].sum(), 0.0])  # all blanks; nothing
    none = F.ctc_loss(Tensor(lp), [[1], [1]], [4, 0], [1, 1], reduction="none")
    assert np.isinf(none.data[1])


def test_impossible_alignment_inf_and_nan_gradient():
    lp, targets, il, tl = batch(8, steps=5, n=2)
    targets[0], tl[0], il[0] = [1, 1, 2], 3, 3  # "1 1 2" needs at least 4 steps
    x = Tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, targets, il, tl, reduction="sum")
    assert np.isinf(out.data)
    out.backward()
    assert np.isnan(x.grad[:3, 0]).all() and (x.grad[3:, 0] == 0).all()


def test_zero_infinity_zeroes_loss_and_gradient_of_impossible_samples_only():
    lp, targets, il, tl = batch(8, steps=5, n=2)
    targets[0], tl[0], il[0] = [1, 1, 2], 3, 3
    per_sample = reference(lp, targets, il, tl)
    assert np.isinf(per_sample[0]) and np.isfinite(per_sample[1])
    for reduction in ("none", "sum", "mean"):
        x = Tensor(lp, requires_grad=True)
        out = F.ctc_loss(x, targets, il, tl, reduction=reduction, zero_infinity=True)
        kept = np.array([0.0, per_sample[1]])
        expected = {"none": kept, "sum": kept.sum(), "mean": (kept / np.maximum(tl, 1)).mean()}[
            reduction
        ]
        np.testing.assert_allclose(out.data, expected, rtol=1e-10)
        out.sum().backward()
        assert (x.grad[:, 0] == 0).all()
        alone = Tensor(lp[:, 1:], requires_grad=True)
        F.ctc_loss(alone, targets[1:], il[1:], tl[1:], reduction="sum").backward()
        scale = {"none": 1.0, "sum": 1.0, "mean": 1.0 / (max(tl[1], 1) * 2)}[reduction]
        np.testing.assert_allclose(x.grad[:, 1], alone.grad[:, 0] * scale, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_gradient_matches_finite_differences(reduction, layout):
    # unnormalised log_probs: the gradient is the exact derivative, not one through softmax
    rng = np.random.default_rng(21)
    lp = rng.standard_normal((6, 3, 4)) - 1.5
    targets = np.array([[1, 1, 3], [2, 3, 0], [3, 0, 0]])
    il, tl = np.array([6, 5, 3]), np.array([3, 2, 1])
    given = targets if layout == "padded" else concatenated(targets, tl)
    check_grads(lambda x: F.ctc_loss(x, given, il, tl, reduction=reduction), lp)


def test_gradient_unbatched_and_through_log_softmax():
    rng = np.random.default_rng(22)
    check_grads(lambda x: F.ctc_loss(x, [2, 1, 2], 5, 3), rng.standard_normal((5, 3)))
    z = rng.standard_normal((5, 2, 3))
    check_grads(lambda x: F.ctc_loss(x.log_softmax(axis=2), [[1, 2], [2, 2]], [5, 5], [2, 2]), z)


def test_gradient_is_minus_state_occupancy():
    # sum_c d loss / d y_t(c) = -(probability mass of all alignments at step t) = -1
    lp, targets, il, tl = batch(13, steps=6, n=3)
    x = Tensor(lp, requires_grad=True)
    F.ctc_loss(x, targets, il, tl, reduction="sum").backward()
    steps = np.arange(6)[:, None]
    np.testing.assert_allclose(x.grad.sum(axis=2), np.where(steps < il, -1.0, 0.0), atol=1e-12)


def forward_loop(lp, target, steps, blank=0):
    """The alpha recursion written as plain loops in probability space, rescaled per step."""
    ext = [blank]
    for c in target:
        ext += [c, blank]
    alpha = np.zeros(len(ext))
    alpha[0] = np.exp(lp[0, blank])
    if len(ext) > 1:
        alpha[1] = np.exp(lp[0, ext[1]])
    log_scale = 0.0
    for t in range(1, steps):
        new = np.zeros_like(alpha)
        for s in range(len(ext)):
            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                total += alpha[s - 2]
            new[s] = total * np.exp(lp[t, ext[s]])
        scale = new.sum()
        log_scale += np.log(scale)
        alpha = new / scale
    return -(np.log(alpha[-1] + (alpha[-2] if len(ext) > 1 else 0.0)) + log_scale)


def test_large_batch_runs_the_parallel_kernels():
    steps, n, classes, longest = 40, 64, 6, 16
    assert n * steps * (2 * longest + 1) >= loss_ctc_kernels.PARALLEL_MIN_CELLS
    rng = np.random.default_rng(30)
    lp = log_softmax(rng.standard_normal((steps, n, classes)))
    targets = rng.integers(1, classes, size=(n, longest))
    il = rng.integers(longest * 2, steps + 1, size=n)
    tl = rng.integers(0, longest + 1, size=n)
    tl[0] = longest
    x = Tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, targets, il, tl, reduction="none")
    expected = [forward_loop(lp[:, k], targets[k, : tl[k]], il[k]) for k in range(n)]
    np.testing.assert_allclose(out.data, expected, rtol=1e-9)
    out.sum().backward()
    np.testing.assert_allclose(
        x.grad.sum(axis=2), np.where(np.arange(steps)[:, None] < il, -1.0, 0.0), atol=1e-9
    )
    # a few entries by central differences
    for t, k, c in [(0, 0, 0), (5, 3, int(targets[3, 0])), (20, 7, 2)]:
        shifted = lp.copy()
        shifted[t, k, c] += 1e-6
        plus = forward_loop(shifted[:, k], targets[k, : tl[k]], il[k])
        shifted[t, k, c] -= 2e-6
        minus = forward_loop(shifted[:, k], targets[k, : tl[k]], il[k])
        np.testing.assert_allclose(x.grad[t, k, c], (plus - minus) / 2e-6, rtol=1e-5, atol=1e-8)


def test_float32_in_float32_out():
    lp, targets, il, tl = batch(6)
    out = F.ctc_loss(Tensor(lp.astype(np.float32), requires_grad=True), targets, il, tl)
    assert out.dtype == np.float32
    expected = (reference(lp, targets, il, tl) / np.maximum(tl, 1)).mean()
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)


def test_module_and_exports():
    lp, targets, il, tl = batch(9)
    module = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(
        module(Tensor(lp), targets, il, tl).data,
        F.ctc_loss(Tensor(lp), targets, il, tl, reduction="sum").data,
    )
    assert nn.CTCLoss is loss.CTCLoss and F.ctc_loss is loss.ctc_loss
    assert list(inspect.signature(F.ctc_loss).parameters) == [
        "log_probs", "targets", "input_lengths", "target_lengths", "blank", "reduction",
        "zero_infinity",
    ]
    defaults = inspect.signature(nn.CTCLoss).parameters
    assert [(k, v.default) for k, v in defaults.items()] == [
        ("blank", 0), ("reduction", "mean"), ("zero_infinity", False),
    ]
    with pytest.raises(ValueError, match="reduction"):
        nn.CTCLoss(reduction="avg")


LP = log_softmax(np.random.default_rng(1).standard_normal((5, 3, 3)))
GOOD = {
    "log_probs": Tensor(LP), "targets": np.ones((3, 3), dtype=int),
    "input_lengths": [5, 5, 5], "target_lengths": [3, 1, 1], "blank": 0, "reduction": "mean",
}


@pytest.mark.parametrize(
    "name, bad, error, match",
    [
        ("log_probs", LP.tolist(), TypeError, "log_probs must be a Tensor"),
        ("log_probs", Tensor(np.ones((5, 3, 3), dtype=np.int64)), TypeError, "floating point"),
        ("log_probs", Tensor(LP[:, 0, 0]), ValueError, r"\(T, N, C\) or \(T, C\)"),
        ("blank", 3, ValueError, r"blank must be a class index in \[0, 3\)"),
        ("input_lengths", [6, 5, 5], ValueError, "input_lengths must be at most 5"),
        ("input_lengths", [5, 5], ValueError, r"one length per sample \(3\)"),
        ("input_lengths", [5.5, 5, 5], TypeError, "input_lengths must be integral"),
        ("target_lengths", [4, 1, 1], ValueError, "target_lengths must be at most 3"),
        ("target_lengths", [-1, 1, 1], ValueError, "target_lengths must be >= 0"),
        ("targets", [1, 2, 1], ValueError, r"sum\(target_lengths\) = 5"),
        ("targets", np.full((3, 3), 3), ValueError, r"labels must be in \[0, 3\)"),
        ("targets", np.ones((2, 3), dtype=int), ValueError, r"\(N=3, S\)"),
        ("reduction", "avg", ValueError, "reduction must be one of"),
    ],
)
def test_errors(name, bad, error, match):
    F.ctc_loss(**GOOD)  # the unchanged arguments are fine
    with pytest.raises(error, match=match):
        F.ctc_loss(**{**GOOD, name: bad})
