"""The estimator registry: every estimator factory of jaxml.classical with what the contract
suite (tests/contracts/test_estimators.py) needs to drive it.

The registry lives with the tests, not in the library: each entry holds test-only
knowledge — the tiny data set an estimator accepts, which continuous hyperparameter to
sweep, which option and range to break, and the checks an estimator is known to fail
(strict xfails, each naming its defect, so a fix turns into a failure that asks for the
entry to be updated). A new estimator joins by adding one ``Case`` here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from jaxml.classical import (
    forests,
    glm,
    gp,
    kernel_ridge,
    linear,
    naive_bayes,
    neighbors,
    preprocessing,
    svm,
    trees,
)

N, D = 30, 3

CHECKS = ("shapes", "jit", "determinism", "sweep", "float64", "bad_data", "bad_hyper",
          "checked")


@dataclasses.dataclass(frozen=True)
class Case:
    """One estimator factory under contract.

    Attributes:
      name: test id.
      make: ``make(**hyper) -> estimator`` (the factory).
      kind: ``"regressor"``, ``"classifier"`` or ``"transformer"``.
      data: which of :func:`dataset`'s inputs it takes (``"dense"``, ``"counts"``,
        ``"binary"``, ``"positive"`` features, or ``"poisson"`` count targets).
      base: hyperparameters always passed (e.g. a static ``n_classes`` for jit).
      sweep: ``(name, values)``: a continuous, traceable hyperparameter for the vmap check.
      bad_option: ``(name, value)``: an unknown option value that must raise ``ValueError``.
      out_of_range: ``((name, value), ...)``: hyperparameters outside their domain.
      stochastic: ``fit`` takes a PRNG key first.
      proba: the classifier is built with ``predict_proba`` available.
      rtol: tolerance of the jit-vs-eager and vmap-vs-loop comparisons (iterative solvers
        stop at their own tolerance, and a different rounding may stop them elsewhere).
      xfail: ``{check: reason}`` for known defects (strict).
    """

    name: str
    make: Callable[..., Any]
    kind: str
    data: str = "dense"
    base: dict = dataclasses.field(default_factory=dict)
    sweep: tuple[str, tuple[float, ...]] | None = None
    bad_option: tuple[str, Any] | None = None
    out_of_range: tuple[tuple[str, Any], ...] = ()
    stochastic: bool = False
    proba: bool = True
    rtol: float = 1e-4
    xfail: dict = dataclasses.field(default_factory=dict)


def dataset(kind: str, data: str, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """A tiny ``(N, D)`` problem: ``X`` of the requested kind, ``y`` real or binary."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    if data == "counts":
        X = rng.poisson(3.0, size=(N, D)).astype(float)
    elif data == "binary":
        X = (X > 0).astype(float)
    elif data == "positive":
        X = np.exp(X)
    score = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=N)
    if kind == "classifier":
        y = (score > np.median(score)).astype(np.int32)
    elif data == "poisson":
        y = rng.poisson(np.exp(0.3 * score)).astype(dtype)
    else:
        y = score.astype(dtype)
    return X.astype(dtype), y


CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- regressors
    Case("ols", linear.ols, "regressor", bad_option=("method", "cholesky"),
         out_of_range=(("tol", -1.0), ("max_iter", 0))),
    Case("ridge", linear.ridge, "regressor", sweep=("alpha", (0.1, 1.0, 10.0)),
         out_of_range=(("alpha", -1.0), ("alpha", float("nan")))),
    Case("lasso", linear.lasso, "regressor", base={"alpha": 0.05},
         sweep=("alpha", (0.01, 0.05, 0.2)),
         out_of_range=(("alpha", -1.0), ("max_iter", 0))),
    Case("elastic_net", linear.elastic_net, "regressor", base={"alpha": 0.05},
         sweep=("l1_ratio", (0.2, 0.5, 0.8)),
         out_of_range=(("l1_ratio", 1.5), ("l1_ratio", float("nan")))),
    Case("bayesian_linear_regression", linear.bayesian_linear_regression, "regressor",
         sweep=("noise_var", (0.1, 1.0, 3.0)),
         out_of_range=(("noise_var", 0.0), ("alpha_prior", -1.0))),
    Case("bayesian_ridge", linear.bayesian_ridge, "regressor",
         out_of_range=(("max_iter", 0), ("tol", float("nan")))),
    Case("poisson_regression", glm.poisson_regression, "regressor", data="poisson",
         sweep=("alpha", (0.1, 1.0, 10.0)), out_of_range=(("alpha", -1.0),)),
    Case("kernel_ridge", kernel_ridge.kernel_ridge, "regressor",
         sweep=("alpha", (0.1, 1.0, 10.0)), bad_option=("kernel", "laplace"),
         out_of_range=(("alpha", -1.0),)),
    Case("knn_regressor", neighbors.knn_regressor, "regressor", base={"k": 3},
         bad_option=("weights", "gaussian"), out_of_range=(("k", 0),)),
    Case("svr", svm.svr, "regressor", sweep=("C", (0.5, 1.0, 2.0)), rtol=1e-2,
         bad_option=("kernel", "laplace"), out_of_range=(("C", 0.0), ("epsilon", -1.0))),
    Case("gp_regression", gp.gp_regression, "regressor", base={"optimize": False},
         sweep=("noise_variance", (0.05, 0.1, 0.5)),
         out_of_range=(("noise_variance", 0.0), ("length_scale", float("nan")))),
    Case("decision_tree_regressor", trees.decision_tree_regressor, "regressor",
         base={"max_depth": 3}, sweep=("min_impurity_decrease", (0.0, 0.01, 0.1)),
         bad_option=("criterion", "gini"),
         out_of_range=(("max_depth", 0), ("min_samples_leaf", 0), ("min_samples_split", 1))),
    Case("random_forest_regressor", forests.random_forest_regressor, "regressor",
         base={"n_estimators": 4, "max_depth": 3}, stochastic=True,
         sweep=("min_impurity_decrease", (0.0, 0.01, 0.1)), bad_option=("max_features", "half"),
         out_of_range=(("n_estimators", 0), ("max_features", 1.5))),
    Case("extra_trees_regressor", forests.extra_trees_regressor, "regressor",
         base={"n_estimators": 4, "max_depth": 3}, stochastic=True,
         bad_option=("criterion", "absolute"), out_of_range=(("max_depth", 21),)),
    # --------------------------------------------------------------- classifiers
    Case("logistic_regression", linear.logistic_regression, "classifier",
         base={"n_classes": 2}, sweep=("C", (0.1, 1.0, 10.0)),
         bad_option=("solver", "saga"), out_of_range=(("C", 0.0), ("max_iter", 0))),
    Case("softmax_regression", glm.softmax_regression, "classifier", base={"n_classes": 2},
         sweep=("C", (0.1, 1.0, 10.0)), bad_option=("solver", "saga"),
         out_of_range=(("C", -1.0),)),
    Case("gaussian_nb", naive_bayes.gaussian_nb, "classifier", base={"n_classes": 2},
         sweep=("var_smoothing", (1e-9, 1e-3, 1e-1)),
         out_of_range=(("var_smoothing", -1.0),)),
    Case("multinomial_nb", naive_bayes.multinomial_nb, "classifier", data="counts",
         base={"n_classes": 2}, sweep=("alpha", (0.1, 1.0, 2.0)),
         out_of_range=(("alpha", -1.0),)),
    Case("bernoulli_nb", naive_bayes.bernoulli_nb, "classifier", data="binary",
         base={"n_classes": 2}, sweep=("alpha", (0.1, 1.0, 2.0)),
         out_of_range=(("alpha", -1.0),)),
    Case("knn_classifier", neighbors.knn_classifier, "classifier",
         base={"k": 3, "n_classes": 2}, bad_option=("weights", "gaussian"),
         out_of_range=(("k", 0),)),
    Case("svc", svm.svc, "classifier", base={"n_classes": 2}, sweep=("C", (0.5, 1.0, 2.0)),
         proba=False, rtol=1e-2,
         xfail={"checked": "checkify cannot transform SMO's vmapped while-loop "
                           "(checkify-of-vmap-of-while, a JAX limitation)"},
         bad_option=("kernel", "laplace"), out_of_range=(("C", 0.0),)),
    Case("linear_svm", svm.linear_svm, "classifier", base={"n_classes": 2, "n_steps": 200},
         sweep=("lam", (1e-3, 1e-2, 1e-1)), out_of_range=(("lam", 0.0), ("n_steps", 0)),
         stochastic=True),
    Case("gp_classification", gp.gp_classification, "classifier",
         base={"n_classes": 2, "optimize": False}, sweep=("length_scale", (0.5, 1.0, 2.0)),
         bad_option=("predictive", "mc"), out_of_range=(("length_scale", 0.0),),
         xfail={"checked": "checkify cannot transform the vmapped one-vs-rest Newton "
                           "while-loop (checkify-of-vmap-of-while, a JAX limitation)"}),
    Case("decision_tree_classifier", trees.decision_tree_classifier, "classifier",
         base={"max_depth": 3, "n_classes": 2},
         sweep=("min_impurity_decrease", (0.0, 0.01, 0.1)), bad_option=("criterion", "gain"),
         out_of_range=(("max_depth", 0), ("min_impurity_decrease", -1.0))),
    Case("random_forest_classifier", forests.random_forest_classifier, "classifier",
         base={"n_estimators": 4, "max_depth": 3, "n_classes": 2}, stochastic=True,
         sweep=("min_impurity_decrease", (0.0, 0.01, 0.1)), bad_option=("max_features", "all"),
         out_of_range=(("n_estimators", 0), ("max_features", 0))),
    Case("extra_trees_classifier", forests.extra_trees_classifier, "classifier",
         base={"n_estimators": 4, "max_depth": 3, "n_classes": 2}, stochastic=True,
         bad_option=("criterion", "gain"), out_of_range=(("oob_score", True),)),
    # -------------------------------------------------------------- transformers
    Case("standard_scaler", preprocessing.standard_scaler, "transformer",
         out_of_range=(("with_mean", "False"),)),
    Case("min_max_scaler", preprocessing.min_max_scaler, "transformer",
         out_of_range=(("feature_range", (1.0, 0.0)),)),
    Case("robust_scaler", preprocessing.robust_scaler, "transformer",
         out_of_range=(("quantile_range", (75.0, 25.0)), ("with_scaling", "yes"))),
    Case("log1p_transformer", preprocessing.log1p_transformer, "transformer",
         data="positive",
         xfail={"bad_data": "log1p_transformer's transform does not check the number of "
                            "features against fit (fit stores nothing)"}),
    Case("box_cox_transformer", preprocessing.box_cox_transformer, "transformer",
         data="positive", out_of_range=(("n_iter", 0),)),
)
