"""One function per check. Each raises ``CheckFailed(reason)`` or returns a note (or None).

Every check builds its own layer from the registered example and feeds it random input of the
registered shape with the registered batch size; only ``batch_independent`` changes the batch.
``saving``, ``distributed`` and ``backend_portable`` run in a fresh process (see
``_subprocess``); ``prepare_artifacts`` makes what they need in this one.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import sys
import types
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layer_registry.testing._results import Status
from layer_registry.testing._subject import Subject
from layer_registry.testing._subject import call_args
from layer_registry.testing._subject import difference
from layer_registry.testing._subject import dtype_name
from layer_registry.testing._subject import flatten
from layer_registry.testing._subject import is_float
from layer_registry.testing._subject import model_inputs
from layer_registry.testing._subject import numpy


class CheckFailed(Exception):
    """The layer does not pass a check; the message says why, for the plugin's author."""


class CheckSkipped(Exception):
    """The check cannot run here; the message says why."""


# Constructor arguments that choose an implementation or give initial weights rather than
# what the layer computes: Keras's own layers leave these out of get_config, and so may yours.
UNSAVED_ARGUMENTS = frozenset({"weights", "use_cudnn", "flash_attention"})

_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
_NUMERIC_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow's op errors: "{{function_node __wrapped__...}} <message> [Op:MatMul] name: ".
_TF_WRAPPING = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\](\s*name:.*)?$")
_CAUSE = "Exception encountered:"
_NOISE = (
    "Exception encountered when calling",
    "Arguments received by",
    "•",
    "Graph execution error",
    "Detected at node",
)


def outcome(check: Callable[[], str | None]) -> tuple[Status, str]:
    """Run one check: ("pass", its note), ("fail", why) or ("skip", why); it never raises."""
    try:
        return "pass", check() or ""
    except CheckFailed as exc:
        return "fail", str(exc)
    except CheckSkipped as exc:
        return "skip", str(exc)
    except Exception as exc:
        return "fail", f"raised {describe_error(exc)}"


def describe_error(exc: BaseException, limit: int = 400) -> str:
    """``Type: message``, with Keras's and TensorFlow's wrapping stripped, on one line."""
    lines = [_TF_WRAPPING.sub("", _ANSI.sub("", line)).strip() for line in str(exc).splitlines()]
    meaningful = [line for line in lines if line and not line.startswith(_NOISE)]
    message = meaningful[0] if meaningful else ""
    causes = [line for line in meaningful[1:] if line.startswith(_CAUSE)]
    if causes:  # Keras's deserialization errors nest the root cause on their last such line
        message = f"{causes[-1].removeprefix(_CAUSE).strip()} (from: {message})"
    elif message.startswith("File ") and len(meaningful) > 1:
        message = meaningful[-1]
    elif message.endswith(":") and len(meaningful) > 1:
        message = f"{message} {meaningful[1]}"
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _shapes_text(shapes: Sequence[Sequence[Any]]) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


def _overrides(cls: type, method: str) -> bool:
    """Whether a class below Keras's base ``Layer`` defines ``method``."""
    import keras

    for klass in cls.__mro__:
        if klass is keras.layers.Layer:
            return False
        if method in vars(klass):
            return True
    return False


def _weight_name(weight: Any) -> str:
    return str(getattr(weight, "path", None) or weight.name)


# -- docstring ----------------------------------------------------------------------------------

_EXAMPLE_SECTION = re.compile(r"^\s*Examples?:\s*$", re.MULTILINE)


