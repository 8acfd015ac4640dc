"""Samplers, Subset / ConcatDataset / random_split, IterableDataset and DataLoader's
sampler= and batch_sampler=: index streams against their definitions, exact batches, the
PyTorch error rules, seeding and exact resume."""

import math
import warnings

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)
from tinygrad_opt.serialization import load, save


def make_xy(n=23):
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
    y = (np.arange(n) * 7 % 5).astype(np.int64)
    return x, y


def chunks(order, size, drop_last):
    """Plain grouping of an index stream into batches, written independently."""
    out, current = [], []
    for i in order:
        current.append(int(i))
        if len(current) == size:
            out.append(current)
            current = []
    if current and not drop_last:
        out.append(current)
    return out


def loader_indices(loader):
    """The y field of TensorDataset(x, arange(n)) gives each batch's indices back."""
    return [batch[1].numpy().tolist() for batch in loader]


def chi_square(counts, probabilities):
    expected = np.asarray(probabilities) * np.sum(counts)
    return float(np.sum((np.asarray(counts) - expected) ** 2 / expected))


# Upper 1e-6 tail of the chi-square distribution for 2..5 degrees of freedom: a correct
# sampler fails these checks about once in a million seeds, a wrong one essentially always.
CHI2_LIMIT = {2: 27.6, 3: 30.7, 4: 33.4, 5: 35.9}


# ----------------------------------------------------------------------------- samplers
def test_sequential_sampler_is_range_and_reads_the_length_at_iter():
    data = list(range(7))
    sampler = SequentialSampler(data)
    assert list(sampler) == [0, 1, 2, 3, 4, 5, 6] and len(sampler) == 7
    data.append(7)
    assert list(sampler) == list(range(8))
    assert all(type(i) is int for i in sampler)
    assert isinstance(sampler, Sampler)
    with pytest.raises(NotImplementedError):
        iter(Sampler())


@pytest.mark.parametrize("n", [1, 5, 17])
def test_random_sampler_epochs_are_permutations_and_differ(n):
    sampler = RandomSampler(range(n), generator=3)
    epochs = [list(sampler) for _ in range(4)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(n)) and all(type(i) is int for i in epoch)
    assert len(sampler) == n
    if n > 4:
        assert len({tuple(e) for e in epochs}) > 1


def test_random_sampler_more_samples_than_items_chains_permutations():
    sampler = RandomSampler(range(5), num_samples=13, generator=0)
    drawn = list(sampler)
    assert len(drawn) == 13 == len(sampler)
    assert sorted(drawn[:5]) == list(range(5)) and sorted(drawn[5:10]) == list(range(5))
    assert len(set(drawn[10:])) == 3  # the cut-short third permutation repeats nothing
    fewer = list(RandomSampler(range(5), num_samples=3, generator=0))
    assert len(fewer) == 3 and len(set(fewer)) == 3


def test_random_sampler_with_replacement_is_uniform_over_the_range():
    n, draws = 6, 60_000
    sampler = RandomSampler(range(n), replacement=True, num_samples=draws, generator=1)
    drawn = np.array(list(sampler))
    assert len(drawn) == draws and drawn.min() >= 0 and drawn.max() < n
    counts = np.bincount(drawn, minlength=n)
    assert chi_square(counts, np.full(n, 1 / n)) < CHI2_LIMIT[5]
    # with replacement repeats happen where a permutation would have none
    assert len(set(RandomSampler(range(50), replacement=True, generator=2))) < 50


def test_random_sampler_seeding():
    a = [list(RandomSampler(range(30), generator=5)) for _ in range(2)]
    assert a[0] == a[1]  # the same seed, the same first epoch
    b = RandomSampler(range(30), generator=5)
    assert list(b) == a[0] and list(b) != a[0]  # the next epoch draws a new permutation
    tinygrad_opt.manual_seed(4)
    first = list(RandomSampler(range(30)))
    tinygrad_opt.manual_seed(4)
    assert list(RandomSampler(range(30))) == first
    shared = np.random.default_rng(9)
    s1, s2 = RandomSampler(range(30), generator=shared), RandomSampler(range(30), generator=shared)
    assert list(s1) != list(s2)  # a shared numpy Generator advances between them
    # the documented rule: one permutation of len(data_source) per epoch from the generator
    assert list(RandomSampler(range(30), generator=np.random.default_rng(9))) == (
        np.random.default_rng(9).permutation(30).tolist()
    )


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [11, 3, 7, 3, 42, 0]
    sampler = SubsetRandomSampler(indices, generator=0)
    orders = [list(sampler) for _ in range(5)]
    for order in orders:
        assert sorted(order) == sorted(indices) and all(type(i) is int for i in order)
    assert len({tuple(o) for o in orders}) > 1 and len(sampler) == 6
    assert list(SubsetRandomSampler([], generator=0)) == []
    with pytest.raises(TypeError, match="indices"):
        SubsetRandomSampler([1.5, 2.0])


