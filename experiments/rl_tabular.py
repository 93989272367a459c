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
   the book's claim is that SARSA learns the *safe* path, Q-learning the *optimal* path
   along the cliff edge (13 steps, return −13) but earns less online because ε-greedy
   exploration occasionally falls off (its Figure 6.4 draws, without tabulating, online
   returns near −25 and −50). On a slippery gridworld both should reach the optimal greedy
   policy (its exact value equals v* at the start). A greedy path that never reaches the
   goal is a failed seed: counted in ``greedy_path_steps_failed/<alg>``, not averaged.

Every learning run is one jitted ``lax.scan``; seeds are one ``vmap``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (Timer, ci95, format_mean_ci, machine_line, main_for,
                              markdown_table, save_figure, seed_metrics, seed_summary,
                              write_results)
from jaxml.rl import envs, mdp, tabular

NAME = "rl_tabular"
RANDOM_WALK = ("H..S..G",)
WALK_STATES = "ABCDE"
CLIFF_ALGORITHMS = ("sarsa", "q_learning", "expected_sarsa")
# Example 6.2 quotes the true values of the random walk's states A–E numerically; the
# cliff-walking returns of Example 6.6 are only drawn (Figure 6.4), so they are not here.
PAPER = {f"random_walk_true_value/{s}": (i + 1) / 6 for i, s in enumerate(WALK_STATES)}
PAPER_SOURCE = {k: "Sutton & Barto (2018), Reinforcement Learning: An Introduction, 2nd ed., "
                   "Example 6.2 (true values 1/6, 2/6, 3/6, 4/6, 5/6)" for k in PAPER}


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
        _, res = jax.jit(jax.vmap(tabular.make_train(cfg, p, pi)))(keys)
        hist = res["value_history"][..., inner]
        rmse = jnp.sqrt(jnp.mean((hist - exact[inner]) ** 2, axis=-1))
        curves[alg] = np.asarray(rmse)
    return np.asarray(exact[inner]), curves


