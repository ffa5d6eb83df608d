"""The `Snake` layer."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


class Snake(keras.layers.Layer):
    """Snake activation with a trainable frequency per channel.

    Implements the Snake activation of Ziyin, Hartwig and Ueda (2020), "Neural
    Networks Fail to Learn Periodic Functions and How to Fix It":
    `outputs = x + sin(alpha * x)**2 / alpha`. It is monotonic like ReLU but
    periodic, which lets networks extrapolate periodic signals. `alpha` is a
    trainable vector with one entry per channel (the last input axis). The
    formula divides by `alpha`, so it must stay non-zero; the initial value
    should be positive.

    Args:
        alpha_initializer: Initial value of `alpha`: a positive float (every
            channel starts at that value; the paper uses values between 0.2
            and 50, 1.0 by default) or any Keras initializer (identifier,
            config dict or object).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., channels)`; the last axis must
        be known.

    Output shape:
        Same shape as the input.

    Example:

    ```python
    import numpy as np
    from layer_registry_periodic import Snake

    x = np.linspace(-4, 4, 32, dtype="float32").reshape(2, 16)
    y = Snake(alpha_initializer=2.0)(x)
    print(y.shape)  # (2, 16)
    ```
    """

    def __init__(self, alpha_initializer: Any = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(alpha_initializer, bool):
            raise ValueError(
                "`alpha_initializer` must be a positive float or a Keras "
                f"initializer. Received: alpha_initializer={alpha_initializer!r}"
            )
        if isinstance(alpha_initializer, (int, float)):
            if not math.isfinite(alpha_initializer) or alpha_initializer <= 0:
                raise ValueError(
                    "`alpha_initializer` must be positive when given as a "
                    "number, since the activation divides by alpha. "
                    f"Received: alpha_initializer={alpha_initializer!r}"
                )
            self.alpha_initializer: float | keras.initializers.Initializer = float(
                alpha_initializer
            )
        else:
            try:
                self.alpha_initializer = keras.initializers.get(alpha_initializer)
            except (ValueError, TypeError) as error:
                raise ValueError(
                    "`alpha_initializer` must be a positive float or a Keras "
                    f"initializer ({error}). "
                    f"Received: alpha_initializer={alpha_initializer!r}"
                ) from error
            if self.alpha_initializer is None:
                raise ValueError(
                    "`alpha_initializer` must be a positive float or a Keras "
                    f"initializer. Received: alpha_initializer={alpha_initializer!r}"
                )
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                "The last axis of the input of `Snake` must be known. "
                f"Received: input_shape={input_shape}"
            )
        initializer = self.alpha_initializer
        if isinstance(initializer, float):
            initializer = keras.initializers.Constant(initializer)
        self.alpha = self.add_weight(
            shape=(channels,), initializer=initializer, name="alpha"
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=1, axes={-1: channels})

    def call(self, inputs: Any) -> Any:
        return inputs + ops.square(ops.sin(self.alpha * inputs)) / self.alpha

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        initializer = self.alpha_initializer
        if not isinstance(initializer, float):
            initializer = keras.initializers.serialize(initializer)
        return {**super().get_config(), "alpha_initializer": initializer}
