"""Stacking and blending: the same level-0 folds, level-1 features and predictions as
scikit-learn's StackingRegressor/StackingClassifier (oracle), and clear errors."""

import jax
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import StackingClassifier, StackingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from jaxml.classical import boosting, forests, linear, naive_bayes, neighbors, stacking
from jaxml.classical.model_selection import kfold
from jaxml.core import as_key


def _regression():
    X, y = make_friedman1(n_samples=150, n_features=5, noise=0.5, random_state=0)
    return X, y


def _classification(classes):
    return make_classification(n_samples=180, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=classes, random_state=1)


@pytest.mark.parametrize("passthrough", [False, True])
def test_stacking_regressor_equals_sklearn(passthrough):
    X, y = _regression()
    ours = stacking.stacking([linear.ridge(alpha=1.0), neighbors.knn_regressor(5)],
                              linear.ridge(alpha=0.5), passthrough=passthrough)
    params = ours.fit(X, y)
    ref = StackingRegressor([("ridge", Ridge(alpha=1.0)), ("knn", KNeighborsRegressor(5))],
                            final_estimator=Ridge(alpha=0.5), cv=KFold(5),
                            passthrough=passthrough).fit(X, y)
    np.testing.assert_allclose(params.final.coef, ref.final_estimator_.coef_, rtol=1e-4, atol=1e-5)
    X_new = X[:40] + 0.1
    np.testing.assert_allclose(ours.predict(params, X_new), ref.predict(X_new), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("classes", [2, 3])
def test_stacking_classifier_equals_sklearn(classes):
    X, y = _classification(classes)
    ours = stacking.stacking(
        [naive_bayes.gaussian_nb(), neighbors.knn_classifier(7, n_classes=classes)],
        linear.logistic_regression(C=1.0, tol=1e-10))
    params = ours.fit(X, y)
    ref = StackingClassifier([("nb", GaussianNB()), ("knn", KNeighborsClassifier(7))],
                             final_estimator=LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000),
                             cv=StratifiedKFold(5)).fit(X, y)
    X_new = X[::3] * 0.9
    # level-1 features: P(y=1) only for two classes, every column for three
    assert ref.transform(X_new).shape[1] == (2 if classes == 2 else 6)
    np.testing.assert_allclose(ours.predict_proba(params, X_new), ref.predict_proba(X_new),
                               atol=2e-4)
    np.testing.assert_array_equal(ours.predict(params, X_new), ref.predict(X_new))


def test_blending_fits_base_on_the_head_and_the_learner_on_the_holdout():
    X, y = _regression()
    ours = stacking.blending([linear.ridge(alpha=1.0), neighbors.knn_regressor(5)],
                              linear.ridge(alpha=0.5), holdout=0.3)
    params = ours.fit(X, y)
    cut = 150 - 45
    base = [Ridge(alpha=1.0).fit(X[:cut], y[:cut]), KNeighborsRegressor(5).fit(X[:cut], y[:cut])]
    z = lambda A: np.column_stack([m.predict(A) for m in base])  # noqa: E731
    final = Ridge(alpha=0.5).fit(z(X[cut:]), y[cut:])
    X_new = X[:30] - 0.05
    np.testing.assert_allclose(ours.predict(params, X_new), final.predict(z(X_new)),
                               rtol=1e-4, atol=1e-4)


def test_stacking_beats_its_weakest_member_out_of_sample():
    X, y = make_friedman1(n_samples=400, n_features=5, noise=0.5, random_state=3)
    members = [linear.ridge(alpha=1.0), neighbors.knn_regressor(7)]
    stack = stacking.stacking(members, linear.ridge(alpha=0.1))
    mse = lambda est: float(np.mean((est.predict(est.fit(X[:300], y[:300]), X[300:])  # noqa: E731
                                     - y[300:]) ** 2))
    assert mse(stack) < max(mse(m) for m in members)


def test_explicit_folds_and_bad_input():
    X, y = _regression()
    est = stacking.stacking([linear.ridge()], linear.ridge())
    a = est.predict(est.fit(X, y, folds=kfold(150, 5)), X)
    np.testing.assert_allclose(a, est.predict(est.fit(X, y), X), rtol=1e-6)
    with pytest.raises(ValueError, match="exactly one test fold"):
        est.fit(X, y, folds=kfold(150, 5)._replace(test=np.zeros((5, 150), bool)))
    with pytest.raises(TypeError, match="final_estimator must be a jaxml Regressor"):
        stacking.stacking([linear.ridge()], naive_bayes.gaussian_nb())
    with pytest.raises(TypeError, match="all classifiers or all regressors"):
        stacking.stacking([linear.ridge(), naive_bayes.gaussian_nb()], linear.ridge())
    with pytest.raises(ValueError, match="at least one"):
        stacking.stacking([], linear.ridge())
    with pytest.raises(ValueError, match="holdout must be a fraction"):
        stacking.blending([linear.ridge()], linear.ridge(), holdout=1.5)
    with pytest.raises(ValueError, match="n_splits"):
        stacking.stacking([linear.ridge()], linear.ridge(), n_splits=1)


def test_bagged_boosting_is_the_mean_of_boosted_members_on_their_bootstraps():
    X, y = _regression()
    gbr = boosting.gradient_boosting_regressor(n_estimators=5, max_depth=2, learning_rate=0.3)
    bagged = forests.bagging(gbr, n_estimators=3, stochastic=True)
    params = bagged.fit(0, X, y)
    keys = jax.random.split(as_key(0), 3)  # bagging's documented key use
    fit, manual = jax.jit(gbr.fit), []
    for b in range(3):
        rows = np.asarray(params.rows[b])
        _, k_fit = jax.random.split(keys[b])
        manual.append(gbr.predict(fit(k_fit, X[rows], y[rows]), X[:20]))
    np.testing.assert_allclose(bagged.predict(params, X[:20]), np.mean(manual, axis=0),
                               rtol=1e-5, atol=1e-5)
