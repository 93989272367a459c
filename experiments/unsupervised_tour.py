"""Unsupervised tour: clusterings, embeddings, mixtures, trees, SOMs and anomaly detectors on digits and MNIST-1D.

Every method comes from :mod:`jaxml.unsupervised`; scikit-learn and SciPy only score and
draw (ARI/NMI, trustworthiness, ROC curves, the dendrogram). Two labelled data sets, the
labels never seen by the methods:

* scikit-learn's bundled 8×8 ``digits`` (pixels scaled to [0, 1]);
* MNIST-1D (Greydanus & Kobak 2024), generated offline by :func:`jaxml.data.load_mnist1d`
  (its training part).

Each set is cut to ``n_samples`` points (a fixed subset) and projected on its first
``pca_dims`` principal components (for MNIST-1D's 40 features and ``pca_dims = 40`` that is
a rotation, distances unchanged), so both sets have one shape and every program compiles
once. On that projection:

* **clusterings** into ``n_clusters`` groups, scored against the labels by the adjusted
  Rand index and normalised mutual information (``ari/<method>/<data>``,
  ``nmi/<method>/<data>``): k-means (k-means++, ``kmeans_n_init`` restarts), a full-
  covariance Gaussian mixture and DBSCAN on the first ``low_dims`` components (DBSCAN's
  ``eps`` is the ``dbscan_quantile`` quantile of the distance to the ``dbscan_min_samples``-th
  neighbour, a label-free rule; its noise points count as one more cluster), Ward
  agglomeration and spectral clustering on a ``spectral_neighbors``-NN graph;
* **embeddings** in 2-D: PCA, t-SNE (exact gradient) and UMAP, scored by
  ``sklearn.manifold.trustworthiness`` with ``trust_neighbors`` neighbours against the
  original features (``trustworthiness/<method>/<data>``);
* the **BIC curve** of the Gaussian mixture over ``bic_components`` (``bic/<data>/k<k>``,
  and ``bic_best_k/<data>``, the minimiser of the seed-mean curve);
* the **Ward dendrogram** (SciPy's ``dendrogram`` drawn from our linkage matrix, whose merge
  heights are compared with ``scipy.cluster.hierarchy.linkage``: ``ward_height_rel_diff``);
* a **self-organising map** (batch, ``som_rows × som_cols``): quantisation and topographic
  error, and ``som_purity``, the fraction of points whose label is their unit's majority;
* **anomaly detection** on digits: digit ``anomaly_digit`` is held out, the detectors
  (isolation forest, elliptic envelope, one-class SVM) are fitted on half of the other
  digits (first ``anomaly_dims`` principal components of that half) and score the other
  half plus the held-out digit: ``auc/<detector>`` (ROC AUC), and the detection and
  false-alarm rates at each detector's own threshold (``tpr_at_threshold/…``,
  ``fpr_at_threshold/…``).

Seeds change every key (initialisations, restarts, t-SNE/UMAP/SOM/forest randomness) and
the anomaly split, not the data subset. Stochastic metrics are means over seeds with a
Student-t interval (``<stem>_ci95/…``), the seeds with a finite value (``<stem>_n/…``) and
those without (``<stem>_failed/…``); deterministic ones (DBSCAN, Ward, PCA, and t-SNE,
which starts from the PCA embedding) are one run.
There are no published numbers to compare with, so ``PAPER`` is empty.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (
    Timer,
    format_mean_ci,
    machine_line,
    main_for,
    markdown_table,
    save_figure,
    seed_metrics,
    seed_summary,
    write_results,
)
from jaxml.unsupervised import (
    anomaly,
    decomposition,
    density_clustering,
    hierarchical,
    kmeans,
    manifold,
    mixture,
    som,
    spectral,
)
from jaxml.unsupervised import umap as umap_lib

NAME = "unsupervised_tour"
PAPER: dict[str, float] = {}  # a tour of methods: no published numbers are rerun
PAPER_SOURCE: dict[str, str] = {}
TARGET: dict[str, float | str] = {}
DATASETS = ("digits", "mnist1d")
CLUSTERERS = ("kmeans", "gmm", "dbscan", "ward", "spectral")
STOCHASTIC_CLUSTERERS = ("kmeans", "gmm", "spectral")
EMBEDDERS = ("pca", "tsne", "umap")
DETECTORS = ("isolation_forest", "elliptic_envelope", "one_class_svm")
TITLES = {"kmeans": "k-means", "gmm": "Gaussian mixture", "dbscan": "DBSCAN",
          "ward": "Ward", "spectral": "spectral", "pca": "PCA", "tsne": "t-SNE",
          "umap": "UMAP", "isolation_forest": "isolation forest",
          "elliptic_envelope": "elliptic envelope", "one_class_svm": "one-class SVM",
          "digits": "digits", "mnist1d": "MNIST-1D"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    n_samples: int = 1797  # points per data set (digits has 1797)
    mnist1d_samples: int = 5000  # MNIST-1D generated (80% train, of which n_samples are used)
    data_seed: int = 0  # which subset (when n_samples is below the set's size)
    pca_dims: int = 40  # the common projection every method runs on
    low_dims: int = 10  # leading components for the Gaussian mixture and DBSCAN
    n_clusters: int = 10
    kmeans_n_init: int = 10
    kmeans_max_iter: int = 300
    gmm_max_iter: int = 100
    bic_components: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
    dbscan_min_samples: int = 5
    dbscan_quantile: float = 0.7
    spectral_neighbors: int = 10
    spectral_n_init: int = 10
    tsne_perplexity: float = 30.0
    tsne_max_iter: int = 1000
    tsne_exaggeration_iter: int = 250
    umap_neighbors: int = 15
    umap_epochs: int = 500
    trust_neighbors: int = 10
    dendrogram_leaves: int = 30
    som_rows: int = 10
    som_cols: int = 10
    som_epochs: int = 50
    anomaly_digit: int = 0
    anomaly_dims: int = 20
    anomaly_max_outliers: int = 400  # held-out digits scored (digits has 178 zeros)
    iforest_trees: int = 200
    contamination: float = 0.1  # isolation forest / elliptic envelope threshold; SVM's nu

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, n_samples=300, mnist1d_samples=500, kmeans_n_init=2,
                   kmeans_max_iter=50, gmm_max_iter=30, bic_components=(10,),
                   spectral_n_init=2, tsne_max_iter=300, tsne_exaggeration_iter=100,
                   umap_epochs=100, dendrogram_leaves=20, som_rows=6, som_cols=6,
                   som_epochs=10, anomaly_max_outliers=60, iforest_trees=50)

    def __post_init__(self):
        if self.n_clusters not in self.bic_components:
            raise ValueError(f"bic_components {self.bic_components} must include "
                             f"n_clusters = {self.n_clusters} (its fit is the GMM clustering)")
        if not self.low_dims <= self.pca_dims:
            raise ValueError(f"low_dims ({self.low_dims}) must not exceed pca_dims "
                             f"({self.pca_dims})")
        if not 0 <= self.anomaly_digit <= 9:
            raise ValueError(f"anomaly_digit must be a digit 0..9, got {self.anomaly_digit}")


# --- data ---------------------------------------------------------------------------

def load_data(config: Config) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (X float32 (n, d), y int (n,))}``: the same ``n`` for both sets."""
    from jaxml.data import load_mnist1d, load_sklearn

    X_d, y_d = load_sklearn("digits")
    m1d = load_mnist1d(num_samples=config.mnist1d_samples)
    raw = {"digits": (X_d / 16.0, y_d), "mnist1d": (m1d.x_train, m1d.y_train)}
    n = min(config.n_samples, len(y_d))
    if len(m1d.y_train) < n:
        raise ValueError(f"mnist1d_samples={config.mnist1d_samples} gives "
                         f"{len(m1d.y_train)} training points, fewer than n_samples={n}")
    rng = np.random.default_rng(config.data_seed)
    out = {}
    for name, (X, y) in raw.items():
        rows = np.sort(rng.permutation(len(y))[:n])
        out[name] = (np.asarray(X[rows], np.float32), np.asarray(y[rows]))
    return out