def test_weighted_sampler_frequencies_follow_the_weights():
    weights = [1.0, 2.0, 3.0, 4.0, 0.0]
    sampler = WeightedRandomSampler(weights, 100_000, generator=12)
    drawn = np.array(list(sampler))
    assert len(drawn) == 100_000 == len(sampler)
    counts = np.bincount(drawn, minlength=5)
    assert counts[4] == 0  # a zero weight is never drawn
    assert chi_square(counts[:4], np.array(weights[:4]) / 10) < CHI2_LIMIT[3]
    # unnormalised weights of a numpy array give the same law
    again = np.bincount(list(WeightedRandomSampler(np.array([10, 20, 30, 40]), 50_000,
                                                   generator=3)), minlength=4)
    assert chi_square(again, [0.1, 0.2, 0.3, 0.4]) < CHI2_LIMIT[3]


def test_weighted_sampler_without_replacement_draws_successively():
    weights = np.array([1.0, 2.0, 5.0])
    sampler = WeightedRandomSampler(weights, 2, replacement=False, generator=8)
    pairs = {}
    for _ in range(20_000):
        first, second = list(sampler)
        assert first != second
        pairs[(first, second)] = pairs.get((first, second), 0) + 1
    total = weights.sum()
    keys = [(i, j) for i in range(3) for j in range(3) if i != j]
    # P(i then j) = w_i / W * w_j / (W - w_i): the definition of successive weighted draws
    expected = [weights[i] / total * weights[j] / (total - weights[i]) for i, j in keys]
    assert math.isclose(sum(expected), 1.0)
    assert chi_square([pairs.get(k, 0) for k in keys], expected) < CHI2_LIMIT[5]
    full = list(WeightedRandomSampler([0.5, 0.0, 2.0, 1.0], 3, replacement=False, generator=1))
    assert sorted(full) == [0, 2, 3]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("size", [1, 3, 4, 10, 11])
