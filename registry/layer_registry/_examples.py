"""Run the layers' examples for the documentation site, in one worker process, with a cache.

The site shows every layer's runnable example and the ``Example:`` blocks of its docstring
with the output they really print. The main process (MkDocs) never imports TensorFlow for
this: an [`ExampleRunner`][] feeds the examples that are not cached to ONE worker process
(``python -m layer_registry._examples``) one at a time, as JSON lines, and gives up on an
example after ``timeout`` seconds by killing the worker and starting a new one for the rest.

Results are cached by [`example_key`][]: the layer's name, its registered example, the
content of its plugin's source files, the docstring, and the versions of everything that
can change the output. A rebuild with nothing changed starts no worker at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import json
import linecache
import os
import queue
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from layer_registry import _cache
from layer_registry._records import LayerInfo

FORMAT = 1
"""Bumped when the layout of a cached result changes."""

SWEEP = (-3.0, 3.0, 241)
"""The plot's sweep of input feature 0: from, to, number of points."""
PLOTTED_UNITS = 16
OUTPUT_LIMIT = 20_000
"""Characters of printed output kept per block."""


# -- what the site asks for and gets back ----------------------------------------------------


@dataclass(frozen=True)
class ExampleJob:
    """Everything the worker needs to run one layer's examples."""

    name: str
    key: str
    code: str
    """The generated example: create the layer by name and call it on an example input."""
    blocks: tuple[str, ...] = ()
    """The code of the ``Example:`` blocks of the layer's docstring."""
    plot: bool = False
    """Whether to plot each output unit along a sweep of input feature 0."""


@dataclass
class BlockResult:
    """One executed block: its code, what it printed, and the traceback if it raised."""

    title: str
    code: str
    output: str = ""
    error: str | None = None
    """The traceback, when the block raised."""
    summary: str | None = None
    """The exception in one line: its type and message."""


@dataclass
class ExampleResult:
    """What running a layer's examples produced, as the site shows it."""

    name: str
    key: str
    blocks: list[BlockResult] = field(default_factory=list)
    weights: list[dict[str, Any]] = field(default_factory=list)
    """One row per weight of the built example: name, shape, dtype, trainable, initializer."""
    config: str | None = None
    """The example layer's ``get_config()`` as indented JSON."""
    plot: bool = False
    """Whether the plot PNG was written (to the path the job named)."""
    plot_error: str | None = None
    error: str | None = None
    """A failure outside the blocks: the worker timed out, crashed or could not start."""
    seconds: float = 0.0
    transient: bool = False
    """A timeout or a crash: not cached, so the next build tries again."""

    @property
    def failure(self) -> str | None:
        """The first error, one paragraph, or None when everything ran."""
        if self.error:
            return self.error
        for block in self.blocks:
            if block.error:
                return f"{block.title} raised {block.summary or 'an exception'}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExampleResult:
        if data.get("format") != FORMAT:
            raise ValueError("stale format")
        fields = {k: v for k, v in data.items() if k != "format"}
        fields["blocks"] = [BlockResult(**block) for block in fields.get("blocks", [])]
        return cls(**fields)


# -- generating the examples -----------------------------------------------------------------


def literal(value: Any) -> str:
    """``value`` as Python source, strings in double quotes as in the rest of the docs."""
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def create_call(info: LayerInfo) -> str:
    """``layer_registry.create("ns>Name", ...)`` with the registered example arguments."""
    arguments = "".join(f", {key}={literal(value)}" for key, value in info.example.items())
    return f"layer_registry.create({literal(info.name)}{arguments})"


def example_code(info: LayerInfo) -> str:
    """The runnable example of ``info``: create it by name, call it on an example input."""
    lines = [
        "import keras",
        "import numpy as np",
        "import layer_registry",
        "",
        "np.set_printoptions(precision=3, suppress=True, threshold=64, edgeitems=3)",
        f"layer = {create_call(info)}",
    ]
    if info.input_shape is None:
        lines += ["print(layer)"]
        return "\n".join(lines) + "\n"
    lines.append("rng = np.random.default_rng(0)")
    if info.multiple_inputs:
        dtypes = info.input_dtype
        if isinstance(dtypes, str):
            dtypes = (dtypes,) * len(info.input_shape)
        lines.append("x = [")
        for shape, dtype in zip(info.input_shape, dtypes, strict=False):
            lines.append(f"    {_random_input(shape, dtype)},")
        lines.append("]")
    else:
        lines.append(f"x = {_random_input(info.input_shape, str(info.input_dtype))}")
    lines += [
        "y = layer(x)",
        'print("output shape:", tuple(y.shape))',
        'print("parameters:", layer.count_params())',
        'print("first sample:")',
        "print(keras.ops.convert_to_numpy(y)[0])",
    ]
    return "\n".join(lines) + "\n"


