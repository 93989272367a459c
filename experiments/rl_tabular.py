"""Tabular RL: exact DP equals the linear solve; SARSA takes the safe path, Q-learning the optimal one.

Three checks on our own tabular MDPs (explicit P and R tensors, gymnax API):

1. **Dynamic programming is exact.** Value iteration and policy iteration are compared with
   the exact linear solve v_π = (I − γP_π)⁻¹ r_π of their greedy policies on a slippery
   gridworld, FrozenLake 4×4, four rooms, cliff walking and a random Garnet MDP; the
   Bellman residuals ‖Tv − v‖_∞ are reported (Puterman 1994).
2. **Prediction.** On Sutton & Barto's 5-state random walk (Example 6.2; true values
   1/6 … 5/6) constant-α first-/every-visit Monte Carlo, TD(0) and TD(λ) learn v_π; the
   RMS error against the exact solution is tracked per episode (mean ± 95% CI over seeds).
3. **Control.** Cliff walking with ε = 0.1, α = 0.5 (Sutton & Barto 2018, Example 6.6):
   SARSA learns the *safe* path (online return ≈ −25), Q-learning the *optimal* path along
   the cliff edge (13 steps, return −13) but earns less online (≈ −50) because ε-greedy
   exploration occasionally falls off. On a slippery gridworld both converge to the
   optimal greedy policy (its exact value equals v* at the start).

Every learning run is one jitted ``lax.scan``; seeds are one ``vmap``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import Timer, ci95, main_for, markdown_table, save_figure, write_results
from jaxml.rl import envs, mdp, tabular

NAME = "rl_tabular"
# Sutton & Barto (2018), Example 6.6 / Figure 6.4 (read off the figure: sum of rewards per
# episode during learning, ε = 0.1) and the optimal path length; Example 6.2 true values.
PAPER = {
    "online_return_last100/sarsa": -25.0,
    "online_return_last100/q_learning": -50.0,
    "greedy_path_steps/q_learning": 13.0,
    "greedy_path_steps/sarsa": 17.0,
    "max_abs_err_vi_vs_exact/cliff_walking": 0.0,
}
RANDOM_WALK = ("H..S..G",)


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 30
    cliff_episodes: int = 500
    cliff_alpha: float = 0.5
    epsilon: float = 0.1
    grid_episodes: int = 1000
    grid_alpha: float = 0.2
    grid_gamma: float = 0.95
    grid_slip: float = 0.1
    walk_episodes: int = 300
    walk_alpha: float = 0.05
    walk_lambda: float = 0.6
    vi_tol: float = 1e-7

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=4, cliff_episodes=200, grid_episodes=300, walk_episodes=100)


def _dp_checks(config: Config) -> tuple[dict, list]:
    problems = {
        "gridworld": (envs.gridworld(envs.SIMPLE_GRID, slip=config.grid_slip), 0.95),
        "frozen_lake": (envs.frozen_lake(), 0.95),
        "four_rooms": (envs.four_rooms(), 0.99),
        "cliff_walking": (envs.cliff_walking(), 1.0),
        "garnet": (envs.garnet(jax.random.PRNGKey(0), 30, 4), 0.9),
    }
    metrics, rows = {}, []
    for name, (p, gamma) in problems.items():
        vi = mdp.value_iteration(p, gamma, tol=config.vi_tol)
        pi = mdp.policy_iteration(p, gamma)
        exact = mdp.policy_evaluation(p, jax.nn.one_hot(vi.policy, p.num_actions), gamma)
        e_vi = float(jnp.max(jnp.abs(vi.v - exact)))
        e_pi = float(jnp.max(jnp.abs(pi.v - exact)))
        metrics[f"max_abs_err_vi_vs_exact/{name}"] = e_vi
        metrics[f"max_abs_err_pi_vs_exact/{name}"] = e_pi
        metrics[f"bellman_residual_vi/{name}"] = float(vi.residual)
        metrics[f"vi_iterations/{name}"] = int(vi.iterations)
        metrics[f"pi_iterations/{name}"] = int(pi.iterations)
        rows.append([name, p.num_states, gamma, int(vi.iterations), int(pi.iterations),
                     f"{e_vi:.2e}", f"{e_pi:.2e}", f"{float(vi.residual):.2e}"])
    return metrics, rows


def _random_walk(config: Config, keys):
    p = envs.gridworld(RANDOM_WALK, slip=0.0, step_reward=0.0, goal_reward=1.0,
                       max_steps_in_episode=1000)
    S = p.num_states
    pi = jnp.tile(jnp.array([[0.0, 0.5, 0.0, 0.5]]), (S, 1))
    exact = mdp.policy_evaluation(p, pi, 1.0)
    inner = jnp.arange(1, S - 1)
    curves = {}
    for alg, lam in (("mc_every_visit", 0.0), ("mc_first_visit", 0.0), ("td0", 0.0),
                     ("td_lambda", config.walk_lambda)):
        cfg = tabular.TabularConfig(alg, num_episodes=config.walk_episodes, max_steps=200,
                                    alpha=config.walk_alpha, gamma=1.0, lam=lam)
        res = jax.jit(jax.vmap(tabular.make_train(cfg, p, pi)))(keys)
        hist = res.value_history[..., inner]
        rmse = jnp.sqrt(jnp.mean((hist - exact[inner]) ** 2, axis=-1))
        curves[alg] = np.asarray(rmse)
    return np.asarray(exact[inner]), curves


def _cliff(config: Config, keys):
    p = envs.cliff_walking()
    cells = envs.grid_cells(envs.CLIFF_WALKING)
    out = {}
    for alg in ("sarsa", "q_learning", "expected_sarsa"):
        cfg = tabular.TabularConfig(alg, num_episodes=config.cliff_episodes, max_steps=200,
                                    alpha=config.cliff_alpha, epsilon=config.epsilon)
        res = jax.jit(jax.vmap(tabular.make_train(cfg, p)))(keys)
        paths = np.asarray(jax.vmap(lambda q: tabular.greedy_path(p, q, 100))(res.values))
        steps, min_row = [], []
        for path in paths:
            visited = path[path >= 0]
            reached = bool(p.terminal[visited[-1]])
            steps.append(len(visited) - 1 if reached else np.nan)
            min_row.append(cells[visited][:, 0].min())
        out[alg] = dict(returns=np.asarray(res.episode_return), steps=np.array(steps, float),
                        min_row=np.array(min_row), example_path=cells[paths[0][paths[0] >= 0]])
    return out


def _grid(config: Config, keys):
    p = envs.gridworld(envs.SIMPLE_GRID, slip=config.grid_slip, max_steps_in_episode=200)
    opt = mdp.value_iteration(p, config.grid_gamma, tol=1e-8)
    start = int(jnp.argmax(p.init))
    # states where the optimal action is unique (a gap to the second-best action)
    q_sorted = jnp.sort(opt.q, axis=-1)
    decisive = (q_sorted[:, -1] - q_sorted[:, -2] > 1e-3) & ~p.terminal
    out = {}
    for alg in ("sarsa", "q_learning"):
        cfg = tabular.TabularConfig(alg, num_episodes=config.grid_episodes, max_steps=200,
                                    alpha=config.grid_alpha, gamma=config.grid_gamma,
                                    epsilon=config.epsilon)
        res = jax.jit(jax.vmap(tabular.make_train(cfg, p)))(keys)
        greedy = jax.nn.one_hot(jnp.argmax(res.values, -1), p.num_actions)
        v = jax.vmap(lambda g: mdp.policy_evaluation(p, g, config.grid_gamma))(greedy)
        gap = np.asarray(opt.v[start] - v[:, start])
        agree = np.asarray(jnp.sum((jnp.argmax(res.values, -1) == opt.policy) & decisive, -1)
                           / jnp.sum(decisive))
        out[alg] = dict(gap=gap, agree=agree, v_star=float(opt.v[start]))
    return out


def _figures(out_dir: Path, walk, cliff, config: Config):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    for alg, res in cliff.items():
        r = res["returns"]
        k = 10
        smooth = np.stack([np.convolve(x, np.ones(k) / k, mode="valid") for x in r])
        m, c = smooth.mean(0), ci95(smooth)
        x = np.arange(len(m)) + k
        ax.plot(x, m, label=alg)
        ax.fill_between(x, m - c, m + c, alpha=0.25)
    ax.set_ylim(-110, 0)
    ax.set_xlabel("episode")
    ax.set_ylabel("sum of rewards during episode")
    ax.set_title(f"Cliff walking, ε={config.epsilon}, α={config.cliff_alpha} "
                 f"(mean ± 95% CI, {config.seeds} seeds)")
    ax.legend()
    ax = axes[1]
    ax.set_xlim(-0.5, 11.5)
    ax.set_ylim(3.5, -0.5)
    ax.add_patch(plt.Rectangle((0.5, 2.5), 10, 1, color="0.3"))
    ax.text(5.5, 3.05, "the cliff", color="white", ha="center", va="center")
    for alg, style in (("sarsa", "-o"), ("q_learning", "-s")):
        path = cliff[alg]["example_path"]
        ax.plot(path[:, 1], path[:, 0], style, label=f"{alg} greedy path")
    ax.set_title("Greedy paths after learning (seed 0)")
    ax.legend(loc="upper right")
    ax.set_aspect("equal")
    save_figure(fig, out_dir, "cliff_walking.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    for alg, rmse in walk.items():
        m, c = rmse.mean(0), ci95(rmse)
        ax.plot(np.arange(1, len(m) + 1), m, label=alg)
        ax.fill_between(np.arange(1, len(m) + 1), m - c, m + c, alpha=0.25)
    ax.set_xlabel("episodes")
    ax.set_ylabel("RMS error vs exact v_π")
    ax.set_title(f"Random walk prediction (α={config.walk_alpha}, λ={config.walk_lambda})")
    ax.legend()
    save_figure(fig, out_dir, "random_walk_rmse.png")


def run(config: Config, out_dir) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = jax.random.split(jax.random.PRNGKey(0), config.seeds)
    with Timer() as timer:
        steps = tqdm(total=4, desc=NAME, disable=None)
        metrics, dp_rows = _dp_checks(config)
        steps.update()
        exact_walk, walk = _random_walk(config, keys)
        steps.update()
        cliff = _cliff(config, keys)
        steps.update()
        grid = _grid(config, keys)
        steps.update()
        steps.close()

    for alg, rmse in walk.items():
        final = rmse[:, -1]
        metrics[f"rmse_final/{alg}"] = float(final.mean())
        metrics[f"rmse_final_ci95/{alg}"] = float(ci95(final))
    for alg, res in cliff.items():
        last = res["returns"][:, -100:].mean(1)
        metrics[f"online_return_last100/{alg}"] = float(last.mean())
        metrics[f"online_return_last100_ci95/{alg}"] = float(ci95(last))
        metrics[f"greedy_path_steps/{alg}"] = float(np.nanmean(res["steps"]))
        metrics[f"frac_seeds_optimal_path/{alg}"] = float(np.mean(res["steps"] == 13))
        metrics[f"frac_seeds_safe_path/{alg}"] = float(np.mean(res["min_row"] <= 1))
    for alg, res in grid.items():
        metrics[f"gridworld_value_gap/{alg}"] = float(res["gap"].mean())
        metrics[f"gridworld_value_gap_ci95/{alg}"] = float(ci95(res["gap"]))
        metrics[f"gridworld_frac_optimal_actions/{alg}"] = float(res["agree"].mean())
    _figures(out_dir, walk, cliff, config)

    results = write_results(
        out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
        seeds=config.seeds, wall_time_s=timer.seconds,
        extra={"random_walk_true_values": exact_walk.tolist(),
               "cliff_mean_curves": {a: r["returns"].mean(0).tolist() for a, r in cliff.items()}})
    _readme(out_dir, metrics, dp_rows, config, timer.seconds)
    return results


def _fmt(metrics, key, ci_key=None):
    v = metrics[key]
    return f"{v:.3g} ± {metrics[ci_key]:.2g}" if ci_key else f"{v:.3g}"


def _readme(out_dir: Path, m: dict, dp_rows, config: Config, wall: float) -> None:
    n = config.seeds
    cliff_rows = [
        ["online return, last 100 episodes — SARSA", PAPER["online_return_last100/sarsa"],
         _fmt(m, "online_return_last100/sarsa", "online_return_last100_ci95/sarsa")],
        ["online return, last 100 episodes — Q-learning",
         PAPER["online_return_last100/q_learning"],
         _fmt(m, "online_return_last100/q_learning", "online_return_last100_ci95/q_learning")],
        ["online return, last 100 episodes — Expected SARSA", "—",
         _fmt(m, "online_return_last100/expected_sarsa",
              "online_return_last100_ci95/expected_sarsa")],
        ["greedy path length — Q-learning (optimal = 13)", 13,
         _fmt(m, "greedy_path_steps/q_learning")],
        ["greedy path length — SARSA (safe path)", "17 (figure)",
         _fmt(m, "greedy_path_steps/sarsa")],
        ["fraction of seeds: Q-learning greedy path optimal", "1",
         _fmt(m, "frac_seeds_optimal_path/q_learning")],
        ["fraction of seeds: SARSA greedy path keeps ≥1 row from the cliff", "1",
         _fmt(m, "frac_seeds_safe_path/sarsa")],
    ]
    grid_rows = [[alg, _fmt(m, f"gridworld_value_gap/{alg}", f"gridworld_value_gap_ci95/{alg}"),
                  _fmt(m, f"gridworld_frac_optimal_actions/{alg}")]
                 for alg in ("sarsa", "q_learning")]
    walk_rows = [[alg, _fmt(m, f"rmse_final/{alg}", f"rmse_final_ci95/{alg}")]
                 for alg in ("mc_first_visit", "mc_every_visit", "td0", "td_lambda")]
    text = f"""# {NAME}