def test_batch_sampler_groups_in_order(size, drop_last):
    expected = chunks(range(10), size, drop_last)
    plain = BatchSampler(range(10), size, drop_last)  # any iterable of ints
    assert list(plain) == expected
    assert len(plain) == len(expected)
    assert len(plain) == (10 // size if drop_last else math.ceil(10 / size))
    ours = BatchSampler(SequentialSampler(range(10)), size, drop_last)  # vectorised route
    assert list(ours) == expected and all(type(i) is int for b in ours for i in b)
    seeded = BatchSampler(RandomSampler(range(10), generator=4), size, drop_last)
    assert list(seeded) == chunks(list(RandomSampler(range(10), generator=4)), size, drop_last)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: RandomSampler(range(4), replacement=1), TypeError,
         "replacement should be a boolean value, but got replacement=1"),
        (lambda: RandomSampler(range(4), num_samples=0), ValueError,
         "num_samples should be a positive integer value, but got num_samples=0"),
        (lambda: RandomSampler(range(4), num_samples=2.0), ValueError, "num_samples"),
        (lambda: RandomSampler(range(0)), ValueError, "num_samples=0"),
        (lambda: RandomSampler(range(4), generator=1.5), TypeError, "generator"),
        (lambda: RandomSampler(range(4), generator=-1), ValueError, "generator"),
        (lambda: WeightedRandomSampler([1.0, 2.0], 0), ValueError,
         "num_samples should be a positive integer value, but got num_samples=0"),
        (lambda: WeightedRandomSampler([1.0, 2.0], True), ValueError, "num_samples"),
        (lambda: WeightedRandomSampler([1.0, 2.0], 2, replacement=1), ValueError,
         "replacement should be a boolean value, but got replacement=1"),
        (lambda: WeightedRandomSampler([[1.0, 2.0]], 2), ValueError,
         r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
        (lambda: WeightedRandomSampler([1.0, -2.0], 2), ValueError, "non-negative"),
        (lambda: WeightedRandomSampler([0.0, 0.0], 2), ValueError, "positive sum"),
        (lambda: WeightedRandomSampler([1.0, np.nan], 2), ValueError, "finite"),
        (lambda: WeightedRandomSampler([1.0, 1.0, 0.0], 3, replacement=False), ValueError,
         "cannot draw 3 samples without replacement from 2 non-zero weights"),
        (lambda: BatchSampler(range(9), 0, False), ValueError,
         "batch_size should be a positive integer value, but got batch_size=0"),
        (lambda: BatchSampler(range(9), True, False), ValueError, "batch_size=True"),
        (lambda: BatchSampler(range(9), 2, 1), ValueError,
         "drop_last should be a boolean value, but got drop_last=1"),
    ],
)
def test_sampler_arguments_are_checked_as_pytorch(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_sampler_state_round_trip_and_refusal():
    sampler = RandomSampler(range(12), generator=2)
    state = sampler.state_dict()
    first = list(sampler)
    sampler.load_state_dict(state)
    assert list(sampler) == first
    before = sampler.state_dict()
    with pytest.raises(ValueError, match="rng_state"):
        sampler.load_state_dict({"rng_state": {"bit_generator": "nonsense"}})
    with pytest.raises(ValueError, match="rng_state"):
        sampler.load_state_dict({})
    assert sampler.state_dict() == before


# ------------------------------------------------------------------------- random_split
def reference_split_sizes(n, fractions):
    """PyTorch's documented rule: floor(n * f) each, then the remainder one at a time in
    round-robin order from the first split."""
    sizes = [math.floor(n * f) for f in fractions]
    k = 0
    while sum(sizes) < n:
        sizes[k % len(sizes)] += 1
        k += 1
    return sizes


@pytest.mark.parametrize(
    "n, fractions",
    [(10, [0.33, 0.33, 0.34]), (10, [0.25] * 4), (7, [0.1, 0.1, 0.8]), (101, [0.7, 0.2, 0.1]),
     (10, [1.0]), (5, [0.5, 0.5])],
)
def test_random_split_fraction_rounding(n, fractions):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parts = random_split(range(n), fractions, generator=0)
    assert [len(p) for p in parts] == reference_split_sizes(n, fractions)


def test_fractions_whose_float_sum_exceeds_one_are_still_fractions():
    fractions = [0.017, 0.553, 0.316, 0.114]
    assert sum(fractions) > 1 and math.fsum(fractions) == 1  # float rounding only
    parts = random_split(range(53), fractions, generator=0)
    assert [len(p) for p in parts] == reference_split_sizes(53, fractions) == [1, 30, 16, 6]


def test_random_split_fraction_examples_by_hand():
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34], generator=0)] == [4, 3, 3]
    assert [len(p) for p in random_split(range(10), [0.25] * 4, generator=0)] == [3, 3, 2, 2]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(range(3), [0.1, 0.1, 0.8], generator=0)
    assert [len(p) for p in parts] == [1, 0, 2]


@pytest.mark.parametrize("lengths", [[3, 7], [10], [0, 4, 6], [np.int64(5), 5]])
def test_random_split_is_a_disjoint_cover_cut_from_one_permutation(lengths):
    x, y = make_xy(10)
    dataset = TensorDataset(x, np.arange(10))
    parts = random_split(dataset, lengths, generator=np.random.default_rng(6))
    assert [len(p) for p in parts] == [int(v) for v in lengths]
    everything = [i for p in parts for i in p.indices]
    assert sorted(everything) == list(range(10))
    # the documented rule: one permutation of len(dataset), cut in order
    assert everything == np.random.default_rng(6).permutation(10).tolist()
    for part in parts:
        assert isinstance(part, Subset) and part.dataset is dataset
        for k, i in enumerate(part.indices):
            np.testing.assert_array_equal(part[k][0].numpy(), x[i])


def test_random_split_seeding():
    a = [p.indices for p in random_split(range(20), [0.5, 0.5], generator=3)]
    assert a == [p.indices for p in random_split(range(20), [0.5, 0.5], generator=3)]
    assert a != [p.indices for p in random_split(range(20), [0.5, 0.5], generator=4)]
    tinygrad_opt.manual_seed(1)
    b = [p.indices for p in random_split(range(20), [5, 15])]
    tinygrad_opt.manual_seed(1)
    assert b == [p.indices for p in random_split(range(20), [5, 15])]


