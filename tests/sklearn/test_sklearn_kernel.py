"""jaxml.sklearn kernel machines: scikit-learn's own estimator checks and parity with it."""

import pickle

import jax
import numpy as np
import pytest
import sklearn.gaussian_process as skgp
import sklearn.kernel_ridge as skkr
import sklearn.svm as sksvm
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.gaussian_process.kernels import RBF, WhiteKernel
from sklearn.gaussian_process.kernels import ConstantKernel as Const
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._testing import SkipTest
from sklearn.utils.estimator_checks import estimator_checks_generator

from jaxml.classical import gp
from jaxml.sklearn.kernel import (
    SVC,
    SVR,
    GaussianProcessClassifier,
    GaussianProcessRegressor,
    KernelRidge,
)

X_iris, y_iris = load_iris(return_X_y=True)
X_iris = StandardScaler().fit_transform(X_iris)
X_reg, y_reg = make_regression(60, 3, noise=2.0, random_state=0)
y_reg = y_reg / y_reg.std()


def _checks(estimators, *marks):
    """scikit-learn's full check suite (as ``parametrize_with_checks`` yields it).

    ``check_array_api_input`` is left out: it only runs with ``SCIPY_ARRAY_API=1`` and
    otherwise skips; these estimators take NumPy input only.
    """
    params = []
    for est in estimators:
        for estimator, check in estimator_checks_generator(est, legacy=True):
            name = getattr(check, "func", check).__name__
            if name == "check_array_api_input":
                continue
            params.append(pytest.param(estimator, check, id=f"{est!r}-{name}", marks=marks))
    return params


def _run(estimator, check):
    try:
        check(estimator)
    except SkipTest as skip:
        pytest.fail(f"check skipped: {skip}")


@pytest.mark.parametrize("estimator, check", _checks([SVC(), SVR(), KernelRidge()]))
def test_sklearn_estimator_checks(estimator, check):
    _run(estimator, check)


# The Gaussian-process classes run the same full sweep, with their default L-BFGS
# hyperparameter optimiser (where the float32 crash was) and no expected failures. Each new
# data shape compiles the optimiser anew (GPR about 150 s for the whole sweep on a loaded
# 2-core machine, GPC several times that), so the sweep runs with the slow tests.
@pytest.mark.slow
@pytest.mark.parametrize(
    "estimator, check", _checks([GaussianProcessRegressor(), GaussianProcessClassifier()])
)
def test_sklearn_estimator_checks_gp(estimator, check):
    _run(estimator, check)


def test_svc_matches_sklearn_multiclass():
    ours = SVC(C=0.5, gamma=0.2).fit(X_iris, y_iris)
    ref = sksvm.SVC(C=0.5, gamma=0.2).fit(X_iris, y_iris)
    np.testing.assert_array_equal(ours.predict(X_iris), ref.predict(X_iris))
    np.testing.assert_allclose(ours.decision_function(X_iris), ref.decision_function(X_iris),
                               atol=5e-3)
    np.testing.assert_array_equal(ours.support_, ref.support_)
    np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
    np.testing.assert_allclose(ours.intercept_, -ref.intercept_ * np.array([1, 1, 1]), atol=5e-3)
    ovo = SVC(C=0.5, gamma=0.2, decision_function_shape="ovo").fit(X_iris, y_iris)
    ref_ovo = sksvm.SVC(C=0.5, gamma=0.2, decision_function_shape="ovo").fit(X_iris, y_iris)
    np.testing.assert_allclose(ovo.decision_function(X_iris), ref_ovo.decision_function(X_iris),
                               atol=5e-3)


def test_svc_probability_and_pickle():
    ours = SVC(probability=True).fit(X_iris, y_iris)
    assert not hasattr(SVC(), "predict_proba")
    proba = ours.predict_proba(X_iris)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.exp(ours.predict_log_proba(X_iris)), proba)
    assert np.mean(proba.argmax(axis=1) == y_iris) > 0.9
    clone = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(clone.predict_proba(X_iris), proba)


