"""jaxml.sklearn naive Bayes: scikit-learn's estimator contract and parity with sklearn."""

import pickle

import numpy as np
import pytest
from sklearn import naive_bayes as sk
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxml.sklearn import naive_bayes as jnb


# the full sweep runs in the default suite (268 checks with the neighbours: 280 s on a
# 2-core machine at load 20, one compile per input shape)
@parametrize_with_checks([jnb.GaussianNB(), jnb.MultinomialNB(), jnb.BernoulliNB()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    y = np.array(["x", "y", "z"])[rng.integers(0, 3, 60)]
    shift = (y == "y") * 1.0 + (y == "z") * 2.0
    X = rng.normal(size=(60, 5)) + shift[:, None]
    counts = rng.poisson(1.0 + shift[:, None] * np.linspace(0, 1, 5)[None, :]).astype(float)
    return X, counts, y


@pytest.mark.parametrize(
    "ours,ref,inputs",
    [
        (jnb.GaussianNB(var_smoothing=1e-6), sk.GaussianNB(var_smoothing=1e-6), "X"),
        (jnb.MultinomialNB(alpha=0.3), sk.MultinomialNB(alpha=0.3), "counts"),
        (jnb.BernoulliNB(alpha=2.0, binarize=1.0), sk.BernoulliNB(alpha=2.0, binarize=1.0), "counts"),
    ],
    ids=["gaussian", "multinomial", "bernoulli"],
)
def test_naive_bayes_matches_sklearn(data, ours, ref, inputs):
    X, counts, y = data
    A = X if inputs == "X" else counts
    ours.fit(A, y)
    ref.fit(A, y)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_allclose(ours.predict_proba(A), ref.predict_proba(A), atol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(A), ref.predict_log_proba(A), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(A), ref.predict(A))
    np.testing.assert_allclose(ours.class_count_, ref.class_count_)
    restored = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(restored.predict_proba(A), ours.predict_proba(A))


def test_naive_bayes_in_pipeline_and_search(data):
    X, counts, y = data
    pipe = make_pipeline(MinMaxScaler(), jnb.MultinomialNB())
    search = GridSearchCV(pipe, {"multinomialnb__alpha": [0.1, 1.0]}, cv=3).fit(counts, y)
    assert search.best_params_["multinomialnb__alpha"] in (0.1, 1.0)
    scores = cross_val_score(jnb.GaussianNB(), X, y, cv=3)
    np.testing.assert_allclose(scores, cross_val_score(sk.GaussianNB(), X, y, cv=3))


def test_multinomial_rejects_negative_counts(data):
    _, counts, y = data
    with pytest.raises(ValueError, match="Negative values"):
        jnb.MultinomialNB().fit(-counts, y)
