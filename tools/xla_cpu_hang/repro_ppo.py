"""The issue's case: ``jax.jit(jax.vmap(make_train(PPOConfig(...))))(keys)`` on CPU.

The only LAPACK calls in that program are the QR factorisations of the orthogonal
initialisation of the actor and critic (6 ``lapack_sgeqrf_ffi`` + 6 ``lapack_sorgqr_ffi``,
each batched over the seeds). ``--init-only`` runs just that part — the jitted, vmapped
``ActorCritic.init`` — ``--iters`` times, which reaches the same deadlock in seconds.

Prints the versions and thread-pool settings first, then compile and run times. Run it under
``watch.py`` to count stalls over fresh processes.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from jaxml.rl.common import ActorCritic
from jaxml.rl.ppo import PPOConfig, make_train

from versions import describe


def run_training(keys, total_timesteps: int) -> str:
    train = jax.jit(jax.vmap(make_train(PPOConfig(total_timesteps=total_timesteps))))
    t0 = time.perf_counter()
    compiled = train.lower(keys).compile()
    t1 = time.perf_counter()
    _, metrics = compiled(keys)
    ret = jax.block_until_ready(metrics["episode_return"])
    t2 = time.perf_counter()
    return f"compile {t1 - t0:.1f} s run {t2 - t1:.1f} s final return {ret[:, -1].mean():.1f}"


def run_init(keys, iters: int) -> str:
    network = ActorCritic(2)  # CartPole: 2 actions, 4 observations
    init = jax.jit(jax.vmap(lambda k: network.init(k, jnp.zeros((1, 4)))))
    jax.block_until_ready(init(keys))
    t0 = time.perf_counter()
    for i in range(iters):
        jax.block_until_ready(init(jax.vmap(jax.random.fold_in, (0, None))(keys, i)))
    return f"{iters} vmapped ActorCritic inits in {time.perf_counter() - t0:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--total-timesteps", type=int, default=500_000)
    parser.add_argument("--init-only", action="store_true")
    parser.add_argument("--iters", type=int, default=200)
    args = parser.parse_args()
    print(describe(), flush=True)
    keys = jax.random.split(jax.random.key(0), args.seeds)
    if args.init_only:
        print(run_init(keys, args.iters), flush=True)
    else:
        print(run_training(keys, args.total_timesteps), flush=True)


if __name__ == "__main__":
    main()