**Claim.** Value/policy iteration equal the exact linear solve; constant-α MC and TD learn
v_π; on the cliff (Sutton & Barto 2018, Example 6.6) SARSA learns the safe path and
Q-learning the optimal one, with Q-learning earning less online; on a slippery gridworld
both reach the optimal greedy policy.

## Dynamic programming vs the exact solve

{markdown_table(["MDP", "states", "γ", "VI sweeps", "PI steps", "max abs(v_VI − v_exact)",
                 "max abs(v_PI − v_exact)", "‖Tv − v‖∞"], dp_rows)}

## Cliff walking (ε = {config.epsilon}, α = {config.cliff_alpha}, {config.cliff_episodes} episodes)

{markdown_table(["quantity", "paper", f"ours (mean ± 95% CI over {n} seeds)"], cliff_rows)}

The paper's online returns are read off Figure 6.4 (approximate).

![cliff_walking.png](cliff_walking.png)

## Slippery gridworld (slip = {config.grid_slip}, γ = {config.grid_gamma}, {config.grid_episodes} episodes)

Gap between v* at the start and the exact value of the learned greedy policy, and the
fraction of states (with a unique optimal action) where the greedy action is optimal:

{markdown_table(["algorithm", f"v*(start) − v_greedy(start) (mean ± 95% CI, {n} seeds)",
                 "fraction optimal actions"], grid_rows)}

## Random walk prediction (Sutton & Barto Example 6.2; α = {config.walk_alpha}, λ = {config.walk_lambda})

{markdown_table(["algorithm", f"RMS error after {config.walk_episodes} episodes (mean ± 95% CI)"],
                walk_rows)}

Values start at 0 (the book starts at 0.5), so early errors are larger than in Figure 6.2.

![random_walk_rmse.png](random_walk_rmse.png)

## How to run

```
jaxml repro {NAME}            # full: {n} seeds
jaxml repro {NAME} --quick    # smoke run
```

Wall time: {wall:.1f} s (2-core CPU shared with other jobs).
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
