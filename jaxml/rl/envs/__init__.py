"""Environments: our tabular MDPs (gymnax API) and gymnax's classic-control tasks."""

from jaxml.rl.envs.tabular import (
    CLIFF_WALKING,
    FOUR_ROOMS,
    FROZEN_LAKE_4x4,
    FROZEN_LAKE_8x8,
    SIMPLE_GRID,
    TabularEnv,
    TabularEnvParams,
    TabularEnvState,
    cliff_walking,
    four_rooms,
    frozen_lake,
    garnet,
    grid_cells,
    gridworld,
    make_params,
)

__all__ = [
    "CLIFF_WALKING",
    "FOUR_ROOMS",
    "FROZEN_LAKE_4x4",
    "FROZEN_LAKE_8x8",
    "SIMPLE_GRID",
    "TabularEnv",
    "TabularEnvParams",
    "TabularEnvState",
    "cliff_walking",
    "four_rooms",
    "frozen_lake",
    "garnet",
    "grid_cells",
    "gridworld",
    "make_params",
]
