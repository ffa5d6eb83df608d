"""The fresh-process batch: one process per backend, surviving a layer that kills it."""

from __future__ import annotations

from unruly_layers import Chatty
from unruly_layers import ExitsUnderJax

from layer_registry.testing import run_checks


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
    # What a layer prints cannot pass for a result, and does not cost the others theirs.
    for key in [
        ("unruly>ExitsUnderJax", "saving"),
        ("unruly>Chatty", "saving"),
        ("unruly>Chatty", "backend_portable"),
    ]:
        assert (by_key[key].status, by_key[key].reason) == ("pass", ""), by_key[key]
