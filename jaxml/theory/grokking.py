r"""Grokking (Power et al. 2022): modular arithmetic learned long after it is memorised.

**Data.** For a prime p and an operation ∘ ∈ {+, −, ×, ÷} on Z_p, every equation
"a ∘ b = c" with a, b ∈ Z_p (b ≠ 0 for ÷) is one sequence of four tokens
[a, ∘, b, =] whose answer c is to be predicted at the last position. Division is
multiplication by the inverse, a ÷ b = a · b^{p−2} mod p (Fermat). The vocabulary is the p
numbers 0 … p−1, then one token per operation (p + index in :data:`OPS`), then "=" (the
last token). A keyed split sends round(f·N) of the N equations to training and the rest
to validation.

**Training.** A small Transformer (:class:`jaxml.nn.transformer.Transformer`) is trained by
AdamW (lr η = 10⁻³ with a linear warm-up over the first 10 updates, β = (0.9, 0.98),
decoupled weight decay λ: θ ← θ − η(m̂/(√v̂ + ε) + λθ)) on the cross-entropy of the answer
token only, with minibatches of B = min(512, ⌊|train|/2⌋) drawn without replacement within
each epoch. Every ``eval_every`` steps the accuracy on the whole training and validation
sets is measured; ``steps_to_99`` is the first measured step where it reaches 0.99 (NaN
when it never does), and the grokking delay is steps_to_val_99 / steps_to_train_99.

**Why not jaxml.train.** Its ``fit`` takes float features and one fixed training set per
call. Here the inputs are integer tokens, and the runs of a sweep — seeds, training
fractions, weight decays — differ in *which* equations they train on and how large their
batches are. :func:`make_trainer` keeps every shape static by giving each run a boolean
training mask over all N equations and a traced batch size ≤ ``max_batch`` (unused batch
slots get zero weight), so the whole sweep is one ``vmap`` and one compilation; the
accuracies on the full sets are measured inside the same ``lax.scan``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from jaxml.core import check_int

OPS = ("+", "-", "*", "/")
SEQ_LEN = 4


def _check_prime(p: Any) -> int:
    p = check_int(p, "p", minimum=2)
    if any(p % d == 0 for d in range(2, int(p ** 0.5) + 1)):
        raise ValueError(f"p must be a prime (Z_p is a field only then), got {p}")
    return p


def _check_op(op: Any) -> str:
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    return op


def vocab_size(p: int) -> int:
    """p numbers, one token per operation, and "=": p + len(OPS) + 1."""
    return _check_prime(p) + len(OPS) + 1


def op_token(p: int, op: str) -> int:
    """The token of operation ``op``: p + its index in :data:`OPS`."""
    return _check_prime(p) + OPS.index(_check_op(op))


def modular_data(p: int, op: str) -> tuple[np.ndarray, np.ndarray]:
    """All equations a ∘ b mod p as ``(tokens (N, 4) int32, answers (N,) int32)``.

    N = p² (p(p − 1) for ÷, which excludes b = 0); rows are ordered by (a, b).
    """
    p, op = _check_prime(p), _check_op(op)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(p), np.arange(p), indexing="ij"))
    if op == "/":
        a, b = a[b != 0], b[b != 0]
    if op == "+":
        c = (a + b) % p
    elif op == "-":
        c = (a - b) % p
    elif op == "*":
        c = (a * b) % p
    else:
        inverse = np.array([pow(int(x), p - 2, p) for x in range(p)])
        c = (a * inverse[b]) % p
    tokens = np.stack([a, np.full_like(a, op_token(p, op)), b, np.full_like(a, p + len(OPS))], 1)
    return tokens.astype(np.int32), c.astype(np.int32)


def split_mask(key, n: int, fraction: float) -> jax.Array:
    """Boolean (n,) mask, True for the round(fraction·n) training equations chosen by ``key``."""
    n = check_int(n, "n", minimum=2)
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    n_train = int(round(fraction * n))
    if not 0 < n_train < n:
        raise ValueError(f"fraction {fraction} of {n} equations leaves an empty training or "
                         "validation set")
    rank = jnp.argsort(jax.random.permutation(key, n))
    return rank < n_train


def batch_size_for(n_train: int) -> int:
    """Power et al.'s batch size min(512, ⌊n_train/2⌋) (at least 1)."""
    n_train = check_int(n_train, "n_train", minimum=1)
    return max(1, min(512, n_train // 2))


def steps_to_threshold(steps: Any, accuracy: Any, threshold: float = 0.99) -> np.ndarray:
    """First entry of ``steps`` at which ``accuracy`` (last axis aligned with ``steps``)
    reaches ``threshold``; NaN where it never does."""
    steps = np.asarray(steps, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    if steps.ndim != 1 or accuracy.shape[-1:] != steps.shape:
        raise ValueError(f"accuracy's last axis must match steps {steps.shape}, got {accuracy.shape}")
    reached = accuracy >= threshold
    first = np.argmax(reached, axis=-1)
    return np.where(reached.any(axis=-1), steps[first], np.nan)


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array


class Run(NamedTuple):
    """What differs between the runs of a sweep (each a leaf with a leading run axis
    under ``vmap``): ``key``, ``train_mask`` (N,), ``batch_size``, ``weight_decay``."""

    key: jax.Array
    train_mask: jax.Array
    batch_size: jax.Array
    weight_decay: jax.Array


class GrokTrainer(NamedTuple):
    """``init(run) -> state``; ``chunk(state, run, n_evals) -> (state, (train_acc, val_acc))``
    trains n_evals · eval_every steps and measures both accuracies after each eval_every."""

    init: Any
    chunk: Any


def make_trainer(model, tokens, answers, *, eval_every: int, max_batch: int, lr: float = 1e-3,
                 warmup: int = 10, b1: float = 0.9, b2: float = 0.98) -> GrokTrainer:
    """The pure training functions of one run on the equations ``(tokens, answers)``."""
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    max_batch = check_int(max_batch, "max_batch", minimum=1)
    warmup = check_int(warmup, "warmup", minimum=1)
    tokens, answers = jnp.asarray(tokens), jnp.asarray(answers)
    n = tokens.shape[0]

    def optimiser(weight_decay):
        schedule = lambda t: lr * jnp.minimum(1.0, (t + 1) / warmup)  # noqa: E731
        return optax.adamw(schedule, b1=b1, b2=b2, weight_decay=weight_decay)

    def init(run: Run) -> TrainState:
        params = model.init(jax.random.fold_in(run.key, 0), tokens[:1], train=False)
        return TrainState(params, optimiser(run.weight_decay).init(params), jnp.zeros((), jnp.int32))

    def answer_logits(params, x):
        return model.apply(params, x, train=False)[:, -1]

    def step(state: TrainState, run: Run) -> TrainState:
        n_train = jnp.sum(run.train_mask)
        per_epoch = jnp.maximum(n_train // run.batch_size, 1)
        epoch, within = state.step // per_epoch, state.step % per_epoch
        u = jax.random.uniform(jax.random.fold_in(jax.random.fold_in(run.key, 1), epoch), (n,))
        order = jnp.argsort(jnp.where(run.train_mask, u, 2.0))  # training equations first, shuffled
        order = jnp.concatenate([order, jnp.zeros(max_batch, order.dtype)])
        idx = jax.lax.dynamic_slice(order, (within * run.batch_size,), (max_batch,))
        weight = (jnp.arange(max_batch) < run.batch_size).astype(jnp.float32)

        def loss(params):
            ce = optax.softmax_cross_entropy_with_integer_labels(answer_logits(params, tokens[idx]),
                                                                 answers[idx])
            return jnp.sum(weight * ce) / run.batch_size

        grads = jax.grad(loss)(state.params)
        tx = optimiser(run.weight_decay)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        return TrainState(optax.apply_updates(state.params, updates), opt_state, state.step + 1)

    def accuracies(params, run: Run):
        correct = (jnp.argmax(answer_logits(params, tokens), -1) == answers).astype(jnp.float32)
        train = run.train_mask.astype(jnp.float32)
        return (jnp.sum(correct * train) / jnp.sum(train),
                jnp.sum(correct * (1 - train)) / jnp.sum(1 - train))

    def chunk(state: TrainState, run: Run, n_evals: int):
        def between_evals(state, _):
            state = jax.lax.fori_loop(0, eval_every, lambda _, s: step(s, run), state)
            return state, accuracies(state.params, run)

        return jax.lax.scan(between_evals, state, None, length=n_evals)

    return GrokTrainer(init, chunk)


def train_sweep(model, tokens, answers, runs: Run, *, steps: int, eval_every: int,
                max_batch: int, chunks: int = 20, progress: bool | None = None,
                desc: str = "grokking", **optimiser) -> dict[str, np.ndarray]:
    """Train every run of ``runs`` (leaves with a leading run axis) at once, ``vmap``-ed.

    Returns ``{"steps": (E,), "train_acc": (R, E), "val_acc": (R, E), "params": ...}`` with
    E = steps // eval_every measurements at steps eval_every, 2·eval_every, … and the final
    variables of every run (leaves with a leading run axis).
    ``optimiser`` goes to :func:`make_trainer` (lr, warmup, b1, b2).
    """
    steps = check_int(steps, "steps", minimum=1)
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    n_evals = steps // eval_every
    if n_evals < 1:
        raise ValueError(f"steps ({steps}) must be at least eval_every ({eval_every})")
    if np.any(np.asarray(runs.batch_size) > max_batch):
        raise ValueError(f"every runs.batch_size must be <= max_batch ({max_batch})")
    trainer = make_trainer(model, tokens, answers, eval_every=eval_every, max_batch=max_batch,
                           **optimiser)
    state = jax.jit(jax.vmap(trainer.init))(runs)
    chunk = jax.jit(jax.vmap(trainer.chunk, in_axes=(0, 0, None)), static_argnums=2)
    chunks = check_int(chunks, "chunks", minimum=1)
    per_chunk = min(d for d in range(1, n_evals + 1) if n_evals % d == 0 and n_evals // d <= chunks)
    train_acc, val_acc = [], []
    done = 0
    with tqdm(total=n_evals * eval_every, desc=desc, unit="step", leave=False,
              disable=None if progress is None else not progress) as bar:
        while done < n_evals:
            state, (tr, va) = chunk(state, runs, per_chunk)
            train_acc.append(np.asarray(tr))
            val_acc.append(np.asarray(va))
            done += per_chunk
            bar.update(per_chunk * eval_every)
            bar.set_postfix(train=f"{train_acc[-1][:, -1].mean():.3f}", val=f"{val_acc[-1][:, -1].mean():.3f}")
    return {"steps": eval_every * np.arange(1, n_evals + 1),
            "train_acc": np.concatenate(train_acc, 1), "val_acc": np.concatenate(val_acc, 1),
            "params": state.params}
