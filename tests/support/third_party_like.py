"""Small layers that behave as some third-party ones do, to calibrate the conformance kit.

Each reproduces one behaviour (not the code) of a library layer that the kit once misjudged,
or that needs what registration can give: a layer or tensor argument, a set-up step. They are
registered with Keras (package ``third_party_like``) and live in this importable module, so that
a fresh process can load them, and their example and set-up functions, by ``module:name``.
"""

import keras
import numpy as np
from keras import ops

_register = keras.saving.register_keras_serializable(package="third_party_like")


@_register
class ExplainsOnItsSecondLine(keras.layers.Layer):
    """A layer whose error says what is wrong only after its first line.

    Example:

    ```python
    layer = ExplainsOnItsSecondLine()
    ```
    """

    def call(self, inputs):
        raise ValueError(
            f"{type(self).__name__} cannot take this input.\n\n"
            f"It needs inputs of rank 3, got shape {tuple(inputs.shape)}.\n"
        )


@_register
class RebuildsInnerInPlace(keras.layers.Layer):
    """Applies an inner layer; ``from_config`` rebuilds it inside the dict it is given.

    As ``keras.layers.RNN`` does with its cell: the config it was handed is changed, while the
    layer saves and reloads identically.

    Example:

    ```python
    layer = RebuildsInnerInPlace(inner=keras.layers.Dense(4))
    ```
    """

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def build(self, input_shape):
        if not self.inner.built:  # a deserialized inner layer comes built
            self.inner.build(input_shape)

    def call(self, inputs):
        return self.inner(inputs)

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "inner": keras.saving.serialize_keras_object(self.inner)}

    @classmethod
    def from_config(cls, config):
        config["inner"] = keras.saving.deserialize_keras_object(config["inner"])
        return cls(**config)


def inner_dense():
    """The example of ``RebuildsInnerInPlace``: a new inner layer each time."""
    return {"inner": keras.layers.Dense(4)}


def simple_rnn_cell():
    """The example of ``keras.layers.RNN``: a new cell each time."""
    return {"cell": keras.layers.SimpleRNNCell(3)}


@_register
class RenamedEmbedding(keras.layers.Embedding):
    pass  # documented by its parent, as keras-hub's ReversibleEmbedding is


@_register
class BuildTimeBatch(keras.layers.Layer):
    """A dense map whose ``compute_output_shape`` answers with the batch size it was built with.

    Example:

    ```python
    layer = BuildTimeBatch(units=8)
    ```
    """

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.batch_size = input_shape[0]
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        return (self.batch_size, self.units)  # the bug: not input_shape[0]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class GatedByState(keras.layers.Layer):
    """Gates its inputs by a second tensor, ``call(inputs, states)``, as a recurrent cell does.

    Example:

    ```python
    layer = GatedByState()
    ```
    """

    def build(self, inputs_shape, states_shape):
        self.kernel = self.add_weight(shape=(states_shape[-1], inputs_shape[-1]), name="kernel")

    def call(self, inputs, states):
        return inputs * ops.sigmoid(ops.matmul(states, self.kernel))

    def compute_output_shape(self, inputs_shape, states_shape):
        return inputs_shape

    def get_config(self):
        return super().get_config()


@_register
class ScoresCandidates(keras.layers.Layer):
    """Scores each input against candidates set by ``update_candidates()`` before any call.

    As a retrieval layer's candidates matrix: a tensor, set after construction.

    Example:

    ```python
    layer = ScoresCandidates(units=4)
    layer.update_candidates(np.ones((6, 4), "float32"))
    ```
    """

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.candidates = None

    def update_candidates(self, candidates):
        self.candidates = ops.convert_to_tensor(candidates)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        if self.candidates is None:
            raise ValueError("call update_candidates(candidates) before calling the layer")
        candidates = ops.cast(self.candidates, self.compute_dtype)
        return ops.matmul(ops.matmul(inputs, self.kernel), ops.transpose(candidates))

    def compute_output_shape(self, input_shape):
        # Known without the candidates: a model holding the layer loads before they are set.
        count = None if self.candidates is None else self.candidates.shape[0]
        return (*input_shape[:-1], count)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def set_candidates(layer):
    """The setup of ``ScoresCandidates``: six fixed candidates."""
    layer.update_candidates(np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(6, 4))


