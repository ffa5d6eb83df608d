"""The example worker, its own process: runs each job it reads and sends back what happened.

Started by the [`ExampleRunner`][layer_registry._mkdocs.examples.ExampleRunner] as
``python -m layer_registry._mkdocs.examples._worker``; it reads jobs as JSON lines on stdin and
sends one result a job on the private channel of [`layer_registry._child`][]. While a layer is
built, every ``add_weight`` call is recorded, so the site can say how each weight was
initialised; a layer with one floating-point example input gets a plot of its response
(drawn by [`layer_registry._mkdocs.examples._plots`][]).
"""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import sys
import traceback
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from layer_registry import _child
from layer_registry._errors import one_line
from layer_registry._errors import without_colours
from layer_registry._mkdocs.examples._plots import draw
from layer_registry._mkdocs.examples._records import BlockResult
from layer_registry._mkdocs.examples._records import ExampleResult

OUTPUT_LIMIT = 20_000
"""Characters of printed output kept per block."""


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
            error = without_colours("".join(traceback.format_exception(type(exc), exc, tb)))
            lines = error.rstrip().splitlines()
            if len(lines) > 40:
                lines = [*lines[:5], "...", *lines[-30:]]
            block.error = "\n".join(lines)
            block.summary = one_line(exc, limit=300)
    text = without_colours(output.getvalue())
    if len(text) > OUTPUT_LIMIT:
        text = text[:OUTPUT_LIMIT] + f"\n... ({len(text) - OUTPUT_LIMIT} more characters)\n"
    block.output = text
    return block


def _takes_positional_inputs(name: str) -> bool:
    """Whether the registered layer ``name`` is called with its inputs as separate arguments,
    as the kit calls it (``_models._example.call_args``)."""
    import layer_registry
    from layer_registry._models._example import takes_positional_inputs

    try:
        return takes_positional_inputs(layer_registry.get(name))
    except Exception:  # the generated example then shows why the layer cannot be had
        return False


def _docstring_block(job: dict[str, Any], number: int, code: str, preamble: str) -> BlockResult:
    """One docstring example, run after the preamble in a namespace of its own."""
    title = f"Docstring example {number}"
    namespace: dict[str, Any] = {"__name__": "__main__"}
    if preamble:
        ran = _execute(preamble, namespace, f"<docstring preamble of {job['name']}>", title)
        if ran.error is not None:
            ran.code, ran.output = code, ""
            ran.summary = f"the preamble raised {ran.summary}"
            return ran
    return _execute(code, namespace, f"<docstring example {number} of {job['name']}>", title)


def _run_job(job: dict[str, Any], recorder: _Recorder) -> dict[str, Any]:
    import keras

    recorder.reset()
    result = ExampleResult(job["name"], job["key"])
    # Keras numbers auto-named layers per process: start each job afresh, so that a page reads
    # the same whichever examples ran before it on this worker.
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    code = job["code"]
    if job.get("positional_code") and _takes_positional_inputs(job["name"]):
        code = job["positional_code"]
    namespace: dict[str, Any] = {"__name__": "__main__"}
    first = _execute(code, namespace, f"<example of {job['name']}>", "The generated example")
    result.blocks.append(first)
    layer = namespace.get("layer")
    if first.error is None and isinstance(layer, keras.layers.Layer):
        _describe_layer(layer, result, recorder)
        if job.get("plot"):
            try:
                draw(layer, namespace["x"], Path(job["plot_path"]))
                result.plot = True
            except Exception as exc:
                result.plot_error = one_line(exc)
    for number, block in enumerate(job.get("blocks", ()), start=1):
        keras.utils.set_random_seed(0)
        result.blocks.append(_docstring_block(job, number, block, job.get("preamble", "")))
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


def worker_main() -> int:
    """Serve jobs read as JSON lines on stdin; reply on the private channel, one line each."""
    # Whatever an example (or TensorFlow's C++ side) prints must not corrupt the replies.
    replies = _child.channel()
    import keras  # noqa: F401  (TensorFlow starts here, before the first job's clock)
    import numpy  # noqa: F401

    recorder = _Recorder()
    recorder.install()
    _child.send(replies, ready=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        _child.send(replies, **_run_job(json.loads(line), recorder))
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
