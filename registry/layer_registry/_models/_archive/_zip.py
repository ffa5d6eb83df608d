"""Opening a ``.keras`` file and reading its members: bounded before anything is parsed."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any
from typing import BinaryIO

from layer_registry._errors import ModelFileError
from layer_registry._errors import UnsafeModelError
from layer_registry._errors import shown
from layer_registry._models._archive import _limits
from layer_registry._models._archive._limits import CONFIG_MEMBER
from layer_registry._models._archive._limits import METADATA_MEMBER
from layer_registry._models._archive._limits import PROVENANCE_KEY
from layer_registry._models._archive._limits import PROVENANCE_MEMBER
from layer_registry._models._archive._provenance import Provenance
from layer_registry._models._archive._provenance import parse_provenance


@dataclass(frozen=True)
class Archive:
    """What layer-registry reads from a ``.keras`` file, without Keras."""

    path: str
    config: Any
    provenance: Provenance
    """Empty for plain Keras files."""


def open_model_file(path: str) -> BinaryIO:
    """``path`` opened for reading; a ``ModelFileError`` says why it cannot be."""
    # Without blocking, and judged from the open file: a named pipe would block open() until
    # someone writes to it, and a path checked before opening may be another file once opened.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file", path=path) from None
    except IsADirectoryError:
        raise _not_a_file(path, "a directory") from None
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read: {exc}", path=path) from exc
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_size == 0:
        os.close(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise _not_a_file(path, "a directory")
        if not stat.S_ISREG(status.st_mode):
            raise _not_a_file(path, "not a regular file (a pipe or a device?)")
        raise ModelFileError(f"{path} is empty (0 bytes); was its saving interrupted?", path=path)
    raw = io.FileIO(descriptor, "rb")
    raw.name = path  # Keras extracts the weights beside the file it is given, by this name
    return io.BufferedReader(raw)


def _not_a_file(path: str, what: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is {what}; layer-registry loads .keras files (model.save('m.keras'))", path=path
    )


def read_archive(path: str, stream: BinaryIO | None = None) -> Archive:
    """The config and provenance of the ``.keras`` file ``path``, every limit checked.

    ``stream`` is the file already open (from ``open_model_file``): ``load_model`` checks the
    file from it and hands the same open file to Keras, so Keras loads what was checked.
    """
    if stream is None:
        with open_model_file(path) as opened:
            return read_archive(path, opened)
    try:
        size = os.fstat(stream.fileno()).st_size
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            _check_members(archive.infolist(), size, path)
            config_text = _read_member(archive, CONFIG_MEMBER, path, required=True)
            metadata_text = _read_member(archive, METADATA_MEMBER, path, required=False)
            provenance_text = _read_member(archive, PROVENANCE_MEMBER, path, required=False)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ModelFileError(
            f"{path} is not a readable .keras file (a corrupted or truncated zip archive?): "
            f"{type(exc).__name__}: {exc}",
            path=path,
        ) from exc
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read: {exc}", path=path) from exc
    assert config_text is not None  # required=True raised otherwise
    config = _parse_json(config_text, CONFIG_MEMBER, path)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ModelFileError(
            f"{path}: {CONFIG_MEMBER} does not describe a Keras object (no 'class_name')",
            path=path,
        )
    metadata = _parse_json(metadata_text, METADATA_MEMBER, path) if metadata_text else None
    provenance = Provenance()
    if isinstance(metadata, dict) and PROVENANCE_KEY in metadata:
        origin = f"{METADATA_MEMBER} ({PROVENANCE_KEY!r})"
        provenance = parse_provenance(metadata[PROVENANCE_KEY], path, origin=origin)
    elif provenance_text is not None:  # saved before the provenance moved into metadata.json
        provenance = parse_provenance(_parse_json(provenance_text, PROVENANCE_MEMBER, path), path)
    return Archive(path=path, config=config, provenance=provenance)


def _member_limits() -> dict[str, int]:
    """The size limit of each member layer-registry reads (looked up now: tests lower them)."""
    return {
        CONFIG_MEMBER: _limits.CONFIG_LIMIT,
        METADATA_MEMBER: _limits.METADATA_LIMIT,
        PROVENANCE_MEMBER: _limits.PROVENANCE_LIMIT,
    }


def _check_members(members: list[zipfile.ZipInfo], size: int, path: str) -> None:
    """Refuse, from the archive's directory alone, members that point outside it or that would
    expand past a limit (``size`` is the file's size on disk)."""
    declared = 0
    for info in members:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnsafeModelError(
                f"{path} is refused: its archive member {shown(name)} points outside the archive",
                path=path,
                location=name,
            )
        limit = _member_limits().get(name)
        if limit is not None and info.file_size > limit:
            raise ModelFileError(
                f"{path}: {name} is {info.file_size:,} bytes, more than the {limit:,} "
                "layer-registry reads",
                path=path,
            )
        if info.file_size > max(
            _limits.EXPANSION_FLOOR, _limits.EXPANSION_LIMIT * info.compress_size
        ):
            raise ModelFileError(
                f"{path} is refused: its member {shown(name)} would expand to "
                f"{info.file_size:,} bytes from {info.compress_size:,}, more than "
                f"{_limits.EXPANSION_LIMIT}:1 (a decompression bomb; Keras stores members "
                "uncompressed)",
                path=path,
            )
        declared += info.file_size
    if declared > max(_limits.EXPANSION_FLOOR, _limits.EXPANSION_LIMIT * size):
        raise ModelFileError(
            f"{path} is refused: its {len(members):,} members would expand to {declared:,} bytes "
            f"from a file of {size:,}, more than {_limits.EXPANSION_LIMIT}:1 (a decompression "
            "bomb; Keras stores members uncompressed)",
            path=path,
        )


def _read_member(archive: zipfile.ZipFile, member: str, path: str, *, required: bool) -> str | None:
    """The text of ``member``, read up to its limit; None when it is absent and not required."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        if not required:
            return None
        raise ModelFileError(
            f"{path} is a zip archive but not a Keras model: it has no {member}", path=path
        ) from None
    limit = _member_limits()[member]
    data = bytearray()
    # Every value after the first follows a comma or opens a container: this bounds the values
    # json.loads would build (8 million lists from 16 MiB of brackets) before it runs.
    values = 1
    with archive.open(info) as stream:
        # The declared size can lie; never read past the limit.
        while chunk := stream.read(min(2**20, limit + 1 - len(data))):
            data += chunk
            values += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
            if values > _limits.NODE_LIMIT:
                raise ModelFileError(
                    f"{path}: {member} holds more than the {_limits.NODE_LIMIT:,} values "
                    "layer-registry reads",
                    path=path,
                )
            if len(data) > limit:
                raise ModelFileError(
                    f"{path}: {member} is larger than the {limit:,} bytes layer-registry reads",
                    path=path,
                )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: {member} is not UTF-8 text: {exc}", path=path) from exc


def _parse_json(text: str, member: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: {member} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})",
            path=path,
        ) from exc
    except RecursionError as exc:
        raise ModelFileError(
            f"{path}: {member} is nested deeper than Python's JSON parser goes; layer-registry "
            f"reads configs up to {_limits.DEPTH_LIMIT:,} levels deep, Keras saves a few "
            "hundred at most",
            path=path,
        ) from exc