def check_docstring(subject: Subject) -> str | None:
    """The class has a docstring whose first line summarises it; an ``Example:`` is advised."""
    doc = vars(subject.cls).get("__doc__")
    text = inspect.cleandoc(doc) if isinstance(doc, str) else ""
    if not text.strip():
        inherited = next(
            (
                f"{base.__module__}.{base.__qualname__}"
                for base in subject.cls.__mro__[1:]
                if (vars(base).get("__doc__") or "").strip() and base.__module__ != "builtins"
            ),
            None,
        )
        what = (
            f"the class has no docstring of its own (help() shows {inherited}'s, but the registry "
            "reads the class's own)"
            if inherited and not inherited.startswith("keras.src.layers.layer.")
            else "the class has no docstring"
        )
        raise CheckFailed(
            f"{what}: its first line is the layer's summary on the site and in "
            "`layer-registry list`; add a docstring with a one-line summary"
        )
    if not _EXAMPLE_SECTION.search(text):
        return (
            "warning: the docstring has no `Example:` section; the site shows the registered "
            "example instead"
        )
    return None


# -- construct ----------------------------------------------------------------------------------


def check_construct(subject: Subject) -> str | None:
    """The class builds from the example's keyword arguments into a Keras layer."""
    import keras

    arguments = ", ".join(f"{key}={value!r}" for key, value in subject.example.items())
    try:
        layer = subject.make()
    except Exception as exc:
        raise CheckFailed(
            f"{subject.cls.__name__}({arguments}) raised {describe_error(exc)}"
        ) from exc
    if not isinstance(layer, keras.layers.Layer):
        raise CheckFailed(f"{subject.cls.__name__}({arguments}) is not a keras.layers.Layer")
    return None


# -- call ---------------------------------------------------------------------------------------


def check_call(subject: Subject) -> str | None:
    """An eager call returns backend tensors whose shapes and dtypes match the declared ones."""
    import keras

    if subject.input_shape is None:
        raise CheckFailed(
            "no input_shape is registered, so the layer cannot be called: register it with "
            "input_shape=(batch, ...) (a list of shapes for several inputs)"
        )
    shapes = subject.concrete_shapes()
    layer = subject.make()
    early = [(_weight_name(w), tuple(w.shape)) for w in layer.weights]
    try:
        outputs = flatten(subject.call(layer, subject.inputs()))
    except Exception as exc:
        reason = f"calling the layer on random input of shape {_shapes_text(shapes)} raised "
        reason += describe_error(exc)
        if early:
            made = ", ".join(f"{name} {shape}" for name, shape in early)
            reason += (
                f"; the layer made weights in __init__ for a fixed input size ({made}): create "
                "them in build(input_shape) from the input's shape"
            )
        raise CheckFailed(reason) from exc
    if not outputs:
        raise CheckFailed("the layer returned no tensor")
    for output in outputs:
        if not keras.ops.is_tensor(output):
            raise CheckFailed(
                f"the layer returned a {type(output).__module__}.{type(output).__qualname__}, not "
                f"a {keras.backend.backend()} tensor: compute with keras.ops"
            )
    eager_shapes = [tuple(output.shape) for output in outputs]
    if _overrides(type(layer), "compute_output_shape"):
        try:
            declared = subject.output_shapes_from_layer(layer, shapes)
        except Exception as exc:
            raise CheckFailed(
                f"compute_output_shape({_shapes_text(shapes)}) raised {describe_error(exc)}"
            ) from exc
        if not _shapes_match(declared, eager_shapes):
            raise CheckFailed(
                f"compute_output_shape gives {_shapes_text(declared)} but the call returned "
                f"{_shapes_text(eager_shapes)}"
            )
    try:
        symbolic = flatten(subject.call(subject.make(), subject.symbolic_inputs()))
    except Exception as exc:
        raise CheckFailed(
            "a symbolic call on keras.Input (as in a functional model) raised "
            + describe_error(exc)
        ) from exc
    symbolic_shapes = [tuple(t.shape) for t in symbolic]
    if not _shapes_match(symbolic_shapes, eager_shapes):
        raise CheckFailed(
            f"a symbolic call gives shape {_shapes_text(symbolic_shapes)} but an eager call "
            f"{_shapes_text(eager_shapes)}"
        )
    eager_dtypes = [dtype_name(t) for t in outputs]
    symbolic_dtypes = [dtype_name(t) for t in symbolic]
    if eager_dtypes != symbolic_dtypes:
        raise CheckFailed(
            f"a symbolic call gives dtype {', '.join(symbolic_dtypes)} but an eager call "
            f"{', '.join(eager_dtypes)}"
        )
    return None


