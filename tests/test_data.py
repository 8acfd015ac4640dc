"""DataLoader and TensorDataset: batches against naive indexing, shuffling, exact resume."""

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor
from tinygrad_opt.data import DataLoader, Dataset, TensorDataset
from tinygrad_opt.serialization import load, save


def make_xy(n=23):
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
    y = (np.arange(n) * 7 % 5).astype(np.int64)
    return x, y


def naive_batches(x, y, order, batch_size, drop_last):
    """Plain per-sample loop over `order`, written independently of the loader."""
    batches, current = [], []
    for i in order:
        current.append(i)
        if len(current) == batch_size:
            batches.append(current)
            current = []
    if current and not drop_last:
        batches.append(current)
    return [(np.stack([x[i] for i in b]), np.array([y[i] for i in b])) for b in batches]


def collect(loader):
    return [tuple(t.numpy().copy() for t in batch) for batch in loader]


def assert_batches_equal(got, expected):
    assert len(got) == len(expected)
    for (gx, gy), (ex, ey) in zip(got, expected):
        np.testing.assert_array_equal(gx, ex)
        np.testing.assert_array_equal(gy, ey)


@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 40])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_batches_match_naive_indexing(batch_size, drop_last):
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    got = collect(loader)
    expected = naive_batches(x, y, range(len(x)), batch_size, drop_last)
    assert_batches_equal(got, expected)
    assert len(loader) == len(expected)
    for batch in loader:
        assert isinstance(batch, tuple) and all(isinstance(t, Tensor) for t in batch)
        assert batch[0].dtype == np.float32 and batch[1].dtype == np.int64


def test_batch_gd_and_pure_sgd_extremes():
    x, y = make_xy(10)
    (full,) = list(DataLoader(TensorDataset(x, y), batch_size=10))
    np.testing.assert_array_equal(full[0].numpy(), x)
    sgd = list(DataLoader(TensorDataset(x, y), batch_size=1, shuffle=True, seed=3))
    assert len(sgd) == 10 and all(b[0].shape == (1, 2, 3) for b in sgd)
    seen = sorted(int(b[1].item() * 100 + b[0].numpy()[0, 0, 0]) for b in sgd)
    assert seen == sorted(int(y[i] * 100 + x[i, 0, 0]) for i in range(10))


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_batches_are_a_permutation_from_the_seeded_generator(drop_last):
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=123,
                        drop_last=drop_last)
    rng = np.random.default_rng(123)  # the documented rule: one permutation per epoch
    for _ in range(3):
        expected = naive_batches(x, y, rng.permutation(len(x)), 4, drop_last)
        assert_batches_equal(collect(loader), expected)


def test_shuffle_is_deterministic_per_seed_and_epochs_differ():
    x, y = make_xy(50)
    a = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=7)
    c = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=8)
    first_a, first_b, first_c = collect(a), collect(b), collect(c)
    assert_batches_equal(first_a, first_b)
    assert not np.array_equal(first_a[0][0], first_c[0][0])
    assert not np.array_equal(first_a[0][0], collect(a)[0][0])


def test_unseeded_shuffle_follows_manual_seed():
    x, y = make_xy(40)
    tinygrad_opt.manual_seed(11)
    first = collect(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True))
    tinygrad_opt.manual_seed(11)
    again = collect(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True))
    assert_batches_equal(first, again)
    # a loader that does not shuffle draws nothing from the package generator
    tinygrad_opt.manual_seed(11)
    DataLoader(TensorDataset(x, y), batch_size=8)
    after = tinygrad_opt.random.generator().integers(0, 2**63)
    tinygrad_opt.manual_seed(11)
    assert after == tinygrad_opt.random.generator().integers(0, 2**63)


def test_unseeded_shuffle_draws_its_seed_from_the_package_generator():
    x, y = make_xy(30)
    for package_seed in (11, 12):
        # the documented rule: one draw of integers(0, 2**63) from the package generator
        loader_seed = int(np.random.default_rng(package_seed).integers(0, 2**63))
        rng = np.random.default_rng(loader_seed)
        tinygrad_opt.manual_seed(package_seed)
        loader = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True)
        for _ in range(2):
            expected = naive_batches(x, y, rng.permutation(30), 7, False)
            assert_batches_equal(collect(loader), expected)


def test_numpy_integer_seed_and_batch_size_are_accepted():
    x, y = make_xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=np.int64(4), shuffle=True,
                        seed=np.uint32(123))
    expected = naive_batches(x, y, np.random.default_rng(123).permutation(len(x)), 4, False)
    assert_batches_equal(collect(loader), expected)
    assert len(loader) == 6


