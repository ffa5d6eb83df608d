"""The catalogue: every check, once, in the order the kit runs them.

The runner, the fresh process, ``layer-registry check``, the pytest plugin and
``parametrize_with_checks`` all read this one tuple, so adding a check is a function (in a
``_checks_*`` module) and an entry here. Importing it imports no Keras: the check functions
import it when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from layer_registry.testing import _checks_config
from layer_registry.testing import _checks_fresh
from layer_registry.testing import _checks_layer
from layer_registry.testing import _checks_training

NEEDS = ("artifacts", "strategy")
"""What a fresh-process check may receive besides the subject, by its parameter's name."""


@dataclass(frozen=True)
class Check:
    """One conformance check, as everything that runs or shows the checks knows it."""

    name: str
    """What results, ``--check``, ``pytest -k`` and expected failures call it."""
    function: Callable[..., str | None]
    """Called with the subject (and what ``needs`` names); raises ``CheckFailed`` or
    ``CheckSkipped``, or returns a note."""
    heading: str
    """The short column heading in ``layer-registry check``'s table."""
    gatekeeper: bool = False
    """Whether a failure makes the later checks meaningless: those are skipped instead."""
    backend: str | None = None
    """The Keras backend of the fresh Python process it runs in; None: it runs in the
    caller's process, under the caller's backend."""
    needs: tuple[str, ...] = ()
    """Keyword arguments the fresh process passes it: ``artifacts`` (the model, inputs, outputs
    and weights this process saved, see ``prepare_artifacts``) and ``strategy`` (one
    ``MirroredStrategy`` over two CPUs, TensorFlow only)."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.needs) - set(NEEDS))
        if unknown or (self.needs and self.backend is None):
            raise ValueError(
                f"check {self.name!r} needs {', '.join(self.needs)}: only a fresh-process check "
                f"(one with a backend) receives something, and only {', '.join(NEEDS)}"
            )
        if "strategy" in self.needs and self.backend != "tensorflow":
            raise ValueError(f"check {self.name!r} needs a strategy, which only TensorFlow has")

    @property
    def fresh_process(self) -> bool:
        """Whether it runs in a fresh Python process (one per backend, for every layer)."""
        return self.backend is not None


# Thirteen columns must fit a terminal: each check's heading is short, explained below the table.
CATALOGUE: tuple[Check, ...] = (
    Check("docstring", _checks_layer.check_docstring, "doc"),
    Check("construct", _checks_layer.check_construct, "init", gatekeeper=True),
    Check("call", _checks_layer.check_call, "call", gatekeeper=True),
    Check("batch_independent", _checks_layer.check_batch_independent, "batch"),
    Check("output_shape", _checks_layer.check_output_shape, "shape"),
    Check("config_roundtrip", _checks_config.check_config_roundtrip, "config"),
    Check("serialization", _checks_config.check_serialization, "serial"),
    Check(
        "saving",
        _checks_fresh.check_saving,
        "save",
        backend="tensorflow",
        needs=("artifacts",),
    ),
    Check("gradients", _checks_training.check_gradients, "grad"),
    Check("jit_compile", _checks_training.check_jit_compile, "jit"),
    Check("mixed_precision", _checks_training.check_mixed_precision, "fp16"),
    Check(
        "distributed",
        _checks_fresh.check_distributed,
        "dist",
        backend="tensorflow",
        needs=("strategy",),
    ),
    Check(
        "backend_portable",
        _checks_fresh.check_backend_portable,
        "jax",
        backend="jax",
        needs=("artifacts",),
    ),
)
"""Every check, in the order the kit runs them."""

BY_NAME: Mapping[str, Check] = MappingProxyType({check.name: check for check in CATALOGUE})
"""Every check by its name."""

CHECKS: tuple[str, ...] = tuple(check.name for check in CATALOGUE)
"""Every check's name, in the order the kit runs them."""

GATEKEEPERS: tuple[str, ...] = tuple(check.name for check in CATALOGUE if check.gatekeeper)
"""Checks whose failure makes the later ones meaningless: those are skipped instead."""