@pytest.mark.parametrize(
    "lengths, error, message",
    [
        ([3, 4], ValueError, "Sum of input lengths does not equal the length of the input"),
        ([0.6, 0.6], ValueError, "Sum of input lengths"),
        ([0.5, 5], ValueError, "Sum of input lengths"),
        ([], ValueError, "Sum of input lengths"),
        ([1.2, -0.2], ValueError, "Fraction at index 0 is not between 0 and 1"),
        ([12, -2], ValueError, "length at index 1 is negative"),
        ([5.0, 5.0], TypeError, "ints or fractions"),
        (["5", 5], TypeError, "ints or fractions"),
        ([True, 9], TypeError, "ints or fractions"),
    ],
)
def test_random_split_rejects_bad_lengths(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split(range(10), lengths, generator=0)


def test_random_split_rejects_bad_generators_and_leaves_the_package_rng_alone():
    tinygrad_opt.manual_seed(2)
    state = tinygrad_opt.random.get_rng_state()
    with pytest.raises(TypeError, match="generator"):
        random_split(range(10), [5, 5], generator="seed")
    with pytest.raises(ValueError, match="Sum"):
        random_split(range(10), [5, 6])
    assert tinygrad_opt.random.get_rng_state() == state


# ----------------------------------------------------------------- Subset, ConcatDataset
def test_subset_indexing():
    base = list(range(100, 110))
    subset = Subset(base, [3, 5, 7, -1])
    assert len(subset) == 4
    assert [subset[i] for i in range(4)] == [103, 105, 107, 109]
    assert subset[-1] == 109 and subset[-4] == 103
    with pytest.raises(IndexError):
        subset[4]
    with pytest.raises(IndexError):
        subset[-5]
    array_base = np.arange(100, 110)
    assert Subset(array_base, [3, 5])[[1, 0]].tolist() == [105, 103]  # a list index maps through
    assert len(Subset(base, [])) == 0


def test_subset_rejects_bad_indices():
    with pytest.raises(ValueError, match="index 10 is out of range for a dataset of 10"):
        Subset(list(range(10)), [0, 10])
    with pytest.raises(ValueError, match="-11"):
        Subset(list(range(10)), [-11])
    with pytest.raises(TypeError, match="1-d sequence of ints"):
        Subset(list(range(10)), [0.5])
    with pytest.raises(TypeError, match="1-d sequence of ints"):
        Subset(list(range(10)), [[0, 1]])


class Samples(Dataset):
    """A dataset with neither `arrays` nor `__getitems__`: one sample per call."""

    def __init__(self, n, offset=0):
        self.n, self.offset, self.calls = n, offset, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not -self.n <= i < self.n:
            raise IndexError(i)
        self.calls += 1
        i = i % self.n
        return np.full(2, self.offset + i, dtype=np.float32), self.offset + i


@pytest.mark.parametrize("make_base", ["tensor", "samples"])
def test_loader_over_a_subset_gives_the_naive_batches(make_base):
    x, y = make_xy(15)
    base = TensorDataset(x, y) if make_base == "tensor" else Samples(15)
    indices = [14, 2, 9, 9, 0, 5, -1]
    loader = DataLoader(Subset(base, indices), batch_size=3, shuffle=True, seed=2)
    order = np.random.default_rng(2).permutation(len(indices))
    for batch, rows in zip(loader, chunks(order, 3, False), strict=True):
        wanted = [indices[r] for r in rows]
        samples = [base[i] for i in wanted]
        want_x = np.stack([np.asarray(s[0]) for s in samples])
        np.testing.assert_array_equal(batch[0].numpy(), want_x)
        np.testing.assert_array_equal(batch[1].numpy(), [int(np.asarray(s[1])) for s in samples])


def test_concat_dataset_indexing():
    a, b, c = list(range(3)), list(range(10, 15)), list(range(20, 22))
    concat = ConcatDataset([a, b, c])
    flat = a + b + c
    assert len(concat) == 10 and concat.cumulative_sizes == [3, 8, 10]
    assert [concat[i] for i in range(10)] == flat
    assert [concat[-i] for i in range(1, 11)] == [flat[-i] for i in range(1, 11)]
    with pytest.raises(IndexError):
        concat[10]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset"):
        concat[-11]
    with pytest.raises(TypeError, match="ints"):
        concat[1.0]
    with pytest.raises(ValueError, match="datasets should not be an empty iterable"):
        ConcatDataset([])

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([a, Stream()])
    assert ConcatDataset([[], a])[0] == 0  # empty parts are skipped


def test_dataset_addition_concatenates_and_chains():
    x, y = make_xy(4)
    first, second = TensorDataset(x, y), Samples(3, offset=50)
    both = first + second
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert int(both[5][1]) == 51

    class Stream(IterableDataset):
        def __init__(self, values):
            self.values = values

        def __iter__(self):
            return iter(self.values)

        def __len__(self):
            return len(self.values)

    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset) and list(chained) == [1, 2, 3] and len(chained) == 3


