"""TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder/Decoder and
Transformer against the numpy layer equations of attention_reference.py (post-norm and
pre-norm), finite differences in float64, PyTorch's state_dict keys, and a small model that
learns to reverse a sequence."""

import math

import numpy as np
import pytest
from attention_reference import (
    decoder_layer,
    encoder_layer,
    gelu,
    layer_norm,
    relu,
    sub,
)
from finite_differences import finite_difference_check

from tinygrad_opt import Tensor, loss, manual_seed, nn, no_grad, optim


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, grad=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def numpy_state(module):
    return {k: v.astype(np.float64) for k, v in module.state_dict().items()}


def per_sequence(x, batch_first):
    """(L, N, E) or (N, L, E) -> list of (L, E) sequences."""
    return list(x) if batch_first else list(x.transpose(1, 0, 2))


def stack(seqs, batch_first):
    out = np.stack(seqs)
    return out if batch_first else out.transpose(1, 0, 2)


ACTS = {"relu": ("relu", relu), "gelu": ("gelu", gelu), "module": (nn.GELU(), gelu)}


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("act", list(ACTS))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_encoder_layer_matches_the_equations(norm_first, batch_first, act, bias):
    manual_seed(1)
    layer = nn.TransformerEncoderLayer(6, 2, 8, dropout=0.3, activation=ACTS[act][0],
                                       batch_first=batch_first, norm_first=norm_first,
                                       bias=bias, dtype=np.float64).eval()
    sd = numpy_state(layer)
    L, N = 4, 3
    x = randn(N, L, 6, seed=2) if batch_first else randn(L, N, 6, seed=2)
    mask = np.random.default_rng(3).random((L, L)) > 0.7
    mask[np.arange(L), np.arange(L)] = False
    kpm = np.zeros((N, L), bool)
    kpm[1, -1] = True
    out = layer(T(x), src_mask=mask, src_key_padding_mask=kpm)
    expected = [encoder_layer(sd, s, 2, norm_first, ACTS[act][1], mask, kpm[n])
                for n, s in enumerate(per_sequence(x, batch_first))]
    np.testing.assert_allclose(out.data, stack(expected, batch_first), rtol=1e-9, atol=1e-10)


def test_encoder_layer_unbatched_and_float_causal_mask():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dtype=np.float64).eval()
    sd = numpy_state(layer)
    x = randn(5, 4, seed=1)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=np.float64)
    out = layer(T(x), src_mask=mask, is_causal=True)
    np.testing.assert_allclose(out.data, encoder_layer(sd, x, 2, False, relu, mask.data),
                               rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
def test_decoder_layer_matches_the_equations(norm_first, batch_first):
    manual_seed(2)
    layer = nn.TransformerDecoderLayer(6, 3, 8, dropout=0.2, batch_first=batch_first,
                                       norm_first=norm_first, dtype=np.float64).eval()
    sd = numpy_state(layer)
    L, S, N = 4, 3, 2
    shape = (lambda n: (N, n, 6)) if batch_first else (lambda n: (n, N, 6))
    tgt, mem = randn(*shape(L), seed=1), randn(*shape(S), seed=2)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=np.float64).data
    mem_mask = randn(L, S, seed=3)
    mem_kpm = np.array([[False, False, True], [False, False, False]])
    out = layer(T(tgt), T(mem), tgt_mask=tgt_mask, memory_mask=mem_mask,
                memory_key_padding_mask=mem_kpm, tgt_is_causal=True)
    expected = [decoder_layer(sd, t, m, 3, norm_first, relu, tgt_mask, mem_mask, None, mem_kpm[n])
                for n, (t, m) in enumerate(zip(per_sequence(tgt, batch_first),
                                               per_sequence(mem, batch_first)))]
    np.testing.assert_allclose(out.data, stack(expected, batch_first), rtol=1e-9, atol=1e-10)


