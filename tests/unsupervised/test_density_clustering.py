"""DBSCAN and OPTICS against scikit-learn (labels, core samples, reachability, ordering)."""

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.cluster import DBSCAN, OPTICS
from sklearn.datasets import make_blobs, make_moons

from jaxml.unsupervised import density_clustering as dc

matplotlib.use("Agg")


def _blobs():
    X, _ = make_blobs(300, centers=4, cluster_std=1.0, random_state=0)
    return X


def _moons():
    X, _ = make_moons(200, noise=0.08, random_state=1)
    return X


def _noisy_blobs():
    rng = np.random.default_rng(2)
    X, _ = make_blobs(200, centers=3, cluster_std=0.6, random_state=3)
    noise = rng.uniform(X.min(0) - 2, X.max(0) + 2, size=(60, 2))
    return np.concatenate([X, noise])


DATA = {"blobs": _blobs, "moons": _moons, "noisy_blobs": _noisy_blobs}
DBSCAN_CASES = [("blobs", 0.5, 5), ("blobs", 0.3, 3), ("moons", 0.15, 5),
                ("moons", 0.1, 8), ("noisy_blobs", 0.5, 6), ("noisy_blobs", 0.9, 4)]


@pytest.mark.parametrize("data,eps,min_samples", DBSCAN_CASES)
def test_dbscan_labels_and_core_samples_identical_to_sklearn(data, eps, min_samples):
    X = DATA[data]()
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    params = dc.dbscan(eps, min_samples).fit(X)
    assert ref.labels_.max() >= 1 and (ref.labels_ == -1).any() or data == "blobs"
    np.testing.assert_array_equal(np.asarray(params.labels), ref.labels_)
    np.testing.assert_array_equal(dc.core_sample_indices(params), ref.core_sample_indices_)


def test_dbscan_border_point_joins_the_lowest_numbered_cluster_like_sklearn():
    # 1-D: cluster A = {0, .1, .2, .3}, cluster B = {1.7, ..., 2.0}, a non-core border
    # point at 1.0 within eps of A's 0.3 and B's 1.7. A holds index 0 (so it is cluster
    # 0), but the border point's first core neighbour in index order (index 1) is in B.
    values = {0: 0.0, 6: 0.1, 7: 0.2, 8: 0.3, 1: 1.7, 2: 1.8, 3: 1.9, 4: 2.0, 5: 1.0}
    X = np.array([values[i] for i in range(9)])[:, None]
    ref = DBSCAN(eps=0.75, min_samples=4).fit(X)
    assert ref.labels_[5] == 0 and ref.labels_[1] == 1 and 5 not in ref.core_sample_indices_
    params = dc.dbscan(0.75, 4).fit(X)
    np.testing.assert_array_equal(np.asarray(params.labels), ref.labels_)


def test_dbscan_jit_and_vmap_over_eps_match_sklearn():
    X = jnp.asarray(_moons(), jnp.float32)
    D = dc.euclidean_distance_matrix(X)
    grid = jnp.array([0.1, 0.15, 0.2])
    labels, _ = jax.jit(jax.vmap(lambda e: dc.dbscan_labels(D, e, 5)))(grid)
    for row, e in zip(np.asarray(labels), [0.1, 0.15, 0.2]):
        np.testing.assert_array_equal(row, DBSCAN(eps=e, min_samples=5).fit(np.asarray(X)).labels_)
    eager = dc.dbscan(0.15, 5).fit(X)
    jitted = jax.jit(dc.dbscan(0.15, 5).fit)(X)
    np.testing.assert_array_equal(np.asarray(jitted.labels), np.asarray(eager.labels))


def test_dbscan_predict_equals_brute_force_nearest_core_rule():
    X = _noisy_blobs()
    est = dc.dbscan(0.5, 6)
    params = est.fit(X)
    Q = np.random.default_rng(5).uniform(X.min(0), X.max(0), size=(50, 2))
    core = dc.core_sample_indices(params)
    D = np.linalg.norm(Q[:, None, :] - X[None, core, :], axis=-1)
    nearest = D.argmin(1)
    expect = np.where(D.min(1) <= 0.5, np.asarray(params.labels)[core][nearest], -1)
    assert (expect >= 0).any() and (expect == -1).any()
    np.testing.assert_array_equal(np.asarray(est.predict(params, Q)), expect)
    # Training core points predict their own label.
    np.testing.assert_array_equal(np.asarray(est.predict(params, X[core])),
                                  np.asarray(params.labels)[core])


