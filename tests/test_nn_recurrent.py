"""RNN, LSTM, GRU and their cells: forward values against a naive numpy loop written from
PyTorch's documented equations, float64 finite-difference gradients of the input, the
initial state and every parameter, parameter names/shapes/init, state_dict round trips,
dropout, input validation and a small training run."""

import math
import warnings

import numpy as np
import pytest
from finite_differences import finite_difference_check

from tinygrad_opt import Tensor, loss, manual_seed, nn, no_grad, optim
from tinygrad_opt.nn.recurrent import RNNBase

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


# ----------------------------------------------------------------- numpy reference
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_cell(kind, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None, relu=False):
    """One step from the documented equations; x (N, In), h (N, P), c (N, H)."""
    H = w_hh.shape[0] // GATES[kind]
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if kind == "RNN":
        a = gi + gh
        return (np.maximum(a, 0.0) if relu else np.tanh(a)), None
    if kind == "LSTM":
        i = sigmoid(gi[:, :H] + gh[:, :H])
        f = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        g = np.tanh(gi[:, 2 * H:3 * H] + gh[:, 2 * H:3 * H])
        o = sigmoid(gi[:, 3 * H:] + gh[:, 3 * H:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        if w_hr is not None:
            h_new = h_new @ w_hr.T
        return h_new, c_new
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h, None


def ref_sequence(kind, sd, x, h0, c0, num_layers, directions, relu=False):
    """x (L, N, In), h0 (D * layers, N, P), c0 (D * layers, N, H) -> output, h_n, c_n."""
    L, N = x.shape[:2]
    layer_input = x
    h_n, c_n = [], []
    for layer in range(num_layers):
        outputs = []
        for d in range(directions):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = sd["weight_ih" + sfx], sd["weight_hh" + sfx]
            b_ih = sd.get("bias_ih" + sfx, np.zeros(w_ih.shape[0]))
            b_hh = sd.get("bias_hh" + sfx, np.zeros(w_hh.shape[0]))
            w_hr = sd.get("weight_hr" + sfx)
            k = layer * directions + d
            h, c = h0[k], (None if c0 is None else c0[k])
            out = np.zeros((L, N, h.shape[-1]))
            for t in (range(L - 1, -1, -1) if d else range(L)):
                h, c = ref_cell(kind, layer_input[t], h, c, w_ih, w_hh, b_ih, b_hh, w_hr, relu)
                out[t] = h
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=2)
    return layer_input, np.stack(h_n), (None if c0 is None else np.stack(c_n))


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def make(kind, *args, **kwargs):
    """A float64 layer with its nonlinearity keyword only where it exists."""
    relu = kwargs.pop("relu", False)
    if relu:
        kwargs["nonlinearity"] = "relu"
    return getattr(nn, kind)(*args, dtype=np.float64, **kwargs)


def numpy_state(module):
    return {k: np.array(v) for k, v in module.state_dict().items()}


# -------------------------------------------------------------------- forward values
CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True),
    dict(bias=False, num_layers=2),
    dict(batch_first=True, bidirectional=True),
]


