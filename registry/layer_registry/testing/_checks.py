"""What every check shares. A check raises ``CheckFailed(reason)`` or returns a note (or None).

Every check builds its own layer from the registered example and feeds it random input of the
registered shape with the registered batch size; only ``batch_independent`` changes the batch.
A layer registered without ``input_shape`` has no example input: the checks that call it skip
(``needs_input``), while construct, config_roundtrip and serialization still run.
The checks themselves live by theme (``_checks_layer``, ``_checks_config``, ``_checks_training``,
``_checks_fresh``); ``_catalogue`` lists them, in the order they run.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from layer_registry._errors import one_line
from layer_registry.testing._results import Status

if TYPE_CHECKING:
    from layer_registry.testing._subject import Subject


class CheckFailed(Exception):
    """The layer does not pass a check; the message says why, for the plugin's author."""


class CheckSkipped(Exception):
    """The check cannot run here; the message says why."""


NO_EXAMPLE_INPUT = (
    "skipped: no example input registered, so the layer is not called; register it with "
    "input_shape=(batch, ...) (a list of shapes for several inputs) to check its calls"
)


def needs_input(subject: Subject) -> None:
    """Skip a check that calls the layer when the subject has no example input."""
    if subject.input_shape is None:
        raise CheckSkipped(NO_EXAMPLE_INPUT)


# Tolerances for outputs that should be equal (reloaded, rebuilt) and for those computed anew.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
NUMERIC_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


def outcome(check: Callable[[], str | None]) -> tuple[Status, str]:
    """Run one check: ("pass", its note), ("fail", why) or ("skip", why); it never raises."""
    try:
        return "pass", check() or ""
    except CheckFailed as exc:
        return "fail", str(exc)
    except CheckSkipped as exc:
        return "skip", str(exc)
    except Exception as exc:
        return "fail", f"raised {one_line(exc)}"


# The fresh process's module still says describe_error.
describe_error = one_line


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