# --- the estimators, built once (one compilation per shape) ---------------------------

def build_models(config: Config) -> dict:
    """Every estimator as a jitted function, built once so that seeds and both data sets
    (one shape) reuse the compiled programs."""
    c = config
    pca = decomposition.pca(c.pca_dims)
    pca_anomaly = decomposition.pca(c.anomaly_dims)
    gmms = {k: mixture.gaussian_mixture(k, max_iter=c.gmm_max_iter) for k in c.bic_components}
    detectors = {
        "isolation_forest": anomaly.isolation_forest(c.iforest_trees, "auto",
                                                     contamination=c.contamination),
        "elliptic_envelope": anomaly.elliptic_envelope(c.contamination),
        "one_class_svm": anomaly.one_class_svm(nu=c.contamination),
    }
    tsne = manifold.tsne(perplexity=c.tsne_perplexity, max_iter=c.tsne_max_iter,
                         n_iter_exaggeration=c.tsne_exaggeration_iter)
    som_map = som.som(c.som_rows, c.som_cols, n_epochs=c.som_epochs)

    def fit_detector(name, det):  # the one-class SVM is deterministic: fit(X), no key
        if name == "one_class_svm":
            return jax.jit(lambda key, X: det.fit(X))
        return jax.jit(det.fit)

    return {
        # scores on the leading components, and the fraction of the variance they keep
        "pca": jax.jit(lambda X: (lambda p: (pca.transform(p, X), jnp.sum(
            p.explained_variance_ratio)))(pca.fit(X))),
        "pca_anomaly": jax.jit(lambda Xfit, Xs: [pca_anomaly.transform(pca_anomaly.fit(Xfit), X)
                                                  for X in Xs]),
        "kmeans": kmeans.kmeans(c.n_clusters, n_init=c.kmeans_n_init,
                                max_iter=c.kmeans_max_iter).fit,
        "gmm": {k: jax.jit(lambda key, X, g=g: (lambda p: (g.predict(p, X), g.bic(p, X)))(
            g.fit(key, X))) for k, g in gmms.items()},
        "distances": jax.jit(density_clustering.euclidean_distance_matrix),
        "dbscan": jax.jit(density_clustering.dbscan_labels, static_argnums=2),
        "ward": jax.jit(lambda X: hierarchical.linkage(X, "ward")),
        "cut": jax.jit(hierarchical.cut_tree, static_argnums=1),
        "spectral": spectral.spectral_clustering(
            c.n_clusters, affinity="nearest_neighbors", n_neighbors=c.spectral_neighbors,
            n_init=c.spectral_n_init).fit,
        "tsne": jax.jit(tsne.fit),
        "umap": jax.jit(umap_lib.umap(n_neighbors=c.umap_neighbors, n_epochs=c.umap_epochs).fit),
        "som": jax.jit(som_map.fit),
        "detectors": {name: (fit_detector(name, det), jax.jit(det.score_samples))
                      for name, det in detectors.items()},
    }


