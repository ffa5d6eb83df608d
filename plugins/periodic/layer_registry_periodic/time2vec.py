"""The `Time2Vec` layer."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


class Time2Vec(keras.layers.Layer):
    """Learned vector representation of time: one linear and `units - 1` sine components.

    Implements Time2Vec from Kazemi et al. (2019), "Time2Vec: Learning a Vector
    Representation of Time". For a scalar time value `tau` the paper defines

        t2v(tau)[0] = omega_0 * tau + phi_0
        t2v(tau)[i] = sin(omega_i * tau + phi_i),   i = 1, ..., units - 1

    with trainable frequencies `omega` and phases `phi`. The paper's `tau` is a
    scalar, so each of the `F` entries of the last input axis is treated as its
    own scalar time value with its own parameters: `omega` and `phi` have shape
    `(F, units)` and the `F` results are concatenated feature by feature, so
    output entry `f * units + i` is `t2v(x[..., f])[i]`. With `F = 1` (a single
    time stamp per step) the output is exactly the paper's `units`-dimensional
    vector. `omega` and `phi` are initialised uniformly in `[-1, 1]`.

    Args:
        units: Positive integer, the size of the representation of each input
            feature (one linear component plus `units - 1` periodic ones).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., features)`; the last axis must
        be known.

    Output shape:
        N-D tensor with shape `(batch_size, ..., features * units)`.

    Example:

    ```python
    import numpy as np
    from layer_registry_periodic import Time2Vec

    t = np.arange(16, dtype="float32").reshape(1, 16, 1).repeat(4, axis=0)
    y = Time2Vec(units=8)(t)
    print(y.shape)  # (4, 16, 8)
    ```
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(
                "`units` must be a positive integer (at least 1). "
                f"Received: units={units!r}"
            )
        self.units = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "The last axis of the input of `Time2Vec` must be known. "
                f"Received: input_shape={input_shape}"
            )
        self.omega = self.add_weight(
            shape=(features, self.units),
            initializer=keras.initializers.RandomUniform(-1.0, 1.0),
            name="omega",
        )
        self.phi = self.add_weight(
            shape=(features, self.units),
            initializer=keras.initializers.RandomUniform(-1.0, 1.0),
            name="phi",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=1, axes={-1: features})

    def call(self, inputs: Any) -> Any:
        features = self.omega.shape[0]
        width = features * self.units
        # Repeating each feature `units` times keeps the result a plain
        # element-wise expression over the last axis (no dynamic reshape), so
        # it traces identically under XLA and on every backend.
        tau = ops.repeat(inputs, self.units, axis=-1)
        v = tau * ops.reshape(self.omega, (width,)) + ops.reshape(self.phi, (width,))
        is_linear = ops.equal(ops.mod(ops.arange(width), self.units), 0)
        return ops.where(is_linear, v, ops.sin(v))

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        features = input_shape[-1]
        width = None if features is None else features * self.units
        return (*input_shape[:-1], width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}
