"""utils.data: default_collate / default_convert against hand-built batches, StackDataset,
get_worker_info."""

from collections import namedtuple

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.utils.data import (
    DataLoader,
    StackDataset,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
)

Point = namedtuple("Point", "x y")


def test_default_collate_structures():
    rng = np.random.default_rng(0)
    images = [rng.normal(size=(2, 3)) for _ in range(4)]
    samples = [{"image": Tensor(im), "label": i, "w": 0.5 * i, "name": f"s{i}",
                "pair": (np.int32(i), np.ones(2, dtype=np.float32) * i)}
               for i, im in enumerate(images)]
    batch = default_collate(samples)
    assert set(batch) == {"image", "label", "w", "name", "pair"}
    np.testing.assert_array_equal(batch["image"].data, np.stack(images))
    assert batch["image"].dtype == np.float64
    np.testing.assert_array_equal(batch["label"].data, [0, 1, 2, 3])
    assert batch["label"].dtype == np.int64
    np.testing.assert_array_equal(batch["w"].data, [0.0, 0.5, 1.0, 1.5])
    assert batch["w"].dtype == np.float32  # deviation: PyTorch gives float64
    assert batch["name"] == ["s0", "s1", "s2", "s3"]
    assert isinstance(batch["pair"], list) and batch["pair"][0].dtype == np.int32
    np.testing.assert_array_equal(batch["pair"][1].data, np.arange(4)[:, None] * np.ones(2))
    points = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(points, Point)
    np.testing.assert_array_equal(points.x.data, [1, 3])
    lists = default_collate([[1, 2], [3, 4], [5, 6]])
    assert isinstance(lists, list) and len(lists) == 2
    np.testing.assert_array_equal(lists[1].data, [2, 4, 6])
    flags = default_collate([True, False])
    assert flags.dtype == np.bool_


def test_default_collate_keeps_the_graph():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    batch = default_collate([a, b])
    (batch * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError):
        default_collate([])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float64(2.5), "text", 7)})
    assert isinstance(out["a"], Tensor) and out["a"].dtype == np.arange(3).dtype
    assert isinstance(out["b"], list) and isinstance(out["b"][0], Tensor)
    assert out["b"][0].item() == 2.5 and out["b"][1:] == ["text", 7]
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings
    assert default_convert(Point(np.ones(1), 2)).y == 2


def test_stack_dataset_and_loader():
    a = TensorDataset(np.arange(6.0).reshape(3, 2))
    b = [10, 20, 30]
    tuples = StackDataset(a, b)
    assert len(tuples) == 3
    sample = tuples[1]
    np.testing.assert_array_equal(sample[0][0].data, [2.0, 3.0])
    assert sample[1] == 20
    named = StackDataset(x=a, y=b)
    assert named[2]["y"] == 30
    loader = DataLoader(named, batch_size=2, collate_fn=default_collate)
    first = next(iter(loader))
    np.testing.assert_array_equal(first["x"][0].data, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(first["y"].data, [10, 20])
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(a, [1, 2])
    with pytest.raises(ValueError, match="both"):
        StackDataset(a, y=b)
    assert get_worker_info() is None


def test_loader_without_collate_fn_refuses_nested_samples():
    """A tuple of Tensors inside a sample (StackDataset of a TensorDataset) must not be
    stacked into one array: that merged a float feature and an int label into one float64
    column. The built-in batching refuses it and names default_collate, which keeps them."""
    x = np.array([0.5, 1.5, 2.5])  # one number per sample: np.stack merged (x, y) silently
    y = np.array([4, 5, 6])
    pairs = StackDataset(TensorDataset(x, y), [10, 20, 30])
    for dataset in (pairs, StackDataset(a=TensorDataset(x), b=[1, 2, 3])):
        with pytest.raises(TypeError, match="collate_fn=default_collate"):
            next(iter(DataLoader(dataset, batch_size=2)))
    (features, labels), extra = next(iter(DataLoader(pairs, batch_size=2,
                                                     collate_fn=default_collate)))
    np.testing.assert_array_equal(features.data, x[:2])
    np.testing.assert_array_equal(labels.data, y[:2])
    assert labels.data.dtype == np.int64
    np.testing.assert_array_equal(extra.data, [10, 20])
    flat = next(iter(DataLoader(TensorDataset(x, y), batch_size=2)))  # flat fields: unchanged
    np.testing.assert_array_equal(flat[1].data, y[:2])
