"""S1-S4: documentation-site builds vs. a plain MkDocs build of the same pages (the floor).

The floor is what MkDocs, Material and mkdocstrings cost for exactly the pages we produce: the
final Markdown of every page (examples' output included) and the plots are exported from one
build, then built by plain ``mkdocs build`` without the layer-registry plugin, so nothing is
looked up or executed. Each build is a fresh ``mkdocs build`` process, as a user runs it.

- cold: no cached example results (the metadata cache is warm, as after `layer-registry list`);
  target at most 0.2 s per layer beyond the floor for the bundled layers, 0.1 s for 1,000.
- no change: everything cached; target within 1.1x of the floor.

For the bundled layers (this repository's site) and for 1,000 synthetic layers (100 throw-away
plugins of 10 layers, built with the default site of ``layer-registry docs``); ``--small``
builds 4 plugins of 3 instead. Peak memory (the build and its example workers together) is
printed beside the floor's. A missed cold target names its measured bound: the workers' start.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import yaml

from measure import ROOT
from measure import Row
from measure import emit
from measure import run_measured
from measure import small

MKDOCS = str(Path(sys.executable).with_name("mkdocs"))
CLI = str(Path(sys.executable).with_name("layer-registry"))
PLUGINS, LAYERS = (4, 3) if small() else (100, 10)
SYNTHETIC = PLUGINS * LAYERS
STARTED = re.compile(r"(\d+) worker process(?:es)? started in ([\d.]+) s")

EXPORT_HOOK = '''
"""Export the final Markdown of every page and every generated file: the floor's input."""
import json
import os

EXPORT = os.environ["LR_BENCH_EXPORT"]
_files = None


def _write(uri, data):
    path = os.path.join(EXPORT, "docs", uri)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(data)


def on_config(config):
    # Runs after layer-registry's on_config: the nav already holds the generated pages.
    with open(os.path.join(EXPORT, "config.json"), "w") as stream:
        json.dump({
            "nav": config.nav,
            "extra_css": [str(s) for s in config.extra_css],
            "extra_javascript": [str(s) for s in config.extra_javascript],
        }, stream)


def on_files(files, config):
    global _files
    _files = files


def on_page_markdown(markdown, page, config, files):
    _write(page.file.src_uri, markdown.encode("utf-8"))
    return markdown


def on_post_build(config):
    for file in _files:
        if file.is_documentation_page():
            continue
        in_docs = os.path.abspath(file.src_dir or "") == os.path.abspath(config.docs_dir)
        if file.generated_by or in_docs:
            _write(file.src_uri, file.content_bytes)
