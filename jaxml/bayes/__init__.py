"""Bayesian and probabilistic models: NumPyro models with inference helpers (BLR, BNNs,
GPs, HMMs), MC dropout and deep ensembles, EM/VI tools and uncertainty metrics.

Modules: :mod:`~jaxml.bayes.inference` (NUTS, SVI, chunked posterior predictive),
:mod:`~jaxml.bayes.blr`, :mod:`~jaxml.bayes.bnn`, :mod:`~jaxml.bayes.training`,
:mod:`~jaxml.bayes.mc_dropout`, :mod:`~jaxml.bayes.ensembles`,
:mod:`~jaxml.bayes.uncertainty`, :mod:`~jaxml.bayes.em`, :mod:`~jaxml.bayes.vi`,
:mod:`~jaxml.bayes.hmm`, :mod:`~jaxml.bayes.gp`.
"""
