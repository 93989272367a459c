"""jaxml.sklearn linear models: scikit-learn's estimator contract and parity with sklearn."""

import pickle

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxml.sklearn import linear as jl

ALL = [
    jl.LinearRegression(),
    jl.Ridge(),
    jl.Lasso(),
    jl.ElasticNet(),
    jl.LogisticRegression(),
    jl.PoissonRegressor(),
    jl.BayesianRidge(),
]


# 361 checks: 868 s single-process on 2 cores at load ~20 (one compile per input shape;
# twice as fast as before the jitted fit was cached); slow until timed on an idle machine
@pytest.mark.slow
@parametrize_with_checks(ALL)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(70, 4))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5]) + 0.2 * rng.normal(size=70) + 1.0
    labels = np.array(["a", "b", "c"])[np.digitize(X[:, 0] + 0.5 * rng.normal(size=70), [-0.5, 0.5])]
    counts = rng.poisson(np.exp(0.3 * X[:, 0] + 0.2)).astype(float)
    return X, y, labels, counts


PAIRS = [
    (jl.LinearRegression(), sk.LinearRegression(), "y"),
    (jl.Ridge(alpha=2.0), sk.Ridge(alpha=2.0), "y"),
    (jl.Lasso(alpha=0.05, tol=1e-10), sk.Lasso(alpha=0.05, tol=1e-10), "y"),
    (jl.ElasticNet(alpha=0.1, l1_ratio=0.3, tol=1e-10), sk.ElasticNet(alpha=0.1, l1_ratio=0.3, tol=1e-10), "y"),
    (jl.PoissonRegressor(alpha=0.5), sk.PoissonRegressor(alpha=0.5, solver="newton-cholesky", tol=1e-12), "counts"),
    (jl.BayesianRidge(), sk.BayesianRidge(), "y"),
]


@pytest.mark.parametrize("ours,ref,target", PAIRS, ids=[type(p[0]).__name__ for p in PAIRS])
def test_regressors_match_sklearn(data, ours, ref, target):
    X, y, _, counts = data
    t = y if target == "y" else counts
    ours, ref = clone(ours).fit(X, t), clone(ref).fit(X, t)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-8, atol=1e-8)
    assert ours.n_features_in_ == 4


def _lasso_objective(model, X, y, alpha):
    r = y - X @ model.coef_ - model.intercept_
    return r @ r / (2 * len(y)) + alpha * np.abs(model.coef_).sum()


def test_lasso_parity_on_unscaled_features():
    """Unscaled columns (scales 0.1..20): at the same default tol both stop at the same
    sweep with the same coefficients (same stopping rule), and at a tight tol both reach
    the same optimum of the same objective."""
    X, y = make_regression(n_samples=200, n_features=15, n_informative=6, noise=5.0,
                           random_state=3)
    X = X * np.linspace(0.1, 20.0, 15)
    ours, ref = jl.Lasso(alpha=0.1).fit(X, y), sk.Lasso(alpha=0.1).fit(X, y)
    scale = np.max(np.abs(ref.coef_))
    assert np.max(np.abs(ours.coef_ - ref.coef_)) <= 1e-10 * scale
    assert ours.n_iter_ == ref.n_iter_
    assert ours.dual_gap_ == pytest.approx(ref.dual_gap_, rel=1e-6)
    tight_ours = jl.Lasso(alpha=0.1, tol=1e-12, max_iter=10_000).fit(X, y)
    tight_ref = sk.Lasso(alpha=0.1, tol=1e-12, max_iter=10_000).fit(X, y)
    assert _lasso_objective(tight_ours, X, y, 0.1) == pytest.approx(
        _lasso_objective(tight_ref, X, y, 0.1), rel=1e-12)
    assert np.max(np.abs(tight_ours.coef_ - tight_ref.coef_)) <= 1e-8 * scale
    # the default fit is within its certified gap of the optimum
    gap = _lasso_objective(ours, X, y, 0.1) - _lasso_objective(tight_ours, X, y, 0.1)
    assert 0.0 <= gap <= ours.dual_gap_ + 1e-12


