import keras
from keras import ops


class CustomLinear(keras.layers.Layer):
    """A trainable affine map, `y = x @ W + b`.

    The layer of Keras's "making new layers" tutorial, complete: the kernel `W` has shape
    `(input_dim, units)` and the bias `b` shape `(units,)`; both are trainable and created in
    `build`, so the layer adapts to its input size.

    Args:
        units: Positive integer, the size of the output.
        kernel_initializer: Initializer for `W`. Defaults to `"random_normal"`.
        bias_initializer: Initializer for `b`. Defaults to `"zeros"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., input_dim)`.

    Output shape:
        N-D tensor with shape `(batch_size, ..., units)`.

    Example:

    ```python
    import numpy as np
    from layer_registry_examples import CustomLinear

    layer = CustomLinear(units=2)
    y = layer(np.ones((3, 4), dtype="float32"))
    print(tuple(y.shape))  # (3, 2)
    ```
    """

    def __init__(
        self, units, kernel_initializer="random_normal", bias_initializer="zeros", **kwargs
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
