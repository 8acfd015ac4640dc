"""`atomic_file(path)`: write a file so that `path` is either its old self or complete.

Checkpoints (`save`, `save_pytorch`) and downloaded datasets go through it: the bytes go to a
hidden temporary file beside `path` (same folder, so the rename cannot cross file systems),
which is flushed, fsynced and then `os.replace`d onto `path` when the `with` block ends
without an error. If the block raises (or the process dies first), `path` is untouched and
the temporary file is deleted (or left behind as `.<name>.<random><suffix>`, never as
`path`). The rename is then made durable by fsyncing the folder, where the platform allows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, what: str, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """A binary file open for writing whose content replaces `path` at the end of the block;
    `what` names the caller in errors (e.g. "save")."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(
            f"{what}: cannot write {path!r}: the folder {directory!r} does not exist"
        )
    tmp_path = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}{suffix}")
    # mode 0o666 (less the umask), as open() gives: os.open's default 0o777 would make the
    # file executable
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp_path, flags, 0o666)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
        renamed = True
    finally:
        if not renamed:
            try:
                os.unlink(tmp_path)
            except OSError:
                pass
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
