"""SVMs vs scikit-learn (libsvm / liblinear) on the same data and hyperparameters."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import pairwise
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.utils.multiclass import _ovr_decision_function

from jaxml.classical import svm

Xb, yb = make_classification(80, 4, n_informative=3, n_redundant=0, random_state=1)
Xb = Xb.astype(np.float32)
Xm, ym = make_classification(90, 4, n_informative=3, n_redundant=0, n_classes=3,
                             n_clusters_per_class=1, random_state=2)
Xm = Xm.astype(np.float32)


def sklearn_dual_objective(model, X, kernel_fn):
    """``1/2 sum_st c_s c_t k(x_s, x_t) - sum_s |c_s|`` for binary libsvm solutions."""
    c = model.dual_coef_[0]
    K = kernel_fn(model.support_vectors_, model.support_vectors_)
    return 0.5 * c @ K @ c - np.abs(c).sum()


@pytest.mark.parametrize("kernel", ["rbf", "linear", "poly"])
def test_svc_binary_matches_sklearn(kernel):
    sk = SVC(C=2.0, kernel=kernel, gamma=0.3, coef0=1.0, degree=2).fit(Xb, yb)
    est = svm.svc(2.0, kernel=kernel, gamma=0.3, coef0=1.0, degree=2)
    params = est.fit(Xb, yb)
    chex.assert_shape(params.dual_coef, (1, 80))
    ours_sv = set(np.flatnonzero(np.asarray(params.dual_coef[0]) != 0))
    assert len(ours_sv ^ set(sk.support_)) <= 2
    dec = np.asarray(est.decision_function(params, Xb))[:, 0]
    np.testing.assert_allclose(dec, sk.decision_function(Xb), atol=2e-2)
    assert np.mean(np.asarray(est.predict(params, Xb)) == sk.predict(Xb)) >= 0.98

    def k(a, b):
        return pairwise.pairwise_kernels(a, b, metric=kernel, gamma=0.3, coef0=1.0, degree=2,
                                         filter_params=True)

    sk_obj = sklearn_dual_objective(sk, Xb, k)
    np.testing.assert_allclose(float(params.objective[0]), sk_obj, rtol=1e-3)


def test_svc_multiclass_ovo_matches_sklearn():
    sk = SVC(C=1.0, kernel="rbf", gamma="scale").fit(Xm, ym)
    sk_ovo = SVC(C=1.0, kernel="rbf", gamma="scale", decision_function_shape="ovo").fit(Xm, ym)
    est = svm.svc(1.0)
    params = est.fit(Xm, ym)
    dec = est.decision_function(params, Xm)
    chex.assert_shape(dec, (90, 3))
    np.testing.assert_allclose(-np.asarray(dec), sk_ovo.decision_function(Xm), atol=2e-2)
    np.testing.assert_allclose(np.asarray(svm.ovr_decision(dec, 3)), sk.decision_function(Xm),
                               atol=2e-2)
    pred = np.asarray(est.predict(params, Xm))
    assert pred.dtype == np.int32
    assert np.mean(pred == sk.predict(Xm)) >= 0.98
    ours_sv = set(np.flatnonzero(np.any(np.asarray(params.dual_coef) != 0, axis=0)))
    assert len(ours_sv ^ set(sk.support_)) <= 3


def test_ovr_decision_matches_sklearn_helper():
    dec = np.random.default_rng(0).normal(size=(10, 6)).astype(np.float32)
    ours = svm.ovr_decision(jnp.asarray(dec), 4)
    oracle = _ovr_decision_function(-dec < 0, dec, 4)
    np.testing.assert_allclose(np.asarray(ours), oracle, atol=1e-6)


def test_svc_jit_matches_eager_and_vmaps_over_C():
    X, y = Xb[:40], yb[:40]
    eager = svm.svc(0.5, gamma=0.5).fit(X, y)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def fit_many(Cs):
        return jax.vmap(lambda c: svm.svc(c, gamma=0.5, n_classes=2).fit(X, y))(Cs)

    many = fit_many(jnp.array([0.5, 4.0]))
    np.testing.assert_allclose(np.asarray(many.dual_coef[0]), np.asarray(eager.dual_coef),
                               atol=1e-5)
    for i, C in enumerate([0.5, 4.0]):
        sk = SVC(C=C, gamma=0.5).fit(X, y)
        np.testing.assert_allclose(np.asarray(many.intercept[i, 0]), sk.intercept_[0], atol=2e-2)
    fit_many(jnp.array([1.0, 2.0]))  # second call: no retrace


def test_smo_kkt_conditions_hold():
    X, y = Xb[:50], yb[:50]
    params = svm.svc(1.0, kernel="linear", tol=1e-4).fit(X, y)
    coef = np.asarray(params.dual_coef[0])
    y_pm = np.where(y == 1, 1.0, -1.0)
    alpha = coef * y_pm
    assert np.all(alpha >= -1e-7) and np.all(alpha <= 1.0 + 1e-6)
    assert abs(np.sum(coef)) < 1e-4  # y^T alpha = 0
    margins = y_pm * np.asarray(svm.svc(1.0, kernel="linear").decision_function(params, X)[:, 0])
    free = (alpha > 1e-6) & (alpha < 1.0 - 1e-6)
    np.testing.assert_allclose(margins[free], 1.0, atol=1e-2)
    assert np.all(margins[alpha < 1e-8] >= 1.0 - 1e-2)
    assert np.all(margins[alpha > 1.0 - 1e-6] <= 1.0 + 1e-2)


def test_svc_probability_platt():
    est = svm.svc(1.0, gamma=0.3, probability=True)
    params = est.fit(Xb, yb)
    proba = np.asarray(est.predict_proba(params, Xb))
    chex.assert_shape(proba, (80, 2))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    dec = np.asarray(est.decision_function(params, Xb))[:, 0]
    assert float(params.prob_a[0]) < 0  # probability increases with the decision value
    assert np.all(np.diff(proba[np.argsort(dec), 1]) >= -1e-6)
    sk = SVC(C=1.0, gamma=0.3, probability=True, random_state=0).fit(Xb, yb)
    assert np.mean(np.abs(proba - sk.predict_proba(Xb))) < 0.05


@pytest.mark.slow
def test_svc_multiclass_probability_close_to_sklearn():
    est = svm.svc(1.0, probability=True)
    params = est.fit(Xm, ym)
    proba = np.asarray(est.predict_proba(params, Xm))
    chex.assert_shape(proba, (90, 3))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    sk = SVC(C=1.0, probability=True, random_state=0).fit(Xm, ym)
    assert np.mean(np.abs(proba - sk.predict_proba(Xm))) < 0.05


def test_pairwise_coupling_recovers_consistent_probabilities():
    p = jnp.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    first, second = np.triu_indices(3, 1)
    r = p[:, second] / (p[:, first] + p[:, second])
    np.testing.assert_allclose(np.asarray(svm.pairwise_coupling(r, 3)), np.asarray(p), atol=1e-5)


def test_svr_matches_sklearn():
    X, y = make_regression(70, 3, noise=3.0, random_state=0)
    y = (y / y.std()).astype(np.float32)
    X = X.astype(np.float32)
    sk = SVR(C=3.0, epsilon=0.2, gamma=0.4).fit(X, y)
    est = svm.svr(3.0, epsilon=0.2, gamma=0.4)
    params = est.fit(X, y)
    pred = np.asarray(est.predict(params, X))
    chex.assert_shape(pred, (70,))
    np.testing.assert_allclose(pred, sk.predict(X), atol=1e-2)
    ours_sv = set(np.flatnonzero(np.asarray(params.dual_coef) != 0))
    assert len(ours_sv ^ set(sk.support_)) <= 2
    np.testing.assert_allclose(float(params.intercept), sk.intercept_[0], atol=1e-2)


def test_linear_svm_pegasos_matches_liblinear_objective():
    y_pm = np.where(yb == 1, 1.0, -1.0)
    lam = 0.01
    C = 1.0 / (lam * len(yb))
    est = svm.linear_svm(lam, n_steps=3000, batch_size=16)
    params = est.fit(jax.random.PRNGKey(0), Xb, yb)
    chex.assert_shape(params.coef, (1, 4))
    ours = float(svm.hinge_objective(params.coef[0], params.intercept[0], Xb, y_pm, lam))
    sk = LinearSVC(C=C, loss="hinge", intercept_scaling=1.0, tol=1e-8, max_iter=200_000).fit(Xb, yb)
    sk_obj = float(svm.hinge_objective(sk.coef_[0], sk.intercept_[0], Xb, y_pm, lam))
    assert ours <= sk_obj * 1.03
    assert np.mean(np.asarray(est.predict(params, Xb)) == sk.predict(Xb)) >= 0.95
    again = est.fit(jax.random.PRNGKey(0), Xb, yb)
    assert np.array_equal(np.asarray(again.coef), np.asarray(params.coef))


def test_linear_svm_multiclass_one_vs_rest():
    est = svm.linear_svm(1e-2, n_steps=1000, n_classes=3)
    params = jax.jit(est.fit)(jax.random.PRNGKey(1), Xm, ym)
    chex.assert_shape(params.coef, (3, 4))
    proba = est.predict_proba(params, Xm)
    np.testing.assert_allclose(np.asarray(proba.sum(axis=1)), 1.0, atol=1e-5)
    sk = LinearSVC(C=1.0 / (1e-2 * 90), loss="hinge", max_iter=100_000).fit(Xm, ym)
    acc = np.mean(np.asarray(est.predict(params, Xm)) == ym)
    assert acc >= sk.score(Xm, ym) - 0.05


def test_bad_input():
    with pytest.raises(ValueError, match="C must be > 0"):
        svm.svc(-1.0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        svm.svc(kernel="laplace")
    with pytest.raises(ValueError, match="gamma must be one of"):
        svm.svc(gamma="big")
    with pytest.raises(ValueError, match="epsilon"):
        svm.svr(epsilon=-0.1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        svm.svc().fit(Xb, np.zeros(80, dtype=int))
    with pytest.raises(ValueError, match="every class present"):
        svm.svc().fit(Xb, yb * 2)
    with pytest.raises(ValueError, match="X must be finite"):
        svm.svc().fit(np.full((4, 2), np.nan), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="same number of rows"):
        svm.svr().fit(Xb, yb[:10])
    with pytest.raises(ValueError, match="n_classes must be given"):
        jax.jit(svm.svc().fit)(Xb, yb)
    params = svm.svr().fit(Xb[:20], Xb[:20, 0])
    with pytest.raises(ValueError, match="features"):
        svm.svr().predict(params, Xb[:, :2])
    with pytest.raises(ValueError, match="probability=True"):
        est = svm.svc()
        est.predict_proba(est.fit(Xb[:20], yb[:20]), Xb[:3])
