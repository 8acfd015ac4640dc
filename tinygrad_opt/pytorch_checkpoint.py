"""Read and write PyTorch checkpoints (`torch.save` files) without PyTorch.

`load_pytorch(path)` reads what `torch.save` writes by default since PyTorch 1.6 (a zip
archive): state dicts of models and optimizers, and any nesting of dicts, lists, tuples,
numbers, strings and tensors. Tensors come back as numpy arrays, so

    model.load_state_dict(tinygrad_opt.load_pytorch("resnet_mnist.pt"))
    optimizer.load_state_dict(tinygrad_opt.load_pytorch("optimizer.pt"))

carry a model trained in PyTorch, or a run to resume, over to tinygrad_opt (our layers and
optimizers use PyTorch's state_dict keys and layouts). `save_pytorch(obj, path)` writes the
same format for `torch.load(path)` (weights_only=True, PyTorch's default since 2.6).

The format (PyTorch's "Serialization semantics" notes; pickle opcodes as Python's
`pickletools` documents them): an uncompressed zip whose entries sit in one folder
`<archive>/`:
- `data.pkl`: a pickle (protocol 2) of the object. A tensor is the call
  `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
  backward_hooks)` (`_rebuild_tensor_v3` adds a dtype, for dtypes without a typed storage
  name); its storage is a persistent id `("storage", <torch.FloatStorage ...>, key, device,
  numel)` naming the entry `data/<key>`.
- `data/<key>`: the storage's raw bytes (numel elements), in the order `byteorder` says.
- `byteorder` ("little" or "big"), `version` ("3"), `.format_version` ("1"),
  `.storage_alignment` ("64": each `data/<key>` starts on a 64-byte boundary of the file).

Reading never runs code from the file: the unpickler resolves only the names a weights-only
checkpoint uses (tensor rebuild functions, storage types, OrderedDict, torch.Size and a few
builtins) to functions of this module, as `torch.load(weights_only=True)` does, and refuses
any other name (a pickled `nn.Module`, a numpy array, a user class) with ValueError.

Deviations, by design:
- Tensors load as separate numpy arrays: two tensors that shared a storage in PyTorch (a
  tensor and its view, tied weights) come back as two copies. A tensor whose elements
  overlap in its storage (`expand`ed, stride 0) comes back as a read-only strided array
  over a copy of the elements it reads, as torch keeps it, not as a copy of every element
  (which a crafted file could make any size).
- bfloat16 tensors load as float32 (exact: numpy has no bfloat16). float8 and other dtypes
  numpy lacks raise TypeError. A `torch.dtype`/`torch.device` object loads as its name
  ("torch.float32", "cpu"); `torch.Size` as a tuple; device placement is ignored (CPU only).
- The legacy format (`_use_new_zipfile_serialization=False`) and TorchScript archives
  (`torch.jit.save`) are refused with ValueError saying what to do instead.
- `save_pytorch` writes dicts, lists, tuples, None, bool, int, float, str, numpy arrays and
  scalars, and Tensors (as their data; a numpy scalar becomes a 0-d tensor, but
  np.float64, a subclass of float, is written as a float). Like `save`, it
  writes to a temporary file and renames it onto `path`.
"""

from __future__ import annotations

import codecs
import collections
import io
import os
import pickle
import struct
import zipfile
from typing import Any, NamedTuple

import numpy as np

from .atomic_file import atomic_file
from .devices import check_cpu
from .tensor import Tensor

# Typed storage names in a checkpoint -> numpy dtype of their elements.
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16",
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
}
# torch dtype names (a `_rebuild_tensor_v3` argument, or a pickled torch.dtype) -> numpy.
_TORCH_DTYPES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16,
    "bfloat16": "bfloat16", "int64": np.int64, "int32": np.int32, "int16": np.int16,
    "int8": np.int8, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "bool": np.bool_, "complex64": np.complex64,
    "complex128": np.complex128,
    # dtypes numpy has no type for: named so the error says which (None: refused)
    "float8_e4m3fn": None, "float8_e5m2": None, "float8_e4m3fnuz": None,
    "float8_e5m2fnuz": None, "float8_e8m0fnu": None, "complex32": None,
}  # fmt: skip
# numpy dtype -> the typed storage name torch.save writes for it.
_STORAGE_NAMES = {
    np.dtype(dtype): name for name, dtype in _STORAGE_DTYPES.items() if dtype != "bfloat16"
}
# First bytes of a legacy (pre-zip) torch.save file: pickle protocol 2 of its magic number.
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
_ALIGN = 64
# What a damaged pickle raises inside the unpickler (wrong opcodes, arguments or memo keys).
_DAMAGED_PICKLE = (pickle.UnpicklingError, EOFError, IndexError, KeyError, TypeError,
                   AttributeError, OverflowError, struct.error)  # fmt: skip


