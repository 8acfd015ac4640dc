"""`nn.utils.rnn`, as torch.nn.utils.rnn: padding and packing of variable-length sequences
(the implementation is in nn/rnn_utils.py)."""

from ..rnn_utils import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

__all__ = [
    "PackedSequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpack_sequence",
]
