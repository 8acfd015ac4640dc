"""SparseAdam and sparse embedding gradients vs a plain-numpy reference of the lazy Adam rule
(torch.optim.SparseAdam's documentation: only rows present in the gradient move), with the
gradients of the test's loss written out by hand."""

import math

import numpy as np
import pytest

from tinygrad_opt import Tensor, autograd, nn, optim
from tinygrad_opt.optim import SparseAdam


def reference_step(p, m, v, grad, rows, t, hp):
    """The documented rule on the given rows of one table (float64, in place)."""
    lr, (b1, b2), eps = hp.get("lr", 1e-3), hp.get("betas", (0.9, 0.999)), hp.get("eps", 1e-8)
    g = -grad if hp.get("maximize", False) else grad
    step_size = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    for r in rows:
        m[r] = m[r] + (1 - b1) * (g[r] - m[r])
        v[r] = v[r] + (1 - b2) * (g[r] ** 2 - v[r])
        p[r] = p[r] - step_size * m[r] / (np.sqrt(v[r]) + eps)


def squared_lookup_grad(table, idx, c, padding_idx):
    """d/dtable of sum((table[idx] * c)**2): 2 table[r] c^2 added at every lookup of r."""
    grad = np.zeros_like(table)
    flat, cc = idx.reshape(-1), c.reshape(-1, table.shape[1])
    for k, r in enumerate(flat):
        if r != padding_idx:
            grad[r] += 2 * table[r] * cc[k] ** 2
    return grad