class _StorageType(NamedTuple):
    """A storage type named in the pickle (torch.FloatStorage, ...): its element dtype.
    Immutable, so a file cannot change it for later loads (pickle's BUILD sets attributes)."""

    name: str
    dtype: Any


class _Allowed:
    """A function a checkpoint may call. Pickle's BUILD opcode sets attributes on whatever
    it is given; refusing it here keeps a file from altering our functions for later loads."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def __setstate__(self, state) -> None:
        raise ValueError(f"load_pytorch: the file tries to modify {self.fn.__name__}; refused")


class _Storage:
    """A storage's elements in native byte order (`kind`: its dtype name, for bfloat16's
    conversion; for an untyped storage, its raw bytes and the file's byte order). The first
    tensor that is exactly the whole storage takes its array instead of copying it."""

    def __init__(self, flat: np.ndarray, kind) -> None:
        self.flat, self.kind, self.taken = flat, kind, False


def _element_dtype(dtype, what: str) -> np.dtype:
    if dtype is None:
        raise TypeError(
            f"load_pytorch: {what} has a dtype numpy cannot hold; convert the tensor "
            "(e.g. .float()) in PyTorch before saving"
        )
    return np.dtype(np.uint16 if dtype == "bfloat16" else dtype)


def _bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    # a bfloat16 is the upper half of a float32: shifting its bits up is exact
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _rebuild_tensor(storage: _Storage, storage_offset, size, stride, *rest) -> np.ndarray:
    """A tensor's data out of its storage (requires_grad and hooks are dropped)."""
    flat, dtype_name = storage.flat, storage.kind
    shape, strides = tuple(size), tuple(stride)
    if len(shape) != len(strides) or min((*shape, *strides, storage_offset), default=0) < 0:
        raise ValueError(
            f"load_pytorch: a tensor has size {shape}, stride {strides} and offset "
            f"{storage_offset}; the file is corrupt"
        )
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0:
        out = np.empty(shape, dtype=flat.dtype)
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(shape, strides))
        if last >= flat.size:
            raise ValueError(
                f"load_pytorch: a tensor of size {shape} and stride {strides} at offset "
                f"{storage_offset} reaches past its storage of {flat.size} elements; "
                "the file is corrupt"
            )
        if count > last - storage_offset + 1:
            # elements overlap (an expanded tensor, stride 0): copying could take far more
            # memory than the file holds, so keep the layout, read-only, as torch keeps it
            # (on a copy of the span it reads, so it shares memory with no other tensor)
            span = np.array(flat[storage_offset : last + 1])
            if dtype_name == "bfloat16":
                span = _bfloat16_to_float32(span)
            return np.lib.stride_tricks.as_strided(
                span, shape, [s * span.itemsize for s in strides], writeable=False
            )
        contiguous = [int(np.prod(shape[i + 1 :], dtype=np.int64)) for i in range(len(shape))]
        whole = storage_offset == 0 and count == flat.size and list(strides) == contiguous
        if whole and not storage.taken and dtype_name != "bfloat16":
            storage.taken = True  # later tensors on this storage copy, so none share memory
            return flat.reshape(shape)
        view = np.lib.stride_tricks.as_strided(
            flat[storage_offset:], shape, [s * flat.itemsize for s in strides], writeable=False
        )
        out = np.array(view, order="C")
    return _bfloat16_to_float32(out) if dtype_name == "bfloat16" else out


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, hooks, dtype,
                       *rest) -> np.ndarray:  # fmt: skip
    # the storage is untyped (its bytes in the file's byte order): view them as the dtype
    name = str(dtype).removeprefix("torch.")
    element = _element_dtype(_TORCH_DTYPES.get(name), f"a tensor of dtype torch.{name}")
    raw, order = storage.flat, storage.kind
    if raw.nbytes % element.itemsize:
        raise ValueError(
            "load_pytorch: an untyped storage's size is not a whole number of "
            f"{name} elements; the file is corrupt"
        )
    typed = _Storage(raw.view(element.newbyteorder(order)).astype(element, copy=False),
                     _TORCH_DTYPES[name])  # fmt: skip
    typed.taken = storage.taken
    out = _rebuild_tensor(typed, storage_offset, size, stride)
    storage.taken = typed.taken
    return out


