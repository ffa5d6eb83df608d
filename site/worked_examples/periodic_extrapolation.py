"""Worked example: do periodic layers extrapolate a periodic time series that Dense networks cannot?

Run it standalone::

    python site/worked_examples/periodic_extrapolation.py OUTDIR

It writes ``OUTDIR/results.json`` and ``OUTDIR/extrapolation.png`` and prints a table. The
documentation site runs it at build time (``site/hooks/worked_examples.py``) and shows both on
the page ``guides/periodic-extrapolation.md``.

The experiment, fixed before any result was seen and the same for every model:

- the series: ``y = sin(2 pi t / 1) + 0.5 sin(2 pi t / 3) + noise`` (noise standard deviation
  0.1), 50 samples per time unit for ``0 <= t < 12``, drawn once with a fixed seed;
- training on ``t < 8``, the held-out future is ``8 <= t < 12``; the input is ``t`` itself;
- three networks of about 4,400 parameters, each layer created by name (Keras's ``Dense`` as is):
  a plain Dense network ``Dense(64, tanh) -> Dense(64, tanh) -> Dense(1)``; the same with its
  first layer replaced by ``periodic>Time2Vec(units=64)``; and the same with both ``tanh``
  activations replaced by ``periodic>Snake`` (default ``alpha`` of 1);
- the budget: Adam with learning rate 0.005, mean squared error, 3,000 full-batch steps
  (epochs), no early stopping, the layers' default initialisation;
- seeds 0, 1 and 2 for the weights of each model (the data stay the same); the table reports
  the mean and standard deviation over seeds, the plot shows seed 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# The training loop below is TensorFlow's; quiet TensorFlow's C++ start-up messages.
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

import layer_registry

# Each model gets its own compiled training loop, which TensorFlow would warn about as retracing.
tf.get_logger().setLevel("ERROR")

# -- the experiment's settings: one place, the same for every model ----------------------------

PERIODS = (1.0, 3.0)
AMPLITUDES = (1.0, 0.5)
NOISE = 0.1
SAMPLES_PER_UNIT = 50
T_END = 12.0
T_SPLIT = 8.0  # train on t < T_SPLIT, evaluate the future on t >= T_SPLIT
DATA_SEED = 2020
SEEDS = (0, 1, 2)

WIDTH = 64
LEARNING_RATE = 0.005
EPOCHS = 3000  # full-batch: one step per epoch

MODELS = ("Dense (tanh)", "Time2Vec", "Snake")


def series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time stamps, the clean signal and the noisy observations."""
    t = np.arange(0.0, T_END, 1.0 / SAMPLES_PER_UNIT)
    clean = sum(a * np.sin(2 * np.pi * t / p) for a, p in zip(AMPLITUDES, PERIODS, strict=True))
    noisy = clean + np.random.default_rng(DATA_SEED).normal(0.0, NOISE, size=t.shape)
    return t.astype("float32"), clean.astype("float32"), noisy.astype("float32")


def build(kind: str) -> keras.Model:
    """One of the three networks; every plugin layer is created by its registry name."""
    if kind == "Dense (tanh)":
        layers = [
            keras.layers.Dense(WIDTH, activation="tanh"),
            keras.layers.Dense(WIDTH, activation="tanh"),
        ]
    elif kind == "Time2Vec":
        layers = [
            layer_registry.create("periodic>Time2Vec", units=WIDTH),
            keras.layers.Dense(WIDTH, activation="tanh"),
        ]
    elif kind == "Snake":
        layers = [
            keras.layers.Dense(WIDTH),
            layer_registry.create("periodic>Snake"),
            keras.layers.Dense(WIDTH),
            layer_registry.create("periodic>Snake"),
        ]
    else:
        raise ValueError(f"unknown model {kind!r}")
    name = kind.split()[0].lower()
    return keras.Sequential([keras.Input(shape=(1,)), *layers, keras.layers.Dense(1)], name=name)


def describe(model: keras.Model) -> str:
    """``Time2Vec(64) → Dense(64, tanh) → Dense(1)``."""
    parts = []
    for layer in model.layers:
        name = type(layer).__name__
        config = layer.get_config()
        arguments = [str(config[key]) for key in ("units",) if key in config]
        activation = config.get("activation")
        if activation not in (None, "linear"):
            arguments.append(str(activation))
        parts.append(f"{name}({', '.join(arguments)})" if arguments else name)
    return " → ".join(parts)


def train(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """``EPOCHS`` full-batch Adam steps on the mean squared error; returns the final loss.

    The steps run in one compiled TensorFlow loop: the same updates as ``model.fit`` with
    ``batch_size=len(x)``, without its per-epoch overhead (which would dominate here).
    """
    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)
    optimizer.build(model.trainable_variables)
    inputs, targets = tf.constant(x), tf.constant(y)

    @tf.function
    def loop(steps: tf.Tensor) -> tf.Tensor:
        loss = tf.constant(0.0)
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(inputs, training=True) - targets))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
        return loss

    return float(loop(tf.constant(EPOCHS)))


def rmse(prediction: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((prediction - target) ** 2)))


