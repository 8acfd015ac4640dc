"""conv_args.py, the argument checks and size arithmetic the 1-D, 2-D and 3-D convolutions
share: output sizes against counting windows in a loop, 'same' padding against hand-worked
sides, and the same messages from every layer and functional form of each dimension."""

import numpy as np
import pytest
from error_messages import exactly

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn
from tinygrad_opt.nn.conv_args import (
    conv_output_size,
    last_axis_first,
    padding_sides,
    transposed_output_size,
)

LAYERS = {1: (nn.Conv1d, nn.ConvTranspose1d), 2: (nn.Conv2d, nn.ConvTranspose2d),
          3: (nn.Conv3d, nn.ConvTranspose3d)}  # fmt: skip
FUNCTIONS = {1: (F.conv1d, F.conv_transpose1d), 2: (F.conv2d, F.conv_transpose2d),
             3: (F.conv3d, F.conv_transpose3d)}  # fmt: skip
KINDS = {1: "an int", 2: "an int, a pair", 3: "an int, a triple"}


@pytest.mark.parametrize("size", [1, 4, 7])
@pytest.mark.parametrize("kernel, stride, pad, dilation", [(1, 1, 0, 1), (3, 2, 1, 1),
                                                           (2, 3, 2, 2), (3, 1, 0, 3)])
def test_output_sizes_count_the_windows(size, kernel, stride, pad, dilation):
    # a window starts at every stride-th padded position whose last tap is still inside
    last_tap = dilation * (kernel - 1)
    starts = [t for t in range(0, size + 2 * pad, stride) if t + last_tap < size + 2 * pad]
    # (no window at all shows as a size below 1, which the callers refuse)
    assert max(conv_output_size(size, kernel, stride, pad, dilation), 0) == len(starts)
    # transposed: input t scatters to t * stride + tap * dilation, then padding is cropped
    for output_padding in range(min(stride, 2)):
        reach = max(t * stride + k * dilation for t in range(size) for k in range(kernel))
        expected = reach + 1 - 2 * pad + output_padding
        assert transposed_output_size(size, kernel, stride, pad, dilation,
                                      output_padding) == expected  # fmt: skip


def test_same_padding_puts_an_odd_total_last_and_pads_list_the_last_axis_first():
    # totals d * (k - 1): 1 * 1 = 1 -> (0, 1); 2 * 2 = 4 -> (2, 2); 3 * 3 = 9 -> (4, 5)
    sides = padding_sides("same", (2, 3, 4), (1, 2, 3))
    assert sides == [(0, 1), (2, 2), (4, 5)]
    assert last_axis_first(sides) == (4, 5, 2, 2, 0, 1)
    assert padding_sides("valid", (3, 3), (1, 1)) == [(0, 0), (0, 0)]
    assert padding_sides((1, 2), (3, 3), (1, 1)) == [(1, 1), (2, 2)]


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("name, value, least", [("kernel_size", 0, 1), ("stride", 0, 1),
                                                ("dilation", -1, 1), ("padding", -2, 0)])
def test_every_dimension_names_the_bad_size_and_the_limit(dim, name, value, least):
    message = f"must be >= {least}, got {value}"
    for layer in LAYERS[dim]:
        args = {"kernel_size": 3, name: value}
        with pytest.raises(ValueError, match=exactly(f"{layer.__name__}: {name} {message}")):
            layer(2, 2, **args)
    if name == "kernel_size":
        return
    x = Tensor(np.zeros((1, 2) + (5,) * dim))
    w = Tensor(np.zeros((2, 2) + (3,) * dim))
    for function in FUNCTIONS[dim]:
        with pytest.raises(ValueError, match=exactly(f"{function.__name__}: {name} {message}")):
            function(x, w, **{name: value})


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_padding_strings_are_checked_alike_in_every_dimension(dim):
    conv, _ = LAYERS[dim]
    function, _ = FUNCTIONS[dim]
    x, w = Tensor(np.zeros((1, 2) + (5,) * dim)), Tensor(np.zeros((2, 2) + (3,) * dim))
    for who, call in ((conv.__name__, lambda **kw: conv(2, 2, 3, **kw)),
                      (function.__name__, lambda **kw: function(x, w, **kw))):  # fmt: skip
        with pytest.raises(ValueError, match=exactly(
                f"{who}: padding must be {KINDS[dim]}, 'same' or 'valid', got 'full'")):
            call(padding="full")
        with pytest.raises(ValueError, match=exactly(
                f"{who}: padding='same' is only supported with stride 1")):
            call(padding="same", stride=2)
