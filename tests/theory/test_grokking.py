"""Tests for jaxml.theory.grokking: the equations against brute force with Python ints, the
split, steps-to-threshold on hand-made curves, the masked trainer against its contract."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.nn.transformer import Transformer
from jaxml.theory import grokking

P = 7


@pytest.mark.parametrize("op", grokking.OPS)
def test_data_covers_every_pair_once_with_correct_answers(op):
    tokens, answers = grokking.modular_data(P, op)
    assert tokens.shape == (len(answers), 4) and tokens.dtype == np.int32
    pairs = [(int(a), int(b)) for a, _, b, _ in tokens]
    expected_pairs = [(a, b) for a in range(P) for b in range(P) if op != "/" or b != 0]
    assert sorted(pairs) == expected_pairs and len(set(pairs)) == len(pairs)
    brute = {"+": lambda a, b: (a + b) % P, "-": lambda a, b: (a - b) % P,
             "*": lambda a, b: (a * b) % P, "/": lambda a, b: a * pow(b, P - 2, P) % P}[op]
    for (a, b), c in zip(pairs, answers):
        assert c == brute(a, b)
        if op == "/":
            assert (c * b) % P == a  # c really is a ÷ b
    assert set(tokens[:, 1]) == {grokking.op_token(P, op)}
    assert set(tokens[:, 3]) == {grokking.vocab_size(P) - 1}
    assert tokens.max() < grokking.vocab_size(P)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.77])
def test_split_is_a_keyed_partition_with_the_requested_fraction(fraction):
    n = 97
    mask = np.asarray(grokking.split_mask(jax.random.key(0), n, fraction))
    assert mask.shape == (n,) and mask.dtype == bool
    assert mask.sum() == round(fraction * n) and (~mask).sum() == n - round(fraction * n)
    np.testing.assert_array_equal(mask, grokking.split_mask(jax.random.key(0), n, fraction))
    assert not np.array_equal(mask, grokking.split_mask(jax.random.key(1), n, fraction))


def test_batch_size_rule():
    assert grokking.batch_size_for(4705) == 512
    assert grokking.batch_size_for(60) == 30
    assert grokking.batch_size_for(1) == 1


def test_steps_to_threshold_on_hand_made_curves():
    steps = np.array([10, 20, 30, 40])
    curves = np.array([[0.1, 0.5, 0.99, 1.0],
                       [0.2, 0.995, 0.9, 1.0],
                       [0.1, 0.2, 0.3, 0.98]])
    np.testing.assert_array_equal(grokking.steps_to_threshold(steps, curves), [30, 20, np.nan])
    assert grokking.steps_to_threshold(steps, curves[2], threshold=0.3) == 30
    with pytest.raises(ValueError, match="steps"):
        grokking.steps_to_threshold(steps, curves[:, :3])


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="p must be a prime"):
        grokking.modular_data(9, "+")
    with pytest.raises(ValueError, match="op must be one of"):
        grokking.modular_data(7, "^")
    with pytest.raises(TypeError, match="p must be an int"):
        grokking.modular_data(7.0, "+")
    for fraction in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="fraction must be in"):
            grokking.split_mask(jax.random.key(0), 10, fraction)
    with pytest.raises(ValueError, match="empty training"):
        grokking.split_mask(jax.random.key(0), 10, 0.01)


def _runs(tokens, fractions, weight_decays, seed=0):
    keys = jax.random.split(jax.random.key(seed), len(fractions))
    masks = jnp.stack([grokking.split_mask(k, len(tokens), f) for k, f in zip(keys, fractions)])
    batch = jnp.array([grokking.batch_size_for(int(m.sum())) for m in masks])
    return grokking.Run(keys, masks, batch, jnp.asarray(weight_decays, jnp.float32))


def test_masked_trainer_fits_its_training_set_and_batches_stay_inside_it():
    """A tiny model memorises the training equations (train accuracy → 1), and a run's
    updates depend only on its own training mask: equations outside it never enter."""
    tokens, answers = grokking.modular_data(5, "+")
    model = Transformer(grokking.vocab_size(5), 4, num_layers=1, d_model=16, num_heads=2, d_mlp=16)
    runs = _runs(tokens, [0.5, 0.7], [0.1, 0.0])
    out = grokking.train_sweep(model, tokens, answers, runs, steps=300, eval_every=100,
                               max_batch=int(runs.batch_size.max()), chunks=3, progress=False,
                               lr=1e-2)
    np.testing.assert_array_equal(out["steps"], [100, 200, 300])
    assert out["train_acc"].shape == out["val_acc"].shape == (2, 3)
    assert np.all(out["train_acc"][:, -1] >= 0.99)
    # scrambling the answers of validation equations leaves training unchanged
    scrambled = np.where(np.asarray(runs.train_mask[0]), answers, (answers + 1) % 5)
    single = jax.tree.map(lambda a: a[:1], runs)
    a = grokking.train_sweep(model, tokens, answers, single, steps=5, eval_every=5,
                             max_batch=int(single.batch_size.max()), progress=False)
    b = grokking.train_sweep(model, tokens, scrambled, single, steps=5, eval_every=5,
                             max_batch=int(single.batch_size.max()), progress=False)
    jax.tree.map(np.testing.assert_array_equal, a["params"], b["params"])
    with pytest.raises(ValueError, match="max_batch"):
        grokking.train_sweep(model, tokens, answers, runs, steps=10, eval_every=10, max_batch=1)
