"""Mean-field vs NTK two-layer networks and the transport distances, against independent
oracles: direct NumPy formulas, hand-derived gradients, the arc-cosine closed form of the
expected tangent kernel, scipy's 1-D Wasserstein distance and brute-force assignment."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.stats import wasserstein_distance

from jaxml.math.transport import sliced_wasserstein, wasserstein_1d
from jaxml.theory import mean_field as mf


def _sphere(key, n, d):
    x = jax.random.normal(key, (n, d))
    return x / jnp.linalg.norm(x, axis=1, keepdims=True) * jnp.sqrt(d)


def _numpy_net(a, w, x, alpha, phi):
    return np.array([sum(a[i] * phi(w[i] @ xj) for i in range(len(a))) for xj in x]) / len(a) ** alpha


@pytest.mark.parametrize("activation,phi", [("relu", lambda z: max(z, 0.0)), ("tanh", np.tanh)])
@pytest.mark.parametrize("scaling,alpha", [("mean_field", 1.0), ("ntk", 0.5)])
def test_apply_matches_direct_sum(activation, phi, scaling, alpha):
    p = mf.init_particles(jax.random.key(0), 7, 3)
    x = np.asarray(_sphere(jax.random.key(1), 5, 3))
    got = np.asarray(mf.make_apply(scaling, activation)(p, jnp.asarray(x)))
    want = _numpy_net(np.asarray(p["a"]), np.asarray(p["w"]), x, alpha, phi)
    assert got.shape == (5, 1)
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n_units", [1, 37, 500])
def test_mean_field_with_sqrt_n_output_weights_is_the_ntk_net(n_units):
    p = mf.init_particles(jax.random.key(2), n_units, 6)
    x = _sphere(jax.random.key(3), 9, 6)
    scaled = {"a": p["a"] * np.sqrt(n_units), "w": p["w"]}
    np.testing.assert_allclose(mf.make_apply("mean_field")(scaled, x), mf.make_apply("ntk")(p, x),
                               rtol=1e-5, atol=1e-6)


def test_init_particle_law():
    p = mf.init_particles(jax.random.key(4), 20000, 5)
    assert p["a"].shape == (20000,) and p["w"].shape == (20000, 5)
    assert abs(float(jnp.var(p["a"])) - 1.0) < 0.05
    np.testing.assert_allclose(np.var(np.asarray(p["w"]), axis=0), 1 / 5, rtol=0.05)
    assert mf.particles(p).shape == (20000, 6)


def test_learning_rate_and_exponent():
    assert mf.output_exponent("mean_field") == 1.0 and mf.output_exponent("ntk") == 0.5
    assert mf.learning_rate("mean_field", 64, 0.1) == pytest.approx(6.4)
    assert mf.learning_rate("ntk", 64, 0.1) == pytest.approx(0.1)


def _arccos_kernel(x, d):
    """E over w ~ N(0, I/d), a ~ N(0, 1) of σ(wx)σ(wx') + a²σ'(wx)σ'(wx')⟨x, x'⟩ for ReLU."""
    norms = np.linalg.norm(x, axis=1)
    cos = np.clip(x @ x.T / np.outer(norms, norms), -1, 1)
    th = np.arccos(cos)
    scale = np.outer(norms, norms) / d
    e_phi = scale * (np.sin(th) + (np.pi - th) * cos) / (2 * np.pi)
    e_dphi = (np.pi - th) / (2 * np.pi)
    return e_phi + e_dphi * (x @ x.T)


