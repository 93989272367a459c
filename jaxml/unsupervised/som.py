r"""Self-organising maps (Kohonen): online and batch training on a rectangular grid.

A map has :math:`m = ` ``n_rows`` :math:`\times` ``n_cols`` units; unit :math:`j` sits at
grid position :math:`r_j = (\text{row}, \text{col}) \in \mathbb Z^2` (row-major order,
:func:`grid_coordinates`) and carries a codebook vector :math:`w_j \in \mathbb R^d`. The
*best-matching unit* (BMU) of :math:`x` is :math:`c(x) = \arg\min_j \lVert x - w_j
\rVert^2` (ties to the lowest index). The Gaussian neighbourhood of radius
:math:`\sigma` is

.. math:: h_{jc}(\sigma) = \exp\!\big(-\lVert r_j - r_c \rVert^2 / (2\sigma^2)\big).

**Online SOM** (Kohonen, 1982). One step on a sample :math:`x(t)`:

.. math:: w_j \leftarrow w_j + \alpha(t)\, h_{j c(x(t))}(\sigma(t))\, (x(t) - w_j).

``fit`` runs ``n_epochs`` passes, each over a fresh random permutation of the data, as
one ``lax.scan`` of :math:`T = ` ``n_epochs`` :math:`\cdot n` steps.

**Batch SOM** (Kohonen, 2001, §3.14). One step, with every BMU :math:`c_i = c(x_i)` taken
under the current codebook:

.. math:: w_j \leftarrow \frac{\sum_i h_{j c_i}(\sigma)\, x_i}{\sum_i h_{j c_i}(\sigma)}

(a unit whose denominator underflows to 0 keeps its vector); ``fit`` runs one step per
epoch. As :math:`\sigma \to 0`, :math:`h_{jc} \to \delta_{jc}` and the batch step is
exactly a Lloyd (k-means) step with the units as centres (tested against
:func:`jaxml.unsupervised.kmeans.lloyd`).

**Schedules.** For step :math:`t = 0, \dots, T-1` (epochs for the batch map) and
:math:`s = t / \max(T - 1, 1)`, radius and learning rate go from their initial to their
final values either *exponentially* (geometric interpolation, :math:`\sigma(t) =
\sigma_0 (\sigma_T / \sigma_0)^s`, i.e. :math:`\sigma_0 e^{-t/\tau}` with :math:`\tau`
set by the end value) or *linearly* (:math:`\sigma(t) = \sigma_0 + s(\sigma_T -
\sigma_0)`). The default initial radius is :math:`\max(\text{n\_rows},
\text{n\_cols})/2`.

**Initialisation.** ``"random"``: :math:`m` distinct random rows of ``X`` (drawn with
replacement when :math:`m > n`); ``"pca"``: the grid laid on the plane of the first two
principal components, :math:`w_{(a, b)} = \bar x + u_a \sqrt{\lambda_1} v_1 + u_b
\sqrt{\lambda_2} v_2` with :math:`u` evenly spaced in :math:`[-1, 1]` (Kohonen's linear
initialisation); or an ``(m, d)`` array.

**Quality measures.** The *quantisation error* is the mean distance of a point to its
BMU, :math:`\frac1n \sum_i \lVert x_i - w_{c_i} \rVert`. The *topographic error*
(Kiviluoto, 1996) is the fraction of points whose best and second-best units are not
adjacent on the grid; adjacency is the 8-neighbourhood (Chebyshev distance 1, MiniSom's
rectangular convention) or, with ``diagonal=False``, the 4-neighbourhood.

References:
  Kohonen, "Self-organized formation of topologically correct feature maps", Biological
  Cybernetics 1982.
  Kohonen, *Self-Organizing Maps*, 3rd ed., Springer 2001.
  Kiviluoto, "Topology preservation in self-organizing maps", ICNN 1996.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxml.classical.kernels import squared_distances
from jaxml.core import (
    Clusterer,
    check_array,
    check_bool,
    check_int,
    check_n_features,
    check_option,
    check_positive,
    check_X,
    pytree_dataclass,
    static_field,
)

__all__ = [
    "SOMParams",
    "batch_step",
    "best_matching_units",
    "decay",
    "grid_coordinates",
    "neighbourhood",
    "online_step",
    "quantization_error",
    "som",
    "topographic_error",
]

DECAYS = ("exponential", "linear")
ALGORITHMS = ("online", "batch")


@pytree_dataclass
class SOMParams:
    """A trained self-organising map.

    Attributes:
      weights: ``(n_rows * n_cols, d)`` codebook, unit ``j`` at grid row ``j // n_cols``,
        column ``j % n_cols``.
      grid: ``(n_rows * n_cols, 2)`` grid coordinates of the units.
      labels: ``(n,)`` int32 best-matching unit of each training point.
      quantization_error: of the training data under the final codebook.
      topographic_error: of the training data (8-neighbourhood).
      n_rows, n_cols: the grid shape (static).
    """

    weights: jax.Array
    grid: jax.Array
    labels: jax.Array
    quantization_error: jax.Array
    topographic_error: jax.Array
    n_rows: int = static_field(default=1)
    n_cols: int = static_field(default=1)


# ----------------------------------------------------------------------------- building blocks


def grid_coordinates(n_rows: int, n_cols: int, dtype: Any = None) -> jax.Array:
    """``(n_rows * n_cols, 2)`` (row, column) positions of a rectangular grid, row-major."""
    n_rows = check_int(n_rows, "n_rows", minimum=1)
    n_cols = check_int(n_cols, "n_cols", minimum=1)
    dtype = jnp.result_type(float) if dtype is None else dtype
    r, c = jnp.meshgrid(jnp.arange(n_rows), jnp.arange(n_cols), indexing="ij")
    return jnp.stack([r.ravel(), c.ravel()], axis=1).astype(dtype)


def _bmu(W, X):
    d2 = squared_distances(X, W)
    return jnp.argmin(d2, axis=1).astype(jnp.int32), d2


def best_matching_units(weights: Any, X: Any) -> jax.Array:
    """``(n,)`` int32 index of the nearest unit of each row of ``X``."""
    W, X = _check_weights_data(weights, X)
    return _bmu_jit(W, X)[0]


def _neighbourhood(grid, bmu, sigma):
    diff = grid[:, None, :] - grid[None, bmu, :] if bmu.ndim else grid - grid[bmu]
    g2 = jnp.sum(diff * diff, axis=-1)
    return jnp.exp(-g2 / (2.0 * jnp.asarray(sigma, grid.dtype) ** 2))


_neighbourhood_jit = jax.jit(_neighbourhood)


def neighbourhood(grid: Any, bmu: Any, sigma: Any) -> jax.Array:
    """Gaussian neighbourhood ``h_{j c}`` of every unit ``j`` around unit(s) ``bmu``:
    ``(m,)`` for a scalar ``bmu``, ``(m, n)`` for a vector; ``sigma`` traced."""
    grid = check_array(grid, "grid", ndim=2, dtype_kind="f")
    bmu = check_array(bmu, "bmu", ndim=(0, 1), dtype_kind="i")
    check_positive(sigma, "sigma")
    return _neighbourhood_jit(grid, bmu, sigma)


def decay(start: Any, end: Any, t: Any, n_steps: int, kind: str = "exponential"):
    """The schedule value at step ``t`` of ``n_steps``: ``start`` at 0, ``end`` at
    ``n_steps - 1``, geometric (``"exponential"``) or linear in between."""
    check_option(kind, "kind", DECAYS)
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    return _decay_jit(start, end, t, n_steps, kind)


def _decay(start, end, t, n_steps: int, kind: str):
    s = jnp.asarray(t) / max(n_steps - 1, 1)
    if kind == "linear":
        return start + s * (end - start)
    return start * (end / start) ** s


_decay_jit = jax.jit(_decay, static_argnums=(3, 4))


def _online_step(W, grid, x, sigma, learning_rate):
    c = jnp.argmin(jnp.sum((W - x[None, :]) ** 2, axis=1))
    h = _neighbourhood(grid, c, sigma)
    return W + (learning_rate * h)[:, None] * (x[None, :] - W)


def _batch_step(W, grid, X, sigma):
    bmu, _ = _bmu(W, X)
    H = _neighbourhood(grid, bmu, sigma)  # (m, n)
    num = H @ X
    den = jnp.sum(H, axis=1)
    return jnp.where(den[:, None] > 0, num / jnp.where(den > 0, den, 1.0)[:, None], W)


_online_step_jit = jax.jit(_online_step)
_batch_step_jit = jax.jit(_batch_step)
_bmu_jit = jax.jit(_bmu)


def _check_weights_data(weights, X, grid=None):
    W = check_array(weights, "weights", ndim=2, dtype_kind="f")
    X = check_X(X)
    check_n_features(X, W.shape[1], "X")
    if grid is not None:
        grid = check_array(grid, "grid", ndim=2, dtype_kind="f")
        if grid.shape != (W.shape[0], 2):
            raise ValueError(f"grid must have shape ({W.shape[0]}, 2) to match weights, "
                             f"got {grid.shape}")
    dtype = jnp.result_type(W.dtype, X.dtype)
    return (W.astype(dtype), X.astype(dtype)) if grid is None else (
        W.astype(dtype), X.astype(dtype), grid.astype(dtype))


def online_step(weights: Any, grid: Any, x: Any, sigma: Any, learning_rate: Any) -> jax.Array:
    """One Kohonen update of ``weights (m, d)`` on a sample ``x (d,)``."""
    x = check_array(x, "x", ndim=1, dtype_kind="f")
    W, _, grid = _check_weights_data(weights, x[None, :], grid)
    check_positive(sigma, "sigma")
    check_positive(learning_rate, "learning_rate", strict=False)
    return _online_step_jit(W, grid, x.astype(W.dtype), sigma, learning_rate)


def batch_step(weights: Any, grid: Any, X: Any, sigma: Any) -> jax.Array:
    """One batch-SOM update of ``weights (m, d)`` on all of ``X (n, d)``."""
    W, X, grid = _check_weights_data(weights, X, grid)
    check_positive(sigma, "sigma")
    return _batch_step_jit(W, grid, X, sigma)


def _quantization_error(W, X):
    _, d2 = _bmu(W, X)
    return jnp.mean(jnp.sqrt(jnp.min(d2, axis=1)))


_quantization_error_jit = jax.jit(_quantization_error)


def quantization_error(weights: Any, X: Any) -> jax.Array:
    """Mean Euclidean distance of the rows of ``X`` to their best-matching units."""
    W, X = _check_weights_data(weights, X)
    return _quantization_error_jit(W, X)


def _topographic_error(W, grid, X, diagonal: bool):
    _, d2 = _bmu(W, X)
    _, best2 = jax.lax.top_k(-d2, 2)
    delta = jnp.abs(grid[best2[:, 0]] - grid[best2[:, 1]])
    if diagonal:
        adjacent = jnp.max(delta, axis=1) <= 1.0
    else:
        adjacent = jnp.sum(delta, axis=1) <= 1.0
    return jnp.mean((~adjacent).astype(W.dtype))


_topographic_error_jit = jax.jit(_topographic_error, static_argnums=(3,))


def topographic_error(weights: Any, grid: Any, X: Any, *, diagonal: bool = True) -> jax.Array:
    """Fraction of rows of ``X`` whose best and second-best units are not grid
    neighbours (8-neighbourhood; 4-neighbourhood with ``diagonal=False``, static)."""
    W, X, grid = _check_weights_data(weights, X, grid)
    diagonal = check_bool(diagonal, "diagonal")
    if W.shape[0] < 2:
        raise ValueError(f"weights must have at least 2 units, got {W.shape[0]}")
    return _topographic_error_jit(W, grid, X, diagonal)


# ----------------------------------------------------------------------------- estimator


def _pca_init(X, n_rows: int, n_cols: int):
    mean = jnp.mean(X, axis=0)
    Xc = X - mean
    _, s, Vt = jnp.linalg.svd(Xc, full_matrices=False)
    scale = s / jnp.sqrt(max(X.shape[0] - 1, 1))
    a = jnp.linspace(-1.0, 1.0, n_rows) if n_rows > 1 else jnp.zeros(1)
    b = jnp.linspace(-1.0, 1.0, n_cols) if n_cols > 1 else jnp.zeros(1)
    A, B = jnp.meshgrid(a, b, indexing="ij")
    W = mean[None, :] + A.ravel()[:, None] * (scale[0] * Vt[0])[None, :]
    if Vt.shape[0] > 1:
        W = W + B.ravel()[:, None] * (scale[1] * Vt[1])[None, :]
    return W.astype(X.dtype)


def _initial_weights(key, X, n_rows: int, n_cols: int, init):
    m = n_rows * n_cols
    if isinstance(init, str):
        if init == "pca":
            return _pca_init(X, n_rows, n_cols)
        rows = jax.random.choice(key, X.shape[0], (m,), replace=m > X.shape[0])
        return X[rows]
    check_n_features(init, X.shape[1], "init")
    return init.astype(X.dtype)


def som(n_rows: int, n_cols: int, *, algorithm: str = "batch", n_epochs: int = 20,
        sigma: Any = None, sigma_final: Any = 0.5, learning_rate: Any = 0.5,
        learning_rate_final: Any = 0.01, decay: str = "exponential",
        init: Any = "random") -> Clusterer:
    """A self-organising map on an ``n_rows × n_cols`` rectangular grid.

    Args:
      n_rows, n_cols: grid shape (static).
      algorithm: ``"batch"`` (one batch step per epoch) or ``"online"`` (``n`` Kohonen
        steps per epoch over a shuffled stream); static.
      n_epochs: passes over the data (static).
      sigma: initial neighbourhood radius; ``None`` means ``max(n_rows, n_cols) / 2``
        (traced).
      sigma_final: radius at the last step (traced).
      learning_rate, learning_rate_final: online learning rate at the first and last
        step (traced; unused by the batch map).
      decay: ``"exponential"`` or ``"linear"`` schedule for radius and learning rate.
      init: ``"random"`` (rows of ``X``), ``"pca"`` or an ``(n_rows * n_cols, d)`` array.

    Returns:
      ``Clusterer``: ``fit(key, X) -> SOMParams`` (the key draws the initial rows and the
      online stream's permutations); ``predict(params, X)`` gives best-matching units.
    """
    n_rows = check_int(n_rows, "n_rows", minimum=1)
    n_cols = check_int(n_cols, "n_cols", minimum=1)
    algorithm = check_option(algorithm, "algorithm", ALGORITHMS)
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    decay = check_option(decay, "decay", DECAYS)
    m = n_rows * n_cols
    if sigma is None:
        sigma = max(n_rows, n_cols) / 2.0
    check_positive(sigma, "sigma")
    check_positive(sigma_final, "sigma_final")
    check_positive(learning_rate, "learning_rate")
    check_positive(learning_rate_final, "learning_rate_final")
    if isinstance(init, str):
        check_option(init, "init", ("random", "pca"))
    else:
        init = check_array(init, "init", ndim=2, dtype_kind="f")
        if init.shape[0] != m:
            raise ValueError(f"init must have n_rows * n_cols = {m} rows, got shape "
                             f"{init.shape}")

    @jax.jit
    def fit_checked(key, X, sigma0, sigma1, lr0, lr1) -> SOMParams:
        n = X.shape[0]
        grid = grid_coordinates(n_rows, n_cols, X.dtype)
        key_init, key_stream = jax.random.split(key)
        W = _initial_weights(key_init, X, n_rows, n_cols, init)
        if algorithm == "batch":
            def epoch(W, t):
                return _batch_step(W, grid, X, _decay(sigma0, sigma1, t, n_epochs, decay)), None

            W, _ = jax.lax.scan(epoch, W, jnp.arange(n_epochs, dtype=X.dtype))
        else:
            n_steps = n_epochs * n
            keys = jax.random.split(key_stream, n_epochs)
            order = jax.vmap(lambda k: jax.random.permutation(k, n))(keys).ravel()

            def step(W, inputs):
                i, t = inputs
                s = _decay(sigma0, sigma1, t, n_steps, decay)
                a = _decay(lr0, lr1, t, n_steps, decay)
                return _online_step(W, grid, X[i], s, a), None

            W, _ = jax.lax.scan(step, W, (order, jnp.arange(n_steps, dtype=X.dtype)))
        labels, _ = _bmu(W, X)
        te = _topographic_error(W, grid, X, True) if m > 1 else jnp.zeros((), X.dtype)
        return SOMParams(weights=W, grid=grid, labels=labels,
                         quantization_error=_quantization_error(W, X),
                         topographic_error=te, n_rows=n_rows, n_cols=n_cols)

    def fit(key, X) -> SOMParams:
        X = check_X(X)
        dt = X.dtype
        return fit_checked(key, X, jnp.asarray(sigma, dt), jnp.asarray(sigma_final, dt),
                           jnp.asarray(learning_rate, dt), jnp.asarray(learning_rate_final, dt))

    def predict(params: SOMParams, X) -> jax.Array:
        X = check_X(X)
        check_n_features(X, params.weights.shape[1])
        return _bmu_jit(params.weights, X.astype(params.weights.dtype))[0]

    return Clusterer(fit=fit, predict=predict)
