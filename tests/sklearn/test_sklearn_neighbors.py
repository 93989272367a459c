"""jaxml.sklearn kNN: scikit-learn's estimator contract and parity with sklearn."""

import pickle

import numpy as np
import pytest
from sklearn import neighbors as sk
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxml.sklearn import neighbors as jn


# the full sweep runs in the default suite (268 checks with the neighbours: 280 s on a
# 2-core machine at load 20, one compile per input shape)
@parametrize_with_checks([jn.KNeighborsClassifier(), jn.KNeighborsRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=120) > 0, "pos", "neg")
    t = np.sin(2 * X[:, 0]) + X[:, 1]
    Q = rng.normal(size=(25, 3))
    return X, y, t, Q


@pytest.mark.parametrize("algorithm", ["brute", "kd_tree", "ball_tree"])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_matches_sklearn(data, algorithm, weights):
    X, y, t, Q = data
    Qx = np.vstack([Q, X[:5]])  # include exact training points (distance 0)
    kw = dict(n_neighbors=4, weights=weights, algorithm=algorithm, leaf_size=10)
    clf, ref_clf = jn.KNeighborsClassifier(**kw).fit(X, y), sk.KNeighborsClassifier(**kw).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(Qx), ref_clf.predict_proba(Qx), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(Qx), ref_clf.predict(Qx))
    reg, ref_reg = jn.KNeighborsRegressor(**kw).fit(X, t), sk.KNeighborsRegressor(**kw).fit(X, t)
    np.testing.assert_allclose(reg.predict(Qx), ref_reg.predict(Qx), rtol=1e-10)
    dist, idx = reg.kneighbors(Q)
    ref_dist, ref_idx = ref_reg.kneighbors(Q)
    np.testing.assert_allclose(dist, ref_dist, atol=1e-10)
    np.testing.assert_array_equal(idx, ref_idx)


def test_knn_pipeline_search_pickle(data):
    X, y, _, Q = data
    pipe = make_pipeline(StandardScaler(), jn.KNeighborsClassifier())
    search = GridSearchCV(pipe, {"kneighborsclassifier__n_neighbors": [1, 5, 15]}, cv=3).fit(X, y)
    ref = GridSearchCV(
        make_pipeline(StandardScaler(), sk.KNeighborsClassifier()),
        {"kneighborsclassifier__n_neighbors": [1, 5, 15]},
        cv=3,
    ).fit(X, y)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    scores = cross_val_score(jn.KNeighborsRegressor(), X, X[:, 0], cv=3)
    np.testing.assert_allclose(scores, cross_val_score(sk.KNeighborsRegressor(), X, X[:, 0], cv=3))
    model = jn.KNeighborsClassifier(algorithm="kd_tree").fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(Q), model.predict(Q))


def test_knn_errors(data):
    X, y, _, Q = data
    with pytest.raises(ValueError, match="Expected n_neighbors <= n_samples_fit"):
        jn.KNeighborsClassifier(n_neighbors=500).fit(X, y).predict(Q)
    with pytest.raises(ValueError, match="algorithm"):
        jn.KNeighborsRegressor(algorithm="lsh").fit(X, X[:, 0])
    with pytest.raises(ValueError, match="X has 2 features"):
        jn.KNeighborsClassifier().fit(X, y).predict(Q[:, :2])
