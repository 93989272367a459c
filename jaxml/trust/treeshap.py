"""TreeSHAP: exact Shapley values of a jaxml tree (or forest) under the path-dependent value
function of Lundberg et al. (2018), in polynomial time.

The path-dependent value of a coalition S ⊆ {1, …, d} at input x follows x at nodes whose
feature is in S and splits the mass by the training cover elsewhere:

    v(S) = Σ_ℓ value_ℓ Π_{i ∈ F_ℓ} (i ∈ S ? p_{ℓ,i} : z_{ℓ,i}),

with F_ℓ the features on the root-to-leaf path of ℓ, p_{ℓ,i} ∈ {0, 1} whether x takes the
path's branch at every node of ℓ's path that splits on i, and z_{ℓ,i} the product of the
cover fractions cover(child)/cover(node) at those nodes. Each leaf is a product game, and
the Shapley value of player i in g(S) = Π_j (j ∈ S ? p_j : z_j) over m players is

    φ_i = (p_i − z_i) Σ_{k=0}^{m−1} k!(m − 1 − k)!/m! · [t^k] Π_{j ≠ i} (z_j + p_j t).

Null players (p = z = 1) leave the other players' values unchanged, so every leaf is
padded to the tree's static depth D (repeated features are folded into their first
occurrence, the other occurrences become null players) and one formula with m = D
serves all leaves — a fixed-shape computation that jits and vmaps. A forest's values are
the mean of its trees' (Shapley values are linear in the game). ``φ`` satisfies
Σ_i φ_i = f(x) − E_cover[f], the cover-weighted mean of the leaf values.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.classical.trees import Tree, tree_depth
from jaxml.core.validation import check_int


def _paths(tree: Tree, depth: int):
    """For every node (as a would-be leaf): the ancestor at each path position, the branch
    taken (1 = right) and whether the position is on the path, each ``(N, D)``."""
    nodes = np.arange(tree.feature.shape[-1])
    level = np.floor(np.log2(nodes + 1)).astype(int)
    pos = np.arange(depth)
    shift = level[:, None] - pos[None]  # ancestor at position k: (node+1) >> (level-k) - 1
    active = shift > 0
    ancestor = np.where(active, ((nodes[:, None] + 1) >> np.maximum(shift, 0)) - 1, 0)
    child = np.where(active, ((nodes[:, None] + 1) >> np.maximum(shift - 1, 0)) - 1, 0)
    right = child == 2 * ancestor + 2
    return jnp.asarray(ancestor), jnp.asarray(child), jnp.asarray(right), jnp.asarray(active)


def _shapley_weights(m: int) -> jax.Array:
    return jnp.asarray([math.factorial(k) * math.factorial(m - 1 - k) / math.factorial(m) for k in range(m)])


def _tree_shap_one(tree: Tree, x: jax.Array, output: int, depth: int, paths) -> jax.Array:
    ancestor, child, right, active = paths
    cover = tree.weighted_n_node_samples
    feature = jnp.where(active, tree.feature[ancestor], -1)  # (N, D)
    goes_right = x[jnp.maximum(feature, 0)] > tree.threshold[ancestor]
    p = jnp.where(active, (goes_right == right).astype(x.dtype), 1.0)
    z = jnp.where(active, cover[child] / jnp.where(cover[ancestor] > 0, cover[ancestor], 1.0), 1.0)
    # fold repeated features into their first occurrence on the path
    same = (feature[:, :, None] == feature[:, None, :]) & active[:, :, None] & active[:, None, :]  # (N, j, k)
    first = jnp.argmax(same, axis=1)  # (N, k): first position with k's feature
    owner = (first[:, None, :] == jnp.arange(depth)[None, :, None]) & active[:, None, :]  # (N, j, k)
    p = jnp.prod(jnp.where(owner, p[:, None, :], 1.0), axis=2)
    z = jnp.prod(jnp.where(owner, z[:, None, :], 1.0), axis=2)
    representative = jnp.any(owner, axis=2)
    p, z = jnp.where(representative, p, 1.0), jnp.where(representative, z, 1.0)

    # [t^k] Π_{j ≠ i} (z_j + p_j t) for every leaf and player i: (N, D_i, D + 1)
    eye = jnp.eye(depth, dtype=bool)
    poly = jnp.zeros(p.shape + (depth + 1,)).at[..., 0].set(1.0)
    for j in range(depth):
        zj = jnp.where(eye[j][None, :], 1.0, z[:, j:j + 1])
        pj = jnp.where(eye[j][None, :], 0.0, p[:, j:j + 1])
        shifted = jnp.concatenate([jnp.zeros_like(poly[..., :1]), poly[..., :-1]], axis=-1)
        poly = zj[..., None] * poly + pj[..., None] * shifted
    weighted = jnp.sum(poly[..., :depth] * _shapley_weights(depth), axis=-1)  # (N, D)
    is_leaf = tree.is_leaf & (tree.n_node_samples > 0)
    leaf_value = jnp.where(is_leaf, tree.value[:, output], 0.0)
    contribution = leaf_value[:, None] * (p - z) * weighted * representative
    d = tree.n_features
    return jax.ops.segment_sum(contribution.ravel(), jnp.where(feature >= 0, feature, d).ravel(),
                               num_segments=d + 1)[:d]


def tree_shap(tree: Tree, X: Any, *, output: int = 0) -> jax.Array:
    """Path-dependent TreeSHAP values ``(n, d)`` of column ``output`` of the leaf values
    (the class-``output`` probability of a classification tree; the prediction of a
    regression tree). ``tree`` may be a forest (a leading axis on every array): its mean."""
    X = jnp.asarray(X)
    if X.ndim != 2 or X.shape[1] != tree.n_features:
        raise ValueError(f"X must be (n, {tree.n_features}), got shape {X.shape}")
    output = check_int(output, "output", minimum=0)
    if output >= tree.value.shape[-1]:
        raise ValueError(f"output must be < {tree.value.shape[-1]} (columns of the leaf values), got {output}")
    depth = tree_depth(tree)
    if depth == 0:
        return jnp.zeros(X.shape, X.dtype)
    paths = _paths(tree, depth)
    one_tree = lambda t: jax.vmap(lambda x: _tree_shap_one(t, x, output, depth, paths))(X)  # noqa: E731
    if tree.feature.ndim == 2:
        return jnp.mean(jax.vmap(one_tree)(tree), axis=0)
    return one_tree(tree)


def tree_expected_value(tree: Tree, *, output: int = 0) -> jax.Array:
    """v(∅): the cover-weighted mean leaf value (of a forest: the mean over trees)."""
    def one(t):
        is_leaf = t.is_leaf & (t.n_node_samples > 0)
        w = jnp.where(is_leaf, t.weighted_n_node_samples, 0.0)
        return jnp.sum(w * t.value[:, output]) / jnp.sum(w)

    return jnp.mean(jax.vmap(one)(tree)) if tree.feature.ndim == 2 else one(tree)
