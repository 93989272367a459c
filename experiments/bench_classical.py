"""Vmapped cross-validation and single fits side by side with scikit-learn, compile included.

The headline is the wall time of a whole hyperparameter search — 5-fold cross-validation
over ``n_grid`` values of Ridge's ``alpha`` or LogisticRegression's ``C``, selection of the
best value and a refit on all rows — at a small and a large size (5000 × 20 and
100 000 × 100). Ours is one jitted, vmapped call
(:func:`jaxml.classical.model_selection.cross_validate`) then a jitted refit; its first call
in a fresh cache (trace + compile + run) is the compile-included time and the best of
``repeats`` further calls the steady state. The peers, on the same folds (``cv=`` the same
``KFold`` splits) and grid, are scikit-learn's ``GridSearchCV(n_jobs=2)`` and its own fast
paths, ``RidgeCV`` and ``LogisticRegressionCV(n_jobs=2)`` (which warm-starts along the C
path), timed as the best of ``repeats`` calls; both sides stop logistic fits at the same
gradient tolerance on the same scaled objective (scikit-learn's default ``tol=1e-4``).

Metrics: ``cv_speedup/<ridge|logistic>/<gridsearchcv|ridgecv|logisticregressioncv>/<n>x<d>``
= peer wall ÷ ours (compile included) and ``cv_speedup_steady/...`` (ours once compiled);
``cv_speedup_vs_best/<model>/<n>x<d>`` against the fastest peer (the goal is ≥ 10×); and,
to show the work is equal, the hyperparameter each side selects
(``cv_best_param/<model>/<side>/<n>x<d>``), whether it is the same grid point
(``cv_same_param/...``), the difference of the best mean CV scores
(``cv_best_score_diff/...`` = ours − peer) and the largest difference of the mean CV
score over the grid (``cv_score_max_abs_diff/...``). Single fits/predictions (Ridge,
LogisticRegression, kNN, RBF SVC, GP regression) report ``<fit|predict>_speedup/<est>`` =
scikit-learn ÷ ours, compile included, ``..._speedup_steady/<est>`` and
``acc_delta/<est>`` = ours − scikit-learn of test accuracy or R². Every number is the mean
over ``seeds`` independently drawn data sets.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.classical import gp, linear, metrics, model_selection, neighbors, svm
from jaxml.experiment import (
    best_time,
    first_and_steady,
    machine_line,
    main_for,
    markdown_table,
    mean_over_seeds,
    save_figure,
    target_met,
    write_results,
)

NAME = "bench_classical"
PAPER: dict = {}  # a benchmark: no published numbers
PAPER_SOURCE: dict = {}

TASKS = ("ridge", "logistic", "knn", "svc", "gpr")
MODELS = ("ridge", "logistic")
PEERS = {"ridge": ("gridsearchcv", "ridgecv"), "logistic": ("gridsearchcv", "logisticregressioncv")}
PEER_NAMES = {"gridsearchcv": "GridSearchCV(n_jobs=2)", "ridgecv": "RidgeCV",
              "logisticregressioncv": "LogisticRegressionCV(n_jobs=2)"}
GOAL = ">= 10"  # issue 11: ≥ 10× scikit-learn's best tool, compile included


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 1  # independently drawn data sets; every metric is the mean over them
    cv_sizes: tuple[tuple[int, int], ...] = ((5_000, 20), (100_000, 100))
    n_folds: int = 5
    n_grid: int = 50
    n_jobs: int = 2  # the peers' worker processes (both cores)
    logistic_tol: float = 1e-4  # both sides: max-norm of the gradient of the scaled objective
    logistic_max_iter: int = 100
    newton_max_d: int = 32  # ours: Newton up to this d, L-BFGS above (Newton's n·d² Hessians)
    n_linear: int = 100_000
    d_linear: int = 100
    n_knn_train: int = 50_000
    n_knn_query: int = 10_000
    d_knn: int = 50
    k_neighbors: int = 5
    n_svc: int = 5_000
    d_svc: int = 10
    n_gpr: int = 2_000
    d_gpr: int = 3
    n_test: int = 2_000
    repeats: int = 2
    repeats_heavy: int = 1  # for the largest CV size and the SVC/GP fits
    tasks: tuple[str, ...] = TASKS

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(cv_sizes=((500, 5), (2_000, 40)), n_grid=6, n_linear=4_000, d_linear=20,
                   n_knn_train=2_000, n_knn_query=500, d_knn=10, n_svc=300, n_gpr=150,
                   n_test=300, repeats=1, repeats_heavy=1)


def size_tag(n: int, d: int) -> str:
    return f"{n}x{d}"


def target_for(config: Config) -> dict[str, str]:
    """The issue's goal for each model and size of a run."""
    return {f"cv_speedup_vs_best/{m}/{size_tag(n, d)}": GOAL
            for m in MODELS for n, d in config.cv_sizes}