@pytest.mark.parametrize(
    "hp", [{}, {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "maximize": True}]
)
def test_sparse_adam_matches_the_lazy_rule_over_50_steps(hp):
    rng = np.random.default_rng(0)
    vocab, dim, pad = 10, 3, 4
    emb = nn.Embedding(vocab, dim, padding_idx=pad, sparse=True, dtype=np.float64)
    other = nn.Embedding(7, 2, sparse=True, dtype=np.float64)
    opt = SparseAdam([{"params": [emb.weight]}, {"params": [other.weight], "lr": 0.02}], **hp)
    hp_other = {**hp, "lr": 0.02}
    tables = [emb.weight.data.copy(), other.weight.data.copy()]
    moments = [(np.zeros_like(t), np.zeros_like(t)) for t in tables]
    steps = [0, 0]
    has_grad = [False, False]  # as PyTorch: zeroing in place keeps an (empty) gradient
    for step in range(50):
        opt.zero_grad(set_to_none=step % 2 == 0)
        if step % 2 == 0:
            has_grad = [False, False]
        grads = [np.zeros_like(t) for t in tables]
        rows = [set(), set()]
        for _ in range(1 + step % 3):  # gradients accumulate over several backward passes
            idx = rng.integers(0, vocab, (2, 5))
            c = rng.standard_normal((2, 5, dim))
            loss = ((emb(idx) * Tensor(c)) ** 2).sum()
            grads[0] += squared_lookup_grad(tables[0], idx, c, pad)
            rows[0] |= set(idx.reshape(-1).tolist()) - {pad}
            if step % 4 != 1:  # some steps leave the second table without a gradient
                idx2 = rng.integers(0, 7, 4)
                c2 = rng.standard_normal((4, 2))
                loss = loss + ((other(idx2) * Tensor(c2)) ** 2).sum()
                grads[1] += squared_lookup_grad(tables[1], idx2, c2, None)
                rows[1] |= set(idx2.tolist())
            loss.backward()
        opt.step()
        for k, params in enumerate((hp, hp_other)):
            has_grad[k] = has_grad[k] or bool(rows[k])
            if has_grad[k]:  # the step count moves with any gradient, even an empty one
                steps[k] += 1
                reference_step(tables[k], *moments[k], grads[k], sorted(rows[k]), steps[k], params)
    for k, weight in enumerate((emb.weight, other.weight)):
        np.testing.assert_allclose(weight.data, tables[k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(opt.state[weight]["exp_avg"], moments[k][0], atol=1e-12)
        np.testing.assert_allclose(opt.state[weight]["exp_avg_sq"], moments[k][1], atol=1e-12)
        assert opt.state[weight]["step"] == steps[k]


def test_a_looked_up_row_with_zero_gradient_still_decays_its_moments():
    emb = nn.Embedding(4, 2, sparse=True, dtype=np.float64)
    opt = SparseAdam(emb.parameters(), lr=0.1)
    (emb(np.array([0, 1])) * Tensor(np.array([[1.0, 2.0], [0.0, 0.0]]))).sum().backward()
    opt.step()
    opt.zero_grad()
    (emb(np.array([0])) * 0.0).sum().backward()  # row 0 looked up, gradient exactly zero
    opt.step()
    m = opt.state[emb.weight]["exp_avg"]
    np.testing.assert_allclose(m[0], 0.9 * 0.1 * np.array([1.0, 2.0]))  # decayed once
    np.testing.assert_array_equal(m[1], [0.0, 0.0])  # row 1: zero gradient, first step only
    np.testing.assert_array_equal(m[2:], 0.0)  # never looked up


def test_a_gradient_reset_by_hand_starts_the_rows_afresh():
    emb = nn.Embedding(5, 2, sparse=True, dtype=np.float64)
    opt = SparseAdam(emb.parameters(), lr=0.1)
    emb(np.array([0, 1])).sum().backward()
    emb.weight.grad = None  # discard that pass without zero_grad
    before = emb.weight.data.copy()
    emb(np.array([3])).sum().backward()
    opt.step()
    moved = np.flatnonzero(np.any(emb.weight.data != before, axis=1))
    assert moved.tolist() == [3]


def test_dense_gradients_raise_before_anything_changes():
    emb = nn.Embedding(5, 2, sparse=True)
    lin = nn.Linear(2, 1)
    opt = SparseAdam([*emb.parameters(), *lin.parameters()])
    lin(emb(np.array([1, 2]))).sum().backward()
    saved = [p.data.copy() for p in (emb.weight, lin.weight, lin.bias)]
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        opt.step()
    for p, data in zip((emb.weight, lin.weight, lin.bias), saved):
        np.testing.assert_array_equal(p.data, data)
    assert all(int(opt.state[p]["step"]) == 0 for p in (emb.weight, lin.weight, lin.bias))


def test_a_tied_dense_use_of_the_weight_is_refused():
    emb = nn.Embedding(5, 2, sparse=True)
    opt = SparseAdam(emb.parameters())
    logits = emb(np.array([1])) @ emb.weight.T  # the output layer shares the table (dense)
    logits.sum().backward()
    before = emb.weight.data.copy()
    with pytest.raises(RuntimeError, match="does not support dense gradients"):
        opt.step()
    np.testing.assert_array_equal(emb.weight.data, before)


def test_dense_embedding_gradient_raises():
    emb = nn.Embedding(5, 2)  # sparse=False: a dense gradient, as in PyTorch
    opt = SparseAdam(emb.parameters())
    emb(np.array([1])).sum().backward()
    with pytest.raises(RuntimeError, match="consider Adam instead"):
        opt.step()


def test_a_zeroed_sparse_gradient_is_an_empty_one():
    emb = nn.Embedding(5, 2, sparse=True)
    opt = SparseAdam(emb.parameters())
    emb(np.array([1])).sum().backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    before = emb.weight.data.copy()
    opt.step()  # PyTorch: the empty gradient moves no row but counts a step
    np.testing.assert_array_equal(emb.weight.data, before)
    assert int(opt.state[emb.weight]["step"]) == 2


def test_autograd_grad_records_no_rows():
    emb = nn.Embedding(5, 2, sparse=True)
    opt = SparseAdam(emb.parameters())
    (g,) = autograd.grad(emb(np.array([2])).sum(), [emb.weight])
    assert g.data[2].tolist() == [1.0, 1.0]
    emb.weight.grad = g.data.copy()  # a gradient not from a sparse lookup pass
    with pytest.raises(RuntimeError, match="dense gradients"):
        opt.step()


def test_embedding_bag_sum_and_mean_record_their_rows():
    bag = nn.EmbeddingBag(6, 2, mode="mean", sparse=True, padding_idx=0, dtype=np.float64)
    opt = SparseAdam(bag.parameters(), lr=0.1)
    before = bag.weight.data.copy()
    bag(np.array([[0, 2, 2], [5, 0, 0]])).sum().backward()
    opt.step()
    moved = np.flatnonzero(np.any(bag.weight.data != before, axis=1))
    assert moved.tolist() == [2, 5]
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        nn.EmbeddingBag(6, 2, mode="max", sparse=True)(np.array([[1, 2]]))


def test_state_dict_round_trip_is_bit_identical():
    def run(round_trip):
        rng = np.random.default_rng(3)
        emb = nn.Embedding(8, 3, sparse=True)
        emb.weight.data[...] = rng.standard_normal((8, 3)).astype(np.float32)
        opt = SparseAdam(emb.parameters(), lr=0.01)
        for step in range(40):
            if step == 20 and round_trip:
                fresh = SparseAdam(emb.parameters(), lr=0.01)
                fresh.load_state_dict(opt.state_dict())
                opt = fresh
            opt.zero_grad()
            idx = rng.integers(0, 8, 5)
            (emb(idx) ** 2).sum().backward()
            opt.step()
        return emb.weight.data.copy()

    np.testing.assert_array_equal(run(False), run(True))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": 0.0}, "Invalid learning rate: 0.0"), ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
     ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0")],
)  # fmt: skip
def test_invalid_hyperparameters_name_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SparseAdam(nn.Embedding(3, 2, sparse=True).parameters(), **kwargs)


def test_create_builds_it_and_modules_report_sparse():
    emb = nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32), freeze=False, sparse=True)
    assert isinstance(optim.create("sparseadam", emb.parameters()), SparseAdam)
    assert emb.sparse and "sparse=True" in repr(emb)