def test_encoder_stacks_deep_copies_then_the_norm():
    manual_seed(3)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dtype=np.float64)
    norm = nn.LayerNorm(4, dtype=np.float64)
    enc = nn.TransformerEncoder(layer, 3, norm).eval()
    proto = numpy_state(layer)
    for copy_ in enc.layers:  # copies: equal values, separate parameters
        assert copy_ is not layer and copy_.linear1.weight is not layer.linear1.weight
        for k, v in numpy_state(copy_).items():
            np.testing.assert_array_equal(v, proto[k])
    enc.layers[1].linear1.weight.data[:] = randn(8, 4, seed=4)  # layers now differ
    sd = numpy_state(enc)
    x = randn(3, 2, 4, seed=5)
    expected = []
    for s in per_sequence(x, False):
        for i in range(3):
            s = encoder_layer(sub(sd, f"layers.{i}"), s, 2, False)
        expected.append(layer_norm(s, sd["norm.weight"], sd["norm.bias"]))
    np.testing.assert_allclose(enc(T(x)).data, stack(expected, False), rtol=1e-9, atol=1e-10)
    assert enc.num_layers == 3 and len(enc.layers) == 3


def test_transformer_is_encoder_then_decoder_with_final_norms():
    manual_seed(4)
    model = nn.Transformer(4, 2, 2, 1, 8, batch_first=True, dtype=np.float64).eval()
    sd = numpy_state(model)
    src, tgt = randn(2, 5, 4, seed=1), randn(2, 3, 4, seed=2)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=np.float64)
    src_kpm = np.zeros((2, 5), bool)
    src_kpm[0, 3:] = True
    out = model(T(src), T(tgt), tgt_mask=tgt_mask, src_key_padding_mask=src_kpm,
                memory_key_padding_mask=src_kpm)
    expected = []
    for n in range(2):
        m = src[n]
        for i in range(2):
            m = encoder_layer(sub(sd, f"encoder.layers.{i}"), m, 2, False, kpm=src_kpm[n])
        m = layer_norm(m, sd["encoder.norm.weight"], sd["encoder.norm.bias"])
        y = decoder_layer(sub(sd, "decoder.layers.0"), tgt[n], m, 2, False,
                          tgt_mask=tgt_mask.data, mem_kpm=src_kpm[n])
        expected.append(layer_norm(y, sd["decoder.norm.weight"], sd["decoder.norm.bias"]))
    np.testing.assert_allclose(out.data, np.stack(expected), rtol=1e-9, atol=1e-10)


def test_transformer_state_dict_keys_are_pytorchs():
    keys = list(nn.Transformer(8, 2, 1, 1, 16).state_dict())
    attn = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    ff = ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]

    def norms(n):
        return [f"norm{i}.{p}" for i in range(1, n + 1) for p in ("weight", "bias")]
    enc = [f"self_attn.{a}" for a in attn] + ff + norms(2)
    dec = [f"self_attn.{a}" for a in attn] + [f"multihead_attn.{a}" for a in attn] + ff + norms(3)
    expected = [f"encoder.layers.0.{k}" for k in enc] + ["encoder.norm.weight", "encoder.norm.bias"]
    expected += [f"decoder.layers.0.{k}" for k in dec]
    expected += ["decoder.norm.weight", "decoder.norm.bias"]
    assert keys == expected
    shapes = nn.TransformerEncoderLayer(8, 2, 16).state_dict()
    assert shapes["self_attn.in_proj_weight"].shape == (24, 8)
    assert shapes["linear1.weight"].shape == (16, 8) and shapes["linear2.weight"].shape == (8, 16)
    assert list(nn.TransformerEncoderLayer(8, 2, 16, bias=False).state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight",
        "linear2.weight", "norm1.weight", "norm2.weight"]


def test_transformer_init_is_xavier_uniform_on_matrices():
    manual_seed(0)
    model = nn.Transformer(16, 2, 1, 1, 64)
    for name, p in model.named_parameters():
        if p.ndim > 1:
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.data).max() <= bound, name
            assert np.abs(p.data).max() > 0.8 * bound, name
    assert np.all(model.encoder.layers[0].self_attn.in_proj_bias.data == 0)
    assert np.all(model.encoder.norm.weight.data == 1)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(4)
    expected = np.array([[0.0 if j <= i else -np.inf for j in range(4)] for i in range(4)])
    np.testing.assert_array_equal(m.data, expected)
    assert m.dtype == np.float32


def test_dropout_is_identity_in_eval_and_active_in_training():
    manual_seed(5)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5, dtype=np.float64)
    x = T(randn(3, 2, 4, seed=1))
    layer.eval()
    expected = [encoder_layer(numpy_state(layer), s, 2, False) for s in per_sequence(x.data, False)]
    np.testing.assert_allclose(layer(x).data, stack(expected, False), rtol=1e-9, atol=1e-10)
    layer.train()
    assert not np.allclose(layer(x).data, stack(expected, False))


