"""Reasons keep the informative line of a multi-line error (one ``one_line`` for everyone)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from layer_registry._errors import one_line
from layer_registry.testing import check_layer
from support.third_party_like import ExplainsOnItsSecondLine


def _raised(function) -> BaseException:
    with pytest.raises(Exception) as caught:
        function()
    return caught.value


def test_a_reason_keeps_what_a_layer_explains_after_its_first_line():
    (result,) = check_layer(ExplainsOnItsSecondLine, input_shape=(2, 3), checks="call")
    assert result.status == "fail"
    assert "raised ValueError: ExplainsOnItsSecondLine cannot take this input." in result.reason
    assert "It needs inputs of rank 3, got shape (2, 3)." in result.reason
    assert "\n" not in result.reason
    assert "Arguments received" not in result.reason


def test_keras_and_tensorflow_wrapping_is_stripped():
    class Mismatched(keras.layers.Layer):
        def call(self, inputs):
            return inputs + ops.ones((5, 3))

    error = _raised(lambda: Mismatched()(np.zeros((2, 3), "float32")))
    assert "\x1b[" in str(error) and "Exception encountered when calling" in str(error)
    assert one_line(error).endswith("Incompatible shapes: [2,3] vs. [5,3]")
    assert "function_node" not in one_line(error)


def test_a_quoted_traceback_gives_its_last_line_and_a_graph_error_its_reason():
    quoted = RuntimeError(
        "the worker failed:\nTraceback (most recent call last):\n"
        "  File \"w.py\", line 3, in <module>\n    run()\nKeyError: 'units'\n"
    )
    assert one_line(quoted) == "RuntimeError: KeyError: 'units'"
    graph = ValueError(
        "Graph execution error:\n\nDetected at node add defined at (most recent call last):\n"
        '  File "/x/runpy.py", line 198, in _run_module_as_main\n\n'
        "Incompatible shapes: [4,8] vs. [5,8]\n\t [[{{node add}}]] [Op:__inference_step_12]"
    )
    assert one_line(graph) == "ValueError: Incompatible shapes: [4,8] vs. [5,8]"


def test_the_line_is_bounded_and_an_empty_message_is_the_type():
    assert len(one_line(ValueError("x" * 10_000), limit=100)) <= len("ValueError: ") + 100
    assert one_line(ValueError()) == "ValueError"
