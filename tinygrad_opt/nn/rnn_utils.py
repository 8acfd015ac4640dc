"""Variable-length sequences for the recurrent layers, as torch.nn.utils.rnn (also importable
as `tinygrad_opt.nn.utils.rnn`): `pad_sequence`, `unpad_sequence`, `PackedSequence`,
`pack_padded_sequence`, `pad_packed_sequence`, `pack_sequence`, `unpack_sequence`.

A PackedSequence stores the valid steps of a batch time-major: with the batch sorted by
length (longest first), step t holds the first batch_sizes[t] sequences, so `data` is
data[offset_t : offset_t + batch_sizes[t]] for t = 0, 1, ... and the active rows of every
step are a prefix. `sorted_indices[i]` is the caller's batch index of sorted row i;
`unsorted_indices` is its inverse (None for both when the input was already sorted).

Packing and padding are one gather and its inverse scatter over index arrays computed once
(no loop over the batch); each selects every element at most once, so their backward is the
other one, and gradients flow both ways.

Deviations from PyTorch: bad input is a ValueError or TypeError (PyTorch raises
RuntimeError); `lengths` must hold integers (PyTorch truncates floats); lengths longer than
the padded input are refused (PyTorch 2.13 reads past the input's end on CPU);
PackedSequence has `to`, `float`, `double` and `cpu` but no device or pinning methods.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..ops.join import cat
from ..tensor import Tensor

__all__ = [
    "PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
    "unpad_sequence", "pack_sequence", "unpack_sequence",
]


# ------------------------------------------------------------ gather and its inverse scatter
def _gather(x: Tensor, where: tuple[np.ndarray, ...]) -> Tensor:
    """x[where] for index arrays that pick each element at most once: backward writes the
    gradient back in place of an add-at."""
    shape = x.shape

    def backward(g):
        grad = np.zeros(shape, dtype=g.dtype)
        grad[where] = g
        return (grad,)

    return Tensor.make(x.data[where], (x,), backward)


def _scatter(values: Tensor, where: tuple[np.ndarray, ...], shape: tuple[int, ...],
             fill: float) -> Tensor:  # fmt: skip
    """A tensor of `shape` holding `fill`, with `values` at `where` (the inverse of _gather)."""
    out = np.full(shape, fill, dtype=values.dtype)
    out[where] = values.data
    return Tensor.make(out, (values,), lambda g: (g[where],))


# ------------------------------------------------------------------------- argument checks
def _int_tensor(value, name: str, who: str) -> Tensor:
    if isinstance(value, Tensor) and value.dtype == np.int64 and value.ndim == 1:
        return value  # kept as is, so a layer's output PackedSequence shares its input's
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.size == 0 and not isinstance(value, Tensor):
        array = array.astype(np.int64)  # np.asarray([]) is float64
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise TypeError(
            f"{who}: {name} must be a 1-D integer tensor or list of ints, got "
            f"{array.ndim}-D {array.dtype}"
        )
    return Tensor(array.astype(np.int64, copy=False))


def _tensor_arg(value, name: str, who: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(value).__name__}")
    return value


def _permutation(indices: Tensor, size: int, name: str, who: str) -> np.ndarray:
    idx = indices.data
    if idx.shape != (size,) or not np.array_equal(np.sort(idx), np.arange(size)):
        raise ValueError(
            f"{who}: {name} must be a permutation of 0..{size - 1} (one entry per sequence), "
            f"got {idx.tolist()}"
        )
    return idx


def packed_layout(sequence, who: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(batch_sizes, sorted_indices, unsorted_indices) of a PackedSequence as numpy arrays,
    checked: batch sizes positive, non-increasing, summing to len(data)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{who}: expected a PackedSequence, got {type(sequence).__name__}")
    data = _tensor_arg(sequence.data, "data", who)
    sizes = _int_tensor(sequence.batch_sizes, "batch_sizes", who).data
    if (
        sizes.size == 0 or sizes.min() <= 0 or np.any(np.diff(sizes) > 0)
        or data.ndim == 0 or sizes.sum() != data.shape[0]
    ):  # fmt: skip
        raise ValueError(
            f"{who}: batch_sizes must be positive, non-increasing and sum to the data's "
            f"{data.shape[0] if data.ndim else 0} rows, got {sizes.tolist()}"
        )
    batch = int(sizes[0])
    sorted_idx = unsorted_idx = None
    if sequence.sorted_indices is not None:
        sorted_idx = _permutation(sequence.sorted_indices, batch, "sorted_indices", who)
    if sequence.unsorted_indices is not None:
        unsorted_idx = _permutation(sequence.unsorted_indices, batch, "unsorted_indices", who)
    return sizes, sorted_idx, unsorted_idx


def _valid_steps(sorted_lengths: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(time, sorted row) of every valid step, in packed order (time-major)."""
    mask = np.arange(steps)[:, None] < sorted_lengths[None, :]
    return np.nonzero(mask)


