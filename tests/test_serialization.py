"""save/load: exact round trips, refusal of truncated/altered/foreign files, atomic writes."""

import hashlib
import json
import math
import os
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from exact import assert_same
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_opt import Tensor
from tinygrad_opt import serialization as ser
from tinygrad_opt.serialization import load, save


def rich_object():
    rng = np.random.default_rng(0)
    return {
        "model": {"0.weight": rng.standard_normal((4, 3)).astype(np.float32), "0.b": np.zeros(4)},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": rng.standard_normal(5)}, 1: {"step": np.int64(3)}},
            "param_groups": [{"params": [0, 1], "lr": 0.1, "betas": (0.9, 0.99), "foreach": False}],
        },
        -7: "negative int key",
        "scalars": [None, True, False, 0, -(2**100), 2**127 + 5, 0.1, -0.0, math.inf, -math.inf,
                    math.nan, "", "ünïcode ✓", np.float32(1.5), np.float16(-2), np.int8(-3),
                    np.uint64(2**64 - 1), np.bool_(True), np.complex64(1 + 2j)],
        "dtypes": [np.arange(6).astype(d).reshape(2, 3) for d in
                   ("<i1", "<u1", "<i2", ">i2", "<u4", "<i8", "<f2", "<f4", ">f8", "<c16", "?")],
        "odd_shapes": [np.array(3.0), np.zeros((0, 4), np.float32), np.ones((2, 0, 3), np.int64),
                       np.arange(24.0).reshape(2, 3, 4)[:, ::2, 1:].T],
        "nested": ((1, (2, [3, {"x": ()}])), [], {}),
        "rng": np.random.default_rng(5).bit_generator.state,
    }


def test_round_trip_is_exact_for_nested_structures_dtypes_and_key_types(tmp_path):
    obj = rich_object()
    path = tmp_path / "checkpoint.bin"
    save(obj, path)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.bin"]  # exactly `path`, no temp left
    assert_same(obj, load(path))
    loaded = load(str(path))
    loaded["model"]["0.weight"][0, 0] = 42.0  # loaded arrays are writable, independent copies
    assert load(path)["model"]["0.weight"][0, 0] != 42.0


def test_tensors_are_saved_as_arrays_and_no_extension_is_added(tmp_path):
    t = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    path = tmp_path / "weights"
    save({"w": t, "labels": Tensor(np.array([1, 2], dtype=np.int64))}, path)
    assert path.exists() and not (tmp_path / "weights.npz").exists()
    out = load(path)
    assert_same(out["w"], t.data.copy())
    assert out["labels"].dtype == np.int64


def parse_independently(blob: bytes):
    """A second reader of the documented layout, used to check the writer against the docs."""
    magic, version, header_len = struct.unpack_from("<8sIQ", blob, 0)
    assert magic == b"TGOCKPT\x00" and version == 1
    assert hashlib.sha256(blob[:-32]).digest() == blob[-32:]
    header = json.loads(blob[20 : 20 + header_len])
    arrays = []
    for entry in header["arrays"]:
        assert entry["offset"] % 64 == 0
        raw = blob[entry["offset"] : entry["offset"] + entry["nbytes"]]
        arrays.append(np.frombuffer(raw, dtype=entry["dtype"]).reshape(entry["shape"]))
    return header["root"], arrays


def test_file_layout_matches_the_documented_format(tmp_path):
    path = tmp_path / "f"
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    save({"w": w, 3: [0.1, "s"]}, path)
    root, arrays = parse_independently(path.read_bytes())
    assert root["t"] == "dict"
    assert root["k"] == [{"t": "str", "v": "w"}, {"t": "int", "v": 3}]
    assert root["v"][0] == {"t": "array", "i": 0}
    assert root["v"][1]["v"][0] == {"t": "float", "v": (0.1).hex()}
    np.testing.assert_array_equal(arrays[0], w)


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"f": lambda: 1}, TypeError),
        ({"o": np.array([object()], dtype=object)}, TypeError),
        ({"s": np.array(["text"])}, TypeError),
        ({1.5: "float key"}, TypeError),
        ({True: "bool key"}, TypeError),
        ({"set": {1, 2}}, TypeError),
        # beyond Python's int-to-text limit (4,300 digits), which the text header needs
        ({"big": [1, 10**5000]}, ValueError),
        ({-(10**5000): "big key"}, ValueError),
    ],
)
def test_unsupported_objects_are_refused_and_nothing_is_written(tmp_path, bad, error):
    path = tmp_path / "ck"
    save({"old": 1}, path)
    with pytest.raises(error, match="save:"):
        save(bad, path)
    assert load(path) == {"old": 1}
    assert os.listdir(tmp_path) == ["ck"]


