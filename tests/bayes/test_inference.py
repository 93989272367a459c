"""Chunked posterior predictive: chunking does not change the samples; streamed moments."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.bayes import blr
from jaxml.bayes.inference import predictive, predictive_chunks, predictive_moments


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(6, 2)), jnp.float32)
    samples = {"w": jnp.asarray(rng.normal(size=(23, 2)), jnp.float32)}
    return X, samples


def test_chunked_deterministic_sites_equal_direct(setup):
    X, samples = setup
    out = predictive(0, blr.model, samples, X, chunk_size=5, noise_scale=0.5)
    assert out["y"].shape == (23, 6) and out["mean"].shape == (23, 6)
    np.testing.assert_allclose(out["mean"], samples["w"] @ X.T, rtol=1e-5, atol=1e-6)
    parts = list(predictive_chunks(0, blr.model, samples, X, chunk_size=5, noise_scale=0.5))
    assert [p["y"].shape[0] for p in parts] == [5, 5, 5, 5, 3]
    again = predictive(0, blr.model, samples, X, chunk_size=5, noise_scale=0.5)
    np.testing.assert_array_equal(out["y"], again["y"])
    one_chunk = predictive(0, blr.model, samples, X, chunk_size=100, noise_scale=0.5)
    np.testing.assert_allclose(one_chunk["mean"], out["mean"], rtol=1e-6)


def test_predictive_moments_stream_matches_samples(setup):
    X, samples = setup
    mean, var = predictive_moments(0, blr.model, samples, X, site="mean", chunk_size=4,
                                   noise_scale=0.5)
    direct = np.asarray(samples["w"] @ X.T)
    np.testing.assert_allclose(mean, direct.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, direct.var(0), rtol=1e-4, atol=1e-6)
    # noisy site: the streamed moments equal the moments of the same chunked samples
    ys = predictive(3, blr.model, samples, X, chunk_size=4, return_sites=("y",),
                    noise_scale=0.5)["y"]
    m, v = predictive_moments(3, blr.model, samples, X, site="y", chunk_size=4,
                              noise_scale=0.5)
    np.testing.assert_allclose(m, ys.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(v, ys.var(0), rtol=1e-4, atol=1e-5)


def test_bad_input(setup):
    X, samples = setup
    with pytest.raises(ValueError, match="samples"):
        predictive(0, blr.model, {}, X)
    with pytest.raises(ValueError, match="leading"):
        predictive(0, blr.model, {"w": samples["w"], "sigma2": jnp.ones(3)}, X)
    with pytest.raises(ValueError, match="chunk_size"):
        predictive(0, blr.model, samples, X, chunk_size=0)