def test_tensor_dataset_items_are_tuples_of_rows():
    x, y = make_xy(6)
    ds = TensorDataset(Tensor(x), y)
    assert len(ds) == 6
    item = ds[4]
    assert type(item) is tuple and len(item) == 2
    np.testing.assert_array_equal(item[0], x[4])
    assert item[1] == y[4]


@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_of_every_dtype_are_copies(shuffle):
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6, dtype=np.int64)
    x_before, y_before = x.copy(), y.copy()
    loader = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=shuffle, seed=0)
    for bx, by in loader:
        assert bx.dtype == np.float64 and by.dtype == np.int64
        bx.data[...] = -1.0
        by.data[...] = -1
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_tensors_and_float_lists_are_accepted_and_dtypes_kept():
    x = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([0, 1, 2, 3], dtype=np.int64))
    ds = TensorDataset(x, y, [0.5, 1.5, 2.5, 3.5])
    (bx, by, bz) = next(iter(DataLoader(ds, batch_size=4)))
    assert bx.dtype == np.float32 and by.dtype == np.int64 and bz.dtype == np.float32
    assert not bx.requires_grad
    bx.data[0, 0] = 99.0  # batches are copies: the dataset is untouched
    assert x.data[0, 0] == 1.0


class SampleDataset(Dataset):
    """A generic dataset with no `arrays`: one sample per __getitem__ call."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return np.full((2,), i, dtype=np.float32), i, float(i) / 2


class BatchDataset(SampleDataset):
    def __getitems__(self, indices):
        self.batch_calls = getattr(self, "batch_calls", 0) + 1
        # documented: called with a list of ints (as PyTorch's samplers pass)
        assert type(indices) is list and all(type(i) is int for i in indices), indices
        idx = np.asarray(indices)
        return np.repeat(idx[:, None], 2, axis=1).astype(np.float32), idx, idx / 2


@pytest.mark.parametrize("cls", [SampleDataset, BatchDataset])
def test_generic_datasets_collate_like_naive_indexing(cls):
    ds = cls(11)
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    order = np.random.default_rng(0).permutation(11)
    for batch, start in zip(loader, range(0, 11, 4)):
        idx = order[start : start + 4]
        np.testing.assert_array_equal(batch[0].numpy(), np.stack([np.full(2, i) for i in idx]))
        np.testing.assert_array_equal(batch[1].numpy(), idx)
        np.testing.assert_allclose(batch[2].numpy(), idx / 2)
        assert batch[1].dtype == np.int64
    if cls is BatchDataset:
        assert ds.calls == 0 and ds.batch_calls == 3  # one call per batch
    else:
        assert ds.calls == 11
        assert batch[2].dtype == np.float32  # Python floats become float32, as in Tensor


def test_list_and_tensor_samples_are_collated_field_by_field():
    class ListSamples(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):  # a list, as PyTorch's default_collate also accepts
            return [Tensor(np.full(3, i, dtype=np.float32)), Tensor(np.array(10 + i)), i]

    (bx, by, bi) = next(iter(DataLoader(ListSamples(), batch_size=5)))
    np.testing.assert_array_equal(bx.numpy(), np.repeat(np.arange(5.0)[:, None], 3, axis=1))
    np.testing.assert_array_equal(by.numpy(), 10 + np.arange(5))
    np.testing.assert_array_equal(bi.numpy(), np.arange(5))
    assert bx.dtype == np.float32 and by.dtype == np.int64 and bi.dtype == np.int64
    assert bx.shape == (5, 3) and by.shape == (5,)


def test_getitems_may_return_one_array_for_one_field():
    class Rows(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            return np.stack([np.arange(3) + 10 * i for i in indices])

    batches = list(DataLoader(Rows(), batch_size=3))
    assert [len(b) for b in batches] == [1, 1, 1]
    np.testing.assert_array_equal(batches[2][0].numpy(), [[60, 61, 62]])
    np.testing.assert_array_equal(batches[0][0].numpy(), [[0, 1, 2], [10, 11, 12], [20, 21, 22]])


def test_a_dataset_whose_arrays_disagree_with_its_length_is_refused():
    class Inconsistent(Dataset):
        def __init__(self):
            self.arrays = (np.zeros((5, 2)), np.zeros(4))

        def __len__(self):
            return 5

        def __getitem__(self, i):
            return tuple(a[i] for a in self.arrays)

    with pytest.raises(ValueError, match=r"dataset\.arrays\[1\] has shape \(4,\)"):
        DataLoader(Inconsistent(), batch_size=2)


def test_numpy_float64_scalar_samples_keep_their_dtype():
    class Float64Targets(Dataset):
        y = np.linspace(0.0, 1.0, 4)  # float64; y[i] is a np.float64 scalar

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.float32(i), self.y[i]

    (bi, by) = next(iter(DataLoader(Float64Targets(), batch_size=4)))
    assert bi.dtype == np.float32
    assert by.dtype == np.float64
    np.testing.assert_array_equal(by.numpy(), np.linspace(0.0, 1.0, 4))


def test_single_field_samples_give_one_tuple():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i * i], dtype=np.float32)

    (batch,) = list(DataLoader(Squares(), batch_size=5))
    assert len(batch) == 1
    np.testing.assert_array_equal(batch[0].numpy()[:, 0], [0, 1, 4, 9, 16])


@pytest.mark.parametrize("stop_after", [0, 1, 3, 5, 6])
@pytest.mark.parametrize("shuffle", [True, False])
def test_resume_mid_epoch_repeats_the_uninterrupted_order(tmp_path, stop_after, shuffle):
    x, y = make_xy(23)
    reference = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=shuffle, seed=5)
    uninterrupted = [collect(reference) for _ in range(3)]  # 6 batches per epoch

    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=shuffle, seed=5)
    first_epoch = []
    if stop_after == 0:
        save(loader.state_dict(), tmp_path / "loader")
    else:
        for batch in loader:
            first_epoch.append(tuple(t.numpy().copy() for t in batch))
            if len(first_epoch) == stop_after:
                save(loader.state_dict(), tmp_path / "loader")  # checkpoint inside the loop
                break  # the "crash"
    # A different seed proves the state, not the constructor, decides the order.
    resumed = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=shuffle, seed=999)
    resumed.load_state_dict(load(tmp_path / "loader"))
    rest = collect(resumed)
    if stop_after == len(loader):  # saved after the last batch: resume at the next epoch
        assert_batches_equal(first_epoch, uninterrupted[0])
        assert_batches_equal(rest, uninterrupted[1])
        assert_batches_equal(collect(resumed), uninterrupted[2])
    else:
        assert_batches_equal(first_epoch + rest, uninterrupted[0])
        assert_batches_equal(collect(resumed), uninterrupted[1])
        assert_batches_equal(collect(resumed), uninterrupted[2])


def test_state_dict_counts_epochs_and_batches_handed_out():
    x, y = make_xy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True, seed=4)  # 4 batches
    seen = []
    for _ in range(2):
        for _ in loader:
            state = loader.state_dict()
            seen.append((state["epoch"], state["position"]))
    # inside an epoch: (epoch, batches handed out); after its last batch: the next epoch's start
    assert seen == [(0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0)]
    assert loader.state_dict()["epoch"] == 2 and loader.state_dict()["position"] == 0


def test_state_between_epochs_and_after_abandoning_an_epoch():
    x, y = make_xy(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=1)
    reference = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=1)
    collect(reference)
    epoch2 = collect(reference)
    collect(loader)
    state = loader.state_dict()
    assert state["epoch"] == 1 and state["position"] == 0
    for _ in loader:  # abandon epoch 2 after one batch: like PyTorch, it is over
        break
    assert loader.state_dict()["position"] == 0
    other = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=2)
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert_batches_equal(collect(other), epoch2)


def test_load_state_dict_rejects_mismatched_loaders_and_leaves_state_alone():
    x, y = make_xy(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, seed=1)
    state = loader.state_dict()
    before = loader.state_dict()
    for change, message in [
        ({"batch_size": 4}, "batch_size"),
        ({"dataset_size": 21}, "dataset_size"),
        ({"shuffle": False}, "shuffle"),
        ({"drop_last": True}, "drop_last"),
        ({"position": 9}, "position"),
        ({"position": 5}, r"position 5 is not in \[0, 4\]"),
        ({"position": -1}, "position"),
        ({"position": True}, "position"),
        ({"rng_state": {"bit_generator": "nonsense"}}, "rng_state"),
        ({"epoch": -1}, "epoch"),
        ({"epoch": 1.5}, "epoch"),
    ]:
        with pytest.raises(ValueError, match=message):
            loader.load_state_dict({**state, **change})
        assert loader.state_dict() == before
    with pytest.raises(ValueError, match="missing"):
        loader.load_state_dict({"epoch": 0})


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.5}, TypeError, "batch_size"),
        ({"batch_size": True}, TypeError, "batch_size"),
        ({"shuffle": "yes"}, TypeError, "shuffle"),
        ({"drop_last": 1}, TypeError, "drop_last"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.0}, TypeError, "seed"),
        ({"collate_fn": "stack"}, TypeError, "collate_fn"),
    ],
)
def test_invalid_arguments_are_refused(kwargs, error, message):
    x, y = make_xy(5)
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(x, y), **kwargs)


def test_invalid_datasets_are_refused():
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(42)
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.zeros(3), np.float32(1.0))
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_empty_and_tiny_datasets():
    x, y = make_xy(3)
    assert list(DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)) == []
    assert len(DataLoader(TensorDataset(x[:0], y[:0]), batch_size=4)) == 0
    (only,) = list(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=0))
    assert only[0].shape == (3, 2, 3)


def test_a_batch_fetch_of_the_wrong_length_is_reported():
    class Broken(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return np.zeros(2)

        def __getitems__(self, indices):
            return np.zeros((len(indices) + 1, 2)), np.zeros(len(indices))

    with pytest.raises(RuntimeError, match="first dimension"):
        next(iter(DataLoader(Broken(), batch_size=3)))


def test_tensor_dataset_items_are_tensors_and_loader_takes_torchs_worker_arguments():
    x, y = make_xy()
    ds = TensorDataset(x, Tensor(y))
    xi, yi = ds[3]
    assert isinstance(xi, Tensor) and isinstance(yi, Tensor)
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.dtype == np.int64 and yi.shape == () and int(yi) == y[3]
    plain = collect(DataLoader(ds, batch_size=5, shuffle=True, seed=1))
    kwargs = dict(batch_size=5, shuffle=True, seed=1, num_workers=2, pin_memory=True)
    assert_batches_equal(collect(DataLoader(ds, **kwargs)), plain)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError, match="pin_memory"):
        DataLoader(ds, pin_memory="yes")


def test_collate_fn_receives_each_batchs_samples_and_makes_the_batch():
    """As torch.utils.data: collate_fn gets the list of dataset[i] of a batch (in the
    loader's order) and the loader yields what it returns, unchanged."""
    x, y = make_xy(7)
    seen = []

    def pad_and_count(samples):
        seen.append(len(samples))
        rows = np.stack([np.asarray(features.data) for features, _ in samples])
        return {"x": Tensor(rows), "count": len(samples)}

    loader = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True, seed=4,
                        collate_fn=pad_and_count)
    plain = DataLoader(TensorDataset(x, y), batch_size=3, shuffle=True, seed=4)
    for batch, (xb, _) in zip(loader, plain, strict=True):  # the same order
        assert batch["count"] == len(xb)
        np.testing.assert_array_equal(batch["x"].data, xb.data)
    assert seen == [3, 3, 1]



