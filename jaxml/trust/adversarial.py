"""Adversarial robustness: attacks, robust training losses and certificates.

Attacks take a pure ``logits_fn(x) -> logits`` and integer labels ``y``; inputs lie in the
box ``bounds = (lo, hi)``. With ℓ(x, y) the softmax cross-entropy:

* FGSM (Goodfellow et al. 2015): x' = Π_box(x + ε·sign ∇ₓℓ(x, y)).
* PGD (Madry et al. 2018): x_{t+1} = Π_{B_p(x, ε) ∩ box}(x_t + α·s_t) with s_t = sign ∇ℓ
  (ℓ∞) or ∇ℓ/‖∇ℓ‖₂ (ℓ₂), from a uniform random start in the ball; of ``restarts`` runs the
  per-example worst (highest loss) is kept.
* Carlini–Wagner ℓ₂ (2017): x' = lo + (hi − lo)(tanh w + 1)/2 and Adam on
  ‖x' − x‖₂² + c·max(z_y − max_{j≠y} z_j, −κ); the smallest successful x' is kept.

Training losses: Madry's ℓ(x_PGD, y) and TRADES (Zhang et al. 2019)
ℓ(x, y) + β·KL(f(x) ‖ f(x')) with x' maximising the KL in the ball.

Certificates:

* Randomised smoothing (Cohen et al. 2019): g(x) = argmax_c P(f(x + δ) = c), δ ~ N(0, σ²I).
  With the Clopper–Pearson one-sided lower bound p̲_A of P(f(x + δ) = c_A) at level 1 − α,
  g is constant on the ℓ₂ ball of radius R = σ·Φ⁻¹(p̲_A) (abstain when p̲_A ≤ ½).
* Interval bound propagation (Gowal et al. 2018) through a Dense+ReLU MLP: with centre μ and
  radius r of the box, an affine layer gives μ' = μW + b, r' = r|W|, and ReLU is monotone.
  The margin z_y − z_j is bounded by folding the last layer into the specification.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax
from jax.scipy.special import betainc, ndtri

from jaxml.core.validation import check_int, check_option, check_positive, check_range
from jaxml.math.info import kl_divergence

LogitsFn = Callable[[jax.Array], jax.Array]
NORMS = ("linf", "l2")


def _check_eps(eps: Any) -> None:
    check_positive(eps, "eps", strict=False)


def _check_bounds(bounds: Any) -> None:
    lo, hi = bounds
    if not float(lo) < float(hi):
        raise ValueError(f"bounds must be (lo, hi) with lo < hi, got {bounds}")


def _per_example_norm(v: jax.Array) -> jax.Array:
    """ℓ₂ norm over all but the batch axis, shaped to broadcast against ``v``."""
    return jnp.sqrt(jnp.sum(v ** 2, axis=tuple(range(1, v.ndim)), keepdims=True))


def _cross_entropy(logits: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, y)


def fgsm(logits_fn: LogitsFn, x: Any, y: Any, *, eps: Any, bounds: tuple[float, float] = (0.0, 1.0)
         ) -> jax.Array:
    """Fast gradient sign method: x' = clip(x + ε·sign ∇ₓ Σ ℓ(f(x), y), lo, hi)."""
    _check_eps(eps)
    _check_bounds(bounds)
    x = jnp.asarray(x)
    g = jax.grad(lambda z: _cross_entropy(logits_fn(z), y).sum())(x)
    return jnp.clip(x + eps * jnp.sign(g), *bounds)


def _project(delta: jax.Array, eps: Any, norm: str) -> jax.Array:
    if norm == "linf":
        return jnp.clip(delta, -eps, eps)
    return delta * jnp.minimum(1.0, eps / jnp.maximum(_per_example_norm(delta), 1e-12))


def _random_start(key: jax.Array, shape: tuple[int, ...], eps: Any, norm: str) -> jax.Array:
    """Uniform in the ℓ∞ cube, or uniform in the ℓ₂ ball (Gaussian direction, radius ε·u^{1/d})."""
    if norm == "linf":
        return jax.random.uniform(key, shape, minval=-1.0, maxval=1.0) * eps
    k_dir, k_rad = jax.random.split(key)
    direction = jax.random.normal(k_dir, shape)
    direction = direction / jnp.maximum(_per_example_norm(direction), 1e-12)
    d = math.prod(shape[1:])
    radius = jax.random.uniform(k_rad, (shape[0],) + (1,) * (len(shape) - 1)) ** (1.0 / d)
    return eps * radius * direction