def test_loader_over_a_concat_dataset_gives_the_naive_batches():
    x, y = make_xy(9)
    rows2 = x[:, 0, :2]  # (9, 2) float32, the shape of Samples' first field
    parts = [TensorDataset(rows2[:4], y[:4]), Samples(3, offset=100),
             TensorDataset(rows2[4:], y[4:])]
    concat = ConcatDataset(parts)
    loader = DataLoader(concat, batch_size=4, shuffle=True, seed=11)
    order = np.random.default_rng(11).permutation(len(concat))
    flat = [(rows2[i], y[i]) for i in range(4)] + [
        (np.full(2, 100 + i, dtype=np.float32), 100 + i) for i in range(3)] + [
        (rows2[i], y[i]) for i in range(4, 9)]
    for batch, rows in zip(loader, chunks(order, 4, False), strict=True):
        np.testing.assert_array_equal(batch[0].numpy(), np.stack([flat[r][0] for r in rows]))
        np.testing.assert_array_equal(batch[1].numpy(), [flat[r][1] for r in rows])
    same_shape = ConcatDataset([TensorDataset(x[:4], y[:4]), TensorDataset(x[4:], y[4:])])
    got = [b[0].numpy() for b in DataLoader(same_shape, batch_size=4, shuffle=True, seed=3)]
    order = np.random.default_rng(3).permutation(9)
    for batch, rows in zip(got, chunks(order, 4, False), strict=True):
        np.testing.assert_array_equal(batch, x[rows])
    # negative indices through the batch route
    fields = same_shape.__getitems__([-1, 0, -9])
    np.testing.assert_array_equal(fields[0], x[[8, 0, 0]])
    with pytest.raises(IndexError):
        same_shape.__getitems__([9])


# ------------------------------------------------------- DataLoader sampler / batch_sampler
def indexed(n=23):
    x, _ = make_xy(n)
    return x, TensorDataset(x, np.arange(n))


@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_with_a_sampler_batches_its_stream(drop_last):
    x, dataset = indexed()
    samplers = [
        (SequentialSampler(dataset), lambda: range(23)),
        (RandomSampler(dataset, generator=7), lambda: list(RandomSampler(dataset, generator=7))),
        (WeightedRandomSampler(np.arange(23.0), 40, generator=1),
         lambda: list(WeightedRandomSampler(np.arange(23.0), 40, generator=1))),
        (SubsetRandomSampler([4, 8, 15, 16, 22], generator=2),
         lambda: list(SubsetRandomSampler([4, 8, 15, 16, 22], generator=2))),
        ([9, 1, 2, 3, 4, 22], lambda: [9, 1, 2, 3, 4, 22]),  # any iterable, as PyTorch
    ]
    for sampler, stream in samplers:
        loader = DataLoader(dataset, batch_size=4, sampler=sampler, drop_last=drop_last)
        expected = chunks(stream(), 4, drop_last)
        got = [(b[0].numpy(), b[1].numpy().tolist()) for b in loader]
        assert [g[1] for g in got] == expected
        for (bx, _), rows in zip(got, expected, strict=True):
            np.testing.assert_array_equal(bx, x[rows])
        assert len(loader) == len(expected) and loader.sampler is sampler


def test_loader_with_a_batch_sampler_yields_its_batches():
    x, dataset = indexed()
    custom = [[3, 1], [0, 2, 4], [22], [5, 5]]
    loader = DataLoader(dataset, batch_sampler=custom)
    assert loader_indices(loader) == custom and len(loader) == 4
    assert loader.batch_size is None and loader.drop_last is False  # as PyTorch
    batcher = BatchSampler(RandomSampler(dataset, generator=3), 5, True)
    loader = DataLoader(dataset, batch_sampler=batcher)
    expected = chunks(list(RandomSampler(dataset, generator=3)), 5, True)
    assert loader_indices(loader) == expected and len(loader) == 4
    rows = next(iter(DataLoader(dataset, batch_sampler=[np.array([7, 2])])))
    np.testing.assert_array_equal(rows[0].numpy(), x[[7, 2]])
    with pytest.raises(TypeError, match="list of int indices"):
        next(iter(DataLoader(dataset, batch_sampler=[[0.5]])))


