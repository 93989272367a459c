"""Lottery tickets: pruning masks against brute-force counting and sorting, rewinding,
masked training, the random-mask control and bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.nn.models import MLP
from jaxml.theory import lottery
from jaxml.train import make_trainer

HIDDEN = ("Dense_0/kernel", "Dense_1/kernel")
OUTPUT = "Dense_2/kernel"


def _params(seed=0, widths=(12, 10)):
    x = jnp.ones((1, 7))
    return MLP(widths, 3).init(jax.random.PRNGKey(seed), x)["params"]


def _leaf(tree, name):
    layer, leaf = name.split("/")
    return np.asarray(tree[layer][leaf])


def _expected_zeros(n, rate):
    """Brute-force count: Python's round of the rate times the survivors."""
    return int(np.round(rate * n))


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.75])
def test_layerwise_mask_has_the_requested_sparsity(rate):
    params = _params()
    mask = lottery.magnitude_prune(params, lottery.dense_mask(params), rate)
    for name in HIDDEN:
        m = _leaf(mask, name)
        assert int((m == 0).sum()) == _expected_zeros(m.size, rate)
    out = _leaf(mask, OUTPUT)
    assert int((out == 0).sum()) == _expected_zeros(out.size, rate / 2)  # output layer at half rate
    for layer in mask:
        assert np.all(np.asarray(mask[layer]["bias"]) == 1)  # biases never pruned


def test_pruned_weights_are_the_smallest_surviving_magnitudes_brute_force():
    params = _params(1)
    mask = lottery.dense_mask(params)
    for _ in range(3):  # several rounds: only survivors are ranked, the dead stay dead
        new = lottery.magnitude_prune(params, mask, 0.3, output_rate=0.4)
        for name, rate in [(n, 0.3) for n in HIDDEN] + [(OUTPUT, 0.4)]:
            w, old, m = np.abs(_leaf(params, name)).ravel(), _leaf(mask, name).ravel(), _leaf(new, name).ravel()
            alive = np.flatnonzero(old)
            k = _expected_zeros(alive.size, rate)
            expected_removed = set(alive[np.argsort(w[alive])[:k]].tolist())
            removed = set(np.flatnonzero((old == 1) & (m == 0)).tolist())
            assert removed == expected_removed
            assert np.all(m[old == 0] == 0)
        mask = new


def test_global_scope_uses_one_threshold_over_hidden_layers():
    params = _params(2)
    mask = lottery.magnitude_prune(params, lottery.dense_mask(params), 0.6, scope="global")
    w = np.concatenate([np.abs(_leaf(params, n)).ravel() for n in HIDDEN])
    m = np.concatenate([_leaf(mask, n).ravel() for n in HIDDEN])
    assert int((m == 0).sum()) == _expected_zeros(w.size, 0.6)
    assert w[m == 0].max() < w[m == 1].min()
    per_layer = [float((_leaf(mask, n) == 0).mean()) for n in HIDDEN]
    assert per_layer[0] != pytest.approx(per_layer[1])  # a global threshold, not per-layer rates
    out = _leaf(mask, OUTPUT)
    assert int((out == 0).sum()) == _expected_zeros(out.size, 0.3)


def test_iterated_rounds_follow_the_compound_sparsity_and_one_shot_matches():
    params = _params(3)
    mask, rate, rounds = lottery.dense_mask(params), 0.2, 6
    for _ in range(rounds):
        mask = lottery.magnitude_prune(params, mask, rate)
    name = HIDDEN[1]
    n = alive = _leaf(mask, name).size
    for _ in range(rounds):
        alive -= _expected_zeros(alive, rate)
    assert int(_leaf(mask, name).sum()) == alive
    assert 1 - alive / n == pytest.approx(1 - (1 - rate) ** rounds, abs=rounds / n)
    s = lottery.equivalent_rate(rate, rounds)
    assert s == pytest.approx(1 - 0.8 ** 6)
    oneshot = lottery.magnitude_prune(params, lottery.dense_mask(params), s)
    assert abs(int(_leaf(oneshot, name).sum()) - alive) <= rounds
    sp = lottery.layer_sparsities(mask)
    assert float(sp[name]) == pytest.approx(1 - alive / n)
    total = sum(_leaf(mask, k).size for k in (*HIDDEN, OUTPUT))
    zeros = sum(int((_leaf(mask, k) == 0).sum()) for k in (*HIDDEN, OUTPUT))
    assert float(lottery.sparsity(mask)) == pytest.approx(zeros / total)


