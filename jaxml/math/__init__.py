"""Mathematical foundations: the math of the curriculum turned into pure, jittable JAX.

Submodules (import them directly, e.g. ``from jaxml.math import linalg``):

- ``linalg``: Gram–Schmidt and Householder QR, projections, rank/trace/determinant/condition
  number, power iteration, Jacobi eigendecomposition, one-sided Jacobi SVD, Eckart–Young,
  PCA two ways, einsum contractions, Kronecker/Khatri–Rao, Jacobians/Hessians/Taylor.
- ``prob``: distributions, MLE with Fisher information, MAP, conjugate updates, discrete
  tables and Bayes' rule, CLT/LLN demonstrations.
- ``stats``: z/t/chi-square tests with p-values and confidence intervals, power by
  simulation, kernel density estimation, AIC/BIC, VIF.
- ``info``: entropy, cross-entropy, KL/JS divergences, mutual information, Blahut–Arimoto.
- ``optim``, ``optim_second_order``, ``optim_constrained``, ``duality``, ``optim_analysis``:
  first/second-order and constrained optimisation, duality, convexity and Lipschitz checks.
- ``autodiff``, ``algorithms``: autodiff engines from scratch; graph, DP and greedy algorithms.
"""
