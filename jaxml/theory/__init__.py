"""Theory of deep learning: double descent (exact min-norm risk, random features, masked
width sweeps), the neural tangent kernel (empirical, analytic infinite-width, linearised
training dynamics, kernel regression), lottery tickets (magnitude pruning, IMP with reset
and rewinding, random controls), PAC-Bayes bounds for stochastic networks (kl inversion,
union bound over prior variances, Monte-Carlo correction), the mean-field vs NTK scaling
of two-layer networks, and grokking on modular arithmetic.

Modules: :mod:`jaxml.theory.double_descent`, :mod:`jaxml.theory.ntk`,
:mod:`jaxml.theory.lottery`, :mod:`jaxml.theory.pac_bayes`, :mod:`jaxml.theory.mean_field`,
:mod:`jaxml.theory.grokking`.
"""
