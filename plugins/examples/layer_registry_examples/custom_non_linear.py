import keras
from keras import ops


class CustomNonLinear(keras.layers.Layer):
    """A sinusoidal unit with a trainable frequency, `y = sin(a * (x @ W + b))`.

    An affine map followed by a sine whose per-unit frequency `a` is learnt along with the
    kernel and bias: the tutorial's example of a layer with more than the usual two weights.

    Args:
        units: Positive integer, the size of the output.
        kernel_initializer: Initializer for `W`. Defaults to `"random_normal"`.
        bias_initializer: Initializer for `b`. Defaults to `"zeros"`.
        frequency_initializer: Initializer for `a`. Defaults to `"random_normal"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., input_dim)`.

    Output shape:
        N-D tensor with shape `(batch_size, ..., units)`, values in `[-1, 1]`.

    Example:

    ```python
    import numpy as np
    from layer_registry_examples import CustomNonLinear

    layer = CustomNonLinear(units=3)
    y = layer(np.ones((2, 5), dtype="float32"))
    print(tuple(y.shape), float(np.max(np.abs(y))) <= 1.0)  # (2, 3) True
    ```
    """

    def __init__(
        self,
        units,
        kernel_initializer="random_normal",
        bias_initializer="zeros",
        frequency_initializer="random_normal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.frequency_initializer = keras.initializers.get(frequency_initializer)

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer=self.bias_initializer, name="bias"
        )
        self.a = self.add_weight(
            shape=(self.units,), initializer=self.frequency_initializer, name="frequency"
        )

    def call(self, inputs):
        return ops.sin(self.a * (ops.matmul(inputs, self.w) + self.b))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "frequency_initializer": keras.initializers.serialize(self.frequency_initializer),
        }