def test_svr_and_kernel_ridge_match_sklearn():
    ours = SVR(C=2.0, epsilon=0.05, kernel="poly", degree=2, coef0=1.0).fit(X_reg, y_reg)
    ref = sksvm.SVR(C=2.0, epsilon=0.05, kernel="poly", degree=2, coef0=1.0).fit(X_reg, y_reg)
    np.testing.assert_allclose(ours.predict(X_reg), ref.predict(X_reg), atol=5e-3)
    np.testing.assert_array_equal(ours.support_, ref.support_)
    kr = KernelRidge(alpha=0.5, kernel="rbf", gamma=0.3).fit(X_reg, y_reg)
    kr_ref = skkr.KernelRidge(alpha=0.5, kernel="rbf", gamma=0.3).fit(X_reg, y_reg)
    np.testing.assert_allclose(kr.dual_coef_, kr_ref.dual_coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(kr.predict(X_reg), kr_ref.predict(X_reg), rtol=1e-9, atol=1e-10)


def test_gaussian_processes_match_sklearn():
    kernel = Const(1.3) * RBF(0.9) + WhiteKernel(0.05)
    ref = skgp.GaussianProcessRegressor(kernel, optimizer=None).fit(X_reg, y_reg)
    ours = GaussianProcessRegressor(0.9, 1.3, 0.05, optimizer=None).fit(X_reg, y_reg)
    np.testing.assert_allclose(ours.log_marginal_likelihood_value_,
                               ref.log_marginal_likelihood_value_, rtol=1e-9)
    mean, std = ours.predict(X_reg[:5], return_std=True)
    ref_mean, ref_std = ref.predict(X_reg[:5], return_std=True)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(std, ref_std, rtol=1e-7, atol=1e-9)
    fitted = GaussianProcessRegressor(1.0, 1.0, 0.1).fit(X_reg, y_reg)
    ref_fit = skgp.GaussianProcessRegressor(Const(1.0) * RBF(1.0) + WhiteKernel(0.1)).fit(
        X_reg, y_reg)
    assert fitted.log_marginal_likelihood_value_ >= ref_fit.log_marginal_likelihood_value_ - 1e-3
    gpc = GaussianProcessClassifier(1.0, 1.0, optimizer=None).fit(X_iris, y_iris)
    gpc_ref = skgp.GaussianProcessClassifier(Const(1.0) * RBF(1.0), optimizer=None).fit(
        X_iris, y_iris)
    np.testing.assert_allclose(gpc.predict_proba(X_iris), gpc_ref.predict_proba(X_iris),
                               atol=1e-3)


def test_gp_float32_input_under_x64_matches_float64():
    """The cause of the old crash in ``check_estimators_dtypes``: optax's backtracking line
    search recovered its stored gradient with a float64 cotangent under ``enable_x64``,
    failing for float32 hyperparameters. Both the pure fit and the classes take float32."""
    X32, y32 = X_reg[:30].astype(np.float32), y_reg[:30].astype(np.float32)
    with jax.enable_x64(True):
        params = gp.gp_regression(1.0, 1.0, 0.1, max_steps=20).fit(X32, y32)
    assert params.alpha.dtype == np.float32 and np.isfinite(float(params.log_marginal_likelihood))
    for ours, Xy in ((GaussianProcessRegressor, (X_reg[:30], y_reg[:30])),
                     (GaussianProcessClassifier, (X_iris[::5], y_iris[::5]))):
        X64, y = Xy
        est32 = ours(max_optimizer_steps=20).fit(X64.astype(np.float32), y)
        est64 = ours(max_optimizer_steps=20).fit(X64, y)
        np.testing.assert_allclose(est32.log_marginal_likelihood_value_,
                                   est64.log_marginal_likelihood_value_, rtol=1e-5)
        np.testing.assert_allclose(est32.predict(X64[:5].astype(np.float32)),
                                   est64.predict(X64[:5]), rtol=1e-5, atol=1e-6)


def test_pipeline_gridsearch_cross_val_score():
    grid = {"svc__C": [0.1, 1.0, 10.0], "svc__gamma": [0.1, 1.0]}
    ours = GridSearchCV(make_pipeline(StandardScaler(), SVC()), grid, cv=3).fit(X_iris, y_iris)
    ref = GridSearchCV(make_pipeline(StandardScaler(), sksvm.SVC()), grid, cv=3).fit(
        X_iris, y_iris)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               ref.cv_results_["mean_test_score"], atol=0.02)
    scores = cross_val_score(KernelRidge(alpha=0.1, kernel="rbf"), X_reg, y_reg, cv=3)
    ref_scores = cross_val_score(skkr.KernelRidge(alpha=0.1, kernel="rbf"), X_reg, y_reg, cv=3)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-8)


def test_bad_input_errors():
    with pytest.raises(NotFittedError):
        SVC().predict(X_iris)
    with pytest.raises(ValueError, match="kernel must be one of"):
        SVC(kernel="laplacian").fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="gamma"):
        SVR(gamma="big").fit(X_reg, y_reg)
    with pytest.raises(ValueError, match="optimizer"):
        GaussianProcessRegressor(optimizer="adam").fit(X_reg, y_reg)
    with pytest.raises(ValueError, match="greater than one"):
        SVC().fit(X_iris[:20], np.zeros(20))
    fitted = KernelRidge().fit(X_reg, y_reg)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X_reg[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        SVR().fit(np.full((4, 2), np.nan), np.ones(4))