def _shapes_match(declared: Sequence[Sequence[Any]], actual: Sequence[Sequence[Any]]) -> bool:
    if len(declared) != len(actual):
        return False
    for want, got in zip(declared, actual, strict=True):
        if len(want) != len(got):
            return False
        if any(w is not None and g is not None and w != g for w, g in zip(want, got, strict=True)):
            return False
    return True


# -- batch_independent --------------------------------------------------------------------------


def check_batch_independent(subject: Subject) -> str | None:
    """Another batch size works, gives the same per-sample outputs, and a None batch axis works."""
    batch = subject.batch_size
    other = batch + 1
    large = subject.inputs(batch=other, seed=1)
    small = [array[:batch] for array in large]
    layer = subject.make()
    small_outputs = numpy(flatten(subject.call(layer, small)))
    try:
        large_outputs = numpy(flatten(subject.call(layer, large)))
    except Exception as exc:
        raise CheckFailed(
            f"after a call with batch size {batch}, a call with batch size {other} raised "
            f"{describe_error(exc)}: are weights or state sized by the batch axis? build them "
            "from input_shape[1:]"
        ) from exc
    for index, (first, second) in enumerate(zip(small_outputs, large_outputs, strict=True)):
        if first.ndim and first.shape[0] == batch and second.shape[0] != other:
            raise CheckFailed(
                f"output {index} has batch size {second.shape[0]} for an input batch of {other}"
            )
    same_samples = [
        second[:batch] if first.ndim and first.shape[0] == batch else second
        for first, second in zip(small_outputs, large_outputs, strict=True)
    ]
    changed = difference(small_outputs, same_samples, **_NUMERIC_TOLERANCE)
    if changed:
        raise CheckFailed(
            f"the outputs for the same samples change with the batch size ({changed}): the layer "
            "mixes samples across the batch axis"
        )
    try:
        model = subject.model(subject.make(), batch=None)
    except Exception as exc:
        raise CheckFailed(
            "a functional model with a None batch axis (keras.Input(shape=...)) cannot hold the "
            f"layer: {describe_error(exc)}"
        ) from exc
    try:
        outputs = flatten(model(model_inputs(large)))
    except Exception as exc:
        raise CheckFailed(
            f"a functional model with a None batch axis fails on a batch of {other}: "
            f"{describe_error(exc)}"
        ) from exc
    batches = {o.shape[0] for o in outputs if len(o.shape)}
    if batches and batches != {other}:
        raise CheckFailed(
            f"a functional model with a None batch axis returns batch size {sorted(batches)} for "
            f"a batch of {other}"
        )
    return None


# -- config_roundtrip ---------------------------------------------------------------------------


def missing_arguments(cls: type, config: Mapping[str, Any]) -> list[str]:
    """Constructor arguments of ``cls`` that ``config`` leaves out.

    Arguments Keras's base ``Layer`` takes are its business, and an argument ``get_config``
    names (it may write it only when set, as ``Dense`` does ``lora_rank``) counts as handled.
    """
    import keras

    try:
        # mypy refuses __init__ on a class object; it is the constructor's signature we read.
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]  # type: ignore[misc]
        base = set(inspect.signature(keras.layers.Layer.__init__).parameters)
    except (TypeError, ValueError):
        return []
    source = ""
    for klass in cls.__mro__:
        if "get_config" in vars(klass):
            try:
                source = inspect.getsource(vars(klass)["get_config"])
            except (OSError, TypeError):
                source = ""
            break
    missing = []
    for parameter in parameters:
        name = parameter.name
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            continue
        if name in config or name in base or name in UNSAVED_ARGUMENTS:
            continue
        if re.search(rf"""["']{re.escape(name)}["']""", source):
            continue
        missing.append(name)
    return missing