def _rebuild_parameter(data, requires_grad, hooks, *state) -> np.ndarray:
    return data


def _ordered_dict(*args) -> collections.OrderedDict:
    return collections.OrderedDict(*args)


def _encode(text: str, encoding: str = "utf-8") -> bytes:
    # protocol 2 pickles bytes as _codecs.encode(text, "latin1")
    return codecs.encode(text, encoding)


def _size(*args) -> tuple:
    return tuple(*args)


def _device(*args) -> str:
    return ":".join(str(a) for a in args)


# (module, name) in the pickle -> what it resolves to here. Nothing else is reachable.
_FUNCTIONS = {
    ("collections", "OrderedDict"): _ordered_dict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("_codecs", "encode"): _encode,
    ("__builtin__", "set"): set,
    ("builtins", "set"): set,
    ("__builtin__", "frozenset"): frozenset,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "complex"): complex,
    ("builtins", "complex"): complex,
}
_ALLOWED: dict[tuple[str, str], Any] = {key: _Allowed(fn) for key, fn in _FUNCTIONS.items()}
_ALLOWED[("torch.storage", "UntypedStorage")] = _StorageType("UntypedStorage", np.uint8)
_ALLOWED.update((("torch", n), _StorageType(n, d)) for n, d in _STORAGE_DTYPES.items())
# a torch.dtype loads as its name (and is one in _rebuild_tensor_v3's arguments)
_ALLOWED.update((("torch", n), f"torch.{n}") for n in _TORCH_DTYPES)


class _Unpickler(pickle.Unpickler):
    def __init__(self, path: str, archive: zipfile.ZipFile, prefix: str, byteorder: str):
        super().__init__(io.BytesIO(archive.read(prefix + "data.pkl")))
        self.path, self.archive, self.prefix, self.byteorder = path, archive, prefix, byteorder
        self.storages: dict[str, _Storage] = {}
        self.file_bytes = os.path.getsize(path)

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ValueError(
                f"load_pytorch: {self.path!r} pickles {module}.{name}, which is not plain "
                "data (tensors, containers, numbers, strings); save a state_dict() "
                "instead of a whole object"
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise ValueError(f"load_pytorch: {self.path!r} refers to {pid!r}, not a storage")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, _StorageType):
            raise ValueError(f"load_pytorch: {self.path!r} has a storage of unknown type")
        if key not in self.storages:
            self.storages[key] = self._storage(kind, key, numel)
        return self.storages[key]

    def _storage(self, kind: _StorageType, key: str, numel: int) -> _Storage:
        dtype = _element_dtype(kind.dtype, f"storage {key!r}")
        name = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise ValueError(
                f"load_pytorch: {self.path!r} lacks the data of storage "
                f"{key!r}; the file is truncated or corrupt"
            ) from None
        size = info.file_size
        if size != numel * dtype.itemsize:
            raise ValueError(
                f"load_pytorch: storage {key!r} of {self.path!r} has {size} bytes, "
                f"expected {numel} x {dtype.itemsize}; the file is corrupt"
            )
        # the sizes in the zip directory are claims: check them against the file's length
        # before allocating (torch.save stores entries uncompressed; a compressed one is
        # read as it inflates, so memory follows the data actually there)
        stored = info.compress_type == zipfile.ZIP_STORED
        if info.compress_size > self.file_bytes or (stored and size != info.compress_size):
            raise ValueError(f"load_pytorch: storage {key!r} of {self.path!r} is truncated")
        with self.archive.open(name) as entry:
            if stored:
                raw = bytearray(size)  # writable, so a tensor can keep it without a copy
                complete = entry.readinto(raw) == size
            else:
                raw = bytearray(entry.read(size + 1))
                complete = len(raw) == size
            if not complete:
                raise ValueError(f"load_pytorch: storage {key!r} of {self.path!r} is truncated")
        order = "<" if self.byteorder == "little" else ">"
        if kind.name == "UntypedStorage":
            return _Storage(np.frombuffer(raw, dtype=np.uint8), order)
        flat = np.frombuffer(raw, dtype=dtype.newbyteorder(order))
        return _Storage(flat.astype(dtype, copy=False), kind.dtype)


