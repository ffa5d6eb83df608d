"""Periodic layers for Keras: Time2Vec, SIREN, Snake, Fourier features, periodic embeddings."""

from collections.abc import Callable

import layer_registry
from layer_registry_periodic.fourier_features import FourierFeatures
from layer_registry_periodic.periodic_embedding import PeriodicEmbedding
from layer_registry_periodic.sine_dense import SineDense
from layer_registry_periodic.snake import Snake
from layer_registry_periodic.time2vec import Time2Vec

__all__ = [
    "FourierFeatures",
    "PeriodicEmbedding",
    "SineDense",
    "Snake",
    "Time2Vec",
]


@layer_registry.hookimpl
def register_layers(register: Callable[..., object]) -> None:
    register(
        Time2Vec,
        example={"units": 8},
        input_shape=(4, 16, 1),
        tags=["time-series", "periodic", "embedding"],
    )
    register(
        SineDense,
        example={"units": 16, "w0": 30.0, "is_first": True},
        input_shape=(16, 2),
        tags=["implicit-neural-representation", "siren", "periodic", "dense"],
    )
    register(
        Snake,
        example={"alpha_initializer": 1.0},
        input_shape=(8, 16),
        tags=["activation", "audio", "periodic"],
    )
    register(
        FourierFeatures,
        example={"units": 16, "scale": 10.0},
        input_shape=(16, 2),
        tags=["implicit-neural-representation", "positional-encoding", "periodic"],
    )
    register(
        PeriodicEmbedding,
        example={"n_frequencies": 8, "sigma": 1.0},
        input_shape=(8, 4),
        tags=["tabular", "embedding", "periodic"],
    )