@pytest.mark.parametrize("scaling", mf.SCALINGS)
def test_first_step_function_change_is_width_independent(scaling):
    """E[Δf(x)] = (η₀/n) Σ_j κ(x, x_j) y_j + O(η₀²) at every width with η = η₀N^{2α−1}; the
    f₀-dependent term is odd in a and cancels exactly in antithetic pairs (a, −a)."""
    d, n, eta0, pairs = 4, 8, 3e-3, 96
    x = _sphere(jax.random.key(5), n, d)
    y = jax.random.normal(jax.random.key(6), (n,)) + 1.0
    want = _arccos_kernel(np.asarray(x, float), d) @ np.asarray(y, float) / n
    apply_fn = mf.make_apply(scaling)
    for n_units in (16, 256):
        def delta(key, n_units=n_units):
            out = 0.0
            for sign in (1.0, -1.0):
                p = mf.init_particles(key, n_units, d)
                p = {"a": sign * p["a"], "w": p["w"]}
                p1, _ = mf.train(p, x, y, scaling=scaling, base_lr=eta0, steps=1)
                out = out + (apply_fn(p1, x) - apply_fn(p, x))[:, 0] / (2 * eta0)
            return out

        keys = jax.random.split(jax.random.key(7 + n_units), pairs)
        per_pair = np.asarray(jax.jit(jax.vmap(delta))(keys))
        se = per_pair.std(0, ddof=1) / np.sqrt(pairs)
        assert np.all(se < 0.05 * np.abs(want).max())
        np.testing.assert_allclose(per_pair.mean(0), want, atol=float(5 * se.max() + 0.01 * np.abs(want).max()))


@pytest.mark.parametrize("scaling,alpha", [("mean_field", 1.0), ("ntk", 0.5)])
def test_train_matches_hand_derived_gradient_descent(scaling, alpha):
    d, n, n_units, eta0, steps = 3, 6, 5, 0.2, 40
    x = np.asarray(_sphere(jax.random.key(8), n, d), float)
    y = np.sin(x[:, 0]) + 0.5
    p = mf.init_particles(jax.random.key(9), n_units, d)
    _, losses = mf.train(p, x, y, scaling=scaling, base_lr=eta0, steps=steps)
    a, w = np.asarray(p["a"], float), np.asarray(p["w"], float)
    c, lr = n_units ** -alpha, eta0 * n_units ** (2 * alpha - 1)
    want = []
    for _ in range(steps + 1):
        pre = x @ w.T  # (n, N)
        r = c * np.maximum(pre, 0) @ a - y
        want.append(0.5 * np.mean(r ** 2))
        grad_a = c * np.maximum(pre, 0).T @ r / n
        grad_w = c * ((pre > 0) * r[:, None] * a[None, :]).T @ x / n
        a, w = a - lr * grad_a, w - lr * grad_w
    np.testing.assert_allclose(np.asarray(losses), want, rtol=2e-4, atol=1e-7)
    assert want[-1] < 0.5 * want[0]


def test_weight_change_against_direct_norms():
    p0 = mf.init_particles(jax.random.key(10), 11, 4)
    p1 = mf.init_particles(jax.random.key(11), 11, 4)
    t0 = np.column_stack([p0["a"], p0["w"]])
    t1 = np.column_stack([p1["a"], p1["w"]])
    rel = np.linalg.norm(t1 - t0) / np.linalg.norm(t0)
    rms = np.sqrt(np.mean(np.sum((t1 - t0) ** 2, 1)))
    np.testing.assert_allclose(mf.weight_change(p0, p1), rel, rtol=1e-5)
    np.testing.assert_allclose(mf.weight_change(p0, p1, relative=False), rms, rtol=1e-5)


def test_width_sweep_equals_per_seed_training():
    key = jax.random.key(12)
    x = _sphere(jax.random.key(13), 10, 3)
    y = jnp.cos(x[:, 1])
    kw = dict(base_lr=0.1, steps=6, record_every=3)
    res = mf.width_sweep(key, x, y, widths=(4, 9), scaling="ntk", seeds=3, **kw)
    assert [r["width"] for r in res] == [4, 9]
    r = res[1]
    assert r["loss"].shape == (3, 3) and r["weight_change"].shape == (3,)
    p0 = mf.init_particles(jax.random.fold_in(jax.random.fold_in(key, 2), 9), 9, 3)
    p, loss = mf.train(p0, x, y, scaling="ntk", **kw)
    np.testing.assert_allclose(r["params0"]["w"][2], p0["w"], rtol=1e-6)
    np.testing.assert_allclose(r["loss"][2], loss, rtol=1e-5)
    np.testing.assert_allclose(r["weight_change"][2], mf.weight_change(p0, p), rtol=1e-5)
    np.testing.assert_allclose(r["unit_movement"][2], mf.weight_change(p0, p, relative=False), rtol=1e-5)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="n_units"):
        mf.init_particles(jax.random.key(0), 0, 3)
    with pytest.raises(ValueError, match="scaling"):
        mf.make_apply("lazy")
    with pytest.raises(ValueError, match="activation"):
        mf.make_apply("ntk", "gelu")
    with pytest.raises(ValueError, match="n_units"):
        mf.learning_rate("ntk", 0, 0.1)
    with pytest.raises(ValueError, match="base_lr"):
        mf.learning_rate("mean_field", 8, -1.0)
    x = _sphere(jax.random.key(0), 4, 2)
    with pytest.raises(ValueError, match="widths"):
        mf.width_sweep(jax.random.key(0), x, x[:, 0], widths=(), scaling="ntk", seeds=2, base_lr=0.1, steps=1)
    with pytest.raises(ValueError, match="widths"):
        mf.width_sweep(jax.random.key(0), x, x[:, 0], widths=(0,), scaling="ntk", seeds=2, base_lr=0.1, steps=1)
    with pytest.raises(ValueError, match="scaling"):
        mf.width_sweep(jax.random.key(0), x, x[:, 0], widths=(2,), scaling="mf", seeds=2, base_lr=0.1, steps=1)


