"""The command line against hostile text and careless paths: text as written, one line, exit 2.

Plugin text (summaries, errors, distribution metadata) is data, never Rich markup; an output
path the command cannot use is refused before anything is built, and ``docs build -o`` never
empties a folder it did not make.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.distributions import layer_source
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli

MARKUP = "[/x]"
SUMMARY = "Maps [batch, units] to [/x] outputs."
FOREIGN = 40  # names a library registers with Keras itself, like keras-hub's hundreds


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plugins whose summary, distribution metadata and failure carry Rich markup."""
    root = tmp_path_factory.mktemp("markup-plugins")
    source = (
        "import layer_registry\n"
        + layer_source("Bracket", summary=SUMMARY)
        + "\n\n@layer_registry.hookimpl\ndef register_layers(register):\n"
        "    register(Bracket, example={'units': 2}, input_shape=(2, 3))\n"
    )
    write_plugin(
        root,
        distribution="acme-markup",
        namespace="acme_markup",
        source=source,
        summary="Layers for [batch, units] [/x]",
    )
    # No home page: doctor's advice names "[project.urls]", which markup used to swallow.
    metadata = root / "acme_markup-1.0.0.dist-info" / "METADATA"
    metadata.write_text(
        "\n".join(line for line in metadata.read_text().splitlines() if "Project-URL" not in line)
    )
    write_plugin(
        root,
        distribution="acme-markup-broken",
        namespace="acme_markup_broken",
        source="raise RuntimeError('broke at [/x] while reading [batch, units]')\n",
    )
    foreign = (
        "import keras\n"
        f"for i in range({FOREIGN}):\n"
        "    keras.saving.register_keras_serializable('acme_library', name=f'Extra{i:02d}')(\n"
        "        type(f'Extra{i:02d}', (keras.layers.Layer,), {})\n"
        "    )\n"
    )
    write_plugin(
        root,
        distribution="acme-adopter",
        namespace="acme_adopter",
        source=foreign + plugin_source("Adopted"),
    )
    return root


def _line(output: str, needle: str) -> str:
    return next(line for line in output.splitlines() if needle in line)


@pytest.mark.parametrize("command", [["list"], ["list", "*Bracket"], ["search", "bracket"]])
def test_a_summary_with_brackets_is_listed_as_written(hostile, command):
    result = run_cli(*command, pythonpath=[hostile])
    assert result.returncode == 0, result.stderr
    assert SUMMARY in _line(result.stdout, "acme_markup>Bracket")


def test_show_prints_the_summary_as_written(hostile):
    result = run_cli("show", "acme_markup>Bracket", pythonpath=[hostile])
    assert result.returncode == 0, result.stderr
    assert SUMMARY in _line(result.stdout, "summary")


def test_plugins_shows_an_error_with_markup_as_written(hostile):
    result = run_cli("plugins", pythonpath=[hostile])
    assert result.returncode == 0, result.stderr
    line = _line(result.stdout, "acme_markup_broken")
    assert "failed" in line
    assert "RuntimeError: broke at [/x] while reading [batch, units]" in line


def test_doctor_prints_advice_and_errors_as_written(hostile):
    result = run_cli("doctor", pythonpath=[hostile])
    assert result.returncode == 1, result.stderr  # the broken plugin is an error
    assert "[project.urls] Homepage" in _line(result.stdout, "acme-markup declares no home page")
    assert "broke at [/x] while reading [batch, units]" in result.stdout
    assert "Traceback" not in result.stderr


def test_doctor_summarises_a_long_list_of_names_and_json_keeps_them_all(hostile):
    text = run_cli("doctor", "acme_adopter", pythonpath=[hostile])
    line = _line(text.stdout, "outside the registry")
    assert f"{FOREIGN} names" in line
    assert "acme_library>Extra00" in line
    assert "acme_library>Extra39" not in line
    assert len(line) < 300

    as_json = run_cli("doctor", "acme_adopter", "--json", pythonpath=[hostile])
    messages = [f["message"] for f in json.loads(as_json.stdout)["findings"]]
    message = next(m for m in messages if "outside the registry" in m)
    assert all(f"acme_library>Extra{i:02d}" in message for i in range(FOREIGN))