def check_config_roundtrip(subject: Subject) -> str | None:
    """``from_config(get_config())`` rebuilds an equal layer from every constructor argument."""
    import keras

    layer = subject.make()
    inputs = subject.inputs()
    outputs = numpy(flatten(subject.call(layer, inputs)))
    try:
        config = layer.get_config()
    except Exception as exc:
        raise CheckFailed(
            f"get_config() raised {describe_error(exc)}: write a get_config that returns every "
            "constructor argument in a form Keras can serialize"
        ) from exc
    missing = missing_arguments(type(layer), config)
    if missing:
        names = ", ".join(repr(name) for name in missing)
        plural = len(missing) > 1
        raise CheckFailed(
            f"get_config() leaves out the constructor argument{'s' if plural else ''} {names}: "
            "from_config would rebuild the layer with "
            f"{'their defaults' if plural else 'its default'}; "
            f"add {'them' if plural else 'it'} to the dict get_config returns"
        )
    try:
        json.dumps(keras.saving.serialize_keras_object(layer))
    except Exception as exc:
        key = _unserializable_key(config)
        where = f"the config value of {key!r}" if key else "the config"
        raise CheckFailed(
            f"{where} cannot be written to JSON ({describe_error(exc)}): serialize object "
            "arguments in get_config (keras.saving.serialize_keras_object) and deserialize them "
            "in from_config"
        ) from exc
    try:
        clone = type(layer).from_config(config)
    except Exception as exc:
        reason = f"from_config(get_config()) raised {describe_error(exc)}"
        if "unexpected keyword argument" in str(exc):
            reason += (
                "; __init__ must accept **kwargs and pass them to super().__init__ (Keras's "
                "config holds name, trainable and dtype)"
            )
        raise CheckFailed(reason) from exc
    changed = _config_difference(config, clone.get_config())
    if changed:
        raise CheckFailed(f"from_config(get_config()) gives a different config: {changed}")
    subject.call(clone, inputs)
    if len(clone.weights) != len(layer.weights):
        raise CheckFailed(
            f"the layer rebuilt by from_config has {len(clone.weights)} weights, the original "
            f"{len(layer.weights)}"
        )
    try:
        clone.set_weights(layer.get_weights())
    except Exception as exc:
        raise CheckFailed(
            f"the original's weights do not fit the rebuilt layer: {describe_error(exc)}"
        ) from exc
    changed = difference(outputs, numpy(flatten(subject.call(clone, inputs))), **_TOLERANCE)
    if changed:
        raise CheckFailed(
            f"with the weights copied, the layer rebuilt by from_config gives other outputs "
            f"({changed}): does get_config leave out something that changes the computation?"
        )
    return None


def _unserializable_key(config: Mapping[str, Any]) -> str | None:
    import keras

    for key, value in config.items():
        try:
            json.dumps(keras.saving.serialize_keras_object(value))
        except Exception:
            return str(key)
    return None


def _config_difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    import numpy as np

    for key in sorted(set(before) | set(after)):
        if key not in after:
            return f"{key!r} is missing"
        if key not in before:
            return f"{key!r} appears"
        first, second = before[key], after[key]
        try:
            equal = (
                bool(np.array_equal(first, second))
                if isinstance(first, np.ndarray)
                else (first == second)
            )
        except Exception:
            equal = repr(first) == repr(second)
        if not equal:
            return f"{key!r} was {first!r}, is {second!r}"
    return ""


# -- serialization ------------------------------------------------------------------------------


