"""Gradient boosting: closed forms, scikit-learn's first-order GBM, XGBoost's exact trees."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_friedman1
from sklearn.ensemble import GradientBoostingRegressor

from jaxml.classical import boosting, trees

KEY = jax.random.PRNGKey(0)


def test_one_split_gain_and_leaf_weights_equal_the_closed_forms():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 6.0, 7.0])
    lam = 1.0
    est = boosting.gradient_boosting_regressor(n_estimators=1, learning_rate=1.0, max_depth=1,
                                               reg_lambda=lam, min_child_weight=0.0)
    with jax.enable_x64(True):
        model = est.fit(KEY, X, y)
    base = y.mean()  # 4.0: the best constant for squared error
    g = base - y  # gradient of ½(y - f)² at f = base; h = 1
    G_L, G_R, H_L, H_R = g[:2].sum(), g[2:].sum(), 2.0, 2.0
    gain = G_L**2 / (H_L + lam) + G_R**2 / (H_R + lam) - (G_L + G_R) ** 2 / (4 + lam)
    tree = jax.tree.map(lambda a: a[0], model.trees)
    assert float(model.base_score) == pytest.approx(base)
    assert int(tree.feature[0]) == 0 and float(tree.threshold[0]) == 1.5
    np.testing.assert_allclose(np.asarray(tree.value[1:3, 0]),
                               [-G_L / (H_L + lam), -G_R / (H_R + lam)], rtol=1e-12)
    split_gain = (float(tree.weighted_n_node_samples[0] * tree.impurity[0])
                  - float(tree.weighted_n_node_samples[1] * tree.impurity[1])
                  - float(tree.weighted_n_node_samples[2] * tree.impurity[2]))
    assert split_gain == pytest.approx(gain, rel=1e-12)
    # gamma above the gain: no split; L1 alpha soft-thresholds the leaf's gradient sum
    stump = boosting.gradient_boosting_regressor(
        n_estimators=1, learning_rate=1.0, max_depth=1, min_split_loss=gain + 1e-3,
        min_child_weight=0.0).fit(KEY, X, y)
    assert bool(stump.trees.is_leaf[0, 0])
    with jax.enable_x64(True):
        l1 = boosting.gradient_boosting_regressor(
            n_estimators=1, learning_rate=1.0, max_depth=1, reg_alpha=2.0,
            min_child_weight=0.0).fit(KEY, X, y)
    np.testing.assert_allclose(float(l1.trees.value[0, 1, 0]),
                               -np.sign(G_L) * (abs(G_L) - 2.0) / (H_L + lam), rtol=1e-12)


def test_first_order_squared_error_equals_sklearn_gradient_boosting():
    X, y = make_friedman1(300, 5, noise=0.5, random_state=0)
    with jax.enable_x64(True):
        est = boosting.gradient_boosting_regressor(n_estimators=40, learning_rate=0.1,
                                                   max_depth=3, reg_lambda=0.0,
                                                   min_child_weight=0.0)
        ours = np.asarray(est.predict(est.fit(KEY, X, y), X))
    theirs = GradientBoostingRegressor(n_estimators=40, learning_rate=0.1, max_depth=3,
                                       criterion="squared_error", random_state=0).fit(X, y)
    np.testing.assert_allclose(ours, theirs.predict(X), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_second_order_trees_equal_xgboost_exact(task):
    xgb = pytest.importorskip("xgboost")
    settings = dict(n_estimators=20, learning_rate=0.3, max_depth=3, reg_lambda=1.0,
                    min_child_weight=1.0)
    if task == "regression":
        X, y = make_friedman1(400, 6, noise=0.5, random_state=1)
        est = boosting.gradient_boosting_regressor(**settings)
    else:
        X, y = make_classification(400, 6, n_informative=4, random_state=1)
        est = boosting.gradient_boosting_classifier(**settings)
    X = X.astype(np.float32)
    model = est.fit(KEY, X, y)
    base = float(model.base_score)
    common = dict(tree_method="exact", n_estimators=20, learning_rate=0.3, max_depth=3,
                  reg_lambda=1.0, min_child_weight=1.0, n_jobs=1)
    if task == "regression":
        peer = xgb.XGBRegressor(base_score=base, **common).fit(X, y)
        np.testing.assert_allclose(np.asarray(est.predict(model, X)), peer.predict(X),
                                   rtol=1e-4, atol=1e-4)
    else:
        peer = xgb.XGBClassifier(base_score=float(jax.nn.sigmoid(base)), **common).fit(X, y)
        np.testing.assert_allclose(np.asarray(est.predict_proba(model, X)),
                                   peer.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "poisson"])
def test_staged_training_loss_decreases_for_convex_losses(loss):
    X, y = make_friedman1(300, 5, noise=0.5, random_state=2)
    if loss == "poisson":
        y = np.random.default_rng(0).poisson(np.exp(y / 10))
    est = boosting.gradient_boosting_regressor(loss=loss, n_estimators=30)
    model = est.fit(KEY, X, y)
    assert np.all(np.diff(np.asarray(model.train_loss)) <= 1e-6)
    staged = np.asarray(boosting.staged_decision(model, X))
    assert staged.shape == (31, 300)
    np.testing.assert_allclose(staged[-1], np.asarray(est.predict(model, X))
                               if loss != "poisson" else np.log(np.asarray(est.predict(model, X))),
                               rtol=1e-5, atol=1e-5)


def test_softmax_classifier_learns_and_its_loss_decreases():
    X, y = make_classification(600, 8, n_informative=6, n_classes=3, n_clusters_per_class=1,
                               random_state=3)
    est = boosting.gradient_boosting_classifier(loss="softmax", n_estimators=30)
    model = est.fit(KEY, X[:400], y[:400])
    assert model.trees.feature.shape == (30, 3, 15)
    assert np.all(np.diff(np.asarray(model.train_loss)) <= 1e-6)
    acc = np.mean(np.asarray(est.predict(model, X[400:])) == y[400:])
    assert acc > 0.8
    proba = np.asarray(est.predict_proba(model, X[400:]))
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)


def test_quantile_loss_covers_its_level():
    X, y = make_friedman1(500, 5, noise=2.0, random_state=4)
    est = boosting.gradient_boosting_regressor(loss="quantile", quantile_alpha=0.9,
                                               n_estimators=100, max_depth=2)
    coverage = np.mean(y <= np.asarray(est.predict(est.fit(KEY, X, y), X)))
    assert 0.8 <= coverage <= 0.97


def test_early_stopping_keeps_the_best_round_on_the_evaluation_set():
    X, y = make_friedman1(400, 5, noise=3.0, random_state=5)
    est = boosting.gradient_boosting_regressor(n_estimators=200, learning_rate=0.5,
                                               max_depth=4, n_iter_no_change=10)
    model = est.fit(KEY, X[:200], y[:200], eval_set=(X[200:], y[200:]))
    losses = np.asarray(model.eval_loss)
    used = int(model.n_rounds_used)
    assert used < 200 and losses[used] == losses[: used + 11].min()
    np.testing.assert_allclose(np.asarray(est.predict(model, X[200:])),
                               np.asarray(boosting.staged_decision(model, X[200:])[used]))


def test_a_learning_rate_sweep_is_one_vmapped_program_equal_to_a_loop():
    X, y = make_friedman1(200, 5, noise=0.5, random_state=6)
    rates = jnp.array([0.05, 0.1, 0.3])

    def fit(rate):
        est = boosting.gradient_boosting_regressor(n_estimators=10, learning_rate=rate)
        return est.predict(est.fit(KEY, X, y), X)

    swept = jax.jit(jax.vmap(fit))(rates)
    for i, rate in enumerate([0.05, 0.1, 0.3]):
        np.testing.assert_allclose(np.asarray(swept[i]), np.asarray(fit(rate)), rtol=1e-5,
                                   atol=1e-5)


def test_row_and_column_subsampling_change_the_trees_under_the_key():
    X, y = make_friedman1(200, 6, noise=0.5, random_state=7)
    est = boosting.gradient_boosting_regressor(n_estimators=5, subsample=0.5, max_features=2)
    a, b = est.fit(KEY, X, y), est.fit(jax.random.PRNGKey(1), X, y)
    assert not np.array_equal(np.asarray(a.trees.threshold), np.asarray(b.trees.threshold))
    again = est.fit(KEY, X, y)
    np.testing.assert_array_equal(np.asarray(a.trees.threshold), np.asarray(again.trees.threshold))


def test_bad_input_raises_naming_the_argument():
    with pytest.raises(ValueError, match="loss must be one of"):
        boosting.gradient_boosting_regressor(loss="hinge")
    with pytest.raises(ValueError, match="loss must be one of"):
        boosting.gradient_boosting_classifier(loss="squared_error")
    with pytest.raises(ValueError, match="max_depth"):
        boosting.gradient_boosting_regressor(max_depth=0)
    with pytest.raises(ValueError, match="subsample"):
        boosting.gradient_boosting_regressor(subsample=0.0)
    with pytest.raises(ValueError, match="learning_rate"):
        boosting.gradient_boosting_classifier(learning_rate=-0.1)
    with pytest.raises(ValueError, match="quantile_alpha"):
        boosting.gradient_boosting_regressor(loss="quantile", quantile_alpha=1.0)
    X, y = make_classification(60, 4, n_classes=3, n_informative=3, n_redundant=0,
                               random_state=0)
    with pytest.raises(ValueError, match="binary.*softmax"):
        boosting.gradient_boosting_classifier().fit(KEY, X, y)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        boosting.gradient_boosting_regressor().fit(KEY, bad, y.astype(float))
    model = boosting.gradient_boosting_regressor(n_estimators=2).fit(KEY, X, y.astype(float))
    with pytest.raises(ValueError, match="fitted with 4"):
        boosting.staged_decision(model, X[:, :2])
    assert trees.NewtonRule().reg_lambda == 1.0
