"""Layers that misbehave towards the kit itself rather than towards Keras.

They check that one layer cannot take the others' results down with it: a fresh process that
dies or hangs, or a layer that prints where the results travel.
"""

import os
import sys
import time

import keras
from keras import ops

_register = keras.saving.register_keras_serializable(package="unruly")


@_register
class ExitsUnderJax(keras.layers.Layer):
    """A layer that ends its process when it runs under JAX.

    Example:

    ```python
    layer = ExitsUnderJax()
    ```
    """

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs):
        if keras.backend.backend() == "jax":
            print("leaving the JAX process", file=sys.stderr, flush=True)
            os._exit(3)
        return ops.matmul(inputs, self.w)

    def get_config(self):
        return super().get_config()


@_register
class HangsUnderJax(keras.layers.Layer):
    """A layer that never returns when it runs under JAX.

    Example:

    ```python
    layer = HangsUnderJax()
    ```
    """

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs):
        if keras.backend.backend() == "jax":
            print("hanging in the JAX process", file=sys.stderr, flush=True)
            time.sleep(600)
        return ops.matmul(inputs, self.w)

    def get_config(self):
        return super().get_config()


@_register
class Chatty(keras.layers.Layer):
    """A layer that prints on every call, to stdout and at the file-descriptor level.

    Example:

    ```python
    layer = Chatty()
    ```
    """

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, inputs):
        print('{"event": "result", "result": "not JSON the kit expects"}')
        os.write(1, b"written to file descriptor 1\n")
        return ops.matmul(inputs, self.w)

    def get_config(self):
        return super().get_config()
