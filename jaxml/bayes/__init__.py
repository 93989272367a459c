"""Bayesian and probabilistic models: NumPyro models with inference helpers (BLR, BNNs,
GPs, HMMs), MC dropout and deep ensembles, EM/VI tools and uncertainty metrics, and the
graphical models (Bayesian networks, Markov random fields, MCMC by hand, LDA).

Modules: :mod:`~jaxml.bayes.inference` (NUTS, SVI, chunked posterior predictive),
:mod:`~jaxml.bayes.blr`, :mod:`~jaxml.bayes.bnn`, :mod:`~jaxml.bayes.training`,
:mod:`~jaxml.bayes.mc_dropout`, :mod:`~jaxml.bayes.ensembles`,
:mod:`~jaxml.bayes.uncertainty`, :mod:`~jaxml.bayes.em`, :mod:`~jaxml.bayes.vi`,
:mod:`~jaxml.bayes.hmm`, :mod:`~jaxml.bayes.gp`; graphical models:
:mod:`~jaxml.bayes.bayesnet` (DAGs with CPTs, sampling, parameter learning),
:mod:`~jaxml.bayes.bn_inference` (enumeration, variable elimination, MAP, do-operator,
d-separation), :mod:`~jaxml.bayes.structure` (score-based and PC structure learning),
:mod:`~jaxml.bayes.mrf` (pairwise MRFs, belief propagation, mean field, Ising denoising),
:mod:`~jaxml.bayes.mcmc` (Metropolis–Hastings, Gibbs, convergence diagnostics),
:mod:`~jaxml.bayes.lda` (collapsed Gibbs and variational LDA).
"""
