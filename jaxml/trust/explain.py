"""Model explanations: Shapley values (exact, permutation sampling, Kernel SHAP), LIME and
counterfactuals.

**Shapley values** of a value function v over the players N = {1, …, d}:

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (d − |S| − 1)! / d! · (v(S ∪ {i}) − v(S)).

For a model f, an input x and a background set {b_k} the value of a coalition is the
interventional expectation v(S) = (1/K) Σ_k f(x_S, b_{k,S̄}) (features in S from x, the
rest from the background row) — the definition of shap's Exact and Kernel explainers with
an independent masker. φ satisfies efficiency Σ_i φ_i = v(N) − v(∅), symmetry, dummy and
linearity; for f(x) = w·x + c, φ_i = w_i (x_i − mean_k b_{k,i}).

* :func:`exact_shapley` enumerates all 2^d coalitions (d ≤ 16).
* :func:`permutation_shapley` (Castro et al. 2009): for random orderings π, φ_i is the
  mean of v(P_i^π ∪ {i}) − v(P_i^π), P_i^π the players before i; each ordering is used
  forwards and reversed (antithetic pairs).
* :func:`kernel_shap` (Lundberg & Lee 2017): weighted least squares of v(S) − v(∅) on the
  coalition indicators z_S with the Shapley kernel π(S) = (d − 1)/(C(d, |S|)|S|(d − |S|))
  and the efficiency constraint imposed exactly (one coefficient eliminated). With
  ``num_samples=None`` every coalition is used and the solution is the exact φ; otherwise
  coalitions are drawn with probability ∝ π(S) (size first, then a uniform subset, each
  with its complement) and weighted equally.

**LIME** (Ribeiro et al. 2016): a weighted ridge surrogate g(z) = β₀ + βᵀz fitted to f
on perturbations z near x with weights exp(−D(x, z)²/ω²). Tabular: z = x + s ⊙ ε,
ε ∼ N(0, I), s the per-feature scale, D the scaled Euclidean distance. Signals: the
signal is cut into segments, z ∈ {0, 1}^m switches segments on (kept) or off (replaced by
the baseline), D = √(m − Σz)·/√m (the fraction of segments switched off).

**Counterfactuals** (Wachter, Mittelstadt & Russell 2017): x' minimising
λ (f(x') − y*)² + Σ_i |x'_i − x_i| / MAD_i, with λ doubled until f(x') reaches the target
side of 0.5 (for a probability f) — the L1 term, scaled by each feature's median absolute
deviation, keeps x' sparse; an optional plausibility weight adds the squared distance to
the nearest training example whose prediction is on the target side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int, check_positive

MAX_EXACT_FEATURES = 16


def _check_inputs(x: Any, background: Any) -> tuple[jax.Array, jax.Array]:
    x, background = jnp.asarray(x, jnp.float32), jnp.asarray(background, jnp.float32)
    if x.ndim != 1:
        raise ValueError(f"x must be one example (1-D), got shape {x.shape}")
    if background.ndim != 2 or background.shape[0] == 0 or background.shape[1] != x.shape[0]:
        raise ValueError(f"background must be a non-empty (K, {x.shape[0]}) array, got shape {background.shape}")
    return x, background


def coalition_values(f: Callable, x: Any, background: Any, masks: Any) -> jax.Array:
    """v(S) for each boolean row of ``masks`` (M, d): mean over the background of f with
    the features in S taken from x. ``f`` maps (n, d) to (n,)."""
    x, background = _check_inputs(x, background)
    masks = jnp.asarray(masks, bool)

    def value(mask):
        return jnp.mean(f(jnp.where(mask, x, background)))

    return jax.lax.map(value, masks)


def _all_masks(d: int) -> np.ndarray:
    codes = np.arange(2 ** d)
    return ((codes[:, None] >> np.arange(d)) & 1).astype(bool)


def exact_shapley(f: Callable, x: Any, background: Any) -> jax.Array:
    """φ by enumerating all 2^d coalitions (module docstring); d ≤ 16."""
    x, background = _check_inputs(x, background)
    d = x.shape[0]
    if d > MAX_EXACT_FEATURES:
        raise ValueError(f"exact_shapley enumerates 2^d coalitions; d must be <= {MAX_EXACT_FEATURES}, got {d}")
    masks = _all_masks(d)
    v = np.asarray(coalition_values(f, x, background, masks), np.float64)
    sizes = masks.sum(1)
    weight = np.array([math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) if s < d else 0.0
                       for s in range(d + 1)])
    codes = np.arange(2 ** d)
    phi = np.zeros(d)
    for i in range(d):
        without = codes[~masks[:, i]]
        phi[i] = np.sum(weight[sizes[without]] * (v[without | (1 << i)] - v[without]))
    return jnp.asarray(phi)


def permutation_shapley(key: jax.Array, f: Callable, x: Any, background: Any, *, num_permutations: int = 100
                        ) -> jax.Array:
    """Permutation-sampling estimate of φ from ``num_permutations`` antithetic pairs."""
    x, background = _check_inputs(x, background)
    num_permutations = check_int(num_permutations, "num_permutations", minimum=1)
    d = x.shape[0]
    perms = jax.vmap(lambda k: jax.random.permutation(k, d))(jax.random.split(key, num_permutations))
    perms = jnp.concatenate([perms, perms[:, ::-1]])
    ranks = jnp.argsort(perms, axis=1)  # position of each player in its ordering
    prefixes = ranks[:, None, :] < jnp.arange(d + 1)[None, :, None]  # (P, d+1, d): first j players
    v = coalition_values(f, x, background, prefixes.reshape(-1, d)).reshape(-1, d + 1)
    gains = jnp.diff(v, axis=1)  # gains[p, j]: the contribution of player perms[p, j]
    phi = jnp.zeros(d).at[perms.ravel()].add(gains.ravel())
    return phi / perms.shape[0]


def _kernel_weight(d: int, size: np.ndarray) -> np.ndarray:
    binom = np.array([math.comb(d, int(s)) for s in size], float)
    return (d - 1) / (binom * size * (d - size))


def kernel_shap(f: Callable, x: Any, background: Any, *, num_samples: int | None = None,
                key: jax.Array | None = None) -> jax.Array:
    """Kernel SHAP (module docstring): exact over all coalitions when ``num_samples`` is
    None (d ≤ 16), else from ``num_samples`` sampled coalitions (with ``key``)."""
    x, background = _check_inputs(x, background)
    d = x.shape[0]
    if d < 2:
        raise ValueError(f"kernel_shap needs at least 2 features, got {d}")
    if num_samples is None:
        if d > MAX_EXACT_FEATURES:
            raise ValueError(f"exact Kernel SHAP needs d <= {MAX_EXACT_FEATURES}; pass num_samples, got d={d}")
        masks = _all_masks(d)[1:-1]
        weights = _kernel_weight(d, masks.sum(1))
    else:
        num_samples = check_int(num_samples, "num_samples", minimum=2)
        if key is None:
            raise ValueError("key is required when num_samples is given")
        sizes = np.arange(1, d)
        p_size = _kernel_weight(d, sizes) * np.array([math.comb(d, int(s)) for s in sizes])
        k_size, k_pick = jax.random.split(key)
        half = num_samples // 2
        drawn = np.asarray(jax.random.choice(k_size, sizes, (half,), p=jnp.asarray(p_size / p_size.sum())))
        scores = np.asarray(jax.random.uniform(k_pick, (half, d)))
        order = np.argsort(scores, axis=1)
        masks = np.zeros((half, d), bool)
        for r, s in enumerate(drawn):
            masks[r, order[r, :s]] = True
        masks = np.concatenate([masks, ~masks])  # paired with complements
        weights = np.ones(len(masks))
    ends = np.asarray(coalition_values(f, x, background, np.stack([np.zeros(d, bool), np.ones(d, bool)])),
                      np.float64)
    v = np.asarray(coalition_values(f, x, background, masks), np.float64) - ends[0]
    total = ends[1] - ends[0]
    z = masks.astype(np.float64)
    design = z[:, :-1] - z[:, -1:]
    target = v - z[:, -1] * total
    sw = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], target * sw, rcond=None)
    return jnp.asarray(np.append(coef, total - coef.sum()))


# ----------------------------------------------------------------------------- LIME
class Surrogate(NamedTuple):
    """A local linear surrogate: ``intercept`` + ``coef`` · z, its weighted R² ``score``."""

    intercept: float
    coef: jax.Array
    score: float


def _weighted_ridge(Z: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> Surrogate:
    zm, ym = np.average(Z, 0, w), np.average(y, weights=w)
    Zc, yc = Z - zm, y - ym
    gram = (Zc * w[:, None]).T @ Zc + alpha * np.eye(Z.shape[1])
    coef = np.linalg.solve(gram, (Zc * w[:, None]).T @ yc)
    resid = yc - Zc @ coef
    score = 1 - np.sum(w * resid ** 2) / max(np.sum(w * yc ** 2), 1e-300)
    return Surrogate(float(ym - zm @ coef), jnp.asarray(coef), float(score))


def lime_tabular(key: jax.Array, f: Callable, x: Any, scale: Any, *, num_samples: int = 1000,
                 kernel_width: float | None = None, alpha: float = 1e-6) -> Surrogate:
    """LIME for a tabular input (module docstring): ``scale`` (d,) per-feature scale (e.g.
    the training standard deviation); kernel width ω defaults to 0.75·√d."""
    x = jnp.asarray(x, jnp.float32)
    scale = jnp.asarray(scale, jnp.float32)
    if x.ndim != 1 or scale.shape != x.shape:
        raise ValueError(f"x must be 1-D and scale of the same shape, got {x.shape} and {scale.shape}")
    num_samples = check_int(num_samples, "num_samples", minimum=2)
    width = 0.75 * math.sqrt(x.shape[0]) if kernel_width is None else check_positive(kernel_width, "kernel_width")
    eps = jax.random.normal(key, (num_samples, x.shape[0]))
    Z = x + eps * scale
    w = np.exp(-np.sum(np.asarray(eps, np.float64) ** 2, 1) / width ** 2)
    return _weighted_ridge(np.asarray(Z, np.float64), np.asarray(f(Z), np.float64), w, alpha)


def lime_signal(key: jax.Array, f: Callable, x: Any, *, num_segments: int, baseline: Any = None,
                num_samples: int = 1000, kernel_width: float = 0.25, alpha: float = 1e-6) -> Surrogate:
    """LIME for a 1-D signal: coefficients of the ``num_segments`` contiguous segments
    (switched off = replaced by ``baseline``, default the signal's mean)."""
    x = jnp.asarray(x, jnp.float32)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D signal, got shape {x.shape}")
    num_segments = check_int(num_segments, "num_segments", minimum=1)
    if num_segments > x.shape[0]:
        raise ValueError(f"num_segments must be <= the signal length {x.shape[0]}, got {num_segments}")
    num_samples = check_int(num_samples, "num_samples", minimum=2)
    check_positive(kernel_width, "kernel_width")
    base = jnp.full_like(x, jnp.mean(x)) if baseline is None else jnp.broadcast_to(jnp.asarray(baseline, x.dtype), x.shape)
    segment = jnp.asarray(np.arange(x.shape[0]) * num_segments // x.shape[0])
    on = jax.random.bernoulli(key, 0.5, (num_samples, num_segments))
    signals = jnp.where(on[:, segment], x, base)
    off = 1 - np.asarray(on, np.float64).mean(1)
    w = np.exp(-off / kernel_width ** 2)
    return _weighted_ridge(np.asarray(on, np.float64), np.asarray(f(signals), np.float64), w, alpha)


# ----------------------------------------------------------------------------- counterfactuals
class Counterfactual(NamedTuple):
    x: jax.Array
    prediction: float
    valid: bool
    changed: int
    lam: float


def counterfactual(f: Callable, x: Any, X_train: Any, *, target: float = 1.0, lam: float = 0.1,
                   max_rounds: int = 12, steps: int = 300, learning_rate: float = 0.05,
                   plausibility: float = 0.0, tol: float = 1e-3) -> Counterfactual:
    """Wachter et al.'s counterfactual for a probability model ``f`` ((n, d) → (n,)) from
    ``x`` towards ``target`` ∈ {0, 1} (module docstring): ``steps`` proximal-gradient
    steps per round, λ doubled each round until the prediction crosses 0.5. ``changed`` counts
    features moved by more than ``tol``·MAD."""
    x, X_train = _check_inputs(x, X_train)
    if target not in (0.0, 1.0):
        raise ValueError(f"target must be 0 or 1, got {target}")
    check_positive(lam, "lam")
    max_rounds = check_int(max_rounds, "max_rounds", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    check_positive(plausibility, "plausibility", strict=False)
    mad = jnp.median(jnp.abs(X_train - jnp.median(X_train, 0)), 0)
    mad = jnp.where(mad > 0, mad, 1.0)
    pred_train = f(X_train)
    on_target = (pred_train > 0.5) == (target > 0.5)
    def smooth(z, lam):
        fit = lam * (f(z[None])[0] - target) ** 2
        d2 = jnp.sum(((X_train - z) / mad) ** 2, 1)
        near = jnp.min(jnp.where(on_target, d2, jnp.inf))
        return fit + plausibility * jnp.where(jnp.isfinite(near), near, 0.0)

    @jax.jit
    def solve(z, lam):
        # proximal gradient (ISTA): a gradient step on the smooth part, then the L1 term's
        # soft threshold around x — features the gradient does not push stay exactly at x
        def step(z, _):
            u = z - learning_rate * jax.grad(smooth)(z, lam) - x
            return x + jnp.sign(u) * jnp.maximum(jnp.abs(u) - learning_rate / mad, 0.0), None

        return jax.lax.scan(step, z, None, length=steps)[0]

    z = x
    for _ in range(max_rounds):
        z = solve(z, lam)
        p = float(f(z[None])[0])
        if (p > 0.5) == (target > 0.5):
            break
        lam *= 2
    changed = int(jnp.sum(jnp.abs(z - x) / mad > tol))
    return Counterfactual(z, p, (p > 0.5) == (target > 0.5), changed, lam)
