"""Properties every periodic layer shares: config, shapes, gradients, precision, training."""

import keras
import numpy as np
import pytest

from layer_registry_periodic.fourier_features import FourierFeatures
from layer_registry_periodic.periodic_embedding import PeriodicEmbedding
from layer_registry_periodic.sine_dense import SineDense
from layer_registry_periodic.snake import Snake
from layer_registry_periodic.time2vec import Time2Vec

# (class, constructor kwargs, input shape including the batch axis)
CASES = [
    pytest.param(Time2Vec, {"units": 8}, (4, 16, 1), id="Time2Vec"),
    pytest.param(Time2Vec, {"units": 3}, (4, 5), id="Time2Vec-multi-feature"),
    pytest.param(SineDense, {"units": 16, "is_first": True}, (16, 2), id="SineDense-first"),
    pytest.param(SineDense, {"units": 8, "w0": 10.0}, (4, 3, 6), id="SineDense-hidden"),
    pytest.param(Snake, {"alpha_initializer": 1.0}, (8, 16), id="Snake"),
    pytest.param(Snake, {"alpha_initializer": "ones"}, (2, 8, 4), id="Snake-identifier"),
    pytest.param(FourierFeatures, {"units": 16, "scale": 2.0, "trainable": True}, (16, 2),
                 id="FourierFeatures-trainable"),
    pytest.param(FourierFeatures, {"units": 16}, (16, 2), id="FourierFeatures"),
    pytest.param(PeriodicEmbedding, {"n_frequencies": 8, "sigma": 0.5}, (8, 4),
                 id="PeriodicEmbedding"),
]


def _random_input(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype("float32")


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES)
def test_config_round_trip(cls, kwargs, shape):
    layer = cls(**kwargs)
    config = layer.get_config()
    for name in kwargs:
        assert name in config
    assert cls.from_config(config).get_config() == config
    # Also after building, and through Keras's own serialization.
    layer(_random_input(shape))
    assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
    restored = keras.layers.deserialize(
        keras.layers.serialize(layer), custom_objects={cls.__name__: cls}
    )
    assert restored.get_config() == layer.get_config()


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES)
def test_output_shape_matches_compute_output_shape(cls, kwargs, shape):
    layer = cls(**kwargs)
    y = layer(_random_input(shape))
    assert tuple(y.shape) == tuple(layer.compute_output_shape(shape))
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(y)))
    # Symbolic use with an unknown batch size.
    symbolic = cls(**kwargs)(keras.Input(shape=shape[1:]))
    assert tuple(symbolic.shape) == (None, *tuple(y.shape)[1:])


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES)
def test_gradients_are_finite_and_non_zero(cls, kwargs, shape, gradients):
    layer = cls(**kwargs)
    layer.build(shape)
    grads = gradients(layer, _random_input(shape, seed=1))
    assert len(grads) == len(layer.trainable_weights)
    for variable, grad in zip(layer.trainable_weights, grads, strict=True):
        assert np.all(np.isfinite(grad)), variable.path
        assert np.any(grad != 0), variable.path


def test_fourier_features_trainable_flag_controls_the_projection():
    frozen = FourierFeatures(4)
    frozen.build((None, 3))
    assert frozen.trainable is False
    assert frozen.trainable_weights == []
    assert len(frozen.non_trainable_weights) == 1

    trained = FourierFeatures(4, trainable=True)
    trained.build((None, 3))
    assert [w.name for w in trained.trainable_weights] == ["kernel"]

    frozen.trainable = True
    assert len(frozen.trainable_weights) == 1
    assert FourierFeatures.from_config(trained.get_config()).trainable is True
    assert FourierFeatures.from_config(FourierFeatures(4).get_config()).trainable is False


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES)
def test_mixed_float16_computes_in_half_precision(cls, kwargs, shape):
    x = _random_input(shape)
    full = cls(**kwargs)
    full.build(shape)
    half = cls(**kwargs, dtype="mixed_float16")
    half.build(shape)
    half.set_weights(full.get_weights())

    y_half = half(x)
    assert keras.backend.standardize_dtype(y_half.dtype) == "float16"
    assert all(
        keras.backend.standardize_dtype(w.dtype) == "float32" for w in half.weights
    )
    y_half = keras.ops.convert_to_numpy(y_half).astype("float32")
    assert np.all(np.isfinite(y_half))
    if cls is FourierFeatures and kwargs.get("scale", 10.0) > 2.0:
        # Phases 2*pi*x*B reach ~100 at the paper's scale, where float16 is
        # spaced ~0.06 apart: the features stay valid cos/sin values but do not
        # match float32 elementwise. That is float16, not the layer.
        np.testing.assert_allclose(y_half[:, :16] ** 2 + y_half[:, 16:] ** 2, 1.0, atol=1e-2)
        return
    np.testing.assert_allclose(y_half, keras.ops.convert_to_numpy(full(x)), rtol=2e-2, atol=5e-2)


