"""set_default_dtype / get_default_dtype: which creations, promotions and layers follow it."""

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.ops.creation import zeros as zeros_imported_early

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


@pytest.fixture(autouse=True)
def restore_default():
    before = tg.get_default_dtype()
    yield
    tg.set_default_dtype(before)


@pytest.fixture
def float64_default():
    tg.set_default_dtype(tg.float64)


def test_default_is_float32_and_set_get_round_trip():
    assert tg.get_default_dtype() == F32 and isinstance(tg.get_default_dtype(), np.dtype)
    assert tg.tensor([0.1]).dtype == F32 and tg.zeros(2).dtype == F32
    tg.set_default_dtype(np.float64)  # a numpy scalar type counts as a dtype
    assert tg.get_default_dtype() == F64
    tg.set_default_dtype(tg.float32)
    assert tg.get_default_dtype() == F32


@pytest.mark.parametrize(
    "bad", [tg.int64, tg.float16, tg.bool, np.int32, "float64", float, None, 3]
)
def test_set_default_dtype_refuses_non_float32_64_and_keeps_state(bad):
    tg.set_default_dtype(tg.float64)
    with pytest.raises(TypeError, match="set_default_dtype: only floating-point") as info:
        tg.set_default_dtype(bad)
    assert repr(bad) in str(info.value)
    assert tg.get_default_dtype() == F64


# (call, reference values in float64) for every floating creation that follows the default
CREATIONS = {
    "Tensor(float)": (lambda: tg.Tensor(0.1), np.float64(0.1)),
    "Tensor(list)": (lambda: tg.Tensor([0.1, 0.2]), [0.1, 0.2]),
    "tensor(list)": (lambda: tg.tensor([[0.1], [1e-300]]), [[0.1], [1e-300]]),
    "tensor(mixed)": (lambda: tg.tensor([1, 0.1]), [1.0, 0.1]),
    "zeros": (lambda: tg.zeros(2, 3), np.zeros((2, 3))),
    "ones": (lambda: tg.ones((2,)), np.ones(2)),
    "empty": (lambda: tg.empty(2), np.zeros(2)),
    "full(float)": (lambda: tg.full((2,), 0.1), [0.1, 0.1]),
    "eye": (lambda: tg.eye(2, 3), [[1, 0, 0], [0, 1, 0]]),
    "arange(float end)": (lambda: tg.arange(0, 0.35, 0.1), [0.0, 0.1, 0.2, 0.30000000000000004]),
    "arange(float step)": (lambda: tg.arange(0, 1, 0.5), [0.0, 0.5]),
    # start + k * step, step = (end - start) / (steps - 1), as computed in float64
    "linspace": (lambda: tg.linspace(0, 1, 11), [k * (1 / 10) for k in range(11)]),
    "logspace": (lambda: tg.logspace(0, 2, 3), [1.0, 10.0, 100.0]),
    "module-level import": (lambda: zeros_imported_early(1), [0.0]),
    "Parameter()": (lambda: nn.Parameter(), np.zeros(0)),
    "transformer mask": (
        lambda: nn.Transformer.generate_square_subsequent_mask(2),
        [[0.0, -np.inf], [0.0, 0.0]],
    ),
}


@pytest.mark.parametrize("name", list(CREATIONS))
def test_float_creations_follow_default(name, float64_default):
    make, reference = CREATIONS[name]
    out = make()
    assert out.dtype == F64, name
    # exact: 0.1 and 1e-300 survive only in float64
    np.testing.assert_array_equal(out.data, np.asarray(reference, dtype=np.float64))


@pytest.mark.parametrize("name", list(CREATIONS))
def test_float_creations_float32_when_never_set(name):
    assert CREATIONS[name][0]().dtype == F32, name


def test_random_creations_follow_default_with_the_float64_stream(float64_default):
    # tg.manual_seed(s) draws what numpy.random.default_rng(s) draws (documented in random.py)
    for name, make, draw in [
        ("rand", lambda: tg.rand(2, 3), lambda r: r.random((2, 3))),
        ("randn", lambda: tg.randn(4), lambda r: r.standard_normal(4)),
        ("normal", lambda: tg.normal(1.0, 2.0, size=(3,)),
         lambda r: 1.0 + 2.0 * r.standard_normal(3)),
    ]:
        tg.manual_seed(7)
        out = make()
        assert out.dtype == F64, name
        np.testing.assert_allclose(out.data, draw(np.random.default_rng(7)), rtol=1e-15)


def test_what_stays_as_it_was_under_float64_default(float64_default):
    assert tg.arange(3).dtype == np.int64  # all-int arguments: int64, as torch
    assert tg.full((2,), 3).dtype == np.int64 and tg.full((2,), True).dtype == np.bool_
    assert tg.randint(0, 5, (3,)).dtype == np.int64 and tg.randperm(4).dtype == np.int64
    assert tg.tensor([1, 2]).dtype == np.int64 and tg.tensor([True]).dtype == np.bool_
    # numpy data keeps its own dtype, as torch.tensor(ndarray) / torch.from_numpy
    assert tg.tensor(np.zeros(2, np.float32)).dtype == F32
    assert tg.Tensor(np.float32(1.5)).dtype == F32
    assert tg.from_numpy(np.zeros(2, np.float32)).dtype == F32
    # *_like keep the input's dtype; explicit dtype= wins
    f32 = tg.zeros(2, dtype=tg.float32)
    assert f32.dtype == F32 and tg.zeros_like(f32).dtype == F32
    assert tg.rand_like(f32).dtype == F32 and tg.randn_like(f32).dtype == F32
    assert tg.ones(2, dtype=tg.float32).dtype == F32
    assert tg.tensor([0.5], dtype=tg.float32).dtype == F32
    assert tg.eye(2, dtype=tg.int64).dtype == np.int64
    # a Python scalar never upcasts a float32 tensor
    assert (f32 * 0.1).dtype == F32


