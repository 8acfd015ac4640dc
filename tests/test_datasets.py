"""IDX reader, MNIST/Fashion-MNIST loading and verification, downloads, generated datasets."""

import dataclasses
import gzip
import hashlib
import http.server
import os
import re
import shutil
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt.datasets import (
    SHAPE_CLASSES,
    DatasetFileError,
    download,
    load_fashion_mnist,
    load_mnist,
    make_blobs,
    make_moons,
    make_shapes,
    make_spirals,
    mnist,
    read_idx,
    resolve_root,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _data_root() -> str | None:
    """$TINYGRAD_OPT_DATA, else ../shared/data (as test_cli.py): the folder holding mnist/."""
    for candidate in (os.environ.get("TINYGRAD_OPT_DATA"), SHARED_DATA):
        if candidate and os.path.isdir(os.path.join(candidate, "mnist")):
            return str(candidate)
    return None


DATA = _data_root()
needs_real_data = pytest.mark.skipif(
    DATA is None, reason="neither $TINYGRAD_OPT_DATA nor ../shared/data holds mnist/"
)
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# --------------------------------------------------------------------------- IDX reader
def naive_idx(raw: bytes) -> np.ndarray:
    """Independent IDX parser: struct.unpack value by value (only for small files)."""
    _, _, type_code, ndim = struct.unpack(">BBBB", raw[:4])
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    fmt, np_type = {8: ("B", np.uint8), 9: ("b", np.int8), 11: ("h", np.int16),
                    12: ("i", np.int32), 13: ("f", np.float32), 14: ("d", np.float64)}[type_code]
    count = int(np.prod(shape))
    values = struct.unpack(f">{count}{fmt}", raw[4 + 4 * ndim :])
    return np.array(values, dtype=np_type).reshape(shape)


def idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    return header + big_endian.tobytes()


@pytest.mark.parametrize(
    "dtype, code", [(np.uint8, 8), (np.int8, 9), (np.int16, 11), (np.int32, 12),
                    (np.float32, 13), (np.float64, 14)],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_matches_a_naive_parser(tmp_path, dtype, code, compress):
    rng = np.random.default_rng(code)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    raw = idx_bytes(array, code)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    got = read_idx(path)
    expected = naive_idx(raw)
    assert got.dtype == expected.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, array)


def test_read_idx_refuses_malformed_files(tmp_path):
    raw = idx_bytes(np.arange(10, dtype=np.uint8), 8)
    cases = {
        "truncated": (raw[:-1], "truncated"),
        "too_long": (raw + b"\x00", "truncated or corrupt"),
        "bad_magic": (b"\x01" + raw[1:], "two zero bytes"),
        "bad_magic_second_byte": (raw[:1] + b"\x08" + raw[2:], "two zero bytes"),
        "bad_type": (raw[:2] + b"\x07" + raw[3:], "type byte"),
        "short_header": (raw[:6], "header"),
        "bad_gzip": (gzip.compress(raw)[:-8], "gzip"),
        "bad_gzip_crc": (gzip.compress(raw)[:-8] + bytes(8), "gzip"),  # CRC-32 and size zeroed
        "bad_gzip_deflate": (gzip.compress(raw)[:10] + b"\xff" * 20, "gzip"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as info:
            read_idx(path)
        assert name in str(info.value)


# --------------------------------------------------------------------------- real files
def readme_table():
    """SHA-256 sums as published in the data folder's README (the independent reference)."""
    text = (Path(DATA) / "README.md").read_text()
    table, section = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            section = "fashion-mnist" if "fashion" in line.lower() else "mnist"
        match = re.match(r"\| (\S+\.gz) \| (\d+) \| ([0-9a-f]{32}) \| ([0-9a-f]{64}) \|", line)
        if match and section:
            table[(section, match.group(1))] = (int(match.group(2)), match.group(4))
    return table


@needs_real_data
def test_real_files_match_the_readme_checksums_and_our_table():
    table = readme_table()
    assert len(table) == 8
    for (folder, name), (size, sha) in table.items():
        path = Path(DATA) / folder / name
        assert path.stat().st_size == size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert mnist.SPECS[folder].files[name] == (size, sha)


@needs_real_data
@pytest.mark.parametrize("folder", ["mnist", "fashion-mnist"])
def test_real_test_split_matches_the_naive_parser(folder):
    labels_raw = gzip.decompress((Path(DATA) / folder / FILES[3]).read_bytes())
    images_raw = gzip.decompress((Path(DATA) / folder / FILES[2]).read_bytes())
    # the naive parser is slow on 7.8 MB: check the header and the first 50 images with it
    first_50 = images_raw[:4] + struct.pack(">I", 50) + images_raw[8 : 16 + 50 * 784]
    head = naive_idx(first_50)
    loader = load_mnist if folder == "mnist" else load_fashion_mnist
    images, labels = loader(root=DATA, train=False)
    raw_images, raw_labels = loader(root=DATA, train=False, scale=False)
    np.testing.assert_array_equal(labels, naive_idx(labels_raw))
    np.testing.assert_array_equal(raw_images[:50, 0], head)
    np.testing.assert_array_equal(raw_images.reshape(-1), np.frombuffer(images_raw[16:], np.uint8))
    assert images.shape == (10_000, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (10_000,) and labels.dtype == np.int64
    assert raw_images.dtype == np.uint8
    np.testing.assert_array_equal(images, raw_images.astype(np.float32) / np.float32(255))
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels, minlength=10).min() >= 800  # every class is present


@needs_real_data
def test_real_training_splits_and_cached_arrays_are_independent():
    images, labels = load_mnist(root=DATA, train=True)
    assert images.shape == (60_000, 1, 28, 28) and labels.shape == (60_000,)
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the well-known first digits
    images[:] = -1.0
    labels[:] = -1
    again_images, again_labels = load_mnist(root=DATA, train=True)
    assert again_images.min() == 0.0 and again_labels.min() == 0
    f_images, f_labels = load_fashion_mnist(root=DATA, train=True)
    assert f_images.shape == (60_000, 1, 28, 28)
    assert np.bincount(f_labels).tolist() == [6000] * 10


@needs_real_data
def test_corrupt_and_truncated_real_files_are_refused_naming_file_and_checksum(tmp_path):
    for name in FILES[2:]:
        shutil.copy(Path(DATA) / "mnist" / name, tmp_path / name)
    (tmp_path / "mnist").mkdir()
    for name in FILES[2:]:
        shutil.move(tmp_path / name, tmp_path / "mnist" / name)
    load_mnist(root=tmp_path, train=False)  # intact copy loads
    labels = tmp_path / "mnist" / FILES[3]
    blob = bytearray(labels.read_bytes())
    blob[100] ^= 0xFF
    labels.write_bytes(bytes(blob))
    sha = mnist.SPECS["mnist"].files[FILES[3]][1]
    with pytest.raises(DatasetFileError, match="corrupt") as info:
        load_mnist(root=tmp_path, train=False)
    assert str(labels) in str(info.value) and sha in str(info.value)
    assert "download=True" in str(info.value)
    labels.write_bytes(bytes(blob[:-10]))
    with pytest.raises(DatasetFileError, match="truncated") as info:
        load_mnist(root=tmp_path, train=False)
    assert sha in str(info.value)
    labels.unlink()
    with pytest.raises(FileNotFoundError, match="missing") as info:
        load_mnist(root=tmp_path, train=False)
    assert isinstance(info.value, RuntimeError) and sha in str(info.value)


# --------------------------------------------------------------------------- root lookup
def test_root_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_root(None) == tmp_path / "env"
    monkeypatch.delenv("TINYGRAD_OPT_DATA")
    assert resolve_root(None) == tmp_path / "xdg" / "tinygrad_opt"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_root(None) == tmp_path / "home" / ".cache" / "tinygrad_opt"
    with pytest.raises(TypeError, match="root"):
        resolve_root(3)


def test_default_root_is_used_by_the_loaders(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetFileError) as info:
        load_fashion_mnist(train=False)
    assert str(tmp_path / "nowhere" / "fashion-mnist" / FILES[2]) in str(info.value)


# --------------------------------------------------------------------------- downloads
class Server:
    """A local HTTP server: routes map a URL path to (status, body, declared length)."""

    def __init__(self):
        self.routes, self.requests = {}, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                status, body, declared = outer.routes.get(self.path, (404, b"not found", None))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) if declared is None else declared))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def fake_dataset(count_train=5, count_test=3, seed=0):
    """Small gzip IDX files with the real names, and their (size, sha256) table."""
    rng = np.random.default_rng(seed)
    blobs = {}
    for prefix, count in (("train", count_train), ("t10k", count_test)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count).astype(np.uint8)
        blobs[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images, 8))
        blobs[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels, 8))
    table = {name: (len(b), hashlib.sha256(b).hexdigest()) for name, b in blobs.items()}
    return blobs, table


