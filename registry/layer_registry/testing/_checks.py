"""What every check shares. A check raises ``CheckFailed(reason)`` or returns a note (or None).

Every check builds its own layer from the registered example and feeds it random input of the
registered shape with the registered batch size; only ``batch_independent`` changes the batch.
The checks themselves live by theme (``_checks_layer``, ``_checks_config``, ``_checks_training``,
``_checks_fresh``); ``_catalogue`` lists them, in the order they run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from layer_registry.testing._results import Status


class CheckFailed(Exception):
    """The layer does not pass a check; the message says why, for the plugin's author."""


class CheckSkipped(Exception):
    """The check cannot run here; the message says why."""


# Tolerances for outputs that should be equal (reloaded, rebuilt) and for those computed anew.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
NUMERIC_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow's op errors: "{{function_node __wrapped__...}} <message> [Op:MatMul] name: ".
_TF_WRAPPING = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\](\s*name:.*)?$")
_CAUSE = "Exception encountered:"
_NOISE = (
    "Exception encountered when calling",
    "Arguments received by",
    "•",
    "Graph execution error",
    "Detected at node",
)


def outcome(check: Callable[[], str | None]) -> tuple[Status, str]:
    """Run one check: ("pass", its note), ("fail", why) or ("skip", why); it never raises."""
    try:
        return "pass", check() or ""
    except CheckFailed as exc:
        return "fail", str(exc)
    except CheckSkipped as exc:
        return "skip", str(exc)
    except Exception as exc:
        return "fail", f"raised {describe_error(exc)}"


def describe_error(exc: BaseException, limit: int = 400) -> str:
    """``Type: message``, with Keras's and TensorFlow's wrapping stripped, on one line."""
    lines = [_TF_WRAPPING.sub("", _ANSI.sub("", line)).strip() for line in str(exc).splitlines()]
    meaningful = [line for line in lines if line and not line.startswith(_NOISE)]
    message = meaningful[0] if meaningful else ""
    causes = [line for line in meaningful[1:] if line.startswith(_CAUSE)]
    if causes:  # Keras's deserialization errors nest the root cause on their last such line
        message = f"{causes[-1].removeprefix(_CAUSE).strip()} (from: {message})"
    elif message.startswith("File ") and len(meaningful) > 1:
        message = meaningful[-1]
    elif message.endswith(":") and len(meaningful) > 1:
        message = f"{message} {meaningful[1]}"
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def shapes_text(shapes: Sequence[Sequence[Any]]) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


def overrides(cls: type, method: str) -> bool:
    """Whether a class below Keras's base ``Layer`` defines ``method``."""
    import keras

    for klass in cls.__mro__:
        if klass is keras.layers.Layer:
            return False
        if method in vars(klass):
            return True
    return False


def weight_name(weight: Any) -> str:
    return str(getattr(weight, "path", None) or weight.name)
