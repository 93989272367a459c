"""Bayesian neural networks in NumPyro: an MLP with Gaussian weight priors.

Model (Neal 1996; MacKay 1992): for layers :math:`l = 0..L`,

.. math::
    W_l \\sim \\mathcal N(0, \\tau^2 / \\mathrm{fan\\_in}_l), \\quad
    b_l \\sim \\mathcal N(0, \\tau^2),
    \\quad h_{l+1} = \\tanh(h_l W_l + b_l) \\ (\\text{linear last layer}),

with likelihood :math:`y \\sim \\mathcal N(f(x), \\sigma^2)` (regression; σ known or
``σ ~ HalfNormal(1)``) or :math:`y \\sim \\mathrm{Cat}(\\mathrm{softmax} f(x))`
(classification). The fan-in scaling keeps the prior over functions stable as the width
grows.

Inference:

* :func:`fit_nuts` — NUTS over all weights (gold standard for small nets);
* :func:`fit_svi` — ``guide="normal"``: mean-field Gaussian ``AutoNormal`` (Bayes by
  Backprop, Blundell et al. 2015); ``guide="lowrank"``: Gaussian with covariance
  :math:`D + WW^\\top` (``AutoLowRankMultivariateNormal``, rank ``rank``).

:func:`predict_samples` returns posterior-predictive draws of the network output, chunked
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

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.infer import init_to_uniform
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal

from jaxml.bayes.inference import SVIFit, predictive, run_nuts, run_svi, sample_guide
from jaxml.core import as_key, check_array, check_int, check_option, check_positive, check_X

__all__ = [
    "BNNSpec",
    "model",
    "NUTSPosterior",
    "SVIPosterior",
    "fit_nuts",
    "fit_svi",
    "predict_samples",
    "regression_uncertainty",
    "classification_uncertainty",
]


class BNNSpec(NamedTuple):
    """Static description of the network (hashable; passed to the model as keywords)."""

    hidden: tuple[int, ...] = (16,)
    likelihood: str = "gaussian"
    num_classes: int = 1
    prior_scale: float = 1.0
    noise_scale: float | None = None


def model(X: jax.Array, y: jax.Array | None = None, *, hidden: tuple[int, ...] = (16,),
          likelihood: str = "gaussian", num_classes: int = 1, prior_scale: float = 1.0,
          noise_scale: float | None = None) -> None:
    """NumPyro BNN model.

    Args:
      X: inputs ``(n, d)``.
      y: targets ``(n,)`` floats (gaussian) or ints (categorical); ``None`` to predict.
      hidden: hidden-layer widths (static).
      likelihood: ``"gaussian"`` or ``"categorical"``.
      num_classes: number of classes (categorical only).
      prior_scale: τ.
      noise_scale: known σ (gaussian); ``None`` samples ``sigma ~ HalfNormal(1)``.

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
        with numpyro.plate("data", X.shape[0]):
            numpyro.sample("y", dist.Normal(f, sigma), obs=y)
    else:
        logits = numpyro.deterministic("logits", h)
        with numpyro.plate("data", X.shape[0]):
            numpyro.sample("y", dist.Categorical(logits=logits), obs=y)


class NUTSPosterior(NamedTuple):
    """Posterior samples ``{site: (S, ...)}`` from :func:`fit_nuts` and the network spec."""

    samples: dict
    spec: BNNSpec


class SVIPosterior(NamedTuple):
    """A fitted guide from :func:`fit_svi` and the network spec."""

    fit: SVIFit
    spec: BNNSpec


def _spec(hidden, likelihood, num_classes, prior_scale, noise_scale) -> BNNSpec:
    hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
    check_option(likelihood, "likelihood", ("gaussian", "categorical"))
    check_positive(prior_scale, "prior_scale")
    if noise_scale is not None:
        check_positive(noise_scale, "noise_scale")
    if likelihood == "categorical":
        num_classes = check_int(num_classes, "num_classes", minimum=2)
    else:
        num_classes = 1
    return BNNSpec(hidden, likelihood, num_classes, float(prior_scale),
                   None if noise_scale is None else float(noise_scale))


def _check_data(X: Any, y: Any, spec: BNNSpec) -> tuple[jax.Array, jax.Array]:
    X = check_X(X)
    if spec.likelihood == "gaussian":
        y = check_array(y, "y", ndim=1, dtype_kind="f")
    else:
        y = check_array(y, "y", ndim=1, dtype_kind="i")
        if int(y.min()) < 0 or int(y.max()) >= spec.num_classes:
            raise ValueError(f"y must hold labels in [0, {spec.num_classes}), got range "
                             f"[{int(y.min())}, {int(y.max())}]")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} "
                         f"and {y.shape[0]}")
    return X, y


