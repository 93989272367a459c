"""The robustness, privacy, explanation and fairness parts of ``trust_tour`` (a helper module:
its name starts with ``_``, so it is not an experiment of its own).

Each ``run_*`` function takes the tour's ``Config`` and returns ``(metrics, extra)``: flat
metrics (per-seed quantities through :func:`jaxml.experiment.seed_metrics`, so every mean
has its Student-t interval, n and failure count beside it) and the raw per-seed arrays the
figures and tests read. The maths lives in :mod:`jaxml.trust`; this module only wires data,
models and budgets together.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxml.classical.forests import random_forest_classifier
from jaxml.classical.linear.logistic import logistic_regression
from jaxml.core import seed_keys
from jaxml.data import FairnessSCM, fairness_scm_counterfactual, load_mnist1d, load_sklearn, make_fairness_scm
from jaxml.experiment import seed_metrics
from jaxml.nn.models import MLP
from jaxml.train import fit, minimize
from jaxml.train.state import cross_entropy_loss
from jaxml.trust.accountant import Accountant
from jaxml.trust.adversarial import (ibp_loss, ibp_verified, madry_loss, robust_accuracy, smoothed_certify,
                                    trades_loss)
from jaxml.trust.explain import exact_shapley, kernel_shap, lime_signal, lime_tabular, permutation_shapley
from jaxml.trust.fairness import (demographic_parity_difference, equalized_odds_difference, expected_group_rates,
                                  fit_postprocessing, postprocess_predict)
from jaxml.trust.privacy import loss_threshold_auc, make_dp_sgd
from jaxml.trust.reductions import exponentiated_gradient, mixture_predict
from jaxml.trust.treeshap import tree_expected_value, tree_shap

ROBUST_METHODS = ("standard", "noise", "madry", "trades", "ibp")
PRIVATE_METHODS = ("nonprivate", "private")
FAIR_METHODS = ("unconstrained", "unaware", "postprocessed", "reductions", "cf_fair")
DELTA = 1e-5


def digits_unit() -> tuple[np.ndarray, ...]:
    """scikit-learn's digits scaled to [0, 1] (pixel / 16) — the box every attack and
    certificate respects — split 1,400 / 397 in the tour's fixed order."""
    X, y = load_sklearn("digits")
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm] / 16.0, y[perm].astype(np.int32)
    return X[:1400], y[:1400], X[1400:], y[1400:]


# ----------------------------------------------------------------------------- robustness
def _robust_objective(method: str, model: MLP, config):
    """objective(key, params, (x, y)) of each training method at the training radius."""
    eps, steps = config.train_eps, config.train_pgd_steps
    pgd_args = dict(eps=eps, step_size=2.5 * eps / steps, num_steps=steps)
    if method == "standard":
        return lambda k, p, b: cross_entropy_loss(model.apply(p, b[0]), b[1])
    if method == "noise":  # Gaussian augmentation: the base classifier of randomised smoothing
        return lambda k, p, b: cross_entropy_loss(
            model.apply(p, b[0] + config.smoothing_sigma * jax.random.normal(k, b[0].shape)), b[1])
    if method == "madry":
        return lambda k, p, b: madry_loss(k, model.apply, p, b[0], b[1], **pgd_args)
    if method == "trades":
        return lambda k, p, b: trades_loss(k, model.apply, p, b[0], b[1], beta=config.trades_beta, **pgd_args)
    return lambda k, p, b: ibp_loss(p, b[0], b[1], eps=eps, kappa=config.ibp_kappa)


def _train_robust(method: str, model: MLP, config, keys, Xtr, ytr):
    """Parameters of every seed (leading axis), all seeds in one vmapped program."""
    objective = _robust_objective(method, model, config)
    tx = optax.adam(config.robust_learning_rate)

    def one(key):
        params = model.init(jax.random.fold_in(key, 0), Xtr[:1])
        return minimize(jax.random.fold_in(key, 1), objective, params, tx, (Xtr, ytr),
                        epochs=config.robust_epochs, batch_size=config.batch_size)[0]

    return jax.jit(jax.vmap(one))(keys)