def _cliff(config: Config, keys):
    p = envs.cliff_walking()
    cells = envs.grid_cells(envs.CLIFF_WALKING)
    optimal = mdp.value_iteration(p, 1.0, tol=config.vi_tol)
    optimal_path = np.asarray(tabular.greedy_path(p, optimal.q, 100))
    optimal_steps = int(np.sum(optimal_path >= 0)) - 1
    out = {}
    for alg in CLIFF_ALGORITHMS:
        cfg = tabular.TabularConfig(alg, num_episodes=config.cliff_episodes, max_steps=200,
                                    alpha=config.cliff_alpha, epsilon=config.epsilon)
        q_values, res = jax.jit(jax.vmap(tabular.make_train(cfg, p)))(keys)
        paths = np.asarray(jax.vmap(lambda q: tabular.greedy_path(p, q, 100))(q_values))
        steps, min_row = [], []
        for path in paths:
            visited = path[path >= 0]
            reached = bool(p.terminal[visited[-1]])
            steps.append(len(visited) - 1 if reached else np.nan)
            min_row.append(cells[visited][:, 0].min())
        out[alg] = dict(returns=np.asarray(res["episode_return"]), steps=np.array(steps, float),
                        min_row=np.array(min_row), example_path=cells[paths[0][paths[0] >= 0]])
    return optimal_steps, out


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
        q_values, _ = jax.jit(jax.vmap(tabular.make_train(cfg, p)))(keys)
        greedy = jax.nn.one_hot(jnp.argmax(q_values, -1), p.num_actions)
        v = jax.vmap(lambda g: mdp.policy_evaluation(p, g, config.grid_gamma))(greedy)
        gap = np.asarray(opt.v[start] - v[:, start])
        agree = np.asarray(jnp.sum((jnp.argmax(q_values, -1) == opt.policy) & decisive, -1)
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
        optimal_steps, cliff = _cliff(config, keys)
        steps.update()
        grid = _grid(config, keys)
        steps.update()
        steps.close()

    per_seed = {}
    for state, value in zip(WALK_STATES, exact_walk):
        metrics[f"random_walk_true_value/{state}"] = float(value)
    for alg, rmse in walk.items():
        per_seed[f"rmse_final/{alg}"] = rmse[:, -1]
    metrics["optimal_path_steps/cliff_walking"] = optimal_steps
    for alg, res in cliff.items():
        per_seed[f"online_return_last100/{alg}"] = res["returns"][:, -100:].mean(1)
        # a greedy path that never reaches the goal has no length: NaN, counted as failed
        per_seed[f"greedy_path_steps/{alg}"] = res["steps"]
        metrics[f"frac_seeds_optimal_path/{alg}"] = float(np.mean(res["steps"] == optimal_steps))
        metrics[f"frac_seeds_safe_path/{alg}"] = float(np.mean(res["min_row"] <= 1))
    for alg, res in grid.items():
        per_seed[f"gridworld_value_gap/{alg}"] = res["gap"]
        per_seed[f"gridworld_frac_optimal_actions/{alg}"] = res["agree"]
    for name, values in per_seed.items():
        metrics.update(seed_metrics(name, values))
    _figures(out_dir, walk, cliff, config)

    results = write_results(
        out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
        paper_source=PAPER_SOURCE, seeds=config.seeds, wall_time_s=timer.seconds,
        extra={"per_seed": per_seed,
               "cliff_mean_curves": {a: r["returns"].mean(0).tolist() for a, r in cliff.items()}})
    _readme(out_dir, results, per_seed, dp_rows, config)
    return results


def _cliff_sentences(m: dict, per_seed: dict, config: Config) -> list[str]:
    """What the cliff run shows, each clause decided by the run's numbers."""
    n = config.seeds
    sarsa, q = (seed_summary(per_seed[f"online_return_last100/{a}"]) for a in ("sarsa", "q_learning"))
    separated = abs(sarsa.mean - q.mean) > (sarsa.ci95 + q.ci95 if n >= 2 else 0.0)
    order = "higher" if sarsa.mean > q.mean else "lower"
    sentences = [
        f"SARSA's online return over the last 100 episodes is {order} than Q-learning's "
        f"({sarsa.mean:.1f} vs {q.mean:.1f}; the 95% intervals "
        f"{'do not overlap' if separated else 'overlap or are undefined'})."]
    opt = m["optimal_path_steps/cliff_walking"]
    sentences.append(
        f"Q-learning's greedy path is the optimal {opt}-step path in "
        f"{round(m['frac_seeds_optimal_path/q_learning'] * n)} of {n} seeds; SARSA's keeps at "
        f"least one row away from the cliff in {round(m['frac_seeds_safe_path/sarsa'] * n)} of "
        f"{n} seeds.")
    for alg in CLIFF_ALGORITHMS:
        failed = m[f"greedy_path_steps_failed/{alg}"]
        if failed:
            sentences.append(
                f"{alg}: in {failed} of {n} seeds the greedy path does not reach the goal within "
                f"100 steps (it loops); those seeds are counted as failed and the path length "
                f"is over the other {n - failed}.")
    return sentences


def _readme(out_dir: Path, results: dict, per_seed: dict, dp_rows, config: Config) -> None:
    m = results["metrics"]
    cliff_rows = [[f"{label} — {alg}", format_mean_ci(per_seed[f"{key}/{alg}"], digits)]
                  for key, label, digits in (
                      ("online_return_last100", "online return, last 100 episodes", 1),
                      ("greedy_path_steps", "greedy path length (failed: never reaches the goal)", 2))
                  for alg in CLIFF_ALGORITHMS]
    cliff_rows += [[f"fraction of seeds with the optimal greedy path — {alg}",
                    f"{m[f'frac_seeds_optimal_path/{alg}']:.3g}"] for alg in CLIFF_ALGORITHMS]
    cliff_rows += [[f"fraction of seeds whose greedy path keeps ≥ 1 row from the cliff — {alg}",
                    f"{m[f'frac_seeds_safe_path/{alg}']:.3g}"] for alg in CLIFF_ALGORITHMS]
    grid_rows = [[alg, format_mean_ci(per_seed[f"gridworld_value_gap/{alg}"], 4),
                  format_mean_ci(per_seed[f"gridworld_frac_optimal_actions/{alg}"], 3)]
                 for alg in ("sarsa", "q_learning")]
    walk_rows = [[alg, format_mean_ci(per_seed[f"rmse_final/{alg}"], 4)]
                 for alg in ("mc_first_visit", "mc_every_visit", "td0", "td_lambda")]
    value_rows = [[s, f"{PAPER[f'random_walk_true_value/{s}']:.6f}",
                   f"{m[f'random_walk_true_value/{s}']:.6f}"] for s in WALK_STATES]
    dp_worst = max(max(m[f"max_abs_err_vi_vs_exact/{name}"], m[f"max_abs_err_pi_vs_exact/{name}"])
                   for name in (row[0] for row in dp_rows))
    walk_best = min(walk_rows, key=lambda row: seed_summary(per_seed[f"rmse_final/{row[0]}"]).mean)[0]
    text = f"""# {NAME}

**Setup.** Value and policy iteration are compared with the exact linear solve
v_π = (I − γP_π)⁻¹ r_π; constant-α Monte Carlo and TD learn v_π on the 5-state random walk
(Sutton & Barto 2018, Example 6.2); SARSA, Expected SARSA and Q-learning learn control on
cliff walking (Example 6.6: ε = {config.epsilon}, α = {config.cliff_alpha}) and on a slippery
gridworld. The book's Figure 6.4 draws (it does not tabulate) SARSA's online return near −25
and Q-learning's near −50. Intervals are Student-t 95% over seeds, n beside each.

## Dynamic programming vs the exact solve

{markdown_table(["MDP", "states", "γ", "VI sweeps", "PI steps", "max abs(v_VI − v_exact)",
                 "max abs(v_PI − v_exact)", "‖Tv − v‖∞"], dp_rows)}

The largest deviation from the exact solve over these MDPs is {dp_worst:.2e}.

## Cliff walking ({config.cliff_episodes} episodes)

{markdown_table(["quantity", "ours (mean ± 95% CI)"], cliff_rows)}

{" ".join(_cliff_sentences(m, per_seed, config))}

![cliff_walking.png](cliff_walking.png)

## Slippery gridworld (slip = {config.grid_slip}, γ = {config.grid_gamma}, {config.grid_episodes} episodes)

Gap between v* at the start and the exact value of the learned greedy policy, and the
fraction of states (with a unique optimal action) where the greedy action is optimal:

{markdown_table(["algorithm", "v*(start) − v_greedy(start)", "fraction optimal actions"], grid_rows)}

## Random walk prediction (α = {config.walk_alpha}, λ = {config.walk_lambda})

{markdown_table(["state", "true value (Example 6.2)", "ours (exact solve)"], value_rows)}

{markdown_table(["algorithm", f"RMS error after {config.walk_episodes} episodes"], walk_rows)}

Values start at 0 (the book starts at 0.5). The lowest mean final RMS error is {walk_best}'s.

![random_walk_rmse.png](random_walk_rmse.png)

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, {Config.full().seeds} seeds) or `jaxml repro {NAME} --quick`.
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