def _logistic_objective(model, X, y, C):
    z = X @ model.coef_.ravel() + model.intercept_[0]
    return C * np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * model.coef_.ravel() @ model.coef_.ravel()


def test_logistic_parity_on_standardised_breast_cancer():
    """scikit-learn's default L-BFGS (tol 1e-4) stops short of the optimum here (its
    probabilities differ by ~5e-3 and its objective is higher); run to convergence, it
    agrees with ours to 1e-6 in probability and to rounding in the objective."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = jl.LogisticRegression(C=0.5).fit(X, y)
    loose = sk.LogisticRegression(C=0.5).fit(X, y)
    tight = sk.LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), tight.predict_proba(X), atol=1e-6)
    f_ours = _logistic_objective(ours, X, y, 0.5)
    assert f_ours == pytest.approx(_logistic_objective(tight, X, y, 0.5), rel=1e-10)
    assert f_ours < _logistic_objective(loose, X, y, 0.5)


def test_bayesian_ridge_std_matches_sklearn(data):
    X, y, _, _ = data
    mean, std = jl.BayesianRidge().fit(X, y).predict(X[:5], return_std=True)
    ref_mean, ref_std = sk.BayesianRidge().fit(X, y).predict(X[:5], return_std=True)
    np.testing.assert_allclose(std, ref_std, rtol=1e-9)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-9)


@pytest.mark.parametrize("class_weight", [None, "balanced", {"a": 2.0, "c": 0.5}])
def test_logistic_regression_matches_sklearn_with_string_labels(data, class_weight):
    X, _, labels, _ = data
    ours = jl.LogisticRegression(C=0.8, class_weight=class_weight).fit(X, labels)
    ref = sk.LogisticRegression(C=0.8, class_weight=class_weight, tol=1e-12, max_iter=5000).fit(X, labels)
    np.testing.assert_array_equal(ours.classes_, ["a", "b", "c"])
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.coef_.shape == (3, 4) and ours.decision_function(X).shape == (70, 3)


def test_logistic_binary_decision_function_and_pickle(data):
    X, _, labels, _ = data
    yb = labels == "a"
    ours = jl.LogisticRegression(C=0.5).fit(X, yb)
    ref = sk.LogisticRegression(C=0.5, tol=1e-12).fit(X, yb)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-7)
    restored = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(restored.predict_proba(X), ours.predict_proba(X))
    assert restored.get_params() == ours.get_params()


def test_pipeline_grid_search_and_cross_val_score(data):
    X, y, labels, _ = data
    pipe = make_pipeline(StandardScaler(), jl.Ridge())
    search = GridSearchCV(pipe, {"ridge__alpha": [0.01, 1.0, 100.0]}, cv=3).fit(X, y)
    ref = GridSearchCV(make_pipeline(StandardScaler(), sk.Ridge()), {"ridge__alpha": [0.01, 1.0, 100.0]}, cv=3)
    ref.fit(X, y)
    assert search.best_params_ == ref.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-8)
    scores = cross_val_score(jl.LogisticRegression(), X, labels, cv=3)
    ref_scores = cross_val_score(sk.LogisticRegression(tol=1e-10), X, labels, cv=3)
    np.testing.assert_allclose(scores, ref_scores)


def test_contract_errors(data):
    X, y, labels, _ = data
    with pytest.raises(NotFittedError):
        jl.Lasso().predict(X)
    model = jl.Ridge().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but Ridge is expecting 4"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        jl.LinearRegression().fit(np.where(X > 1.5, np.nan, X), y)
    with pytest.raises(ValueError, match="one class"):
        jl.LogisticRegression().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        jl.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="y must be >= 0"):
        jl.PoissonRegressor().fit(X, -np.abs(y))
    with pytest.raises(ValueError, match="penalty"):
        jl.LogisticRegression(penalty="elasticnet").fit(X, labels)
