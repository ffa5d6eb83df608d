"""Atomic writes (``layer_registry._files``): a file holds its old content or its new content,
never part of one, and a failed write leaves nothing behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from layer_registry._files import replacing
from layer_registry._files import write_atomically
from support.processes import run_python

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and umask")


def test_the_new_content_replaces_the_old_and_nothing_else_is_left(tmp_path: Path) -> None:
    target = tmp_path / "records.json"
    target.write_text("old", encoding="utf-8")
    write_atomically(target, "new ☃")
    assert target.read_text(encoding="utf-8") == "new ☃"
    write_atomically(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["records.json"]


def test_a_file_written_by_name_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    with replacing(target) as temporary:
        assert temporary.parent == tmp_path  # same folder: the rename never copies
        assert not target.exists()
        temporary.write_bytes(b"zip")
    assert target.read_bytes() == b"zip"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_failure_while_writing_keeps_the_old_content_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "records.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), replacing(target) as temporary:
        temporary.write_text("half of the ne", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["records.json"]


def test_a_rename_that_fails_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("kept", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert (target / "inside").read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_a_missing_folder_is_an_error_that_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="absent"):
        write_atomically(tmp_path / "absent" / "records.json", "new")


def test_a_process_killed_while_writing_leaves_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "records.json"
    target.write_text(json.dumps({"old": True}), encoding="utf-8")
    code = (
        "import os\n"
        "from layer_registry._files import replacing\n"
        "with replacing(os.environ['TARGET']) as temporary:\n"
        "    with open(temporary, 'w') as stream:\n"
        "        stream.write('{\"new\": tr')\n"
        "        stream.flush()\n"
        "        os._exit(9)  # killed: no cleanup, no rename\n"
    )
    assert run_python(code, env={"TARGET": str(target)}).returncode == 9
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}


@posix_only
def test_permissions_follow_the_mode_and_the_umask_as_open_does(tmp_path: Path) -> None:
    code = (
        "import json, os, stat\n"
        "from pathlib import Path\n"
        "from layer_registry._files import write_atomically\n"
        "folder = Path(os.environ['FOLDER'])\n"
        "modes = {}\n"
        "for umask in (0o022, 0o077):\n"
        "    os.umask(umask)\n"
        "    for mode in (0o666, 0o600):\n"
        "        path = folder / f'{umask:o}-{mode:o}'\n"
        "        path.write_text('old')\n"
        "        os.chmod(path, 0o640)\n"
        "        write_atomically(path, 'new', mode=mode)\n"
        "        plain = folder / f'plain-{umask:o}'\n"
        "        plain.write_text('open() itself')\n"
        "        modes[path.name] = oct(stat.S_IMODE(path.stat().st_mode))\n"
        "        modes[plain.name] = oct(stat.S_IMODE(plain.stat().st_mode))\n"
        "print(json.dumps(modes))\n"
    )
    result = run_python(code, env={"FOLDER": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout)
    # The default is what open() makes; the old file's own mode does not carry over.
    assert modes["22-666"] == modes["plain-22"] == oct(0o644)
    assert modes["77-666"] == modes["plain-77"] == oct(0o600)
    assert modes["22-600"] == modes["77-600"] == oct(0o600)


@posix_only
def test_the_metadata_cache_stays_readable_by_its_user_alone(tmp_path: Path) -> None:
    code = (
        "import os, stat\n"
        "from layer_registry._registry import _cache\n"
        "os.umask(0o022)\n"
        "_cache.write('key', [], [])\n"
        "(path,) = [p for p in os.scandir(os.environ['LAYER_REGISTRY_CACHE_DIR'])]\n"
        "print(path.name, oct(stat.S_IMODE(os.stat(path.path).st_mode)))\n"
    )
    result = run_python(code, env={"LAYER_REGISTRY_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    name, mode = result.stdout.split()
    assert name.startswith("metadata-") and name.endswith(".json")
    assert mode == oct(0o600)
    assert stat.S_IMODE((tmp_path / "cache" / name).stat().st_mode) == 0o600