def test_torchs_other_worker_options_are_accepted_checked_and_change_nothing():
    x, y = make_xy()
    ds = TensorDataset(x, y)
    plain = collect(DataLoader(ds, batch_size=4, shuffle=True, seed=3))
    calls = []
    kwargs = dict(batch_size=4, shuffle=True, seed=3, num_workers=2, timeout=5,
                  worker_init_fn=calls.append, multiprocessing_context="spawn",
                  prefetch_factor=2, persistent_workers=True, pin_memory_device="", in_order=False)
    assert_batches_equal(collect(DataLoader(ds, **kwargs)), plain)
    assert calls == []  # no worker processes, so no worker to initialise
    no_workers = dict(batch_size=4, timeout=0, worker_init_fn=calls.append, in_order=True)
    unshuffled = collect(DataLoader(ds, batch_size=4))
    assert_batches_equal(collect(DataLoader(ds, **no_workers)), unshuffled)
    for bad, error, message in [
        (dict(persistent_workers=True), ValueError, "persistent_workers.*num_workers > 0"),
        (dict(prefetch_factor=2), ValueError, "prefetch_factor.*num_workers > 0"),
        (dict(multiprocessing_context="fork"), ValueError, "multiprocessing_context"),
        (dict(num_workers=1, prefetch_factor=-1), ValueError, "prefetch_factor"),
        (dict(timeout=-1), ValueError, "timeout"),
        (dict(timeout="1"), TypeError, "timeout"),
        (dict(worker_init_fn=3), TypeError, "worker_init_fn"),
        (dict(num_workers=1, persistent_workers="yes"), TypeError, "persistent_workers"),
    ]:
        with pytest.raises(error, match=message):
            DataLoader(ds, **bad)
