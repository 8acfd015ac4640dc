"""Recurrent layers with torch.nn's names, arguments, parameter layouts and state_dict keys:
`RNN`, `LSTM`, `GRU` (multi-layer, bidirectional) and the single-step `RNNCell`, `LSTMCell`,
`GRUCell`.

Built from Tensor ops (linear, sigmoid, tanh, slicing, stack, cat), so autograd gives the
gradients (backpropagation through time). Per layer and direction, the input projection
x_t W_ih^T + b_ih of all time steps is one matmul; only the recurrence h_{t-1} -> h_t loops
over time, taking the projection's rows projected[t] (the engine adds their gradients into
one buffer, tensor.SlicedGrad, so backward costs O(L) in them, not O(L^2)). For LSTM
(without proj_size) and GRU on unpacked input, that loop is one graph node instead
(recurrent_sequence.py: the same forward values, BPTT written out), ~2x faster.

Equations (PyTorch's documentation; sigma is the logistic sigmoid):
    RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu
    LSTM: i, f, g, o = chunks of W_ih x + b_ih + W_hh h + b_hh (gate order i, f, g, o)
          c' = sigma(f) * c + sigma(i) * tanh(g);  h' = sigma(o) * tanh(c')
          with proj_size > 0: h' = W_hr (sigma(o) * tanh(c'))
    GRU:  r = sigma(W_ir x + b_ir + W_hr h + b_hr);  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h
Every weight and bias starts U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch.

A PackedSequence input (nn.utils.rnn) gives a PackedSequence output: step t updates only the
first batch_sizes[t] rows (the batch is sorted by length, so the active rows are a prefix),
h_n holds each sequence's state after its own last step, the reverse direction starts each
sequence at its own last element, and h_0 / h_n are in the caller's batch order.

Deviations from PyTorch: malformed input or hidden state is a ValueError (PyTorch raises
RuntimeError for most of them);
`flatten_parameters()` is a no-op (there is no cuDNN weight buffer to compact).
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..ops.join import cat, stack
from ..tensor import Tensor
from . import init
from .dropout import _check_p, dropout
from .linear import linear
from .module import Module, Parameter
from .recurrent_sequence import gru_sequence, lstm_sequence
from .rnn_utils import PackedSequence, packed_layout

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_int(value, name: str, who: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: {name} should be of type int, got {type(value).__name__}")
    if value < minimum:
        bound = "greater than zero" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{who}: {name} must be {bound}, got {value}")
    return int(value)


def _uniform_all(module: Module, hidden_size: int) -> None:
    bound = 1.0 / math.sqrt(hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


# ------------------------------------------------------------------ one time step per mode
# `xw` is the input's projection x W_ih^T + b_ih for this step, (N, gates * hidden).


def _rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = xw + linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(
    xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None
) -> tuple[Tensor, Tensor]:
    i, f, g, o = (xw + linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = linear(h, w_hr)
    return h, c


def _gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    xr, xz, xn = xw.chunk(3, dim=-1)
    hr, hz, hn = linear(h, w_hh, b_hh).chunk(3, dim=-1)  # b_hn stays inside r * (...)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n)  # = (1 - z) * n + z * h


def _step(mode: str, xw: Tensor, state, weights: dict):
    """One step of `mode`; `state` is h, or (h, c) for LSTM; returns the new state."""
    if mode == "LSTM":
        return _lstm_step(xw, *state, weights["hh"], weights["b_hh"], weights.get("hr"))
    if mode == "GRU":
        return _gru_step(xw, state, weights["hh"], weights["b_hh"])
    return _rnn_step(xw, state, weights["hh"], weights["b_hh"], mode == "RNN_RELU")


def _tensor(value, name: str, who: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise TypeError(f"{who}: {name} must be floating point, got {value.dtype}")
    return value


def _check_shape(value: Tensor, expected: tuple[int, ...], name: str, who: str) -> None:
    if tuple(value.shape) != expected:
        raise ValueError(
            f"{who}: expected {name} of shape {expected}, got {tuple(value.shape)}"
        )


def _validated_input(
    value, input_size: int, ndims: tuple[int, int], layouts: str, who: str
) -> Tensor:
    """The input of a layer or cell: a float Tensor of ndims[0] or ndims[1] dimensions (the
    shapes `layouts` spells out for the error) with input_size features last."""
    x = _tensor(value, "input", who)
    if x.ndim not in ndims:
        raise ValueError(f"{who}: expected input of {layouts}, got shape {tuple(x.shape)}")
    if x.shape[-1] != input_size:
        raise ValueError(
            f"{who}: expected input with {input_size} features (input_size) in its "
            f"last dimension, got shape {tuple(x.shape)}"
        )
    return x


def _check_nonlinearity(nonlinearity: str, who: str) -> None:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(
            f"{who}: unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'"
        )


def _suffix(layer: int, direction: int) -> str:
    """The parameter-name suffix of a layer and direction: _l{layer}, plus _reverse."""
    return f"_l{layer}" + ("_reverse" if direction == 1 else "")


# ---------------------------------------------------------------------- multi-layer layers
class RNNBase(Module):
    """Shared body of RNN, LSTM and GRU: parameters per layer and direction, named
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and weight_hr_l{k} for an
    LSTM with proj_size > 0), with the suffix _reverse for the backward direction."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("RNNBase", device)
        super().__init__()
        who = "RNN" if mode.startswith("RNN") else mode
        self.mode = mode
        self.input_size = _check_int(input_size, "input_size", who, 0)
        self.hidden_size = _check_int(hidden_size, "hidden_size", who, 1)
        self.num_layers = _check_int(num_layers, "num_layers", who, 1)
        self.proj_size = _check_int(proj_size, "proj_size", who, 0)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{who}: proj_size is only supported for LSTM, got {proj_size}")
        if self.proj_size >= self.hidden_size:
            raise ValueError(
                f"{who}: proj_size has to be smaller than hidden_size, got proj_size="
                f"{proj_size} and hidden_size={hidden_size}"
            )
        self.dropout = _check_p(dropout, who)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{who}: dropout is applied between recurrent layers only, so dropout="
                f"{self.dropout} with num_layers=1 has no effect",
                UserWarning,
                stacklevel=3,
            )
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        dtype = default_float(dtype)

        gate_size = _GATES[mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = _suffix(layer, direction)
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(np.empty(shape, dtype=dtype)))
                    names.append(base + suffix)
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_all(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op, kept so PyTorch code that calls it ports unchanged."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _who(self) -> str:
        return type(self).__name__

    def _weights(self, layer: int, direction: int) -> dict:
        suffix = _suffix(layer, direction)
        weights = {
            "ih": getattr(self, "weight_ih" + suffix),
            "hh": getattr(self, "weight_hh" + suffix),
            "b_ih": getattr(self, "bias_ih" + suffix) if self.bias else None,
            "b_hh": getattr(self, "bias_hh" + suffix) if self.bias else None,
        }
        if self.proj_size:
            weights["hr"] = getattr(self, "weight_hr" + suffix)
        return weights

    def _initial_state(self, hx, batch: int, batched: bool, dtype) -> tuple[Tensor, ...]:
        """h_0 (and c_0), validated, as (D * num_layers, N, H) tensors."""
        who = self._who
        directions = 2 if self.bidirectional else 1
        lead = (directions * self.num_layers,) + ((batch,) if batched else ())
        shapes = {"h_0": lead + (self.proj_size or self.hidden_size,)}
        if self.mode == "LSTM":
            shapes["c_0"] = lead + (self.hidden_size,)
        if hx is None:
            full = (directions * self.num_layers, batch)
            return tuple(
                Tensor(np.zeros(full + shape[-1:], dtype=dtype)) for shape in shapes.values()
            )
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{who}: hx must be a tuple (h_0, c_0) of two Tensors")
            states = tuple(hx)
        else:
            states = (hx,)
        for (name, shape), state in zip(shapes.items(), states):
            _check_shape(_tensor(state, name, who), shape, name, who)
        return states if batched else tuple(s.unsqueeze(1) for s in states)

    def forward(self, input: Tensor, hx=None):
        """input (L, N, H_in), (N, L, H_in) when batch_first, or unbatched (L, H_in); hx is
        h_0 of shape (D * num_layers, N, H_out) (unbatched: without N), for an LSTM the pair
        (h_0, c_0); zeros when omitted. Returns (output, h_n), for an LSTM (output,
        (h_n, c_n)), in PyTorch's shapes. A PackedSequence input gives a PackedSequence
        output."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        who = self._who
        layout = "N, L" if self.batch_first else "L, N"
        layouts = f"3 dimensions ({layout}, H_in) or 2 (L, H_in) for unbatched input"
        x = _validated_input(input, self.input_size, (2, 3), layouts, who)
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        length, batch = x.shape[0], x.shape[1]
        if length == 0:
            raise ValueError(f"{who}: expected a sequence of length at least 1, got 0")
        states = self._initial_state(hx, batch, batched, self._weights(0, 0)["ih"].dtype)
        x, last = self._layers(x, states, self._run)
        if not batched:
            x = x.squeeze(1)
            last = tuple(s.squeeze(1) for s in last)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, (last if self.mode == "LSTM" else last[0])

    def _layers(self, x: Tensor, states: tuple[Tensor, ...], run):
        """Every layer and direction in turn, with dropout between layers; `run(x, state,
        weights, reverse)` runs one of them and returns its output and final state. Returns
        the last layer's output and the final states stacked as (D * num_layers, N, H)."""
        directions = 2 if self.bidirectional else 1
        finals: list[tuple[Tensor, ...]] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                weights = self._weights(layer, direction)
                state = tuple(s[k] for s in states)
                out, state = run(x, state, weights, reverse=direction == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if directions == 1 else cat(outputs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, training=True)
        return x, tuple(stack([f[i] for f in finals], dim=0) for i in range(len(states)))

    def _run(self, x: Tensor, state: tuple[Tensor, ...], weights: dict, reverse: bool):
        """One layer in one direction over x (L, N, H_in): the stacked outputs and the final
        state (h,) or (h, c)."""
        projected = linear(x, weights["ih"], weights["b_ih"])  # all steps in one matmul
        length = x.shape[0]
        if self.mode == "GRU" or (self.mode == "LSTM" and "hr" not in weights):
            return self._run_fused(projected, state, weights, reverse)
        steps = range(length - 1, -1, -1) if reverse else range(length)
        outputs: list[Tensor | None] = [None] * length
        current = state if self.mode == "LSTM" else state[0]
        for t in steps:
            current = _step(self.mode, projected[t], current, weights)
            outputs[t] = current[0] if self.mode == "LSTM" else current
        final = current if self.mode == "LSTM" else (current,)
        return stack(outputs, dim=0), final

    def _run_fused(self, projected: Tensor, state: tuple[Tensor, ...], weights: dict,
                   reverse: bool):  # fmt: skip
        """_run's recurrence as one node (recurrent_sequence.py): the same values, without
        ~15 graph nodes per step."""
        last = 0 if reverse else projected.shape[0] - 1
        if self.mode == "GRU":
            out = gru_sequence(projected, state[0], weights["hh"], weights["b_hh"], reverse)
            return out, (out[last],)
        both = lstm_sequence(projected, *state, weights["hh"], weights["b_hh"], reverse)
        return both[:-1], (both[last], both[-1])

    def _forward_packed(self, packed: PackedSequence, hx):
        """forward() on a PackedSequence: data (sum of lengths, H_in); hx and h_n are
        (D * num_layers, N, H_out) in the caller's batch order."""
        who = self._who
        sizes, sorted_idx, unsorted_idx = packed_layout(packed, who)
        x = _tensor(packed.data, "input", who)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"{who}: expected packed data of shape (sum of lengths, {self.input_size}), got "
                f"{tuple(x.shape)}"
            )
        dtype = self._weights(0, 0)["ih"].dtype
        states = self._initial_state(hx, int(sizes[0]), True, dtype)
        if hx is not None and sorted_idx is not None:  # h_0 rows follow the sorted batch
            states = tuple(s[:, sorted_idx] for s in states)
        x, last = self._layers(x, states, functools.partial(self._run_packed, sizes=sizes))
        if unsorted_idx is not None:
            last = tuple(s[:, unsorted_idx] for s in last)
        output = PackedSequence(x, packed.batch_sizes, packed.sorted_indices,
                                packed.unsorted_indices)  # fmt: skip
        return output, (last if self.mode == "LSTM" else last[0])

    def _run_packed(self, x: Tensor, state: tuple[Tensor, ...], weights: dict, reverse: bool,
                    sizes: np.ndarray):  # fmt: skip
        """One layer in one direction over packed rows x (sum of sizes, H_in): step t updates
        the first sizes[t] rows of the state. Forward, rows that stop are set aside (sizes
        only shrink); in reverse, a row joins from h_0 at its own last step. Returns the
        packed outputs and the final state, one row per sorted sequence."""
        projected = linear(x, weights["ih"], weights["b_ih"])  # all steps in one matmul
        offsets = np.concatenate(([0], np.cumsum(sizes))).tolist()
        steps = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
        outputs: list[Tensor | None] = [None] * len(sizes)
        current = tuple(s[: int(sizes[steps[0]])] for s in state)
        finished: list[tuple[Tensor, ...]] = []  # forward: rows past their last step
        for t in steps:
            active, rows = int(sizes[t]), current[0].shape[0]
            if active < rows:
                finished.append(tuple(s[active:] for s in current))
                current = tuple(s[:active] for s in current)
            elif active > rows:
                current = tuple(cat([c, s[rows:active]], dim=0) for c, s in zip(current, state))
            new = _step(self.mode, projected[offsets[t] : offsets[t + 1]],
                        current if self.mode == "LSTM" else current[0], weights)  # fmt: skip
            current = new if self.mode == "LSTM" else (new,)
            outputs[t] = current[0]
        if finished:  # the last rows stopped first
            parts = [current, *reversed(finished)]
            current = tuple(cat([p[i] for p in parts], dim=0) for i in range(len(current)))
        return cat(outputs, dim=0), current

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN, as torch.nn.RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) with
    act = tanh (default) or relu; returns (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("RNN", device)
        _check_nonlinearity(nonlinearity, "RNN")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        self.nonlinearity = nonlinearity  # a plain attribute, so settable before __init__
        super().__init__(
            modes[nonlinearity], input_size, hidden_size, num_layers, bias, batch_first,
            dropout, bidirectional, dtype=dtype,
        )


class LSTM(RNNBase):
    """Long short-term memory, as torch.nn.LSTM: gates in the order i, f, g, o; proj_size > 0
    projects h_t by weight_hr_l{k} (proj_size, hidden_size). Returns (output, (h_n, c_n))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("LSTM", device)
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, dtype=dtype,
        )


class GRU(RNNBase):
    """Gated recurrent unit, as torch.nn.GRU: gates in the order r, z, n, with b_hn inside
    r * (W_hn h + b_hn). Returns (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("GRU", device)
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, dtype=dtype,
        )


# ------------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Shared body of the cells: weight_ih (num_chunks * hidden, input_size), weight_hh
    (num_chunks * hidden, hidden_size), bias_ih and bias_hh (num_chunks * hidden,)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("RNNCellBase", device)
        super().__init__()
        who = type(self).__name__
        self.input_size = _check_int(input_size, "input_size", who, 0)
        self.hidden_size = _check_int(hidden_size, "hidden_size", who, 1)
        self.bias = bool(bias)
        dtype = default_float(dtype)
        rows = num_chunks * self.hidden_size
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_all(self, self.hidden_size)

    def _check_input(self, input: Tensor) -> Tensor:
        layouts = "2 dimensions (N, H_in) or 1 (H_in)"
        return _validated_input(input, self.input_size, (1, 2), layouts, type(self).__name__)

    def _project(self, x: Tensor) -> Tensor:
        """x W_ih^T + b_ih, (N, num_chunks * hidden_size); an unbatched x as a batch of 1."""
        return linear(x if x.ndim == 2 else x.unsqueeze(0), self.weight_ih, self.bias_ih)

    def _state(self, value, name: str, x: Tensor) -> Tensor:
        """A hidden or cell state validated against x's batch, as 2-D; zeros when None."""
        who = type(self).__name__
        expected = x.shape[:-1] + (self.hidden_size,)
        if value is None:
            value = Tensor(np.zeros(expected, dtype=self.weight_ih.dtype))
        _check_shape(_tensor(value, name, who), expected, name, who)
        return value if x.ndim == 2 else value.unsqueeze(0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """One Elman RNN step, as torch.nn.RNNCell: h' = act(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("RNNCell", device)
        _check_nonlinearity(nonlinearity, "RNNCell")
        super().__init__(input_size, hidden_size, bias, 1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """input (N, H_in) or (H_in); hx (N, H) or (H), zeros when omitted; returns h'."""
        x = self._check_input(input)
        h = self._state(hx, "hx", x)
        out = _rnn_step(
            self._project(x), h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu"
        )
        return out if x.ndim == 2 else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step, as torch.nn.LSTMCell (gates i, f, g, o): returns (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, *, device=None, dtype=None
    ) -> None:
        check_cpu("LSTMCell", device)
        super().__init__(input_size, hidden_size, bias, 4, dtype=dtype)

    def forward(self, input: Tensor, hx=None) -> tuple[Tensor, Tensor]:
        """input (N, H_in) or (H_in); hx the pair (h, c), each (N, H) or (H), zeros when
        omitted; returns (h', c')."""
        x = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) of two Tensors")
        h = self._state(hx[0], "h_0", x)
        c = self._state(hx[1], "c_0", x)
        h, c = _lstm_step(self._project(x), h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if x.ndim == 2 else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step, as torch.nn.GRUCell (gates r, z, n; b_hn inside r * (W_hn h + b_hn))."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, *, device=None, dtype=None
    ) -> None:
        check_cpu("GRUCell", device)
        super().__init__(input_size, hidden_size, bias, 3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """input (N, H_in) or (H_in); hx (N, H) or (H), zeros when omitted; returns h'."""
        x = self._check_input(input)
        h = self._state(hx, "hx", x)
        out = _gru_step(self._project(x), h, self.weight_hh, self.bias_hh)
        return out if x.ndim == 2 else out.squeeze(0)
