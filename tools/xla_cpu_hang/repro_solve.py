"""A vmapped batch of LAPACK solves, ``jax.jit(jax.vmap(jnp.linalg.solve))``, repeated.

Prints the versions and thread-pool settings first, then the time of each repetition.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from versions import describe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(describe(), flush=True)
    k_a, k_b = jax.random.split(jax.random.key(0))
    a = jax.random.normal(k_a, (args.batch, args.size, args.size)) + 4.0 * jnp.eye(args.size)
    b = jax.random.normal(k_b, (args.batch, args.size))
    solve = jax.jit(jax.vmap(jnp.linalg.solve))
    t0 = time.perf_counter()
    for _ in range(args.repeats):
        x = jax.block_until_ready(solve(a, b))
    t1 = time.perf_counter()
    residual = float(jnp.abs(jnp.einsum("nij,nj->ni", a, x) - b).max())
    print(f"{args.repeats} solves of {args.batch}x{args.size}x{args.size} in {t1 - t0:.1f} s, "
          f"max residual {residual:.1e}", flush=True)


if __name__ == "__main__":
    main()
