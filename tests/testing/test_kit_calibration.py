"""Calibration: no false alarms on Keras's own layers, no misses on deliberately broken ones.

Each group runs as one test over one batch of layers (the fresh-process checks share a
process), so that a parallel run spreads the groups over workers instead of repeating them.
"""

from __future__ import annotations

import json

import keras

from layer_registry.testing import CHECKS
from layer_registry.testing import check_layer
from layer_registry.testing import run_checks
from layer_registry.testing._catalogue import GATEKEEPERS
from support import broken_layers
from support import third_party_like
from support.distributions import write_plugin
from support.kit import BROKEN_LAYERS
from support.kit import KERAS_LAYERS
from support.kit import TUTORIAL_PLUGIN
from support.kit import run_check_cli


def _unexpected(results, expected) -> str:
    """The results that differ from ``expected``, with their reasons, for the failure message."""
    return "\n".join(
        f"{r.layer} {r.check}: {r.status} (expected {expected[r.layer][r.check]}) {r.reason}"
        for r in results
        if expected[r.layer][r.check] != r.status
    )


def _statuses(results) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for result in results:
        table.setdefault(result.layer, {})[result.check] = result.status
    return table


def _failing_only(bug: str) -> dict[str, str]:
    """Statuses of a layer whose only bug is caught by ``bug``."""
    statuses = dict.fromkeys(CHECKS, "pass")
    statuses[bug] = "fail"
    if bug in GATEKEEPERS:
        for check in CHECKS[CHECKS.index(bug) + 1 :]:
            statuses[check] = "skip"
    return statuses


def test_keras_layers_pass_every_check():
    results = run_checks(KERAS_LAYERS)
    expected = {name: dict.fromkeys(CHECKS, "pass") for name in _statuses(results)}
    # Keras's BatchNormalization keeps per-replica moving statistics (synchronized=False):
    # the kit knows, and reports that check as an expected failure, with the reason.
    expected["BatchNormalization"]["distributed"] = "xfail"
    assert _statuses(results) == expected, _unexpected(results, expected)
    assert len(expected) == len(KERAS_LAYERS)
    reasons = {(r.layer, r.check): r.reason for r in results}
    assert "synchronized=True" in reasons["BatchNormalization", "distributed"]
    assert "moving_mean" in reasons["BatchNormalization", "distributed"]
    assert reasons["Dense", "docstring"].startswith("warning: the docstring has no `Example:`")


def test_synchronized_batch_normalization_is_not_an_expected_failure():
    (result,) = check_layer(
        keras.layers.BatchNormalization,
        example={"synchronized": True},
        input_shape=(4, 5),
        checks=["distributed"],
    )
    assert (result.status, result.reason) == ("pass", "")


def test_each_broken_layer_fails_exactly_the_check_that_names_its_bug():
    results = run_checks(BROKEN_LAYERS)
    expected = {
        f"calibration>{cls.__name__}": _failing_only(bug)
        for cls, bug in broken_layers.EXPECTED.items()
    }
    assert _statuses(results) == expected, _unexpected(results, expected)

    reason = {(r.layer.split(">")[1], r.check): r.reason for r in results if r.status != "pass"}
    assert reason["ForgetsConfigArgument", "config_roundtrip"].startswith(
        "get_config() leaves out the constructor argument 'activation'"
    )
    assert "made weights in __init__ for a fixed input size" in reason["WeightsInInit", "call"]
    assert reason["WeightsInInit", "gradients"] == "skipped: call failed"
    assert "batch size 9" in reason["BatchSizedWeights", "batch_independent"]
    assert "sized by the batch axis" in reason["BatchSizedWeights", "batch_independent"]
    assert "extra' gets no gradient" in reason["UnusedWeight", "gradients"]
    assert "calls TensorFlow (tf.*) directly" in reason["TensorFlowOps", "backend_portable"]
    assert "including its sublayers'" in reason["ForgetsSublayer", "saving"]
    assert "disagree on 'unsynced_state/total'" in reason["UnsyncedState", "distributed"]
    assert "aggregation='mean'" in reason["UnsyncedState", "distributed"]
    assert "mixed_float16" in reason["Float32Cast", "mixed_precision"]


def test_the_classic_tutorial_layer_fails_docstring_and_backend_portable(tmp_path):
    site = write_plugin(
        tmp_path, distribution="calibration-tutorial", namespace="tutorial", source=TUTORIAL_PLUGIN
    )
    finished = run_check_cli("tutorial", "--json", pythonpath=[site])
    assert finished.returncode == 1, finished.stderr
    results = json.loads(finished.stdout)
    statuses = {(r["layer"], r["check"]): r["status"] for r in results}
    reasons = {(r["layer"], r["check"]): r["reason"] for r in results}
    failing = {key for key, status in statuses.items() if status != "pass"}
    assert failing == {
        ("tutorial>Linear", "docstring"),
        ("tutorial>Linear", "backend_portable"),
        ("tutorial>ForgetfulDense", "config_roundtrip"),
    }, reasons
    assert {statuses[key] for key in failing} == {"fail"}
    assert "has no docstring" in reasons["tutorial>Linear", "docstring"]
    assert "TensorFlow (tf.*)" in reasons["tutorial>Linear", "backend_portable"]
    assert "'activation'" in reasons["tutorial>ForgetfulDense", "config_roundtrip"]
    assert len(results) == 2 * len(CHECKS)
    assert all(r["seconds"] >= 0 for r in results)


def test_layers_that_behave_like_third_party_ones_raise_no_false_alarm():
    """From-config in place (as keras.layers.RNN), an inherited docstring (keras-hub), a
    call(inputs, states), a layer argument, a set-up step, a dtype policy fixed at float32, an
    output without a batch axis, an integer output beside a float one, a bool input: all pass; a
    compute_output_shape answering with the build-time batch (as keras-tcn's TCN) fails
    output_shape alone; a layer without an example input skips what calls it."""
    results = run_checks(third_party_like.CALIBRATION)
    expected = {
        name: {**dict.fromkeys(CHECKS, "pass"), **third_party_like.EXPECTED.get(name, {})}
        for name in _statuses(results)
    }
    assert _statuses(results) == expected, _unexpected(results, expected)
    assert len(expected) == len(third_party_like.CALIBRATION)
    reasons = {(r.layer, r.check): r.reason for r in results}
    assert reasons["third_party_like>BuildTimeBatch", "output_shape"] == (
        "compute_output_shape((5, 3)) on the layer built at batch size 4 gives (4, 8) but the "
        "call returned (5, 8): is a shape kept from build()? take the batch axis from the "
        "input_shape given"
    )
    assert reasons["third_party_like>KeepsFloat32Pixels", "mixed_precision"] == (
        "its dtype policy (float32) computes in float32 whatever the global policy: judged "
        "against float32"
    )
    no_input = {
        check: reasons["third_party_like>PromptsByKeyword", check]
        for check in third_party_like.EXPECTED["third_party_like>PromptsByKeyword"]
    }
    assert all(r.startswith("skipped: no example input registered") for r in no_input.values())
    assert reasons["third_party_like>PromptsByKeyword", "config_roundtrip"].startswith(
        "compared the configs only: no example input registered"
    )
