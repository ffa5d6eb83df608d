"""The site's examples in several worker processes: one plugin's examples share a worker, the
results are those of a serial run, and an example that kills its worker fails alone.

Real plugins (installed-looking distributions) and real workers, driven by the
``ExampleRunner`` in a fresh process, once in parallel and once serially
(``LAYER_REGISTRY_EXAMPLE_WORKERS=1``).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from support.distributions import plugin_source
from support.distributions import write_plugin
from support.processes import run_python

PLUGINS = {"alpha": ["AlphaOne", "AlphaTwo"], "beta": ["BetaOne", "BetaTwo"]}

DIES = '''
import os

import keras


class Dies(keras.layers.Layer):
    """A layer whose call ends its process, as a native crash would."""

    def call(self, inputs):
        os._exit(3)

    def get_config(self):
        return super().get_config()
'''

# Runs the given layers' examples as the site does, each with a block that tells its worker.
RUN = textwrap.dedent("""
    import json
    from layer_registry import LayerInfo
    from layer_registry._mkdocs.examples import ExampleCache, ExampleJob, ExampleRunner
    from layer_registry._mkdocs.examples import example_code

    jobs = []
    for name in NAMES:
        namespace, _, cls = name.partition(">")
        info = LayerInfo(
            name=name, namespace=namespace, class_name=cls, distribution=f"{namespace}-layers",
            version="1.0.0", summary="", input_shape=(2, 3),
            example={} if cls == "Dies" else {"units": 2},
        )
        blocks = ("import os\\nprint(os.getpid())",)
        jobs.append(ExampleJob(name=name, key=name.replace(">", "-"),
                               code=example_code(info), blocks=blocks))
    runner = ExampleRunner(jobs, ExampleCache(None), timeout=120).start()
    try:
        results = {job.name: runner.result(job.name).to_json() for job in jobs}
    finally:
        runner.close()
    print(json.dumps({"workers": runner.workers, "started": runner.workers_started,
                      "results": results}))
""")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("parallel-plugins")
    for namespace, classes in PLUGINS.items():
        write_plugin(
            folder,
            distribution=f"{namespace}-layers",
            namespace=namespace,
            source=plugin_source(*classes),
        )
    write_plugin(
        folder,
        distribution="crash-layers",
        namespace="crash",
        source=plugin_source(
            "Survives",
            preamble=DIES,
            register="    register(Dies, input_shape=(2, 3))\n"
            "    register(Survives, example={'units': 2}, input_shape=(2, 3))",
        ),
    )
    working = [f"{ns}>{cls}" for ns, classes in PLUGINS.items() for cls in classes]
    return {
        "parallel": run_with(folder, [*working, "crash>Dies", "crash>Survives"], 2),
        "serial": run_with(folder, working, 1),
    }


def run_with(folder: Path, names: list[str], workers: int) -> dict[str, Any]:
    code = f"NAMES = {names!r}\n{RUN}"
    process = run_python(
        code,
        pythonpath=[folder],
        env={"LAYER_REGISTRY_EXAMPLE_WORKERS": str(workers)},
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


def worker_of(result: dict[str, Any]) -> str:
    """The process id the example's last block printed."""
    return result["blocks"][-1]["output"].strip()


def without_pids(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "blocks": result["blocks"][:-1], "seconds": 0.0}


def test_a_plugins_examples_share_one_worker_and_plugins_run_side_by_side(runs):
    parallel = runs["parallel"]
    assert parallel["workers"] == 2
    results = parallel["results"]
    pids = {
        ns: {worker_of(results[f"{ns}>{cls}"]) for cls in classes}
        for ns, classes in PLUGINS.items()
    }
    assert all(len(found) == 1 for found in pids.values()), pids
    assert pids["alpha"] != pids["beta"]  # two workers, one plugin each, at the same time


def test_parallel_results_are_those_of_a_serial_run(runs):
    serial, parallel = runs["serial"], runs["parallel"]
    assert serial["workers"] == 1 and serial["started"] == 1
    for name, result in serial["results"].items():
        assert result["error"] is None and "output shape: (2, 2)" in result["blocks"][0]["output"]
        assert without_pids(parallel["results"][name]) == without_pids(result)
    assert len({worker_of(r) for r in serial["results"].values()}) == 1


def test_an_example_that_kills_its_worker_fails_alone(runs):
    results = runs["parallel"]["results"]
    assert results["crash>Dies"]["error"].startswith("the example worker process died")
    assert results["crash>Dies"]["transient"] is True
    # The rest of its plugin runs in a new worker; the other plugins never noticed.
    survives = results["crash>Survives"]
    assert survives["error"] is None, survives["error"]
    for ns, classes in PLUGINS.items():
        for cls in classes:
            assert results[f"{ns}>{cls}"]["error"] is None
    assert runs["parallel"]["started"] == 3  # two workers, and one to replace the dead one