'''

EXPORT_BUILD = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(sys.argv[1], site_dir=sys.argv[2], hooks=[sys.argv[3]], strict=False)
build(config)
"""


class _Loader(yaml.SafeLoader):
    pass


def read_config(path: Path) -> dict[str, Any]:
    """A mkdocs.yml as plain data, ``!relative`` resolved to the config's folder."""
    _Loader.add_constructor("!relative", lambda loader, node: str(path.parent))
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def floor_config(source: Path, export: Path, out: Path) -> Path:
    """The source config without the layer-registry plugin, over the exported pages."""
    config = read_config(source)
    captured = json.loads((export / "config.json").read_text())
    plugins = []
    for plugin in config.get("plugins", []):
        name = next(iter(plugin)) if isinstance(plugin, dict) else plugin
        if name == "layer-registry":
            continue
        if name == "mkdocstrings" and isinstance(plugin, dict):
            python = plugin["mkdocstrings"].get("handlers", {}).get("python", {})
            if "paths" in python:
                python["paths"] = [str(source.parent / p) for p in python["paths"]]
        plugins.append(plugin)
    config.update(
        # The repository's hooks (the worked example, cached) run in both builds alike.
        hooks=[str(source.parent / hook) for hook in config.get("hooks", [])],
        docs_dir=str(export / "docs"),
        site_dir=str(out),
        plugins=plugins,
        nav=captured["nav"],
        extra_css=captured["extra_css"],
        extra_javascript=captured["extra_javascript"],
        strict=False,
    )
    path = export / "floor.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    """Wall time, peak memory with children, and stderr of a build that must succeed."""
    seconds, peak, result = run_measured(command, env, cwd)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds, peak, result.stderr


def measure(
    label: str,
    config: Path,
    env: dict[str, str],
    work: Path,
    layers: int,
    ids: tuple[str, str],
    per_layer_target: float,
    repeat: int,
) -> list[Row]:
    cache = Path(env["LAYER_REGISTRY_CACHE_DIR"])
    subprocess.run([CLI, "list"], capture_output=True, env=env, check=True)  # warm metadata
    build = [MKDOCS, "build", "-f", str(config), "-d", str(work / "site")]

    colds = []
    for _ in range(max(1, repeat - 1)):
        shutil.rmtree(cache / "examples", ignore_errors=True)
        seconds, peak, log = timed(build, env, config.parent)
        assert "0 cached, running" in log, log[-2000:]
        colds.append((seconds, peak, log))
    rebuilds = []
    for _ in range(repeat):
        seconds, _, log = timed(build, env, config.parent)
        assert "0 run (no example worker started)" in log, log[-2000:]
        rebuilds.append(seconds)

    export = work / "export"
    shutil.rmtree(export, ignore_errors=True)
    export.mkdir()
    hook = work / "export_hook.py"
    hook.write_text(EXPORT_HOOK)
    subprocess.run(
        [sys.executable, "-c", EXPORT_BUILD, str(config), str(work / "export-site"), str(hook)],
        env={**env, "LR_BENCH_EXPORT": str(export)},
        capture_output=True,
        check=True,
        cwd=config.parent,
    )
    floor_file = floor_config(config, export, work / "floor-site")
    floors = [
        timed([MKDOCS, "build", "-f", str(floor_file)], env, config.parent) for _ in range(repeat)
    ]

    cold, cold_peak, cold_log = min(colds)
    rebuild, (floor, floor_peak, _) = min(rebuilds), min(floors)
    per_layer = (cold - floor) / layers
    started = STARTED.findall(cold_log)
    workers, startup = (int(started[-1][0]), float(started[-1][1])) if started else (0, 0.0)
    bound = (
        f"{workers} example worker(s) took {startup:.1f} s to start, all together (importing "
        f"TensorFlow), of the {cold - floor:.1f} s beyond the floor"
    )
    return [
        Row(
            ids[0],
            f"{label}: cold build ({layers} layers, examples run in {workers} worker(s))",
            cold,
            floor,
            "plain mkdocs build",
            f"<= floor + {per_layer_target:g} s/layer (here {per_layer:.2f} s/layer)",
            per_layer <= per_layer_target,
            bound=bound,
            ours_bytes=cold_peak,
            baseline_bytes=floor_peak,
        ),
        Row(
            ids[1],
            f"{label}: no-change rebuild",
            rebuild,
            floor,
            "plain mkdocs build",
            "<= 1.1x floor",
            rebuild <= 1.1 * floor,
            bound=f"the rebuild's own cost: {rebuild - floor:.2f} s beyond the floor",
        ),
    ]


def main() -> None:
    # tests/ is on sys.path once measure is imported: the tests' throw-away plugin writer.
    from support.distributions import plugin_source
    from support.distributions import write_plugin

    base_env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "NO_MKDOCS_2_WARNING": "1",
    }
    for variable in (
        "LAYER_REGISTRY_ONLY",
        "LAYER_REGISTRY_DISABLE",
        "LAYER_REGISTRY_STRICT",
        "LAYER_REGISTRY_CACHE",
        "LAYER_REGISTRY_DOCS_PLUGINS",
    ):
        base_env.pop(variable, None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-site-") as folder:
        work = Path(folder)

        bundled = work / "bundled"
        bundled.mkdir()
        env = {**base_env, "LAYER_REGISTRY_CACHE_DIR": str(bundled / "cache")}
        count = len(
            json.loads(
                subprocess.run(
                    [CLI, "list", "--json"], capture_output=True, env=env, check=True, text=True
                ).stdout
            )
        )
        rows += measure(
            "bundled layers", ROOT / "mkdocs.yml", env, bundled, count, ("S1", "S2"), 0.2, 3
        )

        synthetic = work / "synthetic"
        plugins = synthetic / "site-packages"
        for p in range(PLUGINS):
            write_plugin(
                plugins,
                distribution=f"synth-layers-{p}",
                namespace=f"synth{p}",
                source=plugin_source(*(f"Synthetic{p}L{k}" for k in range(LAYERS))),
            )
        env = {
            **base_env,
            "LAYER_REGISTRY_CACHE_DIR": str(synthetic / "cache"),
            "PYTHONPATH": str(plugins),
        }
        namespaces = [f"synth{p}" for p in range(PLUGINS)]
        config = subprocess.run(
            [
                sys.executable,
                "-c",
                textwrap.dedent(f"""
                from pathlib import Path
                from layer_registry._cli._docs import write_default_config
                print(write_default_config(Path({str(synthetic / "config")!r}), {namespaces!r}))
            """),
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.strip()
        # Two of each at 1,000 layers: the whole of run.py stays within minutes.
        rows += measure(
            f"{SYNTHETIC} synthetic layers ({PLUGINS} plugins)",
            Path(config),
            env,
            synthetic,
            SYNTHETIC,
            ("S3", "S4"),
            0.1,
            2,
        )
    emit(rows)


if __name__ == "__main__":
    main()
