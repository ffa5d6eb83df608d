"""Each layer against an independent NumPy transcription of its paper's formula."""

import math

import keras
import numpy as np
import pytest

from layer_registry_periodic.fourier_features import FourierFeatures
from layer_registry_periodic.periodic_embedding import PeriodicEmbedding
from layer_registry_periodic.sine_dense import SineDense
from layer_registry_periodic.snake import Snake
from layer_registry_periodic.time2vec import Time2Vec

RTOL = 1e-5
ATOL = 1e-5


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _run(layer, x):
    return keras.ops.convert_to_numpy(layer(x))


def test_time2vec_matches_paper(rng):
    batch, steps, features, units = 3, 5, 2, 4
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    omega = rng.normal(size=(features, units)).astype("float32")
    phi = rng.normal(size=(features, units)).astype("float32")
    layer = Time2Vec(units)
    layer.build(x.shape)
    layer.set_weights([omega, phi])

    expected = np.empty((batch, steps, features * units), dtype="float64")
    for f in range(features):
        tau = x[..., f].astype("float64")
        # t2v(tau)[0] = omega_0 tau + phi_0; t2v(tau)[i] = sin(omega_i tau + phi_i).
        expected[..., f * units] = omega[f, 0] * tau + phi[f, 0]
        for i in range(1, units):
            expected[..., f * units + i] = np.sin(omega[f, i] * tau + phi[f, i])

    np.testing.assert_allclose(_run(layer, x), expected, rtol=RTOL, atol=ATOL)


def test_time2vec_single_unit_is_linear(rng):
    x = rng.normal(size=(4, 3)).astype("float32")
    layer = Time2Vec(1)
    layer.build(x.shape)
    omega = rng.normal(size=(3, 1)).astype("float32")
    phi = rng.normal(size=(3, 1)).astype("float32")
    layer.set_weights([omega, phi])
    np.testing.assert_allclose(_run(layer, x), x * omega[:, 0] + phi[:, 0], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("is_first", [True, False])
def test_sine_dense_matches_paper(rng, is_first):
    w0 = 30.0
    x = rng.uniform(-1, 1, size=(6, 3)).astype("float32")
    kernel = rng.uniform(-0.1, 0.1, size=(3, 5)).astype("float32")
    bias = rng.uniform(-0.1, 0.1, size=(5,)).astype("float32")
    layer = SineDense(5, w0=w0, is_first=is_first)
    layer.build(x.shape)
    layer.set_weights([kernel, bias])

    expected = np.sin(w0 * (x.astype("float64") @ kernel + bias))
    np.testing.assert_allclose(_run(layer, x), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("is_first", "fan_in", "expected_bound"),
    [
        (True, 64, 1.0 / 64),
        (False, 64, math.sqrt(6.0 / 64) / 30.0),
        (True, 3, 1.0 / 3),
        (False, 128, math.sqrt(6.0 / 128) / 30.0),
    ],
)
def test_sine_dense_initialisation_bounds(is_first, fan_in, expected_bound):
    layer = SineDense(512, w0=30.0, is_first=is_first)
    layer.build((None, fan_in))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in (layer.kernel, layer.bias))

    for weights in (kernel, bias):
        assert np.abs(weights).max() <= expected_bound * (1 + 1e-6)
        # The draws fill the range on both sides rather than a narrower one.
        assert weights.max() > 0.9 * expected_bound
        assert weights.min() < -0.9 * expected_bound


def test_sine_dense_initialisation_depends_on_w0():
    layer = SineDense(512, w0=5.0)
    layer.build((None, 96))
    bound = math.sqrt(6.0 / 96) / 5.0
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert 0.9 * bound < np.abs(kernel).max() <= bound * (1 + 1e-6)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_snake_matches_paper(rng, alpha):
    x = rng.normal(scale=3.0, size=(4, 7, 3)).astype("float32")
    alphas = np.array([alpha, 2 * alpha, 0.3 * alpha], dtype="float32")
    layer = Snake()
    layer.build(x.shape)
    layer.set_weights([alphas])

    x64 = x.astype("float64")
    expected = x64 + np.sin(alphas * x64) ** 2 / alphas
    np.testing.assert_allclose(_run(layer, x), expected, rtol=RTOL, atol=1e-4)


def test_snake_initial_alpha_is_the_given_constant():
    layer = Snake(alpha_initializer=2.5)
    layer.build((None, 6))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.alpha), np.full(6, 2.5))


def test_fourier_features_match_paper(rng):
    x = rng.uniform(size=(5, 2)).astype("float32")
    b = rng.normal(scale=2.0, size=(2, 7)).astype("float32")
    layer = FourierFeatures(7)
    layer.build(x.shape)
    layer.set_weights([b])

    proj = 2 * np.pi * (x.astype("float64") @ b)
    expected = np.concatenate([np.cos(proj), np.sin(proj)], axis=-1)
    np.testing.assert_allclose(_run(layer, x), expected, rtol=1e-4, atol=1e-4)


def test_fourier_features_initial_scale():
    layer = FourierFeatures(4096, scale=10.0)
    layer.build((None, 2))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    # 8192 draws from N(0, 10^2): the sample standard deviation is within a few percent.
    assert abs(kernel.std() - 10.0) < 0.5


def test_periodic_embedding_matches_paper(rng):
    batch, features, k = 6, 3, 4
    x = rng.normal(size=(batch, features)).astype("float32")
    c = rng.normal(size=(features, k)).astype("float32")
    layer = PeriodicEmbedding(k)
    layer.build(x.shape)
    layer.set_weights([c])

    expected = np.empty((batch, features, 2 * k))
    for j in range(features):
        v = 2 * np.pi * c[j][None, :] * x[:, j : j + 1].astype("float64")
        expected[:, j] = np.concatenate([np.sin(v), np.cos(v)], axis=-1)
    np.testing.assert_allclose(_run(layer, x), expected, rtol=1e-4, atol=1e-4)


def test_periodic_embedding_initial_sigma():
    layer = PeriodicEmbedding(512, sigma=0.25)
    layer.build((None, 16))
    c = keras.ops.convert_to_numpy(layer.frequencies)
    assert abs(c.std() - 0.25) < 0.0125
