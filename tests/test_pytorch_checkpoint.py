"""load_pytorch / save_pytorch: PyTorch's checkpoint format without PyTorch.

The .pt files in tests/pytorch_files were written by torch.save (make_files.py there); every
tensor in them is a closed form, so what loads is checked against numpy formulas. Files
written by save_pytorch are checked against the format itself (zip layout, alignment, the
pickle's opcodes and names) and by reading them back.
"""

from __future__ import annotations

import io
import math
import os
import pickletools
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from optim_reference import adam_init, adam_step

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn, optim

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_files")


def _file(name: str) -> str:
    return os.path.join(FILES, name)


# ------------------------------------------------------------------------ reading torch's
def test_tensors_load_as_their_closed_forms():
    got = tg.load_pytorch(_file("tensors.pt"))
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected = {
        "float32": a,
        "transposed": a.T,
        "rows": a[1:],
        "strided": np.arange(24.0, dtype=np.float32)
        .reshape(2, 3, 4)
        .transpose(2, 0, 1)[1:, :, ::2],
        "expanded": np.broadcast_to(np.arange(3.0, dtype=np.float32), (2, 3)),
        "float64": np.arange(5, dtype=np.float64) / 4,
        "float16": np.arange(5, dtype=np.float16) / np.float16(2),
        "bfloat16": np.array([1.5, -3.0, 2.0**100, -0.0], dtype=np.float32),  # exact in bf16
        "int64": np.arange(-3, 3, dtype=np.int64) * 2**40,
        "int32": np.arange(-3, 3, dtype=np.int32),
        "int16": np.arange(-3, 3, dtype=np.int16),
        "int8": np.arange(-3, 3, dtype=np.int8),
        "uint8": np.arange(250, 256, dtype=np.uint8),
        "uint16": np.array([0, 1, 65535], dtype=np.uint16),
        "uint16_tail": np.array([1, 65535], dtype=np.uint16),
        "bool": np.array([True, False, True]),
        "complex64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "parameter": np.arange(4.0, dtype=np.float32),
    }
    for name, want in expected.items():
        array = got[name]
        assert isinstance(array, np.ndarray), name
        assert array.dtype == want.dtype and array.shape == want.shape, name
        np.testing.assert_array_equal(array, want, err_msg=name)
        # an expanded tensor (stride 0) keeps its layout, read-only, as in torch
        assert array.flags.c_contiguous == array.flags.writeable == (name != "expanded"), name
    assert np.signbit(got["bfloat16"][3])  # -0.0 keeps its sign through the bit shift
    # views that shared a storage in PyTorch are separate copies here
    got["float32"][0, 0] = 100.0
    assert got["transposed"][0, 0] == 0.0 and got["rows"][0, 0] == 4.0
    got["uint16"][1] = 7
    assert got["uint16_tail"][0] == 1


def test_python_values_load_as_plain_python():
    got = tg.load_pytorch(_file("tensors.pt"))
    nested = got["nested"]
    assert list(nested) == ["list", "tuple"]
    assert nested["list"] == [1, 2.5, "x", None, True]
    ones, big = nested["tuple"]
    np.testing.assert_array_equal(ones, np.ones(2, dtype=np.float32))
    assert big == -(2**70)
    assert got["size"] == (2, 3) and isinstance(got["size"], tuple)
    assert got["dtype"] == "torch.float16"
    assert got["device"] == "cpu"
    assert got["bytes"] == b"\x00\xffab"
    assert got["set"] == {1, 2}
    assert got["text"] == "héllo"