@pytest.mark.parametrize("cls,names", [
    (nn.TransformerEncoderLayer, ["dropout", "dropout1", "dropout2", "self_attn"]),
    (nn.TransformerDecoderLayer,
     ["dropout", "dropout1", "dropout2", "dropout3", "self_attn", "multihead_attn"]),
])
def test_each_dropout_is_used_in_training(cls, names):
    for active in names:  # only `active` drops; the output must then differ from eval's
        manual_seed(6)
        layer = cls(4, 2, 8, dropout=0.0, dtype=np.float64)
        module = getattr(layer, active)
        if isinstance(module, nn.MultiheadAttention):
            module.dropout = 0.5
        else:
            module.p = 0.5
        x = T(randn(3, 2, 4, seed=1))
        args = (x, T(randn(2, 2, 4, seed=2))) if cls is nn.TransformerDecoderLayer else (x,)
        evaluated = layer.eval()(*args).data
        assert not np.allclose(layer.train()(*args).data, evaluated), active


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_gradients_by_finite_differences(norm_first):
    manual_seed(6)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       norm_first=norm_first, dtype=np.float64)
    for p in layer.parameters():  # off the init's zeros and ones
        p.data[:] += 0.1 * randn(*p.shape, seed=p.size)
    arrays = {"src": randn(3, 2, 4, seed=1), **dict(layer.named_parameters())}
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=np.float64)

    def forward(t):
        return [layer(t["src"], src_mask=mask)]

    finite_difference_check(forward, arrays)


def test_decoder_layer_gradients_by_finite_differences():
    manual_seed(7)
    layer = nn.TransformerDecoderLayer(4, 2, 5, dropout=0.0, batch_first=True,
                                       dtype=np.float64)
    for p in layer.parameters():
        p.data[:] += 0.1 * randn(*p.shape, seed=p.size)
    arrays = {"tgt": randn(2, 3, 4, seed=1), "memory": randn(2, 2, 4, seed=2),
              **dict(layer.named_parameters())}
    kpm = np.array([[False, True], [False, False]])

    def forward(t):
        return [layer(t["tgt"], t["memory"], memory_key_padding_mask=kpm)]

    finite_difference_check(forward, arrays)


def test_errors():
    with pytest.raises(ValueError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match="activation"):
        nn.TransformerDecoderLayer(4, 2, activation=3)
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerEncoderLayer(5, 2)
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 0)
    with pytest.raises(TypeError, match="layer Module"):
        nn.TransformerDecoder("layer", 2)
    model = nn.Transformer(4, 2, 1, 1, 8)
    src = Tensor(randn(3, 2, 4).astype(np.float32))
    with pytest.raises(ValueError, match="batch number"):
        model(src, Tensor(randn(3, 1, 4).astype(np.float32)))
    with pytest.raises(ValueError, match="d_model"):
        model(src, Tensor(randn(3, 2, 5).astype(np.float32)))


def test_a_one_layer_encoder_learns_to_reverse_a_sequence():
    manual_seed(0)
    rng = np.random.default_rng(0)
    V, L, D = 6, 5, 16
    emb = nn.Embedding(V, D)
    pos = nn.Parameter(rng.standard_normal((L, D)).astype(np.float32) * 0.5)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, 2, 32, dropout=0.0,
                                                           batch_first=True), 1)
    head = nn.Linear(D, V)
    params = [*emb.parameters(), pos, *enc.parameters(), *head.parameters()]
    opt = optim.Adam(params, lr=0.01)

    def logits(x):
        return head(enc(emb(Tensor(x)) + pos))

    for _ in range(150):
        x = rng.integers(0, V, (32, L))
        err = loss.cross_entropy(logits(x).reshape(-1, V), x[:, ::-1].reshape(-1))
        opt.zero_grad()
        err.backward()
        opt.step()
    x = rng.integers(0, V, (256, L))
    with no_grad():
        out = logits(x)
    assert loss.cross_entropy(out.reshape(-1, V), x[:, ::-1].reshape(-1)).item() < 0.05
    assert (out.data.argmax(-1) == x[:, ::-1]).mean() == 1.0


def test_exported():
    for name in ("Transformer", "TransformerEncoder", "TransformerEncoderLayer",
                 "TransformerDecoder", "TransformerDecoderLayer"):
        assert name in nn.__all__ and issubclass(getattr(nn, name), nn.Module)
