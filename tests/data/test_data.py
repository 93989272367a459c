import jax
import numpy as np
import pytest

from jaxml.data import (
    BUNDLED,
    DENSITIES,
    batches,
    epoch_batches,
    load_mnist1d,
    load_sklearn,
    make_blobs,
    make_moons,
    make_regression,
    make_spirals,
    sample_density2d,
)


def test_mnist1d_default_split_and_determinism(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXML_CACHE_DIR", str(tmp_path))
    state = np.random.get_state()
    fresh = load_mnist1d()
    assert np.array_equal(np.random.get_state()[1], state[1]), "global NumPy RNG was disturbed"
    assert fresh.x_train.shape == (4000, 40) and fresh.x_test.shape == (1000, 40)
    assert fresh.x_train.dtype == np.float32 and fresh.y_train.dtype == np.int32
    assert set(np.unique(fresh.y_train)) == set(range(10))
    assert list((tmp_path / "mnist1d").glob("*.npz")), "dataset was not cached"
    cached = load_mnist1d()
    regenerated = load_mnist1d(cache=False)
    for a, b, c in zip(fresh, cached, regenerated):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_mnist1d_matches_the_mnist1d_package(tmp_path, monkeypatch):
    from mnist1d.data import get_dataset_args, make_dataset

    monkeypatch.setenv("JAXML_CACHE_DIR", str(tmp_path))
    reference = make_dataset(get_dataset_args())
    ours = load_mnist1d()
    np.testing.assert_allclose(ours.x_test, reference["x_test"], rtol=1e-6)
    np.testing.assert_array_equal(ours.y_train, reference["y"])


def test_mnist1d_overrides_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXML_CACHE_DIR", str(tmp_path))
    small = load_mnist1d(num_samples=200, train_split=0.5, shuffle_seq=True)
    assert small.x_train.shape == (100, 40)
    with pytest.raises(ValueError, match="unknown mnist1d arguments"):
        load_mnist1d(colour=True)
    with pytest.raises(ValueError, match="train_split must be in"):
        load_mnist1d(train_split=1.5)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sets(name):
    X, y = load_sklearn(name)
    assert X.ndim == 2 and X.shape[0] == y.shape[0] and X.dtype == np.float32
    X2, y2 = load_sklearn(name)
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError, match="name must be one of"):
        load_sklearn("mnist")


def test_synthetic_generators_are_deterministic_and_shaped():
    key = jax.random.PRNGKey(0)
    X, y, w = make_regression(key, 50, 3, noise=0.0)
    np.testing.assert_allclose(X @ w, y, rtol=1e-5, atol=1e-5)
    for make in (make_blobs, make_moons, make_spirals):
        X1, y1 = make(key, 30)
        X2, y2 = make(key, 30)
        assert X1.shape == (30, 2) and y1.shape == (30,)
        np.testing.assert_array_equal(X1, X2)
    Xm, ym = make_moons(key, 30, noise=0.0)
    radius = np.linalg.norm(np.asarray(Xm[ym == 0]), axis=1)
    np.testing.assert_allclose(radius, 1.0, rtol=1e-5)  # outer moon lies on the unit circle
    for name in DENSITIES:
        assert sample_density2d(key, name, 64).shape == (64, 2)
    with pytest.raises(ValueError, match="name must be one of"):
        sample_density2d(key, "swissroll", 10)
    with pytest.raises(ValueError, match="n must be >= 1"):
        make_blobs(key, 0)


def test_checkerboard_occupies_alternate_squares():
    x = np.asarray(sample_density2d(jax.random.PRNGKey(1), "checkerboard", 4000))
    counts, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=4, range=[[-2, 2], [-2, 2]])
    occupied = counts > 0
    i, j = np.indices((4, 4))
    np.testing.assert_array_equal(occupied, (i + j) % 2 == 0)


def test_batches_cover_each_example_once_and_repeat_under_a_key():
    X = np.arange(10)[:, None]
    y = np.arange(10)
    key = jax.random.PRNGKey(0)
    first = list(batches(key, (X, y), 3))
    assert len(first) == 3 and all(b[0].shape == (3, 1) for b in first)
    seen = np.concatenate([b[1] for b in first])
    assert len(set(seen.tolist())) == 9
    again = list(batches(key, (X, y), 3))
    for (a, _), (b, _) in zip(first, again):
        np.testing.assert_array_equal(a, b)
    last = list(batches(key, (X, y), 3, drop_last=False))
    assert sorted(np.concatenate([b[1] for b in last]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="share their first dimension"):
        list(batches(key, (X, y[:5]), 2))
    stacked = epoch_batches(key, (X, y), 3)
    assert stacked[0].shape == (3, 3, 1)
