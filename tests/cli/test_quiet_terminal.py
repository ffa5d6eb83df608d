"""What a user sees on stderr: our own lines, not TensorFlow's start-up noise (issue 16).

Every command runs in a fresh process without ``TF_CPP_MIN_LOG_LEVEL``, as in a user's shell,
so TensorFlow prints what it prints at import and at its first op.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

from layer_registry._child import Child
from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_cli
from support.processes import run_python

SPECS = Path(__file__).resolve().parents[2] / "site" / "docs" / "guides" / "specs"
AS_A_USER = {"TF_CPP_MIN_LOG_LEVEL": None}
# What TensorFlow's start-up lines say, told apart from the package's own definition of them.
STARTUP = ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers", "cuInit")
# A start-up line as TensorFlow's C++ writes it, and what a plugin really has to say.
FAKE_STARTUP = (
    "I0000 00:00:1712345678.123456    4242 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used."
)
CHATTY = f"""
import os
import sys
import warnings

os.write(2, b"{FAKE_STARTUP}\\n")
os.write(2, b"chatty: a native line\\n")
print("chatty: printed on stderr", file=sys.stderr)
warnings.warn("chatty: a Python warning")
"""


def startup_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(word in line for word in STARTUP)]


def test_an_unknown_layer_is_one_line_even_when_tensorflow_was_imported():
    # With the cache off, finding the name imports every plugin, and so TensorFlow.
    env = {**AS_A_USER, "LAYER_REGISTRY_CACHE": "off"}
    result = run_cli("show", "examples>NoSuchThing", env=env)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith("error: no layer is registered as 'examples>NoSuchThing'")


def test_a_spec_naming_an_unknown_layer_is_one_line(tmp_path: Path):
    spec = tmp_path / "unknown.yaml"
    spec.write_text("input_shape: [4]\nlayers:\n  - NoSuchLayer\n")
    result = run_cli("build", str(spec), env=AS_A_USER)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert lines[0].startswith(f"error: {spec}: layers[0].layer: ")
    assert "'NoSuchLayer'" in lines[0]


def test_building_and_saving_a_model_prints_no_startup_noise(tmp_path: Path):
    output = tmp_path / "regressor.keras"
    result = run_cli("build", str(SPECS / "regressor.yaml"), "-o", str(output), env=AS_A_USER)
    assert result.returncode == 0, result.stderr
    assert output.is_file()  # TensorFlow was imported and ran the model's ops
    assert startup_lines(result.stderr) == []
    assert result.stderr.splitlines() == [f"saved {output}"]


def test_what_a_plugin_writes_on_stderr_is_kept_and_debug_shows_everything(tmp_path: Path):
    plugin = write_plugin(
        tmp_path,
        distribution="chatty-layers",
        namespace="chatty",
        source=plugin_source("Chatty", preamble=CHATTY),
    )
    quiet = run_cli("check", "chatty", "--check=call", pythonpath=[plugin], env=AS_A_USER)
    assert quiet.returncode == 0, quiet.stderr
    for line in ("chatty: a native line", "chatty: printed on stderr", "chatty: a Python warning"):
        assert line in quiet.stderr
    assert startup_lines(quiet.stderr) == []

    env = {**AS_A_USER, "LAYER_REGISTRY_DEBUG": "1"}
    loud = run_cli("check", "chatty", "--check=call", pythonpath=[plugin], env=env)
    assert loud.returncode == 0, loud.stderr
    assert FAKE_STARTUP in loud.stderr.splitlines()
    assert "chatty: a native line" in loud.stderr
    # Nothing but start-up noise was held back.
    kept = set(quiet.stderr.splitlines())
    assert all(startup_lines(line) for line in loud.stderr.splitlines() if line not in kept)


def test_native_lines_written_before_a_crash_still_appear():
    code = f"""
import os, sys
from layer_registry import _quiet
assert _quiet.filter_native_stderr()
os.write(2, b"{FAKE_STARTUP}\\nnative: about to crash\\n")
print("python: about to crash", file=sys.stderr, flush=True)
os.abort()
"""
    result = run_python(code, env=AS_A_USER)
    assert result.returncode == -signal.SIGABRT
    assert "native: about to crash" in result.stderr
    assert "python: about to crash" in result.stderr


def test_a_child_process_tail_keeps_its_real_lines_only(monkeypatch):
    code = (
        f"import os, sys; os.write(2, b'{FAKE_STARTUP}\\n');"
        "print('child: a real problem', file=sys.stderr); sys.exit(3)"
    )
    monkeypatch.delenv("LAYER_REGISTRY_DEBUG", raising=False)
    with Child(["-c", code], name="test") as child:
        assert child.receive(timeout=60) == "ended"
        assert child.exit_description() == "exited with status 3"
        assert child.stderr_tail() == ":\nchild: a real problem"
    monkeypatch.setenv("LAYER_REGISTRY_DEBUG", "1")
    with Child(["-c", code], name="test") as child:
        assert child.receive(timeout=60) == "ended"
        child.wait(timeout=60)
        assert child.stderr_tail() == f":\n{FAKE_STARTUP}\nchild: a real problem"


CRASHY = f"""
import os

import keras
from keras import ops


class Crashy(keras.layers.Layer):
    def call(self, inputs):
        return ops.relu(inputs)

    @classmethod
    def from_config(cls, config):
        # Only the kit's fresh process loads the saved model: it dies there, as a native crash.
        os.write(2, b"{FAKE_STARTUP}\\ncrashy: the real reason\\n")
        os._exit(7)
"""


def test_a_fresh_process_check_that_dies_shows_its_real_last_lines(tmp_path: Path):
    plugin = write_plugin(
        tmp_path,
        distribution="crashy-layers",
        namespace="crashy",
        source=plugin_source(preamble=CRASHY, register="    register(Crashy, input_shape=(2, 3))"),
    )
    result = run_cli(
        "check", "crashy", "--check=saving", "--json", pythonpath=[plugin], env=AS_A_USER
    )
    [saving] = json.loads(result.stdout)
    assert saving["status"] == "fail"
    assert "died (exit status 7)" in saving["reason"]
    assert saving["reason"].endswith("its last output:\ncrashy: the real reason")
    assert startup_lines(result.stderr) == []
