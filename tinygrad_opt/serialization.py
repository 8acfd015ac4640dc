"""`save(obj, path)` / `load(path)`: checkpoints in a small self-describing format, no pickle.

What can be saved: nested `dict`s (keys `str` or `int`; numpy integer keys come back as
`int`), `list`s and `tuple`s (kept apart), numpy arrays of bool, integer, float or complex
dtype, `Tensor`s (saved as their array; they load as numpy arrays), numpy scalars (they load
as numpy scalars of the same dtype), and Python `None`, `bool`, `int` (up to ~3,900 digits:
the header is text, and Python limits turning ints into text), `float` and `str`. Anything
else raises TypeError naming where in the structure it sits. Shared references are saved
once per occurrence; a cycle raises ValueError.

File layout (all integers little-endian):

    offset 0   magic           8 bytes  b"TGOCKPT\\x00"
    offset 8   format version  uint32   (currently 1)
    offset 12  header length   uint64   H
    offset 20  header          H bytes  UTF-8 JSON: {"root": <node>, "arrays": [<array>, ...]}
               padding         zero bytes up to a multiple of 64
               array data      each array's raw C-order bytes, each starting on a 64-byte
                               boundary; <array> = {"dtype": "<f4", "shape": [..],
                               "offset": absolute byte offset, "nbytes": n}
    end - 32   SHA-256         digest of every byte before it

A <node> is a JSON object tagged by "t": {"t": "none"}, {"t": "bool", "v": true},
{"t": "int", "v": 12}, {"t": "float", "v": float.hex(x)} (exact, NaN and Inf included),
{"t": "str", "v": "..."}, {"t": "array", "i": k} (the k-th array), {"t": "scalar", "i": k}
(a numpy scalar stored as a 0-d array), {"t": "list"|"tuple", "v": [nodes]} and
{"t": "dict", "k": [key nodes], "v": [value nodes]} (insertion order kept).

`load` reads the whole file, checks magic, version and the SHA-256 before interpreting the
header, and builds arrays with `numpy.frombuffer` from a dtype whitelist: an untrusted file
cannot run code, and a truncated, altered or foreign file raises ValueError naming the file.

`save` is atomic: it writes a temporary file next to `path`, flushes and fsyncs it, then
`os.replace`s it onto exactly `path` (no extension is added). A crash before the rename
leaves the previous file intact; a process killed mid-save may leave a hidden
`.<name>.<random>.tmp` file beside it, never a partial `path`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

import numpy as np

from .atomic_file import atomic_file
from .devices import check_cpu
from .tensor import Tensor

MAGIC = b"TGOCKPT\x00"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sIQ")  # magic, version, header length
_DIGEST_SIZE = 32
_ALIGN = 64
_ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex


# Python refuses to turn ints of more than 4,300 digits into text by default (and to read
# them back); 13,000 bits (~3,900 digits) stays clear of that on both sides.
_MAX_INT_BITS = 13_000


def _int_value(value: int, where: str) -> int:
    if value.bit_length() > _MAX_INT_BITS:
        raise ValueError(
            f"save: the int at {where} has {value.bit_length()} bits; ints of up to "
            f"{_MAX_INT_BITS} bits (~3,900 digits) can be saved (save it as a str instead)"
        )
    return int(value)


def _align(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


# ------------------------------------------------------------------------------ encoding
class _Encoder:
    """Turns an object tree into JSON nodes plus a list of contiguous arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self._active: set[int] = set()  # ids of containers on the current path (cycle check)

    def _add_array(self, array: np.ndarray, where: str) -> int:
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields is not None:
            raise TypeError(
                f"save: the array at {where} has dtype {array.dtype}; only bool, integer, "
                "float and complex arrays can be saved"
            )
        # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
        self.arrays.append(array if array.flags.c_contiguous else array.copy(order="C"))
        return len(self.arrays) - 1

    def encode(self, obj: Any, where: str) -> dict:
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, np.generic):  # first: np.float64 is also a Python float
            return {"t": "scalar", "i": self._add_array(np.asarray(obj), where)}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": _int_value(obj, where)}
        if isinstance(obj, float):
            return {"t": "float", "v": float(obj).hex()}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, Tensor):
            return {"t": "array", "i": self._add_array(obj.data, where)}
        if isinstance(obj, np.ndarray):
            return {"t": "array", "i": self._add_array(obj, where)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"save: the object at {where} contains itself (a cycle)")
            self._active.add(id(obj))
            try:
                return self._encode_container(obj, where)
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"save: cannot save a {type(obj).__name__} at {where}; expected dict, list, tuple, "
            "numpy array, Tensor, numpy scalar, None, bool, int, float or str"
        )

    def _encode_container(self, obj, where: str) -> dict:
        if isinstance(obj, dict):
            keys, values = [], []
            for key, value in obj.items():
                if isinstance(key, str):
                    keys.append({"t": "str", "v": key})
                elif isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
                    keys.append({"t": "int", "v": _int_value(int(key), where)})
                else:
                    raise TypeError(
                        f"save: dict key {key!r} at {where} is a {type(key).__name__}; "
                        "only str and int keys can be saved"
                    )
                values.append(self.encode(value, f"{where}[{key!r}]"))
            return {"t": "dict", "k": keys, "v": values}
        tag = "list" if isinstance(obj, list) else "tuple"
        return {"t": tag, "v": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}