def _evaluator(model: MLP, Xte, yte, config, *, certify: bool):
    """``evaluate(params, keys)``, compiled once for every method it is called on: per seed
    (all seeds in one vmapped program) PGD-20 accuracy and IBP-verified accuracy per ε of
    the grid, and, with ``certify``, the CERTIFY prediction and radius of the first
    ``certify_points`` test inputs."""
    Xc = Xte[:config.certify_points]

    def one(p, key):
        logits_fn = lambda z: model.apply(p, z)  # noqa: E731
        pgd = robust_accuracy(jax.random.fold_in(key, 2), logits_fn, Xte, yte, config.eps_grid, num_steps=20)
        verified = jnp.stack([jnp.mean(ibp_verified(p, Xte, yte, e)) for e in config.eps_grid])
        if not certify:
            return pgd, verified, None
        cert = lambda k, x: smoothed_certify(k, logits_fn, x, sigma=config.smoothing_sigma,  # noqa: E731
                                             n0=config.certify_n0, n=config.certify_n,
                                             alpha=config.certify_alpha, num_classes=10)
        return pgd, verified, jax.vmap(cert)(jax.random.split(jax.random.fold_in(key, 3), Xc.shape[0]), Xc)

    return jax.jit(jax.vmap(one))


def run_robust(config) -> tuple[dict, dict]:
    """Robust accuracy under PGD-20 (L∞), IBP-verified accuracy and the smoothed classifier's
    certified L2 accuracy of MLPs trained five ways on [0, 1] digits."""
    Xtr, ytr, Xte, yte = (jnp.asarray(a) for a in digits_unit())
    model, keys = MLP((config.hidden,), 10), seed_keys(10, config.seeds)
    evaluators = {c: _evaluator(model, Xte, yte, config, certify=c) for c in (False, True)}
    pgd, verified = {}, {}
    for method in ROBUST_METHODS:
        params = _train_robust(method, model, config, keys, Xtr, ytr)
        acc, ver, cert = evaluators[method == "noise"](params, keys)
        pgd[method], verified[method] = np.asarray(acc), np.asarray(ver)
        if cert is not None:  # per seed and radius r: the fraction certified correct with radius >= r
            correct = np.asarray(cert[0]) == np.asarray(yte[:config.certify_points])[None]
            certified = np.stack([np.mean(correct & (np.asarray(cert[1]) >= r), axis=1)
                                  for r in config.certify_radii], axis=1)
    metrics = {}
    for method in ROBUST_METHODS:
        for j, eps in enumerate(config.eps_grid):
            metrics.update(seed_metrics(f"robust_acc/{method}/{eps:g}", pgd[method][:, j]))
            metrics.update(seed_metrics(f"verified_acc/{method}/{eps:g}", verified[method][:, j]))
    for j, r in enumerate(config.certify_radii):
        metrics.update(seed_metrics(f"certified_acc/smoothed/{r:g}", certified[:, j]))
    extra = {"robust_acc": {m: v.tolist() for m, v in pgd.items()},
             "verified_acc": {m: v.tolist() for m, v in verified.items()},
             "certified_acc": certified.tolist()}
    return metrics, extra