@pytest.mark.parametrize("kind", ["RNN", "RNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c) or "default")
@pytest.mark.parametrize("layout", ["batched", "unbatched"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "h0"])
def test_sequence_layers_match_a_naive_loop(kind, config, layout, given_state):
    manual_seed(1)
    relu = kind == "RNN-relu"
    kind = kind.split("-")[0]
    In, H, L, N = 3, 4, 5, 2
    layer = make(kind, In, H, relu=relu, **config)
    sd = numpy_state(layer)
    layers, D = config.get("num_layers", 1), 2 if config.get("bidirectional") else 1
    x = randn(L, N, In, seed=2)
    h0 = randn(D * layers, N, H, seed=3) if given_state else np.zeros((D * layers, N, H))
    c0 = (randn(D * layers, N, H, seed=4) if given_state else np.zeros_like(h0))
    c0 = c0 if kind == "LSTM" else None
    out_ref, hn_ref, cn_ref = ref_sequence(kind, sd, x, h0, c0, layers, D, relu)

    if layout == "unbatched":
        x, h0, out_ref, hn_ref = x[:, 0], h0[:, 0], out_ref[:, 0], hn_ref[:, 0]
        c0, cn_ref = (c0[:, 0], cn_ref[:, 0]) if kind == "LSTM" else (c0, cn_ref)
    elif config.get("batch_first"):
        x, out_ref = x.transpose(1, 0, 2), out_ref.transpose(1, 0, 2)
    hx = None
    if given_state:
        hx = (Tensor(h0), Tensor(c0)) if kind == "LSTM" else Tensor(h0)
    out, state = layer(Tensor(x), hx)
    hn, cn = state if kind == "LSTM" else (state, None)
    assert out.shape == out_ref.shape and hn.shape == hn_ref.shape
    np.testing.assert_allclose(out.data, out_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hn.data, hn_ref, rtol=1e-12, atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(cn.data, cn_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_with_projection_matches_a_naive_loop(bidirectional):
    manual_seed(2)
    layer = make("LSTM", 3, 5, num_layers=2, proj_size=2, bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    assert layer.weight_hr_l1.shape == (2, 5) and layer.weight_hh_l0.shape == (20, 2)
    assert layer.weight_ih_l1.shape == (20, 2 * D)
    x, h0, c0 = randn(4, 3, 3, seed=1), randn(2 * D, 3, 2, seed=2), randn(2 * D, 3, 5, seed=3)
    out_ref, hn_ref, cn_ref = ref_sequence("LSTM", numpy_state(layer), x, h0, c0, 2, D)
    out, (hn, cn) = layer(Tensor(x), (Tensor(h0), Tensor(c0)))
    assert out.shape == (4, 3, 2 * D) and hn.shape == (2 * D, 3, 2) and cn.shape == (2 * D, 3, 5)
    for ours, ref in ((out, out_ref), (hn, hn_ref), (cn, cn_ref)):
        np.testing.assert_allclose(ours.data, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("length", [1, 2, 7, 16])
def test_every_sequence_length_matches_the_naive_loop(length):
    # the steps' rows are split off in halves of halves: odd and power-of-two lengths
    layer = make("LSTM", 3, 4, bidirectional=True)
    x = randn(length, 2, 3)
    zeros = np.zeros((2, 2, 4))
    out_ref, hn_ref, cn_ref = ref_sequence("LSTM", numpy_state(layer), x, zeros, zeros, 1, 2)
    out, (hn, cn) = layer(Tensor(x))
    for ours, ref in ((out, out_ref), (hn, hn_ref), (cn, cn_ref)):
        np.testing.assert_allclose(ours.data, ref, rtol=1e-12, atol=1e-12)


def test_the_last_output_step_is_h_n_for_each_direction():
    layer = make("GRU", 3, 4, bidirectional=True)
    out, hn = layer(Tensor(randn(6, 2, 3)))
    # forward direction ends at the last step, the reverse one at the first
    np.testing.assert_array_equal(out.data[-1, :, :4], hn.data[0])
    np.testing.assert_array_equal(out.data[0, :, 4:], hn.data[1])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_float32_layers_keep_float32(kind):
    layer = getattr(nn, kind)(3, 4)
    out, state = layer(Tensor(randn(5, 2, 3).astype(np.float32)))
    hn = state[0] if kind == "LSTM" else state
    assert out.dtype == np.float32 and hn.dtype == np.float32


@pytest.mark.parametrize("kind", ["RNNCell", "RNNCell-relu", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [False, True])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_one_step_of_the_equations(kind, bias, given_state, batched):
    manual_seed(3)
    relu = kind.endswith("relu")
    kind = kind.split("-")[0]
    base = kind[:-4]
    cell = make(kind, 3, 4, bias=bias, relu=relu)
    sd = numpy_state(cell)
    assert list(sd) == ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    x = randn(2, 3, seed=5)
    h = randn(2, 4, seed=6) if given_state else np.zeros((2, 4))
    c = randn(2, 4, seed=7) if given_state else np.zeros((2, 4))
    b_ih = sd.get("bias_ih", np.zeros(4 * GATES[base]))
    b_hh = sd.get("bias_hh", np.zeros(4 * GATES[base]))
    h_ref, c_ref = ref_cell(base, x, h, c, sd["weight_ih"], sd["weight_hh"], b_ih, b_hh,
                            relu=relu)
    if not batched:
        x, h, c, h_ref = x[0], h[0], c[0], h_ref[0]
        c_ref = None if c_ref is None else c_ref[0]
    hx = None
    if given_state:
        hx = (Tensor(h), Tensor(c)) if base == "LSTM" else Tensor(h)
    result = cell(Tensor(x), hx)
    h_new, c_new = result if base == "LSTM" else (result, None)
    assert h_new.shape == h_ref.shape
    np.testing.assert_allclose(h_new.data, h_ref, rtol=1e-12, atol=1e-12)
    if base == "LSTM":
        np.testing.assert_allclose(c_new.data, c_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_cell_looped_over_time_equals_the_layer(kind):
    layer = make(kind, 3, 4)
    cell = make(kind + "Cell", 3, 4)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = randn(5, 2, 3)
    out, _ = layer(Tensor(x))
    state = None
    for t in range(5):
        state = cell(Tensor(x[t]), state)
        h = state[0] if kind == "LSTM" else state
        np.testing.assert_allclose(h.data, out.data[t], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("kind", ["RNN", "RNN-relu", "LSTM", "GRU"])
@pytest.mark.parametrize("config", [
    dict(num_layers=2, bidirectional=True),
    dict(bias=False, batch_first=True),
], ids=["2layers-bidirectional", "nobias-batchfirst"])
def test_sequence_gradients_by_finite_differences(kind, config):
    manual_seed(4)
    relu = kind == "RNN-relu"
    kind = kind.split("-")[0]
    layer = make(kind, 2, 2, relu=relu, **config)
    D = 2 if config.get("bidirectional") else 1
    states = D * config.get("num_layers", 1)
    x = randn(3, 2, 2, seed=1)  # L = 3, N = 2
    x = x.transpose(1, 0, 2).copy() if config.get("batch_first") else x
    arrays = {"input": x, "h_0": randn(states, 2, 2, seed=2) * 0.5}
    if kind == "LSTM":
        arrays["c_0"] = randn(states, 2, 2, seed=3) * 0.5
    params = dict(layer.named_parameters())
    arrays.update(params)

    def forward(t):
        hx = (t["h_0"], t["c_0"]) if kind == "LSTM" else t["h_0"]
        out, state = layer(t["input"], hx)
        return [out, *state] if kind == "LSTM" else [out, state]

    finite_difference_check(forward, arrays)


def test_lstm_projection_gradients_by_finite_differences():
    manual_seed(5)
    layer = make("LSTM", 2, 3, proj_size=2, num_layers=2, bidirectional=True)
    arrays = {"input": randn(3, 2, 2, seed=1), "h_0": randn(4, 2, 2, seed=2),
              "c_0": randn(4, 2, 3, seed=3), **dict(layer.named_parameters())}

    def forward(t):
        out, (hn, cn) = layer(t["input"], (t["h_0"], t["c_0"]))
        return [out, hn, cn]

    finite_difference_check(forward, arrays)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradients_by_finite_differences(kind):
    manual_seed(6)
    cell = make(kind, 3, 2)
    arrays = {"input": randn(2, 3, seed=1), "h": randn(2, 2, seed=2),
              **dict(cell.named_parameters())}
    if kind == "LSTMCell":
        arrays["c"] = randn(2, 2, seed=3)

    def forward(t):
        if kind == "LSTMCell":
            return list(cell(t["input"], (t["h"], t["c"])))
        return [cell(t["input"], t["h"])]

    finite_difference_check(forward, arrays)


# --------------------------------------------------------------------------- dropout
def test_dropout_only_in_training_and_only_between_layers():
    manual_seed(7)
    with_dropout = make("GRU", 3, 4, num_layers=2, dropout=0.5)
    plain = make("GRU", 3, 4, num_layers=2)
    plain.load_state_dict(with_dropout.state_dict())
    x = Tensor(randn(6, 5, 3))
    with_dropout.eval()
    out_eval, hn_eval = with_dropout(x)
    out_plain, hn_plain = plain(x)
    np.testing.assert_array_equal(out_eval.data, out_plain.data)
    np.testing.assert_array_equal(hn_eval.data, hn_plain.data)
    with_dropout.train()
    out_train, hn_train = with_dropout(x)
    # the first layer sees no dropout; the second layer's input was dropped out
    np.testing.assert_array_equal(hn_train.data[0], hn_plain.data[0])
    assert not np.allclose(out_train.data, out_plain.data)


def test_dropout_is_inverted_dropout_on_the_first_layers_output():
    manual_seed(8)
    layer = make("RNN", 2, 50, num_layers=2, dropout=0.5)
    x = randn(1, 1, 2)
    out, _ = layer(Tensor(x))  # training mode: the default
    sd = numpy_state(layer)
    h1, _ = ref_cell("RNN", x[0], np.zeros((1, 50)), None, sd["weight_ih_l0"],
                     sd["weight_hh_l0"], sd["bias_ih_l0"], sd["bias_hh_l0"])
    # invert the second layer (h_0 = 0, square weight) to recover its dropped-out input
    pre = np.arctanh(out.data[0, 0]) - sd["bias_ih_l1"] - sd["bias_hh_l1"]
    ratio = np.linalg.solve(sd["weight_ih_l1"], pre) / h1[0]
    # every element is either zeroed or scaled by 1 / (1 - p) = 2
    dropped, kept = np.isclose(ratio, 0, atol=1e-6), np.isclose(ratio, 2, atol=1e-6)
    assert np.all(dropped | kept)
    assert 10 < kept.sum() < 40


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.2)


# --------------------------------------------------------------- parameters and init
def expected_names(kind, layers, bidirectional, bias, proj=False):
    names = []
    for layer in range(layers):
        for sfx in ["", "_reverse"][: 2 if bidirectional else 1]:
            parts = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
            parts += ["weight_hr"] if proj else []
            names += [f"{p}_l{layer}{sfx}" for p in parts]
    return names


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_parameter_names_shapes_and_order(kind, bidirectional, bias):
    layer = getattr(nn, kind)(3, 5, num_layers=3, bias=bias, bidirectional=bidirectional)
    names = expected_names(kind, 3, bidirectional, bias)
    assert [n for n, _ in layer.named_parameters()] == names
    assert list(layer.state_dict()) == names
    G, D = GATES[kind] * 5, 2 if bidirectional else 1
    for name, p in layer.named_parameters():
        layer_index = int(name.split("_l")[1][0])
        if name.startswith("weight_ih"):
            assert p.shape == (G, 3 if layer_index == 0 else 5 * D)
        elif name.startswith("weight_hh"):
            assert p.shape == (G, 5)
        else:
            assert p.shape == (G,)
    # all_weights: one list per layer and direction, in parameter order
    assert len(layer.all_weights) == 3 * D
    assert all(len(w) == (4 if bias else 2) for w in layer.all_weights)
    flat = [p for group in layer.all_weights for p in group]
    assert all(a is b for a, b in zip(flat, layer.parameters(), strict=True))
    layer.flatten_parameters()  # accepted for PyTorch code, does nothing


def test_lstm_projection_parameter_names():
    layer = nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True)
    assert list(layer.state_dict()) == expected_names("LSTM", 2, True, True, proj=True)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    manual_seed(10)
    hidden = 64
    layer = getattr(nn, kind)(32, hidden)
    bound = 1 / math.sqrt(hidden)
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert np.all(np.abs(values) <= bound)
    # U(-b, b): mean 0, variance b^2 / 3, and both ends reached
    assert abs(values.mean()) < 0.02 * bound
    assert values.var() == pytest.approx(bound**2 / 3, rel=0.05)
    assert values.max() > 0.99 * bound and values.min() < -0.99 * bound
    for p in layer.parameters():  # biases too, not only weights
        assert np.abs(p.data).max() > 0.5 * bound


def test_reset_parameters_redraws():
    layer = nn.GRU(3, 4)
    before = numpy_state(layer)
    layer.reset_parameters()
    assert all(not np.array_equal(before[k], v) for k, v in layer.state_dict().items())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "GRUCell"])
def test_state_dict_round_trip(kind):
    manual_seed(11)
    kwargs = {} if kind.endswith("Cell") else dict(num_layers=2, bidirectional=True)
    a = getattr(nn, kind)(3, 4, **kwargs)
    b = getattr(nn, kind)(3, 4, **kwargs)
    result = b.load_state_dict(a.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    x = Tensor(randn(5, 2, 3) if not kind.endswith("Cell") else randn(2, 3))
    out_a, out_b = a(x), b(x)
    first_a = out_a[0] if isinstance(out_a, tuple) else out_a
    first_b = out_b[0] if isinstance(out_b, tuple) else out_b
    np.testing.assert_array_equal(first_a.data, first_b.data)
    with pytest.raises((KeyError, RuntimeError, ValueError)):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if "hh" not in k})


def test_repr_shows_the_non_default_arguments():
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == (
        "LSTM(3, 4, num_layers=2, batch_first=True)")
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


# ------------------------------------------------------------------------ validation
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bad_input_shapes_are_value_errors_naming_the_layer(kind):
    layer = getattr(nn, kind)(3, 4, num_layers=2)
    rank = rf"{kind}: expected input of 3 dimensions.*\(2, 5, 3, 1\)"
    with pytest.raises(ValueError, match=rank):
        layer(Tensor(np.zeros((2, 5, 3, 1))))
    with pytest.raises(ValueError, match=rf"{kind}: expected input with 3 features.*\(5, 2, 2\)"):
        layer(Tensor(np.zeros((5, 2, 2))))
    with pytest.raises(ValueError, match=rf"{kind}: expected a sequence of length at least 1"):
        layer(Tensor(np.zeros((0, 2, 3))))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        layer(np.zeros((5, 2, 3)))
    h = Tensor(np.zeros((1, 2, 4)))  # one layer's worth; two are needed
    hx = (h, h) if kind == "LSTM" else h
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        layer(Tensor(np.zeros((5, 2, 3))), hx)
    h = Tensor(np.zeros((2, 2, 4)))  # batched h_0 for unbatched input
    hx = (h, h) if kind == "LSTM" else h
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 4\), got \(2, 2, 4\)"):
        layer(Tensor(np.zeros((5, 3))), hx)


def test_lstm_state_errors():
    layer = nn.LSTM(3, 4)
    x = Tensor(np.zeros((5, 2, 3)))
    good = Tensor(np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        layer(x, good)
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, 2, 4\), got \(1, 2, 5\)"):
        layer(x, (good, Tensor(np.zeros((1, 2, 5)))))
    proj = nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, 2, 2\)"):
        proj(x, (good, good))


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_input_errors(kind):
    cell = getattr(nn, kind)(3, 4)
    with pytest.raises(ValueError, match=rf"{kind}: expected input of 2 dimensions"):
        cell(Tensor(np.zeros((1, 2, 3))))
    with pytest.raises(ValueError, match=rf"{kind}: expected input with 3 features"):
        cell(Tensor(np.zeros((2, 5))))
    h = Tensor(np.zeros((3, 4)))
    hx = (h, h) if kind == "LSTMCell" else h
    with pytest.raises(ValueError, match=r"of shape \(2, 4\), got \(3, 4\)"):
        cell(Tensor(np.zeros((2, 3))), hx)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(hidden_size=0), ValueError, "hidden_size must be greater than zero"),
    (dict(hidden_size=2.0), TypeError, "hidden_size should be of type int"),
    (dict(num_layers=0), ValueError, "num_layers must be greater than zero"),
    (dict(dropout=1.5), ValueError, "dropout probability has to be between 0 and 1"),
    (dict(dropout=True), ValueError, "dropout probability"),
    (dict(proj_size=4), ValueError, "proj_size has to be smaller than hidden_size"),
    (dict(proj_size=-1), ValueError, "proj_size must be at least 0"),
])
def test_constructor_errors(kwargs, error, match):
    args = dict(input_size=3, hidden_size=4)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        nn.LSTM(**args)


