"""Tabular MDPs with explicit transition and reward tensors, in gymnax's API.

A finite MDP is the tuple (𝒮, 𝒜, P, R, μ₀, 𝒯):

* ``P[s, a, s'] = Pr(S_{t+1}=s' | S_t=s, A_t=a)`` (rows sum to one),
* ``R[s, a, s']`` the reward received on that transition (so the expected reward is
  ``r(s, a) = Σ_{s'} P[s, a, s'] R[s, a, s']``),
* ``μ₀`` the start distribution and ``𝒯`` a boolean mask of terminal states.

Terminal states are absorbing with zero reward, so the same tensors serve episodic
(γ = 1, proper policies) and discounted problems, and the exact solvers in
:mod:`jaxml.rl.mdp` read them directly.

:class:`TabularEnv` samples from the tensors through gymnax's interface
(``env.reset(key, params)``, ``env.step(key, state, action, params)`` returning
``(obs, state, reward, terminated, truncated, info)`` with auto-reset); the tensors live in
the :class:`TabularEnvParams` pytree, so one compiled agent serves every MDP of a given
size and a sweep over MDPs is one ``vmap``.

Builders (each returns ``TabularEnvParams``):

* :func:`gridworld` — any ASCII layout: ``#`` wall, ``S`` start, ``G`` goal (terminal),
  ``H`` hole (terminal), ``C`` cliff (penalty and teleport to the start), ``.`` free.
  With probability ``slip`` the move goes to one of the two perpendicular directions.
* :func:`frozen_lake` — Gym's FrozenLake 4×4/8×8 (slippery: intended and each
  perpendicular direction with probability 1/3).
* :func:`cliff_walking` — Sutton & Barto (2018) Example 6.6, 4×12, −1 per step,
  −100 for stepping into the cliff (back to the start).
* :func:`four_rooms` — Sutton, Precup & Singh (1999) four-rooms layout.
* :func:`garnet` — random "Generic Average Reward Non-stationary Environment Test-bench"
  MDPs (Archibald et al. 1995): each (s, a) has ``branching`` random successors with
  Dirichlet-like random probabilities and uniform rewards.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct
from gymnax.environments import environment, spaces

# Actions: up, right, down, left (row, col) displacements.
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
ACTION_NAMES = ("up", "right", "down", "left")


@struct.dataclass
class TabularEnvState(environment.EnvState):
    """The current state index and the step counter."""

    s: jax.Array
    time: jax.Array


@struct.dataclass
class TabularEnvParams(environment.EnvParams):
    """The MDP tensors (pytree leaves) and the episode limit.

    Attributes:
      P: ``(S, A, S)`` transition probabilities.
      R: ``(S, A, S)`` transition rewards.
      init: ``(S,)`` start distribution μ₀.
      terminal: ``(S,)`` boolean terminal mask.
      max_steps_in_episode: truncation limit.
    """

    P: jax.Array = None
    R: jax.Array = None
    init: jax.Array = None
    terminal: jax.Array = None
    max_steps_in_episode: int = 100

    @property
    def num_states(self) -> int:
        return self.P.shape[0]

    @property
    def num_actions(self) -> int:
        return self.P.shape[1]

    @property
    def expected_reward(self) -> jax.Array:
        """``r(s, a) = Σ_{s'} P(s'|s,a) R(s,a,s')``."""
        return jnp.sum(self.P * self.R, axis=-1)


class TabularEnv(environment.Environment[TabularEnvState, TabularEnvParams]):
    """gymnax environment that samples a :class:`TabularEnvParams` MDP.

    The observation is the integer state index. ``num_states``/``num_actions`` are static
    so that spaces and network shapes are known at trace time.
    """

    def __init__(self, num_states: int, num_actions: int):
        super().__init__()
        self._num_states = int(num_states)
        self._num_actions = int(num_actions)

    @classmethod
    def for_params(cls, params: TabularEnvParams) -> "TabularEnv":
        return cls(params.num_states, params.num_actions)

    def __hash__(self):
        return hash((type(self), self._num_states, self._num_actions))

    def __eq__(self, other):
        return (type(self) is type(other) and self._num_states == other._num_states
                and self._num_actions == other._num_actions)

    @property
    def default_params(self) -> TabularEnvParams:
        raise ValueError("TabularEnv has no default params: build them with gridworld(...) etc.")

    def step_env(self, key, state, action, params):
        s_next = jax.random.choice(key, self._num_states, p=params.P[state.s, action])
        reward = params.R[state.s, action, s_next]
        new_state = TabularEnvState(s=s_next, time=state.time + 1)
        terminated = params.terminal[s_next]
        return s_next, new_state, reward, terminated, {}

    def reset_env(self, key, params):
        s0 = jax.random.choice(key, self._num_states, p=params.init)
        return s0, TabularEnvState(s=s0, time=jnp.zeros((), jnp.int32))

    def get_obs(self, state, params=None, key=None):
        return state.s

    def is_terminated(self, state, params):
        return params.terminal[state.s]

    @property
    def name(self) -> str:
        return f"Tabular-{self._num_states}x{self._num_actions}"

    @property
    def num_actions(self) -> int:
        return self._num_actions

    def action_space(self, params=None):
        return spaces.Discrete(self._num_actions)

    def observation_space(self, params=None):
        return spaces.Discrete(self._num_states)


def _validate(P: np.ndarray, R: np.ndarray, init: np.ndarray, terminal: np.ndarray) -> None:
    if P.ndim != 3 or P.shape[0] != P.shape[2]:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    if R.shape != P.shape:
        raise ValueError(f"R must have the shape of P {P.shape}, got {R.shape}")
    if not np.allclose(P.sum(-1), 1.0, atol=1e-5) or (P < 0).any():
        raise ValueError("P rows must be probability distributions over next states")
    if init.shape != (P.shape[0],) or not np.isclose(init.sum(), 1.0, atol=1e-5):
        raise ValueError(f"init must be a distribution over {P.shape[0]} states")
    if terminal.shape != (P.shape[0],):
        raise ValueError(f"terminal must have shape ({P.shape[0]},), got {terminal.shape}")


def make_params(P: Any, R: Any, init: Any, terminal: Any | None = None, *,
                max_steps_in_episode: int = 100) -> TabularEnvParams:
    """Validate explicit tensors and pack them as :class:`TabularEnvParams`.

    Terminal states are made absorbing with zero reward.
    """
    P = np.array(P, dtype=np.float64)
    R = np.array(R, dtype=np.float64)
    init = np.array(init, dtype=np.float64)
    terminal = (np.zeros(P.shape[0], bool) if terminal is None
                else np.array(terminal, dtype=bool))
    _validate(P, R, init, terminal)
    if max_steps_in_episode < 1:
        raise ValueError(f"max_steps_in_episode must be >= 1, got {max_steps_in_episode}")
    for s in np.flatnonzero(terminal):
        P[s] = 0.0
        P[s, :, s] = 1.0
        R[s] = 0.0
    return TabularEnvParams(P=jnp.asarray(P, jnp.float32), R=jnp.asarray(R, jnp.float32),
                            init=jnp.asarray(init, jnp.float32),
                            terminal=jnp.asarray(terminal),
                            max_steps_in_episode=int(max_steps_in_episode))


def grid_cells(layout: list[str] | tuple[str, ...]) -> np.ndarray:
    """``(S, 2)`` (row, col) of the non-wall cells, in state-index order."""
    return np.array([(i, j) for i, row in enumerate(layout) for j, ch in enumerate(row)
                     if ch != "#"])


def gridworld(layout: list[str] | tuple[str, ...], *, slip: float = 0.0,
              step_reward: float = -1.0, goal_reward: float = 0.0,
              hole_reward: float = 0.0, cliff_reward: float = -100.0,
              max_steps_in_episode: int = 100) -> TabularEnvParams:
    """A grid MDP from an ASCII layout.

    Moving into a wall or off the grid leaves the agent in place. Every move costs
    ``step_reward``; entering ``G`` adds ``goal_reward`` and ends the episode; entering
    ``H`` adds ``hole_reward`` and ends it; entering ``C`` pays ``cliff_reward`` (instead
    of the step reward) and sends the agent back to ``S``. With probability ``slip`` the
    executed move is one of the two perpendicular ones (each ``slip/2``).
    """
    if not isinstance(layout, (list, tuple)) or not layout:
        raise TypeError("layout must be a non-empty list of strings")
    width = len(layout[0])
    if any(len(row) != width for row in layout):
        raise ValueError("layout rows must all have the same length")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip must be in [0, 1], got {slip}")
    bad = set("".join(layout)) - set("#SGHC.")
    if bad:
        raise ValueError(f"layout has unknown characters {sorted(bad)}; use # S G H C .")
    cells = grid_cells(layout)
    index = {tuple(c): k for k, c in enumerate(cells)}
    starts = [index[(i, j)] for i, row in enumerate(layout) for j, ch in enumerate(row)
              if ch == "S"]
    if not starts:
        raise ValueError("layout needs at least one start cell 'S'")
    S, A = len(cells), 4
    P = np.zeros((S, A, S))
    R = np.zeros((S, A, S))
    terminal = np.array([layout[i][j] in "GH" for i, j in cells])
    start = starts[0]

    def landing(s: int, move: int) -> int:
        i, j = cells[s] + MOVES[move]
        if 0 <= i < len(layout) and 0 <= j < width and layout[i][j] != "#":
            return index[(i, j)]
        return s

    for s in range(S):
        for a in range(A):
            outcomes = [(a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)]
            for move, prob in outcomes:
                if prob == 0.0:
                    continue
                s2 = landing(s, move)
                ch = layout[cells[s2][0]][cells[s2][1]]
                reward = step_reward
                if ch == "C":
                    s2, reward = start, cliff_reward
                elif ch == "G":
                    reward += goal_reward
                elif ch == "H":
                    reward += hole_reward
                P[s, a, s2] += prob
                R[s, a, s2] = reward  # same landing cell ⇒ same reward
    init = np.zeros(S)
    init[starts] = 1.0 / len(starts)
    return make_params(P, R, init, terminal, max_steps_in_episode=max_steps_in_episode)


FROZEN_LAKE_4x4 = ("SFFF", "FHFH", "FFFH", "HFFG")
FROZEN_LAKE_8x8 = ("SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
                   "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG")
CLIFF_WALKING = ("............", "............", "............", "SCCCCCCCCCCG")
FOUR_ROOMS = (
    "#############",
    "#S....#.....#",
    "#.....#.....#",
    "#...........#",
    "#.....#.....#",
    "#.....#.....#",
    "##.####.....#",
    "#.....###.###",
    "#.....#.....#",
    "#.....#.....#",
    "#...........#",
    "#.....#....G#",
    "#############",
)
SIMPLE_GRID = (
    "S...#....",
    ".##.#.##.",
    ".#.....#.",
    ".#.###.#.",
    "...#G....",
)


def frozen_lake(layout: tuple[str, ...] = FROZEN_LAKE_4x4, *, is_slippery: bool = True,
                max_steps_in_episode: int = 100) -> TabularEnvParams:
    """Gym's FrozenLake: reward 1 on reaching ``G``, holes end the episode with 0."""
    grid = tuple(row.replace("F", ".") for row in layout)
    return gridworld(grid, slip=2.0 / 3.0 if is_slippery else 0.0, step_reward=0.0,
                     goal_reward=1.0, hole_reward=0.0,
                     max_steps_in_episode=max_steps_in_episode)


def cliff_walking(*, max_steps_in_episode: int = 200) -> TabularEnvParams:
    """Sutton & Barto (2018), Example 6.6: the 4×12 cliff."""
    return gridworld(CLIFF_WALKING, slip=0.0, step_reward=-1.0, goal_reward=0.0,
                     cliff_reward=-100.0, max_steps_in_episode=max_steps_in_episode)


def four_rooms(*, slip: float = 0.1, max_steps_in_episode: int = 200) -> TabularEnvParams:
    """The four-rooms domain (Sutton, Precup & Singh 1999), −1 per step to the goal."""
    return gridworld(FOUR_ROOMS, slip=slip, step_reward=-1.0,
                     max_steps_in_episode=max_steps_in_episode)


def garnet(key: jax.Array, num_states: int, num_actions: int, *, branching: int = 3,
           max_steps_in_episode: int = 100) -> TabularEnvParams:
    """A random Garnet MDP (no terminal states; use γ < 1).

    Each (s, a) moves to ``branching`` distinct random successors with probabilities from
    uniform stick-breaking; ``R[s, a, s'] ~ U(0, 1)``; uniform start distribution.
    """
    if not 1 <= branching <= num_states:
        raise ValueError(f"branching must be in [1, num_states], got {branching}")
    # the key seeds a NumPy generator: building the tensors is host-side bookkeeping
    seed = np.asarray(jax.random.key_data(key) if jnp.issubdtype(
        jnp.asarray(key).dtype, jax.dtypes.prng_key) else key).astype(np.uint64)
    rng = np.random.default_rng(seed.tolist())
    P = np.zeros((num_states, num_actions, num_states))
    for s in range(num_states):
        for a in range(num_actions):
            succ = rng.choice(num_states, size=branching, replace=False)
            cuts = np.sort(rng.uniform(size=branching - 1))
            P[s, a, succ] = np.diff(np.concatenate([[0.0], cuts, [1.0]]))
    R = rng.uniform(size=(num_states, num_actions, num_states))
    init = np.full(num_states, 1.0 / num_states)
    return make_params(P, R, init, None, max_steps_in_episode=max_steps_in_episode)
