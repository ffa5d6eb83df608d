"""Atomic writes: a file is replaced by its new content in one rename, never left half written.

Readers (another process listing layers, Keras loading a model) see the old file or the new
one. The new content is written to a temporary file beside the target, in the same folder so
that ``os.replace`` is a rename on one file system, and a failure removes it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

_ATTEMPTS = 100
"""How many temporary names to try before giving up (as ``tempfile`` does)."""


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], *, mode: int = 0o666) -> Iterator[Path]:
    """Yield a new empty file beside ``path``; when the block ends, it replaces ``path``.

    Write the new content to the yielded path (by name: Keras, zipfile and matplotlib open it
    themselves). If the block raises, or the rename fails, the temporary file is removed and
    ``path`` is left as it was. ``mode`` is the new file's permissions before the umask, as
    for ``open``: ``0o600`` keeps it private to the user.
    """
    target = Path(path)
    temporary = _create_beside(target, mode)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        # After a successful rename there is nothing left to remove.
        temporary.unlink(missing_ok=True)


def write_atomically(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o666) -> None:
    """Replace the file ``path`` with ``data`` (text is written as UTF-8) in one rename."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path, mode=mode) as temporary:
        temporary.write_bytes(content)


def _create_beside(target: Path, mode: int) -> Path:
    # O_EXCL: the name is ours alone, even against another process picking the same one.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for _ in range(_ATTEMPTS):
        temporary = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            os.close(os.open(temporary, flags, mode))
        except FileExistsError:
            continue
        return temporary
    raise FileExistsError(f"no free temporary name beside {target} after {_ATTEMPTS} attempts")