def _byte_view(array: np.ndarray) -> memoryview:
    return memoryview(array.reshape(-1).view(np.uint8))


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` to exactly `path`, atomically (see the module docstring for the format)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"save: {path!r} is a directory; expected a file path")
    encoder = _Encoder()
    try:
        root = encoder.encode(obj, "obj")
    except RecursionError:
        raise ValueError("save: the object is nested too deeply to save") from None
    header_len_guess = 0
    # Offsets depend on the header's length, which depends on the offsets' digits: iterate
    # until the header's size is stable (two rounds in practice).
    while True:
        data_start = _align(_PREFIX.size + header_len_guess)
        entries, offset = [], data_start
        for array in encoder.arrays:
            entries.append(
                {
                    "dtype": array.dtype.str,
                    "shape": list(array.shape),
                    "offset": offset,
                    "nbytes": array.nbytes,
                }
            )
            offset = _align(offset + array.nbytes)
        header = json.dumps({"root": root, "arrays": entries}, separators=(",", ":")).encode()
        if len(header) == header_len_guess:
            break
        header_len_guess = len(header)

    with atomic_file(path, "save") as f:
        digest = hashlib.sha256()
        position = 0

        def write(chunk) -> None:
            nonlocal position
            f.write(chunk)
            digest.update(chunk)
            position += len(chunk)

        write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)))
        write(header)
        for array, entry in zip(encoder.arrays, entries):
            write(bytes(entry["offset"] - position))
            if array.nbytes:
                write(_byte_view(array))
        f.write(digest.digest())


# ------------------------------------------------------------------------------ decoding
class _Decoder:
    def __init__(self, path: str, arrays: list[np.ndarray]) -> None:
        self.path = path
        self.arrays = arrays

    def _bad(self, what: str) -> ValueError:
        return ValueError(f"load: {self.path!r} has a malformed header ({what})")

    def _array(self, node: dict) -> np.ndarray:
        index = node.get("i")
        if not isinstance(index, int) or isinstance(index, bool):
            raise self._bad("array index is not an int")
        if not 0 <= index < len(self.arrays):
            raise self._bad(f"array index {index} out of range")
        return self.arrays[index]

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict) or "t" not in node:
            raise self._bad("a node is not a tagged object")
        tag = node["t"]
        if tag == "none":
            return None
        if tag in ("bool", "int", "str"):
            value = node.get("v")
            expected = {"bool": bool, "int": int, "str": str}[tag]
            if type(value) is not expected:
                raise self._bad(f"a {tag} node holds {type(value).__name__}")
            return value
        if tag == "float":
            try:
                return float.fromhex(node["v"])
            except (KeyError, TypeError, ValueError):
                raise self._bad("a float node is not a hex float") from None
        if tag == "array":
            return self._array(node).copy()
        if tag == "scalar":
            array = self._array(node)
            if array.ndim != 0:
                raise self._bad("a scalar node points at an array that is not 0-d")
            return array[()]
        if tag in ("list", "tuple"):
            values = node.get("v")
            if not isinstance(values, list):
                raise self._bad(f"a {tag} node has no value list")
            items = [self.decode(v) for v in values]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            keys, values = node.get("k"), node.get("v")
            if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(
                values
            ):
                raise self._bad("a dict node has mismatched keys and values")
            out = {}
            for key_node, value_node in zip(keys, values):
                key = self.decode(key_node)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise self._bad("a dict key is neither str nor int")
                out[key] = self.decode(value_node)
            return out
        raise self._bad(f"unknown node tag {tag!r}")


def _array_from_entry(path: str, blob: bytes, data_end: int, entry: Any) -> np.ndarray:
    try:
        dtype = np.dtype(entry["dtype"])
        shape = tuple(entry["shape"])
        offset, nbytes = entry["offset"], entry["nbytes"]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"load: {path!r} has a malformed array entry ({error})") from None
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise ValueError(f"load: {path!r} declares an array of unsupported dtype {dtype}")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"load: {path!r} declares an array with an invalid shape {shape}")
    if not (isinstance(offset, int) and isinstance(nbytes, int)):
        raise ValueError(f"load: {path!r} declares an array with a non-integer offset or size")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize != nbytes or offset < 0 or offset + nbytes > data_end:
        raise ValueError(
            f"load: {path!r} declares an array of shape {shape} and dtype {dtype} that does "
            "not fit in the file"
        )
    return np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape)


def load(path: str | os.PathLike, map_location=None, weights_only: bool = True) -> Any:
    """Read an object written by `save`; ValueError if the file is truncated, altered or foreign.

    `map_location` (None or "cpu", the only device) and `weights_only` are accepted so that
    `torch.load(path, map_location=device, weights_only=True)` ports: the format holds plain
    data only, so loading never runs code whatever `weights_only` says."""
    check_cpu("load", map_location, "map_location")
    del weights_only
    path = os.fspath(path)
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < _PREFIX.size + _DIGEST_SIZE or blob[: len(MAGIC)] != MAGIC:
        if blob[: len(MAGIC)] == MAGIC:
            raise ValueError(f"load: {path!r} is truncated ({len(blob)} bytes)")
        if blob[:4] == b"PK\x03\x04":  # a zip archive, as torch.save writes
            raise ValueError(
                f"load: {path!r} is a zip archive, not a tinygrad_opt checkpoint; if torch.save "
                "wrote it, read it with tinygrad_opt.load_pytorch(path)"
            )
        raise ValueError(
            f"load: {path!r} is not a tinygrad_opt checkpoint (it does not start with {MAGIC!r}); "
            "expected a file written by tinygrad_opt.save"
        )
    _, version, header_len = _PREFIX.unpack_from(blob, 0)
    if version != FORMAT_VERSION:
        raise ValueError(
            f"load: {path!r} has format version {version}; this tinygrad_opt reads version "
            f"{FORMAT_VERSION}"
        )
    data_end = len(blob) - _DIGEST_SIZE
    if hashlib.sha256(memoryview(blob)[:data_end]).digest() != blob[data_end:]:
        raise ValueError(
            f"load: {path!r} is corrupt: its SHA-256 checksum does not match its contents "
            "(the file was truncated or altered)"
        )
    if _PREFIX.size + header_len > data_end:
        raise ValueError(f"load: {path!r} declares a header longer than the file")
    try:
        header = json.loads(blob[_PREFIX.size : _PREFIX.size + header_len].decode("utf-8"))
        root, entries = header["root"], header["arrays"]
        if not isinstance(entries, list):
            raise TypeError("'arrays' is not a list")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise ValueError(f"load: {path!r} has an unreadable header ({error})") from None
    arrays = [_array_from_entry(path, blob, data_end, entry) for entry in entries]
    try:
        return _Decoder(path, arrays).decode(root)
    except RecursionError:
        raise ValueError(f"load: {path!r} is nested too deeply to load") from None