# ---------------------------------------------------------------------------- PackedSequence
_PackedSequenceFields = namedtuple(
    "_PackedSequenceFields", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


class PackedSequence(_PackedSequenceFields):
    """A packed batch of sequences, as torch.nn.utils.rnn.PackedSequence (a namedtuple of
    data, batch_sizes, sorted_indices, unsorted_indices). Made by pack_padded_sequence or
    pack_sequence rather than by hand; `unsorted_indices` defaults to the inverse permutation
    of `sorted_indices`, and `PackedSequence((data, batch_sizes))` is accepted as in PyTorch.
    Index fields are int64 Tensors (lists and arrays are converted)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise TypeError(
                    "PackedSequence: give data and batch_sizes, or a pair (data, batch_sizes)"
                )
            data, batch_sizes = data
        data = _tensor_arg(data, "data", "PackedSequence")
        batch_sizes = _int_tensor(batch_sizes, "batch_sizes", "PackedSequence")
        if sorted_indices is not None:
            sorted_indices = _int_tensor(sorted_indices, "sorted_indices", "PackedSequence")
            if unsorted_indices is None:
                inverse = np.empty_like(sorted_indices.data)
                inverse[sorted_indices.data] = np.arange(inverse.size)
                unsorted_indices = Tensor(inverse)
        if unsorted_indices is not None:
            unsorted_indices = _int_tensor(unsorted_indices, "unsorted_indices", "PackedSequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """`data.to(...)` (a dtype or "cpu"); the index fields are kept."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def float(self) -> PackedSequence:
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def cpu(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return False


# ------------------------------------------------------------------------------ pad / unpad
def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into (L_max, B, *), or (B, L_max, *) when
    batch_first, filling with `padding_value`; `padding_side='left'` right-aligns them.
    `sequences` is a list of Tensors (a Tensor is split along its first dimension)."""
    who = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"{who}: expected padding_side to be one of 'left' or 'right', got {padding_side!r}"
        )
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"{who}: received an empty list of sequences")
    for s in sequences:
        _tensor_arg(s, "every sequence", who)
        if s.ndim == 0 or s.shape[1:] != sequences[0].shape[1:]:
            raise ValueError(
                f"{who}: sequences must be (L_i, *) with the same trailing dimensions, got "
                f"shapes {tuple(sequences[0].shape)} and {tuple(s.shape)}"
            )
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps, batch = int(lengths.max()), len(sequences)
    # flat row k of the concatenation is step `time` of sequence `row`
    row = np.repeat(np.arange(batch), lengths)
    time = np.arange(row.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    if padding_side == "left":
        time = time + (steps - lengths)[row]
    where = (row, time) if batch_first else (time, row)
    shape = ((batch, steps) if batch_first else (steps, batch)) + tuple(sequences[0].shape[1:])
    return _scatter(cat(sequences, dim=0), where, shape, padding_value)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The inverse of pad_sequence (right padding): the list of padded[:lengths[i], i] (or
    padded[i, :lengths[i]] when batch_first)."""
    who = "unpad_sequence"
    padded = _tensor_arg(padded_sequences, "padded_sequences", who)
    lengths = _int_tensor(lengths, "lengths", who).data
    if padded.ndim < 2:
        raise ValueError(f"{who}: expected padded_sequences of at least 2 dimensions, got "
                         f"shape {tuple(padded.shape)}")  # fmt: skip
    steps, batch = (padded.shape[1], padded.shape[0]) if batch_first else padded.shape[:2]
    if lengths.size != batch or lengths.size and (lengths.min() < 0 or lengths.max() > steps):
        raise ValueError(
            f"{who}: expected {batch} lengths (one per sequence) between 0 and {steps}, got "
            f"{lengths.tolist()}"
        )
    # one basic slice per output: the outputs are separate tensors anyway
    if batch_first:
        return [padded[i, : int(n)] for i, n in enumerate(lengths)]
    return [padded[: int(n), i] for i, n in enumerate(lengths)]


# ---------------------------------------------------------------------------- pack / unpack
def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *), or (B, T, *) when batch_first, whose sequence i has
    lengths[i] valid steps. With enforce_sorted=True the lengths must be non-increasing;
    otherwise the batch is sorted by decreasing length (ties keep their order) and
    sorted_indices / unsorted_indices record the permutation."""
    who = "pack_padded_sequence"
    x = _tensor_arg(input, "input", who)
    lengths = _int_tensor(lengths, "lengths", who).data
    if x.ndim < 2:
        layout = "B, T" if batch_first else "T, B"
        raise ValueError(f"{who}: expected input of at least 2 dimensions ({layout}, *), got "
                         f"shape {tuple(x.shape)}")  # fmt: skip
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if batch == 0 or steps == 0:
        raise ValueError(f"{who}: cannot pack empty tensors, got input of shape {tuple(x.shape)}")
    if lengths.size != batch:
        raise ValueError(
            f"{who}: expected len(lengths) to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    if lengths.min() <= 0 or lengths.max() > steps:
        raise ValueError(
            f"{who}: every length must be between 1 and the input's {steps} steps, got "
            f"{lengths.tolist()}"
        )
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(
                f"{who}: lengths must be sorted in decreasing order when enforce_sorted is "
                f"True, got {lengths.tolist()}; pass enforce_sorted=False to sort them"
            )
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = Tensor(order.astype(np.int64))
    time, row = _valid_steps(lengths[order], int(lengths.max()))
    where = (order[row], time) if batch_first else (time, order[row])
    batch_sizes = np.bincount(time).astype(np.int64)
    return PackedSequence(_gather(x, where), batch_sizes, sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo pack_padded_sequence: (padded, lengths) with padded (T, B, *) or (B, T, *) in the
    caller's batch order and lengths an int64 tensor; T = total_length if given (at least
    the longest length), else the longest length."""
    who = "pad_packed_sequence"
    sizes, _, unsorted_idx = packed_layout(sequence, who)
    steps, batch = sizes.size, int(sizes[0])
    if total_length is not None:
        if isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)):
            raise TypeError(f"{who}: total_length must be an int or None, got "
                            f"{type(total_length).__name__}")  # fmt: skip
        if total_length < steps:
            raise ValueError(
                f"{who}: expected total_length to be at least the length of the longest "
                f"sequence in input, but got total_length={total_length} and max sequence "
                f"length being {steps}"
            )
        steps = int(total_length)
    sorted_lengths = (sizes[:, None] > np.arange(batch)[None, :]).sum(axis=0)
    destination = np.arange(batch)  # caller's batch index of each sorted row
    if unsorted_idx is not None:
        destination = np.empty_like(unsorted_idx)
        destination[unsorted_idx] = np.arange(batch)
    time, row = _valid_steps(sorted_lengths, sizes.size)
    where = (destination[row], time) if batch_first else (time, destination[row])
    data = sequence.data
    shape = ((batch, steps) if batch_first else (steps, batch)) + tuple(data.shape[1:])
    lengths = sorted_lengths if unsorted_idx is None else sorted_lengths[unsorted_idx]
    return _scatter(data, where, shape, padding_value), Tensor(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): pad_sequence then pack_padded_sequence."""
    sequences = list(sequences)
    padded = pad_sequence(sequences)  # checks the list
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a PackedSequence, in the caller's order (pack_sequence's
    inverse)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
