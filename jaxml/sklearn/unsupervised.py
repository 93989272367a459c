"""scikit-learn-compatible clustering, decomposition, manifold, outlier and density
estimators over :mod:`jaxml.unsupervised` and :func:`jaxml.math.stats.kde`.

The classes follow the contract of the other :mod:`jaxml.sklearn` classes: ``__init__``
only stores its keyword arguments; ``fit`` validates with ``validate_data``, checks the
hyperparameters whose names differ from the pure factory's (so an error names the
scikit-learn argument), fits the pure estimator **in float64** through the cached jitted
fit of :func:`jaxml.sklearn.linear.fit_x64` (one compile per hyperparameters and input
shape) and stores the fitted values under scikit-learn's attribute names as NumPy
arrays; every later method (``predict``, ``transform``, ``score_samples``...) is the pure
estimator's, jitted, in float64. Randomness comes from a JAX key made from
``random_state`` as in :mod:`jaxml.sklearn.trees` (None means 0), so every fit is
deterministic; the same ``random_state`` does not give scikit-learn's random draws
(pass explicit starts — ``KMeans(init=array)``, ``GaussianMixture(means_init=...,
weights_init=..., precisions_init=...)``, ``FastICA(w_init=...)`` — to compare).

Differences from scikit-learn common to all classes: no ``sample_weight``, no sparse
input, no ``n_jobs``/``verbose``/``copy``; the algorithms are the pure estimators' (see
their docstrings), so e.g. ``KMeans`` only runs Lloyd's algorithm, ``TSNE`` runs
``method="exact"`` or ``"interp"`` (no Barnes-Hut) and ``OPTICS`` only uses the Euclidean
metric. Per class differences are in each class's docstring.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    DensityMixin,
    OutlierMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    check_non_negative,
    validate_data,
)

from jaxml.core import check_int, check_option
from jaxml.math import stats
from jaxml.sklearn.linear import call_x64
from jaxml.sklearn.trees import _call_x64, _fit_x64, _key, _seed
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

__all__ = [
    "KMeans",
    "MiniBatchKMeans",
    "GaussianMixture",
    "DBSCAN",
    "OPTICS",
    "AgglomerativeClustering",
    "SpectralClustering",
    "PCA",
    "IncrementalPCA",
    "TruncatedSVD",
    "FactorAnalysis",
    "FastICA",
    "NMF",
    "TSNE",
    "IsolationForest",
    "OneClassSVM",
    "MinCovDet",
    "EllipticEnvelope",
    "KernelDensity",
]


# ------------------------------------------------------------------------------ helpers


class _Fitted(BaseEstimator):
    """Shared plumbing: ``_spec(X)`` gives the pure factory and its hyperparameters,
    ``_stochastic`` says whether the pure fit takes a key first; the fitted pytree (NumPy
    leaves) is kept in ``_params`` and the spec in ``_fitted_spec`` for the methods."""

    _stochastic = False
    _min_samples = 2  # fewer rows fail in validate_data with scikit-learn's message

    def _spec(self, X):
        raise TypeError("subclasses define _spec")

    def _validate(self, X, reset=True):
        return validate_data(self, X, dtype=np.float64, reset=reset,
                             ensure_min_samples=self._min_samples if reset else 1)

    def _fit_params(self, X, *extra):
        factory, config = self._spec(X)
        args = (X,) + extra
        if self._stochastic:
            args = (_key(getattr(self, "random_state", None)),) + args
        params = _fit_x64(factory, config, *args)
        self._fitted_spec = (factory, config)
        self._params = params
        return params

    def _call(self, name, X):
        """The pure estimator's method ``name(params, X)`` on validated ``X``."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        factory, config = self._fitted_spec
        return _call_x64(factory, config, name, self._params, X)

    def _call_fn(self, fn, X):
        """A module-level jitted ``fn(params, X)`` on validated ``X``."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return call_x64(fn, self._params, X)


def _n_clusters(value, name="n_clusters"):
    return check_int(value, name, minimum=1)


def _n_components(value, X, name="n_components", *, default=None):
    """An int ``n_components`` (None: ``default``, else ``min(n, d)``)."""
    if value is None:
        return min(X.shape) if default is None else default
    return check_int(value, name, minimum=1)


def _warn_not_converged(estimator, what):
    warnings.warn(f"{type(estimator).__name__} did not converge: {what}; increase max_iter "
                  "or tol.", ConvergenceWarning, stacklevel=3)


_jit_centre_distances = jax.jit(kmeans.centre_distances)


# ----------------------------------------------------------------------------- k-means


class _KMeansBase(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, _Fitted):
    _stochastic = True
    _min_samples = 1

    def _init(self):
        init = self.init
        if isinstance(init, str):
            return check_option(init, "init", ("k-means++", "random"))
        if callable(init):
            raise TypeError("init must be 'k-means++', 'random' or an array of shape "
                            "(n_clusters, n_features); callables are not supported")
        init = np.asarray(init, dtype=np.float64)
        if init.ndim != 2 or init.shape[0] != _n_clusters(self.n_clusters):
            raise ValueError(f"init must have shape (n_clusters={self.n_clusters}, "
                             f"n_features), got {init.shape}")
        return init

    def _validate_fit(self, X):
        X = self._validate(X)
        k = _n_clusters(self.n_clusters)
        if k > X.shape[0]:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
        init = self._init()
        if not isinstance(init, str) and init.shape[1] != X.shape[1]:
            raise ValueError(f"init has {init.shape[1]} features, but X has {X.shape[1]}")
        return X

    def _store(self, params):
        self.cluster_centers_ = params.centres
        self.labels_ = params.labels.astype(np.int32)
        self.inertia_ = float(params.inertia)
        self._n_features_out = self.cluster_centers_.shape[0]

    def fit(self, X, y=None):
        """Cluster ``X``; returns ``self``."""
        X = self._validate_fit(X)
        self._store(self._fit_params(X))
        self._after_fit(X)
        return self

    def _after_fit(self, X):
        pass

    def predict(self, X):
        """Index of the nearest centre for each row."""
        return self._call("predict", X).astype(np.int32)

    def transform(self, X):
        """Euclidean distances ``(n, n_clusters)`` to the centres."""
        return self._call_fn(_jit_centre_distances, X)

    def score(self, X, y=None):
        """Opposite of the inertia of ``X`` under the fitted centres."""
        return -float(np.sum(np.min(self.transform(X), axis=1) ** 2))


class KMeans(_KMeansBase):
    """k-means by Lloyd's algorithm (:func:`jaxml.unsupervised.kmeans.kmeans`).

    Args:
      n_clusters: number of clusters (static).
      init: ``"k-means++"`` (greedy, as scikit-learn), ``"random"`` or an array
        ``(n_clusters, n_features)`` of starting centres (then the fit is scikit-learn's
        ``KMeans(init=array, n_init=1)``).
      n_init: ``"auto"`` (1 for k-means++ or an array, 10 for random, as scikit-learn) or
        an int; the restarts run as one ``vmap``.
      max_iter, tol: Lloyd's stopping rule (scikit-learn's).
      random_state: seed of the JAX key.

    Attributes: ``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_``,
    ``n_features_in_``. Only ``algorithm="lloyd"``; no ``sample_weight``.
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300,
                 tol=1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _spec(self, X):
        init = self._init()
        n_init = self.n_init
        if isinstance(n_init, str):
            check_option(n_init, "n_init", ("auto",))
            n_init = 10 if isinstance(init, str) and init == "random" else 1
        n_init = check_int(n_init, "n_init", minimum=1)
        if not isinstance(init, str) and n_init != 1:
            warnings.warn(f"Explicit initial centres passed: performing only one init "
                          f"instead of n_init={n_init}.", RuntimeWarning, stacklevel=4)
            n_init = 1
        return kmeans.kmeans, dict(k=_n_clusters(self.n_clusters), n_init=n_init,
                                   max_iter=self.max_iter, tol=self.tol, init=init)

    def _after_fit(self, X):
        self.n_iter_ = int(self._params.n_iter)