def _random_input(shape: Any, dtype: str) -> str:
    size = tuple(1 if d is None else d for d in shape)
    if dtype.startswith(("int", "uint")):
        return f"rng.integers(0, 10, size={size!r}).astype({literal(dtype)})"
    if dtype == "bool":
        return f"rng.random(size={size!r}) > 0.5"
    return f"rng.normal(size={size!r}).astype({literal(dtype)})"


def plottable(info: LayerInfo) -> bool:
    """Whether the example input is one 2-D float tensor, ``(batch, features)``."""
    return (
        info.input_shape is not None
        and not info.multiple_inputs
        and len(info.input_shape) == 2
        and isinstance(info.input_dtype, str)
        and info.input_dtype.startswith(("float", "bfloat"))
    )


_SECTION = re.compile(r"^(\s*)([A-Z][A-Za-z ]*):\s*$")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w-]*)")


def docstring_examples(doc: str) -> list[str]:
    """The code of every block in the ``Example:``/``Examples:`` section(s) of ``doc``.

    Fenced ``python`` blocks (or fences without a language) are taken whole; ``>>>`` doctest
    lines are taken without their prompts and expected output.
    """
    blocks: list[str] = []
    in_section = False
    section_indent = 0
    fence: tuple[str, str] | None = None  # (indent, marker) of the open fence
    fence_lines: list[str] = []
    fence_is_python = False
    doctest: list[str] = []

    def flush_doctest() -> None:
        if doctest:
            blocks.append("\n".join(doctest) + "\n")
            doctest.clear()

    for line in doc.splitlines():
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[1]) and set(stripped) <= set(fence[1][0]):
                if fence_is_python:
                    blocks.append(textwrap.dedent("\n".join(fence_lines)).strip("\n") + "\n")
                fence, fence_lines = None, []
            else:
                fence_lines.append(line)
            continue
        section = _SECTION.match(line)
        if section and (not in_section or len(section.group(1)) <= section_indent):
            flush_doctest()
            in_section = section.group(2) in {"Example", "Examples"}
            section_indent = len(section.group(1))
            continue
        if not in_section:
            continue
        opening = _FENCE.match(line)
        if opening:
            flush_doctest()
            fence = (opening.group(1), opening.group(2))
            fence_is_python = opening.group(3).lower() in {"", "python", "py", "python3", "pycon"}
            continue
        stripped = line.strip()
        if stripped.startswith(">>>") or (stripped.startswith("...") and doctest):
            doctest.append(stripped[4:] if len(stripped) > 3 else "")
        else:
            flush_doctest()
    flush_doctest()
    return [block for block in blocks if block.strip()]


# -- the cache ------------------------------------------------------------------------------


_versions: dict[str, str] = {}


def _version(distribution: str) -> str:
    if distribution not in _versions:
        try:
            _versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            _versions[distribution] = ""
    return _versions[distribution]


def _runner_digest() -> str:
    # A change to how examples run (this file) invalidates every cached result.
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


class SourceDigests:
    """The content digest of each plugin package's source files, computed once per build."""

    def __init__(self) -> None:
        self._digests: dict[str, str] = {}

    def files(self, info: LayerInfo) -> list[str]:
        """The source files of the package that defines the layer (found without importing)."""
        return _cache.source_files(_cache.top_package(info.import_path))

    def __call__(self, info: LayerInfo) -> str:
        top = _cache.top_package(info.import_path)
        if top not in self._digests:
            # The whole package, not only the layer's module: a layer may use its helpers.
            digest = hashlib.sha256()
            for path in self.files(info):
                digest.update(path.encode() + b"\0")
                with contextlib.suppress(OSError):
                    digest.update(Path(path).read_bytes())
            self._digests[top] = digest.hexdigest()
        return self._digests[top]