def test_prune_is_jittable_and_vmappable():
    batch = jax.tree.map(lambda *x: jnp.stack(x), *(_params(s) for s in (4, 5)))
    prune = lambda p, m: lottery.magnitude_prune(p, m, 0.5)  # noqa: E731
    masks = jax.jit(jax.vmap(prune))(batch, lottery.dense_mask(batch))
    for i in range(2):
        one = jax.tree.map(lambda x: x[i], batch)
        eager = prune(one, lottery.dense_mask(one))
        jax.tree.map(lambda a, b: np.testing.assert_array_equal(a[i], b), masks, eager)


def test_rewinding_restores_the_stored_weights_exactly():
    trained, theta_k = _params(5), _params(6)
    received = []

    def train_fn(params, mask):
        received.append((params, mask))
        return jax.tree.map(lambda p, t: p + t, params, trained)  # any deterministic "training"

    rounds = lottery.iterative_magnitude_pruning(train_fn, trained, theta_k, rounds=3, rate=0.4)
    assert len(rounds) == 3
    for (params, mask), r in zip(received, rounds):
        np.testing.assert_array_equal(np.asarray(jax.tree.leaves(mask)[0]), np.asarray(jax.tree.leaves(r.mask)[0]))
        for p, m, k in zip(jax.tree.leaves(params), jax.tree.leaves(mask), jax.tree.leaves(theta_k)):
            p, m, k = map(np.asarray, (p, m, k))
            np.testing.assert_array_equal(p[m == 1], k[m == 1])  # bit for bit the stored θ_k
            assert np.all(p[m == 0] == 0)
    # round r+1 prunes the weights that round r trained
    expected = lottery.magnitude_prune(rounds[0].params, rounds[0].mask, 0.4)
    jax.tree.map(np.testing.assert_array_equal, expected, rounds[1].mask)


def test_masked_weights_stay_exactly_zero_through_training():
    model = MLP((12, 10), 3)
    x = jax.random.normal(jax.random.PRNGKey(0), (64, 7))
    y = jnp.argmax(x[:, :3], axis=1)
    params = model.init(jax.random.PRNGKey(1), x[:1])["params"]
    mask = lottery.magnitude_prune(params, lottery.dense_mask(params), 0.7)
    start = lottery.apply_mask(params, mask)
    tx = optax.chain(optax.adam(1e-2), lottery.masked_updates(mask))
    trainer = make_trainer(model, tx, batch_size=16)
    state = trainer.init(jax.random.PRNGKey(2), x[:1]).replace(params=start, opt_state=tx.init(start))
    state, history = jax.jit(trainer.run_epochs, static_argnums=3)(state, (x, y), (x, y), 3)
    assert history["train_loss"][-1] < history["train_loss"][0]
    for p0, p, m in zip(jax.tree.leaves(start), jax.tree.leaves(state.params), jax.tree.leaves(mask)):
        p0, p, m = map(np.asarray, (p0, p, m))
        assert np.all(p[m == 0] == 0.0)
        assert np.any(p[m == 1] != p0[m == 1])


def test_masked_updates_multiplies_the_updates():
    mask = {"w": jnp.array([1.0, 0.0, 1.0])}
    tx = lottery.masked_updates(mask)
    updates, _ = tx.update({"w": jnp.array([2.0, 3.0, -4.0])}, tx.init(mask))
    np.testing.assert_array_equal(updates["w"], [2.0, 0.0, -4.0])


def test_random_mask_keeps_every_layers_sparsity():
    params = _params(7)
    mask = lottery.magnitude_prune(params, lottery.dense_mask(params), 0.5)
    keys = jax.random.split(jax.random.PRNGKey(8), 4)
    randoms = jax.vmap(lottery.random_mask_like, (0, None))(keys, mask)
    for name in (*HIDDEN, OUTPUT):
        original = _leaf(mask, name)
        drawn = _leaf(randoms, name)
        for i in range(4):
            assert drawn[i].sum() == original.sum()
            assert set(np.unique(drawn[i])) <= {0.0, 1.0}
        assert not np.array_equal(drawn[0], original)
        assert not np.array_equal(drawn[0], drawn[1])
    for layer in mask:
        assert np.all(np.asarray(randoms[layer]["bias"]) == 1)


def test_equivalent_rate_closed_form():
    for rate, rounds in [(0.2, 1), (0.2, 10), (0.5, 3)]:
        assert lottery.equivalent_rate(rate, rounds) == pytest.approx(1 - math.prod([1 - rate] * rounds))
    # 20 % per round reaches 90 % after ln(0.1)/ln(0.8) ≈ 10.3 rounds
    assert lottery.equivalent_rate(0.2, 10) < 0.9 < lottery.equivalent_rate(0.2, 11)


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_rate_outside_the_open_unit_interval_raises(rate):
    params = _params()
    with pytest.raises(ValueError, match="rate must be in"):
        lottery.magnitude_prune(params, lottery.dense_mask(params), rate)
    with pytest.raises(ValueError, match="output_rate must be in"):
        lottery.magnitude_prune(params, lottery.dense_mask(params), 0.2, output_rate=rate)
    with pytest.raises(ValueError, match="rate must be in"):
        lottery.equivalent_rate(rate, 2)