TARGET = target_for(Config.full())


# ------------------------------------------------------------------------------- data


def _regression(rng, n, d, noise=0.5):
    X = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=d) / np.sqrt(d)
    return X, (X @ w + noise * rng.normal(size=n)).astype(np.float32)


def _binary(rng, n, d):
    X = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=d) * 2.0 / np.sqrt(d)
    return X, (X @ w + rng.logistic(size=n) > 0).astype(np.int32)


def _blobs(rng, n, d, n_classes=10):
    centers = rng.normal(size=(n_classes, d)) * 1.2
    y = rng.integers(0, n_classes, n).astype(np.int32)
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y


def _ring(rng, n, d):
    X = rng.normal(size=(n, d)).astype(np.float32)
    r2 = np.sum(X[:, :3] ** 2, axis=1)
    y = (r2 + 0.5 * rng.normal(size=n) > np.median(r2)).astype(np.int32)
    return X, y


def _smooth(rng, n, d):
    X = rng.uniform(-3, 3, size=(n, d)).astype(np.float32)
    f = np.sin(X[:, 0]) + 0.5 * np.cos(1.5 * X[:, 1]) + 0.3 * X[:, 2 % d]
    return X, (f + 0.1 * rng.normal(size=n)).astype(np.float32)


# ----------------------------------------------------------------------------- tasks


def _task_ridge(rng, c):
    from sklearn.linear_model import Ridge

    X, y = _regression(rng, c.n_linear + c.n_test, c.d_linear)
    Xtr, ytr, Xte, yte = X[: c.n_linear], y[: c.n_linear], X[c.n_linear:], y[c.n_linear:]
    est = linear.ridge(alpha=1.0)
    fit = jax.jit(est.fit)
    Xj, yj = jnp.asarray(Xtr), jnp.asarray(ytr)
    first, ours, params = first_and_steady(lambda: fit(Xj, yj), c.repeats)
    sk_time, sk = best_time(lambda: Ridge(alpha=1.0).fit(Xtr.astype(np.float64), ytr), c.repeats)
    ours_r2 = float(metrics.r2(yte, est.predict(params, Xte)))
    return dict(fit_ours=ours, fit_sklearn=sk_time, first=first,
                acc_ours=ours_r2, acc_sklearn=sk.score(Xte, yte))


def _task_logistic(rng, c):
    from sklearn.linear_model import LogisticRegression

    X, y = _binary(rng, c.n_linear + c.n_test, c.d_linear)
    Xtr, ytr, Xte, yte = X[: c.n_linear], y[: c.n_linear], X[c.n_linear:], y[c.n_linear:]
    est = linear.logistic_regression(C=1.0, n_classes=2)
    fit = jax.jit(est.fit)
    Xj, yj = jnp.asarray(Xtr), jnp.asarray(ytr)
    first, ours, params = first_and_steady(lambda: fit(Xj, yj), c.repeats)
    sk_time, sk = best_time(lambda: LogisticRegression(C=1.0, max_iter=1000).fit(
        Xtr.astype(np.float64), ytr), c.repeats)
    return dict(fit_ours=ours, fit_sklearn=sk_time, first=first,
                acc_ours=float(metrics.accuracy(yte, est.predict(params, Xte))),
                acc_sklearn=sk.score(Xte, yte))


def _task_knn(rng, c):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _blobs(rng, c.n_knn_train + c.n_knn_query, c.d_knn)
    Xtr, ytr, Q, yq = X[: c.n_knn_train], y[: c.n_knn_train], X[c.n_knn_train:], y[c.n_knn_train:]
    est = neighbors.knn_classifier(k=c.k_neighbors, n_classes=10)
    params = est.fit(jnp.asarray(Xtr), jnp.asarray(ytr))
    predict = jax.jit(est.predict)
    Qj = jnp.asarray(Q)
    first, ours, pred = first_and_steady(lambda: predict(params, Qj), c.repeats)
    sk = KNeighborsClassifier(n_neighbors=c.k_neighbors).fit(Xtr, ytr)
    sk_time, sk_pred = best_time(lambda: sk.predict(Q), c.repeats)
    return dict(predict_ours=ours, predict_sklearn=sk_time, first=first,
                acc_ours=float(np.mean(np.asarray(pred) == yq)), acc_sklearn=float(np.mean(sk_pred == yq)))