def example_key(info: LayerInfo, sources: str, job_parts: Sequence[str]) -> str:
    """The cache key of a layer's example results."""
    from layer_registry import __version__

    parts = [
        f"format={FORMAT}",
        f"runner={_runner_digest()}",
        f"layer-registry={__version__}",
        f"plugin={info.distribution}=={info.version}",
        *(f"{name}={_version(name)}" for name in ("keras", "tensorflow", "numpy", "matplotlib")),
        f"backend={os.environ.get('KERAS_BACKEND', '')}",
        f"python={sys.version_info[:2]}",
        f"name={info.name}",
        f"example={json.dumps(info.example, sort_keys=True, default=repr)}",
        f"input={info.input_shape!r}|{info.input_dtype!r}",
        f"doc={info.doc}",
        f"sources={sources}",
        *job_parts,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class ExampleCache:
    """Results on disk, one JSON file (and PNG) per key; ``folder=None`` keeps nothing.

    Without a folder, plots still need a place until the site is written: a temporary
    folder, removed by [`close`][].
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def plot_path(self, key: str) -> Path:
        folder = self.folder
        if folder is None:
            if self._temporary is None:
                self._temporary = tempfile.TemporaryDirectory(prefix="layer-registry-plots-")
            folder = Path(self._temporary.name)
        return folder / f"{key}.png"

    def get(self, key: str) -> ExampleResult | None:
        if self.folder is None:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            result = ExampleResult.from_json(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None  # missing, stale or corrupt: run it again
        if result.plot and not self.plot_path(key).exists():
            return None
        return result

    def put(self, result: ExampleResult) -> None:
        if self.folder is None or result.transient:
            return
        path = self.folder / f"{result.key}.json"
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written beside, then renamed: a concurrent build never reads half a file.
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(result.to_json()), encoding="utf-8")
            os.replace(temporary, path)

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None


# -- the runner (main process) ---------------------------------------------------------------


class ExampleRunner:
    """Runs jobs in order in one worker process, on a background thread.

    [`result`][] blocks until a layer's result is in. A job that takes longer than ``timeout``
    seconds gets a timeout result; the worker is killed and a new one runs the jobs after it.
    """

    def __init__(
        self,
        jobs: Iterable[ExampleJob],
        cache: ExampleCache,
        *,
        timeout: float = 60.0,
        startup_timeout: float = 300.0,
        on_result: Callable[[ExampleJob, ExampleResult], None] | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.cache = cache
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.on_result = on_result
        self.workers_started = 0
        self.startup_seconds = 0.0
        """Time spent starting workers (mostly importing TensorFlow), all of them together."""
        self._results: dict[str, ExampleResult] = {}
        self._done = {job.name: threading.Event() for job in self.jobs}
        self._stop = threading.Event()
        self._worker: _Worker | None = None
        self._thread = threading.Thread(target=self._run, name="layer-registry-examples")
        self._thread.daemon = True

    def start(self) -> ExampleRunner:
        if self.jobs:
            self._thread.start()
        return self

    def result(self, name: str) -> ExampleResult:
        self._done[name].wait()
        return self._results[name]

    def close(self) -> None:
        self._stop.set()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            for job in self.jobs:
                if self._stop.is_set():
                    result = ExampleResult(job.name, job.key, error="the build stopped",
                                           transient=True)
                else:
                    result = self._run_one(job)
                    self.cache.put(result)
                self._results[job.name] = result
                self._done[job.name].set()
                if self.on_result is not None and not self._stop.is_set():
                    self.on_result(job, result)
        except BaseException as exc:  # never leave a page waiting forever
            for job in self.jobs:
                if not self._done[job.name].is_set():
                    self._results[job.name] = ExampleResult(
                        job.name, job.key, error=f"example runner failed: {exc!r}", transient=True
                    )
                    self._done[job.name].set()
            raise
        finally:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def _run_one(self, job: ExampleJob) -> ExampleResult:
        if self._worker is None or not self._worker.alive():
            started = time.monotonic()
            self._worker = _Worker()
            self.workers_started += 1
            problem = self._worker.wait_ready(self.startup_timeout)
            self.startup_seconds += time.monotonic() - started
            if problem is not None:
                self._worker.kill()
                self._worker = None
                return ExampleResult(job.name, job.key, error=problem, transient=True)
        started = time.monotonic()
        reply = self._worker.ask(
            {**asdict(job), "plot_path": str(self.cache.plot_path(job.key))}, self.timeout
        )
        seconds = time.monotonic() - started
        if isinstance(reply, dict):
            result = ExampleResult.from_json({**reply, "format": FORMAT})
            result.seconds = seconds
            return result
        worker, self._worker = self._worker, None
        worker.kill()
        if reply == "timeout":
            error = (
                f"timed out after {self.timeout:g} s (the example worker was stopped and "
                "restarted for the remaining layers)"
            )
        else:
            error = "the example worker process died" + worker.stderr_tail()
        return ExampleResult(job.name, job.key, error=error, seconds=seconds, transient=True)


class _Worker:
    """One ``python -m layer_registry._examples`` process and a thread reading its replies."""

    def __init__(self) -> None:
        self._cwd = tempfile.TemporaryDirectory(prefix="layer-registry-worker-")
        # A file, not a pipe: TensorFlow's chatter can never fill it up and block the worker.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed by kill())
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "layer_registry._examples"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self._cwd.name,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self._replies: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=self._read, name="layer-registry-worker-reader")
        reader.daemon = True
        reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._replies.put(line)
        self._replies.put(None)

    def alive(self) -> bool:
        return self._process.poll() is None

    def _reply(self, timeout: float) -> dict[str, Any] | str:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            return "timeout"
        if line is None:
            return "died"
        try:
            return json.loads(line)
        except ValueError:
            return "died"

    def wait_ready(self, timeout: float) -> str | None:
        reply = self._reply(timeout)
        if isinstance(reply, dict) and reply.get("ready"):
            return None
        why = "did not start in time" if reply == "timeout" else "failed to start"
        return f"the example worker process {why}" + self.stderr_tail()

    def ask(self, job: dict[str, Any], timeout: float) -> dict[str, Any] | str:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(job) + "\n")
            self._process.stdin.flush()
        except OSError:
            return "died"
        return self._reply(timeout)

    def stderr_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace").strip()
            if text:
                return ":\n" + "\n".join(text.splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Ask the worker to finish (end of input), then make sure it is gone."""
        with contextlib.suppress(OSError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=10)
        self.kill()

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._stderr.close()
        with contextlib.suppress(OSError):
            self._cwd.cleanup()


# -- the worker (its own process) ------------------------------------------------------------


class _Recorder:
    """Remembers the initializer each ``add_weight`` call was given, by variable."""

    def __init__(self) -> None:
        self.initializers: dict[int, str] = {}
        self.variables: list[Any] = []  # keeps ids unique until the job ends

    def install(self) -> None:
        import inspect

        import keras

        original = keras.layers.Layer.add_weight
        signature = inspect.signature(original)
        recorder = self

        def add_weight(self: Any, *args: Any, **kwargs: Any) -> Any:
            variable = original(self, *args, **kwargs)
            with contextlib.suppress(Exception):
                bound = signature.bind(self, *args, **kwargs)
                recorder.initializers[id(variable)] = _describe_initializer(
                    bound.arguments.get("initializer"), getattr(variable, "dtype", None)
                )
                recorder.variables.append(variable)
            return variable

        # A function takes attributes; typeshed's Callable does not say so.
        add_weight.__wrapped__ = original  # type: ignore[attr-defined]
        keras.layers.Layer.add_weight = add_weight

    def reset(self) -> None:
        self.initializers.clear()
        self.variables.clear()


def _describe_initializer(initializer: Any, dtype: Any) -> str:
    import keras

    if initializer is None:
        # What Keras's add_weight picks when given none.
        floating = dtype is None or "float" in str(dtype)
        return "glorot_uniform (default)" if floating else "zeros (default)"
    if isinstance(initializer, str):
        return initializer
    if isinstance(initializer, keras.initializers.Initializer):
        try:
            config = initializer.get_config()
        except Exception:
            config = {}
        arguments = ", ".join(f"{k}={v!r}" for k, v in config.items() if v is not None)
        return f"{type(initializer).__name__}({arguments})"
    return getattr(initializer, "__name__", None) or type(initializer).__name__


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _execute(code: str, namespace: dict[str, Any], filename: str, title: str) -> BlockResult:
    """Run ``code``; keep what it printed and, if it raised, the traceback without our frames."""
    # Registered so that tracebacks show the example's lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    output = io.StringIO()
    block = BlockResult(title, code)
    with contextlib.redirect_stdout(output), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(code, filename, "exec"), namespace)
        except (Exception, SystemExit) as exc:
            tb = exc.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
                tb = tb.tb_next
            # Keras colours its messages for terminals; a web page shows the codes verbatim.
            error = _ANSI.sub("", "".join(traceback.format_exception(type(exc), exc, tb)))
            lines = error.rstrip().splitlines()
            if len(lines) > 40:
                lines = [*lines[:5], "...", *lines[-30:]]
            block.error = "\n".join(lines)
            message = " ".join(_ANSI.sub("", str(exc)).split())
            if len(message) > 300:
                message = message[:297] + "..."
            block.summary = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    text = _ANSI.sub("", output.getvalue())
    if len(text) > OUTPUT_LIMIT:
        text = text[:OUTPUT_LIMIT] + f"\n... ({len(text) - OUTPUT_LIMIT} more characters)\n"
    block.output = text
    return block


