"""``layer-registry new``: the project it writes, and what it refuses (writing nothing)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from layer_registry._cli import main

TREE = [
    ".gitignore",
    "CHANGELOG.md",
    "README.md",
    "docs/index.md",
    "mkdocs.yml",
    "pyproject.toml",
    "quasar_layers/__init__.py",
    "quasar_layers/py.typed",
    "quasar_layers/soft_gate.py",
    "tests/test_conformance.py",
    "tests/test_soft_gate.py",
]


@pytest.fixture
def new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``layer-registry new ARGS`` in ``tmp_path``: returns (exit status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["new", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_project_has_its_files_and_its_python_parses(new, tmp_path: Path):
    status, out, err = new("quasar-layers", "--namespace", "quasar", "--layer", "SoftGate")
    assert (status, err) == (0, "")
    assert out.startswith("created 11 files in quasar-layers\n")
    root = tmp_path / "quasar-layers"
    assert files(root) == TREE
    for path in root.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.layer_registry]\nquasar = "quasar_layers"' in pyproject
    assert "from quasar_layers.soft_gate import SoftGate" in (
        root / "quasar_layers" / "__init__.py"
    ).read_text()


def test_the_namespace_defaults_from_the_name(new, tmp_path: Path):
    assert new("layer-registry-nebula")[0] == 0
    pyproject = (tmp_path / "layer-registry-nebula" / "pyproject.toml").read_text()
    assert 'nebula = "layer_registry_nebula"' in pyproject


def test_an_existing_file_is_never_overwritten_and_nothing_is_written(new, tmp_path: Path):
    root = tmp_path / "quasar-layers"
    root.mkdir()
    (root / "README.md").write_text("mine")
    status, out, err = new("quasar-layers", "--namespace", "quasar")
    assert (status, out) == (2, "")
    assert err.startswith("error: refusing to overwrite 1 existing file(s), e.g. ")
    assert "README.md; choose another folder with -o" in err
    assert files(root) == ["README.md"]
    assert (root / "README.md").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["acme layers"], "'acme layers' is not a valid distribution name"),
        (["3d-layers", "--namespace", "three"], "would make the Python package '3d_layers'"),
        (["import"], "would make the Python package 'import', which cannot be imported"),
        (["class-"], "is not a valid distribution name"),
        (["json"], "would shadow the package 'json'"),
        (["keras"], "would shadow the package 'keras'"),
        (["quasar-layers", "--namespace", "Quasar"], "namespace 'Quasar' must be a lowercase"),
        (["quasar-layers", "--namespace", "9q"], "namespace '9q' must be a lowercase"),
        (["quasar-layers", "--namespace", "lambda"], "namespace 'lambda' must be a lowercase"),
        (["quasar-layers", "--layer", "soft_gate"], "layer class 'soft_gate' must be a CapWords"),
        (["quasar-layers", "--layer", "None"], "layer class 'None' must be a CapWords"),
        (["quasar-layers", "--layer", "Class"], "whose module name ('class') is not a Python"),
        (
            ["quasar-layers", "--namespace", "examples"],
            "namespace 'examples' is already used by an installed plugin",
        ),
    ],
)
def test_an_invalid_name_is_one_line_exit_2_and_writes_nothing(
    new, tmp_path: Path, args: list[str], message: str
):
    status, out, err = new(*args)
    assert (status, out) == (2, "")
    assert err.startswith("error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
