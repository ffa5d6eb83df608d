"""The `PeriodicEmbedding` layer."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


class PeriodicEmbedding(keras.layers.Layer):
    """Periodic embedding of each numerical feature with trainable frequencies.

    Implements the periodic embedding of Gorishniy, Rubachev and Babenko
    (2022), "On Embeddings for Numerical Features in Tabular Deep Learning".
    Each scalar feature `x_j` gets its own trainable frequencies
    `c_j = (c_j1, ..., c_jk)`, initialised from `N(0, sigma**2)`, and is
    embedded as `concat[sin(v_j), cos(v_j)]` with `v_j = 2 pi c_j x_j`.

    Args:
        n_frequencies: Positive integer `k`, the number of frequencies per
            feature. Each feature is embedded into `2 * k` values.
        sigma: Positive float, the standard deviation of the initial
            frequencies; the paper tunes it per dataset.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., features)`; the last axis must
        be known.

    Output shape:
        (N+1)-D tensor with shape
        `(batch_size, ..., features, 2 * n_frequencies)` (sines first, then
        cosines).

    Example:

    ```python
    import numpy as np
    from layer_registry_periodic import PeriodicEmbedding

    x = np.random.normal(size=(8, 4)).astype("float32")
    y = PeriodicEmbedding(n_frequencies=6, sigma=0.5)(x)
    print(y.shape)  # (8, 4, 12)
    ```
    """

    def __init__(self, n_frequencies: int, sigma: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (
            isinstance(n_frequencies, bool)
            or not isinstance(n_frequencies, int)
            or n_frequencies < 1
        ):
            raise ValueError(
                "`n_frequencies` must be a positive integer. "
                f"Received: n_frequencies={n_frequencies!r}"
            )
        if (
            isinstance(sigma, bool)
            or not isinstance(sigma, (int, float))
            or not math.isfinite(sigma)
            or sigma <= 0
        ):
            raise ValueError(
                f"`sigma` must be a positive number. Received: sigma={sigma!r}"
            )
        self.n_frequencies = n_frequencies
        self.sigma = float(sigma)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "The last axis of the input of `PeriodicEmbedding` must be "
                f"known. Received: input_shape={input_shape}"
            )
        self.frequencies = self.add_weight(
            shape=(features, self.n_frequencies),
            initializer=keras.initializers.RandomNormal(stddev=self.sigma),
            name="frequencies",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: features})

    def call(self, inputs: Any) -> Any:
        v = (2.0 * math.pi) * self.frequencies * ops.expand_dims(inputs, -1)
        return ops.concatenate([ops.sin(v), ops.cos(v)], axis=-1)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*input_shape, 2 * self.n_frequencies)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "n_frequencies": self.n_frequencies,
            "sigma": self.sigma,
        }
