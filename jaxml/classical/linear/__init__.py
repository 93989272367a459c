r"""Linear models: least squares, ridge, lasso, elastic net, logistic and Bayesian regression.

Every model here predicts through an affine map :math:`\hat y = Xw + b` (or a softmax of
several such maps) and is fitted by minimising a convex objective. Each factory closes over
its hyperparameters and returns a :class:`jaxml.core.Regressor` or
:class:`jaxml.core.Classifier` of pure functions; continuous hyperparameters (``alpha``,
``C``, ``l1_ratio``, ...) may be traced, so a sweep is one ``jax.vmap``::

    from jaxml.classical import linear
    alphas = jnp.logspace(-3, 3, 50)
    params = jax.vmap(lambda a: linear.ridge(alpha=a).fit(X, y))(alphas)

One module per model family, each with its derivation in the docstring:

- :mod:`~jaxml.classical.linear.least_squares`: :func:`ols` (maximum likelihood, three
  direct solvers and gradient descent) and :func:`ridge`;
- :mod:`~jaxml.classical.linear.elastic_net`: :func:`elastic_net`, :func:`lasso` and
  their regularisation paths by coordinate descent;
- :mod:`~jaxml.classical.linear.logistic`: :func:`logistic_regression` (Newton/IRLS,
  L-BFGS, FISTA for L1);
- :mod:`~jaxml.classical.linear.bayesian`: :func:`bayesian_linear_regression` and
  :func:`bayesian_ridge` (evidence maximisation);
- :mod:`~jaxml.classical.linear.common`: the intercept handling shared by all of them.

**Intercept.** With ``fit_intercept=True`` the columns of ``X`` and ``y`` are centred
first; the slope is fitted on the centred data and :math:`b = \bar y - \bar x^\top w`,
which is exactly the minimiser when the intercept is not penalised.
"""

from jaxml.classical.linear.bayesian import (
    BayesianLinearParams,
    bayesian_linear_regression,
    bayesian_ridge,
)
from jaxml.classical.linear.common import LinearParams, soft_threshold
from jaxml.classical.linear.elastic_net import (
    SparseLinearParams,
    elastic_net,
    enet_path,
    lasso,
    lasso_path,
)
from jaxml.classical.linear.least_squares import ols, ridge
from jaxml.classical.linear.logistic import LogisticParams, infer_n_classes, logistic_regression

__all__ = [
    "LinearParams",
    "SparseLinearParams",
    "LogisticParams",
    "BayesianLinearParams",
    "ols",
    "ridge",
    "lasso",
    "elastic_net",
    "enet_path",
    "lasso_path",
    "logistic_regression",
    "bayesian_linear_regression",
    "bayesian_ridge",
    "infer_n_classes",
    "soft_threshold",
]