# --------------------------------------------------------------------- transport


def test_w2_1d_equal_sizes_matches_assignment():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=9), rng.standard_t(3, size=9) + 0.7
    cost = (u[:, None] - v[None, :]) ** 2
    r, c = linear_sum_assignment(cost)
    np.testing.assert_allclose(wasserstein_1d(u, v), np.sqrt(cost[r, c].mean()), rtol=1e-5)


def test_w2_1d_unequal_sizes_matches_assignment_on_replicated_atoms():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=4), rng.exponential(size=6)
    uu, vv = np.repeat(u, 3), np.repeat(v, 2)  # 12 equal-mass atoms each
    cost = (uu[:, None] - vv[None, :]) ** 2
    r, c = linear_sum_assignment(cost)
    np.testing.assert_allclose(wasserstein_1d(u, v), np.sqrt(cost[r, c].mean()), rtol=1e-5)


@pytest.mark.parametrize("n,m", [(5, 5), (7, 3), (13, 20)])
def test_w1_1d_matches_scipy(n, m):
    rng = np.random.default_rng(n * m)
    u, v = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
    np.testing.assert_allclose(wasserstein_1d(u, v, p=1), wasserstein_distance(u, v), rtol=1e-5)


def test_sliced_w2_properties():
    rng = np.random.default_rng(2)
    key = jax.random.key(3)
    x = rng.normal(size=(12, 1))
    y = rng.normal(size=(8, 1)) * 2
    # in 1-D every direction is ±1, so sliced W2 is the exact W2
    np.testing.assert_allclose(sliced_wasserstein(key, x, y, n_projections=4), wasserstein_1d(x[:, 0], y[:, 0]),
                               rtol=1e-5)
    x = rng.normal(size=(10, 3))
    assert float(sliced_wasserstein(key, x, x)) == pytest.approx(0.0, abs=1e-6)
    # a translation by c: W2 of every projection is |⟨θ, c⟩|, so SW2² = E(θ·c)² = |c|²/d
    c = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(sliced_wasserstein(key, x, x + c, n_projections=8192),
                               np.linalg.norm(c) / np.sqrt(3), rtol=0.03)
    # sliced W2 never exceeds the exact W2 (brute-force assignment in R^3)
    y = rng.normal(size=(10, 3)) + 0.3
    cost = np.sum((x[:, None] - y[None]) ** 2, -1)
    r, cc = linear_sum_assignment(cost)
    assert float(sliced_wasserstein(key, x, y)) <= np.sqrt(cost[r, cc].mean()) + 1e-6


def test_transport_bad_input():
    with pytest.raises(ValueError, match="p must"):
        wasserstein_1d([0.0, 1.0], [1.0], p=0.5)
    with pytest.raises(ValueError, match="u must have rank"):
        wasserstein_1d(np.zeros((2, 2)), [1.0])
    with pytest.raises(ValueError, match="same dimension"):
        sliced_wasserstein(jax.random.key(0), np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="n_projections"):
        sliced_wasserstein(jax.random.key(0), np.zeros((3, 2)), np.zeros((3, 2)), n_projections=0)
