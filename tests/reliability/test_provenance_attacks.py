"""Provenance is data from the file: nothing in it becomes a pip option (issue #13, item 1)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import pytest
from packaging.requirements import Requirement

import layer_registry
from layer_registry._models._archive import METADATA_MEMBER
from layer_registry._models._archive import PROVENANCE_KEY
from support.processes import run_cli

INJECTIONS = {
    "index-url": {"distribution": "--index-url http://127.0.0.1:47123/simple\nlayer-registry-examples"},
    "newline": {"distribution": "layer-registry-examples\n-e /tmp/evil"},
    "version": {"version": "0.1.0 --extra-index-url http://127.0.0.1:47123"},
    "url": {"distribution": "evil @ http://127.0.0.1:47123/evil.whl"},
}


def _hostile_copy(source: Path, target: Path, change: dict[str, str]) -> Path:
    """``source`` with its recorded examples plugin (and its libraries) changed by ``change``."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members[METADATA_MEMBER])
    record = metadata[PROVENANCE_KEY]["plugins"]["examples"]
    record.update(change)
    record["libraries"] = {change.get("distribution", "lib"): change.get("version", "1.0")}
    members[METADATA_MEMBER] = json.dumps(metadata).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("provenance")
    layer = layer_registry.create("examples>CustomLinear", units=2)
    model = keras.Sequential([keras.Input((3,)), layer])
    layer_registry.save_model(model, folder / "m.keras")
    return folder / "m.keras"


@pytest.mark.parametrize("attack", sorted(INJECTIONS))
def test_a_hostile_provenance_never_becomes_a_requirement_line(
    saved: Path, tmp_path: Path, attack: str
):
    path = _hostile_copy(saved, tmp_path / "m.keras", INJECTIONS[attack])

    with pytest.warns(layer_registry.ProvenanceWarning, match="left out of the requirements"):
        lines = layer_registry.requirements(path)
    # The installed plugin answers for the layer instead; every line is a pinned requirement.
    assert lines == ["layer-registry-examples==0.1.0"]
    for line in lines:
        assert str(Requirement(line)) == line and "\n" not in line and not line.startswith("-")

    result = run_cli("requirements", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["layer-registry-examples==0.1.0"]
    assert "127.0.0.1" not in result.stdout and "--" not in result.stdout


def test_a_valid_provenance_still_names_what_the_file_was_saved_with(saved: Path, tmp_path: Path):
    path = _hostile_copy(saved, tmp_path / "m.keras", {"version": "0.0.9"})
    assert layer_registry.requirements(path) == ["layer-registry-examples==0.0.9", "lib==0.0.9"]
