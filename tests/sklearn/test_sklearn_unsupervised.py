"""jaxml.sklearn unsupervised estimators: scikit-learn's estimator contract, exact parity
with the pure jaxml estimators, and agreement with scikit-learn's own classes on easy
problems."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import cluster as sk_cluster
from sklearn import covariance as sk_covariance
from sklearn import decomposition as sk_decomposition
from sklearn import manifold as sk_manifold
from sklearn import mixture as sk_mixture
from sklearn import neighbors as sk_neighbors
from sklearn import svm as sk_svm
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxml.math import stats
from jaxml.sklearn import unsupervised as ju
from jaxml.unsupervised import (
    anomaly,
    decomposition,
    density_clustering,
    hierarchical,
    ica_nmf,
    kmeans,
    manifold,
    mixture,
    spectral,
)

# One worker runs the whole module, so its module-scoped fixtures (fitted models)
# are computed once, not once per xdist worker.
pytestmark = pytest.mark.xdist_group("sklearn_unsupervised")

ALL = [
    ju.KMeans(n_clusters=2, max_iter=20),
    ju.MiniBatchKMeans(n_clusters=2, batch_size=10, max_iter=5),
    ju.GaussianMixture(max_iter=20),
    ju.DBSCAN(),
    ju.OPTICS(),
    ju.OPTICS(cluster_method="dbscan", eps=0.5),
    ju.AgglomerativeClustering(),
    ju.SpectralClustering(n_clusters=2, n_init=2),
    ju.PCA(),
    ju.IncrementalPCA(),
    ju.TruncatedSVD(),
    ju.FactorAnalysis(max_iter=5),
    ju.FastICA(max_iter=20),
    ju.NMF(max_iter=50),
    ju.TSNE(perplexity=2.0, max_iter=260),
    ju.IsolationForest(n_estimators=10),
    ju.OneClassSVM(),
    ju.MinCovDet(),
    ju.EllipticEnvelope(),
    ju.KernelDensity(),
]


@pytest.mark.slow
@parametrize_with_checks(ALL)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- shared data
# One data set and one fit per class (the ``fitted`` fixture): every compile costs
# seconds on a small machine, so each fit's configuration serves both the parity with
# the pure estimator and the comparison with scikit-learn (explicit starts where the
# random draws would differ).

X_BLOBS, Y_BLOBS = make_blobs(n_samples=60, n_features=3, centers=3, cluster_std=0.8,
                              random_state=0)
START = X_BLOBS[[0, 1, 2]]  # KMeans/GaussianMixture starting means
GMM_INIT = dict(weights_init=np.full(3, 1 / 3), means_init=START,
                precisions_init=np.stack([np.eye(3)] * 3))
W_INIT = np.random.default_rng(0).normal(size=(2, 2))  # FastICA's starting rotation


@pytest.fixture(scope="module")
def data():
    """Three well-separated blobs in 3-D (60 rows), their labels, non-negative data for
    NMF and 20 query rows."""
    rng = np.random.default_rng(1)
    Q = X_BLOBS[rng.choice(60, 20, replace=False)] + 0.3 * rng.normal(size=(20, 3))
    return X_BLOBS, Y_BLOBS, np.abs(X_BLOBS), Q


def _x64(fn, *args):
    """``fn(*args)`` jitted in float64, as NumPy (the wrappers jit their methods too)."""
    with jax.enable_x64(True):
        return jax.tree.map(np.asarray, jax.jit(fn)(*args))


def _gmm_start():
    with jax.enable_x64(True):
        return mixture.mixture_params(GMM_INIT["weights_init"], START,
                                      precisions=GMM_INIT["precisions_init"])


KEY = jax.random.PRNGKey(3)  # random_state=3


def _elliptic_envelope_fast():
    """The pure elliptic envelope with its fit written as what it is — the FastMCD fit,
    then the ``contamination`` percentile of ``-dist`` — so that the fast test reuses
    MinCovDet's compiled program (test_elliptic_envelope_equals_its_pure_fit, slow,
    compiles the pure fit itself)."""
    est = anomaly.elliptic_envelope(0.15)

    def fit(key, X):
        p = _x64(anomaly.min_cov_det().fit, key, X)
        return p.replace(offset=_x64(lambda s: jnp.percentile(s, 100.0 * 0.15), -p.dist))

    return est._replace(fit=fit)


# (wrapper, pure estimator, keyed fit, data name, {attribute: params field}, methods,
#  extra fit arguments)
PARITY = [
    (ju.KMeans(n_clusters=3, init=START), lambda: kmeans.kmeans(3, init=START), True, "X",
     {"cluster_centers_": "centres", "labels_": "labels", "inertia_": "inertia",
      "n_iter_": "n_iter"}, ["predict"], ()),
    (ju.MiniBatchKMeans(n_clusters=3, init=START, batch_size=20, max_iter=10, random_state=3),
     lambda: kmeans.minibatch_kmeans(3, init=START, batch_size=20, max_iter=10), True, "X",
     {"cluster_centers_": "centres", "labels_": "labels", "inertia_": "inertia"},
     ["predict"], ()),
    (ju.GaussianMixture(n_components=3, tol=1e-8, **GMM_INIT),
     lambda: mixture.gaussian_mixture(3, tol=1e-8, init=_gmm_start()), True, "X",
     {"weights_": "weights", "means_": "means", "covariances_": "covariances",
      "lower_bound_": "lower_bound", "n_iter_": "n_iter"},
     ["predict_proba", "score_samples"], ()),
    (ju.DBSCAN(eps=1.0, min_samples=4), lambda: density_clustering.dbscan(1.0, 4), False,
     "X", {"labels_": "labels"}, [], ()),
    (ju.OPTICS(min_samples=4, eps=1.0, cluster_method="dbscan"),
     lambda: density_clustering.optics(4, eps=1.0), False, "X",
     {"labels_": "labels", "ordering_": "ordering", "reachability_": "reachability",
      "core_distances_": "core_distances"}, [], ()),
    (ju.AgglomerativeClustering(n_clusters=3, linkage="average"),
     lambda: hierarchical.agglomerative(3, linkage="average"), False, "X",
     {"labels_": "labels"}, [], ()),
    (ju.SpectralClustering(n_clusters=3, n_init=2, random_state=3),
     lambda: spectral.spectral_clustering(3, n_init=2), True, "X",
     {"labels_": "labels", "embedding_": "embedding"}, [], ()),
    (ju.PCA(n_components=2, whiten=True), lambda: decomposition.pca(2, whiten=True), False,
     "X", {"components_": "components", "explained_variance_": "explained_variance",
           "explained_variance_ratio_": "explained_variance_ratio",
           "singular_values_": "singular_values", "mean_": "mean",
           "noise_variance_": "noise_variance"}, ["transform"], ()),
    (ju.IncrementalPCA(n_components=2, batch_size=15),
     lambda: decomposition.incremental_pca(2, batch_size=15), False, "X",
     {"components_": "components", "explained_variance_": "explained_variance",
      "mean_": "mean"}, ["transform"], ()),
    (ju.TruncatedSVD(n_components=2, random_state=3), lambda: decomposition.truncated_svd(2),
     True, "X", {"components_": "components", "singular_values_": "singular_values",
                 "explained_variance_ratio_": "explained_variance_ratio"}, ["transform"],
     ()),
    (ju.FactorAnalysis(n_components=2), lambda: decomposition.factor_analysis(2), False, "X",
     {"components_": "components", "noise_variance_": "noise_variance", "mean_": "mean"},
     ["transform"], ()),
    (ju.FastICA(n_components=2, w_init=W_INIT, tol=1e-10, max_iter=1000, random_state=3),
     lambda: ica_nmf.fast_ica(2, tol=1e-10, max_iter=1000), True, "X",
     {"components_": "components", "mixing_": "mixing", "mean_": "mean"}, ["transform"],
     (W_INIT,)),
    (ju.NMF(n_components=2, max_iter=400, random_state=3),
     lambda: ica_nmf.nmf(2, max_iter=400), True, "Xp",
     {"components_": "components", "reconstruction_err_": "reconstruction_err"},
     ["transform"], ()),
    (ju.TSNE(perplexity=10.0, max_iter=300, random_state=3),
     lambda: manifold.tsne(perplexity=10.0, max_iter=300), True, "X",
     {"embedding_": "embedding", "kl_divergence_": "kl_divergence"}, [], ()),
    (ju.IsolationForest(n_estimators=20, random_state=3),
     lambda: anomaly.isolation_forest(20, 60), True, "X", {"offset_": "offset"},
     ["score_samples"], ()),
    (ju.OneClassSVM(nu=0.2), lambda: anomaly.one_class_svm(0.2), False, "X",
     {"offset_": "offset"}, ["score_samples"], ()),
    (ju.MinCovDet(random_state=3), lambda: anomaly.min_cov_det(), True, "X",
     {"location_": "location", "covariance_": "covariance", "support_": "support",
      "dist_": "dist"}, [], ()),
    (ju.EllipticEnvelope(contamination=0.15, random_state=3), _elliptic_envelope_fast,
     True, "X", {"location_": "location", "covariance_": "covariance", "offset_": "offset"},
     ["score_samples"], ()),
    (ju.KernelDensity(bandwidth=0.8, kernel="epanechnikov"),
     lambda: stats.kde("epanechnikov", 0.8), False, "X", {"bandwidth_": "bandwidth"},
     ["score_samples"], ()),
]


@pytest.fixture(scope="module")
def fitted(data):
    """Every PARITY wrapper fitted once (the other tests reuse them)."""
    X, _, Xp, _ = data
    out = {}
    for ours, _, _, name, *_ in PARITY:
        out[type(ours).__name__] = clone(ours).fit(Xp if name == "Xp" else X)
    return out


@pytest.mark.parametrize("ours,make,keyed,name,attrs,methods,extra", PARITY,
                         ids=[type(p[0]).__name__ for p in PARITY])
def test_wrappers_equal_the_pure_estimators(data, fitted, ours, make, keyed, name, attrs,
                                            methods, extra):
    X, _, Xp, Q = data
    Z, Qz = (Xp, np.abs(Q)) if name == "Xp" else (X, Q)
    ours = fitted[type(ours).__name__]
    with jax.enable_x64(True):  # as the wrappers build them: array arguments in float64
        est = make()
    fit = est.fit if make is _elliptic_envelope_fast else jax.jit(est.fit)
    with jax.enable_x64(True):
        params = jax.tree.map(np.asarray, fit(*((KEY,) if keyed else ()), Z, *extra))
    assert ours.n_features_in_ == 3
    for attr, field in attrs.items():
        np.testing.assert_array_equal(getattr(ours, attr), getattr(params, field), err_msg=attr)
    for method in methods:
        np.testing.assert_array_equal(getattr(ours, method)(Qz),
                                      _x64(getattr(est, method), params, Qz), err_msg=method)
    if hasattr(est, "decision_function"):  # the pure detectors' rule, in NumPy
        decision = ours.score_samples(Qz) - params.offset
        np.testing.assert_array_equal(ours.decision_function(Qz), decision)
        np.testing.assert_array_equal(ours.predict(Qz), np.where(decision >= 0, 1, -1))


@pytest.mark.slow
def test_elliptic_envelope_equals_its_pure_fit(data, fitted):
    X, _, _, Q = data
    est = anomaly.elliptic_envelope(0.15)
    params = _x64(est.fit, KEY, X)
    ours = fitted["EllipticEnvelope"]
    np.testing.assert_array_equal(ours.covariance_, params.covariance)
    assert ours.offset_ == float(params.offset)
    np.testing.assert_array_equal(ours.decision_function(Q),
                                  _x64(est.decision_function, params, Q))
    np.testing.assert_array_equal(ours.predict(Q), _x64(est.predict, params, Q))


# ------------------------------------------------------------ agreement with scikit-learn


def test_kmeans_from_given_centres_matches_sklearn(data, fitted):
    X, _, _, Q = data
    ours = fitted["KMeans"]
    ref = sk_cluster.KMeans(n_clusters=3, init=START, n_init=1, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(ours.predict(Q), ref.predict(Q))
    np.testing.assert_allclose(ours.transform(Q), ref.transform(Q), rtol=1e-10)
    assert ours.score(Q) == pytest.approx(ref.score(Q), rel=1e-10)


def test_minibatch_kmeans_finds_the_blobs(data, fitted):
    X, y, _, _ = data
    assert adjusted_rand_score(y, fitted["MiniBatchKMeans"].labels_) == 1.0


def test_gaussian_mixture_from_given_parameters_matches_sklearn(data, fitted):
    X, _, _, Q = data
    ours = fitted["GaussianMixture"]
    ref = sk_mixture.GaussianMixture(n_components=3, tol=1e-8, **GMM_INIT).fit(X)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-7)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-8)
    np.testing.assert_allclose(ours.precisions_, ref.precisions_, rtol=1e-7)
    assert ours.n_iter_ == ref.n_iter_ and ours.converged_
    np.testing.assert_allclose(ours.score_samples(Q), ref.score_samples(Q), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), atol=1e-8)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-8)


def test_density_clusterers_match_sklearn(data, fitted):
    X, _, _, _ = data
    ref = sk_cluster.DBSCAN(eps=1.0, min_samples=4).fit(X)
    np.testing.assert_array_equal(fitted["DBSCAN"].labels_, ref.labels_)
    np.testing.assert_array_equal(fitted["DBSCAN"].core_sample_indices_,
                                  ref.core_sample_indices_)
    np.testing.assert_array_equal(fitted["DBSCAN"].components_, ref.components_)
    ours = fitted["OPTICS"]
    ref = sk_cluster.OPTICS(min_samples=4, eps=1.0, cluster_method="dbscan").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    # the orderings agree up to swaps of points with tied reachability
    np.testing.assert_allclose(ours.reachability_[ours.ordering_],
                               ref.reachability_[ref.ordering_], rtol=1e-10)
    np.testing.assert_allclose(ours.reachability_, ref.reachability_, rtol=1e-10)
    np.testing.assert_allclose(ours.core_distances_, ref.core_distances_, rtol=1e-10)
    ours = ju.OPTICS(min_samples=4, xi=0.1).fit(X)  # the default extraction, ξ
    ref = sk_cluster.OPTICS(min_samples=4, xi=0.1).fit(X)
    assert ref.labels_.max() >= 1
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_array_equal(ours.cluster_hierarchy_, ref.cluster_hierarchy_)
    assert not hasattr(ours.set_params(cluster_method="dbscan").fit(X), "cluster_hierarchy_")


def test_agglomerative_and_spectral_match_sklearn(data, fitted):
    X, y, _, _ = data
    ours = fitted["AgglomerativeClustering"]
    ref = sk_cluster.AgglomerativeClustering(n_clusters=3, linkage="average",
                                             compute_distances=True).fit(X)
    assert adjusted_rand_score(ours.labels_, ref.labels_) == 1.0
    np.testing.assert_allclose(np.sort(ours.distances_), np.sort(ref.distances_), rtol=1e-10)
    assert ours.children_.shape == ref.children_.shape == (59, 2)
    ref = sk_cluster.SpectralClustering(n_clusters=3, random_state=0).fit(X)
    assert adjusted_rand_score(fitted["SpectralClustering"].labels_, ref.labels_) == 1.0


def _signs_aligned(A, B):
    """``A`` with each row's sign flipped to agree with ``B``'s."""
    return A * np.sign(np.sum(A * B, axis=1))[:, None]


def test_pcas_match_sklearn(data, fitted):
    X, _, _, Q = data
    ours = fitted["PCA"]
    ref = sk_decomposition.PCA(n_components=2, whiten=True, svd_solver="full").fit(X)
    for attr in ("components_", "explained_variance_", "explained_variance_ratio_",
                 "singular_values_", "mean_"):
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-10,
                                   atol=1e-12, err_msg=attr)
    assert ours.noise_variance_ == pytest.approx(ref.noise_variance_, rel=1e-10)
    np.testing.assert_allclose(ours.transform(Q), ref.transform(Q), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(Q)),
                               ref.inverse_transform(ref.transform(Q)), rtol=1e-9)
    plain = ju.PCA(n_components=0.8).fit(X)
    ref = sk_decomposition.PCA(n_components=0.8, svd_solver="full").fit(X)
    assert plain.n_components_ == ref.n_components_
    np.testing.assert_allclose(plain.score_samples(Q), ref.score_samples(Q), rtol=1e-9)
    assert plain.score(Q) == pytest.approx(ref.score(Q), rel=1e-9)
    ours = fitted["IncrementalPCA"]
    ref = sk_decomposition.IncrementalPCA(n_components=2, batch_size=15).fit(X)
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-9)
    ours = fitted["TruncatedSVD"]
    ref = sk_decomposition.TruncatedSVD(n_components=2, algorithm="arpack").fit(X)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-9)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-8)
    np.testing.assert_allclose(_signs_aligned(ours.components_, ref.components_),
                               ref.components_, atol=1e-8)


def test_factor_analysis_ica_and_nmf_match_sklearn(data, fitted):
    X, _, Xp, Q = data
    ours = fitted["FactorAnalysis"]
    ref = sk_decomposition.FactorAnalysis(n_components=2).fit(X)
    np.testing.assert_allclose(ours.get_covariance(), ref.get_covariance(), rtol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.score_samples(Q), ref.score_samples(Q), rtol=1e-8)
    ours = fitted["FastICA"]
    ref = sk_decomposition.FastICA(n_components=2, w_init=W_INIT, tol=1e-10, max_iter=1000,
                                   whiten="unit-variance").fit(X)
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.transform(Q), ref.transform(Q), rtol=1e-6, atol=1e-8)
    ours = fitted["NMF"]
    ref = sk_decomposition.NMF(n_components=2, init="nndsvda", max_iter=400).fit(Xp)
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-3, atol=1e-3)
    assert ours.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=1e-4)


def test_tsne_embeds_as_well_as_sklearn(data, fitted):
    X, _, _, _ = data
    ours = fitted["TSNE"]
    ref = sk_manifold.TSNE(perplexity=10.0, max_iter=300, method="exact",
                           random_state=0).fit(X)
    assert ours.embedding_.shape == (60, 2)
    assert ours.kl_divergence_ == pytest.approx(ref.kl_divergence_, abs=0.1)
    trust = sk_manifold.trustworthiness
    assert trust(X, ours.embedding_, n_neighbors=5) >= trust(X, ref.embedding_,
                                                             n_neighbors=5) - 0.02


def test_outlier_detectors_agree_with_sklearn(data, fitted):
    X, _, _, Q = data
    ref = sk_covariance.EllipticEnvelope(contamination=0.15, random_state=0).fit(X)
    ours = fitted["EllipticEnvelope"]
    np.testing.assert_allclose(ours.location_, ref.location_, rtol=1e-10)
    np.testing.assert_allclose(ours.covariance_, ref.covariance_, rtol=1e-10)
    np.testing.assert_array_equal(ours.support_, ref.support_)
    assert ours.offset_ == pytest.approx(ref.offset_, rel=1e-10)
    np.testing.assert_array_equal(ours.predict(Q), ref.predict(Q))
    np.testing.assert_allclose(ours.mahalanobis(Q), ref.mahalanobis(Q), rtol=1e-9)
    ref = sk_covariance.MinCovDet(random_state=0).fit(X)
    np.testing.assert_allclose(fitted["MinCovDet"].covariance_, ref.covariance_, rtol=1e-10)
    np.testing.assert_allclose(fitted["MinCovDet"].raw_covariance_, ref.raw_covariance_,
                               rtol=1e-10)
    ours, ref = fitted["OneClassSVM"], sk_svm.OneClassSVM(nu=0.2).fit(X)
    np.testing.assert_allclose(ours.decision_function(Q), ref.decision_function(Q),
                               atol=1e-2)
    assert ours.offset_ == pytest.approx(ref.offset_[0] if np.ndim(ref.offset_) else
                                         ref.offset_, rel=1e-2)
    # isolation forests draw different trees: the rankings agree, not the numbers
    ours = fitted["IsolationForest"]
    ref = sk_ensemble_iforest().fit(X)
    far = np.array([[12.0, 12.0, 12.0], [-12.0, 0.0, 5.0]])
    assert np.all(ours.predict(far) == -1) and np.all(ref.predict(far) == -1)
    corr = np.corrcoef(ours.score_samples(X), ref.score_samples(X))[0, 1]
    assert corr > 0.8


def sk_ensemble_iforest():
    from sklearn.ensemble import IsolationForest

    return IsolationForest(n_estimators=200, random_state=0)


def test_kernel_density_matches_sklearn(data, fitted):
    X, _, _, Q = data
    ours = fitted["KernelDensity"]
    ref = sk_neighbors.KernelDensity(bandwidth=0.8, kernel="epanechnikov").fit(X)
    np.testing.assert_allclose(ours.score_samples(Q), ref.score_samples(Q), rtol=1e-10)
    assert ours.score(Q) == pytest.approx(ref.score(Q), rel=1e-10)
    draws = ours.sample(20, random_state=2)
    assert draws.shape == (20, 3) and np.all(np.isfinite(ours.score_samples(draws)))


# ------------------------------------------------------------------------ the contract


@pytest.mark.parametrize("make,pattern", [
    (lambda: ju.KMeans(n_clusters=0), "n_clusters"),
    (lambda: ju.KMeans(init="kmeans"), "init"),
    (lambda: ju.KMeans(n_init=0), "n_init"),
    (lambda: ju.MiniBatchKMeans(batch_size=0), "batch_size"),
    (lambda: ju.GaussianMixture(n_components=0), "n_components"),
    (lambda: ju.GaussianMixture(covariance_type="banded"), "covariance_type"),
    (lambda: ju.GaussianMixture(init_params="k-means++"), "init_params"),
    (lambda: ju.GaussianMixture(means_init=np.zeros((1, 3))), "precisions_init"),
    (lambda: ju.DBSCAN(eps=-1.0), "eps"),
    (lambda: ju.DBSCAN(min_samples=0), "min_samples"),
    (lambda: ju.OPTICS(cluster_method="kmeans"), "cluster_method"),
    (lambda: ju.OPTICS(xi=1.5), "xi"),
    (lambda: ju.OPTICS(min_cluster_size=1), "min_cluster_size"),
    (lambda: ju.OPTICS(min_samples=1.5), "min_samples"),
    (lambda: ju.AgglomerativeClustering(linkage="centroid"), "linkage"),
    (lambda: ju.SpectralClustering(affinity="cosine"), "affinity"),
    (lambda: ju.PCA(n_components=1.5), "n_components"),
    (lambda: ju.PCA(n_components=4), "n_components"),
    (lambda: ju.IncrementalPCA(batch_size=0), "batch_size"),
    (lambda: ju.TruncatedSVD(n_iter=-1), "n_iter"),
    (lambda: ju.TruncatedSVD(algorithm="arpack"), "algorithm"),
    (lambda: ju.FactorAnalysis(tol=-1.0), "tol"),
    (lambda: ju.FastICA(whiten="arbitrary-variance"), "whiten"),
    (lambda: ju.FastICA(fun="tanh"), "fun"),
    (lambda: ju.NMF(init="svd"), "init"),
    (lambda: ju.NMF(beta_loss="itakura-saito"), "beta_loss"),
    (lambda: ju.TSNE(perplexity=-1.0), "perplexity"),
    (lambda: ju.TSNE(method="barnes_hut"), "method"),
    (lambda: ju.IsolationForest(contamination=0.7), "contamination"),
    (lambda: ju.IsolationForest(max_samples="all"), "max_samples"),
    (lambda: ju.OneClassSVM(nu=1.5), "nu"),
    (lambda: ju.OneClassSVM(kernel="cosine"), "kernel"),
    (lambda: ju.MinCovDet(support_fraction=1.5), "support_fraction"),
    (lambda: ju.EllipticEnvelope(contamination=0.0), "contamination"),
    (lambda: ju.KernelDensity(kernel="cosine"), "kernel"),
    (lambda: ju.KernelDensity(bandwidth=-1.0), "bandwidth"),
])
def test_bad_hyperparameters_raise_naming_the_argument(data, make, pattern):
    X, _, Xp, _ = data
    est = make()
    with pytest.raises((ValueError, TypeError), match=pattern):
        est.fit(Xp if isinstance(est, ju.NMF) else X)


def test_fitted_wrappers_pickle_and_refuse_unfitted_use(data, fitted):
    X, _, _, Q = data
    km = pickle.loads(pickle.dumps(fitted["KMeans"]))
    np.testing.assert_array_equal(km.predict(Q), fitted["KMeans"].predict(Q))
    with pytest.raises(NotFittedError):
        ju.PCA().transform(Q)
    with pytest.raises(ValueError, match="features"):
        fitted["GaussianMixture"].predict(Q[:, :2])
    assert list(fitted["PCA"].get_feature_names_out()) == ["pca0", "pca1"]