def test_subclasses_that_override_iter_are_iterated_not_bypassed():
    # a subclass of our samplers with its own __iter__ gives its own order to BatchSampler
    # and DataLoader (not the parent's vectorised index array); likewise a BatchSampler's
    class Reversed(SequentialSampler):
        def __iter__(self):
            return iter(range(len(self.data_source) - 1, -1, -1))

    class Pairs(BatchSampler):
        def __iter__(self):
            return iter([[0, 1], [2, 3]])

    x, dataset = indexed()
    backwards = list(range(22, -1, -1))
    assert list(BatchSampler(Reversed(dataset), 5, False)) == chunks(backwards, 5, False)
    loader = DataLoader(dataset, batch_size=4, sampler=Reversed(dataset))
    assert loader_indices(loader) == chunks(backwards, 4, False)
    batches = DataLoader(dataset, batch_sampler=Pairs(SequentialSampler(dataset), 5, False))
    assert loader_indices(batches) == [[0, 1], [2, 3]]


def test_loader_with_sampler_and_collate_fn():
    _, dataset = indexed(6)
    loader = DataLoader(dataset, batch_sampler=[[4, 0], [5]],
                        collate_fn=lambda samples: [int(s[1].item()) for s in samples])
    assert list(loader) == [[4, 0], [5]]


def test_default_loader_describes_its_order_with_samplers():
    _, dataset = indexed(10)
    plain = DataLoader(dataset, batch_size=3)
    assert isinstance(plain.sampler, SequentialSampler)
    assert isinstance(plain.batch_sampler, BatchSampler) and plain.batch_sampler.batch_size == 3
    assert list(plain.batch_sampler) == loader_indices(plain)
    shuffled = DataLoader(dataset, batch_size=4, shuffle=True, seed=1)
    assert isinstance(shuffled.sampler, RandomSampler)
    # empty shuffled datasets still load (the sampler is only made when asked for)
    assert list(DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=2, shuffle=True)) == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive "
         "with batch_size, shuffle, sampler, and drop_last"),
        ({"batch_sampler": [[0]], "shuffle": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "sampler": [0]}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ],
)
def test_mutually_exclusive_options_are_refused_as_pytorch(kwargs, message):
    _, dataset = indexed(5)
    with pytest.raises(ValueError, match=message):
        DataLoader(dataset, **kwargs)


def test_compatible_defaults_and_non_iterable_samplers():
    _, dataset = indexed(5)
    DataLoader(dataset, batch_sampler=[[0]], batch_size=1, shuffle=False, drop_last=False)
    DataLoader(dataset, sampler=[0], shuffle=False)
    with pytest.raises(TypeError, match="sampler must be iterable"):
        DataLoader(dataset, sampler=3)
    with pytest.raises(TypeError, match="batch_sampler must be iterable"):
        DataLoader(dataset, batch_sampler=3)


def test_loader_with_seeded_samplers_repeats():
    _, dataset = indexed()
    tinygrad_opt.manual_seed(21)
    first = loader_indices(DataLoader(dataset, batch_size=4, sampler=RandomSampler(dataset)))
    tinygrad_opt.manual_seed(21)
    again = loader_indices(DataLoader(dataset, batch_size=4, sampler=RandomSampler(dataset)))
    assert first == again


# ---------------------------------------------------------------------- IterableDataset
class Stream(IterableDataset):
    def __init__(self, n, sized=True):
        self.n, self.sized = n, sized

    def __iter__(self):
        for i in range(self.n):
            yield np.full(3, i, dtype=np.float32), i

    def __len__(self):
        if not self.sized:
            raise TypeError("no length")
        return self.n


