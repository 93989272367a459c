"""Tests for jaxml.theory.ntk: implementations vs explicit Jacobians, analytic vs Monte Carlo,
linearisation vs Taylor expansion, closed-form dynamics vs GD, kernel regression vs sklearn."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.theory import ntk


class _TinyCNN(nn.Module):
    @nn.compact
    def __call__(self, x):
        h = nn.relu(nn.Conv(3, (3,), strides=(2,), padding=[(1, 1)])(x[..., None]))
        return nn.Dense(2)(h.reshape(h.shape[0], -1))


def _explicit_ntk(apply_fn, x1, x2, params):
    """Θ[a, b, k, s] = Σ_params ∂f_k(x1_a)/∂θ · ∂f_s(x2_b)/∂θ via jax.jacobian of whole batches."""
    j1 = jax.jacobian(lambda p: apply_fn(p, x1))(params)
    j2 = jax.jacobian(lambda p: apply_fn(p, x2))(params)
    total = 0.0
    for a, b in zip(jax.tree.leaves(j1), jax.tree.leaves(j2)):
        total = total + jnp.einsum("aki,bsi->abks", a.reshape(a.shape[0], a.shape[1], -1),
                                   b.reshape(b.shape[0], b.shape[1], -1))
    return total


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_empirical_ntk_implementations_agree_with_explicit_jacobian(model):
    if model == "mlp":
        net, d = ntk.NTKMLP((8, 8), num_outputs=3, sigma_b=0.2), 4
    else:
        net, d = _TinyCNN(), 8
    x1 = jax.random.normal(jax.random.key(0), (3, d))
    x2 = jax.random.normal(jax.random.key(1), (2, d))
    params = net.init(jax.random.key(2), x1)
    full = np.asarray(_explicit_ntk(net.apply, x1, x2, params))
    for impl in ntk.IMPLEMENTATIONS:
        for vmap_axes in (0, None):
            fn = ntk.empirical_ntk_fn(net.apply, trace_axes=(), vmap_axes=vmap_axes, implementation=impl)
            np.testing.assert_allclose(fn(x1, x2, params), full, rtol=1e-4, atol=1e-4)
        traced = ntk.empirical_ntk_fn(net.apply, implementation=impl, vmap_batch=2)
        out = jax.jit(traced)(x1, x2, params)
        assert out.shape == (3, 2) and out.dtype == jnp.float32
        np.testing.assert_allclose(out, np.trace(full, axis1=2, axis2=3), rtol=1e-4, atol=1e-4)
    same = ntk.empirical_ntk_fn(net.apply)(x1, None, params)
    np.testing.assert_allclose(same, same.T, rtol=1e-5, atol=1e-5)


def test_analytic_kernels_match_monte_carlo_expectations():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    sw, sb = 1.3, 0.2
    s = sw ** 2 * (x @ x.T) / 5 + sb ** 2
    z = rng.multivariate_normal(np.zeros(3), s, size=400_000)
    for act, phi, dphi in (
        ("relu", lambda u: np.maximum(u, 0), lambda u: (u > 0).astype(float)),
        ("erf", lambda u: np.asarray(jax.scipy.special.erf(u)), lambda u: 2 / np.sqrt(np.pi) * np.exp(-u ** 2)),
    ):
        nngp, theta = ntk.analytic_fc_kernels(x, depth=1, activation=act, sigma_w=sw, sigma_b=sb)
        e_phi = phi(z).T @ phi(z) / len(z)
        e_dphi = dphi(z).T @ dphi(z) / len(z)
        np.testing.assert_allclose(nngp, sw ** 2 * e_phi + sb ** 2, rtol=0.02, atol=0.01)
        np.testing.assert_allclose(theta, sw ** 2 * e_phi + sb ** 2 + sw ** 2 * e_dphi * s, rtol=0.02, atol=0.01)


def test_analytic_ntk_matches_average_of_wide_empirical_kernels():
    x = jax.random.normal(jax.random.key(0), (4, 6))
    nngp, theta = ntk.analytic_fc_kernels(x, depth=2, sigma_b=0.1)
    net = ntk.NTKMLP((512, 512), sigma_b=0.1)
    fn = jax.jit(ntk.empirical_ntk_fn(net.apply, implementation="ntk_vector_products"))
    keys = jax.random.split(jax.random.key(1), 6)
    mean = sum(fn(x, None, net.init(k, x)) for k in keys) / len(keys)
    assert float(ntk.relative_frobenius(mean, theta)) < 0.06  # one draw: ≈ 0.1
    # NNGP: covariance of the outputs over random initialisations
    narrow = ntk.NTKMLP((128, 128), sigma_b=0.1)
    outs = jax.vmap(lambda k: narrow.apply(narrow.init(k, x), x)[:, 0])(jax.random.split(jax.random.key(2), 1000))
    assert float(ntk.relative_frobenius(outs.T @ outs / outs.shape[0], nngp)) < 0.1


def test_linearize_equals_network_at_init_and_first_order_expansion():
    net = ntk.NTKMLP((16,), num_outputs=2)
    x = jax.random.normal(jax.random.key(0), (5, 3))
    p0 = net.init(jax.random.key(1), x)
    f_lin = ntk.linearize(net.apply, p0)
    np.testing.assert_allclose(f_lin(p0, x), net.apply(p0, x), atol=1e-6)
    direction = jax.tree.map(lambda a: jax.random.normal(jax.random.key(3), a.shape), p0)
    jac = jax.jacobian(lambda p: net.apply(p, x))(p0)
    errs = []
    for eps in (1e-2, 1e-3):
        p = jax.tree.map(lambda a, d: a + eps * d, p0, direction)
        explicit = net.apply(p0, x) + sum(
            jnp.tensordot(j, eps * d, axes=d.ndim) for j, d in zip(jax.tree.leaves(jac), jax.tree.leaves(direction)))
        np.testing.assert_allclose(f_lin(p, x), explicit, atol=1e-4)
        errs.append(float(jnp.abs(f_lin(p, x) - net.apply(p, x)).max()))
    assert errs[1] < errs[0] / 20  # remainder is second order


def test_closed_form_predictor_matches_gd_on_linearised_model():
    net = ntk.NTKMLP((32,), num_outputs=1, sigma_b=0.1)
    x = jax.random.normal(jax.random.key(0), (6, 3))
    xt = jax.random.normal(jax.random.key(1), (4, 3))
    y = jnp.sin(x[:, :1])
    p0 = net.init(jax.random.key(2), x)
    f_lin = ntk.linearize(net.apply, p0)
    lr, steps = 0.02, 200
    _, outs = ntk.mse_gd(f_lin, p0, x, y, lr=lr, steps=steps, x_eval=xt, record_every=100)
    assert outs.shape == (3, 4, 1)
    kfn = ntk.empirical_ntk_fn(net.apply)
    f_tr, f_te = ntk.gradient_flow_mse_predictor(kfn(x, None, p0), kfn(xt, x, p0), y, net.apply(p0, x),
                                                 net.apply(p0, xt), jnp.array([0.0, 100.0, 200.0]), lr=lr)
    np.testing.assert_allclose(f_te, outs, rtol=1e-2, atol=5e-3)  # GD vs flow: O(lr)
    np.testing.assert_allclose(f_tr[0], net.apply(p0, x), atol=1e-5)
    _, again = ntk.mse_gd(f_lin, p0, x, y, lr=lr, steps=steps, x_eval=xt, record_every=100)
    np.testing.assert_array_equal(outs, again)


def test_minibatch_sgd_matches_a_numpy_loop_on_a_linear_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = rng.normal(size=(10, 2)).astype(np.float32)
    theta0 = {"w": jnp.zeros((3, 2))}
    apply = lambda p, z: z @ p["w"]  # noqa: E731
    key, lr, b, steps = jax.random.key(7), 0.1, 4, 6
    _, outs = ntk.mse_gd(apply, theta0, x, y, lr=lr, steps=steps, x_eval=x, record_every=3,
                         batch_size=b, key=key)
    w = np.zeros((3, 2))
    expected = [x @ w]
    for t in range(steps):
        idx = np.asarray(jax.random.permutation(jax.random.fold_in(key, t), 10)[:b])
        w = w - lr * x[idx].T @ (x[idx] @ w - y[idx]) / b
        if (t + 1) % 3 == 0:
            expected.append(x @ w)
    np.testing.assert_allclose(outs, np.stack(expected), rtol=1e-5, atol=1e-6)
    # a batch of every row is full-batch gradient descent
    _, full = ntk.mse_gd(apply, theta0, x, y, lr=lr, steps=steps, x_eval=x, record_every=3)
    _, whole = ntk.mse_gd(apply, theta0, x, y, lr=lr, steps=steps, x_eval=x, record_every=3,
                          batch_size=10, key=key)
    np.testing.assert_allclose(whole, full, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="key"):
        ntk.mse_gd(apply, theta0, x, y, lr=lr, steps=3, x_eval=x, batch_size=4)
    with pytest.raises(ValueError, match="batch_size"):
        ntk.mse_gd(apply, theta0, x, y, lr=lr, steps=3, x_eval=x, batch_size=11, key=key)


def test_kernel_regression_matches_sklearn_kernel_ridge():
    from sklearn.kernel_ridge import KernelRidge

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    xt = rng.normal(size=(7, 4)).astype(np.float32)
    y = rng.normal(size=(30, 2)).astype(np.float32)
    _, k = ntk.analytic_fc_kernels(x, depth=2)
    _, kt = ntk.analytic_fc_kernels(xt, x, depth=2)
    pred = ntk.kernel_regression(k, kt, y, ridge=0.1)
    ref = KernelRidge(alpha=0.1 * float(np.mean(np.diag(k))), kernel="precomputed").fit(np.asarray(k), y)
    np.testing.assert_allclose(pred, ref.predict(np.asarray(kt)), rtol=1e-3, atol=1e-3)


def test_bad_inputs_raise():
    net = ntk.NTKMLP((4,))
    with pytest.raises(ValueError, match="implementation"):
        ntk.empirical_ntk_fn(net.apply, implementation="magic")
    with pytest.raises(ValueError, match="vmap_axes"):
        ntk.empirical_ntk_fn(net.apply, vmap_axes=1)
    x = jnp.ones((2, 3))
    params = net.init(jax.random.key(0), x)
    with pytest.raises(ValueError, match="trace_axes"):
        ntk.empirical_ntk_fn(net.apply, trace_axes=(0,))(x, None, params)
    with pytest.raises(ValueError, match="x1 and x2"):
        ntk.empirical_ntk_fn(net.apply)(x, jnp.ones((2, 4)), params)
    with pytest.raises(ValueError, match="activation"):
        ntk.analytic_fc_kernels(x, depth=1, activation="tanh")
    with pytest.raises(ValueError, match="depth"):
        ntk.analytic_fc_kernels(x, depth=-1)
    with pytest.raises(ValueError, match="record_every"):
        ntk.mse_gd(net.apply, params, x, jnp.ones((2, 1)), lr=0.1, steps=5, x_eval=x, record_every=2)
