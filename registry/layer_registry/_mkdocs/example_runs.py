"""The examples of one site build: cached results taken, the rest run, progress in the log.

The MkDocs plugin asks this for a layer's result when it fills the layer's page; the
[`examples`][layer_registry._mkdocs.examples] package does the running and the caching.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

from mkdocs.plugins import get_plugin_logger

from layer_registry import _settings
from layer_registry._mkdocs import examples
from layer_registry._mkdocs.config import LayerRegistryConfig
from layer_registry._mkdocs.pages import count
from layer_registry._records import LayerInfo

log = get_plugin_logger("layer_registry")


class ExampleRuns:
    """Every layer's example results for one build, from the cache or from a worker.

    ``problem`` is told of each example that failed, once, when its page asks for it.
    """

    def __init__(
        self,
        layers: Sequence[LayerInfo],
        config: LayerRegistryConfig,
        problem: Callable[[str], None],
    ) -> None:
        self.layers = list(layers)
        self.config = config
        self.problem = problem
        self.results: dict[str, examples.ExampleResult] = {}
        self.plot_paths: dict[str, Path] = {}
        """Where each plotted layer's PNG is (or will be) written."""
        self.why_not = ""
        """Why no example runs at all (empty when they do)."""
        self._runner: examples.ExampleRunner | None = None
        self._store: examples.ExampleCache | None = None
        self._jobs: dict[str, examples.ExampleJob] = {}

    def start(self) -> None:
        """Take cached results; start the worker for the rest (nothing starts if all are)."""
        self._store = examples.ExampleCache(self._cache_folder())
        if not self.config.execute:
            self.why_not = "`execute: false` in the site's configuration"
            return
        sources = examples.SourceDigests()
        jobs = []
        for info in self.layers:
            plot = self.config.plot and examples.plottable(info)
            functions = f"functions={info.example_function}|{info.setup_function}"
            key = examples.example_key(info, sources(info), [f"plot={plot}", functions])
            blocks = tuple(examples.docstring_examples(info.doc))
            job = examples.ExampleJob(
                name=info.name,
                key=key,
                code=examples.example_code(info),
                blocks=blocks,
                preamble=examples.docstring_preamble(info) if blocks else "",
                positional_code=examples.positional_example_code(info),
                plot=plot,
            )
            if plot:
                self.plot_paths[info.name] = self._store.plot_path(key)
            cached = self._store.get(key) if self.config.cache else None
            if cached is not None:
                self.results[info.name] = cached
            else:
                jobs.append(job)
        self._jobs = {job.name: job for job in jobs}
        cached_count = len(self.layers) - len(jobs)
        if not jobs:
            log.info(f"examples: {cached_count} cached, 0 run (no example worker started)")
            return
        # By namespace, not by the name's prefix: an adopted layer keeps its library's name
        # (`keras_hub>TransformerEncoder`) but belongs to the plugin that registered it.
        namespaces = {info.name: info.namespace for info in self.layers}
        plugins = sorted({namespaces[name] for name in self._jobs})
        self._runner = examples.ExampleRunner(
            jobs,
            self._store,
            timeout=float(self.config.timeout),
            on_result=self.progress(),
            plugin_of=namespaces.__getitem__,
        )
        workers = count(self._runner.workers, "worker process", "worker processes")
        log.info(
            f"examples: {cached_count} cached, running {count(len(jobs), 'example')} of "
            f"{count(len(plugins), 'plugin')} ({', '.join(plugins)}) in {workers}"
        )
        self._runner.start()

    def progress(self) -> Callable[[examples.ExampleJob, examples.ExampleResult], None]:
        """The runner's callback: logs when the last example of a plugin is done."""
        remaining: dict[str, int] = defaultdict(int)
        for info in self.layers:
            remaining[info.namespace] += 1
        namespaces = {info.name: info.namespace for info in self.layers}
        for name in self.results:  # cached ones are done already
            remaining[namespaces[name]] -= 1
        failures: dict[str, int] = defaultdict(int)
        started = time.monotonic()

        def on_result(job: examples.ExampleJob, result: examples.ExampleResult) -> None:
            namespace = namespaces[job.name]
            remaining[namespace] -= 1
            failures[namespace] += result.failure is not None
            log.debug(f"example of {job.name}: {result.seconds:.2f} s")
            if remaining[namespace] == 0:
                log.info(
                    f"examples of plugin {namespace!r} done "
                    f"({failures[namespace]} failed; {time.monotonic() - started:.1f} s so far)"
                )

        return on_result

    def result(self, info: LayerInfo) -> examples.ExampleResult | None:
        """The layer's result, waiting for the worker if it is still running; None if not run."""
        if info.name not in self.results and self._runner and info.name in self._jobs:
            self.results[info.name] = self._runner.result(info.name)
        result = self.results.get(info.name)
        if result is not None and result.failure is not None:
            self.problem(
                f"the example of layer {info.name!r} (plugin {info.namespace!r}, distribution "
                f"{info.distribution} {info.version}) failed: {result.failure}"
            )
        if result is not None and result.docstring_failures:
            # The library's own examples: shown on the page, never a problem of the site's.
            failed = ", ".join(block.title for block in result.docstring_failures)
            log.info(
                f"{failed} from {examples.docstring_library(info)}'s docstring of {info.name} "
                "failed (shown on its page)"
            )
        return result

    def close(self, build_started: float) -> None:
        """Stop the worker, say what ran, and remove the temporary plots (if any)."""
        if self._runner is not None:
            self._runner.close()
            ran = len(self._runner.jobs)
            log.info(
                f"examples: {len(self.layers) - ran} cached, {ran} run "
                f"({count(self._runner.workers_started, 'worker process', 'worker processes')}"
                f" started in {self._runner.startup_seconds:.1f} s; "
                f"{time.monotonic() - build_started:.1f} s since the build started)"
            )
            self._runner = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def _cache_folder(self) -> Path | None:
        if not self.config.cache:
            return None
        if self.config.cache_dir:
            return Path(self.config.cache_dir).expanduser()
        folder = _settings.cache_dir()
        return None if folder is None else folder / "examples"
