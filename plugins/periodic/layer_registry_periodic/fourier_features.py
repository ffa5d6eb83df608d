"""The `FourierFeatures` layer."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


class FourierFeatures(keras.layers.Layer):
    """Random Fourier feature mapping of low-dimensional coordinates.

    Implements the Gaussian Fourier feature mapping of Tancik et al. (2020),
    "Fourier Features Let Networks Learn High Frequency Functions in Low
    Dimensional Domains": `outputs = [cos(2 pi x B), sin(2 pi x B)]`, where the
    projection `B` has shape `(input_dim, units)` and entries drawn from
    `N(0, scale**2)`. Larger `scale` lets the following network fit higher
    frequencies. As in the paper, `B` is fixed by default; `trainable=True`
    makes it trainable.

    Args:
        units: Positive integer, the number of random frequencies. The output
            has `2 * units` features (cosines first, then sines).
        scale: Positive float, the standard deviation of the entries of `B`.
        trainable: Boolean, whether `B` is trained (the base layer's own
            `trainable` argument).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., input_dim)`; the last axis
        must be known.

    Output shape:
        N-D tensor with shape `(batch_size, ..., 2 * units)`.

    Example:

    ```python
    import numpy as np
    from layer_registry_periodic import FourierFeatures

    coords = np.random.uniform(0, 1, size=(16, 2)).astype("float32")
    y = FourierFeatures(units=32, scale=10.0)(coords)
    print(y.shape)  # (16, 64)
    ```
    """

    def __init__(
        self, units: int, scale: float = 10.0, trainable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(trainable=trainable, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(
                f"`units` must be a positive integer. Received: units={units!r}"
            )
        if (
            isinstance(scale, bool)
            or not isinstance(scale, (int, float))
            or not math.isfinite(scale)
            or scale <= 0
        ):
            raise ValueError(
                f"`scale` must be a positive number. Received: scale={scale!r}"
            )
        self.units = units
        self.scale = float(scale)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                "The last axis of the input of `FourierFeatures` must be known. "
                f"Received: input_shape={input_shape}"
            )
        # Created as a trainable variable: whether it is trained follows the
        # layer's `trainable` flag, so toggling it later keeps working.
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=keras.initializers.RandomNormal(stddev=self.scale),
            name="kernel",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs: Any) -> Any:
        projected = (2.0 * math.pi) * ops.matmul(inputs, self.kernel)
        return ops.concatenate([ops.cos(projected), ops.sin(projected)], axis=-1)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*input_shape[:-1], 2 * self.units)

    def get_config(self) -> dict[str, Any]:
        # `trainable` is part of the base layer's config.
        return {**super().get_config(), "units": self.units, "scale": self.scale}
