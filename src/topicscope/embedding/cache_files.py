"""Files topicscope builds once and caches (the int8 encoder graph, distilled static vectors).

Each cached file is written atomically beside a ``.sha256`` file holding its digest, and read
only when the digest matches: a damaged or half-copied file is detected and built again, never
loaded. The cache folder is ``$TOPICSCOPE_CACHE`` or ``~/.cache/topicscope``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from .._logging import logger

_SUFFIX = ".sha256"


def cache_dir() -> Path:
    """The folder of topicscope's cached artefacts, read from the environment at each call."""
    return Path(os.environ.get("TOPICSCOPE_CACHE", Path.home() / ".cache" / "topicscope"))


def file_digest(path: Path) -> str:
    """sha256 of a file; hashed once per process for a given size and modification time (the
    default model's weights are ~90 MB and every new embedder looks its cached graph up by them)."""
    stat = path.stat()
    return _digest(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _SUFFIX)


def is_intact(path: Path) -> bool:
    """Whether ``path`` exists and matches the digest written with it. A file without its digest
    (written by an older version, or cut short while copying) counts as damaged."""
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        return False
    try:
        expected = sidecar.read_text(encoding="ascii").strip()
        return expected == file_digest(path)
    except (OSError, UnicodeDecodeError):
        return False


def check_cached(path: Path, what: str) -> bool:
    """``is_intact``, with a warning when a file is there but fails its check (it is then rebuilt)."""
    if is_intact(path):
        return True
    if path.exists():
        logger.warning("the cached %s %s is damaged or has no checksum; building it again", what, path)
    return False


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a shared cache folder must be readable by all
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cached(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` and its digest beside it, each atomically (parallel workers
    building at once never read half a file; a reader seeing one without the other rebuilds)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sidecar(target).unlink(missing_ok=True)
    _write_atomic(target, data)
    _write_atomic(_sidecar(target), (hashlib.sha256(data).hexdigest() + "\n").encode("ascii"))
