import keras
from keras import ops


class CustomInitLayer(keras.layers.Layer):
    """An affine map with Glorot-normal weights and a bias of ones, `y = x @ W + b`.

    The tutorial's "custom initialization" layer, where the initialisation is configuration:
    `W` starts Glorot-normal and `b` at one by default, and both initializers are constructor
    arguments that round-trip through `get_config`.

    Args:
        units: Positive integer, the size of the output.
        kernel_initializer: Initializer for `W`. Defaults to `"glorot_normal"`.
        bias_initializer: Initializer for `b`. Defaults to `"ones"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., input_dim)`.

    Output shape:
        N-D tensor with shape `(batch_size, ..., units)`.

    Example:

    ```python
    import numpy as np
    from layer_registry_examples import CustomInitLayer

    layer = CustomInitLayer(units=2)
    y = layer(np.zeros((1, 3), dtype="float32"))
    print(np.asarray(y))  # [[1. 1.]]: a zero input shows the bias of ones
    ```
    """

    def __init__(
        self, units, kernel_initializer="glorot_normal", bias_initializer="ones", **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer=self.bias_initializer, name="bias"
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