# --- small numpy helpers ------------------------------------------------------------

def kth_neighbour_eps(D: np.ndarray, min_samples: int, quantile: float) -> float:
    """DBSCAN radius: the ``quantile`` of each point's distance to its ``min_samples``-th
    nearest point (itself counted, as DBSCAN counts it), read off the distance matrix."""
    kth = np.sort(np.asarray(D), axis=1)[:, min_samples - 1]
    return float(np.quantile(kth, quantile))


def unit_majority(bmu: np.ndarray, y: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Per SOM unit: its majority label (−1 for a unit without points) and the fraction of
    its points carrying that label (NaN when empty)."""
    majority = np.full(n_units, -1)
    share = np.full(n_units, np.nan)
    for j in range(n_units):
        labels = y[bmu == j]
        if labels.size:
            counts = np.bincount(labels)
            majority[j] = int(np.argmax(counts))
            share[j] = counts.max() / labels.size
    return majority, share


def u_matrix(weights: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """``(n_rows, n_cols)`` mean Euclidean distance of each unit's vector to those of its
    4-neighbours on the grid (large values: borders between clusters)."""
    W = np.asarray(weights, float).reshape(n_rows, n_cols, -1)
    total = np.zeros((n_rows, n_cols))
    count = np.zeros((n_rows, n_cols))
    for dr, dc in ((0, 1), (1, 0)):
        diff = np.linalg.norm(W[dr:, dc:] - W[:n_rows - dr, :n_cols - dc], axis=-1)
        total[dr:, dc:] += diff
        count[dr:, dc:] += 1
        total[:n_rows - dr, :n_cols - dc] += diff
        count[:n_rows - dr, :n_cols - dc] += 1
    return total / np.maximum(count, 1)


def _scores(y, labels) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    return float(adjusted_rand_score(y, labels)), float(normalized_mutual_info_score(y, labels))


def _trust(X, embedding, config: Config) -> float:
    from sklearn.manifold import trustworthiness

    return float(trustworthiness(X, np.asarray(embedding, float),
                                 n_neighbors=config.trust_neighbors))


# --- the parts of one run -----------------------------------------------------------

def deterministic_part(models: dict, data: dict, config: Config) -> tuple[dict, dict]:
    """PCA and t-SNE embeddings (t-SNE starts from PCA), DBSCAN and Ward: no randomness,
    one run per data set."""
    from scipy.cluster.hierarchy import linkage as scipy_linkage

    metrics, trace = {}, {}
    for name, (X, y) in data.items():
        Z, kept = models["pca"](jnp.asarray(X))
        low = Z[:, :config.low_dims]
        metrics[f"pca_variance_kept/{name}"] = float(kept)
        emb = np.asarray(Z[:, :2])  # the PCA embedding: the first two components
        metrics[f"trustworthiness/pca/{name}"] = _trust(X, emb, config)
        D = models["distances"](low)
        eps = kth_neighbour_eps(D, config.dbscan_min_samples, config.dbscan_quantile)
        labels, _ = models["dbscan"](D, eps, config.dbscan_min_samples)
        labels = np.asarray(labels)
        metrics[f"ari/dbscan/{name}"], metrics[f"nmi/dbscan/{name}"] = _scores(y, labels)
        metrics[f"dbscan_eps/{name}"] = eps
        metrics[f"dbscan_clusters/{name}"] = int(labels.max() + 1)
        metrics[f"dbscan_noise_frac/{name}"] = float(np.mean(labels < 0))
        link = models["ward"](Z)
        ward_labels = models["cut"](link, config.n_clusters)
        metrics[f"ari/ward/{name}"], metrics[f"nmi/ward/{name}"] = _scores(y, ward_labels)
        ours = np.asarray(link, float)
        ref = scipy_linkage(np.asarray(Z, float), "ward")
        metrics[f"ward_height_rel_diff/{name}"] = float(
            np.max(np.abs(np.sort(ours[:, 2]) - np.sort(ref[:, 2]))) / ref[:, 2].max())
        ts = models["tsne"](jax.random.PRNGKey(0), Z)  # PCA initialisation: no randomness
        metrics[f"trustworthiness/tsne/{name}"] = _trust(X, ts.embedding, config)
        metrics[f"tsne_kl/{name}"] = float(ts.kl_divergence)
        trace[name] = {"Z": np.asarray(Z), "pca": emb, "tsne": np.asarray(ts.embedding),
                       "linkage": ours}
    return metrics, trace


def seed_part(models: dict, data: dict, trace: dict, seed: int, config: Config,
              bar) -> tuple[dict, dict]:
    """Everything random, for one seed: clusterings, UMAP, BIC curve and SOM on both sets,
    then the anomaly detectors on digits."""
    key = jax.random.PRNGKey(seed)
    metrics, seed_trace = {}, {}
    for i, (name, (X, y)) in enumerate(data.items()):
        k_km, k_gmm, k_sp, k_umap, k_som = jax.random.split(jax.random.fold_in(key, i), 5)
        Z = jnp.asarray(trace[name]["Z"])
        low = Z[:, :config.low_dims]
        km = models["kmeans"](k_km, Z)
        metrics[f"ari/kmeans/{name}"], metrics[f"nmi/kmeans/{name}"] = _scores(y, km.labels)
        metrics[f"kmeans_inertia/{name}"] = float(km.inertia)
        for k, fit in models["gmm"].items():
            labels, bic = fit(k_gmm, low)
            metrics[f"bic/{name}/k{k}"] = float(bic)
            if k == config.n_clusters:
                metrics[f"ari/gmm/{name}"], metrics[f"nmi/gmm/{name}"] = _scores(y, labels)
        sp = models["spectral"](k_sp, Z)
        metrics[f"ari/spectral/{name}"], metrics[f"nmi/spectral/{name}"] = _scores(y, sp.labels)
        bar.update()
        um = models["umap"](k_umap, Z)
        metrics[f"trustworthiness/umap/{name}"] = _trust(X, um.embedding, config)
        sm = models["som"](k_som, Z)
        bmu = np.asarray(sm.labels)
        majority, _ = unit_majority(bmu, y, config.som_rows * config.som_cols)
        metrics[f"som_qe/{name}"] = float(sm.quantization_error)
        metrics[f"som_te/{name}"] = float(sm.topographic_error)
        metrics[f"som_purity/{name}"] = float(np.mean(majority[bmu] == y))
        seed_trace[name] = {"umap": np.asarray(um.embedding),
                            "som_weights": np.asarray(sm.weights), "som_bmu": bmu}
        bar.update()
    metrics_a, seed_trace["anomaly"] = anomaly_part(models, data["digits"], seed, config)
    metrics.update(metrics_a)
    bar.update()
    return metrics, seed_trace


def anomaly_split(y: np.ndarray, seed: int, config: Config):
    """Row indices ``(train, test_normal, test_outlier)``: the non-held-out digits shuffled
    by ``seed`` and halved, and up to ``anomaly_max_outliers`` held-out ones."""
    rng = np.random.default_rng([seed, config.anomaly_digit])
    normal = rng.permutation(np.flatnonzero(y != config.anomaly_digit))
    outlier = rng.permutation(np.flatnonzero(y == config.anomaly_digit))
    half = len(normal) // 2
    return normal[:half], normal[half:], outlier[:config.anomaly_max_outliers]


def anomaly_part(models: dict, digits: tuple, seed: int, config: Config):
    """The three detectors on one split of digits; ROC AUC from scikit-learn."""
    from sklearn.metrics import roc_auc_score, roc_curve

    X, y = digits
    k_fit = jax.random.fold_in(jax.random.PRNGKey(seed), len(DATASETS))
    train, test_n, test_o = anomaly_split(y, seed, config)
    test = np.concatenate([test_n, test_o])
    is_outlier = np.r_[np.zeros(len(test_n)), np.ones(len(test_o))]
    Xtr, Xte = models["pca_anomaly"](jnp.asarray(X[train]), [jnp.asarray(X[train]),
                                                              jnp.asarray(X[test])])
    metrics, curves = {}, {}
    for i, (name, (fit, score_samples)) in enumerate(models["detectors"].items()):
        params = fit(jax.random.fold_in(k_fit, i), Xtr)
        normality = np.asarray(score_samples(params, Xte), float)
        score = -normality  # higher = more anomalous
        # predict's rule (decision_function = score_samples - offset < 0), read on the host
        flagged = normality - float(params.offset) < 0
        metrics[f"auc/{name}"] = float(roc_auc_score(is_outlier, score))
        metrics[f"tpr_at_threshold/{name}"] = float(flagged[is_outlier == 1].mean())
        metrics[f"fpr_at_threshold/{name}"] = float(flagged[is_outlier == 0].mean())
        fpr, tpr, _ = roc_curve(is_outlier, score)
        curves[name] = (fpr, tpr)
    return metrics, curves


# --- figures ------------------------------------------------------------------------

def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figures(out_dir: Path, data: dict, trace: dict, seed0: dict, per_seed: dict,
             m: dict, config: Config) -> list[str]:
    plt = _plt()
    from scipy.cluster.hierarchy import dendrogram

    # clusterings: ARI and NMI per method and data set
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    width = 0.38
    for ax, score in zip(axes, ("ari", "nmi")):
        for j, name in enumerate(DATASETS):
            means = [m[f"{score}/{c}/{name}"] for c in CLUSTERERS]
            errs = [m.get(f"{score}_ci95/{c}/{name}") or 0.0 for c in CLUSTERERS]
            ax.bar(np.arange(len(CLUSTERERS)) + (j - 0.5) * width, means, width, yerr=errs,
                   capsize=3, label=TITLES[name])
        ax.set_xticks(np.arange(len(CLUSTERERS)), [TITLES[c] for c in CLUSTERERS], fontsize=8)
        ax.set(title=f"{score.upper()} against the labels (k = {config.n_clusters})",
               ylim=(0, 1))
    axes[0].legend(fontsize=8)
    save_figure(fig, out_dir, "clusterings.png")

    # embeddings coloured by label, trustworthiness in the titles
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.4))
    for r, name in enumerate(DATASETS):
        y = data[name][1]
        for c, method in enumerate(EMBEDDERS):
            emb = trace[name][method] if method in trace[name] else seed0[name][method]
            ax = axes[r, c]
            sc = ax.scatter(emb[:, 0], emb[:, 1], c=y, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
            t = m[f"trustworthiness/{method}/{name}"]
            ax.set(xticks=[], yticks=[])
            ax.set_title(f"{TITLES[name]}: {TITLES[method]}\ntrustworthiness {t:.3f}",
                         fontsize=10)
    fig.colorbar(sc, ax=axes, ticks=range(10), label="label", shrink=0.6)
    save_figure(fig, out_dir, "embeddings.png")

    # BIC curve, mean over seeds with its interval
    ks = np.asarray(config.bic_components)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, name in zip(axes, DATASETS):
        mean = np.array([m[f"bic/{name}/k{k}"] for k in ks])
        half = np.array([m.get(f"bic_ci95/{name}/k{k}") or 0.0 for k in ks])
        ax.plot(ks, mean, "o-")
        ax.fill_between(ks, mean - half, mean + half, alpha=0.25)
        best = m[f"bic_best_k/{name}"]
        ax.axvline(best, color="k", ls="--", lw=1, label=f"min at k = {best}")
        ax.set(xlabel="components", ylabel="BIC", title=f"{TITLES[name]}: GMM BIC "
               f"(first {config.low_dims} PCs)")
        ax.legend(fontsize=8)
    save_figure(fig, out_dir, "bic.png")

    # Ward dendrograms from our linkage matrices
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for ax, name in zip(axes, DATASETS):
        dendrogram(trace[name]["linkage"], truncate_mode="lastp", p=config.dendrogram_leaves,
                   ax=ax, leaf_font_size=7, color_threshold=0)
        ax.set(title=f"{TITLES[name]}: Ward tree, cut to its top {config.dendrogram_leaves} "
               "clusters (sizes below)",
               ylabel="merge distance")
    save_figure(fig, out_dir, "dendrogram.png")

    # SOM: majority label per unit (shaded by its share) and U-matrix, seed 0
    rows, cols = config.som_rows, config.som_cols
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.4))
    for r, name in enumerate(DATASETS):
        y = data[name][1]
        majority, share = unit_majority(seed0[name]["som_bmu"], y, rows * cols)
        grid = np.ma.masked_less(majority.reshape(rows, cols).astype(float), 0)
        ax = axes[r, 0]
        ax.imshow(grid, cmap="tab10", vmin=-0.5, vmax=9.5,
                  alpha=np.nan_to_num(share.reshape(rows, cols), nan=0.0))
        for j in range(rows * cols):
            if majority[j] >= 0:
                ax.text(j % cols, j // cols, str(majority[j]), ha="center", va="center",
                        fontsize=7)
        ax.set(title=f"{TITLES[name]}: unit majority label (purity "
               f"{m[f'som_purity/{name}']:.2f})", xticks=[], yticks=[])
        ax = axes[r, 1]
        im = ax.imshow(u_matrix(seed0[name]["som_weights"], rows, cols), cmap="bone_r")
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set(title=f"{TITLES[name]}: U-matrix (QE {m[f'som_qe/{name}']:.2f}, TE "
               f"{m[f'som_te/{name}']:.2f})", xticks=[], yticks=[])
    save_figure(fig, out_dir, "som.png")

    # anomaly ROC curves, seed 0
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    for name, (fpr, tpr) in seed0["anomaly"].items():
        ax.plot(fpr, tpr, label=f"{TITLES[name]} (AUC {format_mean_ci(per_seed[f'auc/{name}'])})")
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="false-alarm rate", ylabel="detection rate",
           title=f"digits: held-out digit {config.anomaly_digit} as anomalies (seed 0)")
    ax.legend(fontsize=7, loc="lower right")
    save_figure(fig, out_dir, "anomaly_roc.png")
    return ["clusterings.png", "embeddings.png", "bic.png", "dendrogram.png", "som.png",
            "anomaly_roc.png"]


# --- README -------------------------------------------------------------------------

def _cell(m: dict, per_seed: dict, key: str) -> str:
    return format_mean_ci(per_seed[key]) if key in per_seed else f"{m[key]:.3f} (one run)"


def _findings(m: dict, config: Config) -> list[str]:
    lines = []
    for name in DATASETS:
        ds = TITLES[name]
        ranked = sorted(CLUSTERERS, key=lambda c: -m[f"ari/{c}/{name}"])
        lines.append(f"{ds}: the best clustering by ARI is {TITLES[ranked[0]]} "
                     f"({m[f'ari/{ranked[0]}/{name}']:.3f}), the worst "
                     f"{TITLES[ranked[-1]]} ({m[f'ari/{ranked[-1]}/{name}']:.3f}).")
        pca_t = m[f"trustworthiness/pca/{name}"]
        better = [e for e in ("tsne", "umap") if m[f"trustworthiness/{e}/{name}"] > pca_t]
        verdict = ("both t-SNE and UMAP are" if len(better) == 2 else
                   f"only {TITLES[better[0]]} is" if better else "neither t-SNE nor UMAP is")
        lines.append(f"{ds}: {verdict} more trustworthy than PCA ({pca_t:.3f}); t-SNE "
                     f"{m[f'trustworthiness/tsne/{name}']:.3f}, UMAP "
                     f"{m[f'trustworthiness/umap/{name}']:.3f}.")
        best_k = m[f"bic_best_k/{name}"]
        edge = (" (the only number searched)" if len(config.bic_components) == 1 else
                " (the edge of the searched range)" if best_k in
                (min(config.bic_components), max(config.bic_components)) else "")
        lines.append(f"{ds}: BIC is lowest at {best_k} components{edge}, against "
                     f"{config.n_clusters} classes.")
        lines.append(f"{ds}: DBSCAN (eps {m[f'dbscan_eps/{name}']:.3g}) finds "
                     f"{m[f'dbscan_clusters/{name}']} cluster"
                     f"{'' if m[f'dbscan_clusters/{name}'] == 1 else 's'} and calls "
                     f"{100 * m[f'dbscan_noise_frac/{name}']:.0f}% of the points noise.")
        lines.append(f"{ds}: {100 * m[f'som_purity/{name}']:.0f}% of the points share the "
                     f"majority label of their SOM unit; Ward merge heights agree with SciPy "
                     f"to a relative {m[f'ward_height_rel_diff/{name}']:.1g}.")
    best = max(DETECTORS, key=lambda d: m[f"auc/{d}"])
    lines.append(f"Anomalies (held-out digit {config.anomaly_digit}): {TITLES[best]} ranks them "
                 f"best (AUC {m[f'auc/{best}']:.3f}); at its own threshold it flags "
                 f"{100 * m[f'tpr_at_threshold/{best}']:.0f}% of them and "
                 f"{100 * m[f'fpr_at_threshold/{best}']:.0f}% of the normal digits.")
    return lines


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            per_seed: dict) -> None:
    m = results["metrics"]
    rows = []
    for score in ("ari", "nmi"):
        for c in CLUSTERERS:
            rows.append([f"{score}/{c}", *(_cell(m, per_seed, f"{score}/{c}/{d}")
                                           for d in DATASETS)])
    for e in EMBEDDERS:
        rows.append([f"trustworthiness/{e}", *(_cell(m, per_seed, f"trustworthiness/{e}/{d}")
                                                for d in DATASETS)])
    for stem in ("som_qe", "som_te", "som_purity"):
        rows.append([stem, *(_cell(m, per_seed, f"{stem}/{d}") for d in DATASETS)])
    rows.append(["bic_best_k", *(str(m[f"bic_best_k/{d}"]) for d in DATASETS)])
    table = markdown_table(["metric", *(TITLES[d] for d in DATASETS)], rows)
    anomaly_rows = [[TITLES[d], *(_cell(m, per_seed, f"{s}/{d}")
                                  for s in ("auc", "tpr_at_threshold", "fpr_at_threshold"))]
                    for d in DETECTORS]
    anomaly_table = markdown_table(["detector", "ROC AUC", "detection rate at threshold",
                                    "false-alarm rate at threshold"], anomaly_rows)
    findings = "\n".join(f"- {line}" for line in _findings(m, config))
    c = config
    text = f"""# Unsupervised tour (issue 13)

A tour of `jaxml.unsupervised` on two labelled sets whose labels the methods never see:
scikit-learn's 8×8 digits and MNIST-1D (Greydanus & Kobak 2024, generated offline), each
cut to {results['extra']['n_points']} points and projected on its first {c.pca_dims}
principal components (which keep {100 * m['pca_variance_kept/digits']:.1f}% of the digits'
and {100 * m['pca_variance_kept/mnist1d']:.1f}% of MNIST-1D's variance). No published numbers
are rerun: this is a comparison of the methods with each other.

**Setup.** Clusterings into {c.n_clusters} groups, scored by ARI and NMI against the labels:
k-means ({c.kmeans_n_init} k-means++ restarts), a full-covariance Gaussian mixture and DBSCAN
on the first {c.low_dims} components (DBSCAN's eps is the {c.dbscan_quantile:g} quantile of
each point's distance to its {c.dbscan_min_samples}th-nearest point, itself included; noise
counts as one more cluster),
Ward agglomeration, spectral clustering on a {c.spectral_neighbors}-NN graph. Embeddings in
2-D by PCA, exact t-SNE (perplexity {c.tsne_perplexity:g}, {c.tsne_max_iter} iterations) and
UMAP ({c.umap_neighbors} neighbours, {c.umap_epochs} epochs), scored by scikit-learn's
trustworthiness ({c.trust_neighbors} neighbours) against the original features. A batch SOM
of {c.som_rows}×{c.som_cols} units ({c.som_epochs} epochs). Anomalies: digit
{c.anomaly_digit} held out; isolation forest ({c.iforest_trees} trees), elliptic envelope and
one-class SVM (ν = {c.contamination:g}) fitted on half of the other digits (first
{c.anomaly_dims} principal components of that half) and scored on the other half plus up to
{c.anomaly_max_outliers} held-out digits. Seeds change the keys and the anomaly split, not the
data. Stochastic entries are mean ± Student-t 95% interval over seeds (n = seeds with a
finite value); DBSCAN, Ward, PCA and t-SNE (started from PCA) are deterministic (one run).

{table}

{anomaly_table}

**Results.**

{findings}

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or `jaxml repro {NAME} --quick`.

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


# --- run ----------------------------------------------------------------------------

def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    per_seed: dict[str, list] = {}
    with Timer() as total:
        data = load_data(config)
        models = build_models(config)
        with tqdm(total=1 + 3 * config.seeds, desc=NAME, disable=None) as bar:
            fixed, trace = deterministic_part(models, data, config)
            bar.update()
            seed0 = None
            for seed in range(config.seeds):
                metrics, seed_trace = seed_part(models, data, trace, seed, config, bar)
                seed0 = seed0 or seed_trace
                for k, v in metrics.items():
                    per_seed.setdefault(k, []).append(v)
    per_seed = {k: np.asarray(v, float) for k, v in per_seed.items()}
    metrics = dict(fixed)
    for name, values in per_seed.items():
        metrics.update(seed_metrics(name, values))
    for name in DATASETS:
        curve = [seed_summary(per_seed[f"bic/{name}/k{k}"]).mean for k in config.bic_components]
        metrics[f"bic_best_k/{name}"] = int(config.bic_components[int(np.nanargmin(curve))])
    figures = _figures(out_dir, data, trace, seed0, per_seed, metrics, config)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, target=TARGET,
                            seeds=config.seeds, wall_time_s=total.seconds,
                            extra={"per_seed": per_seed,
                                   "n_points": len(data["digits"][1])})
    _readme(out_dir, results, config, figures, per_seed)
    return results


if __name__ == "__main__":
    main_for(__name__)