OPTICS_CASES = [("blobs", 5, np.inf, 0.7), ("blobs", 10, 2.0, 1.0), ("moons", 5, np.inf, 0.15),
                ("moons", 4, 0.3, 0.2), ("noisy_blobs", 8, np.inf, 0.6)]


def _assert_optics_equal(params, ref, rtol, atol=0.0):
    np.testing.assert_array_equal(np.asarray(params.ordering), ref.ordering_)
    np.testing.assert_array_equal(np.asarray(params.predecessor), ref.predecessor_)
    np.testing.assert_allclose(np.asarray(params.reachability), ref.reachability_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(np.asarray(params.core_distances), ref.core_distances_, rtol=rtol,
                               atol=atol)
    np.testing.assert_array_equal(np.asarray(params.labels), ref.labels_)


@pytest.mark.parametrize("data,min_samples,max_eps,eps", OPTICS_CASES)
def test_optics_graph_and_dbscan_cut_equal_sklearn(data, min_samples, max_eps, eps):
    X = DATA[data]()
    ref = OPTICS(min_samples=min_samples, max_eps=max_eps, cluster_method="dbscan",
                 eps=eps).fit(X)
    assert len(np.unique(ref.labels_)) >= 2
    with jax.enable_x64(True):
        params = dc.optics(min_samples, max_eps=max_eps, eps=eps).fit(X)
        assert params.reachability.dtype == jnp.float64
        _assert_optics_equal(params, ref, rtol=1e-12)
    _assert_optics_equal(dc.optics(min_samples, max_eps=max_eps, eps=eps).fit(X), ref,
                         rtol=1e-4, atol=1e-5)  # float32 matmul-expanded distances


def test_cluster_optics_dbscan_equals_sklearn_function_at_several_radii():
    from sklearn.cluster import cluster_optics_dbscan
    X = _noisy_blobs()
    params = dc.optics(6).fit(X)
    ref = OPTICS(min_samples=6).fit(X)
    cut = jax.jit(jax.vmap(dc.cluster_optics_dbscan, in_axes=(None, None, None, 0)))
    radii = np.array([0.3, 0.5, 0.8, 1.5])
    ours = cut(params.reachability, params.core_distances, params.ordering, jnp.asarray(radii))
    for row, e in zip(np.asarray(ours), radii):
        expect = cluster_optics_dbscan(reachability=ref.reachability_,
                                       core_distances=ref.core_distances_,
                                       ordering=ref.ordering_, eps=e)
        np.testing.assert_array_equal(row, expect)


def test_optics_jit_equals_eager_and_predict_on_training_cores():
    X = jnp.asarray(_moons(), jnp.float32)
    est = dc.optics(5, eps=0.15)
    eager, jitted = est.fit(X), jax.jit(est.fit)(X)
    for name in ("ordering", "predecessor", "labels"):
        np.testing.assert_array_equal(getattr(jitted, name), getattr(eager, name))
    for name in ("reachability", "core_distances"):
        np.testing.assert_allclose(getattr(jitted, name), getattr(eager, name), rtol=1e-4,
                                   atol=1e-6)  # distances rounded differently under jit
    core = dc.core_sample_indices(eager)
    np.testing.assert_array_equal(np.asarray(est.predict(eager, X[core])),
                                  np.asarray(eager.labels)[core])


def test_reachability_plot_draws_one_bar_per_point_on_agg_figure():
    X = _noisy_blobs()
    params = dc.optics(6, max_eps=1.0, eps=0.6).fit(X)
    fig = Figure()
    ax = fig.add_subplot()
    assert dc.reachability_plot(ax, params) is ax
    assert len(ax.patches) == X.shape[0]
    heights = np.array([p.get_height() for p in ax.patches])
    reach = np.asarray(params.reachability)[np.asarray(params.ordering)]
    finite = np.isfinite(reach)
    assert (~finite).sum() > 1  # max_eps leaves unreachable points
    np.testing.assert_allclose(np.sort(heights[:finite.sum()]), np.sort(reach[finite]), rtol=1e-6)
    assert [line.get_ydata()[0] for line in ax.lines] == [pytest.approx(0.6)]
    fig.savefig(__import__("io").BytesIO(), format="png")


@pytest.mark.parametrize("make,match", [
    (lambda: dc.dbscan(0.0, 5), "eps"),
    (lambda: dc.dbscan(-1.0, 5), "eps"),
    (lambda: dc.dbscan(float("nan"), 5), "eps"),
    (lambda: dc.dbscan(0.5, 0), "min_samples"),
    (lambda: dc.optics(0), "min_samples"),
    (lambda: dc.optics(5, max_eps=0.0), "max_eps"),
    (lambda: dc.optics(5, max_eps=1.0, eps=2.0), "eps"),
    (lambda: dc.optics(5, eps=-0.1), "eps"),
])
def test_bad_hyperparameters_raise_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_data_raises_naming_the_argument():
    X = _moons()[:20].copy()
    X[3, 1] = np.nan
    for est in (dc.dbscan(0.2, 3), dc.optics(3)):
        with pytest.raises(ValueError, match="X must be finite"):
            est.fit(X)
    with pytest.raises(ValueError, match="min_samples must be <= the number of samples"):
        dc.optics(50).fit(_moons()[:20])
    with pytest.raises(ValueError, match="X has 3 features"):
        est = dc.dbscan(0.2, 3)
        est.predict(est.fit(_moons()[:20]), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="min_samples must be an int"):
        dc.dbscan(0.2, 2.5)


# ----------------------------------------------------------------------------- OPTICS ξ

XI_CASES = [("blobs", 5, 0.05, None, True), ("blobs", 10, 0.1, 0.05, False),
            ("moons", 5, 0.05, 10, True), ("moons", 8, 0.01, None, False),
            ("noisy_blobs", 6, 0.05, None, True), ("noisy_blobs", 4, 0.3, 3, True),
            ("noisy_blobs", 12, 0.02, 0.1, False)]


@pytest.mark.parametrize("data,min_samples,xi,min_cluster_size,correction", XI_CASES)
def test_cluster_optics_xi_equals_sklearn_function_on_its_graph(data, min_samples, xi,
                                                                min_cluster_size, correction):
    from sklearn.cluster import cluster_optics_xi
    ref = OPTICS(min_samples=min_samples).fit(DATA[data]())
    graph = dict(reachability=ref.reachability_, predecessor=ref.predecessor_,
                 ordering=ref.ordering_)
    settings = dict(min_cluster_size=min_cluster_size, xi=xi, predecessor_correction=correction)
    expect_labels, expect_clusters = cluster_optics_xi(min_samples=min_samples, **graph,
                                                       **settings)
    assert expect_clusters.shape[0] >= 2  # a hierarchy, not a single cluster
    labels, clusters = dc.cluster_optics_xi(*graph.values(), min_samples, **settings)
    np.testing.assert_array_equal(clusters, expect_clusters)
    np.testing.assert_array_equal(labels, expect_labels)


def test_cluster_optics_xi_hierarchy_nests_and_labels_are_leaf_clusters():
    # Brute-force reading of the returned structure: every cluster comes after the ones
    # it contains, two clusters are nested or disjoint, and the labelled point sets are
    # exactly the clusters that contain no earlier (labelled) cluster.
    params = dc.optics(5).fit(_noisy_blobs())
    labels, clusters = dc.cluster_optics_xi(params.reachability, params.predecessor,
                                            params.ordering, 5)
    spans = [set(range(s, e + 1)) for s, e in clusters]
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            assert a <= b or not (a & b)  # later clusters never sit inside earlier ones
    by_position = labels[np.asarray(params.ordering)]
    taken: set = set()
    leaves = []
    for span in spans:
        if not (span & taken):
            leaves.append(span)
            taken |= span
    assert len(leaves) == labels.max() + 1 >= 3
    for k, span in enumerate(leaves):
        np.testing.assert_array_equal(np.flatnonzero(by_position == k), sorted(span))
    assert ((by_position == -1) == ~np.isin(np.arange(labels.size), sorted(taken))).all()


@pytest.mark.parametrize("data,min_samples,xi", [("noisy_blobs", 6, 0.05), ("moons", 5, 0.05),
                                                  ("blobs", 8, 0.1)])
def test_optics_xi_fit_equals_sklearn_end_to_end(data, min_samples, xi):
    X = DATA[data]()
    ref = OPTICS(min_samples=min_samples, xi=xi).fit(X)
    with jax.enable_x64(True):
        params = dc.optics(min_samples, cluster_method="xi", xi=xi).fit(X)
    assert ref.labels_.max() >= 1
    np.testing.assert_array_equal(np.asarray(params.labels), ref.labels_)
    np.testing.assert_array_equal(np.asarray(params.cluster_hierarchy), ref.cluster_hierarchy_)
    np.testing.assert_array_equal(np.asarray(params.ordering), ref.ordering_)


def test_optics_xi_reachability_plot_brackets_every_cluster():
    params = dc.optics(6, cluster_method="xi").fit(_noisy_blobs())
    fig = Figure()
    ax = dc.reachability_plot(fig.add_subplot(), params)
    brackets = [c for c in ax.collections if c.get_segments()]
    spans = sorted((round(seg[0][0] + 0.5), round(seg[1][0] - 0.5))
                   for c in brackets for seg in c.get_segments())
    assert spans == sorted(map(tuple, np.asarray(params.cluster_hierarchy).tolist()))


@pytest.mark.parametrize("make,error,match", [
    (lambda: dc.optics(5, cluster_method="xi", xi=0.0), ValueError, "xi"),
    (lambda: dc.optics(5, cluster_method="xi", xi=1.0), ValueError, "xi"),
    (lambda: dc.optics(5, cluster_method="xi", xi=True), TypeError, "xi"),
    (lambda: dc.optics(1, cluster_method="xi"), ValueError, "min_samples must be >= 2"),
    (lambda: dc.optics(5, cluster_method="xi", min_cluster_size=1), ValueError,
     "min_cluster_size"),
    (lambda: dc.optics(5, cluster_method="xi", min_cluster_size=1.5), ValueError,
     "min_cluster_size"),
    (lambda: dc.optics(5, cluster_method="xi", predecessor_correction="yes"), TypeError,
     "predecessor_correction"),
    (lambda: dc.optics(5, cluster_method="kmeans"), ValueError, "cluster_method"),
])
def test_bad_xi_settings_raise_naming_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_xi_extraction_rejects_tracers_and_malformed_graphs():
    X = _moons()[:40]
    with pytest.raises(TypeError, match="cannot be traced"):
        jax.jit(dc.optics(5, cluster_method="xi").fit)(X)
    p = dc.optics(5).fit(X)
    reach, pred, order = (np.asarray(a) for a in (p.reachability, p.predecessor, p.ordering))
    with pytest.raises(TypeError, match="concrete array"):
        jax.jit(lambda r: dc.cluster_optics_xi(r, pred, order, 5)[0])(reach)
    with pytest.raises(ValueError, match="permutation"):
        dc.cluster_optics_xi(reach, pred, np.zeros_like(order), 5)
    with pytest.raises(ValueError, match="reachability must be >= 0"):
        dc.cluster_optics_xi(np.where(np.arange(40) == 3, np.nan, reach), pred, order, 5)
    with pytest.raises(ValueError, match="predecessor must be a 1-D int array of length 40"):
        dc.cluster_optics_xi(reach, pred[:-1], order, 5)
    with pytest.raises(ValueError, match="min_cluster_size must be <= the number of samples"):
        dc.cluster_optics_xi(reach, pred, order, 5, min_cluster_size=41)