def test_torch_state_dict_loads_into_our_model():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model.load_state_dict(tg.load_pytorch(_file("mlp_state.pt")))
    model.eval()
    w = np.arange(12.0).reshape(3, 4) / 10 - 0.5
    b = np.array([0.1, -0.2, 0.3])
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 1.0])
    mean, var = np.array([0.5, 1.0, -1.0]), np.array([4.0, 0.25, 1.0])
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = ((x @ w.T + b) - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(model(Tensor(x)).data, want, rtol=1e-5, atol=1e-6)
    assert int(model.state_dict()["1.num_batches_tracked"]) == 7


def test_torch_adam_state_matches_the_rule_and_resumes_here():
    # the file: Adam(lr=0.1), 3 steps on sum(p**2) / 2 (grad = p) from p = [0, 1, 2, 3] / 4
    saved = tg.load_pytorch(_file("adam_run.pt"))
    hp = dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
              maximize=False)  # fmt: skip
    p_ref = np.arange(4.0) / 4
    state_ref = adam_init(hp, p_ref.shape)
    for t in range(1, 4):
        adam_step(p_ref, p_ref.copy(), state_ref, t, hp)
    np.testing.assert_allclose(saved["param"], p_ref, rtol=1e-6)
    entry = saved["optimizer"]["state"][0]
    assert float(entry["step"]) == 3.0
    np.testing.assert_allclose(entry["exp_avg"], state_ref["exp_avg"], rtol=1e-5)
    np.testing.assert_allclose(entry["exp_avg_sq"], state_ref["exp_avg_sq"], rtol=1e-5)

    # resume here: 5 more steps agree with the rule's steps 4..8
    p = Tensor(saved["param"].astype(np.float64), requires_grad=True)
    optimizer = optim.Adam([p], lr=0.5)  # the loaded group's lr (0.1) replaces this one
    optimizer.load_state_dict(saved["optimizer"])
    assert optimizer.param_groups[0]["lr"] == 0.1
    for t in range(4, 9):
        optimizer.zero_grad()
        (p * p).sum().backward()  # grad 2p: halve it to match sum(p**2) / 2
        p.grad *= 0.5
        optimizer.step()
        adam_step(p_ref, p_ref.copy(), state_ref, t, hp)
    np.testing.assert_allclose(p.data, p_ref, rtol=1e-5)
    assert optimizer.state_dict()["state"][0]["step"] == 8


@pytest.mark.parametrize(
    "name, message",
    [
        ("legacy_format.pt", "legacy format"),
        ("whole_module.pt", "torch.nn.modules.linear.Linear"),
        ("make_files.py", "not a PyTorch checkpoint"),
    ],
)
def test_refuses_what_is_not_plain_data(name, message):
    with pytest.raises(ValueError, match=message):
        tg.load_pytorch(_file(name))


def test_refuses_a_dtype_numpy_lacks():
    with pytest.raises(TypeError, match="torch.float8_e4m3fn"):
        tg.load_pytorch(_file("float8.pt"))


@pytest.mark.parametrize(
    "state",
    [
        b"}X\x0c\x00\x00\x00__defaults__N\x85s",  # {"__defaults__": (None,)}
        b"N}X\x0c\x00\x00\x00__defaults__N\x85s\x86",  # (None, {...}): slot state
    ],
)
def test_a_file_cannot_modify_the_functions_it_calls(tmp_path, state):
    # GLOBAL torch._utils._rebuild_tensor_v2, then BUILD it with `state` (pickle opcodes)
    data_pkl = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n" + state + b"b."
    path = str(tmp_path / "attack.pt")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("attack/data.pkl", data_pkl)
    with pytest.raises(ValueError, match="tries to modify"):
        tg.load_pytorch(path)
    got = tg.load_pytorch(_file("tensors.pt"))  # later loads still work
    np.testing.assert_array_equal(got["rows"], np.arange(4, 12, dtype=np.float32).reshape(2, 4))


