"""The catalogue: one record per check, read by the runner, the CLI, pytest and the child."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from layer_registry.testing import CHECKS
from layer_registry.testing._catalogue import BY_NAME
from layer_registry.testing._catalogue import CATALOGUE
from layer_registry.testing._catalogue import GATEKEEPERS
from layer_registry.testing._catalogue import Check
from layer_registry.testing._checks_layer import check_docstring


def test_every_check_is_one_frozen_record_in_the_kits_order():
    assert tuple(check.name for check in CATALOGUE) == CHECKS
    assert list(BY_NAME) == list(CHECKS)
    assert GATEKEEPERS == ("construct", "call")
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE[0].heading = "d"  # type: ignore[misc]
    headings = [check.heading for check in CATALOGUE]
    assert len(set(headings)) == len(headings)


def test_a_check_function_is_named_after_its_check_and_takes_what_it_needs():
    for check in CATALOGUE:
        assert check.function.__name__ == f"check_{check.name}"
        assert list(inspect.signature(check.function).parameters) == ["subject", *check.needs]


def test_the_fresh_process_checks_name_their_backend():
    fresh = {check.name: check.backend for check in CATALOGUE if check.fresh_process}
    assert fresh == {
        "saving": "tensorflow",
        "distributed": "tensorflow",
        "backend_portable": "jax",
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"needs": ("artifacts",)}, "only a fresh-process check"),
        ({"backend": "jax", "needs": ("weights",)}, "only a fresh-process check"),
        ({"backend": "jax", "needs": ("strategy",)}, "only TensorFlow"),
    ],
)
def test_a_record_that_cannot_run_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Check("odd", check_docstring, "odd", **fields)

