"""MkDocs hook: run the site's worked examples at build time and put their results on the page.

Listed in ``mkdocs.yml`` under ``hooks:``. A worked example is a script under
``site/worked_examples/`` that takes an output folder and writes ``results.json`` and a PNG
there. For each example whose page is part of the site, this hook:

- runs the script in a fresh interpreter (``sys.executable``), unless a run with the same cache
  key already succeeded: the key hashes the script's source, the versions of the packages it
  measures and the source files of the plugin it uses; results live in
  ``build/.worked-examples/<key>/`` beside ``mkdocs.yml``, so rebuilds, ``mkdocs serve`` and
  the test suite's builds reuse them;
- adds the PNG and the raw ``results.json`` to the site next to the page;
- replaces the marker ``<!-- worked-example: NAME -->`` on the page with a table of the
  results and the image.

A failing script fails a strict build with its error; otherwise the error is shown on the page.
One log line per example says whether it ran or reused its cached results.

This file is loaded by path (MkDocs ``hooks``), never imported as part of a ``site`` package.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.worked_examples")

CACHE = "build/.worked-examples"
"""Where results are kept, relative to the folder of ``mkdocs.yml``."""
TIMEOUT = 600.0
MARKER = re.compile(r"<!--\s*worked-example:\s*(?P<name>[\w.-]+)\s*-->")


@dataclass(frozen=True)
class Example:
    """A worked example: its script, the page that shows it, what its cache key depends on."""

    name: str
    script: str
    """Relative to the folder of ``mkdocs.yml``."""
    page: str
    """The page's ``src_uri`` in the docs folder."""
    image: str = "extrapolation.png"
    """The PNG the script writes into its output folder."""
    distributions: tuple[str, ...] = ()
    """Installed distributions whose versions are part of the cache key."""
    packages: tuple[str, ...] = ()
    """Import packages whose source files are part of the cache key (editable installs change
    without a new version)."""

    @property
    def stem(self) -> str:
        """The page's path without ``.md``: the generated files are named after it."""
        return self.page.removesuffix(".md")


EXAMPLES = {
    example.name: example
    for example in [
        Example(
            name="periodic-extrapolation",
            script="site/worked_examples/periodic_extrapolation.py",
            page="guides/periodic-extrapolation.md",
            distributions=(
                "keras", "tensorflow", "numpy", "matplotlib", "layer-registry",
                "layer-registry-periodic",
            ),
            packages=("layer_registry_periodic",),
        )
    ]
}


# -- the cache key (pure) ------------------------------------------------------------------------


def cache_key(script: str, dependencies: Mapping[str, str]) -> str:
    """The cache key of a run: a hash of the script's text and of what it depends on.

    ``dependencies`` maps names (distributions, source digests) to versions or digests; their
    order does not matter.
    """
    digest = hashlib.sha256()
    digest.update(script.encode("utf-8"))
    for name in sorted(dependencies):
        digest.update(f"\0{name}={dependencies[name]}".encode())
    return digest.hexdigest()[:20]