# A scalar regression target per sample, a smooth function of the input.
def _target(x):
    flat = x.reshape(len(x), -1)
    return np.sin(3.0 * flat).mean(axis=-1, keepdims=True) + 0.5 * flat[:, :1]


@pytest.mark.parametrize(
    ("cls", "kwargs", "feature_shape"),
    [
        pytest.param(Time2Vec, {"units": 8}, (8, 1), id="Time2Vec"),
        pytest.param(SineDense, {"units": 32, "is_first": True}, (2,), id="SineDense"),
        pytest.param(Snake, {"alpha_initializer": 1.0}, (4,), id="Snake"),
        pytest.param(FourierFeatures, {"units": 32, "scale": 1.0}, (2,), id="FourierFeatures"),
        pytest.param(PeriodicEmbedding, {"n_frequencies": 8}, (3,), id="PeriodicEmbedding"),
    ],
)
def test_training_reduces_the_loss_under_xla(cls, kwargs, feature_shape):
    x = _random_input((256, *feature_shape), seed=2)
    y = _target(x).astype("float32")
    model = keras.Sequential(
        [
            keras.Input(shape=feature_shape),
            cls(**kwargs),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse", jit_compile=True)
    initial_weights = [keras.ops.convert_to_numpy(w) for w in model.layers[0].trainable_weights]
    before = model.evaluate(x, y, batch_size=256, verbose=0)
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    after = model.evaluate(x, y, batch_size=256, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert after < 0.5 * before, (before, after)
    # The layer's own weights took part in the training, not only the head.
    layer = model.layers[0]
    for variable, initial in zip(layer.trainable_weights, initial_weights, strict=True):
        assert not np.allclose(keras.ops.convert_to_numpy(variable), initial), variable.path


@pytest.mark.parametrize(
    ("cls", "kwargs", "argument"),
    [
        (Time2Vec, {"units": 0}, "units"),
        (Time2Vec, {"units": -1}, "units"),
        (Time2Vec, {"units": 2.5}, "units"),
        (Time2Vec, {"units": True}, "units"),
        (SineDense, {"units": 0}, "units"),
        (SineDense, {"units": 4, "w0": 0.0}, "w0"),
        (SineDense, {"units": 4, "w0": -30.0}, "w0"),
        (SineDense, {"units": 4, "w0": float("nan")}, "w0"),
        (SineDense, {"units": 4, "is_first": "yes"}, "is_first"),
        (Snake, {"alpha_initializer": 0.0}, "alpha_initializer"),
        (Snake, {"alpha_initializer": -1.0}, "alpha_initializer"),
        (Snake, {"alpha_initializer": "no_such_initializer"}, "alpha_initializer"),
        (Snake, {"alpha_initializer": None}, "alpha_initializer"),
        (FourierFeatures, {"units": -3}, "units"),
        (FourierFeatures, {"units": 4, "scale": 0}, "scale"),
        (FourierFeatures, {"units": 4, "scale": "big"}, "scale"),
        (PeriodicEmbedding, {"n_frequencies": 0}, "n_frequencies"),
        (PeriodicEmbedding, {"n_frequencies": 4, "sigma": -1.0}, "sigma"),
    ],
)
def test_constructor_rejects_invalid_arguments(cls, kwargs, argument):
    with pytest.raises(ValueError, match=rf"Received: {argument}=") as info:
        cls(**kwargs)
    assert str(info.value).rstrip().endswith(f"{argument}={kwargs[argument]!r}")


def test_snake_accepts_initializer_objects_and_round_trips_them():
    layer = Snake(alpha_initializer=keras.initializers.RandomUniform(0.5, 1.5, seed=3))
    config = layer.get_config()
    assert config["alpha_initializer"]["class_name"] == "RandomUniform"
    restored = Snake.from_config(config)
    assert restored.get_config() == config
    restored.build((None, 32))
    alpha = keras.ops.convert_to_numpy(restored.alpha)
    assert ((alpha >= 0.5) & (alpha <= 1.5)).all()
    # A number stays a number in the config.
    assert Snake(alpha_initializer=2).get_config()["alpha_initializer"] == 2.0


def test_layers_reject_unknown_last_axis():
    with pytest.raises(ValueError, match="last axis"):
        SineDense(4).build((None, None))
