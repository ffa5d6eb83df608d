"""The checks of training: ``gradients``, ``jit_compile`` and ``mixed_precision``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from layer_registry._errors import one_line
from layer_registry._models._example import call_args
from layer_registry.testing._checks import CheckFailed
from layer_registry.testing._checks import CheckSkipped
from layer_registry.testing._checks import needs_input
from layer_registry.testing._checks import weight_name
from layer_registry.testing._subject import Subject
from layer_registry.testing._subject import dtype_name
from layer_registry.testing._subject import flatten
from layer_registry.testing._subject import is_float
from layer_registry.testing._subject import model_inputs

# -- gradients ----------------------------------------------------------------------------------


def random_projections(outputs: Sequence[Any], seed: int = 7) -> list[Any]:
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

    needs_input(subject)
    layer = subject.make()
    inputs = subject.inputs()
    floats = [o for o in flatten(subject.call(layer, inputs)) if is_float(o)]
    weights = list(layer.trainable_weights)
    if not weights:
        return "the layer has no trainable weights"
    if not floats:
        raise CheckSkipped("skipped: the layer has no floating-point output to differentiate")
    projections = random_projections(floats)
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
        name = weight_name(weight)
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


def compile_and_fit(
    subject: Subject, model: Any, inputs: Sequence[Any], **compile_args: Any
) -> float:
    """One epoch of one batch of ``model.fit``; returns the loss.

    The loss is sum(mean(output * projection)) over the float outputs, computed by the training
    step itself rather than paired with per-sample targets: an output without a batch axis
    (anchors that depend only on the image size) or an integer output (labels, counts) then
    needs no target, and ``fit`` is given none. ``inputs`` may hold several batches of the
    example's size (one per replica): each replica's outputs have the example's shapes.
    """
    import keras

    batch = subject.batch_size
    outputs = flatten(model(model_inputs([array[:batch] for array in inputs])))
    floats = [o for o in outputs if is_float(o)]
    if not floats:
        raise CheckSkipped("skipped: the layer has no floating-point output to train on")
    bools = [a.dtype == bool for a in inputs]
    trained = _with_projected_loss(
        model, random_projections(floats, 11), bools if any(bools) else []
    )
    trained.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), **compile_args)
    # Bool inputs go in as uint8 and are cast back in the step: MirroredStrategy cannot
    # distribute bool data (plain Keras's fit fails on it: AddN has no bool kernel).
    given = [a.astype("uint8") if a.dtype == bool else a for a in inputs]
    history = trained.fit(
        model_inputs(given), batch_size=len(inputs[0]), epochs=1, shuffle=False, verbose=0
    )
    return float(history.history["loss"][-1])


def _with_projected_loss(model: Any, projections: Sequence[Any], bools: Sequence[bool]) -> Any:
    """``model`` in a model whose training step's loss is its float outputs, projected;
    the inputs flagged in ``bools`` arrive as uint8 and are cast back to bool."""
    import keras

    class ProjectedLoss(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def call(self, inputs: Any, training: bool | None = None) -> Any:
            if bools:
                given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
                inputs = model_inputs(
                    [
                        keras.ops.cast(a, "bool") if b else a
                        for a, b in zip(given, bools, strict=True)
                    ]
                )
            return self.inner(inputs, training=training)

        def compute_loss(
            self,
            x: Any = None,
            y: Any = None,
            y_pred: Any = None,
            sample_weight: Any = None,
            training: bool = True,
        ) -> Any:
            chosen = [o for o in flatten(y_pred) if is_float(o)]
            return sum(
                keras.ops.mean(keras.ops.cast(o, "float32") * p)
                for o, p in zip(chosen, projections, strict=True)
            )

    return ProjectedLoss()


def check_jit_compile(subject: Subject) -> str | None:
    """A ``fit`` step of a model holding the layer works with ``jit_compile=True`` (XLA)."""
    needs_input(subject)
    model = subject.model(subject.make())
    try:
        loss = compile_and_fit(subject, model, subject.inputs(), jit_compile=True)
    except CheckSkipped:
        raise
    except Exception as exc:
        raise CheckFailed(f"a training step with jit_compile=True raised {one_line(exc)}") from exc
    if not math.isfinite(loss):
        raise CheckFailed(f"a training step with jit_compile=True gives a loss of {loss}")
    return None


# -- mixed_precision ----------------------------------------------------------------------------


def check_mixed_precision(subject: Subject) -> str | None:
    """Under ``mixed_float16`` the layer outputs its compute dtype (float16 unless it fixes its
    own policy) and keeps float32 variables."""
    import keras

    needs_input(subject)
    fixed = subject.arguments().get("dtype")
    if fixed is not None:
        raise CheckSkipped(f"skipped: the example fixes dtype={fixed!r}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = subject.make()
        outputs = flatten(subject.call(layer, subject.inputs()))
    except Exception as exc:
        raise CheckFailed(
            f"under the mixed_float16 policy calling the layer raised {one_line(exc)}: a "
            "hard-coded dtype or cast (such as ops.cast(x, 'float32')) mixing with float16? use "
            "self.compute_dtype"
        ) from exc
    finally:
        keras.mixed_precision.set_global_policy(previous)
    # Judged against the layer's own compute dtype: a layer that fixes its policy at float32
    # whatever the global one (an image converter keeping float32 pixels, say) is right to
    # return float32; only one computing in float16 must return float16.
    compute = str(keras.backend.standardize_dtype(layer.compute_dtype))
    wrong = sorted({dtype_name(o) for o in outputs if is_float(o) and dtype_name(o) != compute})
    if wrong:
        raise CheckFailed(
            f"under the mixed_float16 policy the layer returns {', '.join(wrong)}, not its "
            f"compute dtype {compute}: a hard-coded dtype or cast (such as "
            "ops.cast(x, 'float32'))? use self.compute_dtype"
        )
    variables = [
        f"{weight_name(w)} ({dtype_name(w)})"
        for w in layer.weights
        if is_float(w) and dtype_name(w) != "float32"
    ]
    if variables:
        raise CheckFailed(
            "under the mixed_float16 policy these variables are not float32: "
            + ", ".join(variables)
            + "; create them with the layer's variable dtype (self.variable_dtype)"
        )
    if compute != "float16":
        return (
            f"its dtype policy ({layer.dtype_policy.name}) computes in {compute} whatever the "
            f"global policy: judged against {compute}"
        )
    return None