@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_over_an_iterable_dataset_groups_consecutive_samples(drop_last):
    loader = DataLoader(Stream(7), batch_size=3, drop_last=drop_last)
    expected = chunks(range(7), 3, drop_last)
    got = list(loader)
    assert [b[1].numpy().tolist() for b in got] == expected
    for batch, rows in zip(got, expected, strict=True):
        np.testing.assert_array_equal(batch[0].numpy(), np.repeat(np.array(rows)[:, None], 3, 1))
    assert len(loader) == len(expected)
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7, sized=False), batch_size=3))
    assert [b[1].numpy().tolist() for b in DataLoader(Stream(4, sized=False), batch_size=3)] == [
        [0, 1, 2], [3]]


@pytest.mark.parametrize(
    "kwargs, name",
    [({"shuffle": True}, "shuffle"), ({"sampler": [0]}, "sampler"),
     ({"batch_sampler": [[0]]}, "batch_sampler")],
)
def test_iterable_dataset_refuses_order_options(kwargs, name):
    with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected "
                       f"unspecified {name} option, but got {name}="):
        DataLoader(Stream(4), **kwargs)


# ----------------------------------------------------------------------------- resume
def run_and_stop(loader, stop_after, path):
    seen = []
    for batch in loader:
        seen.append(batch[-1].numpy().tolist())
        if len(seen) == stop_after:
            save(loader.state_dict(), path)
            break
    return seen


SAMPLER_LOADERS = {
    "random": lambda ds, seed: DataLoader(ds, batch_size=4,
                                          sampler=RandomSampler(ds, generator=seed)),
    "weighted": lambda ds, seed: DataLoader(
        ds, batch_size=3, sampler=WeightedRandomSampler(np.arange(1.0, 24.0), 14, generator=seed)),
    "subset": lambda ds, seed: DataLoader(
        ds, batch_size=2, sampler=SubsetRandomSampler(list(range(0, 23, 3)), generator=seed)),
    "batch_sampler": lambda ds, seed: DataLoader(
        ds, batch_sampler=BatchSampler(RandomSampler(ds, replacement=True, generator=seed), 5,
                                       False)),
}


@pytest.mark.parametrize("stop_after", [1, 2])
@pytest.mark.parametrize("kind", sorted(SAMPLER_LOADERS))
def test_resume_with_a_seeded_sampler_repeats_the_uninterrupted_run(tmp_path, kind, stop_after):
    _, dataset = indexed()
    make = SAMPLER_LOADERS[kind]
    reference = make(dataset, 5)
    uninterrupted = [loader_indices(reference) for _ in range(3)]
    loader = make(dataset, 5)
    loader_indices(loader)  # one whole epoch first: the sampler's state has moved on
    first = run_and_stop(loader, stop_after, tmp_path / "state")
    resumed = make(dataset, 999)  # another seed: the state decides the order
    resumed.load_state_dict(load(tmp_path / "state"))
    assert first + loader_indices(resumed) == uninterrupted[1]
    assert loader_indices(resumed) == uninterrupted[2]


def test_resume_between_epochs_with_a_sampler(tmp_path):
    _, dataset = indexed()
    reference = SAMPLER_LOADERS["random"](dataset, 1)
    epochs = [loader_indices(reference) for _ in range(2)]
    loader = SAMPLER_LOADERS["random"](dataset, 1)
    loader_indices(loader)
    state = loader.state_dict()
    assert state["position"] == 0 and state["epoch"] == 1
    resumed = SAMPLER_LOADERS["random"](dataset, 2)
    resumed.load_state_dict(state)
    assert loader_indices(resumed) == epochs[1]


def test_resume_with_a_stateless_deterministic_sampler_replays_and_skips():
    _, dataset = indexed()

    class Reversed(Sampler):  # no state_dict: its order must not depend on hidden state
        def __iter__(self):
            return iter(range(22, -1, -1))

        def __len__(self):
            return 23

    loader = DataLoader(dataset, batch_size=5, sampler=Reversed())
    whole = loader_indices(loader)
    iterator = iter(loader)
    next(iterator)
    next(iterator)
    state = loader.state_dict()
    assert state["position"] == 2 and state["sampler_state"] == {"sampler_state": None}
    resumed = DataLoader(dataset, batch_size=5, sampler=Reversed())
    resumed.load_state_dict(state)
    assert loader_indices(resumed) == whole[2:]
    assert loader_indices(resumed) == whole


def test_resume_an_iterable_dataset_skips_the_handed_out_batches():
    loader = DataLoader(Stream(10), batch_size=3)
    iterator = iter(loader)
    next(iterator)
    state = loader.state_dict()
    assert state["position"] == 1 and state["sampler_state"] is None
    resumed = DataLoader(Stream(10), batch_size=3)
    resumed.load_state_dict(state)
    assert [b[1].numpy().tolist() for b in resumed] == [[3, 4, 5], [6, 7, 8], [9]]


