"""Classical supervised learning as pure estimator factories.

Submodules (import them directly, e.g. ``from jaxml.classical import linear``):
``linear`` (OLS, ridge, lasso, elastic net, logistic regression, Bayesian linear
regression), ``glm`` (Poisson and softmax regression), ``naive_bayes``, ``neighbors``
(brute-force kNN, KD-tree, ball tree, LSH), ``kernels``, ``svm``, ``gp``, ``trees``
(CART grown inside jit), ``forests`` (random forests, extra-trees, bagging), ``metrics``,
``calibration``, ``model_selection`` and ``preprocessing``.
"""