def _pgd_maximise(key: jax.Array, objective: Callable[[jax.Array], jax.Array], x: jax.Array, *,
                  eps: Any, step_size: Any, num_steps: int, norm: str, random_start: bool,
                  restarts: int, bounds: tuple[float, float]) -> jax.Array:
    """Projected ascent of a per-example ``objective(x') -> (batch,)``; worst restart kept.

    Clipping to the box after projecting onto the ball stays inside the ball, since each
    coordinate only moves back towards x ∈ box.
    """
    lo, hi = bounds

    def step(_, x_adv):
        g = jax.grad(lambda z: objective(z).sum())(x_adv)
        s = jnp.sign(g) if norm == "linf" else g / jnp.maximum(_per_example_norm(g), 1e-12)
        return jnp.clip(x + _project(x_adv + step_size * s - x, eps, norm), lo, hi)

    def run(k):
        start = _random_start(k, x.shape, eps, norm) if random_start else jnp.zeros_like(x)
        x_adv = lax.fori_loop(0, num_steps, step, jnp.clip(x + start, lo, hi))
        return x_adv, objective(x_adv)

    def keep_worst(best, k):
        x_new, loss_new = run(k)
        better = loss_new > best[1]
        mask = better.reshape((-1,) + (1,) * (x.ndim - 1))
        return (jnp.where(mask, x_new, best[0]), jnp.where(better, loss_new, best[1])), None

    keys = jax.random.split(key, restarts)
    (x_best, _), _ = lax.scan(keep_worst, run(keys[0]), keys[1:])
    return x_best


def _check_pgd(eps, step_size, num_steps, norm, restarts) -> None:
    _check_eps(eps)
    check_positive(step_size, "step_size", strict=False)
    check_int(num_steps, "num_steps", minimum=1)
    check_option(norm, "norm", NORMS)
    check_int(restarts, "restarts", minimum=1)


def pgd(key: jax.Array, logits_fn: LogitsFn, x: Any, y: Any, *, eps: Any, step_size: Any,
        num_steps: int, norm: str = "linf", random_start: bool = True, restarts: int = 1,
        bounds: tuple[float, float] = (0.0, 1.0)) -> jax.Array:
    """Projected gradient ascent on ℓ(f(x'), y) over {‖x' − x‖_p ≤ ε} ∩ [lo, hi]^d."""
    _check_pgd(eps, step_size, num_steps, norm, restarts)
    _check_bounds(bounds)
    return _pgd_maximise(key, lambda z: _cross_entropy(logits_fn(z), y), jnp.asarray(x), eps=eps,
                         step_size=step_size, num_steps=num_steps, norm=norm,
                         random_start=random_start, restarts=restarts, bounds=bounds)


def _top_other(logits: jax.Array, y: jax.Array) -> jax.Array:
    """max_{j≠y} z_j per example."""
    own = jax.nn.one_hot(y, logits.shape[-1], dtype=bool)
    return jnp.max(jnp.where(own, -jnp.inf, logits), axis=-1)