def test_sampler_states_do_not_mix_with_other_loaders():
    _, dataset = indexed()
    with_sampler = SAMPLER_LOADERS["random"](dataset, 1)
    plain = DataLoader(dataset, batch_size=4, shuffle=True, seed=1)
    plain_before, sampler_before = plain.state_dict(), with_sampler.state_dict()
    with pytest.raises(ValueError, match="saved by a loader with a sampler"):
        plain.load_state_dict(with_sampler.state_dict())
    with pytest.raises(ValueError, match="missing keys"):
        with_sampler.load_state_dict(plain.state_dict())
    stateless = DataLoader(dataset, batch_size=4, sampler=list(range(23)))
    with pytest.raises(ValueError, match="sampler state"):
        with_sampler.load_state_dict(stateless.state_dict())
    bad = {**sampler_before, "sampler_state": {"sampler_state": {"rng_state": {"x": 1}}}}
    with pytest.raises(ValueError, match="rng_state"):
        with_sampler.load_state_dict(bad)
    assert plain.state_dict() == plain_before
    assert with_sampler.state_dict() == sampler_before


def test_fit_resumes_mid_epoch_with_a_weighted_sampler_bit_identically(tmp_path):
    """A checkpoint taken by `fit` inside an epoch brings back the sampler's order: the
    resumed run (built with another package seed) matches the uninterrupted one."""
    from tinygrad_opt import nn, optim
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import ModelCheckpoint, fit

    def run(epochs, seed=0, resume_from=None, checkpoint=None):
        tinygrad_opt.manual_seed(seed)  # seeds the model and the unseeded sampler
        rng = np.random.default_rng(0)
        x = rng.normal(size=(60, 5)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64)
        dataset = TensorDataset(x, y)
        sampler = WeightedRandomSampler(np.where(y == 1, 3.0, 1.0), 40)
        loader = DataLoader(dataset, batch_size=8, sampler=sampler)  # 5 batches
        model = nn.Linear(5, 2)
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        callbacks = [ModelCheckpoint(checkpoint, None, 7)] if checkpoint else []
        history = fit(model, cross_entropy, optimizer, loader, epochs, callbacks=callbacks,
                      resume_from=resume_from, progress=False)
        return model, history

    full_model, full = run(2)
    run(2, checkpoint=tmp_path / "step7.tgo")  # saved after batch 2 of the second epoch
    model, resumed = run(2, seed=1, resume_from=tmp_path / "step7.tgo")
    assert resumed.loss == full.loss and len(full.loss) == 10
    np.testing.assert_array_equal(model.weight.data, full_model.weight.data)
    other_model, _ = run(2, seed=1)  # the check can fail: another seed trains otherwise
    assert not np.array_equal(other_model.weight.data, full_model.weight.data)


def test_fit_trains_on_an_iterable_dataset_of_unknown_length():
    """The same samples as a stream (no len) and as a TensorDataset give the same run."""
    from tinygrad_opt import nn, optim
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(22, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    class Rows(IterableDataset):
        def __iter__(self):
            return zip(x, y.tolist())

    def train(loader):
        tinygrad_opt.manual_seed(0)
        model = nn.Linear(4, 2)
        history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader, 2,
                      progress=False)
        return model, history

    stream = DataLoader(Rows(), batch_size=5)
    with pytest.raises(TypeError):
        len(stream)
    model, history = train(stream)
    reference, reference_history = train(DataLoader(TensorDataset(x, y), batch_size=5))
    assert len(history.loss) == 10 and history.loss == reference_history.loss
    np.testing.assert_array_equal(model.weight.data, reference.weight.data)


def test_reassigned_indices_are_used():
    sampler = SubsetRandomSampler([1, 2, 3], generator=0)
    sampler.indices = [7, 8]
    assert sorted(sampler) == [7, 8] and len(sampler) == 2
    subset = Subset(list(range(10, 20)), [0, 1])
    subset.indices = [9, 5]
    assert [subset[0], subset[1]] == [19, 15]
    (field,) = subset.__getitems__([1, 0])  # the batch route follows the new indices too
    assert field.tolist() == [15, 19]
    with pytest.raises(TypeError, match="indices"):
        sampler.indices = ["a"]
