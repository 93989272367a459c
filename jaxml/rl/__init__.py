"""Reinforcement learning, PureJaxRL-style: whole training runs under one ``jit``.

* :mod:`jaxml.rl.envs` — our tabular MDPs in gymnax's API (gridworld, FrozenLake, cliff
  walking, four rooms, Garnet); gymnax supplies the classic-control tasks.
* :mod:`jaxml.rl.mdp` — exact policy evaluation, value iteration, policy iteration.
* :mod:`jaxml.rl.tabular` — Monte Carlo, TD(0), TD(λ), SARSA, Expected SARSA, Q-learning.
* :mod:`jaxml.rl.bandits` — ε-greedy, decaying ε, UCB1, Thompson sampling, gradient bandit.
* :mod:`jaxml.rl.buffers` — replay buffers as pytrees (uniform/prioritised, n-step).
* :mod:`jaxml.rl.dqn` — DQN, Double, Dueling, PER, n-step, C51, NoisyNets.
* :mod:`jaxml.rl.reinforce`, :mod:`jaxml.rl.a2c`, :mod:`jaxml.rl.ppo`, :mod:`jaxml.rl.trpo`
  — policy gradients.

Every agent has one shape: ``train = make_train(config, ...)`` and
``train(key, **hyper) -> (state, metrics)``, ``metrics`` a dict of arrays whose leading
axis is the update (episode, pull) index; ``jax.jit(jax.vmap(train))(keys)`` runs many
seeds at once, and any float field of the config passed in ``hyper`` as an array makes a
hyperparameter sweep one compiled program. The deep agents' configs derive from
:class:`jaxml.rl.common.AgentConfig` (one budget, ``total_timesteps``); every config is
validated at construction (:class:`jaxml.rl.common.CheckedConfig`).
"""

from jaxml.rl import a2c, bandits, buffers, common, dqn, envs, mdp, ppo, reinforce, tabular, trpo

__all__ = ["a2c", "bandits", "buffers", "common", "dqn", "envs", "mdp", "ppo", "reinforce",
           "tabular", "trpo"]
