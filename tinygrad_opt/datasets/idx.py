"""Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al.), gzip or plain.

An IDX file is: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), a byte giving the number of dimensions d, then d
big-endian uint32 sizes, then the values in C order, big-endian. `read_idx` returns them
as a native-endian numpy array and refuses a file whose length disagrees with its header.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode uncompressed IDX bytes; ValueError naming `name` if they are malformed."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name}: not an IDX file (it must start with two zero bytes)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in IDX_TYPES:
        raise ValueError(f"{name}: unknown IDX type byte 0x{type_code:02x}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{name}: truncated IDX header ({len(raw)} bytes)")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_TYPES[type_code]
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(
            f"{name}: IDX header declares shape {shape} ({expected} bytes in all) but the data "
            f"holds {len(raw)} bytes; the file is truncated or corrupt"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed (detected by its magic bytes) or not."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error})") from None
    return parse_idx(raw, path)
