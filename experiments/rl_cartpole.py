"""CartPole-v1 with PPO, DQN, A2C, REINFORCE (± baseline) and TRPO, every run one jit over seeds.

Each algorithm's whole training run (gymnax CartPole-v1 included) is a single
``jax.jit(jax.vmap(make_train(config)))`` over seeds, compiled once (``compile_s``) and
then timed (``env_steps_per_s`` = seeds × environment steps ÷ run time). Budget: 5×10⁵
environment steps per seed (REINFORCE samples 8 whole episodes of at most 500 steps per
update, so it reserves 4000 steps of the budget per update and takes fewer).

Reported per seed, then as the mean over seeds with ``<stem>_ci95`` (Student-t 95%),
``<stem>_n`` and ``<stem>_failed`` beside it (:func:`jaxml.experiment.seed_metrics`):

* ``final_return_mean/<algo>``: the final policy's greedy (deterministic, as
  Stable-Baselines3's ``evaluate_policy``) return over ``eval_episodes`` fresh episodes;
* ``train_return_mean/<algo>``: the mean episodic return of the behaviour policy over the
  last 5% of updates (stochastic / ε-greedy actions);
* REINFORCE with and without a learned baseline (Greensmith et al. 2004): the total
  variance of the policy-gradient estimate, averaged over each run's updates
  (``grad_variance_mean/<algo>``), and the ratio without ÷ with
  (``grad_variance_ratio/nobaseline_over_baseline``). Each is measured along its own
  training run (same seeds, so the first update starts from the same parameters).

Goal (issue 11, ``TARGET``): PPO's final return ≥ 475 within 5×10⁵ steps.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (
    Timer,
    block,
    ci95,
    config_dict,
    format_mean_ci,
    machine_line,
    main_for,
    markdown_table,
    save_figure,
    seed_metrics,
    seed_summary,
    target_met,
    write_results,
)
from jaxml.rl import a2c, dqn, ppo, reinforce, trpo
from jaxml.rl.common import ActorCritic, evaluate_policy, make_env

NAME = "rl_cartpole"
ALGOS = ("ppo", "dqn", "a2c", "reinforce", "reinforce_nobaseline", "trpo")
PAPER: dict[str, float] = {}  # no published number is rerun here
PAPER_SOURCE: dict[str, str] = {}
TARGET = {"final_return_mean/ppo": ">= 475"}  # issue 11's goal


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 8
    total_timesteps: int = 500_000
    eval_episodes: int = 20
    algos: tuple[str, ...] = ALGOS

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        # each algorithm costs ~15 s of compilation: the quick preset keeps the goal's
        # algorithm and the baseline comparison
        return cls(seeds=2, total_timesteps=8_192, eval_episodes=4,
                   algos=("ppo", "reinforce", "reinforce_nobaseline"))


def _agent(algo: str, config: Config):
    """(make_train(cfg), act_fn(params, key, obs)) for one algorithm."""
    T = config.total_timesteps
    if algo == "ppo":
        cfg = ppo.PPOConfig(total_timesteps=T)
        train = ppo.make_train(cfg)
    elif algo == "a2c":
        cfg = a2c.A2CConfig(total_timesteps=T)
        train = a2c.make_train(cfg)
    elif algo == "trpo":
        cfg = trpo.TRPOConfig(total_timesteps=T)
        train = trpo.make_train(cfg)
    elif algo in ("reinforce", "reinforce_nobaseline"):
        cfg = reinforce.ReinforceConfig(total_timesteps=T, baseline=algo == "reinforce")
        train = reinforce.make_train(cfg)
    elif algo == "dqn":
        cfg = dqn.DQNConfig(total_timesteps=T,
                            learning_starts=min(10_000, T // 4))
        train = dqn.make_train(cfg)
        return cfg, train, dqn.make_act(cfg)
    else:
        raise ValueError(f"unknown algo {algo!r}; known: {ALGOS}")
    return cfg, train, _greedy_act(tuple(cfg.hidden), cfg.activation)


@functools.cache
def _greedy_act(hidden: tuple[int, ...], activation: str):
    """The greedy action of an ActorCritic; one function per architecture, so that agents
    sharing it (REINFORCE with and without a baseline) share one compiled evaluation."""
    net = ActorCritic(2, hidden, activation)
    return lambda params, key, obs: jnp.argmax(net.apply(params, obs, method=ActorCritic.logits), -1)


def run(config: Config, out_dir) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env, env_params = make_env("CartPole-v1")
    keys = jax.random.split(jax.random.PRNGKey(0), config.seeds)
    eval_keys = jax.random.split(jax.random.PRNGKey(1), config.seeds)
    metrics, curves, per_seed, agent_configs, evaluators = {}, {}, {}, {}, {}
    with Timer() as total:
        for algo in tqdm(config.algos, desc=NAME, disable=None):
            cfg, train, act = _agent(algo, config)
            agent_configs[algo] = config_dict(cfg)
            with Timer() as tc:
                compiled = jax.jit(jax.vmap(train)).lower(keys).compile()
            with Timer() as tr:
                params, m = block(compiled(keys))
            m = jax.tree.map(np.asarray, m)
            steps = m["env_steps"]  # (seeds, updates), cumulative, never past the budget

            if act not in evaluators:
                def evaluate(p, k, act=act):
                    return evaluate_policy(k, lambda kk, o: act(p, kk, o), env, env_params,
                                           num_episodes=config.eval_episodes).mean()
                evaluators[act] = jax.jit(jax.vmap(evaluate))
            per_seed[f"final_return_mean/{algo}"] = np.asarray(evaluators[act](params, eval_keys))
            n_tail = max(1, steps.shape[1] // 20)
            per_seed[f"train_return_mean/{algo}"] = m["episode_return"][:, -n_tail:].mean(1)
            metrics[f"env_steps_per_s/{algo}"] = float(steps[:, -1].sum()) / tr.seconds
            metrics[f"compile_s/{algo}"] = tc.seconds
            metrics[f"run_s/{algo}"] = tr.seconds
            metrics[f"env_steps_used/{algo}"] = float(steps[:, -1].mean())
            if "grad_variance" in m:
                per_seed[f"grad_variance_mean/{algo}"] = m["grad_variance"].mean(1)
            stride = max(1, steps.shape[1] // 250)
            curves[algo] = {
                "steps": steps.mean(0)[::stride].tolist(),
                "return_mean": m["episode_return"].mean(0)[::stride].tolist(),
                "return_ci95": np.atleast_1d(ci95(m["episode_return"]))[::stride].tolist(),
                "grad_variance_median": (np.median(m["grad_variance"], 0).tolist()
                                         if "grad_variance" in m else None),
            }
    for name, values in per_seed.items():
        metrics.update(seed_metrics(name, values))
    if {"reinforce", "reinforce_nobaseline"} <= set(config.algos):
        metrics["grad_variance_ratio/nobaseline_over_baseline"] = (
            metrics["grad_variance_mean/reinforce_nobaseline"]
            / metrics["grad_variance_mean/reinforce"])
    _figure(out_dir, curves, config)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, target=TARGET,
                            seeds=config.seeds, wall_time_s=total.seconds,
                            extra={"curves": curves, "per_seed": per_seed,
                                   "agent_configs": agent_configs})
    _readme(out_dir, results, per_seed, agent_configs, config)
    return results


def _figure(out_dir: Path, curves, config: Config) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    ax = axes[0]
    for algo, c in curves.items():
        x = np.asarray(c["steps"])
        m, h = np.asarray(c["return_mean"]), np.asarray(c["return_ci95"])
        ax.plot(x, m, label=algo)
        ax.fill_between(x, m - h, m + h, alpha=0.2)
    ax.axhline(475, color="k", ls="--", lw=0.8)
    ax.set_xlim(0, config.total_timesteps)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episodic return (training)")
    ax.set_title(f"CartPole-v1, mean ± 95% CI over {config.seeds} seeds")
    ax.legend(fontsize=8)
    ax = axes[1]
    for algo, c in curves.items():
        var = c["grad_variance_median"]
        if var is not None:
            ax.plot(np.arange(1, len(var) + 1), var, label=algo)
    if not ax.lines:
        ax.text(0.5, 0.5, "REINFORCE not run", ha="center", transform=ax.transAxes)
    ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel("total variance of the policy-gradient estimate (median over seeds)")
    ax.set_title("REINFORCE: baseline vs none")
    if ax.lines:
        ax.legend(fontsize=8)
    save_figure(fig, out_dir, "cartpole.png")


def _target_sentence(m: dict) -> str:
    key = "final_return_mean/ppo"
    if key not in m:
        return "PPO was not run, so the goal is not assessed."
    met = target_met(m[key], TARGET[key])
    verdict = {True: "meets", False: "does not meet", None: "cannot be compared with"}[met]
    return (f"PPO's mean final return {m[key]:.1f} (n={m['final_return_mean_n/ppo']}) {verdict} "
            f"the goal {TARGET[key]}.")


def _variance_sentence(m: dict, per_seed: dict) -> str:
    ratio = m.get("grad_variance_ratio/nobaseline_over_baseline")
    if ratio is None:
        return ("REINFORCE was not run both with and without a baseline, so their gradient "
                "variances are not compared.")
    with_b, without = (seed_summary(per_seed[f"grad_variance_mean/{a}"])
                       for a in ("reinforce", "reinforce_nobaseline"))
    if with_b.n >= 2 and without.n >= 2 and with_b.mean + with_b.ci95 < without.mean - without.ci95:
        verdict = "the baseline's is lower and the 95% intervals do not overlap"
    elif with_b.n >= 2 and without.n >= 2 and without.mean + without.ci95 < with_b.mean - with_b.ci95:
        verdict = "the baseline's is higher and the 95% intervals do not overlap"
    else:
        verdict = "the 95% intervals overlap or are undefined, so neither is shown lower"
    return (f"REINFORCE's mean gradient-estimate variance: {with_b.mean:.3g} (n={with_b.n}) "
            f"with the baseline, {without.mean:.3g} (n={without.n}) without "
            f"(ratio without ÷ with {ratio:.3g}; {verdict}).")


def _readme(out_dir: Path, results: dict, per_seed: dict, agent_configs: dict,
            config: Config) -> None:
    m = results["metrics"]
    rows = [[algo, format_mean_ci(per_seed[f"final_return_mean/{algo}"], 1),
             format_mean_ci(per_seed[f"train_return_mean/{algo}"], 1),
             (format_mean_ci(per_seed[f"grad_variance_mean/{algo}"], 3)
              if f"grad_variance_mean/{algo}" in per_seed else "—"),
             f"{m[f'env_steps_used/{algo}']:.3g}", f"{m[f'env_steps_per_s/{algo}']:.3g}",
             f"{m[f'compile_s/{algo}']:.1f}"] for algo in config.algos]
    settings = "\n".join(
        f"- {algo}: " + ", ".join(f"{k}={v}" for k, v in cfg.items() if k != "env_name")
        for algo, cfg in agent_configs.items())
    failed = [algo for algo in config.algos
              if seed_summary(per_seed[f"final_return_mean/{algo}"]).n_failed]
    failures = (f" Seeds with a non-finite final return (counted in `final_return_mean_failed/`): "
                f"{', '.join(failed)}." if failed else "")
    text = f"""# {NAME}

**Setup.** CartPole-v1 (gymnax); each algorithm trains {config.seeds} seeds for at most
{config.total_timesteps} environment steps each in one `jax.jit(jax.vmap(train))`, compiled
once (compile s) and then timed (env steps / s over all seeds). The final return is the
greedy policy's over {config.eval_episodes} fresh episodes; the training return is the
behaviour policy's over the last 5% of updates. Intervals are Student-t 95% over seeds.

{markdown_table(["algorithm", "final return (greedy)", "training return (last 5%)",
                 "gradient variance (mean over updates)", "env steps / seed",
                 "env steps / s (all seeds)", "compile s"], rows)}

**Results.** {_target_sentence(m)} {_variance_sentence(m, per_seed)}{failures}

Agent settings (from each run's config):

{settings}

![cartpole.png](cartpole.png)

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full: {Config.full().seeds} seeds ×
{Config.full().total_timesteps} steps, writes this folder) or `jaxml repro {NAME} --quick`.
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