def _task_svc(rng, c):
    from sklearn.svm import SVC

    X, y = _ring(rng, c.n_svc + c.n_test, c.d_svc)
    Xtr, ytr, Xte, yte = X[: c.n_svc], y[: c.n_svc], X[c.n_svc:], y[c.n_svc:]
    est = svm.svc(C=1.0, kernel="rbf", gamma="scale", n_classes=2)
    fit = jax.jit(est.fit)
    Xj, yj = jnp.asarray(Xtr), jnp.asarray(ytr)
    first, ours, params = first_and_steady(lambda: fit(Xj, yj), c.repeats_heavy)
    sk_time, sk = best_time(lambda: SVC(C=1.0, kernel="rbf", gamma="scale").fit(Xtr, ytr), c.repeats_heavy)
    return dict(fit_ours=ours, fit_sklearn=sk_time, first=first,
                acc_ours=float(metrics.accuracy(yte, est.predict(params, Xte))),
                acc_sklearn=sk.score(Xte, yte))


def _task_gpr(rng, c):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    X, y = _smooth(rng, c.n_gpr + c.n_test, c.d_gpr)
    Xtr, ytr, Xte, yte = X[: c.n_gpr], y[: c.n_gpr], X[c.n_gpr:], y[c.n_gpr:]
    est = gp.gp_regression(length_scale=1.0, signal_variance=1.0, noise_variance=0.1)
    fit = jax.jit(est.fit)
    Xj, yj = jnp.asarray(Xtr), jnp.asarray(ytr)
    first, ours, params = first_and_steady(lambda: fit(Xj, yj), c.repeats_heavy)
    kernel = ConstantKernel(1.0) * RBF(1.0) + WhiteKernel(0.1)
    sk_time, sk = best_time(lambda: GaussianProcessRegressor(kernel, random_state=0).fit(
        Xtr.astype(np.float64), ytr), c.repeats_heavy)
    return dict(fit_ours=ours, fit_sklearn=sk_time, first=first,
                acc_ours=float(metrics.r2(yte, est.predict(params, Xte))),
                acc_sklearn=sk.score(Xte, yte))


# ------------------------------------------------------------------ cross-validation


def _grid(model: str, n_grid: int) -> np.ndarray:
    low, high = (-3, 4) if model == "ridge" else (-4, 2)
    return np.logspace(low, high, n_grid).astype(np.float32)


def _ours_search(model, X, y, grid, folds, c, repeats):
    """Ours: CV scores of every (candidate, fold) in one vmapped call, the best candidate
    (first on ties, as scikit-learn) and a jitted refit on all rows."""
    if model == "ridge":
        factory, name, scorer = linear.ridge, "alpha", "r2"
    else:
        solver = "newton" if X.shape[1] <= c.newton_max_d else "lbfgs"
        factory = functools.partial(linear.logistic_regression, n_classes=2, solver=solver,
                                    tol=c.logistic_tol, max_iter=c.logistic_max_iter)
        name, scorer = "C", "accuracy"
    refit = jax.jit(lambda value, X, y: factory(**{name: value}).fit(X, y))
    Xj, yj, gridj = jnp.asarray(X), jnp.asarray(y), jnp.asarray(grid)

    def search():
        scores = model_selection.cross_validate(factory, Xj, yj, {name: gridj}, folds,
                                                scorer).test_scores
        mean = jnp.mean(scores, axis=1)
        best = jnp.argmax(mean)
        return mean, best, refit(gridj[best], Xj, yj)

    first, steady, (mean, best, _) = first_and_steady(search, repeats)
    return dict(first=first, steady=steady, mean=np.asarray(mean, dtype=float),
                best=int(best), best_score=float(mean[best]))