def check_serialization(subject: Subject) -> str | None:
    """Keras serializes the layer by its registered name and resolves it with no custom_objects."""
    import keras

    layer = subject.make()
    subject.call(layer, subject.inputs())
    data = keras.saving.serialize_keras_object(layer)
    written = data.get("registered_name") if isinstance(data, dict) else None
    if subject.registered and written != subject.label:
        raise CheckFailed(
            f"Keras writes the layer as {written!r}, not its registry name {subject.label!r}: "
            "is the class registered with Keras under another name?"
        )
    try:
        restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(data)))
    except Exception as exc:
        hint = (
            ""
            if subject.registered
            else "; register the class with Keras "
            "(keras.saving.register_keras_serializable) or publish it in a layer-registry plugin"
        )
        raise CheckFailed(
            "deserialize_keras_object(serialize_keras_object(layer)) with no custom_objects "
            f"raised {describe_error(exc)}{hint}"
        ) from exc
    if type(restored) is not type(layer):
        raise CheckFailed(
            f"{written!r} deserializes to {type(restored).__module__}."
            f"{type(restored).__qualname__}, not "
            f"{type(layer).__module__}.{type(layer).__qualname__}"
        )
    return None


# -- gradients ----------------------------------------------------------------------------------


def _projections(outputs: Sequence[Any], seed: int = 7) -> list[Any]:
    """Fixed random weights for a loss sum(output * projection).

    Not sum(output ** 2): for outputs like [sin(v), cos(v)] that sum is constant, and every
    gradient would be zero by construction.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.standard_normal(size=tuple(o.shape)).astype("float32") for o in outputs]


def check_gradients(subject: Subject) -> str | None:
    """A training-mode loss gives every trainable weight a finite, non-zero gradient."""
    import keras
    import numpy as np

    layer = subject.make()
    inputs = subject.inputs()
    floats = [o for o in flatten(subject.call(layer, inputs)) if is_float(o)]
    weights = list(layer.trainable_weights)
    if not weights:
        return "the layer has no trainable weights"
    if not floats:
        raise CheckSkipped("skipped: the layer has no floating-point output to differentiate")
    projections = _projections(floats)
    backend = keras.backend.backend()

    def loss_of(outputs: Any) -> Any:
        chosen = [o for o in flatten(outputs) if is_float(o)]
        return sum(
            keras.ops.sum(keras.ops.cast(o, "float32") * p)
            for o, p in zip(chosen, projections, strict=True)
        )

    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_of(subject.call(layer, inputs, training=True))
        gradients = tape.gradient(loss, weights)
    elif backend == "jax":
        import jax

        args = call_args(layer, inputs)
        trainable = [w.value for w in weights]
        non_trainable = [w.value for w in layer.non_trainable_weights]

        def loss_fn(values: Any) -> Any:
            outputs, _ = layer.stateless_call(values, non_trainable, *args, training=True)
            return loss_of(outputs)

        gradients = jax.grad(loss_fn)(trainable)
    else:
        raise CheckSkipped(
            f"skipped: the gradients check runs on the tensorflow and jax backends, not {backend}"
        )
    problems = []
    for weight, gradient in zip(weights, gradients, strict=True):
        name = _weight_name(weight)
        if gradient is None:
            problems.append(f"{name!r} gets no gradient (it does not affect the output)")
            continue
        value = np.asarray(keras.ops.convert_to_numpy(gradient))
        if not np.all(np.isfinite(value)):
            problems.append(f"{name!r} gets a non-finite gradient")
        elif not np.any(value):
            problems.append(f"{name!r} gets an all-zero gradient")
    if problems:
        raise CheckFailed("after one training step, " + "; ".join(problems))
    return None


# -- jit_compile --------------------------------------------------------------------------------


def _compile_and_fit(
    subject: Subject, model: Any, inputs: Sequence[Any], **compile_args: Any
) -> float:
    """One epoch of one batch of ``model.fit`` on random targets; returns the loss.

    ``inputs`` may hold several batches of the example's size (one per replica).
    """
    import keras
    import numpy as np

    batch = subject.batch_size
    outputs = flatten(model(model_inputs([array[:batch] for array in inputs])))
    if not any(is_float(o) for o in outputs):
        raise CheckSkipped("skipped: the layer has no floating-point output to train on")
    repeat = len(inputs[0]) // batch
    targets = [
        np.concatenate([p] * repeat) if is_float(o) else None
        for o, p in zip(outputs, _projections(outputs, 11), strict=True)
    ]
    loss: Any = ["mse" if t is not None else None for t in targets]
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss=loss[0] if len(loss) == 1 else loss,
        **compile_args,
    )
    chosen = [t for t in targets if t is not None]
    return float(
        model.fit(
            model_inputs(inputs),
            chosen[0] if len(targets) == 1 else targets,
            batch_size=len(inputs[0]),
            epochs=1,
            shuffle=False,
            verbose=0,
        ).history["loss"][-1]
    )


def check_jit_compile(subject: Subject) -> str | None:
    """A ``fit`` step of a model holding the layer works with ``jit_compile=True`` (XLA)."""
    model = subject.model(subject.make())
    try:
        loss = _compile_and_fit(subject, model, subject.inputs(), jit_compile=True)
    except CheckSkipped:
        raise
    except Exception as exc:
        raise CheckFailed(
            f"a training step with jit_compile=True raised {describe_error(exc)}"
        ) from exc
    if not math.isfinite(loss):
        raise CheckFailed(f"a training step with jit_compile=True gives a loss of {loss}")
    return None


# -- mixed_precision ----------------------------------------------------------------------------


def check_mixed_precision(subject: Subject) -> str | None:
    """Under ``mixed_float16`` the layer outputs float16 and keeps float32 variables."""
    import keras

    if "dtype" in subject.example:
        raise CheckSkipped(f"skipped: the example fixes dtype={subject.example['dtype']!r}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = subject.make()
        outputs = flatten(subject.call(layer, subject.inputs()))
    except Exception as exc:
        raise CheckFailed(
            f"under the mixed_float16 policy calling the layer raised {describe_error(exc)}: a "
            "hard-coded dtype or cast (such as ops.cast(x, 'float32')) mixing with float16? use "
            "self.compute_dtype"
        ) from exc
    finally:
        keras.mixed_precision.set_global_policy(previous)
    wrong = sorted({dtype_name(o) for o in outputs if is_float(o) and dtype_name(o) != "float16"})
    if wrong:
        raise CheckFailed(
            f"under the mixed_float16 policy the layer returns {', '.join(wrong)}, not float16: "
            "a hard-coded dtype or cast (such as ops.cast(x, 'float32'))? use self.compute_dtype"
        )
    variables = [
        f"{_weight_name(w)} ({dtype_name(w)})"
        for w in layer.weights
        if is_float(w) and dtype_name(w) != "float32"
    ]
    if variables:
        raise CheckFailed(
            "under the mixed_float16 policy these variables are not float32: "
            + ", ".join(variables)
            + "; create them with the layer's variable dtype (self.variable_dtype)"
        )
    return None


# -- fresh-process checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Artifacts:
    """What this process leaves for the fresh one: a saved model, its inputs, outputs, weights."""

    directory: str
    save_error: str = ""

    @property
    def model_path(self) -> Path:
        return Path(self.directory) / "model.keras"

    def arrays(self, name: str) -> list[Any]:
        import numpy as np

        with np.load(Path(self.directory) / f"{name}.npz") as data:
            return [data[f"arr_{index}"] for index in range(len(data.files))]


def prepare_artifacts(subject: Subject, directory: str) -> Artifacts:
    """Build a model around the layer, give every float weight a non-default value, save it all.

    Shifting the weights away from their initial values makes weights that a reload loses (and
    re-initialises) show up in the outputs even when they start as zeros or ones.
    """
    import keras
    import numpy as np

    layer = subject.make()
    model = subject.model(layer)
    inputs = subject.inputs(seed=3)
    model(model_inputs(inputs))
    rng = np.random.default_rng(5)
    for weight in layer.weights:
        if is_float(weight):
            shift = rng.uniform(0.01, 0.1, size=tuple(weight.shape))
            weight.assign(keras.ops.convert_to_numpy(weight) + shift.astype(dtype_name(weight)))
    outputs = numpy(flatten(model(model_inputs(inputs))))
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "inputs.npz", *inputs)
    np.savez(folder / "outputs.npz", *outputs)
    np.savez(folder / "weights.npz", *layer.get_weights())
    try:
        model.save(folder / "model.keras")
    except Exception as exc:
        return Artifacts(str(folder), save_error=describe_error(exc))
    return Artifacts(str(folder))


_SUBLAYER_HINT = (
    "; weights were lost or re-initialised on load: build() must create every weight, "
    "including its sublayers' (call sublayer.build(shape)), so that Keras can restore them"
)


def check_saving(subject: Subject, artifacts: Artifacts) -> str | None:
    """A model holding the layer, saved to .keras, loads in a fresh process with equal outputs."""
    import warnings

    import keras

    if artifacts.save_error:
        raise CheckFailed(f"model.save('model.keras') raised {artifacts.save_error}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = keras.saving.load_model(artifacts.model_path)
        except Exception as exc:
            reason = f"keras.saving.load_model in a fresh process raised {describe_error(exc)}"
            if "could not be loaded" in str(exc) or "never built" in str(exc):
                reason += _SUBLAYER_HINT
            raise CheckFailed(reason) from exc
        inputs = artifacts.arrays("inputs")
        outputs = numpy(flatten(model(model_inputs(inputs))))
    loaded = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if len(loaded) != 1 or type(loaded[0]).__name__ != subject.cls.__name__:
        raise CheckFailed(f"the reloaded model holds {loaded!r}, not one {subject.cls.__name__}")
    changed = difference(artifacts.arrays("outputs"), outputs, **_TOLERANCE)
    if changed:
        reason = f"the model reloaded in a fresh process gives other outputs ({changed})"
        said = [str(w.message).splitlines()[0] for w in caught if "load" in str(w.message).lower()]
        if said:
            reason += f"; Keras warned: {said[0]}"
        raise CheckFailed(reason + _SUBLAYER_HINT)
    return None


def check_distributed(subject: Subject, strategy: Any) -> str | None:
    """One ``fit`` step under MirroredStrategy over two CPU replicas leaves them in agreement."""
    import numpy as np

    replicas = int(strategy.num_replicas_in_sync)
    batch = subject.batch_size
    # Each replica gets the registered batch size, as in every other check.
    inputs = subject.inputs(batch=batch * replicas, seed=2)
    with strategy.scope():
        layer = subject.make()
        model = subject.model(layer)
        try:
            _compile_and_fit(subject, model, inputs)
        except CheckSkipped:
            raise
        except Exception as exc:
            raise CheckFailed(
                f"a training step under MirroredStrategy ({replicas} replicas) raised "
                f"{describe_error(exc)}"
            ) from exc
    disagree = []
    for weight in layer.weights:
        if getattr(weight, "synchronization", "auto") == "on_read":
            continue  # aggregated when read, by design
        values = [np.asarray(v) for v in strategy.experimental_local_results(weight.value)]
        spread = max(
            (float(np.max(np.abs(v.astype("float64") - values[0]))) for v in values[1:]),
            default=0.0,
        )
        if spread > 1e-6 * max(1.0, float(np.max(np.abs(values[0]))) if values[0].size else 1.0):
            disagree.append((weight, spread))
    if disagree:
        names = ", ".join(f"{_weight_name(w)!r} (by up to {spread:.3g})" for w, spread in disagree)
        reason = (
            f"after one training step under MirroredStrategy over {replicas} replicas, the "
            f"replicas disagree on {names}"
        )
        if all(getattr(w, "aggregation", "none") == "none" for w, _ in disagree):
            reason += (
                ": state assigned in call() with the default aggregation ('none') is updated per "
                "replica; create it with add_weight(..., aggregation='mean') (or 'sum', or "
                "synchronization='on_read')"
            )
        raise CheckFailed(reason)
    return None


def check_backend_portable(subject: Subject, artifacts: Artifacts) -> str | None:
    """Under the JAX backend the layer runs, jit-compiles and matches TensorFlow's outputs."""
    import jax

    inputs = artifacts.arrays("inputs")
    expected = artifacts.arrays("outputs")
    weights = artifacts.arrays("weights")
    layer = subject.make()
    try:
        outputs = flatten(subject.call(layer, inputs))
    except Exception as exc:
        raise CheckFailed(
            f"under the JAX backend calling the layer raised {describe_error(exc)}"
            + _tensorflow_hint(subject.cls, exc)
        ) from exc
    for output in outputs:
        if not isinstance(output, jax.Array):
            kind = f"{type(output).__module__}.{type(output).__qualname__}"
            raise CheckFailed(
                f"under the JAX backend the layer returns a {kind}, not a JAX array"
                + (_tensorflow_hint(subject.cls, None) or ": compute with keras.ops")
            )
    if len(layer.get_weights()) != len(weights):
        raise CheckFailed(
            f"under the JAX backend the layer has {len(layer.get_weights())} weights, under "
            f"TensorFlow {len(weights)}"
        )
    layer.set_weights(weights)
    changed = difference(
        expected, numpy(flatten(subject.call(layer, inputs))), **_NUMERIC_TOLERANCE
    )
    if changed:
        raise CheckFailed(
            f"with the same weights, its outputs under JAX differ from TensorFlow's ({changed})"
        )
    compiled = subject.make()
    model = subject.model(compiled)
    model(model_inputs(inputs))
    compiled.set_weights(weights)
    try:
        predicted = model.predict(model_inputs(inputs), batch_size=len(inputs[0]), verbose=0)
    except Exception as exc:
        raise CheckFailed(
            f"under the JAX backend, model.predict (jax.jit) raised {describe_error(exc)}"
            + _tensorflow_hint(subject.cls, exc)
        ) from exc
    changed = difference(expected, numpy(flatten(predicted)), **_NUMERIC_TOLERANCE)
    if changed:
        raise CheckFailed(f"under jax.jit its outputs differ from TensorFlow's ({changed})")
    return None


def _tensorflow_hint(cls: type, exc: BaseException | None) -> str:
    """A pointer at tf.* calls when the layer's code uses TensorFlow directly."""
    modules = {klass.__module__ for klass in cls.__mro__} - {"builtins"}
    uses = False
    for name in modules:
        if name.startswith("keras"):
            continue
        module = sys.modules.get(name)
        for value in vars(module).values() if module else ():
            if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "tensorflow":
                uses = True
    if exc is not None and not uses:
        tb = exc.__traceback__
        while tb is not None:
            if "/tensorflow/" in tb.tb_frame.f_code.co_filename:
                uses = True
            tb = tb.tb_next
    if not uses:
        return ""
    return (
        ": the layer calls TensorFlow (tf.*) directly; use keras.ops so that it runs on every "
        "backend"
    )


IN_PROCESS: dict[str, Callable[[Subject], str | None]] = {
    "docstring": check_docstring,
    "construct": check_construct,
    "call": check_call,
    "batch_independent": check_batch_independent,
    "config_roundtrip": check_config_roundtrip,
    "serialization": check_serialization,
    "gradients": check_gradients,
    "jit_compile": check_jit_compile,
    "mixed_precision": check_mixed_precision,
}
