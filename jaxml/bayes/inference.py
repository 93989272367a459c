"""Inference helpers shared by the NumPyro models of :mod:`jaxml.bayes`.

Every Bayesian model in this package is a plain NumPyro model function
``model(X, y=None, **hyper)``: with ``y`` it conditions on data, with ``y=None`` it
samples predictions. The helpers below run the two inference engines and turn the result
into posterior or posterior-predictive samples.

* :func:`run_nuts` — the No-U-Turn sampler (Hoffman & Gelman 2014), an adaptive HMC
  (Neal 2011): returns a dict ``{site: (num_samples, ...)}``.
* :func:`run_svi` — stochastic variational inference: maximise the ELBO

  .. math:: \\mathcal L(\\phi) = \\mathbb E_{q_\\phi(\\theta)}[\\log p(y, \\theta \\mid X)
            - \\log q_\\phi(\\theta)]

  with the reparameterisation trick (Kingma & Welling 2014) and Adam (cosine-decayed
  step), returning the fitted guide parameters (:class:`SVIFit`); :func:`sample_guide`
  draws from :math:`q_\\phi`.
* :func:`predictive_chunks` / :func:`predictive` / :func:`predictive_moments` — the
  posterior predictive :math:`p(y^* \\mid x^*, \\mathcal D) = \\int p(y^*\\mid x^*, \\theta)
  p(\\theta \\mid \\mathcal D) d\\theta` by ancestral sampling, evaluated ``chunk_size``
  posterior samples at a time so the intermediate memory is bounded;
  :func:`predictive_moments` streams the mean and variance without storing the samples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro
import optax
from numpyro.infer import MCMC, NUTS, SVI, Predictive, Trace_ELBO

from jaxml.core import as_key, check_int, check_positive

__all__ = [
    "SVIFit",
    "run_nuts",
    "run_svi",
    "sample_guide",
    "predictive_chunks",
    "predictive",
    "predictive_moments",
    "log_density",
]


class SVIFit(NamedTuple):
    """A fitted variational approximation.

    Attributes:
      guide: the NumPyro guide (e.g. an ``AutoNormal``) — a callable, static.
      params: the optimised variational parameters (constrained space), a dict of arrays.
      losses: the negative ELBO at every step, shape ``(num_steps,)``.
    """

    guide: Any
    params: dict
    losses: jax.Array


def run_nuts(
    key: Any,
    model: Callable,
    *args: Any,
    num_warmup: int = 500,
    num_samples: int = 500,
    num_chains: int = 1,
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 10,
    init_strategy: Callable | None = None,
    init_params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, jax.Array]:
    """Sample the posterior of ``model(*args, **kwargs)`` with NUTS.

    Args:
      key: PRNG key (or int seed).
      model: a NumPyro model function.
      *args, **kwargs: passed to the model (data and hyperparameters).
      num_warmup: adaptation steps (step size and diagonal mass matrix), discarded.
      num_samples: kept samples per chain.
      num_chains: independent chains, run vectorised; the samples are concatenated.
      target_accept_prob: dual-averaging target acceptance rate.
      max_tree_depth: at most ``2**max_tree_depth`` leapfrog steps per sample.
      init_strategy: NumPyro init strategy (default: ``init_to_uniform``).
      init_params: starting points in unconstrained space, ``{site: (num_chains, ...)}``
        (``{site: (...)}`` for one chain); overrides ``init_strategy``.

    Returns:
      ``{site: array (num_chains * num_samples, *site_shape)}`` for every latent and
      deterministic site.
    """
    key = as_key(key)
    num_warmup = check_int(num_warmup, "num_warmup", minimum=1)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    num_chains = check_int(num_chains, "num_chains", minimum=1)
    max_tree_depth = check_int(max_tree_depth, "max_tree_depth", minimum=1)
    if not 0.0 < float(target_accept_prob) < 1.0:
        raise ValueError(f"target_accept_prob must be in (0, 1), got {target_accept_prob}")
    kernel_kwargs = {} if init_strategy is None else {"init_strategy": init_strategy}
    kernel = NUTS(
        model,
        target_accept_prob=target_accept_prob,
        max_tree_depth=max_tree_depth,
        **kernel_kwargs,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method="vectorized",
        progress_bar=False,
    )
    with jax.numpy_rank_promotion("allow"):  # NumPyro's internals broadcast implicitly
        mcmc.run(key, *args, init_params=init_params, **kwargs)
    return mcmc.get_samples(group_by_chain=False)


def run_svi(
    key: Any,
    model: Callable,
    guide: Any,
    *args: Any,
    num_steps: int = 2000,
    learning_rate: float = 1e-2,
    num_particles: int = 1,
    decay: bool = True,
    **kwargs: Any,
) -> SVIFit:
    """Fit ``guide`` to the posterior of ``model`` by maximising the ELBO with Adam.

    The optimisation loop is one ``lax.scan`` (NumPyro's ``SVI.run`` with
    ``progress_bar=False``), so the whole fit is compiled once.

    Args:
      key: PRNG key (or int seed).
      model, guide: NumPyro model and guide (e.g. ``AutoNormal(model)``).
      *args, **kwargs: passed to model and guide.
      num_steps: Adam steps.
      learning_rate: Adam step size.
      num_particles: Monte Carlo samples per ELBO estimate.
      decay: cosine-decay the step size to 1% over the run, so the final iterate is not
        dominated by the noise of the stochastic gradients.
    """
    key = as_key(key)
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    num_particles = check_int(num_particles, "num_particles", minimum=1)
    check_positive(learning_rate, "learning_rate")
    schedule = (optax.cosine_decay_schedule(learning_rate, num_steps, alpha=0.01) if decay
                else learning_rate)
    svi = SVI(model, guide, optax.adam(schedule), Trace_ELBO(num_particles=num_particles))
    with jax.numpy_rank_promotion("allow"):
        result = svi.run(key, num_steps, *args, progress_bar=False, **kwargs)
    return SVIFit(guide=guide, params=result.params, losses=result.losses)


def sample_guide(key: Any, fit: SVIFit, *args: Any, num_samples: int = 500,
                 **kwargs: Any) -> dict[str, jax.Array]:
    """Draw ``num_samples`` latent samples from the fitted variational posterior."""
    key = as_key(key)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    with jax.numpy_rank_promotion("allow"):
        return fit.guide.sample_posterior(key, fit.params, *args,
                                          sample_shape=(num_samples,), **kwargs)


def _num_samples(samples: Mapping[str, jax.Array]) -> int:
    if not samples:
        raise ValueError("samples must be a non-empty dict of posterior samples")
    sizes = {int(jnp.shape(v)[0]) for v in samples.values()}
    if len(sizes) != 1:
        raise ValueError(f"samples must share their leading (sample) dimension, got {sizes}")
    return sizes.pop()


@functools.partial(jax.jit, static_argnames=("model", "return_sites", "kwargs_items"))
def _predict_chunk(key, chunk, args, *, model, return_sites, kwargs_items):
    predictive_fn = Predictive(model, posterior_samples=chunk, return_sites=return_sites,
                               parallel=True, batch_ndims=1)
    return predictive_fn(key, *args, **dict(kwargs_items))


def predictive_chunks(
    key: Any,
    model: Callable,
    samples: Mapping[str, jax.Array],
    *args: Any,
    chunk_size: int = 100,
    return_sites: tuple[str, ...] | None = None,
    **kwargs: Any,
) -> Iterator[dict[str, jax.Array]]:
    """Yield posterior-predictive samples ``chunk_size`` posterior draws at a time.

    Each chunk runs ``model(*args, **kwargs)`` (with ``y=None`` for prediction) conditioned
    on a slice of ``samples``, vectorised with ``vmap`` and jitted; the last chunk is padded
    to ``chunk_size`` (so one compilation serves all chunks) and trimmed. Keyword
    arguments must be hashable (hyperparameters such as ``hidden=(16,)``).

    Yields:
      dicts ``{site: (chunk, ...)}`` whose leading sizes add up to the number of
      posterior samples.
    """
    key = as_key(key)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    n = _num_samples(samples)
    chunk_size = min(chunk_size, n)
    sites = None if return_sites is None else tuple(return_sites)
    kwargs_items = tuple(sorted(kwargs.items()))
    for index, start in enumerate(range(0, n, chunk_size)):
        stop = min(start + chunk_size, n)
        idx = jnp.clip(jnp.arange(start, start + chunk_size), max=n - 1)
        chunk = {k: jnp.asarray(v)[idx] for k, v in samples.items()}
        with jax.numpy_rank_promotion("allow"):
            out = _predict_chunk(jax.random.fold_in(key, index), chunk, args, model=model,
                                 return_sites=sites, kwargs_items=kwargs_items)
        yield {k: v[: stop - start] for k, v in out.items()}


def predictive(key: Any, model: Callable, samples: Mapping[str, jax.Array], *args: Any,
               chunk_size: int = 100, return_sites: tuple[str, ...] | None = None,
               **kwargs: Any) -> dict[str, jax.Array]:
    """All posterior-predictive samples, computed in chunks (see :func:`predictive_chunks`)."""
    parts = list(predictive_chunks(key, model, samples, *args, chunk_size=chunk_size,
                                   return_sites=return_sites, **kwargs))
    return {k: jnp.concatenate([p[k] for p in parts]) for k in parts[0]}


def predictive_moments(key: Any, model: Callable, samples: Mapping[str, jax.Array],
                       *args: Any, site: str, chunk_size: int = 100,
                       **kwargs: Any) -> tuple[jax.Array, jax.Array]:
    """Mean and variance of predictive ``site`` without storing all samples.

    Streams Chan et al.'s pairwise update of (count, mean, M2) over the chunks, so memory
    is ``O(chunk_size · n)`` whatever the number of posterior samples.

    Returns:
      ``(mean, variance)`` over the sample axis (population variance).
    """
    count = 0
    mean = m2 = None
    for part in predictive_chunks(key, model, samples, *args, chunk_size=chunk_size,
                                  return_sites=(site,), **kwargs):
        values = part[site]
        m = values.shape[0]
        chunk_mean = values.mean(0)
        chunk_m2 = ((values - chunk_mean) ** 2).sum(0)
        if mean is None:
            count, mean, m2 = m, chunk_mean, chunk_m2
            continue
        total = count + m
        delta = chunk_mean - mean
        mean = mean + delta * (m / total)
        m2 = m2 + chunk_m2 + delta**2 * (count * m / total)
        count = total
    return mean, m2 / count


def log_density(model: Callable, params: Mapping[str, Any], *args: Any,
                **kwargs: Any) -> jax.Array:
    """``log p(params, observed | args)`` of a NumPyro model at constrained ``params``."""
    with jax.numpy_rank_promotion("allow"):
        value, _ = numpyro.infer.util.log_density(model, args, kwargs, dict(params))
    return value
