"""keras-rs's recommender layers on layer-registry: `keras_rs.layers`, each with an example."""

from collections.abc import Callable
from typing import Any

import keras_rs

import layer_registry

TAGS = ["recommender", "keras-rs"]


def _candidates(layer: Any) -> None:
    """A retrieval layer searches candidates given after construction: 20 of width 8."""
    import keras

    layer.update_candidates(keras.random.normal((20, 8), seed=0))


def _embedding_tables() -> dict[str, Any]:
    """One feature looked up in one table of 10 rows of width 4 (CPU: no accelerator stacking)."""
    table = keras_rs.layers.TableConfig(name="items", vocabulary_size=10, embedding_dim=4)
    feature = keras_rs.layers.FeatureConfig(
        name="item", table=table, input_shape=(4, 1), output_shape=(4, 4)
    )
    return {"feature_configs": feature}


LAYERS: dict[str, dict[str, Any]] = {
    "BruteForceRetrieval": {
        "example": {"k": 3},
        "setup": _candidates,
        "input_shape": (4, 8),
        "tags": ["retrieval"],
        "expected_failures": {
            "config_roundtrip": "get_config leaves out candidate_embeddings and candidate_ids "
            "(tensors, given by update_candidates()), so a rebuilt layer has no candidates",
            "saving": "a reloaded layer has no candidates, so Keras cannot rebuild a model "
            "holding it: load_model raises 'Could not automatically infer the output shape'",
        },
    },
    "DistributedEmbedding": {
        "example": _embedding_tables,
        "input_shape": (4, 1),
        "input_dtype": "int32",
        "tags": ["embedding"],
        "expected_failures": {
            "output_shape": "a FeatureConfig fixes the batch size (its input_shape and "
            "output_shape include it), so compute_output_shape answers for batch 4 whatever "
            "the input",
            "config_roundtrip": "get_config leaves out the constructor argument update_stats",
        },
    },
    "DotInteraction": {
        # call(inputs) takes the list of feature embeddings as one argument.
        "input_shape": [(4, 8), (4, 8), (4, 8)],
        "tags": ["feature-interaction"],
    },
    "EmbedReduce": {
        "example": {"input_dim": 10, "output_dim": 4},
        "input_shape": (4, 3),
        "input_dtype": "int32",
        "tags": ["embedding"],
    },
    "FeatureCross": {"input_shape": (4, 8), "tags": ["feature-interaction"]},
    "HardNegativeMining": {
        "example": {"num_hard_negatives": 2},
        "input_shape": [(4, 10), (4, 10)],
        "tags": ["retrieval"],
        "expected_failures": {
            "backend_portable": "it selects candidates with top_k(sorted=False), whose order is "
            "unspecified: TensorFlow and JAX return the selected candidates in different orders",
        },
    },
    "RemoveAccidentalHits": {
        "input_shape": [(4, 10), (4, 10), (4, 10)],
        "input_dtype": ["float32", "float32", "int32"],
        "tags": ["retrieval"],
        "expected_failures": {
            "mixed_precision": "returns float32 under the mixed_float16 policy: its constant "
            "SMALLEST_FLOAT is a NumPy float32 scalar, which promotes float16 logits",
        },
    },
    "SamplingProbabilityCorrection": {
        "input_shape": [(4, 10), (4, 10)],
        "tags": ["retrieval"],
    },
}
"""Per layer: what ``register`` needs to run its example and checks."""


@layer_registry.hookimpl
def register_layers(register: Callable[..., object]) -> None:
    # Retrieval is the abstract base the retrieval layers share; it has no call of its own.
    layer_registry.adopt(register, keras_rs.layers, exclude=["Retrieval"], layers=LAYERS, tags=TAGS)