def dependencies(example: Example) -> dict[str, str]:
    """Versions of ``example.distributions``, digests of ``example.packages``, the Python."""
    found = {"python": "{}.{}".format(*sys.version_info[:2])}
    for distribution in example.distributions:
        try:
            found[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            found[distribution] = "not installed"
    for package in example.packages:
        found[f"{package} sources"] = _source_digest(package)
    return found


def _source_digest(package: str) -> str:
    """A digest of a package's ``.py`` files, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return "not found"
    digest = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


# -- running -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """A run's results, or why there are none."""

    example: Example
    folder: Path | None = None
    results: dict[str, Any] | None = None
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time runs a given key (parallel builds of the test suite wait)."""
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def produce(example: Example, root: Path) -> Outcome:
    """The example's results: from the cache, or by running its script once."""
    script = root / example.script
    try:
        source = script.read_text(encoding="utf-8")
    except OSError as error:
        return Outcome(example, error=f"cannot read {example.script}: {error}")
    key = cache_key(source, dependencies(example))
    cache = root / CACHE
    cache.mkdir(parents=True, exist_ok=True)
    folder = cache / key
    with _locked(cache / f"{key}.lock"):
        if all((folder / name).is_file() for name in ("results.json", "run.json", example.image)):
            try:
                seconds = json.loads((folder / "run.json").read_text(encoding="utf-8"))["seconds"]
                return Outcome(example, folder, _read(folder), cached=True, seconds=seconds)
            except (ValueError, KeyError):
                pass  # a damaged cache entry: run again
        work = cache / f"{key}.partial-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
        start = time.perf_counter()
        try:
            result = subprocess.run(
                [sys.executable, str(script), str(work)],
                cwd=root, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired:
            shutil.rmtree(work, ignore_errors=True)
            return Outcome(example, error=f"{example.script} did not finish in {TIMEOUT:g} s")
        seconds = time.perf_counter() - start
        (work / "output.txt").parent.mkdir(parents=True, exist_ok=True)
        (work / "output.txt").write_text(result.stdout + "\n" + result.stderr, encoding="utf-8")
        missing = [name for name in ("results.json", example.image) if not (work / name).is_file()]
        if result.returncode != 0 or missing:
            why = (
                f"exited with status {result.returncode}"
                if result.returncode != 0
                else f"wrote no {' and no '.join(missing)}"
            )
            shutil.rmtree(work, ignore_errors=True)
            return Outcome(
                example,
                error=f"{example.script} {why}:\n{_tail(result.stderr or result.stdout)}",
                seconds=seconds,
            )
        try:
            results = _read(work)
        except ValueError as error:
            shutil.rmtree(work, ignore_errors=True)
            return Outcome(example, error=f"{example.script} wrote an unreadable results.json: "
                                          f"{error}", seconds=seconds)
        run = {"script": example.script, "key": key, "seconds": round(seconds, 1)}
        (work / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
        return Outcome(example, folder, results, seconds=seconds)


def _read(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


# -- rendering -----------------------------------------------------------------------------------


def _spread(model: Mapping[str, Any], key: str) -> str:
    return f"{model[f'{key}_mean']:.3f} ± {model[f'{key}_std']:.3f}"


def render(outcome: Outcome) -> str:
    """The Markdown that replaces the marker: the results table, the image, the raw numbers."""
    results = outcome.results or {}
    name = Path(outcome.example.stem).name
    budget = results["budget"]
    reference = results["reference"]
    versions = results.get("versions", {})
    rows = [
        "| Model | Layers | Parameters | RMSE, training range | RMSE, held-out future "
        "| Future RMSE per seed | Seconds per run |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for title, model in results["models"].items():
        per_seed = ", ".join(f"{run['future_rmse']:.3f}" for run in model["runs"])
        rows.append(
            f"| {title} | `{model['layers']}` | {model['params']:,} "
            f"| {_spread(model, 'train_rmse')} | {_spread(model, 'future_rmse')} "
            f"| {per_seed} | {model['seconds_mean']:.1f} |"
        )
    seeds = ", ".join(str(seed) for seed in budget["seeds"])
    return "\n".join([
        *rows,
        "",
        f"RMSE against the noisy series, mean ± standard deviation over seeds {seeds}; "
        f"{budget['epochs']:,} full-batch epochs of {budget['optimizer']} "
        f"(learning rate {budget['learning_rate']:g}) for every model. For scale: the noise "
        f"alone costs {reference['noise_floor_train_rmse']:.3f} on the training range and "
        f"{reference['noise_floor_rmse']:.3f} on the future (the true signal would score that), "
        f"and predicting the mean of the training range costs "
        f"{reference['constant_future_rmse']:.3f} on the future.",
        "",
        f"![Each model's prediction (seed {results.get('plot_seed', 0)}) over the training "
        f"range and the held-out future]({name}.png)",
        "",
        f"Computed when the site was built: `{outcome.example.script}` ran for "
        f"{outcome.seconds:.0f} s with Keras {versions.get('keras', '?')} and TensorFlow "
        f"{versions.get('tensorflow', '?')}. Every number, per seed: [{name}.json]({name}.json).",
    ])


def render_failure(outcome: Outcome) -> str:
    """An admonition with the script's error, for a build that is not strict."""
    body = "\n".join(f"    {line}" for line in (outcome.error or "").splitlines())
    return (
        f'!!! failure "The worked example `{outcome.example.name}` failed to run"\n\n'
        f"    The results below are missing because `{outcome.example.script}` failed while "
        f"the site was built:\n\n    ```text\n{body}\n    ```\n"
    )


# -- MkDocs events -------------------------------------------------------------------------------

_outcomes: dict[str, Outcome] = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    _outcomes.clear()
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).resolve().parent
    for example in EXAMPLES.values():
        if files.get_file_from_path(example.page) is None:
            continue
        outcome = produce(example, root)
        _outcomes[example.page] = outcome
        if outcome.error is not None:
            message = f"worked example '{example.name}' failed: {outcome.error}"
            if config.strict:
                raise PluginError(message)
            log.warning(message + "\n(shown on its page)")
            continue
        assert outcome.folder is not None
        where = outcome.folder.relative_to(root).as_posix()
        if outcome.cached:
            log.info(f"worked example '{example.name}': reused cached results ({where})")
        else:
            log.info(
                f"worked example '{example.name}': ran {example.script} in "
                f"{outcome.seconds:.1f} s, cached in {where}"
            )
        for suffix, source in ((".png", example.image), (".json", "results.json")):
            files.append(File.generated(
                config, example.stem + suffix, abs_src_path=str(outcome.folder / source)
            ))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    uri = page.file.src_uri
    outcome = _outcomes.get(uri)
    found = set()

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        found.add(name)
        example = EXAMPLES.get(name)
        if example is None or example.page != uri:
            where = f"belongs on {example.page}" if example else f"known: {', '.join(EXAMPLES)}"
            log.warning(f"{uri}: marker for unknown worked example '{name}' ({where})")
            return match[0]
        assert outcome is not None
        return render_failure(outcome) if outcome.error is not None else render(outcome)

    markdown = MARKER.sub(replace, markdown)
    if outcome is not None and outcome.example.name not in found:
        log.warning(
            f"{uri}: no '<!-- worked-example: {outcome.example.name} -->' marker; "
            "the results of its worked example are not shown"
        )
    return markdown


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    # Editing a worked example's script rebuilds the site, as editing a page does.
    root = Path(config.config_file_path).resolve().parent
    for folder in sorted({(root / example.script).parent for example in EXAMPLES.values()}):
        server.watch(str(folder))
    return server