def _run_job(job: dict[str, Any], recorder: _Recorder) -> dict[str, Any]:
    import keras

    recorder.reset()
    result = ExampleResult(job["name"], job["key"])
    keras.utils.set_random_seed(0)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    first = _execute(
        job["code"], namespace, f"<example of {job['name']}>", "The generated example"
    )
    result.blocks.append(first)
    layer = namespace.get("layer")
    if first.error is None and isinstance(layer, keras.layers.Layer):
        _describe_layer(layer, result, recorder)
        if job.get("plot"):
            try:
                _plot(layer, namespace["x"], Path(job["plot_path"]))
                result.plot = True
            except Exception as exc:
                result.plot_error = f"{type(exc).__name__}: {exc}"
    for number, code in enumerate(job.get("blocks", ()), start=1):
        keras.utils.set_random_seed(0)
        result.blocks.append(
            _execute(
                code,
                {"__name__": "__main__"},
                f"<docstring example {number} of {job['name']}>",
                f"Docstring example {number}",
            )
        )
    recorder.reset()
    data = asdict(result)
    data.pop("seconds"), data.pop("transient")
    return data


def _describe_layer(layer: Any, result: ExampleResult, recorder: _Recorder) -> None:
    for weight in layer.weights:
        result.weights.append(
            {
                "name": getattr(weight, "path", None) or weight.name,
                "shape": [None if d is None else int(d) for d in weight.shape],
                "dtype": str(weight.dtype),
                "trainable": bool(weight.trainable),
                "initializer": recorder.initializers.get(id(weight), ""),
            }
        )
    try:
        result.config = json.dumps(layer.get_config(), indent=2, default=repr)
    except Exception as exc:
        result.config = None
        result.plot_error = result.plot_error or f"get_config() failed: {exc!r}"


