"""Small layers that behave as some third-party ones do, to calibrate the conformance kit.

Each reproduces one behaviour (not the code) of a library layer that the kit once misjudged,
or that needs what registration can give: a layer or tensor argument, a set-up step. They are
registered with Keras (package ``third_party_like``) and live in this importable module, so that
a fresh process can load them, and their example and set-up functions, by ``module:name``.
"""

import keras

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
