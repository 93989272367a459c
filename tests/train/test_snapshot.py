"""Snapshot ensembles: the cyclic cosine rate equals optax's SGDR schedule, each snapshot is
the state a plain run reaches at that epoch, and the ensemble averages its members."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.nn.models import MLP
from jaxml.train import fit
from jaxml.train.snapshot import (
    cyclic_cosine_schedule,
    snapshot_ensemble,
    snapshot_predict,
)


def _blobs():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 4)) * 3
    y = rng.integers(0, 3, 96).astype(np.int32)
    return (centers[y] + rng.normal(size=(96, 4))).astype(np.float32), y


def test_schedule_equals_optax_sgdr_with_restarts():
    ours = cyclic_cosine_schedule(0.2, 7)
    one_cycle = dict(init_value=0.2, peak_value=0.2, warmup_steps=0, decay_steps=7,
                     end_value=0.0)
    ref = optax.sgdr_schedule([one_cycle] * 3)
    steps = jnp.arange(21)
    np.testing.assert_allclose(jax.vmap(ours)(steps), jax.vmap(ref)(steps), atol=1e-7)
    assert float(ours(7)) == pytest.approx(0.2)  # every cycle restarts at lr_max


def test_each_snapshot_is_the_plain_run_at_the_end_of_its_cycle():
    X, y = _blobs()
    model = MLP(features=(16,), num_outputs=3)
    ens = snapshot_ensemble(0, model, (X, y), n_snapshots=3, epochs_per_cycle=4,
                            batch_size=16, lr_max=0.1)
    cycle_steps = 4 * (96 // 16)
    tx = optax.sgd(cyclic_cosine_schedule(0.1, cycle_steps), momentum=0.9)
    for m in range(3):
        plain = fit(0, model, tx, (X, y), epochs=4 * (m + 1), batch_size=16, progress=False)
        member = jax.tree.map(lambda leaf: leaf[m], ens.members)
        for a, b in zip(jax.tree.leaves(member), jax.tree.leaves(plain.state.params)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ens.history["train_loss"].shape == (3, 4)
    # the ensemble is the mean of its members' probabilities
    probs = [jax.nn.softmax(model.apply({"params": jax.tree.map(lambda v: v[m], ens.members)}, X),
                            axis=-1) for m in range(3)]
    np.testing.assert_allclose(snapshot_predict(model, ens, X), np.mean(probs, axis=0),
                               rtol=1e-5, atol=1e-6)
    assert float(jnp.mean(jnp.argmax(snapshot_predict(model, ens, X), 1) == y)) > 0.9


def test_bad_input():
    X, y = _blobs()
    model = MLP(features=(4,), num_outputs=3)
    with pytest.raises(ValueError, match="n_snapshots"):
        snapshot_ensemble(0, model, (X, y), n_snapshots=0, epochs_per_cycle=1, batch_size=8)
    with pytest.raises(ValueError, match="batch_size"):
        snapshot_ensemble(0, model, (X, y), n_snapshots=2, epochs_per_cycle=1, batch_size=1000)
    with pytest.raises(ValueError, match="lr_max"):
        cyclic_cosine_schedule(-1.0, 5)