class MiniBatchKMeans(_KMeansBase):
    """Mini-batch k-means (:func:`jaxml.unsupervised.kmeans.minibatch_kmeans`): Sculley's
    per-centre learning rate 1/count, ``max_iter * n // batch_size`` steps of
    ``batch_size`` rows drawn with replacement.

    Attributes: ``cluster_centers_``, ``labels_`` and ``inertia_`` (of the whole
    training set; computed whatever ``compute_labels`` says), ``n_steps_``, ``n_iter_``
    (passes over the data). No early stopping, no random reassignment, no
    ``partial_fit``.
    """

    def __init__(self, n_clusters=8, *, init="k-means++", max_iter=100, batch_size=1024,
                 compute_labels=True, random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.compute_labels = compute_labels
        self.random_state = random_state

    def _spec(self, X):
        return kmeans.minibatch_kmeans, dict(k=_n_clusters(self.n_clusters),
                                             batch_size=self.batch_size,
                                             max_iter=self.max_iter, init=self._init())

    def _after_fit(self, X):
        self.n_steps_ = int(self._params.n_iter)
        b = min(self.batch_size, X.shape[0])
        self.n_iter_ = int(math.ceil(self.n_steps_ * b / X.shape[0]))


# -------------------------------------------------------------------- Gaussian mixture


def _gmm_factory(*, k, covariance_type, reg_covar, max_iter, tol, n_init, init,
                 weights_init, means_init, precisions_init):
    """:func:`mixture.gaussian_mixture` with scikit-learn's ``*_init`` arrays (hashable
    tuples in the cache key) turned into initial parameters."""
    if means_init is not None:
        init = mixture.mixture_params(np.asarray(weights_init), np.asarray(means_init),
                                      covariance_type=covariance_type,
                                      precisions=np.asarray(precisions_init))
    return mixture.gaussian_mixture(k, covariance_type=covariance_type, reg_covar=reg_covar,
                                    max_iter=max_iter, tol=tol, n_init=n_init, init=init)


def _precisions(prec_chol, covariance_type):
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", prec_chol, prec_chol)
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


class GaussianMixture(DensityMixin, _Fitted):
    """Gaussian mixture fitted by EM (:func:`jaxml.unsupervised.mixture.gaussian_mixture`).

    Args:
      n_components: number of components (static).
      covariance_type: ``"full"``, ``"tied"``, ``"diag"`` or ``"spherical"``.
      tol, reg_covar, max_iter: scikit-learn's.
      n_init: restarts (one ``vmap``); the best lower bound is kept.
      init_params: ``"kmeans"`` (jaxml's k-means++ and Lloyd) or ``"random"``.
      weights_init, means_init, precisions_init: explicit starting parameters, all three
        or none (scikit-learn also takes any subset).
      random_state: seed of the JAX key.

    Attributes: ``weights_``, ``means_``, ``covariances_``, ``precisions_``,
    ``precisions_cholesky_``, ``converged_``, ``n_iter_``, ``lower_bound_``. Methods
    ``predict``, ``predict_proba``, ``score_samples``, ``score``, ``bic``, ``aic``,
    ``fit_predict``; no ``sample``, ``warm_start`` or ``"k-means++"`` init.
    """

    _stochastic = True
    _min_samples = 1

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    def _spec(self, X):
        k = _n_components(self.n_components, X)
        init = check_option(self.init_params, "init_params", ("kmeans", "random"))
        given = [a is not None for a in (self.weights_init, self.means_init,
                                         self.precisions_init)]
        if any(given) and not all(given):
            raise ValueError("weights_init, means_init and precisions_init must be given "
                             "together (or none of them)")
        arrays = {name: None if value is None else np.asarray(value, np.float64)
                  for name, value in (("weights_init", self.weights_init),
                                      ("means_init", self.means_init),
                                      ("precisions_init", self.precisions_init))}
        if arrays["means_init"] is not None and arrays["means_init"].shape != (k, X.shape[1]):
            raise ValueError(f"means_init must have shape (n_components={k}, "
                             f"n_features={X.shape[1]}), got {arrays['means_init'].shape}")
        return _gmm_factory, dict(k=k, covariance_type=self.covariance_type,
                                  reg_covar=self.reg_covar, max_iter=self.max_iter,
                                  tol=self.tol, n_init=self.n_init, init=init, **arrays)

    def fit(self, X, y=None):
        """Fit the mixture by EM; returns ``self``."""
        X = self._validate(X)
        k = _n_components(self.n_components, X)
        if k > X.shape[0]:
            raise ValueError(f"Expected n_samples >= n_components but got "
                             f"n_components = {k}, n_samples = {X.shape[0]}")
        p = self._fit_params(X)
        self.weights_ = p.weights
        self.means_ = p.means
        self.covariances_ = p.covariances
        self.precisions_cholesky_ = p.precisions_cholesky
        self.precisions_ = _precisions(p.precisions_cholesky, self.covariance_type)
        self.converged_ = bool(p.converged)
        self.n_iter_ = int(p.n_iter)
        self.lower_bound_ = float(p.lower_bound)
        if not self.converged_:
            _warn_not_converged(self, f"the lower bound still changed by more than tol "
                                      f"after max_iter={self.max_iter} EM iterations")
        return self

    def predict(self, X):
        """Most probable component of each row."""
        return self._call("predict", X).astype(np.int32)

    def fit_predict(self, X, y=None):
        """``fit(X).predict(X)``."""
        return self.fit(X).predict(X)

    def predict_proba(self, X):
        """Posterior component probabilities ``(n, n_components)``."""
        return self._call("predict_proba", X)

    def score_samples(self, X):
        """Log-density of each row."""
        return self._call("score_samples", X)

    def score(self, X, y=None):
        """Mean log-density of the rows of ``X``."""
        return float(self._call("score", X))

    def bic(self, X):
        """Bayesian information criterion on ``X`` (lower is better)."""
        return float(self._call("bic", X))

    def aic(self, X):
        """Akaike information criterion on ``X`` (lower is better)."""
        return float(self._call("aic", X))


# --------------------------------------------------------------- density-based clusters


def _min_samples_count(min_samples, n):
    """scikit-learn's OPTICS rule: a float in (0, 1] is a fraction of ``n`` (at least 2)."""
    if isinstance(min_samples, numbers.Real) and not isinstance(min_samples, numbers.Integral):
        if not 0.0 < min_samples <= 1.0:
            raise ValueError(f"min_samples must be an int >= 1 or a float in (0, 1], "
                             f"got {min_samples}")
        return max(2, int(min_samples * n))
    return min_samples


class DBSCAN(ClusterMixin, _Fitted):
    """DBSCAN (:func:`jaxml.unsupervised.density_clustering.dbscan`), labels identical to
    scikit-learn's on the same data.

    Attributes: ``labels_`` (−1 for noise), ``core_sample_indices_``, ``components_``
    (the core samples), ``n_features_in_``. Only the Euclidean metric (an ``n × n``
    distance matrix), no ``predict`` (as scikit-learn).
    """

    _min_samples = 1

    def __init__(self, eps=0.5, *, min_samples=5):
        self.eps = eps
        self.min_samples = min_samples

    def _spec(self, X):
        return density_clustering.dbscan, dict(eps=self.eps, min_samples=self.min_samples)

    def fit(self, X, y=None):
        """Cluster ``X``; returns ``self``."""
        X = self._validate(X)
        p = self._fit_params(X)
        self.labels_ = p.labels.astype(np.int64)
        self.core_sample_indices_ = np.flatnonzero(p.core_mask)
        self.components_ = X[self.core_sample_indices_].copy()
        return self


class OPTICS(ClusterMixin, _Fitted):
    """OPTICS ordering (:func:`jaxml.unsupervised.density_clustering.optics`) with
    scikit-learn's two cluster extractions: the ξ-steepness method
    (:func:`~jaxml.unsupervised.density_clustering.cluster_optics_xi`, run on the host
    after the jitted ordering) or the DBSCAN cut at ``eps``.

    Args:
      min_samples: an int ``>= 1`` (``>= 2`` for ``"xi"``) or a fraction of the samples
        in ``(0, 1]``.
      max_eps: radius bounding the search (``inf``: all points).
      cluster_method: ``"xi"`` or ``"dbscan"``.
      eps: radius of the DBSCAN cut (default ``max_eps``); ignored by ``"xi"``.
      xi: steepness in ``(0, 1)`` of the ξ cluster boundaries (scikit-learn also
        accepts the closed ends 0 and 1).
      predecessor_correction: the ξ method's predecessor correction.
      min_cluster_size: least ξ cluster size, an int ``>= 2`` or a fraction of the
        samples in ``(0, 1]`` (default ``min_samples``).

    Attributes: ``labels_``, ``ordering_``, ``reachability_``, ``core_distances_``,
    ``predecessor_`` and, for ``"xi"``, ``cluster_hierarchy_`` (``[start, end]`` rows
    of positions in ``ordering_``). Only the Euclidean metric.
    """

    _min_samples = 2

    def __init__(self, *, min_samples=5, max_eps=np.inf, cluster_method="xi",
                 eps=None, xi=0.05, predecessor_correction=True, min_cluster_size=None):
        self.min_samples = min_samples
        self.max_eps = max_eps
        self.cluster_method = cluster_method
        self.eps = eps
        self.xi = xi
        self.predecessor_correction = predecessor_correction
        self.min_cluster_size = min_cluster_size

    def _spec(self, X):
        check_option(self.cluster_method, "cluster_method", ("dbscan", "xi"))
        m = _min_samples_count(self.min_samples, X.shape[0])
        config = dict(min_samples=m, max_eps=float(self.max_eps), eps=self.eps)
        if self.cluster_method == "xi":
            config = dict(config, eps=None, cluster_method="xi", xi=self.xi,
                          min_cluster_size=self.min_cluster_size,
                          predecessor_correction=self.predecessor_correction)
        return density_clustering.optics, config

    def fit(self, X, y=None):
        """Order and cluster ``X``; returns ``self``."""
        X = self._validate(X)
        m = _min_samples_count(self.min_samples, X.shape[0])
        if isinstance(m, numbers.Integral) and m > X.shape[0]:
            raise ValueError(f"min_samples must be no greater than the number of samples "
                             f"({X.shape[0]}), got {m}")
        if self.cluster_method == "xi":  # the pure ξ fit jits its graph, then scans on the host
            factory, config = self._spec(X)
            p = call_x64(factory(**config).fit, X)
            self._params, self._fitted_spec = p, (factory, config)
            self.cluster_hierarchy_ = p.cluster_hierarchy.astype(np.int64)
        else:
            p = self._fit_params(X)
            if hasattr(self, "cluster_hierarchy_"):  # from an earlier "xi" fit
                del self.cluster_hierarchy_
        self.labels_ = p.labels.astype(np.int64)
        self.ordering_ = p.ordering.astype(np.int64)
        self.reachability_ = p.reachability
        self.core_distances_ = p.core_distances
        self.predecessor_ = p.predecessor.astype(np.int64)
        return self


# ------------------------------------------------------------------- hierarchical, spectral


class AgglomerativeClustering(ClusterMixin, _Fitted):
    """Agglomerative clustering (:func:`jaxml.unsupervised.hierarchical.agglomerative`).

    Args:
      n_clusters: clusters of the cut (static; no ``distance_threshold``).
      linkage: ``"ward"``, ``"complete"``, ``"average"`` or ``"single"`` (Euclidean).

    Attributes: ``labels_`` (numbered by their lowest sample index, so the numbering may
    differ from scikit-learn's), ``n_clusters_``, ``n_leaves_``,
    ``n_connected_components_``, ``children_`` (SciPy's merge order: node ``n + i`` is
    merge ``i``) and ``distances_``. No ``connectivity``, ``memory`` or ``metric``.
    """

    def __init__(self, n_clusters=2, *, linkage="ward"):
        self.n_clusters = n_clusters
        self.linkage = linkage

    def _spec(self, X):
        return hierarchical.agglomerative, dict(n_clusters=_n_clusters(self.n_clusters),
                                                linkage=self.linkage)

    def fit(self, X, y=None):
        """Build the tree and cut it; returns ``self``."""
        X = self._validate(X)
        k = _n_clusters(self.n_clusters)
        if k > X.shape[0]:
            raise ValueError(f"n_clusters={k} must be <= n_samples={X.shape[0]}")
        p = self._fit_params(X)
        Z = p.linkage_matrix
        self.labels_ = p.labels.astype(np.int64)
        self.children_ = Z[:, :2].astype(np.int64)
        self.distances_ = Z[:, 2].copy()
        self.n_clusters_ = k
        self.n_leaves_ = X.shape[0]
        self.n_connected_components_ = 1
        return self


class SpectralClustering(ClusterMixin, _Fitted):
    """Spectral clustering (:func:`jaxml.unsupervised.spectral.spectral_clustering`):
    Laplacian eigenmaps of the affinity, then k-means on them.

    Args: as scikit-learn's ``n_clusters``, ``affinity`` (``"rbf"``,
    ``"nearest_neighbors"`` or ``"precomputed"``), ``gamma``, ``n_neighbors``,
    ``n_components``, ``n_init``, ``assign_labels`` (only ``"kmeans"``),
    ``random_state``. The eigenvectors come from a dense ``eigh`` (no ARPACK/AMG).

    Attributes: ``labels_``, ``affinity_matrix_``-free (not kept), ``embedding_``
    (the rows the k-means ran on), ``n_features_in_``.
    """

    _stochastic = True

    def __init__(self, n_clusters=8, *, affinity="rbf", gamma=1.0, n_neighbors=10,
                 n_components=None, n_init=10, assign_labels="kmeans", random_state=None):
        self.n_clusters = n_clusters
        self.affinity = affinity
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.n_init = n_init
        self.assign_labels = assign_labels
        self.random_state = random_state

    def _spec(self, X):
        return spectral.spectral_clustering, dict(
            n_clusters=_n_clusters(self.n_clusters), affinity=self.affinity,
            gamma=self.gamma, n_neighbors=self.n_neighbors,
            n_components=None if self.n_components is None
            else check_int(self.n_components, "n_components", minimum=1),
            n_init=self.n_init, assign_labels=self.assign_labels)

    def fit(self, X, y=None):
        """Cluster ``X``; returns ``self``."""
        X = self._validate(X)
        k = _n_clusters(self.n_clusters)
        if k > X.shape[0]:
            raise ValueError(f"n_clusters={k} must be <= n_samples={X.shape[0]}")
        p = self._fit_params(X)
        self.labels_ = p.labels.astype(np.int64)
        self.embedding_ = p.embedding
        return self


# ----------------------------------------------------------------------- decompositions


class _Decomposition(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _Fitted):
    """``fit`` stores ``_store(params)``; ``transform``/``inverse_transform`` are the
    pure estimator's; ``fit_transform`` is ``fit(X).transform(X)``."""

    def fit(self, X, y=None):
        """Fit the decomposition; returns ``self``."""
        X = self._validate(X)
        self._store(self._fit_params(X), X)
        return self

    def _store(self, params, X):
        raise TypeError("subclasses define _store")

    def transform(self, X):
        """Scores of the rows of ``X`` ``(n, n_components_)``."""
        return self._call("transform", X)



class _Invertible:
    def inverse_transform(self, X):
        """Map scores ``(n, n_components_)`` back to the input space."""
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float64)
        factory, config = self._fitted_spec
        return _call_x64(factory, config, "inverse_transform", self._params, Z)


