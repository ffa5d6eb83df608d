"""The response plot of a layer's page: whether there is one, what it shows, and drawing it.

The plot sweeps input feature 0 (the first entry of the last axis) of the example input's first
sample from -3 to 3, every other input value fixed, and draws each output unit against it. An
input with axes between the batch and the features (``(batch, steps, features)``, an image's
``(batch, height, width, channels)``) is swept at the first step (position ``(0, 0)``, ...), and
the output is read at that same step, so the layer must keep those axes.

The decision and the caption depend on the registered example alone (the site needs them
without running anything); the drawing runs in the example worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layer_registry._files import replacing
from layer_registry._records import LayerInfo

SWEEP = (-3.0, 3.0, 241)
"""The sweep of input feature 0: from, to, number of points."""
PLOTTED_UNITS = 16
"""At most this many output units are drawn (the first ones)."""


def why_no_plot(info: LayerInfo) -> str | None:
    """Why the layer's example input cannot be swept, in a few words; None when it can."""
    shape = info.input_shape
    if shape is None:
        return "the layer registers no example input (`input_shape`)"
    if info.multiple_inputs:
        return f"the layer takes {len(shape)} inputs, and the plot sweeps a single one"
    dtype = str(info.input_dtype)
    if not dtype.startswith(("float", "bfloat")):
        return f"the example input is {dtype}, and the plot sweeps a floating-point input"
    if len(shape) < 2:
        return "the example input has a batch axis only, no feature to sweep"
    return None


def plottable(info: LayerInfo) -> bool:
    """Whether the layer's page gets a response plot (one floating-point input, rank 2 or more)."""
    return why_no_plot(info) is None


def _at(rank: int) -> str:
    """Where along the axes between batch and features the sweep happens: '' for none."""
    middle = rank - 2
    if middle <= 0:
        return ""
    if middle == 1:
        return "at step 0"
    return f"at position ({', '.join('0' * middle)})"


def caption(info: LayerInfo) -> str:
    """What the plot shows, in one sentence (for a layer that :func:`plottable` accepts)."""
    low, high, _ = SWEEP
    at = _at(len(info.input_shape or ()))
    units = f"Each output unit {at}" if at else "Each output unit"
    feature = f"input feature 0 {at}" if at else "input feature 0"
    return (
        f"{units} (the first {PLOTTED_UNITS} when there are more) as {feature} sweeps from "
        f"{low:g} to {high:g}; every other input value stays at the example input's first sample."
    )


def draw(layer: Any, x: Any, path: Path) -> None:
    """Sweep ``x``'s first sample through ``layer`` and write the plot to ``path`` (PNG)."""
    import keras
    import numpy as np
    from matplotlib.figure import Figure

    low, high, count = SWEEP
    sweep = np.linspace(low, high, count, dtype="float64")
    base = np.asarray(keras.ops.convert_to_numpy(x))[:1]
    # Feature 0 at step 0 (of every axis between batch and features) of every sample.
    at = (0,) * (base.ndim - 2)
    step: tuple[slice | int, ...] = (slice(None), *at)
    batch = np.repeat(base, count, axis=0)
    batch[(*step, 0)] = sweep
    outputs = np.asarray(keras.ops.convert_to_numpy(layer(batch.astype(base.dtype))))
    if at:
        steps = tuple(base.shape[1:-1])
        if tuple(outputs.shape[1 : 1 + len(at)]) != steps:
            raise ValueError(
                f"the output (shape {tuple(outputs.shape[1:])} per sample) does not keep the "
                f"input's steps {steps}, so there is no response {_at(base.ndim)} to draw"
            )
        outputs = outputs[step]
    outputs = outputs.reshape(count, -1).astype("float64")
    units = outputs.shape[1]
    where = f" {_at(base.ndim)}" if at else ""
    figure = Figure(figsize=(7.0, 3.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(sweep, outputs[:, :PLOTTED_UNITS], linewidth=1.2)
    axes.set_xlabel(f"input feature 0{where} (all other inputs as in the example's first sample)")
    shown = f"first {PLOTTED_UNITS} of {units}" if units > PLOTTED_UNITS else f"all {units}"
    axes.set_ylabel(f"output units{where} ({shown})")
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary:
        figure.savefig(temporary, format="png")