def use_fake_spec(monkeypatch, mirrors, table):
    spec = dataclasses.replace(
        mnist.SPECS["mnist"], files=table, mirrors=tuple(mirrors),
        splits={"train": (FILES[0], FILES[1], 5), "test": (FILES[2], FILES[3], 3)},
    )
    monkeypatch.setitem(mnist.SPECS, "mnist", spec)


def test_download_success_then_load(server, tmp_path, monkeypatch):
    blobs, table = fake_dataset()
    for name, blob in blobs.items():
        server.routes[f"/a/{name}"] = (200, blob, None)
    use_fake_spec(monkeypatch, [server.url + "/a/"], table)
    images, labels = load_mnist(root=tmp_path, train=True, download=True)
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(FILES[:2])  # no temporaries
    expected = naive_idx(gzip.decompress(blobs[FILES[0]]))
    np.testing.assert_array_equal(images[:, 0], expected.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(labels, naive_idx(gzip.decompress(blobs[FILES[1]])))
    # present and valid: a second call does not download again
    count = len(server.requests)
    load_mnist(root=tmp_path, train=True, download=True)
    assert len(server.requests) == count


def test_corrupt_payload_is_never_kept(server, tmp_path, monkeypatch):
    blobs, table = fake_dataset()
    for name, blob in blobs.items():
        corrupt = bytearray(blob)
        corrupt[len(corrupt) // 2] ^= 0xFF  # same size, wrong bytes
        server.routes[f"/m/{name}"] = (200, bytes(corrupt), None)
    use_fake_spec(monkeypatch, [server.url + "/m"], table)
    with pytest.raises(DatasetFileError) as info:
        load_mnist(root=tmp_path, train=False, download=True)
    message = str(info.value)
    assert FILES[2] in message and table[FILES[2]][1] in message
    assert "checksum mismatch" in message and f"{server.url}/m/{FILES[2]}" in message
    assert os.listdir(tmp_path / "mnist") == []  # no partial or corrupt file left


def test_truncated_and_missing_mirrors_fall_through_to_the_next(server, tmp_path, monkeypatch):
    blobs, table = fake_dataset()
    for name, blob in blobs.items():
        # mirror 1 cuts the body short of its declared length; mirror 2 lacks the files (404)
        server.routes[f"/short/{name}"] = (200, blob[: len(blob) // 2], len(blob))
        server.routes[f"/good/{name}"] = (200, blob, None)
    mirrors = [server.url + "/short/", server.url + "/missing/", server.url + "/good/"]
    use_fake_spec(monkeypatch, mirrors, table)
    images, labels = load_mnist(root=tmp_path, train=False, download=True)
    assert images.shape == (3, 1, 28, 28) and labels.dtype == np.int64
    assert f"/short/{FILES[2]}" in server.requests and f"/missing/{FILES[2]}" in server.requests
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(FILES[2:])


def test_all_mirrors_failing_lists_every_url(server, tmp_path, monkeypatch):
    _, table = fake_dataset()
    mirrors = [server.url + "/nothing/", "http://127.0.0.1:9/closed/"]  # port 9: refused
    use_fake_spec(monkeypatch, mirrors, table)
    with pytest.raises(DatasetFileError) as info:
        load_mnist(root=tmp_path, train=True, download=True)
    message = str(info.value)
    assert "404" in message and mirrors[0] + FILES[0] in message
    assert mirrors[1] + FILES[0] in message
    assert table[FILES[0]][1] in message
    assert os.listdir(tmp_path / "mnist") == []


def test_download_replaces_a_corrupt_local_file(server, tmp_path, monkeypatch):
    blobs, table = fake_dataset()
    for name, blob in blobs.items():
        server.routes[f"/a/{name}"] = (200, blob, None)
    use_fake_spec(monkeypatch, [server.url + "/a/"], table)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / FILES[2]).write_bytes(b"garbage")
    with pytest.raises(DatasetFileError, match="truncated"):
        load_mnist(root=tmp_path, train=False)
    load_mnist(root=tmp_path, train=False, download=True)
    assert (tmp_path / "mnist" / FILES[2]).read_bytes() == blobs[FILES[2]]


@needs_real_data
def test_download_of_the_real_files_with_the_real_checksums(server, tmp_path, monkeypatch):
    for name in FILES[2:]:
        server.routes[f"/real/{name}"] = (200, (Path(DATA) / "mnist" / name).read_bytes(), None)
    spec = dataclasses.replace(mnist.SPECS["mnist"], mirrors=(server.url + "/none/",
                                                             server.url + "/real/"))
    monkeypatch.setitem(mnist.SPECS, "mnist", spec)
    images, labels = load_mnist(root=tmp_path, train=False, download=True)
    expected_images, expected_labels = load_mnist(root=DATA, train=False)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_local_files_are_verified_by_sha256_and_loads_hand_out_fresh_arrays(tmp_path,
                                                                           monkeypatch):
    blobs, table = fake_dataset()
    use_fake_spec(monkeypatch, ["http://127.0.0.1:9/never-used/"], table)
    (tmp_path / "mnist").mkdir()
    for name, blob in blobs.items():
        (tmp_path / "mnist" / name).write_bytes(blob)
    expected = naive_idx(gzip.decompress(blobs[FILES[2]]))
    images, labels = load_mnist(root=tmp_path, train=False, scale=False)
    np.testing.assert_array_equal(images[:, 0], expected)
    images[:] = 0  # callers may modify what they get: the next load is unaffected
    labels[:] = 0
    images, labels = load_mnist(root=tmp_path, train=False, scale=False)
    np.testing.assert_array_equal(images[:, 0], expected)
    np.testing.assert_array_equal(labels, naive_idx(gzip.decompress(blobs[FILES[3]])))
    # Same size, still a valid gzip of the same IDX data, only the gzip header's timestamp
    # (bytes 4-7) differs: nothing but the SHA-256 check can tell.
    path = tmp_path / "mnist" / FILES[3]
    altered = bytearray(blobs[FILES[3]])
    altered[4] ^= 0x01
    path.write_bytes(bytes(altered))
    mtime = path.stat().st_mtime_ns + 2_000_000_000  # defeat any cache keyed by mtime
    os.utime(path, ns=(mtime, mtime))
    assert gzip.decompress(bytes(altered)) == gzip.decompress(blobs[FILES[3]])
    with pytest.raises(DatasetFileError, match="corrupt") as info:
        load_mnist(root=tmp_path, train=False)
    message = str(info.value)
    assert str(path) in message and table[FILES[3]][1] in message
    assert hashlib.sha256(bytes(altered)).hexdigest() in message


def install_local_files(tmp_path, monkeypatch, blobs):
    """Put `blobs` in <tmp_path>/mnist with a spec whose checksums are theirs: only the IDX
    contents themselves can then be wrong."""
    (tmp_path / "mnist").mkdir(exist_ok=True)
    for name, blob in blobs.items():
        (tmp_path / "mnist" / name).write_bytes(blob)
    table = {name: (len(b), hashlib.sha256(b).hexdigest()) for name, b in blobs.items()}
    use_fake_spec(monkeypatch, ["http://127.0.0.1:9/never-used/"], table)


@pytest.mark.parametrize(
    "which, array, code, message",
    [
        pytest.param("labels", np.zeros(4, np.uint8), 8,
                     r"shape \(4,\); expected uint8 of shape \(3,\)", id="more_labels"),
        pytest.param("labels", np.zeros(2, np.uint8), 8, r"shape \(2,\)", id="fewer_labels"),
        pytest.param("images", np.zeros((4, 28, 28), np.uint8), 8, r"shape \(4, 28, 28\)",
                     id="more_images"),
        pytest.param("images", np.zeros((3, 28, 27), np.uint8), 8, r"shape \(3, 28, 27\)",
                     id="narrow_images"),
        pytest.param("images", np.zeros((3, 784), np.uint8), 8, r"shape \(3, 784\)",
                     id="flat_images"),
        pytest.param("labels", np.zeros(3, np.int8), 9, "holds a int8 array", id="int8_labels"),
        pytest.param("labels", np.zeros(3, np.int32), 12, "holds a int32 array",
                     id="int32_labels"),
        pytest.param("labels", np.array([0, 10, 3], np.uint8), 8, "labels outside 0-9",
                     id="label_10"),
        pytest.param("labels", np.array([0, 255, 3], np.uint8), 8, "labels outside 0-9",
                     id="label_255"),
    ],
)
def test_files_with_the_right_checksum_but_wrong_contents_are_refused(tmp_path, monkeypatch,
                                                                       which, array, code,
                                                                       message):
    blobs, _ = fake_dataset()
    name = FILES[3] if which == "labels" else FILES[2]
    blobs[name] = gzip.compress(idx_bytes(array, code))
    install_local_files(tmp_path, monkeypatch, blobs)
    with pytest.raises(DatasetFileError, match=message) as info:
        load_mnist(root=tmp_path, train=False)
    assert str(tmp_path / "mnist" / name) in str(info.value)


def test_a_replaced_file_is_read_again(tmp_path, monkeypatch):
    blobs, _ = fake_dataset(seed=0)
    install_local_files(tmp_path, monkeypatch, blobs)
    load_mnist(root=tmp_path, train=False)
    new_blobs, _ = fake_dataset(seed=1)
    install_local_files(tmp_path, monkeypatch, new_blobs)
    for name in FILES[2:]:  # a later modification time, whatever the clock's resolution
        path = tmp_path / "mnist" / name
        mtime = path.stat().st_mtime_ns + 2_000_000_000
        os.utime(path, ns=(mtime, mtime))
    images, labels = load_mnist(root=tmp_path, train=False, scale=False)
    np.testing.assert_array_equal(images[:, 0], naive_idx(gzip.decompress(new_blobs[FILES[2]])))
    np.testing.assert_array_equal(labels, naive_idx(gzip.decompress(new_blobs[FILES[3]])))


def test_download_file_reports_short_bodies_and_wrong_sizes(server, tmp_path):
    blob = b"0123456789" * 100
    sha = hashlib.sha256(blob).hexdigest()
    server.routes["/short/f.gz"] = (200, blob[:400], len(blob))  # declares 1000, sends 400
    server.routes["/full/f.gz"] = (200, blob, None)
    with pytest.raises(DatasetFileError, match="truncated: got 400 of 1000 bytes"):
        download.download_file("f.gz", [server.url + "/short"], tmp_path, sha)
    with pytest.raises(DatasetFileError, match="wrong size: got 1000 bytes, expected 1001"):
        download.download_file("f.gz", [server.url + "/full"], tmp_path, sha, size=1001)
    assert os.listdir(tmp_path) == []
    # a checksum written in upper case is the same checksum
    path = download.download_file("f.gz", [server.url + "/full"], tmp_path, sha.upper(), 1000)
    assert path == tmp_path / "f.gz" and path.read_bytes() == blob


def test_a_download_only_appears_under_its_name_once_verified(server, tmp_path, monkeypatch):
    blob = bytes(range(256)) * 40
    server.routes["/a/f.gz"] = (200, blob, None)
    real_replace, real_fsync, renames, synced = os.replace, os.fsync, [], []

    def spy_fsync(fd):
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    def spy_replace(src, dst):
        src, dst = Path(src), Path(dst)
        renames.append((src.parent, src.name, dst, dst.exists(), src.read_bytes() == blob,
                        src.stat().st_ino in synced))
        real_replace(src, dst)

    monkeypatch.setattr(download.os, "replace", spy_replace)
    monkeypatch.setattr(download.os, "fsync", spy_fsync)
    download.download_file("f.gz", [server.url + "/a/"], tmp_path, hashlib.sha256(blob).hexdigest())
    monkeypatch.undo()
    ((parent, name, dst, existed, complete, fsynced),) = renames
    assert parent == tmp_path and dst == tmp_path / "f.gz"
    assert name.startswith(".f.gz.") and name.endswith(".part")  # a hidden temporary
    assert not existed and complete  # nothing under the real name until the bytes are all in
    assert fsynced  # and they are on disk before the rename, so a crash cannot leave a stub
    assert os.listdir(tmp_path) == ["f.gz"]


def test_an_unwritable_folder_fails_before_any_request(server, tmp_path, monkeypatch):
    real_access = os.access
    folder = tmp_path / "ro"
    folder.mkdir()
    # root may write anywhere: make the folder read-only as far as os.access can tell
    monkeypatch.setattr(download.os, "access",
                        lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    server.routes["/a/f.gz"] = (200, b"data", None)
    with pytest.raises(DatasetFileError, match="not writable") as info:
        download.download_file("f.gz", [server.url + "/a/"], folder, "0" * 64)
    assert str(folder) in str(info.value) and "TINYGRAD_OPT_DATA" in str(info.value)
    assert server.requests == [] and os.listdir(folder) == []


def test_download_file_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="mirrors"):
        download.download_file("x.gz", [], tmp_path, "0" * 64)


# --------------------------------------------------------------------------- generated
def test_moons_without_noise_lie_on_the_closed_form_arcs():
    x, y = make_moons(101, noise=0.0, seed=0)
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (101, 2)
    assert np.bincount(y).tolist() == [50, 51]
    outer, inner = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-6)
    assert outer[:, 1].min() >= -1e-6
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-6)
    assert inner[:, 1].max() <= 0.5 + 1e-6
    # the points themselves: angles evenly spaced over the whole half circle [0, pi]
    outer_angles = np.sort(np.arctan2(outer[:, 1], outer[:, 0]))
    inner_angles = np.sort(np.arctan2(0.5 - inner[:, 1], 1.0 - inner[:, 0]))
    np.testing.assert_allclose(outer_angles, np.linspace(0, np.pi, 50), atol=1e-6)
    np.testing.assert_allclose(inner_angles, np.linspace(0, np.pi, 51), atol=1e-6)
    noisy, _ = make_moons(2000, noise=0.1, seed=1)
    assert 0.05 < np.abs(noisy).std() < 2.0


def test_spirals_follow_the_documented_angle_rule():
    x, y = make_spirals(900, n_classes=3, noise=0.0, seed=3)
    assert x.shape == (900, 2) and np.bincount(y).tolist() == [300, 300, 300]
    radius = np.hypot(x[:, 0], x[:, 1]).astype(np.float64)
    angle = np.arctan2(x[:, 1], x[:, 0]).astype(np.float64)
    expected = 4.0 * radius + 2.0 * np.pi * y / 3
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped, 0.0, atol=1e-4)