def _pca_store(est, p, n_components):
    est.components_ = p.components
    est.explained_variance_ = p.explained_variance
    est.explained_variance_ratio_ = p.explained_variance_ratio
    est.singular_values_ = p.singular_values
    est.mean_ = p.mean
    est.noise_variance_ = float(p.noise_variance)
    est.n_components_ = int(n_components)
    est.n_samples_ = int(p.n_samples)
    est._n_features_out = est.n_components_


class _PCAMethods:
    def get_covariance(self):
        """The model covariance ``Wᵀ diag(λ - σ²) W + σ² I`` of probabilistic PCA (the
        same with or without ``whiten``)."""
        check_is_fitted(self)
        W = self.components_
        delta = np.maximum(self.explained_variance_ - self.noise_variance_, 0.0)
        return (W.T * delta) @ W + self.noise_variance_ * np.eye(W.shape[1])

    def score_samples(self, X):
        """Log-likelihood of each row under probabilistic PCA."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Xc = X - self.mean_
        cov = self.get_covariance()
        sign, logdet = np.linalg.slogdet(cov)
        maha = np.sum(Xc * np.linalg.solve(cov, Xc.T).T, axis=1)
        return -0.5 * (maha + X.shape[1] * np.log(2 * np.pi) + logdet)

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))


class PCA(_PCAMethods, _Invertible, _Decomposition):
    """PCA by the full SVD (:func:`jaxml.unsupervised.decomposition.pca`).

    Args:
      n_components: an int, None (``min(n, d)``) or a float in ``(0, 1)`` (the fewest
        components explaining that fraction of the variance; fitted with ``min(n, d)``
        components and truncated). No ``"mle"``.
      whiten: scale the scores to unit variance.

    Attributes: ``components_``, ``explained_variance_``, ``explained_variance_ratio_``,
    ``singular_values_``, ``mean_``, ``noise_variance_``, ``n_components_``,
    ``n_samples_``. Signs follow scikit-learn's ``svd_flip`` on the components. Only
    ``svd_solver="full"``.
    """

    def __init__(self, n_components=None, *, whiten=False):
        self.n_components = n_components
        self.whiten = whiten

    def _k(self, X):
        nc = self.n_components
        if isinstance(nc, numbers.Real) and not isinstance(nc, numbers.Integral):
            if not 0.0 < nc < 1.0:
                raise ValueError(f"n_components must be an int, None or a float in (0, 1), "
                                 f"got {nc}")
            return min(X.shape)
        return _n_components(nc, X)

    def _spec(self, X):
        return decomposition.pca, dict(n_components=self._k(X), whiten=self.whiten)

    def _store(self, p, X):
        nc = self.n_components
        if isinstance(nc, numbers.Real) and not isinstance(nc, numbers.Integral):
            ratio = np.asarray(p.explained_variance_ratio)
            k = int(np.searchsorted(np.cumsum(ratio), nc, side="right") + 1)
            k = min(k, ratio.size)
            rest = np.asarray(p.explained_variance)[k:]
            noise = float(rest.mean()) if rest.size else 0.0
            p = p.replace(components=p.components[:k],
                          explained_variance=p.explained_variance[:k],
                          explained_variance_ratio=p.explained_variance_ratio[:k],
                          singular_values=p.singular_values[:k],
                          noise_variance=np.asarray(noise))
            self._params = p
            self._fitted_spec = (decomposition.pca, dict(n_components=k, whiten=self.whiten))
        _pca_store(self, p, p.components.shape[0])


class IncrementalPCA(_PCAMethods, _Invertible, _Decomposition):
    """PCA fitted batch by batch (:func:`jaxml.unsupervised.decomposition.incremental_pca`,
    Ross et al.'s update as scikit-learn's).

    Args: ``n_components`` (None: ``min(n, d)``), ``whiten``, ``batch_size`` (None:
    ``5 * n_features``). Attributes as :class:`PCA`'s plus ``n_samples_seen_``. No
    ``partial_fit`` (fold :func:`~jaxml.unsupervised.decomposition.incremental_pca_update`
    over batches for streams).
    """

    def __init__(self, n_components=None, *, whiten=False, batch_size=None):
        self.n_components = n_components
        self.whiten = whiten
        self.batch_size = batch_size

    def _spec(self, X):
        return decomposition.incremental_pca, dict(
            n_components=_n_components(self.n_components, X), whiten=self.whiten,
            batch_size=self.batch_size)

    def _store(self, p, X):
        _pca_store(self, p, p.components.shape[0])
        self.n_samples_seen_ = self.n_samples_
        self.batch_size_ = 5 * X.shape[1] if self.batch_size is None else self.batch_size


class TruncatedSVD(_Invertible, _Decomposition):
    """Truncated SVD of the uncentred data
    (:func:`jaxml.unsupervised.decomposition.truncated_svd`).

    Args: ``n_components`` (default 2), ``algorithm`` (``"randomized"`` or ``"full"``,
    scikit-learn's ``"arpack"`` is not available), ``n_iter`` (power iterations),
    ``n_oversamples``, ``random_state``. Attributes: ``components_``,
    ``explained_variance_``, ``explained_variance_ratio_``, ``singular_values_``.
    """

    _stochastic = True
    _min_samples = 1

    def __init__(self, n_components=2, *, algorithm="randomized", n_iter=5,
                 n_oversamples=10, random_state=None):
        self.n_components = n_components
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.random_state = random_state

    def _spec(self, X):
        return decomposition.truncated_svd, dict(
            n_components=check_int(self.n_components, "n_components", minimum=1),
            algorithm=self.algorithm, n_oversamples=check_int(
                self.n_oversamples, "n_oversamples", minimum=0),
            n_power_iter=check_int(self.n_iter, "n_iter", minimum=0))

    def _store(self, p, X):
        self.components_ = p.components
        self.explained_variance_ = p.explained_variance
        self.explained_variance_ratio_ = p.explained_variance_ratio
        self.singular_values_ = p.singular_values
        self._n_features_out = self.components_.shape[0]


_jit_fa_score_samples = jax.jit(decomposition.factor_analysis_score_samples)


class FactorAnalysis(_Decomposition):
    """Factor analysis by SVD-based EM
    (:func:`jaxml.unsupervised.decomposition.factor_analysis`, scikit-learn's
    ``svd_method="lapack"`` without rotation).

    Attributes: ``components_``, ``noise_variance_``, ``mean_``, ``loglike_`` (the
    final log-likelihood only, where scikit-learn keeps one per iteration),
    ``n_iter_``. Methods: ``transform``, ``score_samples``, ``score``,
    ``get_covariance``; no ``inverse_transform``.
    """

    def __init__(self, n_components=None, *, tol=1e-2, max_iter=1000):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter

    def _spec(self, X):
        return decomposition.factor_analysis, dict(
            n_components=_n_components(self.n_components, X), tol=self.tol,
            max_iter=self.max_iter)

    def _store(self, p, X):
        self.components_ = p.components
        self.noise_variance_ = p.noise_variance
        self.mean_ = p.mean
        self.loglike_ = np.atleast_1d(p.loglike)
        self.n_iter_ = int(p.n_iter)
        self._n_features_out = self.components_.shape[0]
        if self.n_iter_ >= self.max_iter:
            _warn_not_converged(self, f"max_iter={self.max_iter} EM iterations reached")

    def get_covariance(self):
        """The model covariance ``Wᵀ W + diag(Ψ)``."""
        check_is_fitted(self)
        return self.components_.T @ self.components_ + np.diag(self.noise_variance_)

    def score_samples(self, X):
        """Log-likelihood of each row."""
        return self._call_fn(_jit_fa_score_samples, X)

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))


class FastICA(_Invertible, _Decomposition):
    """FastICA (:func:`jaxml.unsupervised.ica_nmf.fast_ica`) with scikit-learn's
    ``whiten="unit-variance"`` (the only whitening).

    Args: ``n_components`` (None: ``min(n, d)``), ``algorithm`` (``"parallel"`` or
    ``"deflation"``), ``whiten`` (only ``"unit-variance"``), ``fun`` (``"logcosh"``,
    ``"exp"`` or ``"cube"``), ``fun_args`` (``{"alpha": a}`` for logcosh), ``max_iter``,
    ``tol``, ``w_init`` (``(k, k)``; with it the fit equals scikit-learn's),
    ``random_state``. Attributes: ``components_``, ``mixing_``, ``mean_``,
    ``whitening_``, ``n_iter_``.
    """

    _stochastic = True

    def __init__(self, n_components=None, *, algorithm="parallel", whiten="unit-variance",
                 fun="logcosh", fun_args=None, max_iter=200, tol=1e-4, w_init=None,
                 random_state=None):
        self.n_components = n_components
        self.algorithm = algorithm
        self.whiten = whiten
        self.fun = fun
        self.fun_args = fun_args
        self.max_iter = max_iter
        self.tol = tol
        self.w_init = w_init
        self.random_state = random_state

    def _spec(self, X):
        check_option(self.whiten, "whiten", ("unit-variance",))
        fun_args = {} if self.fun_args is None else dict(self.fun_args)
        unknown = set(fun_args) - {"alpha"}
        if unknown:
            raise ValueError(f"fun_args takes only 'alpha', got {sorted(unknown)}")
        return ica_nmf.fast_ica, dict(
            n_components=_n_components(self.n_components, X), algorithm=self.algorithm,
            fun=self.fun, alpha=fun_args.get("alpha", 1.0), tol=self.tol,
            max_iter=self.max_iter)

    def fit(self, X, y=None):
        """Unmix ``X``; returns ``self``."""
        X = self._validate(X)
        extra = () if self.w_init is None else (np.asarray(self.w_init, np.float64),)
        p = self._fit_params(X, *extra)
        self.components_ = p.components
        self.mixing_ = p.mixing
        self.mean_ = p.mean
        self.whitening_ = p.whitening
        self.n_iter_ = int(p.n_iter)
        self._n_features_out = self.components_.shape[0]
        if self.n_iter_ >= self.max_iter:
            _warn_not_converged(self, f"max_iter={self.max_iter} iterations reached")
        return self


class NMF(_Invertible, _Decomposition):
    """Non-negative matrix factorisation ``X ≈ W H`` (:func:`jaxml.unsupervised.ica_nmf.nmf`).

    Args: ``n_components`` (None or ``"auto"``: ``n_features``), ``init`` (None means
    ``"nndsvda"``; ``"nndsvd"``, ``"random"``, ``"custom"`` with ``W``/``H`` passed to
    ``fit``), ``solver`` (``"cd"`` or ``"mu"``), ``beta_loss`` (``"frobenius"`` or
    ``"kullback-leibler"``), ``tol``, ``max_iter``, ``random_state``. No regularisation
    (``alpha_W``/``alpha_H``). Attributes: ``components_``, ``reconstruction_err_``,
    ``n_iter_``, ``n_components_``. ``fit_transform`` is ``fit(X).transform(X)`` (``W``
    solved afresh with ``H`` fixed).
    """

    _stochastic = True
    _min_samples = 1

    def __init__(self, n_components="auto", *, init=None, solver="cd", beta_loss="frobenius",
                 tol=1e-4, max_iter=200, random_state=None):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _k(self, X):
        nc = self.n_components
        if nc is None or (isinstance(nc, str) and nc == "auto"):
            return X.shape[1]
        return check_int(nc, "n_components", minimum=1)

    def _spec(self, X):
        return ica_nmf.nmf, dict(n_components=self._k(X),
                                 init="nndsvda" if self.init is None else self.init,
                                 solver=self.solver, beta_loss=self.beta_loss, tol=self.tol,
                                 max_iter=self.max_iter)

    def _validate(self, X, reset=True):
        X = super()._validate(X, reset=reset)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return X

    def fit(self, X, y=None, W=None, H=None):
        """Factorise ``X``; returns ``self``."""
        X = self._validate(X)
        extra = ()
        if W is not None or H is not None:
            extra = (np.asarray(W, np.float64), np.asarray(H, np.float64))
        p = self._fit_params(X, *extra)
        self.components_ = p.components
        self.reconstruction_err_ = float(p.reconstruction_err)
        self.n_iter_ = int(p.n_iter)
        self.n_components_ = int(self.components_.shape[0])
        self._n_features_out = self.n_components_
        if self.n_iter_ >= self.max_iter:
            _warn_not_converged(self, f"max_iter={self.max_iter} iterations reached")
        return self

    def fit_transform(self, X, y=None, W=None, H=None):
        """``fit(X, W=W, H=H).transform(X)``."""
        return self.fit(X, W=W, H=H).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


# ------------------------------------------------------------------------------ manifold


class TSNE(_Fitted):
    """t-SNE (:func:`jaxml.unsupervised.manifold.tsne`): scikit-learn's optimiser (250
    early-exaggeration iterations with momentum 0.5, then momentum 0.8, gains, learning
    rate ``"auto"``).

    Args: ``n_components``, ``perplexity``, ``early_exaggeration``, ``learning_rate``,
    ``max_iter`` (``> 250``), ``min_grad_norm``-free (runs all ``max_iter`` iterations),
    ``init`` (``"pca"`` or ``"random"``), ``method`` (``"exact"`` or ``"interp"``, a
    grid-interpolated repulsion, for 2-D; no Barnes-Hut), ``random_state``.
    Attributes: ``embedding_``, ``kl_divergence_``, ``n_iter_``, ``learning_rate_``.
    Only ``fit`` and ``fit_transform`` (no ``transform``, as scikit-learn).
    """

    _stochastic = True
    _n_iter_exaggeration = 250

    def __init__(self, n_components=2, *, perplexity=30.0, early_exaggeration=12.0,
                 learning_rate="auto", max_iter=1000, init="pca", method="exact",
                 random_state=None):
        self.n_components = n_components
        self.perplexity = perplexity
        self.early_exaggeration = early_exaggeration
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.init = init
        self.method = method
        self.random_state = random_state

    def _spec(self, X):
        return manifold.tsne, dict(
            n_components=check_int(self.n_components, "n_components", minimum=1),
            perplexity=self.perplexity, early_exaggeration=self.early_exaggeration,
            learning_rate=self.learning_rate, max_iter=self.max_iter,
            n_iter_exaggeration=min(self._n_iter_exaggeration, max(self.max_iter - 1, 0)),
            init=self.init, method=self.method)

    def fit(self, X, y=None):
        """Embed ``X``; returns ``self``."""
        X = self._validate(X)
        p = self._fit_params(X)
        self.embedding_ = p.embedding
        self.kl_divergence_ = float(p.kl_divergence)
        self.n_iter_ = int(self.max_iter)
        lr = self.learning_rate
        self.learning_rate_ = (max(X.shape[0] / self.early_exaggeration / 4.0, 50.0)
                               if isinstance(lr, str) else float(lr))
        return self

    def fit_transform(self, X, y=None):
        """``fit(X).embedding_``."""
        return self.fit(X).embedding_


# ------------------------------------------------------------------------------ outliers


class _Outlier(OutlierMixin, _Fitted):
    """``score_samples`` is the pure estimator's; ``decision_function`` subtracts
    ``offset_`` and ``predict`` thresholds it at 0 in NumPy — the pure estimators'
    arithmetic, without compiling two more programs."""

    def score_samples(self, X):
        """Normality score of each row (higher is more normal)."""
        return self._call("score_samples", X)

    def decision_function(self, X):
        """``score_samples(X) - offset_`` (negative for outliers)."""
        return self.score_samples(X) - self._params.offset

    def predict(self, X):
        """``+1`` for inliers, ``-1`` for outliers (``decision_function >= 0``)."""
        return np.where(self.decision_function(X) >= 0, 1, -1)


class IsolationForest(_Outlier):
    """Isolation forest (:func:`jaxml.unsupervised.anomaly.isolation_forest`).

    Args:
      n_estimators: trees (static, grown under one ``vmap``).
      max_samples: ``"auto"`` (``min(256, n)``), an int (above ``n`` it is clipped to
        ``n`` with a warning, as scikit-learn) or a fraction in ``(0, 1]``.
      contamination: ``"auto"`` (offset −0.5) or a fraction in ``(0, 0.5]``.
      random_state: seed of the JAX key.

    Attributes: ``offset_``, ``max_samples_``, ``n_features_in_``. The harmonic numbers
    in :math:`c(m)` are exact (scikit-learn uses ``ln m + γ``); no ``max_features``,
    ``bootstrap`` or ``estimators_``.
    """

    _stochastic = True

    def __init__(self, *, n_estimators=100, max_samples="auto", contamination="auto",
                 random_state=None):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.random_state = random_state

    def _psi(self, n):
        ms = self.max_samples
        if isinstance(ms, str):
            check_option(ms, "max_samples", ("auto",))
            return min(256, n)
        if isinstance(ms, numbers.Integral) and not isinstance(ms, bool):
            if ms < 1:
                raise ValueError(f"max_samples must be >= 1, got {ms}")
            if ms > n:
                warnings.warn(f"max_samples ({ms}) is greater than the total number of "
                              f"samples ({n}). max_samples will be set to n_samples for "
                              "estimation.", UserWarning, stacklevel=4)
                return n
            return int(ms)
        if isinstance(ms, numbers.Real) and 0.0 < ms <= 1.0:
            return max(2, int(ms * n))
        raise ValueError(f"max_samples must be 'auto', an int or a float in (0, 1], got {ms!r}")

    def _spec(self, X):
        return anomaly.isolation_forest, dict(
            n_estimators=self.n_estimators, max_samples=max(2, self._psi(X.shape[0])),
            contamination=self.contamination)

    def fit(self, X, y=None):
        """Grow the forest; returns ``self``."""
        X = self._validate(X)
        p = self._fit_params(X)
        self.offset_ = float(p.offset)
        self.max_samples_ = int(p.max_samples)
        return self


_jit_mahalanobis = jax.jit(anomaly.mahalanobis)


@functools.lru_cache(maxsize=64)
def _jitted_percentile(contamination):
    return jax.jit(lambda scores: jnp.percentile(scores, 100.0 * contamination))


class _MCD(_Fitted):
    _stochastic = True

    def _store(self, p):
        self.location_ = p.location
        self.covariance_ = p.covariance
        self.precision_ = p.precision
        self.raw_location_ = p.raw_location
        self.raw_covariance_ = p.raw_covariance
        self.raw_support_ = p.raw_support.astype(bool)
        self.support_ = p.support.astype(bool)
        self.dist_ = p.dist

    def fit(self, X, y=None):
        """Fit the robust location and covariance; returns ``self``."""
        X = self._validate(X)
        p = self._fit_params(X)
        self._store(p)
        return self

    def mahalanobis(self, X):
        """Squared Mahalanobis distances of the rows of ``X``."""
        return self._call_fn(_jit_mahalanobis, X)


class MinCovDet(_MCD):
    """FastMCD robust covariance (:func:`jaxml.unsupervised.anomaly.min_cov_det`).

    Args: ``support_fraction`` (None: ``(n + d + 1) / 2`` points), ``n_trials`` and
    ``n_best`` (FastMCD's 30 starts and 10 refined ones), ``random_state``.
    Attributes: ``location_``, ``covariance_``, ``precision_``, ``raw_location_``,
    ``raw_covariance_``, ``raw_support_``, ``support_``, ``dist_``. No
    ``assume_centered``, ``store_precision`` or ``score``.
    """

    def __init__(self, *, support_fraction=None, n_trials=30, n_best=10, random_state=None):
        self.support_fraction = support_fraction
        self.n_trials = n_trials
        self.n_best = n_best
        self.random_state = random_state

    def _spec(self, X):
        return anomaly.min_cov_det, dict(support_fraction=self.support_fraction,
                                         n_trials=self.n_trials, n_best=self.n_best)


class EllipticEnvelope(OutlierMixin, _MCD):
    """Outliers far from the MCD ellipse (:func:`jaxml.unsupervised.anomaly.elliptic_envelope`).

    ``score_samples`` is ``-mahalanobis(X)``, ``offset_`` the ``contamination``
    percentile of the training scores. Args and attributes as :class:`MinCovDet`'s plus
    ``contamination`` in ``(0, 0.5]`` and ``offset_``. No ``score`` (accuracy).
    """

    def __init__(self, *, support_fraction=None, contamination=0.1, n_trials=30, n_best=10,
                 random_state=None):
        self.support_fraction = support_fraction
        self.contamination = contamination
        self.n_trials = n_trials
        self.n_best = n_best
        self.random_state = random_state

    def _spec(self, X):
        anomaly.elliptic_envelope(self.contamination)  # checks contamination
        return anomaly.min_cov_det, dict(support_fraction=self.support_fraction,
                                         n_trials=self.n_trials, n_best=self.n_best)

    def fit(self, X, y=None):
        """Fit the robust location and covariance, then the offset; returns ``self``.

        The fit is :class:`MinCovDet`'s compiled program (one compile serves both
        classes) and the offset the ``contamination`` percentile of ``-dist_``, which
        is :func:`jaxml.unsupervised.anomaly.elliptic_envelope`'s fit.
        """
        X = self._validate(X)
        p = self._fit_params(X)
        with jax.enable_x64(True):
            offset = np.asarray(_jitted_percentile(float(self.contamination))(-p.dist))
        p = p.replace(offset=offset)
        self._params = p
        self._fitted_spec = (anomaly.elliptic_envelope, dict(
            contamination=self.contamination, support_fraction=self.support_fraction,
            n_trials=self.n_trials, n_best=self.n_best))
        self._store(p)
        return self

    def _store(self, p):
        super()._store(p)
        self.offset_ = float(p.offset)

    score_samples = _Outlier.score_samples
    decision_function = _Outlier.decision_function
    predict = _Outlier.predict


class OneClassSVM(_Outlier):
    """ν-one-class SVM by SMO (:func:`jaxml.unsupervised.anomaly.one_class_svm`), libsvm's
    problem and ρ.

    Args: ``kernel`` (``"rbf"``, ``"linear"``, ``"poly"``, ``"sigmoid"``), ``degree``,
    ``gamma`` (``"scale"``, ``"auto"`` or a number), ``coef0``, ``tol``, ``nu``,
    ``max_iter`` (``-1``: the pure default cap of 100 000 SMO steps). Attributes:
    ``support_``, ``support_vectors_``, ``dual_coef_`` ``(1, n_SV)``, ``intercept_``,
    ``offset_``, ``n_support_``, ``n_iter_``. No ``shrinking``/``cache_size``.
    """

    def __init__(self, *, kernel="rbf", degree=3, gamma="scale", coef0=0.0, tol=1e-3, nu=0.5,
                 max_iter=-1):
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.nu = nu
        self.max_iter = max_iter

    def _spec(self, X):
        max_iter = 100_000 if self.max_iter == -1 else self.max_iter
        return anomaly.one_class_svm, dict(nu=self.nu, kernel=self.kernel, gamma=self.gamma,
                                           degree=self.degree, coef0=self.coef0, tol=self.tol,
                                           max_iter=max_iter)

    def fit(self, X, y=None):
        """Solve the dual; returns ``self``."""
        X = self._validate(X)
        p = self._fit_params(X)
        alpha = np.asarray(p.dual_coef)
        self.support_ = np.flatnonzero(alpha > 0).astype(np.int32)
        self.support_vectors_ = X[self.support_].copy()
        self.dual_coef_ = alpha[self.support_][None, :]
        self.offset_ = float(p.offset)
        self.intercept_ = np.array([-self.offset_])
        self.n_support_ = np.array([self.support_.size], dtype=np.int32)
        self.n_iter_ = int(p.n_iter)
        return self


# ------------------------------------------------------------------------ kernel density


@functools.lru_cache(maxsize=64)
def _jitted_kde_sample(kernel, n):
    est = stats.kde(kernel=kernel)
    return jax.jit(lambda key, params: est.sample(key, params, n))


class KernelDensity(DensityMixin, _Fitted):
    """Kernel density estimation (:func:`jaxml.math.stats.kde`).

    Args:
      bandwidth: a positive float, ``"scott"`` or ``"silverman"`` — jaxml's rules
        ``σ̂ n^{-1/(d+4)}`` and ``σ̂ (n(d+2)/4)^{-1/(d+4)}`` with the sample standard
        deviation ``σ̂`` (scikit-learn's rules leave out ``σ̂``).
      kernel: ``"gaussian"``, ``"epanechnikov"`` or ``"tophat"``.

    Attributes: ``bandwidth_``, ``n_features_in_``. Exact sums over the training points
    (no trees, so no ``atol``/``rtol``/``leaf_size``/``metric``).
    """

    _min_samples = 1

    def __init__(self, *, bandwidth=1.0, kernel="gaussian"):
        self.bandwidth = bandwidth
        self.kernel = kernel

    def _spec(self, X):
        return stats.kde, dict(kernel=self.kernel, bandwidth=self.bandwidth)

    def fit(self, X, y=None):
        """Store the training points and the bandwidth; returns ``self``."""
        X = self._validate(X)
        if isinstance(self.bandwidth, str) and X.shape[0] < 2:
            raise ValueError(f"bandwidth={self.bandwidth!r} needs at least 2 samples, got "
                             f"n_samples = {X.shape[0]}")
        p = self._fit_params(X)
        self.bandwidth_ = float(p.bandwidth)
        return self

    def score_samples(self, X):
        """Log-density of each row."""
        return self._call("score_samples", X)

    def score(self, X, y=None):
        """Total log-likelihood of the rows of ``X``."""
        return float(np.sum(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """``n_samples`` draws ``(n_samples, n_features)`` from the fitted density."""
        check_is_fitted(self)
        n = check_int(n_samples, "n_samples", minimum=1)
        with jax.enable_x64(True):
            key = jax.random.PRNGKey(_seed(random_state))
            return np.asarray(_jitted_kde_sample(self.kernel, n)(key, self._params))