def load_pytorch(path: str | os.PathLike, map_location=None, weights_only: bool = True) -> Any:
    """Read a checkpoint written by `torch.save` (zip format); tensors become numpy arrays.

    `map_location` (None or "cpu") and `weights_only` are accepted so `torch.load` calls
    port; only plain data is ever read (see the module docstring)."""
    check_cpu("load_pytorch", map_location, "map_location")
    del weights_only
    path = os.fspath(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            start = f.read(len(_LEGACY_MAGIC))
        if start == _LEGACY_MAGIC:
            raise ValueError(
                f"load_pytorch: {path!r} is in PyTorch's legacy format "
                "(_use_new_zipfile_serialization=False); re-save it with torch.save's default"
            )
        raise ValueError(
            f"load_pytorch: {path!r} is not a PyTorch checkpoint (not a zip "
            "archive); expected a file written by torch.save"
        )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if any(n.endswith("/constants.pkl") for n in names):
            raise ValueError(
                f"load_pytorch: {path!r} is a TorchScript archive (torch.jit.save); "
                "save the model's state_dict() with torch.save instead"
            )
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise ValueError(
                f"load_pytorch: {path!r} is a zip archive but not one torch.save "
                "wrote (no single <folder>/data.pkl)"
            )
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise ValueError(f"load_pytorch: {path!r} has byteorder {byteorder!r}")
        try:
            return _Unpickler(path, archive, prefix, byteorder).load()
        except _DAMAGED_PICKLE as e:
            if str(e).startswith("load_pytorch"):  # our own, already clear, message
                raise
            raise ValueError(f"load_pytorch: {path!r} has a damaged data.pkl ({e!r})") from None
        except zipfile.BadZipFile as e:  # an entry's bytes fail their CRC check
            raise ValueError(f"load_pytorch: {path!r} is corrupt ({e})") from None


# ------------------------------------------------------------------------------ writing
class _PickleWriter:
    """Emits the protocol-2 pickle torch.load expects, opcode by opcode (the torch names it
    refers to cannot be pickled by reference without torch installed)."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.storages: list[np.ndarray] = []

    def op(self, code: bytes, payload: bytes = b"") -> None:
        self.out.write(code + payload)

    def global_(self, module: str, name: str) -> None:
        self.op(b"c", f"{module}\n{name}\n".encode("ascii"))

    def text(self, s: str) -> None:
        data = s.encode("utf-8", "surrogatepass")
        self.op(b"X", struct.pack("<I", len(data)) + data)

    def integer(self, n: int) -> None:
        if 0 <= n < 256:
            self.op(b"K", bytes([n]))
        elif -(2**31) <= n < 2**31:
            self.op(b"J", struct.pack("<i", n))
        else:  # LONG1: little-endian two's complement of any length
            data = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            if len(data) > 255:
                raise ValueError(f"save_pytorch: the integer {n} is too large")
            self.op(b"\x8a", bytes([len(data)]) + data)

    def tuple_(self, items, where: str) -> None:
        self.op(b"(")
        for i, item in enumerate(items):
            self.value(item, f"{where}[{i}]")
        self.op(b"t")

    def tensor(self, array: np.ndarray, where: str) -> None:
        name = _STORAGE_NAMES.get(array.dtype.newbyteorder("="))
        if name is None:
            raise TypeError(
                f"save_pytorch: {where} is an array of dtype {array.dtype}, "
                "which PyTorch checkpoints cannot hold"
            )
        # astype, not ascontiguousarray, which makes a 0-d array 1-d
        array = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
        key = len(self.storages)
        self.storages.append(array)
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.op(b"(")
        self.op(b"(")  # the persistent id of the storage
        self.text("storage")
        self.global_("torch", name)
        self.text(str(key))
        self.text("cpu")
        self.integer(array.size)
        self.op(b"t")
        self.op(b"Q")
        self.integer(0)  # storage offset
        self.tuple_(array.shape, where)
        contiguous = [int(np.prod(array.shape[i + 1 :], dtype=np.int64)) for i in range(array.ndim)]
        self.tuple_(contiguous, where)
        self.op(b"\x89")  # requires_grad=False
        self.global_("collections", "OrderedDict")  # backward_hooks: OrderedDict()
        self.op(b")")
        self.op(b"R")
        self.op(b"t")
        self.op(b"R")

    def value(self, obj: Any, where: str) -> None:
        if obj is None:
            self.op(b"N")
        elif isinstance(obj, bool):
            self.op(b"\x88" if obj else b"\x89")
        elif isinstance(obj, int):
            self.integer(obj)
        elif isinstance(obj, float):
            self.op(b"G", struct.pack(">d", obj))
        elif isinstance(obj, str):
            self.text(obj)
        elif isinstance(obj, (Tensor, np.ndarray, np.generic)):
            self.tensor(np.asarray(obj.data if isinstance(obj, Tensor) else obj), where)
        elif isinstance(obj, dict):
            self.op(b"}")
            if obj:
                self.op(b"(")
                for key, item in obj.items():
                    if not isinstance(key, (str, int)) or isinstance(key, bool):
                        raise TypeError(
                            f"save_pytorch: {where} has a key {key!r}; expected str or int keys"
                        )
                    self.value(key, where)
                    self.value(item, f"{where}[{key!r}]")
                self.op(b"u")
        elif isinstance(obj, list):
            self.op(b"]")
            if obj:
                self.op(b"(")
                for i, item in enumerate(obj):
                    self.value(item, f"{where}[{i}]")
                self.op(b"e")
        elif isinstance(obj, tuple):
            self.tuple_(obj, where)
        else:
            raise TypeError(
                f"save_pytorch: {where} is a {type(obj).__name__}; expected dicts, lists, "
                "tuples, None, bool, int, float, str, numpy arrays or Tensors"
            )

    def pickle(self, obj: Any) -> bytes:
        self.op(b"\x80", b"\x02")
        try:
            self.value(obj, "obj")
        except RecursionError:
            raise ValueError(
                "save_pytorch: the object is nested too deeply (or holds itself)"
            ) from None
        self.op(b".")
        return self.out.getvalue()


def _write_aligned(archive: zipfile.ZipFile, handle, name: str, data) -> None:
    """Store `data` uncompressed with its first byte on a multiple of _ALIGN in the file,
    padding the local header's extra field (what .storage_alignment promises)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(data)
    # zipfile's own rule for a large entry (~2 GB); it then appends a 20-byte zip64 record
    # (id, length, two sizes) to the extra field after ours
    zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT
    header_end = handle.tell() + 30 + len(name.encode("utf-8"))  # local header: 30 bytes
    header_end += 20 if zip64 else 0
    padding = -(header_end + 4) % _ALIGN  # 4: the extra record's id and length
    info.extra = struct.pack("<HH", 0xF0F0, padding) + bytes(padding)  # a private tag
    with archive.open(info, "w", force_zip64=zip64) as entry:
        entry.write(data)


def save_pytorch(obj: Any, path: str | os.PathLike) -> None:
    """Write `obj` as `torch.save` would, for `torch.load(path)`; atomic like `save`."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"save_pytorch: {path!r} is a directory; expected a file path")
    writer = _PickleWriter()
    data_pkl = writer.pickle(obj)  # raises before any file is touched
    folder = os.path.splitext(os.path.basename(path))[0] or "archive"
    with atomic_file(path, "save_pytorch") as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
            _write_aligned(archive, handle, f"{folder}/data.pkl", data_pkl)
            for name, text in ((".format_version", b"1"), (".storage_alignment", b"64"),
                               ("byteorder", b"little")):  # fmt: skip
                _write_aligned(archive, handle, f"{folder}/{name}", text)
            for key, array in enumerate(writer.storages):
                _write_aligned(archive, handle, f"{folder}/data/{key}", array.tobytes())
            _write_aligned(archive, handle, f"{folder}/version", b"3\n")