def test_other_bad_input_raises_clear_errors():
    params = _params()
    mask = lottery.dense_mask(params)
    with pytest.raises(ValueError, match="scope"):
        lottery.magnitude_prune(params, mask, 0.2, scope="per-neuron")
    with pytest.raises(ValueError, match="mask must have the same tree structure"):
        lottery.magnitude_prune(params, {"Dense_0": mask["Dense_0"]}, 0.2)
    with pytest.raises(ValueError, match="at least one weight matrix"):
        lottery.dense_mask({"bias": jnp.zeros(3)})
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        lottery.iterative_magnitude_pruning(lambda p, m: p, params, params, rounds=0, rate=0.2)
    with pytest.raises(TypeError, match="rounds must be an int"):
        lottery.equivalent_rate(0.2, 2.5)
    with pytest.raises(ValueError, match="reset_params must have the same tree structure"):
        lottery.iterative_magnitude_pruning(lambda p, m: p, params, {"a": jnp.ones((2, 2))}, rounds=1, rate=0.2)


@pytest.mark.parametrize("scope", ["layer", "global"])
def test_prune_bias_ranks_each_bias_with_its_kernel_brute_force(scope):
    params = _params(11)
    layers = ("Dense_0", "Dense_1", "Dense_2")
    mask = lottery.dense_mask(params)
    for _ in range(2):  # a second round ranks only the survivors
        new = lottery.magnitude_prune(params, mask, 0.3, output_rate=0.2, scope=scope, prune_bias=True)
        blocks = [(layers[:2], 0.3)] if scope == "global" else [((layer,), 0.3) for layer in layers[:2]]
        for block, rate in blocks + [((layers[2],), 0.2)]:
            flat = lambda tree: np.concatenate([np.ravel(tree[layer][leaf]) for layer in block  # noqa: E731
                                                for leaf in ("kernel", "bias")])
            w, old, m = np.abs(flat(params)), flat(mask), flat(new)
            alive = np.flatnonzero(old)
            removed = set(np.flatnonzero((old == 1) & (m == 0)).tolist())
            assert removed == set(alive[np.argsort(w[alive], kind="stable")[:_expected_zeros(alive.size, rate)]])
            assert np.all(m[old == 0] == 0)
        mask = new
    assert any(np.any(np.asarray(mask[layer]["bias"]) == 0) for layer in layers)


def test_random_mask_with_prune_bias_permutes_kernel_and_bias_together():
    params = _params(12)
    mask = lottery.magnitude_prune(params, lottery.dense_mask(params), 0.6, prune_bias=True)
    drawn = lottery.random_mask_like(jax.random.PRNGKey(3), mask, prune_bias=True)
    moved = False
    for layer in mask:
        total = lambda tree: float(tree[layer]["kernel"].sum() + tree[layer]["bias"].sum())  # noqa: E731
        assert total(drawn) == total(mask)
        moved |= float(drawn[layer]["bias"].sum()) != float(mask[layer]["bias"].sum())
        assert not np.array_equal(drawn[layer]["kernel"], mask[layer]["kernel"])
    assert moved  # zeros travel between a layer's kernel and bias


def test_torch_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    """torch.nn.Linear's documented default: W, b ~ U(−1/√fan_in, 1/√fan_in); KS test
    against that closed-form law, and against flax's lecun_normal draw (must differ)."""
    from scipy.stats import kstest

    from jaxml.experiments.lottery_tickets import torch_linear_init

    widths = (300, 200, 5)
    params = MLP(widths[1:2], widths[2]).init(jax.random.PRNGKey(0), jnp.ones((1, widths[0])))["params"]
    ours = torch_linear_init(jax.random.PRNGKey(1), params)
    assert jax.tree.structure(ours) == jax.tree.structure(params)
    for layer, fan_in in (("Dense_0", widths[0]), ("Dense_1", widths[1])):
        bound = 1 / math.sqrt(fan_in)
        for leaf in ("kernel", "bias"):
            x = np.ravel(ours[layer][leaf])
            assert np.abs(x).max() <= bound
            assert kstest(x, "uniform", args=(-bound, 2 * bound)).pvalue > 1e-3
    assert kstest(np.ravel(params["Dense_0"]["kernel"]), "uniform",
                  args=(-1 / math.sqrt(widths[0]), 2 / math.sqrt(widths[0]))).pvalue < 1e-6