def _peer_search(model, peer, X, y, grid, splits, c, repeats):
    """A scikit-learn search on the same folds and grid (float64 data, its default)."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, Ridge, RidgeCV
    from sklearn.model_selection import GridSearchCV

    grid64 = grid.astype(np.float64)
    if model == "ridge":
        scorer, name, base = "r2", "alpha", Ridge()
    else:
        scorer, name = "accuracy", "C"
        base = LogisticRegression(tol=c.logistic_tol, max_iter=c.logistic_max_iter)
    if peer == "gridsearchcv":
        make = lambda: GridSearchCV(base, {name: grid64}, cv=splits, scoring=scorer,  # noqa: E731
                                    n_jobs=c.n_jobs, refit=True)
    elif peer == "ridgecv":
        make = lambda: RidgeCV(alphas=grid64, cv=splits, scoring=scorer)  # noqa: E731
    else:
        make = lambda: LogisticRegressionCV(  # noqa: E731
            Cs=grid64, cv=splits, scoring=scorer, tol=c.logistic_tol, max_iter=c.logistic_max_iter,
            n_jobs=c.n_jobs, refit=True, l1_ratios=(0.0,), use_legacy_attributes=False)
    seconds, est = best_time(lambda: make().fit(X.astype(np.float64), y), repeats)
    if peer == "gridsearchcv":
        mean, chosen = est.cv_results_["mean_test_score"], est.best_params_[name]
    elif peer == "ridgecv":
        mean, chosen = None, est.alpha_
    else:
        mean, chosen = est.scores_.mean(axis=0).ravel(), est.C_
    best = int(np.argmin(np.abs(grid64 - float(chosen))))
    best_score = est.best_score_ if mean is None else float(mean[best])
    return dict(seconds=seconds, mean=mean, best=best, best_score=float(best_score))


def _cv(rng, c, model, n, d):
    X, y = (_regression if model == "ridge" else _binary)(rng, n, d)
    grid = _grid(model, c.n_grid)
    folds = model_selection.kfold(n, c.n_folds)
    splits = model_selection.fold_indices(folds)
    repeats = c.repeats_heavy if (n, d) == max(c.cv_sizes) else c.repeats
    ours = _ours_search(model, X, y, grid, folds, c, repeats)
    peers = {p: _peer_search(model, p, X, y, grid, splits, c, repeats) for p in PEERS[model]}
    return dict(grid=grid, ours=ours, peers=peers)


def _cv_metrics(model, tag, r) -> dict[str, float]:
    ours, grid = r["ours"], r["grid"]
    out = {f"cv_time_s/{model}/ours/{tag}": ours["first"],
           f"cv_time_steady_s/{model}/ours/{tag}": ours["steady"],
           f"cv_compile_s/{model}/ours/{tag}": max(ours["first"] - ours["steady"], 0.0),
           f"cv_best_param/{model}/ours/{tag}": float(grid[ours["best"]])}
    for peer, p in r["peers"].items():
        key = f"{model}/{peer}/{tag}"
        out.update({
            f"cv_speedup/{key}": p["seconds"] / ours["first"],
            f"cv_speedup_steady/{key}": p["seconds"] / ours["steady"],
            f"cv_time_s/{key}": p["seconds"],
            f"cv_best_param/{key}": float(grid[p["best"]]),
            f"cv_same_param/{key}": float(p["best"] == ours["best"]),
            f"cv_best_score_diff/{key}": ours["best_score"] - p["best_score"],
        })
        if p["mean"] is not None:
            out[f"cv_score_max_abs_diff/{key}"] = float(np.max(np.abs(ours["mean"] - p["mean"])))
    fastest = min(r["peers"].values(), key=lambda p: p["seconds"])
    out[f"cv_speedup_vs_best/{model}/{tag}"] = fastest["seconds"] / ours["first"]
    out[f"cv_speedup_steady_vs_best/{model}/{tag}"] = fastest["seconds"] / ours["steady"]
    return out


def _single_metrics(task, r) -> dict[str, float]:
    phase = "predict" if "predict_ours" in r else "fit"
    ours, sk = r[f"{phase}_ours"], r[f"{phase}_sklearn"]
    return {f"{phase}_speedup/{task}": sk / r["first"], f"{phase}_speedup_steady/{task}": sk / ours,
            f"{phase}_time_s/{task}/ours": r["first"], f"{phase}_time_steady_s/{task}/ours": ours,
            f"{phase}_time_s/{task}/sklearn": sk, f"acc_delta/{task}": r["acc_ours"] - r["acc_sklearn"],
            f"acc/{task}/ours": r["acc_ours"], f"acc/{task}/sklearn": r["acc_sklearn"]}


# ------------------------------------------------------------------------------- run


HEADLINE_STEMS = ("cv_speedup", "cv_speedup_steady", "cv_speedup_vs_best")


def run(config: Config, out_dir) -> dict:
    unknown = set(config.tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown tasks {sorted(unknown)}; known: {TASKS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    runners = {"ridge": _task_ridge, "logistic": _task_logistic, "knn": _task_knn,
               "svc": _task_svc, "gpr": _task_gpr}
    jobs = [(s, "single", t, None) for s in range(config.seeds) for t in config.tasks]
    jobs += [(s, "cv", m, size) for s in range(config.seeds) for m in MODELS
             for size in config.cv_sizes]
    per_seed = [dict() for _ in range(config.seeds)]
    cv_last, single_last = {}, {}
    rngs = [np.random.default_rng(s) for s in range(config.seeds)]
    for seed, kind, task, size in tqdm(jobs, desc=NAME, disable=None):
        if kind == "single":
            r = runners[task](rngs[seed], config)
            per_seed[seed].update(_single_metrics(task, r))
            single_last[task] = r
        else:
            r = _cv(rngs[seed], config, task, *size)
            per_seed[seed].update(_cv_metrics(task, size_tag(*size), r))
            cv_last[(task, size)] = r
    metrics_out = mean_over_seeds(per_seed, HEADLINE_STEMS)
    wall = time.perf_counter() - t_start
    _figure(out_dir, config, cv_last, metrics_out)
    results = write_results(
        out_dir, experiment=NAME, config=config, metrics=metrics_out, paper=PAPER,
        paper_source=PAPER_SOURCE, target=target_for(config), seeds=config.seeds,
        wall_time_s=wall,
        extra={"cv_grid": {f"{m}/{size_tag(*s)}": r["grid"] for (m, s), r in cv_last.items()},
               "cv_mean_score_ours": {f"{m}/{size_tag(*s)}": r["ours"]["mean"]
                                      for (m, s), r in cv_last.items()}})
    (out_dir / "README.md").write_text(readme(results, config))
    return results


def _figure(out_dir, config, cv_last, m) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for (model, size), r in cv_last.items():
        if size != max(config.cv_sizes):
            continue
        for peer, p in r["peers"].items():
            if p["mean"] is not None:
                axes[0].semilogx(r["grid"], p["mean"], "o", mfc="none", label=f"{model}: {peer}")
        axes[0].semilogx(r["grid"], r["ours"]["mean"], "-", label=f"{model}: ours")
    axes[0].set_xlabel("alpha (ridge) / C (logistic)")
    axes[0].set_ylabel(f"mean {config.n_folds}-fold test score")
    axes[0].set_title(f"Validation curves at {size_tag(*max(config.cv_sizes))} (same folds)")
    axes[0].legend(fontsize=7)
    labels, values = [], []
    for model in MODELS:
        for n, d in config.cv_sizes:
            tag = size_tag(n, d)
            for peer in PEERS[model]:
                labels.append(f"{model} {tag} {peer}")
                values.append(m[f"cv_time_s/{model}/{peer}/{tag}"])
            labels += [f"{model} {tag} ours (compile incl.)", f"{model} {tag} ours (steady)"]
            values += [m[f"cv_time_s/{model}/ours/{tag}"], m[f"cv_time_steady_s/{model}/ours/{tag}"]]
    pos = np.arange(len(labels))
    axes[1].barh(pos, values, color=["C1" if "ours" not in s else "C0" for s in labels])
    axes[1].set_yticks(pos, labels, fontsize=7)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("wall time of the whole search [s]")
    fig.tight_layout()
    save_figure(fig, out_dir, "bench.png")


def _ratio_text(ratio: float) -> str:
    return f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower"


def readme(results: dict, config: Config) -> str:
    """The README, every sentence about the run computed from its numbers."""
    m = results["metrics"]
    rows, headline, same, diffs = [], [], [], []
    for model in MODELS:
        for n, d in config.cv_sizes:
            tag = size_tag(n, d)
            ours_first, ours_steady = m[f"cv_time_s/{model}/ours/{tag}"], m[f"cv_time_steady_s/{model}/ours/{tag}"]
            ours_cell = (f"{ours_first:.3g} s ({m[f'cv_compile_s/{model}/ours/{tag}']:.3g} s compile; "
                         f"steady {ours_steady:.3g} s) → {m[f'cv_best_param/{model}/ours/{tag}']:.3g}")
            for peer in PEERS[model]:
                key = f"{model}/{peer}/{tag}"
                rows.append([model, f"{n} × {d}",
                             f"{PEER_NAMES[peer]}: {m[f'cv_time_s/{key}']:.3g} s → "
                             f"{m[f'cv_best_param/{key}']:.3g}", ours_cell,
                             f"**{m[f'cv_speedup/{key}']:.2f}×**", f"{m[f'cv_speedup_steady/{key}']:.2f}×",
                             f"{m[f'cv_best_score_diff/{key}']:+.1e}"])
                same.append(m[f"cv_same_param/{key}"])
                diffs.append(abs(m[f"cv_best_score_diff/{key}"]))
            best = min(PEERS[model], key=lambda p: m[f"cv_time_s/{model}/{p}/{tag}"])
            ratio = m[f"cv_speedup_vs_best/{model}/{tag}"]
            met = target_met(ratio, GOAL)
            compile_share = m[f"cv_compile_s/{model}/ours/{tag}"] / ours_first
            headline.append(
                f"- **{model}, {n} × {d}**: scikit-learn's fastest tool here is "
                f"{PEER_NAMES[best]} ({m[f'cv_time_s/{model}/{best}/{tag}']:.3g} s); ours is "
                f"{_ratio_text(ratio)} compile included ({ours_first:.3g} s, of which "
                f"{compile_share:.0%} compilation; goal ≥ 10× {'met' if met else 'not met'}) and "
                f"{_ratio_text(m[f'cv_speedup_steady_vs_best/{model}/{tag}'])} once compiled.")
    singles = []
    for task in config.tasks:
        phase = "predict" if f"predict_speedup/{task}" in m else "fit"
        singles.append([task, phase, f"{m[f'{phase}_time_s/{task}/sklearn']:.3g}",
                        f"{m[f'{phase}_time_s/{task}/ours']:.3g}", f"{m[f'{phase}_time_steady_s/{task}/ours']:.3g}",
                        f"{m[f'{phase}_speedup/{task}']:.2f}×", f"{m[f'{phase}_speedup_steady/{task}']:.2f}×",
                        f"{m[f'acc/{task}/sklearn']:.4f}", f"{m[f'acc/{task}/ours']:.4f}"])
    n_seeds = f" (means over {config.seeds} data sets)" if config.seeds > 1 else ""
    return f"""# {NAME} — jaxml vs scikit-learn, compile included