def fit_nuts(key: Any, X: Any, y: Any, *, hidden: tuple[int, ...] = (16,),
             likelihood: str = "gaussian", num_classes: int = 1, prior_scale: float = 1.0,
             noise_scale: float | None = None, num_warmup: int = 300,
             num_samples: int = 300, num_chains: int = 1,
             max_tree_depth: int = 8) -> NUTSPosterior:
    """Sample the BNN weight posterior with NUTS (see :func:`model` for the arguments)."""
    spec = _spec(hidden, likelihood, num_classes, prior_scale, noise_scale)
    X, y = _check_data(X, y, spec)
    samples = run_nuts(key, model, X, y, num_warmup=num_warmup, num_samples=num_samples,
                       num_chains=num_chains, max_tree_depth=max_tree_depth,
                       init_strategy=init_to_uniform(radius=1.0), **spec._asdict())
    return NUTSPosterior(samples=samples, spec=spec)


def fit_svi(key: Any, X: Any, y: Any, *, hidden: tuple[int, ...] = (16,),
            likelihood: str = "gaussian", num_classes: int = 1, prior_scale: float = 1.0,
            noise_scale: float | None = None, guide: str = "normal", rank: int = 4,
            num_steps: int = 3000, learning_rate: float = 1e-2,
            init_scale: float = 1e-3) -> SVIPosterior:
    """Variational BNN: ``guide="normal"`` (mean-field, Bayes by Backprop) or ``"lowrank"``.

    Args:
      rank: rank of the low-rank covariance factor (``guide="lowrank"``).
      num_steps, learning_rate: Adam on the negative ELBO (full batch).
      init_scale: initial standard deviation of the guide; small values (1e-3) avoid the
        mean-field optimum that explains all data as noise (seen with 1e-2 on small data).
    """
    spec = _spec(hidden, likelihood, num_classes, prior_scale, noise_scale)
    X, y = _check_data(X, y, spec)
    check_option(guide, "guide", ("normal", "lowrank"))
    rank = check_int(rank, "rank", minimum=1)
    bound = _bound_model(spec)
    init = init_to_uniform(radius=1.0)
    if guide == "normal":
        q = AutoNormal(bound, init_loc_fn=init, init_scale=init_scale)
    else:
        q = AutoLowRankMultivariateNormal(bound, init_loc_fn=init, init_scale=init_scale,
                                          rank=rank)
    fit = run_svi(key, bound, q, X, y, num_steps=num_steps, learning_rate=learning_rate)
    return SVIPosterior(fit=fit, spec=spec)


class _BoundModel(NamedTuple):
    """``model`` with the spec fixed; a hashable callable (static under jit)."""

    spec: BNNSpec

    def __call__(self, X, y=None):
        return model(X, y, **self.spec._asdict())


def _bound_model(spec: BNNSpec) -> _BoundModel:
    return _BoundModel(spec)


def predict_samples(key: Any, posterior: NUTSPosterior | SVIPosterior, X_new: Any, *,
                    num_samples: int = 200, chunk_size: int = 100
                    ) -> tuple[jax.Array, jax.Array | None]:
    """Posterior draws of the network output at ``X_new``.

    Args:
      key: PRNG key (guide sampling and predictive).
      posterior: from :func:`fit_nuts` (uses its first ``num_samples`` samples) or
        :func:`fit_svi` (draws ``num_samples`` from the guide).
      X_new: inputs ``(m, d)``.
      num_samples: posterior draws S.
      chunk_size: draws evaluated together.

    Returns:
      Regression: ``(f (S, m), noise_variance (S,))``; classification:
      ``(probs (S, m, C), None)``.
    """
    if not isinstance(posterior, (NUTSPosterior, SVIPosterior)):
        raise TypeError(f"posterior must be a NUTSPosterior or SVIPosterior, got "
                        f"{type(posterior).__name__}")
    X_new = check_X(X_new, "X_new")
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    spec = posterior.spec
    k_guide, k_pred = jax.random.split(as_key(key))
    if isinstance(posterior, NUTSPosterior):
        samples = {k: v[:num_samples] for k, v in posterior.samples.items()
                   if k.startswith(("w", "b", "sigma"))}
    else:
        samples = sample_guide(k_guide, posterior.fit, X_new, num_samples=num_samples)
    site = "f" if spec.likelihood == "gaussian" else "logits"
    out = predictive(k_pred, _bound_model(spec), samples, X_new, chunk_size=chunk_size,
                     return_sites=(site,))[site]
    if spec.likelihood == "categorical":
        return jax.nn.softmax(out, axis=-1), None
    if spec.noise_scale is None:
        noise_var = samples["sigma"] ** 2
    else:
        noise_var = jnp.full((out.shape[0],), spec.noise_scale**2)
    return out, noise_var


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
