"""B3: `layer_registry.get(name)` on a loaded registry vs. a plain dict lookup and vs.
`keras.saving.get_registered_object`. Target: within 3x of the dict."""

from __future__ import annotations

import timeit

import keras

import layer_registry
from measure import Row
from measure import emit

NAME = "examples>CustomLinear"
CALLS = 200_000


def per_call(statement, **names) -> float:
    timer = timeit.Timer(statement, globals=names)
    return min(timer.repeat(repeat=7, number=CALLS)) / CALLS


def main() -> None:
    layer_registry.load()
    table = {NAME: layer_registry.get(NAME)}
    ours = per_call("get(name)", get=layer_registry.get, name=NAME)
    bare = per_call("get(name)", get=layer_registry.get, name="CustomLinear")
    plain = per_call("table[name]", table=table, name=NAME)
    registered = per_call("lookup(name)", lookup=keras.saving.get_registered_object, name=NAME)
    # The floor of any get(): one Python call that only returns a dict lookup.
    call = per_call("get(name)", get=table.__getitem__, name=NAME)
    bound = f"a call of dict.__getitem__ alone: {call * 1e9:.1f} ns"
    emit(
        [
            Row(
                "B3",
                "get(full name) vs a dict",
                ours,
                plain,
                "dict",
                "<= 3x the dict",
                ours <= 3 * plain,
                bound=bound,
            ),
            Row(
                "B3b",
                "get(bare name) vs a dict",
                bare,
                plain,
                "dict",
                "<= 3x the dict",
                bare <= 3 * plain,
                bound=bound,
            ),
            Row(
                "B3c",
                "get(full name) vs keras.saving.get_registered_object",
                ours,
                registered,
                "keras",
                "faster than Keras",
                ours <= registered,
            ),
        ]
    )


if __name__ == "__main__":
    main()