def test_float64_arrays_stay_float64_under_float32_default():
    assert tg.tensor(np.zeros(2)).dtype == F64 and tg.Tensor(np.float64(1)).dtype == F64


def test_integer_promotions_follow_default(float64_default):
    i = tg.tensor([1, 2, 3])
    scaled = i * 0.1
    assert scaled.dtype == F64
    np.testing.assert_array_equal(scaled.data, np.array([1, 2, 3]) * 0.1)
    third = i / tg.tensor([3, 3, 3])
    assert third.dtype == F64
    np.testing.assert_array_equal(third.data, np.array([1, 2, 3]) / 3)
    half = i / 2
    assert half.dtype == F64
    np.testing.assert_array_equal(half.data, [0.5, 1.0, 1.5])
    e = i.exp()
    assert e.dtype == F64
    np.testing.assert_allclose(e.data, np.exp([1.0, 2.0, 3.0]), rtol=1e-15)
    assert tg.atan2(i, i).dtype == F64 and i.clip(0.5, 2.5).dtype == F64
    tg.set_default_dtype(tg.float32)
    assert (i * 0.1).dtype == F32 and (i / 2).dtype == F32 and i.exp().dtype == F32


def test_errors_leave_default_alone(float64_default):
    with pytest.raises(TypeError, match="randn: dtype must be floating point"):
        tg.randn(2, dtype=tg.int64)
    assert tg.get_default_dtype() == F64


# every layer that makes floating parameters from a dtype= keyword
LAYERS = {
    "Linear": lambda **k: nn.Linear(3, 2, **k),
    "Bilinear": lambda **k: nn.Bilinear(2, 3, 4, **k),
    "Conv1d": lambda **k: nn.Conv1d(2, 3, 3, **k),
    "Conv2d": lambda **k: nn.Conv2d(2, 3, 3, **k),
    "ConvTranspose1d": lambda **k: nn.ConvTranspose1d(2, 3, 3, **k),
    "ConvTranspose2d": lambda **k: nn.ConvTranspose2d(2, 3, 3, **k),
    "BatchNorm1d": lambda **k: nn.BatchNorm1d(3, **k),
    "BatchNorm2d": lambda **k: nn.BatchNorm2d(3, **k),
    "LayerNorm": lambda **k: nn.LayerNorm(4, **k),
    "GroupNorm": lambda **k: nn.GroupNorm(2, 4, **k),
    "InstanceNorm1d": lambda **k: nn.InstanceNorm1d(3, affine=True, track_running_stats=True, **k),
    "InstanceNorm2d": lambda **k: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, **k),
    "Embedding": lambda **k: nn.Embedding(5, 3, **k),
    "EmbeddingBag": lambda **k: nn.EmbeddingBag(5, 3, **k),
    "RNN": lambda **k: nn.RNN(3, 4, num_layers=2, **k),
    "LSTM": lambda **k: nn.LSTM(3, 4, bidirectional=True, **k),
    "GRU": lambda **k: nn.GRU(3, 4, **k),
    "RNNCell": lambda **k: nn.RNNCell(3, 4, **k),
    "LSTMCell": lambda **k: nn.LSTMCell(3, 4, **k),
    "GRUCell": lambda **k: nn.GRUCell(3, 4, **k),
    "MultiheadAttention": lambda **k: nn.MultiheadAttention(4, 2, kdim=3, vdim=5, **k),
    "TransformerEncoderLayer": lambda **k: nn.TransformerEncoderLayer(4, 2, 8, **k),
    "TransformerDecoderLayer": lambda **k: nn.TransformerDecoderLayer(4, 2, 8, **k),
    "Transformer": lambda **k: nn.Transformer(4, 2, 1, 1, 8, **k),
    "PReLU": lambda **k: nn.PReLU(3, **k),
}


def _float_state(module):
    state = module.state_dict()
    floats = {k: v for k, v in state.items() if np.asarray(v).dtype.kind == "f"}
    assert floats, "the layer has floating parameters"
    return state, floats


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_follow_default(name, float64_default):
    module = LAYERS[name]()
    state, floats = _float_state(module)
    assert {np.asarray(v).dtype for v in floats.values()} == {F64}, name
    assert all(p.dtype == F64 for p in module.parameters())
    # integer buffers (num_batches_tracked) are not touched
    assert all(np.asarray(v).dtype == np.int64 for k, v in state.items() if k not in floats)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_explicit_dtype_and_float32_default(name):
    _, floats = _float_state(LAYERS[name]())
    assert {np.asarray(v).dtype for v in floats.values()} == {F32}, name
    tg.set_default_dtype(tg.float64)
    _, floats = _float_state(LAYERS[name](dtype=tg.float32))
    assert {np.asarray(v).dtype for v in floats.values()} == {F32}, name


def test_lora_follows_its_base_layer(float64_default):
    lora = nn.LoRALinear(nn.Linear(3, 2), r=2)
    assert lora.lora_A.dtype == F64 and lora.lora_B.dtype == F64


def test_linear_forward_under_float64_default(float64_default):
    layer = nn.Linear(3, 2)
    x = tg.tensor([[0.1, 0.2, 0.3]])
    out = layer(x)
    assert out.dtype == F64
    w, b = layer.weight.data, layer.bias.data
    reference = [sum(0.1 * (j + 1) * w[i, j] for j in range(3)) + b[i] for i in range(2)]
    np.testing.assert_allclose(out.data[0], reference, rtol=1e-14)
