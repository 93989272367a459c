"""Bayesian neural networks in NumPyro: an MLP with Gaussian weight priors.

Model (Neal 1996; MacKay 1992): for layers :math:`l = 0..L`,

.. math::
    W_l \\sim \\mathcal N(0, \\tau^2 / \\mathrm{fan\\_in}_l), \\quad
    b_l \\sim \\mathcal N(0, \\tau^2),
    \\quad h_{l+1} = \\tanh(h_l W_l + b_l) \\ (\\text{linear last layer}),

with likelihood :math:`y \\sim \\mathcal N(f(x), \\sigma^2)` (regression; σ known or
``σ ~ HalfNormal(1)``) or :math:`y \\sim \\mathrm{Cat}(\\mathrm{softmax} f(x))`
(classification). The fan-in scaling keeps the prior over functions stable as the width
grows. A temperature :math:`T` tempers the likelihood,
:math:`p_T(\\theta \\mid \\mathcal D) \\propto p(\\theta)\\, p(\\mathcal D \\mid \\theta)^{1/T}`
(:math:`T = 1`: the Bayes posterior; Wenzel et al. 2020 study :math:`T < 1`).

Estimators (factories returning :class:`jaxml.core.Regressor` / :class:`~jaxml.core.Classifier`
with ``fit(key, X, y)`` and ``predict_samples(key, params, X)``):

* :func:`bnn_nuts` — NUTS over all weights, ``num_chains`` chains run vectorised;
* :func:`bnn_svi` — ``guide="normal"``: mean-field Gaussian ``AutoNormal`` (Bayes by
  Backprop, Blundell et al. 2015); ``guide="lowrank"``: Gaussian with covariance
  :math:`D + WW^\\top` (``AutoLowRankMultivariateNormal``, rank ``rank``). Maximising the
  ELBO of the tempered posterior is maximising
  :math:`\\mathbb E_q[\\log p(\\mathcal D \\mid \\theta)] - T\\,\\mathrm{KL}(q \\,\\|\\, p)`,
  so ``temperature`` is the KL weight of Blundell et al.'s eq. 9.

Both start from maximum-a-posteriori fits (:func:`map_starts`: Adam on the negative log
joint from independent random starts, one per chain): NUTS spends its warmup adapting
instead of descending from a random point, and the variational means start at a mode
rather than at the prior, where mean-field VI otherwise stalls with most units switched
off (underfitting).

``predict_samples`` returns posterior-predictive draws of the network output, chunked
through :func:`jaxml.bayes.inference.predictive`. The split into aleatoric and epistemic
uncertainty follows the law of total variance (regression) and the entropy decomposition
(classification, Depeweg et al. 2018):

.. math::
    \\mathrm{Var}[y] = \\underbrace{\\mathbb E_\\theta[\\sigma^2]}_{\\text{aleatoric}} +
    \\underbrace{\\mathrm{Var}_\\theta[f_\\theta(x)]}_{\\text{epistemic}}, \\qquad
    \\mathcal H[\\bar p] =
    \\underbrace{\\mathbb E_\\theta \\mathcal H[p_\\theta]}_{\\text{aleatoric}}
    + \\underbrace{\\mathcal I(y; \\theta)}_{\\text{epistemic}}.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
import optax
from numpyro import handlers
from numpyro.infer import init_to_uniform, init_to_value
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
from numpyro.infer.util import initialize_model

from jaxml.bayes.inference import SVIFit, predictive, run_nuts, run_svi, sample_guide
from jaxml.core import (
    Classifier,
    Regressor,
    as_key,
    check_array,
    check_class_codes,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    check_X_y,
    pytree_dataclass,
)
from jaxml.core.estimator import PredictiveSamples

__all__ = [
    "BNNSpec",
    "model",
    "map_starts",
    "NUTSPosterior",
    "SVIPosterior",
    "bnn_nuts",
    "bnn_svi",
    "regression_uncertainty",
    "classification_uncertainty",
]

TASKS = ("regression", "classification")


class BNNSpec(NamedTuple):
    """Static description of the network and likelihood (hashable; the model's keywords)."""

    hidden: tuple[int, ...] = (16,)
    likelihood: str = "gaussian"
    num_classes: int = 1
    prior_scale: float = 1.0
    noise_scale: float | None = None
    temperature: float = 1.0


def model(X: jax.Array, y: jax.Array | None = None, *, hidden: tuple[int, ...] = (16,),
          likelihood: str = "gaussian", num_classes: int = 1, prior_scale: float = 1.0,
          noise_scale: float | None = None, temperature: float = 1.0) -> None:
    """NumPyro BNN model.

    Args:
      X: inputs ``(n, d)``.
      y: targets ``(n,)`` floats (gaussian) or ints (categorical); ``None`` to predict.
      hidden: hidden-layer widths (static).
      likelihood: ``"gaussian"`` or ``"categorical"``.
      num_classes: number of classes (categorical only).
      prior_scale: τ.
      noise_scale: known σ (gaussian); ``None`` samples ``sigma ~ HalfNormal(1)``.
      temperature: T; the log-likelihood is scaled by ``1 / T``.

    Sites: ``w0, b0, w1, b1, ...``, ``sigma`` (gaussian, unknown noise), deterministic
    ``f`` (``(n,)`` mean) or ``logits`` (``(n, C)``), observed ``y``.
    """
    out = 1 if likelihood == "gaussian" else num_classes
    sizes = (X.shape[1], *hidden, out)
    h = X
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = numpyro.sample(f"w{i}", dist.Normal(0.0, prior_scale / jnp.sqrt(fan_in))
                           .expand((fan_in, fan_out)).to_event(2))
        b = numpyro.sample(f"b{i}", dist.Normal(0.0, prior_scale).expand((fan_out,))
                           .to_event(1))
        h = h @ w + b[None, :]
        if i < len(sizes) - 2:
            h = jnp.tanh(h)
    if likelihood == "gaussian":
        f = numpyro.deterministic("f", h[:, 0])
        sigma = (numpyro.sample("sigma", dist.HalfNormal(1.0)) if noise_scale is None
                 else noise_scale)
        with numpyro.plate("data", X.shape[0]), handlers.scale(scale=1.0 / temperature):
            numpyro.sample("y", dist.Normal(f, sigma), obs=y)
    else:
        logits = numpyro.deterministic("logits", h)
        with numpyro.plate("data", X.shape[0]), handlers.scale(scale=1.0 / temperature):
            numpyro.sample("y", dist.Categorical(logits=logits), obs=y)


class _BoundModel(NamedTuple):
    """``model`` with the spec fixed; a hashable callable (static under jit)."""

    spec: BNNSpec

    def __call__(self, X, y=None):
        return model(X, y, **self.spec._asdict())


@pytree_dataclass
class NUTSPosterior:
    """NUTS samples of a BNN.

    Attributes:
      samples: ``{site: (S, ...)}`` latent sites, ``S = num_chains · num_samples``.
      predict_key: the key ``predict``/``predict_proba``/``predict_std`` use.
    """

    samples: dict
    predict_key: jax.Array


@pytree_dataclass
class SVIPosterior:
    """A fitted variational BNN.

    Attributes:
      guide_params: the optimised variational parameters.
      losses: negative ELBO at every step ``(num_steps,)``.
      predict_key: the key ``predict``/``predict_proba``/``predict_std`` use.
    """

    guide_params: dict
    losses: jax.Array
    predict_key: jax.Array


def _spec(task, num_classes, hidden, prior_scale, noise_scale, temperature) -> BNNSpec:
    check_option(task, "task", TASKS)
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a sequence of ints, got {hidden!r}")
    hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
    check_positive(prior_scale, "prior_scale")
    check_positive(temperature, "temperature")
    if noise_scale is not None:
        if task != "regression":
            raise ValueError("noise_scale applies to task='regression' only")
        check_positive(noise_scale, "noise_scale")
    if task == "classification":
        likelihood, num_classes = "categorical", check_int(num_classes, "num_classes",
                                                           minimum=2)
    else:
        if num_classes is not None:
            raise ValueError("num_classes applies to task='classification' only")
        likelihood, num_classes = "gaussian", 1
    return BNNSpec(hidden, likelihood, num_classes, float(prior_scale),
                   None if noise_scale is None else float(noise_scale), float(temperature))


def _check_data(X: Any, y: Any, spec: BNNSpec) -> tuple[jax.Array, jax.Array]:
    if spec.likelihood == "gaussian":
        return check_X_y(X, y)
    X, y = check_X_y(X, y, y_kind="i")
    check_class_codes(y, n_classes=spec.num_classes)
    return X, y


def _check_map_budget(map_steps: Any, map_learning_rate: Any) -> int:
    check_positive(map_learning_rate, "map_learning_rate")
    return check_int(map_steps, "map_steps", minimum=0)


def map_starts(key: Any, spec: BNNSpec, X: jax.Array, y: jax.Array, *, num_starts: int,
               num_steps: int, learning_rate: float) -> dict[str, jax.Array]:
    """``num_starts`` MAP estimates in NumPyro's unconstrained space.

    Each start draws every site uniformly in ``(-1, 1)`` (unconstrained), then runs
    ``num_steps`` of Adam (cosine-decayed step ``learning_rate``) on the potential energy
    :math:`-\\log p(\\theta, \\mathcal D)` (with the log-Jacobian of the unconstraining
    transforms); the starts are optimised together under ``vmap``.

    Returns:
      ``{site: (num_starts, ...)}`` unconstrained values.
    """
    keys = jax.random.split(as_key(key), num_starts)
    with jax.numpy_rank_promotion("allow"):
        info = initialize_model(keys, _BoundModel(spec), model_args=(X, y),
                                init_strategy=init_to_uniform(radius=1.0))
    starts = info.param_info.z
    if num_steps == 0:
        return starts
    optimizer = optax.adam(optax.cosine_decay_schedule(learning_rate, num_steps, alpha=0.01))

    def descend(z):
        def step(carry, _):
            z, state = carry
            grads = jax.grad(info.potential_fn)(z)
            updates, state = optimizer.update(grads, state)
            return (optax.apply_updates(z, updates), state), None

        (z, _), _ = jax.lax.scan(step, (z, optimizer.init(z)), None, num_steps)
        return z

    with jax.numpy_rank_promotion("allow"):
        return jax.jit(jax.vmap(descend))(starts)


def _estimator(spec: BNNSpec, fit: Callable, draw_latents: Callable,
               chunk_size: int) -> Regressor | Classifier:
    """The Regressor/Classifier around ``draw_latents(key, params, X) -> {site: (S, ...)}``."""
    bound = _BoundModel(spec)
    site = "f" if spec.likelihood == "gaussian" else "logits"

    def predict_samples(key: Any, params: Any, X: Any) -> PredictiveSamples:
        X = check_X(X)
        k_latent, k_pred = jax.random.split(as_key(key))
        latents = draw_latents(k_latent, params, X)
        check_n_features(X, latents["w0"].shape[1])
        out = predictive(k_pred, bound, latents, X, chunk_size=chunk_size,
                         return_sites=(site,))[site]
        if spec.likelihood == "categorical":
            return PredictiveSamples(jax.nn.softmax(out, axis=-1), None)
        if spec.noise_scale is None:
            noise = latents["sigma"][:, None] ** 2
        else:
            noise = jnp.asarray(spec.noise_scale**2, out.dtype)
        return PredictiveSamples(out, jnp.broadcast_to(noise, out.shape))

    def mixture(params: Any, X: Any) -> PredictiveSamples:
        return predict_samples(params.predict_key, params, X)

    if spec.likelihood == "gaussian":
        def predict(params: Any, X: Any) -> jax.Array:
            return mixture(params, X).draws.mean(0)

        def predict_std(params: Any, X: Any) -> jax.Array:
            draws, noise = mixture(params, X)
            return jnp.sqrt(noise.mean(0) + draws.var(0))

        return Regressor(fit, predict, predict_std, predict_samples)

    def predict_proba(params: Any, X: Any) -> jax.Array:
        return mixture(params, X).draws.mean(0)

    def predict_class(params: Any, X: Any) -> jax.Array:
        return jnp.argmax(predict_proba(params, X), axis=1).astype(jnp.int32)

    return Classifier(fit, predict_class, predict_proba, None, predict_samples)


def bnn_nuts(*, task: str = "regression", num_classes: int | None = None,
             hidden: Sequence[int] = (16,), prior_scale: float = 1.0,
             noise_scale: float | None = None, temperature: float = 1.0,
             num_warmup: int = 300, num_samples: int = 300, num_chains: int = 1,
             max_tree_depth: int = 8, map_steps: int = 500,
             map_learning_rate: float = 1e-2, chunk_size: int = 100
             ) -> Regressor | Classifier:
    """A BNN whose weight posterior is sampled with NUTS (see :func:`model`).

    Args:
      task: ``"regression"`` (Gaussian likelihood) or ``"classification"`` (categorical).
      num_classes: number of classes (classification).
      hidden, prior_scale, noise_scale, temperature: the model (:func:`model`).
      num_warmup, num_samples: NUTS adaptation steps and kept samples per chain.
      num_chains: chains, run vectorised, each from its own MAP start.
      max_tree_depth: at most ``2**max_tree_depth - 1`` leapfrog steps per sample.
      map_steps, map_learning_rate: Adam budget of each MAP start (:func:`map_starts`;
        ``map_steps=0`` starts from the random points).
      chunk_size: posterior draws evaluated together when predicting.

    Returns:
      ``Regressor(fit, predict, predict_std, predict_samples)`` or
      ``Classifier(fit, predict, predict_proba, None, predict_samples)``;
      ``fit(key, X, y) -> NUTSPosterior``; ``predict_samples(key, params, X)`` gives the
      network output at all ``S = num_chains · num_samples`` posterior samples.
    """
    spec = _spec(task, num_classes, hidden, prior_scale, noise_scale, temperature)
    map_steps = _check_map_budget(map_steps, map_learning_rate)
    num_chains = check_int(num_chains, "num_chains", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)

    def fit(key: Any, X: Any, y: Any) -> NUTSPosterior:
        X, y = _check_data(X, y, spec)
        k_map, k_nuts, k_predict = jax.random.split(as_key(key), 3)
        starts = map_starts(k_map, spec, X, y, num_starts=num_chains, num_steps=map_steps,
                            learning_rate=map_learning_rate)
        if num_chains == 1:
            starts = jax.tree.map(lambda a: a[0], starts)
        samples = run_nuts(k_nuts, _BoundModel(spec), X, y, num_warmup=num_warmup,
                           num_samples=num_samples, num_chains=num_chains,
                           max_tree_depth=max_tree_depth, init_params=starts)
        latents = {k: v for k, v in samples.items() if k not in ("f", "logits")}
        return NUTSPosterior(samples=latents, predict_key=k_predict)

    def draw_latents(key: Any, params: NUTSPosterior, X: jax.Array) -> dict:
        if not isinstance(params, NUTSPosterior):
            raise TypeError(f"params must be a NUTSPosterior, got {type(params).__name__}")
        return params.samples

    return _estimator(spec, fit, draw_latents, chunk_size)


def bnn_svi(*, task: str = "regression", num_classes: int | None = None,
            hidden: Sequence[int] = (16,), prior_scale: float = 1.0,
            noise_scale: float | None = None, temperature: float = 1.0,
            guide: str = "normal", rank: int = 4, num_steps: int = 3000,
            learning_rate: float = 1e-2, init_scale: float = 1e-2, map_steps: int = 500,
            map_learning_rate: float = 1e-2, num_samples: int = 100,
            chunk_size: int = 100) -> Regressor | Classifier:
    """A variational BNN: ``guide="normal"`` (mean-field) or ``"lowrank"``.

    Args:
      task, num_classes, hidden, prior_scale, noise_scale: as :func:`bnn_nuts`.
      temperature: T, the weight of the KL term in the ELBO (1: the Bayes posterior).
      guide: ``"normal"`` or ``"lowrank"``; rank: rank of the low-rank covariance factor.
      num_steps, learning_rate: Adam on the negative ELBO (full batch, cosine-decayed).
      init_scale: initial standard deviation of the guide around the MAP start.
      map_steps, map_learning_rate: the MAP fit the guide's means start from
        (:func:`map_starts`, one start; ``map_steps=0``: a random point).
      num_samples: S, guide draws per prediction (static).
      chunk_size: draws evaluated together when predicting.

    Returns:
      As :func:`bnn_nuts`, with ``fit(key, X, y) -> SVIPosterior``.
    """
    spec = _spec(task, num_classes, hidden, prior_scale, noise_scale, temperature)
    check_option(guide, "guide", ("normal", "lowrank"))
    rank = check_int(rank, "rank", minimum=1)
    num_steps = check_int(num_steps, "num_steps", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_positive(init_scale, "init_scale")
    map_steps = _check_map_budget(map_steps, map_learning_rate)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    bound = _BoundModel(spec)

    def make_guide(init_loc_fn):
        if guide == "normal":
            return AutoNormal(bound, init_loc_fn=init_loc_fn, init_scale=init_scale)
        return AutoLowRankMultivariateNormal(bound, init_loc_fn=init_loc_fn,
                                             init_scale=init_scale, rank=rank)

    sampler = make_guide(init_to_uniform(radius=1.0))  # same structure, used to sample

    def fit(key: Any, X: Any, y: Any) -> SVIPosterior:
        X, y = _check_data(X, y, spec)
        k_map, k_svi, k_predict = jax.random.split(as_key(key), 3)
        start = map_starts(k_map, spec, X, y, num_starts=1, num_steps=map_steps,
                           learning_rate=map_learning_rate)
        with jax.numpy_rank_promotion("allow"):
            values = numpyro.infer.util.constrain_fn(
                bound, (X, y), {}, jax.tree.map(lambda a: a[0], start))
        fitted = run_svi(k_svi, bound, make_guide(init_to_value(values=values)), X, y,
                         num_steps=num_steps, learning_rate=learning_rate)
        return SVIPosterior(guide_params=fitted.params, losses=fitted.losses,
                            predict_key=k_predict)

    def draw_latents(key: Any, params: SVIPosterior, X: jax.Array) -> dict:
        if not isinstance(params, SVIPosterior):
            raise TypeError(f"params must be an SVIPosterior, got {type(params).__name__}")
        if sampler.prototype_trace is None:  # build the guide's structure once, with
            # placeholder observations so that y is observed, not latent
            dtype = jnp.float32 if spec.likelihood == "gaussian" else jnp.int32
            with jax.numpy_rank_promotion("allow"):
                handlers.seed(handlers.substitute(sampler, data=params.guide_params), 0)(
                    X, jnp.zeros(X.shape[0], dtype))
        return sample_guide(key, SVIFit(sampler, params.guide_params, params.losses), X,
                            num_samples=num_samples)

    return _estimator(spec, fit, draw_latents, chunk_size)


def regression_uncertainty(f_samples: Any, noise_variance: Any
                           ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(mean, aleatoric, epistemic)`` from ``f (S, m)`` and noise variances ``(S,)`` or
    ``(S, m)``: ``E f``, ``E σ²``, ``Var f`` (total variance = aleatoric + epistemic)."""
    f_samples = check_array(f_samples, "f_samples", ndim=2, dtype_kind="f")
    noise_variance = check_array(noise_variance, "noise_variance", ndim=(1, 2), dtype_kind="f")
    if noise_variance.shape[0] != f_samples.shape[0]:
        raise ValueError("noise_variance must have one row per sample of f_samples")
    nv = noise_variance if noise_variance.ndim == 2 else noise_variance[:, None]
    aleatoric = jnp.broadcast_to(nv.mean(0), f_samples.shape[1:])
    return f_samples.mean(0), aleatoric, f_samples.var(0)


def classification_uncertainty(prob_samples: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(total, aleatoric, epistemic)`` entropies (nats) from ``probs (S, m, C)``.

    total ``H[E p]``, aleatoric ``E H[p]``, epistemic = their difference, the mutual
    information between the label and the weights (BALD; Houlsby et al. 2011).
    """
    probs = check_array(prob_samples, "prob_samples", ndim=3, dtype_kind="f")

    def entropy(p):
        return -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0), -1)

    total = entropy(probs.mean(0))
    aleatoric = entropy(probs).mean(0)
    return total, aleatoric, total - aleatoric
