r"""Two-layer networks in mean-field and NTK scaling: lazy training vs feature learning.

**The network.** N hidden units ("particles") θ_i = (a_i, w_i) ∈ R × R^d,

    f(θ, x) = N^{−α} Σ_{i=1}^N a_i σ(⟨w_i, x⟩),   a_i ~ N(0, 1), w_i ~ N(0, I_d/d),

so with ‖x‖² ≈ d every pre-activation and every particle is O(1) at any width. α = 1 is
the **mean-field** scaling, f = ∫ a σ(⟨w, x⟩) dρ^N(a, w) with ρ^N = (1/N)Σ δ_{θ_i} the
empirical particle measure; α = 1/2 is the **NTK** scaling (Jacot et al. 2018).

**Learning rates with a width-independent limit.** Full-batch GD on
L(θ) = (1/2n)Σ_j (f(θ, x_j) − y_j)² moves particle i by
Δθ_i = −η N^{−α} (1/n)Σ_j r_j ∇_θ[a σ(⟨w, x_j⟩)]|_{θ_i} (r = f − y), and changes the
function by Δf(x) ≈ −(η/n) Σ_j Θ(x, x_j) r_j with tangent kernel
Θ(x, x′) = N^{−2α} Σ_i [σ(⟨w_i,x⟩)σ(⟨w_i,x′⟩) + a_i² σ′(⟨w_i,x⟩)σ′(⟨w_i,x′⟩)⟨x, x′⟩].
Taking η = η₀ N^{2α−1} makes ηΘ = η₀ · (1/N)Σ_i k(θ_i; x, x′) → η₀ E_ρ₀[k], the same
first-step function change at every width and in both scalings (:func:`learning_rate`):

* mean-field, η = η₀ N: Δθ_i = O(η₀) — every particle moves O(1) and the empirical measure
  follows the Wasserstein gradient flow ∂_t ρ = ∇_θ·(ρ ∇_θ Ψ(θ; ρ)),
  Ψ(θ; ρ) = E_x[(f_ρ(x) − y(x)) a σ(⟨w, x⟩)] (Mei, Montanari & Nguyen 2018, "A mean field
  view of the landscape of two-layer neural networks"; Chizat & Bach 2018; Rotskoff &
  Vanden-Eijnden 2018). ρ^N_t → ρ_t as N → ∞, so loss curves and particle distributions
  converge to width-independent limits; the features w_i are learned.
* NTK, η = η₀: Δθ_i = O(η₀ N^{−1/2}) — the function moves O(1) while each particle moves
  O(N^{−1/2}), so the relative weight change ‖θ_T − θ₀‖/‖θ₀‖ ∝ N^{−1/2} and training is
  *lazy*: the network stays in the linear regime of its initialisation (Chizat, Oyallon &
  Bach 2019, "On lazy training in differentiable programming": the output scale N^{1/2}
  relative to mean-field is their scale factor, laziness ∝ 1/scale).

At initialisation the two scalings are the same function when the mean-field output
weights are multiplied by √N: N^{−1}Σ(√N a_i)σ = N^{−1/2}Σ a_iσ.

Training reuses :func:`jaxml.theory.ntk.mse_gd`; :func:`width_sweep` runs it for several
widths, ``vmap``-ed over seeds, one compilation per width and scaling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxml.core import check_array, check_int, check_option, check_positive
from jaxml.theory.ntk import mse_gd

__all__ = ["SCALINGS", "ACTIVATIONS", "output_exponent", "init_particles", "make_apply",
           "learning_rate", "particles", "weight_change", "train", "width_sweep"]

SCALINGS = ("mean_field", "ntk")
ACTIVATIONS = ("relu", "tanh")
_ALPHA = {"mean_field": 1.0, "ntk": 0.5}
_PHI = {"relu": jax.nn.relu, "tanh": jnp.tanh}


def output_exponent(scaling: str) -> float:
    """α of the output normalisation N^{−α}: 1 for ``"mean_field"``, 1/2 for ``"ntk"``."""
    return _ALPHA[check_option(scaling, "scaling", SCALINGS)]


def init_particles(key: jax.Array, n_units: int, dim: int) -> dict[str, jax.Array]:
    """N particles: ``{"a": (N,) ~ N(0, 1), "w": (N, d) ~ N(0, I/d)}``."""
    n_units = check_int(n_units, "n_units", minimum=1)
    dim = check_int(dim, "dim", minimum=1)
    ka, kw = jax.random.split(key)
    return {"a": jax.random.normal(ka, (n_units,)),
            "w": jax.random.normal(kw, (n_units, dim)) / jnp.sqrt(dim)}


def make_apply(scaling: str, activation: str = "relu") -> Callable[[Any, jax.Array], jax.Array]:
    """``apply_fn(params, x) -> (n, 1)``: f(x) = N^{−α} Σ_i a_i σ(⟨w_i, x⟩) (N from ``params``)."""
    alpha = output_exponent(scaling)
    phi = _PHI[check_option(activation, "activation", ACTIVATIONS)]

    def apply_fn(params: Any, x: jax.Array) -> jax.Array:
        n_units = params["a"].shape[0]
        return (phi(x @ params["w"].T) @ params["a"])[:, None] / n_units ** alpha

    return apply_fn


def learning_rate(scaling: str, n_units: int, base_lr: float) -> float:
    """η = η₀ N^{2α−1}: η₀ N for mean-field, η₀ for NTK (width-independent limits)."""
    alpha = output_exponent(scaling)
    n_units = check_int(n_units, "n_units", minimum=1)
    check_positive(base_lr, "base_lr")
    return float(base_lr) * n_units ** (2 * alpha - 1)


def particles(params: Any) -> jax.Array:
    """The particles as rows (a_i, w_i) of an (N, d + 1) array (leading batch axes kept)."""
    return jnp.concatenate([params["a"][..., None], params["w"]], axis=-1)


def weight_change(params0: Any, params: Any, *, relative: bool = True) -> jax.Array:
    """Movement of the particles during training.

    relative: ‖θ_T − θ₀‖ / ‖θ₀‖ over all units (Frobenius norms of the (N, d+1) particle
    arrays); absolute: the per-unit RMS √((1/N)Σ_i ‖θ_{i,T} − θ_{i,0}‖²). Both are O(1)
    under mean-field training and ∝ N^{−1/2} under NTK training. Leading axes (seeds)
    are kept.
    """
    p0, p1 = particles(params0), particles(params)
    moved = jnp.sum((p1 - p0) ** 2, axis=(-2, -1))
    if relative:
        return jnp.sqrt(moved / jnp.sum(p0 ** 2, axis=(-2, -1)))
    return jnp.sqrt(moved / p0.shape[-2])


def train(params: Any, x: Any, y: Any, *, scaling: str, base_lr: float, steps: int,
          record_every: int = 1, activation: str = "relu") -> tuple[Any, jax.Array]:
    """Full-batch GD on ½·mean squared error at η = :func:`learning_rate` (via ``mse_gd``).

    Args:
      params: ``{"a": (N,), "w": (N, d)}`` (e.g. from :func:`init_particles`).
      x: (n, d) inputs; y: (n,) or (n, 1) targets.
      scaling: ``"mean_field"`` or ``"ntk"``.
      base_lr: η₀.
      steps, record_every: GD steps and the spacing of the recorded losses.
      activation: ``"relu"`` or ``"tanh"``.

    Returns:
      ``(params_T, losses)`` with losses (steps // record_every + 1,), L at steps
      0, record_every, …, steps.
    """
    y = check_array(y, "y", ndim=(1, 2), dtype_kind="f").reshape(-1, 1)
    n_units = params["a"].shape[0]
    lr = learning_rate(scaling, n_units, base_lr)
    params_t, outs = mse_gd(make_apply(scaling, activation), params, x, y, lr=lr, steps=steps,
                            x_eval=x, record_every=record_every)
    return params_t, 0.5 * jnp.mean(jnp.sum((outs - y) ** 2, axis=-1), axis=-1)


def width_sweep(key: jax.Array, x: Any, y: Any, *, widths: Sequence[int], scaling: str,
                seeds: int, base_lr: float, steps: int, record_every: int = 1,
                activation: str = "relu", progress: Callable | None = None) -> list[dict]:
    """Train ``seeds`` independent networks at each width (``vmap`` over seeds).

    Seed s at width N is initialised from ``fold_in(fold_in(key, s), N)``, the same keys in
    both scalings, so the two scalings start from the same particles.

    Args:
      key: PRNG key.
      x, y: training data, as in :func:`train`.
      widths: the N's (each ≥ 1).
      scaling, seeds, base_lr, steps, record_every, activation: as in :func:`train`.
      progress: optional wrapper of the widths iterable (e.g. ``tqdm``).

    Returns:
      one dict per width: ``width``, ``params0`` and ``params`` (leaves with a leading seed
      axis), ``weight_change`` (seeds,) relative, ``unit_movement`` (seeds,) absolute,
      ``loss`` (seeds, steps // record_every + 1).
    """
    x = check_array(x, "x", ndim=2, dtype_kind="f")
    widths = [check_int(w, "widths entry", minimum=1) for w in widths]
    if not widths:
        raise ValueError("widths must not be empty")
    seeds = check_int(seeds, "seeds", minimum=1)
    output_exponent(scaling)
    check_option(activation, "activation", ACTIVATIONS)
    seed_keys = jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.arange(seeds))
    out = []
    for n_units in (progress or iter)(widths):

        @jax.jit
        def run(keys, n_units=n_units):
            params0 = jax.vmap(lambda k: init_particles(jax.random.fold_in(k, n_units), n_units, x.shape[1]))(keys)
            params, loss = jax.vmap(lambda p: train(p, x, y, scaling=scaling, base_lr=base_lr, steps=steps,
                                                    record_every=record_every, activation=activation))(params0)
            return params0, params, loss

        params0, params, loss = run(seed_keys)
        out.append({"width": n_units, "params0": params0, "params": params, "loss": loss,
                    "weight_change": weight_change(params0, params),
                    "unit_movement": weight_change(params0, params, relative=False)})
    return out