# -- output paths: one line naming the path, exit 2, nothing built first ----------------------


def _one_error_line(result, *needles: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "unexpected" not in errors[0]
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in errors[0]
    return errors[0]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text("name: m\ninput_shape: [3]\nlayers:\n  - {layer: CustomLinear, units: 2}\n")
    return path


def test_build_refuses_a_model_file_without_the_keras_suffix_before_building(spec, tmp_path):
    result = run_cli("build", str(spec), "-o", "x.h5", cwd=tmp_path)
    _one_error_line(result, "x.h5", ".keras")
    assert result.stdout == ""  # no "model 'm', 1 layers" line: nothing was built
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("where", ["/proc/x.keras", "missing/x.keras", "a-file/x.keras"])
def test_build_refuses_a_model_file_it_cannot_write_before_building(spec, tmp_path, where):
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli("build", str(spec), "-o", where, cwd=tmp_path)
    _one_error_line(result, where)
    assert result.stdout == ""


@pytest.mark.parametrize("where", ["/proc/x/y", "a-file/y"])
def test_new_refuses_a_folder_it_cannot_create(tmp_path, where):
    (tmp_path / "a-file").write_text("not a folder")
    result = run_cli("new", "acme-layers", "-o", where, cwd=tmp_path)
    _one_error_line(result, where)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("address", ["host:99999", "127.0.0.1:99999", "127.0.0.1", "[::1]:x"])
def test_docs_serve_refuses_a_bad_address_before_building(tmp_path, address):
    result = run_cli("docs", "serve", "-a", address, "--plugin", "examples", cwd=tmp_path)
    _one_error_line(result, address)
    assert "Building documentation" not in result.stderr
    assert not list(tmp_path.iterdir())


# -- docs build -o: never empty a folder the command did not make ------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A plugin author's project folder, without a mkdocs.yml (the documented flow)."""
    folder = tmp_path / "acme-layers"
    (folder / "src" / "acme").mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'acme-layers'\n")
    (folder / "src" / "acme" / "__init__.py").write_text("# the author's work\n")
    (folder / "README.md").write_text("# acme\n")
    return folder


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("output", "cwd"),
    [
        (".", "project"),  # the reproduction: everything but hidden files was deleted
        ("..", "project/src"),  # a parent of the current folder
        ("project", "tmp"),  # a folder of someone's files, named from outside
    ],
)
def test_docs_build_refuses_a_folder_it_did_not_make_and_deletes_nothing(
    project, tmp_path, output, cwd
):
    before = _files(project)
    where = {"project": project, "project/src": project / "src", "tmp": tmp_path}[cwd]
    output = str(project) if output == "project" else output
    result = run_cli("docs", "build", "--plugin", "examples", "-o", output, cwd=where)
    _one_error_line(result, output)
    assert _files(project) == before
    assert "Building documentation" not in result.stderr


def test_docs_build_refuses_a_folder_that_holds_the_docs_sources(tmp_path):
    # mkdocs itself refuses a docs_dir inside the site folder, but not the mkdocs.yml; and a
    # marker (copied along, or left by an old build) does not make the sources expendable.
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.md").write_text("# Home\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "mkdocs.yml").write_text(
        f"site_name: mine\ndocs_dir: {pages}\nplugins:\n  - layer-registry\n"
    )
    (project / ".layer-registry-site").write_text("")
    before = _files(tmp_path)
    result = run_cli(
        "docs", "build", "--plugin", "examples", "-f", str(project / "mkdocs.yml"),
        "-o", str(project), cwd=tmp_path,
    )
    _one_error_line(result, str(project), "mkdocs.yml")
    assert _files(tmp_path) == before


def test_docs_build_rebuilds_into_a_folder_a_previous_build_made(tmp_path):
    site = tmp_path / "site"
    first = run_cli("docs", "build", "--plugin", "examples", "-q", "-o", str(site), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (site / "index.html").is_file()
    assert (site / ".layer-registry-site").is_file()
    (site / "stale.html").write_text("from an older build")

    again = run_cli("docs", "build", "--plugin", "examples", "-q", "-o", str(site), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (site / "index.html").is_file()
    assert not (site / "stale.html").exists()  # a rebuild replaces its own folder's content