def test_ints_of_thousands_of_digits_round_trip(tmp_path):
    values = {"big": 7**4600, "negative": -(3**8000), 2**12999: "key"}  # ~3,900 digits each
    save(values, tmp_path / "ck")
    assert load(tmp_path / "ck") == values


def test_cycles_are_refused(tmp_path):
    cyclic = {"a": []}
    cyclic["a"].append(cyclic)
    with pytest.raises(ValueError, match="cycle"):
        save(cyclic, tmp_path / "ck")
    shared = [1, 2]
    save({"x": shared, "y": shared}, tmp_path / "ok")  # shared but acyclic is fine
    assert load(tmp_path / "ok") == {"x": [1, 2], "y": [1, 2]}


def test_every_truncation_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "ck"
    save({"w": np.arange(10.0), "n": 3}, path)
    blob = path.read_bytes()
    cut = tmp_path / "cut"
    for length in sorted({0, 1, 7, 8, 19, 20, 50, len(blob) // 2, len(blob) - 33, len(blob) - 1}):
        cut.write_bytes(blob[:length])
        with pytest.raises(ValueError, match="cut"):
            load(cut)


def test_any_flipped_byte_is_detected(tmp_path):
    path = tmp_path / "ck"
    save({"w": np.arange(40.0), "meta": {"epoch": 2}}, path)
    blob = bytearray(path.read_bytes())
    tampered = tmp_path / "tampered"
    rng = np.random.default_rng(1)
    positions = set(rng.integers(8, len(blob), 40).tolist()) | {8, 12, 20, len(blob) - 1}
    for pos in sorted(positions):
        altered = bytearray(blob)
        altered[pos] ^= 0x01
        tampered.write_bytes(bytes(altered))
        with pytest.raises(ValueError, match="tampered"):
            load(tampered)


def test_a_tampered_file_with_a_recomputed_checksum_cannot_request_objects(tmp_path):
    """Even a forger who fixes the checksum cannot make load build an object array."""
    path = tmp_path / "forged"
    save({"w": np.zeros(2, dtype=np.int64)}, path)
    blob = path.read_bytes()
    forged = blob[:-32].replace(b'"<i8"', b'"|O8"')
    path.write_bytes(forged + hashlib.sha256(forged).digest())
    with pytest.raises(ValueError, match="unsupported dtype"):
        load(path)


def test_foreign_files_are_refused(tmp_path):
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.arange(3))
    text = tmp_path / "notes.txt"
    text.write_text("hello world, this is not a checkpoint at all")
    for path in (npz, text):
        with pytest.raises(ValueError, match="not a tinygrad_opt checkpoint"):
            load(path)
    assert zipfile.is_zipfile(npz)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "ck"
    save({"a": 1}, path)
    blob = bytearray(path.read_bytes())
    blob[8:12] = struct.pack("<I", 99)
    body = bytes(blob[:-32])
    path.write_bytes(body + hashlib.sha256(body).digest())
    with pytest.raises(ValueError, match="version 99"):
        load(path)


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ck"
    save({"generation": 1}, path)

    def crash(src, dst):
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(ser.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        save({"generation": 2, "w": np.ones(1000)}, path)
    monkeypatch.undo()
    assert load(path) == {"generation": 1}
    assert os.listdir(tmp_path) == ["ck"]


CHILD = textwrap.dedent(
    """
    import os, sys, time, hashlib
    import numpy as np
    from tinygrad_opt import serialization

    mode, path = sys.argv[1], sys.argv[2]
    real_sha256 = hashlib.sha256

    class StallingDigest:
        # Hashing runs chunk by chunk as the file is written: stall after the 2nd chunk,
        # i.e. with the header written and the array data not yet complete.
        def __init__(self, *args):
            self.inner, self.calls = real_sha256(*args), 0
        def update(self, chunk):
            self.inner.update(chunk)
            self.calls += 1
            if mode == "mid-write" and self.calls == 3:
                print("STALLED", flush=True)
                time.sleep(600)
        def digest(self):
            return self.inner.digest()

    def stalling_fsync(fd):
        print("STALLED", flush=True)
        time.sleep(600)

    serialization.hashlib.sha256 = StallingDigest
    if mode == "before-rename":
        serialization.os.fsync = stalling_fsync
    serialization.save({"generation": 2, "w": np.ones((512, 512))}, path)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["mid-write", "before-rename"])
def test_killing_the_writer_mid_save_keeps_the_old_checkpoint(tmp_path, mode):
    path = tmp_path / "ck"
    old = {"generation": 1, "w": np.zeros((3, 3))}
    save(old, path)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline().strip()
        assert line == "STALLED", line
        temporaries = [name for name in os.listdir(tmp_path) if name != "ck"]
        assert len(temporaries) == 1 and temporaries[0].startswith(".ck.")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert_same(load(path), old)
    (leftover,) = [name for name in os.listdir(tmp_path) if name != "ck"]
    if mode == "mid-write":  # a partial temporary is refused, never mistaken for data
        with pytest.raises(ValueError):
            load(tmp_path / leftover)
    else:  # written and fsynced but not yet renamed: complete, yet `path` is still the old one
        assert load(tmp_path / leftover)["generation"] == 2


def test_saving_over_a_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        save({"a": 1}, tmp_path)


def test_saving_into_a_missing_folder_is_refused_clearly(tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        save({"a": 1}, tmp_path / "no" / "such" / "ck")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_files_get_the_permissions_open_would_give(tmp_path):
    # as torch.save / open(path, "wb"): 0o666 less the umask, so never executable
    old_umask = os.umask(0o022)
    try:
        save({"a": 1}, tmp_path / "ck")
    finally:
        os.umask(old_umask)
    assert os.stat(tmp_path / "ck").st_mode & 0o777 == 0o644


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8),
    hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_, np.int16]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    ),
)
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), children, max_size=4),
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=_trees)
@example(tree=[-0.0, 0.0, {"z": -0.0}, np.array([-0.0, 0.0]), math.nan])  # signed zeros
def test_random_trees_round_trip_exactly(tmp_path, tree):
    path = tmp_path / "tree"
    save(tree, path)
    assert_same(tree, load(path))


# ------------------------------------------------------------------ the format, from its docs
def align64(n):
    return -(-n // 64) * 64


def write_by_the_docs(path, root, arrays, edit_entries=None, version=1, header_len_extra=0,
                      arrays_field=None):
    """A second writer of the documented layout, independent of `save`: prefix, JSON header,
    zero padding, each array's C-order bytes on a 64-byte boundary, SHA-256 of all before it.
    `root` is a node, or its JSON text. `edit_entries` alters the array table written into
    the header (not where the bytes go), to forge files whose checksum is right but whose
    header is not."""
    root_text = root if isinstance(root, str) else json.dumps(root)
    header_len = 0
    while True:  # the offsets depend on the header's length and vice versa
        entries, offset = [], align64(20 + header_len)
        for a in arrays:
            entries.append({"dtype": a.dtype.str, "shape": list(a.shape), "offset": offset,
                            "nbytes": a.nbytes})
            offset = align64(offset + a.nbytes)
        placed = [dict(e) for e in entries]
        if edit_entries is not None:
            edit_entries(entries)
        table = entries if arrays_field is None else arrays_field
        header = f'{{"root": {root_text}, "arrays": {json.dumps(table)}}}'.encode()
        if len(header) == header_len:
            break
        header_len = len(header)
    body = bytearray(struct.pack("<8sIQ", b"TGOCKPT\x00", version, header_len + header_len_extra))
    body += header
    for a, entry in zip(arrays, placed):
        body += bytes(entry["offset"] - len(body))
        body += np.ascontiguousarray(a).tobytes()
    body = bytes(body)
    path.write_bytes(body + hashlib.sha256(body).digest())


def test_a_file_written_by_the_documented_layout_loads(tmp_path):
    path = tmp_path / "by_hand"
    w = np.arange(6, dtype=">f8").reshape(2, 3)  # big-endian input, as the header says
    root = {"t": "dict",
            "k": [{"t": "str", "v": "w"}, {"t": "int", "v": 7}, {"t": "str", "v": "s"}],
            "v": [{"t": "array", "i": 0},
                  {"t": "tuple", "v": [{"t": "bool", "v": False}, {"t": "none"},
                                       {"t": "float", "v": (-0.0).hex()},
                                       {"t": "float", "v": float("nan").hex()}]},
                  {"t": "list", "v": [{"t": "scalar", "i": 1}, {"t": "int", "v": 2**70},
                                      {"t": "str", "v": "é"}]}]}
    write_by_the_docs(path, root, [w, np.array(-3, dtype=np.int16)])
    assert_same(load(path), {"w": w.copy(), 7: (False, None, -0.0, math.nan),
                             "s": [np.int16(-3), 2**70, "é"]})


def test_gaps_in_a_saved_file_are_zero_padding(tmp_path):
    path = tmp_path / "f"
    arrays = [np.arange(3, dtype=np.uint8), np.ones(5, np.float32), np.array(True)]
    save({"a": arrays, "s": "x" * 37}, path)
    blob = path.read_bytes()
    _, header_len = struct.unpack_from("<IQ", blob, 8)
    entries = json.loads(blob[20 : 20 + header_len])["arrays"]
    assert entries[0]["offset"] == align64(20 + header_len)  # padding up to a multiple of 64
    covered = np.zeros(len(blob) - 32, dtype=bool)
    covered[: 20 + header_len] = True
    for entry in entries:
        covered[entry["offset"] : entry["offset"] + entry["nbytes"]] = True
    gaps = np.frombuffer(blob[:-32], dtype=np.uint8)[~covered]
    assert gaps.size > 0 and not gaps.any()


def test_every_memory_layout_is_saved_in_c_order(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    layouts = {
        "transposed": base.T,  # Fortran-contiguous
        "fortran": np.asfortranarray(base),
        "reversed": base[::-1, ::-2],
        "big_endian_transposed": base.astype(">f4").T,
        "broadcast": np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)),
    }
    path = tmp_path / "layouts"
    save(layouts, path)
    _, arrays = parse_independently(path.read_bytes())
    for (name, a), raw in zip(layouts.items(), arrays):
        assert raw.tobytes() == np.ascontiguousarray(a).tobytes(), name
    loaded = load(path)
    for name, a in layouts.items():
        assert_same(loaded[name], np.ascontiguousarray(a))


def test_numpy_integer_keys_come_back_as_int(tmp_path):
    path = tmp_path / "keys"
    save({np.int64(3): "a", np.uint8(4): "b", np.int32(-1): {np.int16(0): 1.5}}, path)
    assert_same(load(path), {3: "a", 4: "b", -1: {0: 1.5}})


def test_objects_nested_too_deeply_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "ck"
    save({"old": 1}, path)
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        save(deep, path)
    assert load(path) == {"old": 1}
    assert os.listdir(tmp_path) == ["ck"]
    forged = tmp_path / "forged"
    depth = 100_000
    write_by_the_docs(forged, '{"t": "list", "v": [' * depth + '{"t": "none"}' + "]}" * depth, [])
    with pytest.raises(ValueError, match="recursion depth|nested too deeply") as info:
        load(forged)
    assert str(forged) in str(info.value)


@pytest.mark.skipif(os.name != "posix", reason="folders can be fsynced on POSIX only")
def test_save_fsyncs_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    path = tmp_path / "ck"
    save({"generation": 1}, path)
    old_bytes = path.read_bytes()
    real_fsync, calls = os.fsync, []

    def spy(fd):
        kind = "folder" if os.path.samestat(os.fstat(fd), os.stat(tmp_path)) else "file"
        calls.append((kind, path.read_bytes() == old_bytes))
        real_fsync(fd)

    monkeypatch.setattr(ser.os, "fsync", spy)
    save({"generation": 2}, path)
    monkeypatch.undo()
    # the data is on disk before it replaces the old file; the rename is made durable after
    assert calls == [("file", True), ("folder", False)]
    assert load(path) == {"generation": 2}


def forged_cases():
    one = [np.arange(4.0)]
    array0 = {"t": "array", "i": 0}
    none = {"t": "none"}

    def nbytes_too_small(entries):
        entries[0]["nbytes"] = 8  # shape [4] of <f8 needs 32

    def into_the_checksum(entries):
        entries[0]["offset"] += 32  # 32 bytes past the data: the SHA-256 digest itself

    def shape_dropped(entries):
        entries[0]["shape"] = [2]

    return {
        "nbytes": (dict(root=array0, arrays=one, edit_entries=nbytes_too_small), "not fit"),
        "into_checksum": (dict(root=array0, arrays=one, edit_entries=into_the_checksum),
                          "not fit"),
        "shape": (dict(root=array0, arrays=one, edit_entries=shape_dropped), "not fit"),
        "long_header": (dict(root=none, arrays=[], header_len_extra=10_000), "header longer"),
        "arrays_not_list": (dict(root=none, arrays=[], arrays_field={}), "not a list"),
        "bool_key": (dict(root={"t": "dict", "k": [{"t": "bool", "v": True}], "v": [none]},
                          arrays=[]), "dict key"),
        "negative_index": (dict(root={"t": "array", "i": -1}, arrays=one), "out of range"),
        "bool_index": (dict(root={"t": "array", "i": True}, arrays=one), "not an int"),
        "bool_as_int": (dict(root={"t": "int", "v": True}, arrays=[]), "int node holds bool"),
        "int_as_str": (dict(root={"t": "str", "v": 3}, arrays=[]), "str node holds int"),
        "scalar_not_0d": (dict(root={"t": "scalar", "i": 0}, arrays=one), "not 0-d"),
        "bad_float": (dict(root={"t": "float", "v": 1.5}, arrays=[]), "hex float"),
        "unknown_tag": (dict(root={"t": "set", "v": []}, arrays=[]), "unknown node tag"),
        "keys_values": (dict(root={"t": "dict", "k": [], "v": [none]}, arrays=[]),
                        "mismatched keys"),
        "version_0": (dict(root=none, arrays=[], version=0), "version 0"),
    }


@pytest.mark.parametrize("case", sorted(forged_cases()))
def test_a_forged_header_with_a_valid_checksum_is_refused_naming_the_file(tmp_path, case):
    kwargs, message = forged_cases()[case]
    path = tmp_path / f"forged_{case}"
    write_by_the_docs(path, **kwargs)
    with pytest.raises(ValueError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_the_forging_writer_makes_loadable_files_when_nothing_is_forged(tmp_path):
    """The forged cases above differ from a valid file only in what they forge."""
    path = tmp_path / "valid"
    write_by_the_docs(path, {"t": "array", "i": 0}, [np.arange(4.0)])
    assert_same(load(path), np.arange(4.0))


def test_float64_numpy_scalars_load_as_numpy_scalars(tmp_path):
    path = tmp_path / "f64"
    obj = {"loss": np.float64(0.1) * 3, "nan": np.float64("nan"), "neg0": np.float64(-0.0)}
    save(obj, path)
    assert_same(load(path), obj)


def test_load_takes_torchs_map_location_and_weights_only(tmp_path):
    path = tmp_path / "ck.pt"
    save({"w": np.arange(3.0)}, path)
    for kwargs in ({"weights_only": True}, {"map_location": "cpu"}, {"weights_only": False}):
        assert_same(load(path, **kwargs), {"w": np.arange(3.0)})
    with pytest.raises(ValueError, match="CPU only"):
        load(path, map_location="cuda:0")
