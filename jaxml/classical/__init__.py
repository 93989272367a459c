"""Classical supervised learning as pure estimator factories.

Submodules (import them directly, e.g. ``from jaxml.classical import linear``):
``linear`` (OLS, ridge, lasso, elastic net, logistic regression, Bayesian linear
regression), ``glm`` (Poisson and softmax regression), ``naive_bayes``, ``neighbors``
(brute-force kNN, KD-tree, ball tree, LSH), ``kernels``, ``svm``, ``gp``, ``trees``
(CART grown inside jit), ``id3`` (multiway ID3/C4.5 trees on categorical features),
``forests`` (random forests, extra-trees, bagging), ``boosting`` (gradient boosting,
first- and second-order), ``stacking`` (stacking and blending), ``inspection``
(permutation importance), ``metrics``, ``calibration``, ``model_selection`` and
``preprocessing``.
"""