def test_nonlinearity_and_proj_size_errors():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(TypeError, match="proj_size"):  # not in GRU's signature
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="GRU: proj_size is only supported for LSTM"):
        RNNBase("GRU", 3, 4, proj_size=2)


# -------------------------------------------------------------------------- training
def test_lstm_learns_the_running_sum():
    manual_seed(12)
    rng = np.random.default_rng(12)
    lstm, head = nn.LSTM(1, 16, batch_first=True), nn.Linear(16, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=0.01)
    x_val = rng.uniform(-1, 1, (64, 5, 1)).astype(np.float32)

    def val_loss():
        with no_grad():
            out, _ = lstm(Tensor(x_val))
            return loss.mse_loss(head(out), Tensor(np.cumsum(x_val, axis=1))).item()

    start = val_loss()
    for _ in range(300):
        x = rng.uniform(-1, 1, (32, 5, 1)).astype(np.float32)
        out, _ = lstm(Tensor(x))
        err = loss.mse_loss(head(out), Tensor(np.cumsum(x, axis=1)))
        opt.zero_grad()
        err.backward()
        opt.step()
    # the target's variance is about 1 (sum of up to 5 U(-1, 1) draws, variance 1/3 each)
    assert start > 0.5
    assert val_loss() < 0.01


def test_exported_from_nn():
    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        assert name in nn.__all__ and issubclass(getattr(nn, name), nn.Module)
