"""Minimal reproducer without jaxml: one jitted program with ``--num-ops`` independent
batched LAPACK calls (QR, as in the orthogonal initialisation of every jaxml actor-critic,
or LU solves), called ``--iters`` times.

XLA's thunk executor runs independent custom calls at the same time on its intra-op
threads; jaxlib 0.10.x's LAPACK kernels split their batch over that same pool and block
until it is done, so two calls that meet on the two threads of a 2-CPU machine wait for
each other forever (README.md).

Prints the versions and thread-pool settings first, then the time of all iterations.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from versions import describe


def make_program(op: str, num_ops: int, batch: int, size: int):
    """``program(key)``: ``num_ops`` independent ``(batch, size, size)`` QRs or solves."""
    def program(key):
        outs = []
        for k in jax.random.split(key, num_ops):
            a = jax.random.normal(k, (batch, size, size))
            if op == "qr":
                outs.append(jnp.linalg.qr(a)[0].sum())
            else:
                a = a + size * jnp.eye(size)
                outs.append(jnp.linalg.solve(a, a[..., :1]).sum())
        return jnp.stack(outs)

    return jax.jit(program)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--op", choices=("qr", "solve"), default="qr")
    parser.add_argument("--num-ops", type=int, default=6)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--iters", type=int, default=2000)
    args = parser.parse_args()
    print(describe(), flush=True)
    program = make_program(args.op, args.num_ops, args.batch, args.size)
    key = jax.random.key(0)
    jax.block_until_ready(program(key))
    t0 = time.perf_counter()
    for i in range(args.iters):
        out = jax.block_until_ready(program(jax.random.fold_in(key, i)))
    t1 = time.perf_counter()
    print(f"{args.iters} iterations of {args.num_ops} x {args.op} {args.batch}x{args.size}x"
          f"{args.size} in {t1 - t0:.1f} s ({(t1 - t0) / args.iters * 1e3:.2f} ms each), "
          f"last {float(out.sum()):.3f}", flush=True)


if __name__ == "__main__":
    main()
