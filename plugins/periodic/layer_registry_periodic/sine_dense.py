"""The `SineDense` layer."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


class SineDense(keras.layers.Layer):
    """Densely connected layer with a sine activation: a SIREN layer.

    Implements the sinusoidal representation network layer of Sitzmann et al.
    (2020), "Implicit Neural Representations with Periodic Activation
    Functions": `outputs = sin(w0 * (inputs @ kernel + bias))`. The paper's
    initialisation keeps activations well distributed through deep stacks:
    with `n` the fan-in (the size of the last input axis), the first layer of a
    network draws its kernel uniformly from `[-1/n, 1/n]` and every later layer
    from `[-sqrt(6/n)/w0, sqrt(6/n)/w0]`. The bias is drawn uniformly from the
    same range as the kernel.

    Args:
        units: Positive integer, dimensionality of the output space.
        w0: Positive float, the frequency factor `omega_0` applied to the
            pre-activation. The paper uses 30.
        is_first: Boolean, whether this is the first layer of the network,
            which selects the first-layer initialisation range.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        N-D tensor with shape `(batch_size, ..., input_dim)`; the last axis
        must be known.

    Output shape:
        N-D tensor with shape `(batch_size, ..., units)`.

    Example:

    ```python
    import numpy as np
    from layer_registry_periodic import SineDense

    coords = np.random.uniform(-1, 1, size=(16, 2)).astype("float32")
    y = SineDense(units=32, is_first=True)(coords)
    print(y.shape)  # (16, 32)
    ```
    """

    def __init__(
        self, units: int, w0: float = 30.0, is_first: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(
                f"`units` must be a positive integer. Received: units={units!r}"
            )
        if (
            isinstance(w0, bool)
            or not isinstance(w0, (int, float))
            or not math.isfinite(w0)
            or w0 <= 0
        ):
            raise ValueError(f"`w0` must be a positive number. Received: w0={w0!r}")
        if not isinstance(is_first, bool):
            raise ValueError(
                f"`is_first` must be a boolean. Received: is_first={is_first!r}"
            )
        self.units = units
        self.w0 = float(w0)
        self.is_first = is_first

    def _init_bound(self, fan_in: int) -> float:
        """The half-width of the uniform initialisation range for `fan_in` inputs."""
        if self.is_first:
            return 1.0 / fan_in
        return math.sqrt(6.0 / fan_in) / self.w0

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError(
                "The last axis of the input of `SineDense` must be known. "
                f"Received: input_shape={input_shape}"
            )
        bound = self._init_bound(fan_in)
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomUniform(-bound, bound),
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.RandomUniform(-bound, bound),
            name="bias",
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: fan_in})

    def call(self, inputs: Any) -> Any:
        return ops.sin(self.w0 * (ops.matmul(inputs, self.kernel) + self.bias))

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "w0": self.w0,
            "is_first": self.is_first,
        }
