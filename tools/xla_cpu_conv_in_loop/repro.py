"""XLA CPU (jaxlib 0.10.2): a convolution's weight gradient inside a while loop
(lax.scan, lax.fori_loop) runs ~30x slower than the same computation outside one.

Run: python tools/xla_cpu_conv_in_loop/repro.py
"""

import time

import flax.linen as nn
import jax
import jax.numpy as jnp


def per_step_ms(fn, arg, steps):
    jax.block_until_ready(fn(arg))  # compile
    start = time.perf_counter()
    jax.block_until_ready(fn(arg))
    return (time.perf_counter() - start) / steps * 1000


def main(steps: int = 6) -> None:
    x = jnp.ones((50, 32, 32, 16))
    conv = nn.Conv(16, (3, 3), padding="SAME")
    variables = conv.init(jax.random.PRNGKey(0), x)
    grad = jax.grad(lambda v: (conv.apply(v, x) ** 2).sum())
    sgd = lambda v, _=None: jax.tree.map(lambda a, b: a - 1e-6 * b, v, grad(v))  # noqa: E731

    def looped(unroll):
        return jax.jit(lambda v: jax.lax.scan(lambda c, _: (sgd(c), None), v, None, length=steps, unroll=unroll)[0])

    single = jax.jit(sgd)
    jax.block_until_ready(single(variables))
    start = time.perf_counter()
    for _ in range(steps):
        variables_out = single(variables)
    jax.block_until_ready(variables_out)
    print(f"jax {jax.__version__}: one conv (50×32×32×16, 3×3) weight-gradient step")
    print(f"  separate jitted calls : {(time.perf_counter() - start) / steps * 1000:7.1f} ms/step")
    print(f"  lax.scan              : {per_step_ms(looped(1), variables, steps):7.1f} ms/step")
    print(f"  lax.scan, unroll=2    : {per_step_ms(looped(2), variables, steps):7.1f} ms/step")
    print(f"  lax.scan, unroll=all  : {per_step_ms(looped(steps), variables, steps):7.1f} ms/step (no while loop)")


if __name__ == "__main__":
    main()
