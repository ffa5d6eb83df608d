"""The kit's Python API: results, ordering, gatekeeping, expected failures, inputs."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras
import numpy as np
import pytest
from keras import ops

import layer_registry.testing
from layer_registry import LayerNotFoundError
from layer_registry.testing import CHECKS
from layer_registry.testing import CheckResult
from layer_registry.testing import _runner
from layer_registry.testing import check_layer
from layer_registry.testing import run_checks
from support import broken_layers


def _by_check(results: list[CheckResult]) -> dict[str, tuple[str, str]]:
    return {r.check: (r.status, r.reason) for r in results}


def test_the_public_api():
    assert layer_registry.testing.__all__ == [
        "CHECKS",
        "CheckResult",
        "check_layer",
        "parametrize_with_checks",
        "run_checks",
    ]
    assert CHECKS[:3] == ("docstring", "construct", "call")
    assert CHECKS[-1] == "backend_portable"
    assert len(set(CHECKS)) == len(CHECKS) == 13


def test_a_result_is_a_frozen_record():
    result = CheckResult("examples>CustomLinear", "saving", "fail", "why", 1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "pass"  # type: ignore[misc]
    assert not result.ok
    assert CheckResult("x", "saving", "xfail").ok


def test_a_registered_layer_is_checked_from_its_registered_example():
    results = check_layer("examples>CustomLinear", checks=["call", "docstring", "construct"])
    assert [(r.layer, r.check, r.status) for r in results] == [
        ("examples>CustomLinear", "docstring", "pass"),
        ("examples>CustomLinear", "construct", "pass"),
        ("examples>CustomLinear", "call", "pass"),
    ]
    assert all(r.seconds >= 0 for r in results)


def test_a_registered_class_is_checked_under_its_registry_name():
    cls = layer_registry.get("examples>CustomLinear")
    (result,) = check_layer(cls, checks="call")
    assert (result.layer, result.status) == ("examples>CustomLinear", "pass")


def test_a_bare_name_resolves_and_a_typo_is_a_registry_error():
    (result,) = check_layer("CustomLinear", checks="docstring")
    assert result.layer == "examples>CustomLinear"
    with pytest.raises(LayerNotFoundError, match="CustomLinear"):
        check_layer("examples>CustomLiner")


def test_run_checks_takes_a_namespace_and_keeps_the_kits_order():
    results = run_checks("examples", checks=["construct", "docstring"])
    assert [(r.layer, r.check) for r in results] == [
        (name, check)
        for name in layer_registry.names(plugin="examples")
        for check in ("docstring", "construct")
    ]


def test_a_failing_constructor_skips_every_later_check_without_running_it():
    results = check_layer("examples>CustomLinear", example={"units": -1})
    statuses = _by_check(results)
    assert statuses["docstring"] == ("pass", "")
    status, reason = statuses["construct"]
    assert status == "fail"
    assert "CustomLinear(units=-1) raised ValueError" in reason
    assert "Received: units=-1" in reason
    for check in CHECKS[2:]:
        assert statuses[check] == ("skip", "skipped: construct failed")
    # The fresh-process checks were decided here, not in a process.
    assert all(r.seconds == 0 for r in results[2:])


def test_a_class_without_input_shape_skips_call_with_what_to_register():
    statuses = _by_check(
        check_layer(keras.layers.Dense, example={"units": 2}, checks=["call", "gradients"])
    )
    assert statuses["call"][0] == "skip"
    assert "no example input registered" in statuses["call"][1]
    assert "register it with input_shape=(batch, ...)" in statuses["call"][1]
    assert statuses["gradients"] == statuses["call"]


def test_several_inputs_are_passed_as_a_list_to_a_layer_whose_call_takes_one():
    results = check_layer(
        keras.layers.Add, input_shape=[(2, 3), (2, 3)], checks=["call", "batch_independent"]
    )
    assert [r.status for r in results] == ["pass", "pass"], results


@pytest.mark.parametrize("shape", [(4, 0), (), (4, "5"), [(4, 3), (4, -1)]])
def test_an_input_shape_that_register_would_refuse_is_refused(shape):
    with pytest.raises(ValueError, match=r"input_shape=.* is not a shape; give positive"):
        check_layer(keras.layers.Dense, example={"units": 2}, input_shape=shape, checks="call")


def test_input_shapes_are_normalised_as_the_registry_does():
    from layer_registry._registry._registration import normalise_shape
    from layer_registry.testing._targets import subject_for

    for shape in ([4, 5], [[4, 3, 5], [4, 6, 5]], (None, 5)):
        subject = subject_for(keras.layers.Dense, input_shape=shape)
        assert subject.input_shape == normalise_shape(shape, "Dense")
    (result,) = check_layer(
        keras.layers.Dense, example={"units": 2}, input_shape=[4, 5], checks="call"
    )
    assert result.status == "pass"


def test_an_unknown_check_is_refused_with_the_list():
    with pytest.raises(ValueError, match="unknown check 'savign'; the checks are: docstring"):
        check_layer("examples>CustomLinear", checks=["savign"])


# -- expected failures --------------------------------------------------------------------


class NoDocstring(keras.layers.Layer):
    layer_registry_expected_failures: ClassVar = {"docstring": "documented on the project's wiki"}

    def call(self, inputs):
        return ops.relu(inputs)

    def get_config(self):
        return super().get_config()


def test_a_class_attribute_declares_an_expected_failure():
    (result,) = check_layer(NoDocstring, input_shape=(2, 3), checks="docstring")
    assert result.status == "xfail"
    assert result.reason.startswith("expected failure: documented on the project's wiki (")
    assert "has no docstring" in result.reason


def test_an_argument_declares_an_expected_failure():
    (result,) = check_layer(
        broken_layers.Float32Cast,
        example={"units": 4},
        input_shape=(8, 3),
        checks="mixed_precision",
        expected_failures={"mixed_precision": "computes in float32 on purpose"},
    )
    assert result.status == "xfail"
    assert "computes in float32 on purpose" in result.reason


def test_an_expected_failure_that_passes_is_a_failure():
    (result,) = check_layer(
        "examples>CustomLinear",
        checks="docstring",
        expected_failures={"docstring": "was missing once"},
    )
    assert result.status == "fail"
    assert result.reason.startswith("unexpectedly passed: docstring is declared as an expected")
    assert "remove that declaration" in result.reason


def test_an_expected_failure_of_a_skipped_check_stays_skipped():
    results = check_layer(
        broken_layers.WeightsInInit,
        example={"units": 4},
        input_shape=(8, 3),
        checks=["call", "gradients"],
        expected_failures={"gradients": "irrelevant"},
    )
    assert [r.status for r in results] == ["fail", "skip"]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({"savign": "typo"}, "'savign', which is not a check"),
        ({"saving": ""}, "without a reason"),
    ],
)
def test_a_malformed_declaration_is_refused(declared, message):
    with pytest.raises(ValueError, match=message):
        check_layer("examples>CustomLinear", checks="docstring", expected_failures=declared)


# -- what cannot run ----------------------------------------------------------------------


def test_a_class_a_fresh_process_cannot_import_skips_the_fresh_process_checks():
    class Local(keras.layers.Layer):
        """A layer defined inside a function."""

        def call(self, inputs):
            return inputs

        def get_config(self):
            return super().get_config()

    statuses = _by_check(check_layer(Local, input_shape=(2, 3), checks=["call", "saving"]))
    assert statuses["call"] == ("pass", "")
    assert statuses["saving"][0] == "skip"
    assert "cannot import it" in statuses["saving"][1]


def test_without_jax_backend_portable_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(_runner, "jax_installed", lambda: False)
    (result,) = check_layer("examples>CustomLinear", checks="backend_portable")
    assert result.status == "skip"
    assert "JAX is not installed (pip install jax)" in result.reason


def test_no_trainable_weights_is_a_note_on_a_pass():
    (result,) = check_layer(keras.layers.ReLU, input_shape=(2, 3), checks="gradients")
    assert (result.status, result.reason) == ("pass", "the layer has no trainable weights")


def test_the_kit_and_the_site_call_a_layer_on_its_example_input_the_same_way():
    from layer_registry._models._example import call_layer
    from support.third_party_like import GatedByState

    inputs, states = np.ones((2, 3), "float32"), np.zeros((2, 5), "float32")
    # call(inputs, states): two arguments; Add's call(inputs): one list.
    assert tuple(call_layer(GatedByState(), [inputs, states]).shape) == (2, 3)
    assert tuple(call_layer(keras.layers.Add(), [inputs, inputs]).shape) == (2, 3)
    (result,) = check_layer(GatedByState, input_shape=[(2, 3), (2, 5)], checks="call")
    assert result.status == "pass", result.reason


def test_an_example_function_makes_new_arguments_for_each_layer_and_setup_runs_first():
    from support.third_party_like import ScoresCandidates
    from support.third_party_like import inner_dense
    from support.third_party_like import set_candidates

    statuses = _by_check(
        check_layer(
            ScoresCandidates, input_shape=(4, 3), setup=set_candidates, checks=["call", "gradients"]
        )
    )
    assert statuses == {"call": ("pass", ""), "gradients": ("pass", "")}
    statuses = _by_check(check_layer(ScoresCandidates, input_shape=(4, 3), checks="call"))
    assert "call update_candidates(candidates) before calling the layer" in statuses["call"][1]
    (result,) = check_layer(
        broken_layers.ForgetsConfigArgument,
        example=inner_dense,
        input_shape=(4, 3),
        checks="construct",
    )
    assert result.status == "fail"
    assert result.reason.startswith(
        "ForgetsConfigArgument(**support.third_party_like:inner_dense()) raised TypeError"
    )


def test_an_example_function_a_fresh_process_cannot_import_skips_its_checks():
    (result,) = check_layer(
        keras.layers.Dense, example=lambda: {"units": 2}, input_shape=(2, 3), checks="saving"
    )
    assert result.status == "skip"
    assert "the example or setup function is defined in __main__ or inside a function" in (
        result.reason
    )