@_register
class KeepsFloat32Pixels(keras.layers.Layer):
    """Rescales pixels, always in float32: its constructor fixes its own dtype policy.

    As an image converter that keeps float32 pixels whatever the global policy: under
    ``mixed_float16`` its compute dtype is float32, and so are its outputs.

    Example:

    ```python
    layer = KeepsFloat32Pixels(scale=1 / 255)
    ```
    """

    def __init__(self, scale=1 / 255, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return ops.cast(inputs, self.compute_dtype) * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@_register
class AnchorsOfTheImageSize(keras.layers.Layer):
    """One box per pixel of the image, scaled by a trained factor; the same for every image.

    As an anchor generator: the output depends only on the image size, so it has no batch axis.

    Example:

    ```python
    layer = AnchorsOfTheImageSize()
    ```
    """

    def build(self, input_shape):
        self.size = self.add_weight(shape=(), initializer="ones", name="size")

    def call(self, images):
        height, width = images.shape[1], images.shape[2]
        rows = ops.repeat(ops.arange(height, dtype=self.compute_dtype), width)
        columns = ops.tile(ops.arange(width, dtype=self.compute_dtype), [height])
        half = ops.cast(self.size, self.compute_dtype) / 2
        return ops.stack([rows - half, columns - half, rows + half, columns + half], axis=-1)

    def get_config(self):
        return super().get_config()


@_register
class ScoresAndLabels(keras.layers.Layer):
    """Class scores and, as int32, the best class of each sample.

    As a detection head or non-maximum suppression: a float output with integer ones.

    Example:

    ```python
    layer = ScoresAndLabels(classes=3)
    ```
    """

    def __init__(self, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.classes), name="kernel")

    def call(self, inputs):
        scores = ops.matmul(inputs, self.kernel)
        return {"scores": scores, "labels": ops.cast(ops.argmax(scores, axis=-1), "int32")}

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


@_register
class MaskedByBool(keras.layers.Layer):
    """A dense map of each token, zeroed where a bool mask is False: ``layer([tokens, mask])``.

    As a decoder taking a padding mask: one of its inputs is bool.

    Example:

    ```python
    layer = MaskedByBool(units=3)
    ```
    """

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[0][-1], self.units), name="kernel")

    def call(self, inputs):
        tokens, mask = inputs
        keep = ops.expand_dims(ops.cast(mask, self.compute_dtype), -1)
        return ops.matmul(tokens, self.kernel) * keep

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class PromptsByKeyword(keras.layers.Layer):
    """Embeds point prompts given by keyword only: ``layer(points=..., labels=...)``.

    As a prompt encoder: ``input_shape`` cannot say how to call it, so it is registered
    without one.

    Example:

    ```python
    layer = PromptsByKeyword(units=4)
    ```
    """

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units)

    def call(self, *, points=None, labels=None):
        embedded = self.dense(points)
        if labels is not None:
            embedded = embedded * ops.expand_dims(ops.cast(labels, embedded.dtype), -1)
        return embedded

    def get_config(self):
        return {**super().get_config(), "units": self.units}


CALIBRATION = [
    {"layer": RebuildsInnerInPlace, "example": inner_dense, "input_shape": (4, 5)},
    {"layer": keras.layers.RNN, "example": simple_rnn_cell, "input_shape": (4, 6, 2)},
    {
        "layer": RenamedEmbedding,
        "example": {"input_dim": 10, "output_dim": 3},
        "input_shape": (4, 6),
        "input_dtype": "int32",
    },
    {"layer": BuildTimeBatch, "input_shape": (4, 3)},
    {"layer": GatedByState, "input_shape": [(4, 3), (4, 5)]},
    {"layer": ScoresCandidates, "input_shape": (4, 3), "setup": set_candidates},
    {"layer": KeepsFloat32Pixels, "input_shape": (4, 6, 6, 3)},
    {"layer": AnchorsOfTheImageSize, "input_shape": (4, 6, 5, 3)},
    {"layer": ScoresAndLabels, "input_shape": (4, 5)},
    {"layer": MaskedByBool, "input_shape": [(4, 5, 3), (4, 5)], "input_dtype": ["float32", "bool"]},
    {"layer": PromptsByKeyword},
]
"""The layers above, as ``run_checks`` takes them: each passes every check but
``BuildTimeBatch``, which fails ``output_shape``, and ``PromptsByKeyword``, registered without
an example input, whose checks that call it skip (see ``EXPECTED``)."""

_CALLED = ("call", "batch_independent", "output_shape", "saving", "gradients", "jit_compile")
_CALLED += ("mixed_precision", "distributed", "backend_portable")

EXPECTED = {
    "third_party_like>BuildTimeBatch": {"output_shape": "fail"},
    "third_party_like>PromptsByKeyword": dict.fromkeys(_CALLED, "skip"),
}
"""Statuses other than ``pass``, by layer and check."""