def _rewrite(src: str, dst: str, change) -> None:
    """Copy zip `src` to `dst`, passing each (name, bytes) through `change` (None drops it)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda n, d: d[:-4] if n.endswith("data/0") else d, "has 44 bytes, expected 12 x 4"),
        (lambda n, d: None if n.endswith("data/0") else d, "lacks the data of storage '0'"),
        (lambda n, d: d[: len(d) // 2] if n.endswith("data.pkl") else d, "damaged data.pkl"),
        (lambda n, d: b"middle" if n.endswith("byteorder") else d, "byteorder 'middle'"),
        (lambda n, d: None if n.endswith("data.pkl") else d, "no single <folder>/data.pkl"),
    ],
)
def test_damaged_files_raise_value_error(tmp_path, change, message):
    path = str(tmp_path / "damaged.pt")
    _rewrite(_file("tensors.pt"), path, change)
    with pytest.raises(ValueError, match=message):
        tg.load_pytorch(path)


def _crafted(path: str, shape, stride, numel: int, data: bytes) -> None:
    """A checkpoint of one _rebuild_tensor_v2 on FloatStorage '0', written opcode by opcode."""

    def text(s: str) -> bytes:
        return b"X" + len(s).to_bytes(4, "little") + s.encode()

    def tup(values) -> bytes:
        return b"(" + b"".join(b"J" + v.to_bytes(4, "little") for v in values) + b"t"

    pid = b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text("0") + text("cpu")
    pid += b"J" + numel.to_bytes(4, "little") + b"tQ"
    args = b"(" + pid + b"K\x00" + tup(shape) + tup(stride) + b"\x89N" + b"tR."
    data_pkl = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n" + args
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/data.pkl", data_pkl)
        archive.writestr("a/data/0", data)


def test_an_expanded_tensor_loads_without_copying_every_element(tmp_path):
    # one stored float seen as 3000 x 3000 (stride 0): a 36 MB copy from a file of 300 bytes
    path = str(tmp_path / "expanded.pt")
    _crafted(path, (3000, 3000), (0, 0), 1, np.array([2.5], np.float32).tobytes())
    tracemalloc.start()
    try:
        got = tg.load_pytorch(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    assert got.shape == (3000, 3000) and got.dtype == np.float32 and not got.flags.writeable
    np.testing.assert_array_equal(got[::999, ::999], np.full((4, 4), 2.5, np.float32))


def test_a_claimed_storage_size_is_checked_before_allocating(tmp_path):
    # the zip directory claims 256 MB for storage '0' (numel agrees); the file holds 16 bytes
    path = str(tmp_path / "claims.pt")
    numel = 2**26
    _crafted(path, (4,), (1,), numel, bytes(16))
    raw = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("a/data/0").header_offset
    # local header: compressed / uncompressed sizes at +18 / +22; central entry: +20 / +24
    struct.pack_into("<II", raw, offset + 18, numel * 4, numel * 4)
    entry = raw.index(b"PK\x01\x02", offset)
    while raw[entry + 46 : entry + 54] != b"a/data/0":
        entry = raw.index(b"PK\x01\x02", entry + 1)
    struct.pack_into("<II", raw, entry + 20, numel * 4, numel * 4)
    open(path, "wb").write(raw)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="truncated"):
            tg.load_pytorch(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**24


def test_a_storage_failing_its_crc_raises_value_error(tmp_path):
    path = str(tmp_path / "crc.pt")
    values = np.arange(40, dtype=np.float32)
    _crafted(path, (40,), (1,), 40, values.tobytes())
    raw = bytearray(open(path, "rb").read())
    raw[raw.index(values.tobytes()) + 5] ^= 0xFF
    open(path, "wb").write(raw)
    with pytest.raises(ValueError, match="CRC"):
        tg.load_pytorch(path)


def test_a_compressed_archive_loads_the_same(tmp_path):
    # torch.save stores entries uncompressed, but torch.load also reads deflated ones
    path = str(tmp_path / "deflated.pt")
    with zipfile.ZipFile(_file("tensors.pt")) as zin, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:  # fmt: skip
        for name in zin.namelist():
            zout.writestr(name, zin.read(name))
    got, want = tg.load_pytorch(path), tg.load_pytorch(_file("tensors.pt"))
    assert got.keys() == want.keys()
    for name in want:
        if isinstance(want[name], np.ndarray):
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_our_load_points_a_torch_file_to_load_pytorch():
    with pytest.raises(ValueError, match=r"load_pytorch\(path\)"):
        tg.load(_file("tensors.pt"))


def test_only_the_cpu_is_a_map_location():
    assert tg.load_pytorch(_file("tensors.pt"), map_location="cpu")["scalar"] == 3.5
    with pytest.raises((ValueError, RuntimeError), match="cuda"):
        tg.load_pytorch(_file("tensors.pt"), map_location="cuda")


# --------------------------------------------------------------------------- writing ours
def _sample() -> dict:
    return {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "noncontiguous": np.arange(12.0).reshape(3, 4)[:, ::2],
        "big_endian": np.arange(3, dtype=">f4"),
        "f16": np.array([0.5, -2.0], dtype=np.float16),
        "ints": [np.array(v, dtype=d) for v, d in ((-7, np.int8), (300, np.int16),
                                                   (-(2**31), np.int32), (2**62, np.int64))],
        "u8": np.arange(3, dtype=np.uint8),
        "bool": np.array([True, False]),
        "c128": np.array([1 - 1j]),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar": np.float32(2.5),
        "tensor": Tensor(np.array([[1.0, 2.0]])),
        "python": [None, True, False, 0, 255, 256, -1, 2**31, -(2**70), 1.5, math.inf, "héllo"],
        "tuple": (1, ("nested", [])),
        7: {},
    }  # fmt: skip


def test_save_then_load_gives_back_the_values(tmp_path):
    path = str(tmp_path / "ours.pt")
    obj = _sample()
    tg.save_pytorch(obj, path)
    got = tg.load_pytorch(path)
    assert list(got) == list(obj)
    for key in ("f32", "noncontiguous", "big_endian", "f16", "u8", "bool", "c128", "empty"):
        np.testing.assert_array_equal(got[key], obj[key], err_msg=key)
        assert (
            got[key].dtype == obj[key].dtype.newbyteorder("=") and got[key].shape == obj[key].shape
        )
    for array, want in zip(got["ints"], obj["ints"]):
        assert array.dtype == want.dtype and array.shape == () and array == want
    assert got["scalar"].shape == () and got["scalar"].dtype == np.float32 and got["scalar"] == 2.5
    np.testing.assert_array_equal(got["tensor"], [[1.0, 2.0]])
    assert got["python"] == obj["python"]
    assert got["tuple"] == (1, ("nested", [])) and got[7] == {}


def test_saved_file_follows_the_format(tmp_path):
    path = str(tmp_path / "run1.pt")
    obj = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array([2**40]), "x": [1.5]}
    tg.save_pytorch(obj, path)
    with open(path, "rb") as f:
        raw = f.read()
    with zipfile.ZipFile(path) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        assert set(infos) == {
            "run1/data.pkl", "run1/byteorder", "run1/version", "run1/.format_version",
            "run1/.storage_alignment", "run1/data/0", "run1/data/1",
        }  # fmt: skip
        for name, info in infos.items():
            assert info.compress_type == zipfile.ZIP_STORED, name
            # the entry's bytes start after its local header (30 bytes + name + extra)
            name_len, extra_len = np.frombuffer(raw, "<u2", 2, info.header_offset + 26)
            start = info.header_offset + 30 + int(name_len) + int(extra_len)
            assert start % 64 == 0, name
            assert raw[start : start + info.file_size] == archive.read(name)
        assert archive.read("run1/byteorder") == b"little"
        assert archive.read("run1/version") == b"3\n"
        assert archive.read("run1/data/0") == obj["w"].astype("<f4").tobytes()
        assert archive.read("run1/data/1") == obj["n"].astype("<i8").tobytes()
        data_pkl = archive.read("run1/data.pkl")
    ops = list(pickletools.genops(data_pkl))
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    globals_used = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    # names torch.load(weights_only=True) accepts
    assert globals_used == {
        "torch._utils _rebuild_tensor_v2", "torch FloatStorage", "torch LongStorage",
        "collections OrderedDict",
    }  # fmt: skip
    pids = [i for i, (op, _, _) in enumerate(ops) if op.name == "BINPERSID"]
    assert len(pids) == 2
    pickletools.dis(data_pkl, out=io.StringIO())  # a well-formed pickle


def test_a_zip64_entry_is_aligned_too(tmp_path, monkeypatch):
    # zipfile writes a zip64 record into the local header of an entry over ~2 GB; with its
    # limit lowered, a 4 kB storage takes that path here
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1000)
    path = str(tmp_path / "big.pt")
    obj = {"w": np.arange(500, dtype=np.float64), "b": np.arange(3.0)}
    tg.save_pytorch(obj, path)
    with open(path, "rb") as f:
        raw = f.read()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_len, extra_len = np.frombuffer(raw, "<u2", 2, info.header_offset + 26)
            start = info.header_offset + 30 + int(name_len) + int(extra_len)
            assert start % 64 == 0, info.filename
            assert raw[start : start + info.file_size] == archive.read(info.filename)
    got = tg.load_pytorch(path)
    np.testing.assert_array_equal(got["w"], obj["w"])
    np.testing.assert_array_equal(got["b"], obj["b"])


def test_model_and_optimizer_round_trip_resumes_exactly(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)

    def build():
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
        return model, optim.AdamW(model.parameters(), lr=0.01)

    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            tg.loss.cross_entropy(model(Tensor(x.astype(np.float32))), y).backward()
            optimizer.step()

    model, optimizer = build()
    train(model, optimizer, 3)
    path = str(tmp_path / "ckpt.pt")
    tg.save_pytorch({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    train(model, optimizer, 4)

    resumed, resumed_optimizer = build()
    saved = tg.load_pytorch(path)
    resumed.load_state_dict(saved["model"])
    resumed_optimizer.load_state_dict(saved["optimizer"])
    train(resumed, resumed_optimizer, 4)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize(
    "obj, error, message",
    [
        ({"a": object()}, TypeError, r"obj\['a'\] is a object"),
        ({1.5: 1}, TypeError, "expected str or int keys"),
        ([np.array(["text"])], TypeError, "dtype <U4"),
        (np.array([1], dtype=np.uint32), TypeError, "dtype uint32"),
        (2**3000, ValueError, "too large"),
    ],
)
def test_save_refuses_bad_input_and_leaves_the_file(tmp_path, obj, error, message):
    path = tmp_path / "keep.pt"
    path.write_bytes(b"previous")
    with pytest.raises(error, match=message):
        tg.save_pytorch(obj, str(path))
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["keep.pt"]  # no temporary file left behind


def test_save_to_a_missing_folder_or_a_directory(tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        tg.save_pytorch({}, str(tmp_path / "missing" / "x.pt"))
    with pytest.raises(ValueError, match="is a directory"):
        tg.save_pytorch({}, str(tmp_path))