def carlini_wagner_l2(logits_fn: LogitsFn, x: Any, y: Any, *, c: Any = 1.0, num_steps: int = 500,
                      learning_rate: float = 0.01, kappa: Any = 0.0,
                      bounds: tuple[float, float] = (0.0, 1.0)) -> jax.Array:
    """Carlini–Wagner ℓ₂ attack with one constant ``c`` (no binary search).

    Minimises Σ ‖x'(w) − x‖² + c·max(z_y(x') − max_{j≠y} z_j(x'), −κ) over w with Adam,
    x'(w) = lo + (hi − lo)(tanh w + 1)/2. Returns, per example, the misclassified iterate
    of smallest ‖x' − x‖₂, or ``x`` itself where no iterate was misclassified.
    """
    check_positive(c, "c")
    check_int(num_steps, "num_steps", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_positive(kappa, "kappa", strict=False)
    x = jnp.asarray(x)
    lo, hi = bounds
    to_x = lambda w: lo + (hi - lo) * 0.5 * (jnp.tanh(w) + 1.0)  # noqa: E731
    w0 = jnp.arctanh(jnp.clip(2.0 * (x - lo) / (hi - lo) - 1.0, -1 + 1e-6, 1 - 1e-6))

    def objective(w):
        x_adv = to_x(w)
        logits = logits_fn(x_adv)
        own = jnp.take_along_axis(logits, y[:, None], axis=-1)[:, 0]
        hinge = jnp.maximum(own - _top_other(logits, y), -kappa)
        # the squared norm directly: ‖·‖² through a square root has a NaN gradient at x' = x
        dist2 = jnp.sum((x_adv - x).reshape(x.shape[0], -1) ** 2, axis=1)
        return jnp.sum(dist2 + c * hinge), (x_adv, dist2, jnp.argmax(logits, -1) != y)

    tx = optax.adam(learning_rate)

    def step(carry, _):
        w, opt_state, best_x, best_d2 = carry
        grad, (x_adv, d2, fooled) = jax.grad(objective, has_aux=True)(w)
        better = fooled & (d2 < best_d2)
        mask = better.reshape((-1,) + (1,) * (x.ndim - 1))
        updates, opt_state = tx.update(grad, opt_state)
        return (optax.apply_updates(w, updates), opt_state, jnp.where(mask, x_adv, best_x),
                jnp.where(better, d2, best_d2)), None

    init = (w0, tx.init(w0), x, jnp.full(x.shape[0], jnp.inf))
    (_, _, best_x, _), _ = lax.scan(step, init, None, length=num_steps)
    return best_x


def madry_loss(key: jax.Array, logits_fn_of_params: Callable[[Any, jax.Array], jax.Array],
               params: Any, x: Any, y: Any, *, eps: Any, step_size: Any, num_steps: int,
               norm: str = "linf", bounds: tuple[float, float] = (0.0, 1.0)) -> jax.Array:
    """Adversarial training loss mean ℓ(f_θ(x_PGD), y), with x_PGD found for the current θ
    and treated as a constant (Danskin)."""
    x_adv = pgd(key, lambda z: logits_fn_of_params(params, z), x, y, eps=eps,
                step_size=step_size, num_steps=num_steps, norm=norm, bounds=bounds)
    return _cross_entropy(logits_fn_of_params(params, lax.stop_gradient(x_adv)), y).mean()


def trades_loss(key: jax.Array, logits_fn_of_params: Callable[[Any, jax.Array], jax.Array],
                params: Any, x: Any, y: Any, *, eps: Any, step_size: Any, num_steps: int,
                beta: Any = 6.0, norm: str = "linf", bounds: tuple[float, float] = (0.0, 1.0)
                ) -> jax.Array:
    """TRADES: mean[ℓ(f_θ(x), y) + β·KL(softmax f_θ(x) ‖ softmax f_θ(x'))], where x'
    maximises the KL in the ε-ball by PGD (x' then held constant)."""
    _check_pgd(eps, step_size, num_steps, norm, 1)
    check_positive(beta, "beta", strict=False)
    x = jnp.asarray(x)
    logits = logits_fn_of_params(params, x)
    p_clean = lax.stop_gradient(jax.nn.softmax(logits))
    x_adv = _pgd_maximise(
        key, lambda z: kl_divergence(p_clean, jax.nn.softmax(logits_fn_of_params(params, z))), x,
        eps=eps, step_size=step_size, num_steps=num_steps, norm=norm, random_start=True,
        restarts=1, bounds=bounds)
    kl = kl_divergence(jax.nn.softmax(logits),
                       jax.nn.softmax(logits_fn_of_params(params, lax.stop_gradient(x_adv))))
    return jnp.mean(_cross_entropy(logits, y) + beta * kl)


def clopper_pearson_lower(k: Any, n: Any, alpha: Any) -> jax.Array:
    """One-sided (1 − α) Clopper–Pearson lower bound on a binomial p from k successes in n:
    the p with P(Bin(n, p) ≥ k) = α, i.e. I_p(k, n − k + 1) = α (0 when k = 0); solved by
    bisection on the regularised incomplete beta function."""
    k, n = jnp.asarray(k, float), jnp.asarray(n, float)
    a, b = jnp.maximum(k, 1.0), n - k + 1.0

    def step(_, ends):
        lo, hi = ends
        mid = 0.5 * (lo + hi)
        below = betainc(a, b, mid) < alpha
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = lax.fori_loop(0, 60, step, (jnp.zeros_like(k), jnp.ones_like(k)))
    return jnp.where(k > 0, 0.5 * (lo + hi), 0.0)


def _class_counts(key: jax.Array, logits_fn: LogitsFn, x: jax.Array, sigma: Any, num: int,
                  num_classes: int, batch_size: int) -> jax.Array:
    """Counts of argmax f(x + δ), δ ~ N(0, σ²I), over ``num`` draws in batches."""
    num_batches = -(-num // batch_size)

    def body(counts, inputs):
        k, i = inputs
        noisy = x[None] + sigma * jax.random.normal(k, (batch_size,) + x.shape)
        valid = i * batch_size + jnp.arange(batch_size) < num
        preds = jax.nn.one_hot(jnp.argmax(logits_fn(noisy), -1), num_classes)
        return counts + jnp.sum(preds * valid[:, None], axis=0), None

    counts, _ = lax.scan(body, jnp.zeros(num_classes),
                         (jax.random.split(key, num_batches), jnp.arange(num_batches)))
    return counts


def smoothed_certify(key: jax.Array, logits_fn: LogitsFn, x: Any, *, sigma: Any, n0: int, n: int,
                     alpha: Any, num_classes: int, batch_size: int = 1000
                     ) -> tuple[jax.Array, jax.Array]:
    """CERTIFY of Cohen et al. (2019) for one input ``x`` (no batch axis).

    Guess c_A from n0 noisy draws, count it in n fresh draws, p̲_A = Clopper–Pearson lower
    bound at level 1 − α; return (c_A, σ·Φ⁻¹(p̲_A)) if p̲_A > ½, else (−1, 0). The returned
    class is, with probability ≥ 1 − α, the smoothed prediction on the whole ℓ₂ ball.
    """
    check_positive(sigma, "sigma")
    check_int(n0, "n0", minimum=1)
    check_int(n, "n", minimum=1)
    check_range(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    check_int(num_classes, "num_classes", minimum=2)
    check_int(batch_size, "batch_size", minimum=1)
    x = jnp.asarray(x)
    k0, k1 = jax.random.split(key)
    guess = jnp.argmax(_class_counts(k0, logits_fn, x, sigma, n0, num_classes, min(batch_size, n0)))
    counts = _class_counts(k1, logits_fn, x, sigma, n, num_classes, min(batch_size, n))
    p_lower = clopper_pearson_lower(counts[guess], n, alpha)
    certified = p_lower > 0.5
    return (jnp.where(certified, guess, -1),
            jnp.where(certified, sigma * ndtri(jnp.clip(p_lower, 0.5, 1.0)), 0.0))


def _dense_layers(params: Any) -> list[dict]:
    """The ``Dense_i`` layers of an ``MLP`` parameter tree (``{'params': ...}`` or inner), in order."""
    tree = params.get("params", params)
    names = sorted((k for k in tree if k.startswith("Dense_")), key=lambda k: int(k.split("_")[1]))
    if not names:
        raise ValueError("params must be an MLP parameter tree with Dense_0, Dense_1, ... layers")
    return [tree[k] for k in names]


def _hidden_bounds(layers: list[dict], lower: jax.Array, upper: jax.Array):
    """Centre and radius of the box after every hidden Dense+ReLU layer."""
    lo, up = lower.reshape(lower.shape[0], -1), upper.reshape(upper.shape[0], -1)
    for layer in layers[:-1]:
        mu, r = 0.5 * (up + lo), 0.5 * (up - lo)
        mu, r = mu @ layer["kernel"] + layer["bias"], r @ jnp.abs(layer["kernel"])
        lo, up = jax.nn.relu(mu - r), jax.nn.relu(mu + r)
    return 0.5 * (up + lo), 0.5 * (up - lo)


def interval_bounds(params: Any, lower: Any, upper: Any) -> tuple[jax.Array, jax.Array]:
    """Elementwise bounds (l, u) on the logits of a ReLU ``MLP`` (``residual=False``) over the
    input box [lower, upper], by interval bound propagation."""
    layers = _dense_layers(params)
    mu, r = _hidden_bounds(layers, jnp.asarray(lower), jnp.asarray(upper))
    last = layers[-1]
    mu, r = mu @ last["kernel"] + last["bias"], r @ jnp.abs(last["kernel"])
    return mu - r, mu + r


def _margin_lower_bounds(params: Any, x: jax.Array, y: jax.Array, eps: Any,
                         bounds: tuple[float, float]) -> jax.Array:
    """Lower bounds on z_y − z_j (batch, classes) over the ℓ∞ ε-ball ∩ box: the last layer is
    folded into the specification, c_j = W[:, y] − W[:, j]."""
    _check_eps(eps)
    x = jnp.asarray(x)
    layers = _dense_layers(params)
    mu, r = _hidden_bounds(layers, jnp.clip(x - eps, *bounds), jnp.clip(x + eps, *bounds))
    W, b = layers[-1]["kernel"], layers[-1]["bias"]
    C = W.T[y][:, :, None] - W[None]  # (batch, hidden, classes)
    return (jnp.einsum("bh,bhc->bc", mu, C) - jnp.einsum("bh,bhc->bc", r, jnp.abs(C))
            + b[y][:, None] - b[None])


def ibp_verified(params: Any, x: Any, y: Any, eps: Any, bounds: tuple[float, float] = (0.0, 1.0)
                 ) -> jax.Array:
    """True where IBP proves min_{‖δ‖∞≤ε} (z_y − max_{j≠y} z_j)(x + δ) > 0."""
    margins = _margin_lower_bounds(params, x, y, eps, bounds)
    own = jax.nn.one_hot(y, margins.shape[-1], dtype=bool)
    return jnp.min(jnp.where(own, jnp.inf, margins), axis=-1) > 0


def ibp_loss(params: Any, x: Any, y: Any, *, eps: Any, kappa: Any = 0.5,
             bounds: tuple[float, float] = (0.0, 1.0)) -> jax.Array:
    """Gowal et al.: κ·ℓ(z(x), y) + (1 − κ)·ℓ(ẑ, y), with worst-case logits ẑ_j = −m̲_j from
    the margin lower bounds m̲_j of z_y − z_j (ẑ_y = 0)."""
    check_range(kappa, "kappa", low=0.0, high=1.0)
    x, y = jnp.asarray(x), jnp.asarray(y)
    clean, _ = interval_bounds(params, x, x)
    worst = -_margin_lower_bounds(params, x, y, eps, bounds)
    return jnp.mean(kappa * _cross_entropy(clean, y) + (1 - kappa) * _cross_entropy(worst, y))


def robust_accuracy(key: jax.Array, logits_fn: LogitsFn, x: Any, y: Any, eps_grid: Any,
                    attack: str = "pgd", *, num_steps: int = 20, norm: str = "linf",
                    restarts: int = 1, bounds: tuple[float, float] = (0.0, 1.0)) -> jax.Array:
    """Accuracy of ``logits_fn`` on attacked inputs for each ε in ``eps_grid`` (PGD uses
    step size 2.5·ε/num_steps). ``eps_grid`` is concrete (a sequence or array), so the function
    can be jitted over the model's parameters."""
    check_option(attack, "attack", ("fgsm", "pgd"))
    eps_grid = np.atleast_1d(np.asarray(eps_grid, float))
    if np.any(eps_grid < 0):
        raise ValueError("eps_grid must be >= 0")
    eps_grid = jnp.asarray(eps_grid)
    x, y = jnp.asarray(x), jnp.asarray(y)
    if attack == "pgd":
        _check_pgd(0.0, 0.0, num_steps, norm, restarts)
    elif norm != "linf":
        raise ValueError(f"norm must be 'linf' for attack='fgsm', got {norm!r}")

    def one(eps):
        if attack == "fgsm":
            x_adv = fgsm(logits_fn, x, y, eps=eps, bounds=bounds)
        else:
            x_adv = _pgd_maximise(key, lambda z: _cross_entropy(logits_fn(z), y), x, eps=eps,
                                  step_size=2.5 * eps / num_steps, num_steps=num_steps, norm=norm,
                                  random_start=True, restarts=restarts, bounds=bounds)
        return jnp.mean(jnp.argmax(logits_fn(x_adv), -1) == y)

    return jax.lax.map(one, eps_grid)