def _plot(layer: Any, x: Any, path: Path) -> None:
    import keras
    import numpy as np
    from matplotlib.figure import Figure

    low, high, count = SWEEP
    sweep = np.linspace(low, high, count, dtype="float64")
    base = np.asarray(keras.ops.convert_to_numpy(x))[:1]
    batch = np.repeat(base, count, axis=0)
    batch[:, 0] = sweep
    outputs = np.asarray(keras.ops.convert_to_numpy(layer(batch.astype(base.dtype))))
    outputs = outputs.reshape(count, -1).astype("float64")
    units = outputs.shape[1]
    figure = Figure(figsize=(7.0, 3.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(sweep, outputs[:, :PLOTTED_UNITS], linewidth=1.2)
    axes.set_xlabel("input feature 0 (the others fixed at the example's first sample)")
    shown = f"first {PLOTTED_UNITS} of {units}" if units > PLOTTED_UNITS else f"all {units}"
    axes.set_ylabel(f"output units ({shown})")
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp.png")
    figure.savefig(temporary, format="png")
    os.replace(temporary, path)


def worker_main() -> int:
    """Serve jobs read as JSON lines on stdin; reply on the original stdout, one line each."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    # Whatever an example (or TensorFlow's C++ side) prints must not corrupt the replies.
    os.dup2(2, 1)
    import keras  # noqa: F401  (TensorFlow starts here, before the first job's clock)
    import numpy  # noqa: F401

    recorder = _Recorder()
    recorder.install()
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        replies.write(json.dumps(_run_job(json.loads(line), recorder), default=repr) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
