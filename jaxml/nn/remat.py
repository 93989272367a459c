r"""Gradient checkpointing (``jax.checkpoint`` / ``nn.remat``) and its memory, measured.

Reverse-mode differentiation keeps the forward pass's intermediate values (residuals)
until the backward pass uses them. For a stack of L blocks
:math:`h_{l+1} = h_l + W_2\,\mathrm{gelu}(W_1 h_l)` of width d and expansion e that is
about (2e + 1)·B·d numbers a block (h_l, W₁h_l and its gelu). Checkpointing each block
keeps only its input h_l and recomputes the rest during the backward pass: memory falls
by about (2e + 1)× for one extra forward pass (≈ 1/3 more FLOPs). The gradients are the
same computation, reordered.

:func:`train_step_memory` compiles one :func:`jaxml.train.state.train_step` and reads XLA's
memory analysis of the compiled program (``temp_size_in_bytes``: the scratch memory the
step needs beyond its inputs and outputs), so the saving is measured, not estimated.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from jaxml.core.validation import check_bool, check_int


class ResidualBlock(nn.Module):
    """h + W₂ gelu(W₁ h); W₂ starts at variance 1/(e·d·depth) so the stack stays O(1)."""

    width: int
    expansion: int
    depth: int

    @nn.compact
    def __call__(self, h: jax.Array, _) -> tuple[jax.Array, None]:
        u = nn.gelu(nn.Dense(self.expansion * self.width)(h), approximate=False)
        scale = nn.initializers.variance_scaling(1.0 / self.depth, "fan_in", "normal")
        return h + nn.Dense(self.width, kernel_init=scale)(u), None


class DeepResidualMLP(nn.Module):
    """Input projection, ``depth`` residual blocks under one ``nn.scan`` (parameters
    stacked along the first axis), linear readout. ``remat=True`` checkpoints every block;
    the parameters are the same pytree either way."""

    depth: int
    width: int
    num_outputs: int
    expansion: int = 4
    remat: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        check_int(self.depth, "depth", minimum=1)
        check_bool(self.remat, "remat")
        block = nn.remat(ResidualBlock) if self.remat else ResidualBlock
        stack = nn.scan(block, variable_axes={"params": 0}, split_rngs={"params": True}, length=self.depth)
        h = nn.Dense(self.width)(x.reshape(x.shape[0], -1))
        h, _ = stack(self.width, self.expansion, self.depth, name="blocks")(h, None)
        return nn.Dense(self.num_outputs)(h)


class StepMemory(NamedTuple):
    """Bytes of the compiled step: scratch (``temp``), inputs and outputs."""

    temp: int
    arguments: int
    outputs: int


def train_step_memory(model: nn.Module, tx: optax.GradientTransformation, batch: tuple[jax.Array, jax.Array], *,
                      task: str = "classification", loss_fn=None) -> StepMemory:
    """Compile one training step of ``model`` on ``batch`` (nothing runs) and return XLA's
    memory analysis of it."""
    from jaxml.train.state import create_train_state, default_loss, train_step

    x, _ = batch
    state = jax.eval_shape(lambda: create_train_state(jax.random.PRNGKey(0), model, tx, x))
    loss_fn = default_loss(task) if loss_fn is None else loss_fn
    step = jax.jit(functools.partial(train_step, model, tx, loss_fn, task))
    analysis = step.lower(state, batch, jax.ShapeDtypeStruct((2,), jnp.uint32)).compile().memory_analysis()
    return StepMemory(int(analysis.temp_size_in_bytes), int(analysis.argument_size_in_bytes),
                      int(analysis.output_size_in_bytes))
