"""Theory of deep learning: double descent (exact min-norm risk, random features, masked
width sweeps) and the neural tangent kernel (empirical, analytic infinite-width,
linearised training dynamics, kernel regression).

Modules: :mod:`jaxml.theory.double_descent`, :mod:`jaxml.theory.ntk`.
"""
