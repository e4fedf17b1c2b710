"""Where mockidp keeps what is worth keeping between runs: the signing key and parsed fixtures.

Light on purpose (no third-party imports): start-up code asks for it before anything heavy loads.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def default_state_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockidp"


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write via a temporary file and a rename, so a concurrent reader never sees half a file.
    Returns False instead of failing when the directory is not writable (a cache is optional)."""
    try:
        os.replace(_temporary_copy(path, data, mode), path)
        return True
    except OSError:
        return False


def write_once(path: Path, data: bytes, mode: int = 0o600) -> bytes:
    """Write `data` unless another process wrote the file first, and return what the file holds:
    two processes making the same cached key both end up with the first one's. The data itself
    when the directory is not writable (a cache is optional)."""
    try:
        tmp = _temporary_copy(path, data, mode)
        try:
            os.link(tmp, path)  # fails if the file exists: the first writer wins
        except FileExistsError:
            data = path.read_bytes()
        finally:
            os.unlink(tmp)
    except OSError:
        pass
    return data


def _temporary_copy(path: Path, data: bytes, mode: int) -> str:
    """`data` in a new file beside `path` (same file system, so a rename or link is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    return tmp