def run(outdir: Path) -> dict:
    outdir.mkdir(parents=True, exist_ok=True)
    tf.config.experimental.enable_op_determinism()
    t, clean, noisy = series()
    train_part = t < T_SPLIT
    x = t[:, None]
    x_train, y_train = x[train_part], noisy[train_part][:, None]

    results: dict[str, dict] = {}
    curves: dict[str, np.ndarray] = {}
    for kind in MODELS:
        runs = []
        for seed in SEEDS:
            keras.utils.set_random_seed(seed)
            model = build(kind)
            start = time.perf_counter()
            final_loss = train(model, x_train, y_train)
            seconds = time.perf_counter() - start
            prediction = keras.ops.convert_to_numpy(model(x))[:, 0]
            if seed == SEEDS[0]:
                curves[kind] = prediction
            runs.append({
                "seed": seed,
                "final_loss": final_loss,
                "train_rmse": rmse(prediction[train_part], noisy[train_part]),
                "future_rmse": rmse(prediction[~train_part], noisy[~train_part]),
                "future_rmse_clean": rmse(prediction[~train_part], clean[~train_part]),
                "seconds": seconds,
            })
        results[kind] = {
            "layers": describe(model),
            "params": model.count_params(),
            "epochs": EPOCHS,
            **{
                f"{key}_{stat}": float(fn([r[key] for r in runs]))
                for key in ("train_rmse", "future_rmse", "future_rmse_clean", "seconds")
                # The spread over seeds: the sample standard deviation.
                for stat, fn in (("mean", np.mean), ("std", lambda v: np.std(v, ddof=1)))
            },
            "runs": runs,
        }
        summary = results[kind]
        print(
            f"{kind:<14} params {summary['params']:>5}  "
            f"train RMSE {summary['train_rmse_mean']:.3f} ± {summary['train_rmse_std']:.3f}  "
            f"future RMSE {summary['future_rmse_mean']:.3f} ± {summary['future_rmse_std']:.3f}  "
            f"{summary['seconds_mean']:.1f} s/run",
            flush=True,
        )

    future = ~train_part
    record = {
        "series": {
            "formula": "y = sin(2 pi t / 1) + 0.5 sin(2 pi t / 3) + noise",
            "periods": list(PERIODS),
            "amplitudes": list(AMPLITUDES),
            "noise_std": NOISE,
            "samples": int(t.size),
            "train": f"0 <= t < {T_SPLIT:g} ({int(train_part.sum())} samples)",
            "future": f"{T_SPLIT:g} <= t < {T_END:g} ({int(future.sum())} samples)",
            "data_seed": DATA_SEED,
        },
        "budget": {
            "optimizer": "Adam",
            "learning_rate": LEARNING_RATE,
            "loss": "mean squared error",
            "epochs": EPOCHS,
            "batch_size": int(train_part.sum()),
            "seeds": list(SEEDS),
        },
        "reference": {
            # What no model can beat on noisy targets, and what predicting a constant scores.
            "noise_floor_train_rmse": rmse(clean[train_part], noisy[train_part]),
            "noise_floor_rmse": rmse(clean[future], noisy[future]),
            "constant_future_rmse": rmse(np.full(future.sum(), noisy[train_part].mean()),
                                         noisy[future]),
        },
        "versions": {
            "python": sys.version.split()[0],
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
        "models": results,
        "plot_seed": SEEDS[0],
    }
    (outdir / "results.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    plot(outdir / "extrapolation.png", t, noisy, curves, results)
    return record


def plot(path: Path, t: np.ndarray, noisy: np.ndarray, curves: dict, results: dict) -> None:
    figure, axes = plt.subplots(len(curves), 1, figsize=(9, 2.3 * len(curves) + 0.4),
                                sharex=True, sharey=True, layout="constrained")
    colours = ("tab:red", "tab:blue", "tab:green")
    for axis, (kind, prediction), colour in zip(axes, curves.items(), colours, strict=True):
        axis.axvspan(T_SPLIT, T_END, color="0.93", zorder=0)
        axis.axvline(T_SPLIT, color="0.4", linestyle="--", linewidth=1)
        axis.plot(t, noisy, ".", color="0.55", markersize=2.5, label="series (noisy)")
        axis.plot(t, prediction, color=colour, linewidth=1.6, label=f"{kind} prediction")
        run = results[kind]["runs"][0]
        axis.set_title(
            f"{kind} ({results[kind]['params']:,} parameters): RMSE training range "
            f"{run['train_rmse']:.3f}, future {run['future_rmse']:.3f}",
            fontsize=10, loc="left",
        )
        axis.set_ylim(-2.4, 2.4)
        axis.legend(loc="lower left", fontsize=8, ncol=2, frameon=False)
        axis.text(T_SPLIT + 0.1, 2.0, "held-out future", fontsize=8, color="0.3")
        axis.text(0.1, 2.0, "training range", fontsize=8, color="0.3")
    axes[-1].set_xlabel("t (time units; periods 1 and 3)")
    axes[-1].set_xlim(0, T_END)
    figure.suptitle(f"Trained on t < {T_SPLIT:g}, same budget for all (seed {SEEDS[0]})",
                    fontsize=11)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder for results.json and extrapolation.png")
    arguments = parser.parse_args(argv)
    start = time.perf_counter()
    run(arguments.outdir)
    print(f"wrote {arguments.outdir / 'results.json'} and "
          f"{arguments.outdir / 'extrapolation.png'} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
