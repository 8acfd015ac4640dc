"""In-place functional activations of torch.nn.functional (`relu_`, `elu_`, `leaky_relu_`,
`hardtanh_`, `selu_`, `celu_`, `rrelu_`, `threshold_`): the out-of-place activation written
into the input's array through `ops.in_place.apply_in_place`, so views and detach() see it
and a recorded op that used the input refuses to backpropagate.

Deviation from PyTorch (the project's rule for every in-place op): while grad mode is on,
a tensor that requires grad is refused with RuntimeError, leaf or not (torch refuses the
leaf and records the others); use the out-of-place form in a graph."""

from __future__ import annotations

from ..ops.in_place import apply_in_place
from ..tensor import Tensor
from .activation import celu, elu, hardtanh, leaky_relu, relu, selu
from .activation_extra import rrelu
from .activation_extra import threshold as _threshold  # the parameter shadows the name


def relu_(input: Tensor) -> Tensor:
    """relu in place; returns input."""
    return apply_in_place("relu_", input, lambda: relu(input))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu(input, alpha) in place; returns input."""
    return apply_in_place("elu_", input, lambda: elu(input, alpha))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu(input, negative_slope) in place; returns input."""
    return apply_in_place("leaky_relu_", input, lambda: leaky_relu(input, negative_slope))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh(input, min_val, max_val) in place; returns input."""
    return apply_in_place("hardtanh_", input, lambda: hardtanh(input, min_val, max_val))


def selu_(input: Tensor) -> Tensor:
    """selu in place; returns input."""
    return apply_in_place("selu_", input, lambda: selu(input))


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu(input, alpha) in place; returns input."""
    return apply_in_place("celu_", input, lambda: celu(input, alpha))


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """rrelu(input, lower, upper, training) in place; returns input."""
    return apply_in_place("rrelu_", input, lambda: rrelu(input, lower, upper, training))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold(input, threshold, value) in place; returns input."""
    return apply_in_place("threshold_", input, lambda: _threshold(input, threshold, value))
