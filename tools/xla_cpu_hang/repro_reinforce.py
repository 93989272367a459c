"""The no-baseline REINFORCE run of ``experiments/rl_cartpole.py`` (its full budget is
5×10⁵ steps): ``jax.jit(jax.vmap(make_train(ReinforceConfig(baseline=False))))(keys)``.

Prints the versions and thread-pool settings first, then compile and run times.
"""

from __future__ import annotations

import argparse
import time

import jax

from jaxml.rl.reinforce import ReinforceConfig, make_train

from versions import describe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--total-timesteps", type=int, default=500_000)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    print(describe(), flush=True)
    config = ReinforceConfig(total_timesteps=args.total_timesteps, baseline=args.baseline)
    train = jax.jit(jax.vmap(make_train(config)))
    keys = jax.random.split(jax.random.key(0), args.seeds)
    t0 = time.perf_counter()
    compiled = train.lower(keys).compile()
    t1 = time.perf_counter()
    _, metrics = compiled(keys)
    ret = jax.block_until_ready(metrics["episode_return"])
    t2 = time.perf_counter()
    print(f"compile {t1 - t0:.1f} s run {t2 - t1:.1f} s final return {ret[:, -1].mean():.1f}",
          flush=True)


if __name__ == "__main__":
    main()
