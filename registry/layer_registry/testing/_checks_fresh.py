"""The checks that run in a fresh process: ``saving``, ``distributed``, ``backend_portable``.

``prepare_artifacts`` runs in this process and leaves what ``saving`` and ``backend_portable``
compare against; ``_subprocess`` runs the checks themselves, one process per Keras backend.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layer_registry._errors import one_line
from layer_registry.testing._checks import NUMERIC_TOLERANCE
from layer_registry.testing._checks import TOLERANCE
from layer_registry.testing._checks import CheckFailed
from layer_registry.testing._checks import CheckSkipped
from layer_registry.testing._checks import needs_input
from layer_registry.testing._checks import weight_name
from layer_registry.testing._checks_training import compile_and_fit
from layer_registry.testing._subject import Subject
from layer_registry.testing._subject import difference
from layer_registry.testing._subject import dtype_name
from layer_registry.testing._subject import flatten
from layer_registry.testing._subject import is_float
from layer_registry.testing._subject import model_inputs
from layer_registry.testing._subject import numpy


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

    if subject.input_shape is None:
        return Artifacts(directory)  # nothing to run: the checks that need it skip
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
        return Artifacts(str(folder), save_error=one_line(exc))
    return Artifacts(str(folder))


_SUBLAYER_HINT = (
    "; weights were lost or re-initialised on load: build() must create every weight, "
    "including its sublayers' (call sublayer.build(shape)), so that Keras can restore them"
)


def check_saving(subject: Subject, artifacts: Artifacts) -> str | None:
    """A model holding the layer, saved to .keras, loads in a fresh process with equal outputs."""
    import warnings

    import keras

    needs_input(subject)
    if artifacts.save_error:
        raise CheckFailed(f"model.save('model.keras') raised {artifacts.save_error}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = keras.saving.load_model(artifacts.model_path)
        except Exception as exc:
            reason = f"keras.saving.load_model in a fresh process raised {one_line(exc)}"
            if "could not be loaded" in str(exc) or "never built" in str(exc):
                reason += _SUBLAYER_HINT
            raise CheckFailed(reason) from exc
        loaded = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        if len(loaded) != 1 or type(loaded[0]).__name__ != subject.cls.__name__:
            raise CheckFailed(
                f"the reloaded model holds {loaded!r}, not one {subject.cls.__name__}"
            )
        subject.set_up(loaded[0])  # as its user would after loading it
        inputs = artifacts.arrays("inputs")
        outputs = numpy(flatten(model(model_inputs(inputs))))
    changed = difference(artifacts.arrays("outputs"), outputs, **TOLERANCE)
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

    needs_input(subject)
    replicas = int(strategy.num_replicas_in_sync)
    batch = subject.batch_size
    # Each replica gets the registered batch size, as in every other check.
    inputs = subject.inputs(batch=batch * replicas, seed=2)
    with strategy.scope():
        layer = subject.make()
        model = subject.model(layer)
        try:
            compile_and_fit(subject, model, inputs)
        except CheckSkipped:
            raise
        except Exception as exc:
            raise CheckFailed(
                f"a training step under MirroredStrategy ({replicas} replicas) raised "
                f"{one_line(exc)}"
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
        names = ", ".join(f"{weight_name(w)!r} (by up to {spread:.3g})" for w, spread in disagree)
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

    needs_input(subject)
    inputs = artifacts.arrays("inputs")
    expected = artifacts.arrays("outputs")
    weights = artifacts.arrays("weights")
    layer = subject.make()
    try:
        outputs = flatten(subject.call(layer, inputs))
    except Exception as exc:
        raise CheckFailed(
            f"under the JAX backend calling the layer raised {one_line(exc)}"
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
    changed = difference(expected, numpy(flatten(subject.call(layer, inputs))), **NUMERIC_TOLERANCE)
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
            f"under the JAX backend, model.predict (jax.jit) raised {one_line(exc)}"
            + _tensorflow_hint(subject.cls, exc)
        ) from exc
    changed = difference(expected, numpy(flatten(predicted)), **NUMERIC_TOLERANCE)
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