A whole hyperparameter search: {config.n_folds}-fold cross-validation over {config.n_grid}
values of Ridge's `alpha` or LogisticRegression's `C` on the same folds, selection of the
best value and a refit on all rows. Ours is one jitted, vmapped `cross_validate` call and
a jitted refit, timed on its first call (compilation included: what a user waits for)
and once compiled (steady); scikit-learn's tools are timed as the best of
{config.repeats} call(s) ({config.repeats_heavy} at the largest size) on float64 data.
Logistic fits stop at the same gradient tolerance ({config.logistic_tol:g}) on both sides;
ours uses Newton for d ≤ {config.newton_max_d} and L-BFGS above. Goal: ≥ 10× scikit-learn's
best tool, compile included.

{chr(10).join(headline)}

Equal work: both sides selected the same grid point in {int(sum(same))} of {len(same)}
comparisons; the largest difference of the best mean CV score is {max(diffs):.1e}.

## Cross-validation searches{n_seeds}

{markdown_table(["model", "n × d", "peer (wall → selected)", "ours (wall → selected)",
                 "ratio (compile incl.)", "ratio (steady)", "Δ best CV score (ours − peer)"], rows)}

Ratios are peer wall time ÷ ours.

## Single fits / predictions

{markdown_table(["estimator", "phase", "scikit-learn [s]", "ours, compile incl. [s]", "ours, steady [s]",
                 "ratio (compile incl.)", "ratio (steady)", "scikit-learn acc/R²", "ours acc/R²"], singles)}

Sizes: Ridge/LogisticRegression n={config.n_linear}, d={config.d_linear}; kNN
{config.n_knn_query} queries × d={config.d_knn} against {config.n_knn_train} (k={config.k_neighbors});
RBF SVC n={config.n_svc}, d={config.d_svc}; GPR n={config.n_gpr}, d={config.d_gpr}; accuracy/R²
on {config.n_test} held-out rows.

![bench.png](bench.png)

{machine_line(results)}

## How to run

```
jaxml repro {NAME}          # full, writes paper_repro/{NAME}/
jaxml repro {NAME} --quick  # small sizes
```
"""


if __name__ == "__main__":
    main_for(__name__)
