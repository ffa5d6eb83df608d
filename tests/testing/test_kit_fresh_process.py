"""The fresh-process batch: one process per backend, surviving a layer that kills it."""

from __future__ import annotations

from layer_registry.testing import run_checks
from layer_registry.testing._runner import Runner
from layer_registry.testing._targets import subjects_for
from support.unruly_layers import Chatty
from support.unruly_layers import ExitsUnderJax
from support.unruly_layers import HangsUnderJax


def test_a_process_that_dies_fails_its_check_and_the_rest_run_in_a_new_one():
    results = run_checks(
        [
            {"layer": ExitsUnderJax, "input_shape": (2, 3)},
            {"layer": Chatty, "input_shape": (2, 3)},
        ],
        checks=["backend_portable", "saving"],
    )
    by_key = {(r.layer, r.check): r for r in results}
    died = by_key["unruly>ExitsUnderJax", "backend_portable"]
    assert died.status == "fail"
    assert died.reason.startswith("the fresh process died (exit status 3) during this check")
    assert died.reason.endswith("; its last output:\nleaving the JAX process")
    # What a layer prints cannot pass for a result, and does not cost the others theirs.
    for key in [
        ("unruly>ExitsUnderJax", "saving"),
        ("unruly>Chatty", "saving"),
        ("unruly>Chatty", "backend_portable"),
    ]:
        assert (by_key[key].status, by_key[key].reason) == ("pass", ""), by_key[key]


def test_a_process_that_hangs_is_stopped_and_the_rest_run_in_a_new_one():
    subjects = subjects_for(
        [{"layer": HangsUnderJax, "input_shape": (2, 3)}, {"layer": Chatty, "input_shape": (2, 3)}]
    )
    runner = Runner(subjects, "backend_portable", timeout=30)
    try:
        results = {r.layer: r for r in runner.run()}
    finally:
        runner.close()
    hung = results["unruly>HangsUnderJax"]
    assert hung.status == "fail"
    assert hung.reason == (
        "the fresh process ran this check for over 30 s and was stopped; its last output:\n"
        "hanging in the JAX process"
    )
    assert (results["unruly>Chatty"].status, results["unruly>Chatty"].reason) == ("pass", "")
