"""Where dataset files live, how they are checked, and how they are fetched safely.

Root lookup (`resolve_root`): the `root` argument if given, else `$TINYGRAD_OPT_DATA` if set,
else a per-user cache folder, `$XDG_CACHE_HOME/tinygrad_opt` or `~/.cache/tinygrad_opt`.
The first of these that is given wins (the lookup does not fall through to the next one
when files are missing there), so a download always lands where the next load looks.

`download_file` tries each mirror in turn, streams the body into a temporary file in the
target folder (`.<name>.<random>.part`), checks size and SHA-256, and only then renames it
into place with `os.replace`; any failure deletes the temporary and moves on to the next
mirror, and when all fail the error lists every URL with its reason. A partial or corrupt
download therefore never appears under the real file name.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ..atomic_file import atomic_file

DATA_ENV = "TINYGRAD_OPT_DATA"
_CHUNK = 1 << 20


class DatasetFileError(RuntimeError):
    """A dataset file is missing, truncated or corrupt, or could not be downloaded."""


class DatasetFileMissingError(DatasetFileError, FileNotFoundError):
    """A dataset file does not exist (also a FileNotFoundError)."""


def cache_root() -> Path:
    """The per-user cache folder: $XDG_CACHE_HOME/tinygrad_opt or ~/.cache/tinygrad_opt."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tinygrad_opt"


def resolve_root(root: str | os.PathLike | None) -> Path:
    """The dataset root: `root`, else $TINYGRAD_OPT_DATA, else `cache_root()`."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path (str or os.PathLike) or None, got {root!r}")
        return Path(root).expanduser()
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return cache_root()


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    filename: str,
    mirrors: Sequence[str],
    folder: str | os.PathLike,
    sha256: str,
    size: int | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch `filename` from the first mirror that serves it intact; returns its final path.

    Each mirror is a base URL; the file's URL is `base + filename` (a "/" is added if
    missing). Raises DatasetFileError naming every URL tried and why it failed.
    """
    if not mirrors:
        raise ValueError(f"download_file: no mirrors given for {filename}")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetFileError(f"cannot create the dataset folder {folder}: {error}") from None
    if not os.access(folder, os.W_OK):
        raise DatasetFileError(
            f"cannot download {filename} into {folder}: the folder is not writable; pass a "
            f"writable root= or set ${DATA_ENV}"
        )
    target = folder / filename
    failures = []
    for base in mirrors:
        url = base if base.endswith("/") else base + "/"
        url += filename
        try:
            _fetch_verified(url, target, sha256, size, timeout)
            return target
        except (OSError, ValueError, http.client.HTTPException) as error:
            failures.append(f"  {url}: {error}")
    raise DatasetFileError(
        f"could not download {filename} (expected SHA-256 {sha256}) into {folder}; every "
        "mirror failed:\n" + "\n".join(failures) + "\nDownload the file by hand from one of "
        f"these URLs into {folder}, or point ${DATA_ENV} at a folder that holds it."
    )


def _fetch_verified(url: str, target: Path, sha256: str, size: int | None, timeout: float) -> None:
    with atomic_file(target, "download", suffix=".part") as out:
        digest, received = hashlib.sha256(), 0
        request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_opt"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
        # checked before the block ends: a failure here deletes the temporary file
        if declared is not None and declared.isdigit() and int(declared) != received:
            raise ValueError(f"truncated: got {received} of {declared} bytes")
        if size is not None and received != size:
            raise ValueError(f"wrong size: got {received} bytes, expected {size}")
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ValueError(f"checksum mismatch: SHA-256 {actual}, expected {sha256}")
