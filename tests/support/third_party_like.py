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
]
"""The layers above, as ``run_checks`` takes them: each passes every check but
``BuildTimeBatch``, which fails ``output_shape`` (see ``EXPECTED``)."""

EXPECTED = {"third_party_like>BuildTimeBatch": {"output_shape": "fail"}}
"""Statuses other than ``pass``, by layer and check."""
