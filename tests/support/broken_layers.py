"""Layers with one deliberate bug each, to calibrate the conformance kit: no misses.

Each is an affine map `y = x @ W + b` over inputs of shape `(8, 3)` (the example `{"units": 4}`)
plus exactly one bug; ``EXPECTED`` says which check must catch it. They are registered with
Keras (package ``calibration``) so that everything but their bug passes, and they live in this
importable module so that a fresh process can load them as ``support.broken_layers:ClassName``.
"""

import keras
import tensorflow as tf
from keras import ops

_register = keras.saving.register_keras_serializable(package="calibration")


class _Affine(keras.layers.Layer):
    """An affine map, `y = x @ W + b`, the correct base the broken layers start from.

    Example:

    ```python
    layer = _Affine(units=4)
    ```
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class ForgetsConfigArgument(_Affine):
    """An affine map with an activation that `get_config` forgets.

    Example:

    ```python
    layer = ForgetsConfigArgument(units=4, activation="relu")
    ```
    """

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(units, **kwargs)
        self.activation = keras.activations.get(activation)

    def call(self, inputs):
        return self.activation(super().call(inputs))

    # The bug: no "activation" in the config, so from_config falls back to the default.


@_register
class WeightsInInit(keras.layers.Layer):
    """An affine map whose weights are made in `__init__` for a fixed input size of 32.

    Example:

    ```python
    layer = WeightsInInit(units=4)
    ```
    """

    def __init__(self, units, input_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        # The bug: the input size is fixed here instead of read from the input in build().
        self.w = self.add_weight(shape=(input_dim, units), name="kernel")
        self.b = self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units, "input_dim": self.input_dim}


@_register
class BatchSizedWeights(_Affine):
    """An affine map with a per-row scale whose weight is sized by the batch axis.

    Example:

    ```python
    layer = BatchSizedWeights(units=4)
    ```
    """

    def build(self, input_shape):
        super().build(input_shape)
        # The bug: input_shape[0] is the batch size, not a feature axis.
        self.scale = self.add_weight(shape=(input_shape[0], 1), initializer="ones", name="scale")

    def call(self, inputs):
        return super().call(inputs) * self.scale


@_register
class UnusedWeight(_Affine):
    """An affine map with a third weight that the computation never uses.

    Example:

    ```python
    layer = UnusedWeight(units=4)
    ```
    """

    def build(self, input_shape):
        super().build(input_shape)
        # The bug: created, trainable, and never read in call().
        self.extra = self.add_weight(shape=(self.units,), name="extra")


@_register
class TensorFlowOps(_Affine):
    """An affine map computed with `tf.matmul`, so it only runs on TensorFlow.

    Example:

    ```python
    layer = TensorFlowOps(units=4)
    ```
    """

    def call(self, inputs):
        # The bug: tf.* instead of keras.ops.
        return tf.matmul(inputs, self.w) + self.b


@_register
class ForgetsSublayer(keras.layers.Layer):
    """A scaled dense sublayer whose `build` forgets to build the sublayer.

    Example:

    ```python
    layer = ForgetsSublayer(units=4)
    ```
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, bias_initializer="ones")

    def build(self, input_shape):
        # The bug: no self.dense.build(input_shape), so a reloaded model has nowhere to put the
        # sublayer's weights until the first call creates fresh ones.
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

    def call(self, inputs):
        return self.dense(inputs) * self.scale

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class UnsyncedState(_Affine):
    """An affine map that also counts the sum of its inputs in a variable updated in `call`.

    Example:

    ```python
    layer = UnsyncedState(units=4)
    ```
    """

    def build(self, input_shape):
        super().build(input_shape)
        # The bug: the default aggregation ("none"), so each replica keeps its own count.
        self.total = self.add_weight(
            shape=(), initializer="zeros", trainable=False, autocast=False, name="total"
        )

    def call(self, inputs):
        self.total.assign(self.total + ops.cast(ops.sum(inputs), self.total.dtype))
        return super().call(inputs)


@_register
class Float32Cast(_Affine):
    """An affine map that casts its input to float32 whatever the dtype policy says.

    Example:

    ```python
    layer = Float32Cast(units=4)
    ```
    """

    def call(self, inputs):
        # The bug: a hard-coded dtype instead of self.compute_dtype.
        return super().call(ops.cast(inputs, "float32"))


EXPECTED = {
    ForgetsConfigArgument: "config_roundtrip",
    WeightsInInit: "call",
    BatchSizedWeights: "batch_independent",
    UnusedWeight: "gradients",
    TensorFlowOps: "backend_portable",
    ForgetsSublayer: "saving",
    UnsyncedState: "distributed",
    Float32Cast: "mixed_precision",
}
"""Each broken layer and the one check that must fail for it."""