def test_blobs_cluster_around_distinct_centres_with_the_given_spread():
    x, y = make_blobs(6000, centers=3, n_features=4, noise=0.5, seed=2)
    assert x.shape == (6000, 4) and np.bincount(y).tolist() == [2000] * 3
    for k in range(3):
        members = x[y == k].astype(np.float64)
        np.testing.assert_allclose(members.std(axis=0), 0.5, rtol=0.1)
        assert np.all(np.abs(members.mean(axis=0)) <= 10.0)
    # centres are drawn inside center_box: with a box far from the origin, so are the means
    x, y = make_blobs(3000, centers=3, n_features=2, noise=0.1, center_box=(20.0, 22.0), seed=2)
    means = np.array([x[y == k].mean(axis=0) for k in range(3)])
    assert means.min() > 20.0 - 0.05 and means.max() < 22.0 + 0.05


def test_shapes_are_the_drawn_classes():
    """Each class's ink fills the fraction of its bounding box that its geometry predicts."""
    x, y = make_shapes(400, noise=0.0, seed=4)
    assert x.shape == (400, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert len(SHAPE_CLASSES) == 4 and np.bincount(y).tolist() == [100] * 4
    assert x.min() >= 0.0 and x.max() <= 1.0
    expected_fill = {0: 1.0, 1: np.pi / 4, 2: 0.5, 3: 5 / 9}  # square, disc, triangle, cross
    for label, fill in expected_fill.items():
        ratios = []
        for image in x[y == label, 0]:
            ink = image > 0.5 * image.max()
            rows, cols = np.nonzero(ink)
            box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
            ratios.append(ink.sum() / box)
        assert abs(np.median(ratios) - fill) < 0.12, (SHAPE_CLASSES[label], np.median(ratios))
    # brightness is random in [0.6, 1]: without noise it is each image's peak value
    peaks = x.max(axis=(1, 2, 3))
    assert peaks.min() >= 0.6 - 1e-6 and peaks.max() <= 1.0
    assert peaks.min() < 0.65 and peaks.max() > 0.95 and np.unique(peaks).size > 300


@pytest.mark.parametrize("make, classes", [(make_spirals, 3), (make_moons, 2), (make_blobs, 3),
                                           (make_shapes, 4)])
def test_generated_samples_are_shuffled(make, classes):
    _, y = make(n_samples=200, seed=0)
    assert np.bincount(y).tolist() == [200 // classes + (k < 200 % classes)
                                       for k in range(classes)]
    # neither grouped by class nor in the round-robin order they are generated in
    assert not np.array_equal(y, np.sort(y))
    assert not np.array_equal(y, np.arange(200) % classes)
    first_half = np.bincount(y[:100], minlength=classes)
    assert first_half.min() >= 100 // classes - 20  # every class turns up early


def test_generated_sets_repeat_with_seed_and_with_manual_seed():
    for make in (make_spirals, make_moons, make_blobs, make_shapes):
        a = make(n_samples=40, noise=0.1, seed=9)
        b = make(n_samples=40, noise=0.1, seed=9)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        tinygrad_opt.manual_seed(5)
        c = make(n_samples=40, noise=0.1)
        tinygrad_opt.manual_seed(5)
        d = make(n_samples=40, noise=0.1)
        np.testing.assert_array_equal(c[0], d[0])
        assert not np.array_equal(a[0], make(n_samples=40, noise=0.1, seed=10)[0])


def test_large_shape_sets_are_drawn_in_every_chunk():
    x, y = make_shapes(4100, noise=0.0, seed=1)  # crosses the 4096-sample chunk boundary
    assert x.shape == (4100, 1, 28, 28) and np.isfinite(x).all()
    assert np.bincount(y).tolist() == [1025] * 4
    ink_pixels = (x > 0.3).sum(axis=(1, 2, 3))
    assert ink_pixels.min() >= 15  # the smallest shape (r = 4.2 px) still covers > 15 pixels
    assert (x.reshape(4100, -1) > 0).sum(axis=1).max() < 28 * 28 / 2  # background stays dark


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: make_moons(1), ValueError),
        (lambda: make_spirals(10, noise=-1.0), ValueError),
        (lambda: make_spirals(10, n_classes=1), ValueError),
        (lambda: make_blobs(10, centers=0), ValueError),
        (lambda: make_blobs(10, n_features=0), ValueError),
        (lambda: make_moons(10, noise=-0.1), ValueError),
        (lambda: make_blobs(10, noise=-1), ValueError),
        (lambda: make_blobs(10, center_box=(1, 1)), ValueError),
        (lambda: make_shapes(10, image_size=4), ValueError),
        (lambda: make_shapes(2.5), TypeError),
        (lambda: make_shapes(10, seed=-3), ValueError),
        (lambda: load_mnist(train="yes"), TypeError),
    ],
)
def test_generated_sets_validate_arguments(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("make", [make_spirals, make_moons, make_blobs, make_shapes])
@pytest.mark.parametrize("seed", [-3, 1.5, True])
def test_generated_sets_refuse_bad_seeds_naming_them(make, seed):
    with pytest.raises(ValueError, match=f"seed must be a non-negative int or None, got {seed}"):
        make(n_samples=10, seed=seed)


def test_blob_centres_are_drawn_independently_per_coordinate():
    centers = 300
    x, y = make_blobs(centers * 4, centers=centers, n_features=2, noise=0.01, seed=6)
    means = np.array([x[y == k].mean(axis=0) for k in range(centers)], dtype=np.float64)
    # uniform in (-10, 10) per coordinate: mean 0, std 20 / sqrt(12), coordinates uncorrelated
    assert means.min() > -10.05 and means.max() < 10.05
    np.testing.assert_allclose(means.std(axis=0), 20 / np.sqrt(12), rtol=0.15)
    assert abs(np.corrcoef(means[:, 0], means[:, 1])[0, 1]) < 0.2
