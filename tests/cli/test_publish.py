"""The plugin author's journey, for real: scaffold, wheel, install into a fresh virtual
environment, list, test, document, uninstall; then a saved model names what is missing.

It runs the script of the guide "Writing a plugin" itself, so guide and test cannot drift.
"""

from __future__ import annotations

import os
import re
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

from support.processes import quiet

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "site" / "docs" / "guides" / "writing-plugins.md"
# A namespace and class name the repository uses nowhere else.
NAME, NAMESPACE, CLASS = "lumen-layers", "lumen", "Brightness"


def guide_script() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    (script,) = re.findall(r'```bash title="publish.sh"\n(.*?)```', text, flags=re.S)
    return (script.replace("acme-layers", NAME).replace("acme_layers", NAME.replace("-", "_"))
            .replace("acme", NAMESPACE).replace("Gated", CLASS))


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    """A new virtual environment with layer-registry installed from this checkout.

    Its heavy dependencies (TensorFlow, Keras, MkDocs) come from the test environment through
    a .pth file, rather than a second 1 GB download; layer-registry itself and the plugin under
    test are installed into it for real, with pip.
    """
    folder = tmp_path_factory.mktemp("fresh") / "venv"
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # addsitedir (not a plain path line) so the test environment's own .pth files apply too.
    (Path(site_packages) / "_test_environment.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n"
    )
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
                   check=True, capture_output=True)
    return folder


def run(command: list[str] | str, venv_dir: Path, cwd: Path, **kwargs):
    env = {**os.environ, "PATH": f"{venv_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "VIRTUAL_ENV": str(venv_dir), "TF_CPP_MIN_LOG_LEVEL": "2",
           "LAYER_REGISTRY_CACHE_DIR": str(cwd / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def test_the_guides_publish_script_runs_from_scaffold_to_uninstall(fresh_venv, tmp_path):
    script = guide_script()
    result = run(["bash", "-c", script], fresh_venv, tmp_path, timeout=900)

    assert result.returncode == 0, result.stdout[-3000:] + quiet(result.stderr)[-3000:]
    before_tests, tests_and_after = result.stdout.split(" passed", 1)
    assert f"{NAMESPACE}>{CLASS}" in before_tests  # the first `list` shows the new layer
    assert " failed" not in before_tests  # its own pytest passed, conformance checks included
    assert f"layers/{NAMESPACE}/{CLASS}/index.html" in tests_and_after  # the site has its page
    after_uninstall = tests_and_after.rsplit("index.html", 1)[1]
    assert f"{NAMESPACE}>{CLASS}" not in after_uninstall  # the last `list`: gone


def test_after_uninstalling_a_saved_model_names_the_missing_distribution(fresh_venv, tmp_path):
    project = tmp_path / "project"
    steps = [
        f"layer-registry new {NAME} --namespace {NAMESPACE} --layer {CLASS} -o {project}",
        f"pip wheel --quiet --no-deps --wheel-dir {tmp_path / 'dist'} {project}",
        f"pip install --quiet {tmp_path / 'dist'}/*.whl",
        "python -c \"import keras, layer_registry; i = keras.Input((5,)); "
        f"m = keras.Model(i, layer_registry.create('{NAMESPACE}>{CLASS}', units=2)(i)); "
        "layer_registry.save_model(m, 'm.keras')\"",
        f"pip uninstall --quiet --yes {NAME}",
        "layer-registry requirements m.keras",
        "python -c \"import layer_registry; layer_registry.load_model('m.keras')\"",
    ]
    result = run(["bash", "-c", " && ".join(steps[:-1])], fresh_venv, tmp_path, timeout=600)
    assert result.returncode == 0, quiet(result.stderr)[-3000:]
    assert f"{NAME}==0.1.0" in result.stdout  # requirements still names what to install

    loaded = run(["bash", "-c", steps[-1]], fresh_venv, tmp_path, timeout=300)
    assert loaded.returncode != 0
    error = quiet(loaded.stderr).strip().splitlines()[-1]
    assert "MissingLayerError" in error
    assert f"{NAMESPACE}>{CLASS}" in error and NAME in error and "0.1.0" in error