# ----------------------------------------------------------------------------- privacy
def run_private(config) -> tuple[dict, dict]:
    """DP-SGD vs the same Poisson-sampled SGD without clipping or noise on MNIST-1D, where an
    MLP overfits (the non-private model memorises its training set); membership inference
    by the loss threshold: members are the training signals, non-members the test signals."""
    data = load_mnist1d()
    Xm, ym = jnp.asarray(data.x_train[:config.private_members]), jnp.asarray(data.y_train[:config.private_members])
    Xte, yte = jnp.asarray(data.x_test), jnp.asarray(data.y_test)
    n = Xm.shape[0]
    model, keys = MLP((config.hidden,), 10), seed_keys(20, config.seeds)
    example_loss = lambda p, x, y: cross_entropy_loss(model.apply(p, x[None]), y[None])  # noqa: E731
    losses_of = lambda p, X, Y: optax.softmax_cross_entropy_with_integer_labels(model.apply(p, X), Y)  # noqa: E731
    q = config.private_batch / n
    steps = -(-config.private_epochs * n // config.private_batch)
    settings = {"nonprivate": dict(clip_norm=1e6, noise_multiplier=0.0),
                "private": dict(clip_norm=config.clip_norm, noise_multiplier=config.noise_multiplier)}
    per_seed = {}
    for method, kw in settings.items():
        train = make_dp_sgd(example_loss, optax.sgd(config.private_learning_rate), n=n, sampling_rate=q,
                            steps=steps, **kw)

        def one(key, train=train):
            params = train(jax.random.fold_in(key, 1), model.init(jax.random.fold_in(key, 0), Xm[:1]), Xm, ym)[0]
            accuracy = jnp.mean(jnp.argmax(model.apply(params, Xte), -1) == yte)
            return accuracy, losses_of(params, Xm, ym), losses_of(params, Xte, yte)

        accuracy, member, nonmember = jax.vmap(one)(keys)
        per_seed[method] = {"accuracy": np.asarray(accuracy),
                            "auc": np.array([loss_threshold_auc(m, o) for m, o in zip(np.asarray(member),
                                                                                      np.asarray(nonmember))]),
                            "member_losses": np.asarray(member[0]), "nonmember_losses": np.asarray(nonmember[0])}
    epsilon = Accountant().step(q, config.noise_multiplier, steps).epsilon(DELTA)
    metrics = {"dp_epsilon": epsilon}
    for method in PRIVATE_METHODS:
        metrics.update(seed_metrics(f"dp_acc/{method}", per_seed[method]["accuracy"]))
        metrics.update(seed_metrics(f"mia_auc/{method}", per_seed[method]["auc"]))
    extra = {"private": {m: {k: v.tolist() for k, v in d.items()} for m, d in per_seed.items()},
             "private_steps": steps, "private_sampling_rate": q}
    return metrics, extra


# ----------------------------------------------------------------------------- explanations
def _breast_cancer(num_features: int):
    X, y = load_sklearn("breast_cancer")
    perm = np.random.default_rng(1).permutation(len(y))
    X, y = X[perm, :num_features], y[perm]
    mean, std = X[:400].mean(0), X[:400].std(0)
    return (X - mean) / std, y


def _shapley_estimates(f, points, background, config, *, seed: int):
    """Enumeration, sampled Kernel SHAP and permutation sampling at every point, each
    ``(points, d)``; point i draws with ``PRNGKey(seed + i)``."""
    exact, sampled, perm = [], [], []
    for i, x in enumerate(points):
        key = jax.random.PRNGKey(seed + i)
        exact.append(np.asarray(exact_shapley(f, x, background)))
        sampled.append(np.asarray(kernel_shap(f, x, background, num_samples=config.kernel_samples, key=key)))
        perm.append(np.asarray(permutation_shapley(key, f, x, background,
                                                   num_permutations=config.shapley_permutations)))
    return np.stack(exact), np.stack(sampled), np.stack(perm)


def run_explain(config) -> tuple[dict, dict]:
    """Shapley values of a logistic model's logit f(x) = w·x + b on standardised breast-cancer
    features, whose exact value is known in closed form, φ_i = w_i (x_i − mean_k b_{k,i}):
    enumeration, Kernel SHAP (sampled) and permutation sampling against it; LIME's surrogate
    slopes against w; the same estimators and TreeSHAP on a random forest; LIME on an MNIST-1D
    MLP, checked by switching off its top- and bottom-weighted segments."""
    X, y = _breast_cancer(config.explain_features)
    est = logistic_regression(1.0)
    fitted = est.fit(X[:400], y[:400])
    w, b = fitted.coef[0], fitted.intercept[0]
    logit = lambda Z: jnp.asarray(Z) @ w + b  # noqa: E731
    background = jnp.asarray(X[:config.explain_background])
    points = jnp.asarray(X[400:400 + config.explain_points])
    closed = np.asarray(w * (points - background.mean(0)))
    exact, sampled, perm = _shapley_estimates(logit, points, background, config, seed=100)
    lime = np.stack([np.asarray(lime_tabular(jax.random.PRNGKey(100 + i), logit, x, jnp.ones_like(x)).coef)
                     for i, x in enumerate(points)])
    metrics = {"shap_error/exact": float(np.abs(exact - closed).max()),
               "shap_error/kernel": float(np.abs(sampled - exact).mean()),
               "shap_error/permutation": float(np.abs(perm - exact).mean()),
               "lime_slope_error": float(np.abs(lime - np.asarray(w)).max())}
    forest_metrics, forest_extra = _explain_forest(config, X, y, background, points)
    metrics.update(forest_metrics)

    data = load_mnist1d()
    net = MLP((config.hidden,), 10)
    state = fit(30, net, optax.adam(1e-3), (data.x_train, data.y_train), epochs=config.mnist1d_epochs,
                batch_size=config.batch_size, progress=False).state
    signal, label = jnp.asarray(data.x_test[0]), int(data.y_test[0])
    prob = lambda S: jax.nn.softmax(net.apply({"params": state.params}, jnp.asarray(S)))[:, label]  # noqa: E731
    surrogate = lime_signal(jax.random.PRNGKey(7), prob, signal, num_segments=config.lime_segments,
                            num_samples=config.lime_samples)
    segment = np.arange(signal.shape[0]) * config.lime_segments // signal.shape[0]
    base = float(signal.mean())
    change = lambda j: float(prob(jnp.where(segment == j, base, signal)[None])[0] - prob(signal[None])[0])  # noqa: E731
    coef = np.asarray(surrogate.coef)
    metrics.update({"lime_signal/r2": surrogate.score, "lime_signal/top_change": change(int(coef.argmax())),
                    "lime_signal/bottom_change": change(int(coef.argmin())),
                    "mnist1d_test_acc": float(jnp.mean(jnp.argmax(net.apply({"params": state.params},
                                                                            data.x_test), -1) == data.y_test))})
    import sklearn.datasets

    names = [str(n) for n in sklearn.datasets.load_breast_cancer().feature_names[:config.explain_features]]
    extra = {**forest_extra, "feature_names": names, "shap_exact": exact.tolist(), "shap_closed_form": closed.tolist(), "shap_kernel": sampled.tolist(),
             "shap_permutation": perm.tolist(), "lime_coef": lime.tolist(), "logit_weights": np.asarray(w).tolist(),
             "lime_signal": {"signal": np.asarray(signal).tolist(), "label": label, "coef": coef.tolist(),
                             "probability": float(prob(signal[None])[0])}}
    return metrics, extra


def _explain_forest(config, X, y, background, points) -> tuple[dict, dict]:
    """A random forest's P(malignant = 0 | x): no closed form, so enumeration (interventional,
    over the background) is the reference for the samplers; path-dependent TreeSHAP is a
    different game (the training cover replaces the background), checked by efficiency."""
    est = random_forest_classifier(n_estimators=config.forest_trees, max_depth=4, n_classes=2)
    forest = est.fit(jax.random.PRNGKey(40), X[:400], y[:400])
    proba = lambda Z: est.predict_proba(forest, jnp.asarray(Z))[:, 1]  # noqa: E731
    exact, sampled, perm = _shapley_estimates(proba, points, background, config, seed=200)
    tree = np.asarray(tree_shap(forest.trees, points, output=1))
    gap = np.asarray(proba(points)) - float(tree_expected_value(forest.trees, output=1))
    metrics = {"shap_error/kernel_forest": float(np.abs(sampled - exact).mean()),
               "shap_error/permutation_forest": float(np.abs(perm - exact).mean()),
               "treeshap_efficiency_error": float(np.abs(tree.sum(1) - gap).max()),
               "treeshap_vs_interventional": float(np.abs(tree - exact).mean())}
    return metrics, {"forest_shap_exact": exact.tolist(), "forest_shap_kernel": sampled.tolist(),
                     "forest_shap_permutation": perm.tolist(), "forest_treeshap": tree.tolist()}


# ----------------------------------------------------------------------------- fairness
def _fair_features(data: FairnessSCM, method: str, beta_income: float) -> jax.Array:
    """Inputs of each method: X and A; X only; the non-descendants of A (X_test and the
    abducted X_inc − β_inc·A = skill + ½U_inc)."""
    a = data.a.astype(data.X.dtype)[:, None]
    if method == "unaware":
        return data.X
    if method == "cf_fair":
        return jnp.concatenate([data.X[:, 2:], data.X[:, :1] - beta_income * a], axis=1)
    return jnp.concatenate([data.X, a], axis=1)


def run_fairness(config) -> tuple[dict, dict]:
    """Group gaps, accuracy and counterfactual flips of four predictors on the SCM of
    :mod:`jaxml.data.fairness_scm`, one fresh draw of the model per seed."""
    beta = dict(beta_income=config.beta_income, beta_zip=config.beta_zip, beta_label=config.beta_label)
    est = logistic_regression(1.0, n_classes=2)
    rows = {m: {"dp_gap": [], "eo_gap": [], "acc": [], "cf_flip": []} for m in FAIR_METHODS}
    expected_eo = []
    for s, key in enumerate(seed_keys(30, config.seeds)):
        k_train, k_test, k_post = jax.random.split(key, 3)
        train = make_fairness_scm(k_train, config.fair_n, **beta)
        test = make_fairness_scm(k_test, config.fair_n, **beta)
        flipped = fairness_scm_counterfactual(test, **beta)
        features = {method: [_fair_features(d, method, config.beta_income) for d in (train, test, flipped)]
                    for method in ("unconstrained", "unaware", "cf_fair")}
        predictions = {}
        for method, (f_train, *_) in features.items():
            fitted = est.fit(f_train, train.y)
            predictions[method] = tuple(np.asarray(est.predict(fitted, f)) for f in features[method])
        post = fit_postprocessing(train.y, predictions["unconstrained"][0], train.a)
        _, base_test, base_flip = predictions["unconstrained"]
        predictions["postprocessed"] = (None, np.asarray(postprocess_predict(k_post, post, base_test, test.a)),
                                        np.asarray(postprocess_predict(k_post, post, base_flip, flipped.a)))
        f_train, f_test, f_flip = features["unconstrained"]
        mixture = exponentiated_gradient(est, f_train, train.y, train.a, constraint="equalized_odds",
                                         eps=config.fair_eps)
        predictions["reductions"] = (None, *(np.asarray(mixture_predict(k_post, est, mixture, f)) for f in (f_test, f_flip)))
        r = expected_group_rates(post, test.y, base_test, test.a)
        expected_eo.append(max(np.ptp(r.tpr), np.ptp(r.fpr)))
        for method, (_, pred, pred_flip) in predictions.items():
            rows[method]["dp_gap"].append(demographic_parity_difference(test.y, pred, test.a))
            rows[method]["eo_gap"].append(equalized_odds_difference(test.y, pred, test.a))
            rows[method]["acc"].append(float(np.mean(pred == np.asarray(test.y))))
            rows[method]["cf_flip"].append(float(np.mean(pred != pred_flip)))
    metrics = {}
    for method, values in rows.items():
        for name, per_seed in values.items():
            stem = "fair_acc" if name == "acc" else name
            metrics.update(seed_metrics(f"{stem}/{method}", np.asarray(per_seed)))
    metrics.update(seed_metrics("eo_gap_expected/postprocessed", np.asarray(expected_eo)))
    return metrics, {"fairness": {m: {k: list(map(float, v)) for k, v in d.items()} for m, d in rows.items()}}
