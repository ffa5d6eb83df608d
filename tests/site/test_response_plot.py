"""The response plot drawn for real, in a fresh process as the example worker draws it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from support.processes import run_python

DRAW = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import keras
    import numpy as np
    import layer_registry
    from layer_registry._mkdocs.examples._plots import draw

    folder = Path(FOLDER)
    x = np.random.default_rng(0).normal(size=(4, 16, 1)).astype("float32")
    draw(layer_registry.create("periodic>Time2Vec", units=8), x, folder / "steps.png")
    try:
        draw(keras.layers.GlobalAveragePooling1D(), x, folder / "pooled.png")
        refused = None
    except ValueError as exc:
        refused = str(exc)
    print(json.dumps({"refused": refused}))
    """
)


def test_a_3d_input_is_drawn_at_step_0_and_an_output_without_steps_is_refused(tmp_path: Path):
    code = DRAW.replace("FOLDER", repr(str(tmp_path)))
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-3000:]
    refused = json.loads(done.stdout.strip().splitlines()[-1])["refused"]
    # Time2Vec keeps its 16 steps: a real PNG, written whole (no temporary file left).
    assert (tmp_path / "steps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["steps.png"]
    # Pooling drops the steps: no plot, and a reason the page can show.
    assert refused == (
        "the output (shape (1,) per sample) does not keep the input's steps (16,), "
        "so there is no response at step 0 to draw"
    )
