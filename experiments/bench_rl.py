"""Benchmark: wall time to train N PPO seeds on CartPole-v1, ours (one jitted program) vs Stable-Baselines3 on both cores.

The headline is what a user waits for: the wall time of training N seeds from scratch,
compilation included, for N = 1 and N = ``Config.seeds``, at equal total environment
steps, with both sides' final greedy returns beside the times.

Ours: ``jax.jit(make_train(config))(key)`` for one seed and
``jax.jit(jax.vmap(make_train(config)))(keys)`` for N — environment (gymnax
CartPole-v1), rollouts, GAE and all minibatch epochs of every seed in one compiled
program. The first call (trace + compile + run) is the compile-included time; a second
call on fresh keys, which reuses the compiled program, is the steady-state time.

Peer: Stable-Baselines3 ``PPO("MlpPolicy")`` on gymnasium's CartPole-v1 with CPU torch,
the same hyperparameters (4 envs × 128 steps, 4 epochs, minibatch 128, learning rate
2.5e-4 linearly annealed, clip 0.2, GAE λ 0.95, entropy 0.01, value coefficient 0.5,
gradient-norm clip 0.5) and network (separate tanh 64×64 actor and critic). Its N seeds
run in ``peer_workers`` (2) processes, one seed per task, ``torch.set_num_threads(1)``
in each, so both sides use both cores. The worker processes have imported torch and
Stable-Baselines3 before the clock starts (as JAX is imported before ours); the time runs
from handing out the seeds to the last ``model.learn`` returning.

Both sides' final policies are evaluated greedily on ``eval_episodes`` fresh episodes per
seed, outside the timed part. Metrics (N = 1 and N = seeds):
``speedup_vs_sb3/ppo/<N>seeds`` = SB3 wall ÷ ours (compile included),
``speedup_steady_vs_sb3/ppo/<N>seeds`` = SB3 wall ÷ ours (steady state),
``final_return_mean/<ours|sb3>/<N>seeds`` (Student-t interval and n beside it), and the
raw wall times ``wall_s/<side>/<N>seeds``.

Stable-Baselines3/torch/gymnasium are only in the ``bench`` extra; ``Config(peer=False)``
(``jaxml repro bench_rl --set peer=False``) runs our side alone, and without the extra a
run with the peer stops before it starts, naming what to install.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.core.validation import check_int
from jaxml.experiment import (
    Timer,
    block,
    format_mean_ci,
    machine_line,
    main_for,
    markdown_table,
    require_modules,
    save_figure,
    seed_metrics,
    write_results,
)
from jaxml.rl import ppo
from jaxml.rl.common import ActorCritic, evaluate_policy, make_env

NAME = "bench_rl"
PEER_MODULES = ("stable_baselines3", "torch", "gymnasium")  # the bench extra
PAPER: dict = {}  # no published number is measured here under the same protocol
PAPER_SOURCE: dict = {}
TARGET: dict = {}  # issue 11 sets no speed goal for this benchmark


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 8  # the larger N; N = 1 is always run too
    total_timesteps: int = 500_000  # per seed, both sides
    peer: bool = True
    peer_workers: int = 2
    eval_episodes: int = 20
    torch_threads: int = 1  # small MLPs: one intra-op thread is SB3's fastest CPU setting

    def __post_init__(self):
        check_int(self.seeds, "seeds", minimum=1)
        check_int(self.total_timesteps, "total_timesteps", minimum=1)
        check_int(self.peer_workers, "peer_workers", minimum=1)
        check_int(self.eval_episodes, "eval_episodes", minimum=1)
        check_int(self.torch_threads, "torch_threads", minimum=1)
        if not isinstance(self.peer, bool):
            raise TypeError(f"peer must be a bool, got {self.peer!r}")

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, total_timesteps=1_024, eval_episodes=3)

    @property
    def seed_counts(self) -> tuple[int, ...]:
        return tuple(sorted({1, self.seeds}))


def ppo_config(config: Config) -> ppo.PPOConfig:
    return ppo.PPOConfig(total_timesteps=config.total_timesteps)


def steps_per_seed(cfg: ppo.PPOConfig) -> int:
    """Environment steps one seed takes: whole updates of ``num_envs × num_steps``."""
    return cfg.num_updates * cfg.num_envs * cfg.num_steps


# ------------------------------------------------------------------------------ ours


def _ours(cfg: ppo.PPOConfig, n_seeds: int, eval_episodes: int) -> dict:
    """Compile-included and steady wall time of training ``n_seeds``, and greedy returns."""
    train = ppo.make_train(cfg)
    if n_seeds == 1:
        program = jax.jit(train)
        keys = [jax.random.PRNGKey(0), jax.random.PRNGKey(1)]
    else:
        program = jax.jit(jax.vmap(train))
        keys = list(jax.random.split(jax.random.PRNGKey(0), 2 * n_seeds).reshape(2, n_seeds, -1))
    with Timer() as first:
        params, _ = block(program(keys[0]))
    with Timer() as steady:
        block(program(keys[1]))
    if n_seeds == 1:
        params = jax.tree.map(lambda x: x[None], params)
    env, env_params = make_env(cfg.env_name)
    net = ActorCritic(env.action_space(env_params).n, tuple(cfg.hidden), cfg.activation)

    def greedy_return(p, key):
        act = lambda _, obs: jnp.argmax(net.apply(p, obs, method=ActorCritic.logits), -1)  # noqa: E731
        return evaluate_policy(key, act, env, env_params, num_episodes=eval_episodes).mean()

    returns = jax.jit(jax.vmap(greedy_return))(
        params, jax.random.split(jax.random.PRNGKey(10_000), n_seeds))
    return {"wall_s": first.seconds, "steady_s": steady.seconds,
            "compile_s": max(first.seconds - steady.seconds, 0.0),
            "final_return": np.asarray(returns, dtype=float)}


# ------------------------------------------------------------------- Stable-Baselines3


# jaxml.rl.common.ACTIVATIONS by their torch.nn class names
TORCH_ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU"}


def sb3_hyperparameters(cfg: ppo.PPOConfig) -> dict:
    """Our PPO hyperparameters in Stable-Baselines3's terms (plain values, picklable)."""
    return {
        "env_name": cfg.env_name, "n_envs": cfg.num_envs, "n_steps": cfg.num_steps,
        "batch_size": cfg.minibatch_size, "n_epochs": cfg.update_epochs, "gamma": cfg.gamma,
        "gae_lambda": cfg.gae_lambda, "clip_range": cfg.clip_eps, "ent_coef": cfg.ent_coef,
        "vf_coef": cfg.vf_coef, "max_grad_norm": cfg.max_grad_norm, "lr": cfg.lr,
        "anneal_lr": cfg.anneal_lr, "hidden": list(cfg.hidden), "activation": cfg.activation,
        "total_timesteps": steps_per_seed(cfg),
    }


def _sb3_model(hyper: dict, seed: int, n_envs: int):
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    lr = hyper["lr"]
    activation = getattr(torch.nn, TORCH_ACTIVATIONS[hyper["activation"]])
    return PPO(
        "MlpPolicy", make_vec_env(hyper["env_name"], n_envs=n_envs, seed=seed),
        learning_rate=(lambda remaining: lr * remaining) if hyper["anneal_lr"] else lr,
        n_steps=hyper["n_steps"], batch_size=hyper["batch_size"], n_epochs=hyper["n_epochs"],
        gamma=hyper["gamma"], gae_lambda=hyper["gae_lambda"], clip_range=hyper["clip_range"],
        ent_coef=hyper["ent_coef"], vf_coef=hyper["vf_coef"],
        max_grad_norm=hyper["max_grad_norm"],
        policy_kwargs=dict(net_arch=dict(pi=hyper["hidden"], vf=hyper["hidden"]),
                           activation_fn=activation),
        device="cpu", seed=seed, verbose=0)


def _sb3_worker_init(torch_threads: int) -> None:
    import stable_baselines3  # noqa: F401  (imported before the clock starts)
    import torch

    torch.set_num_threads(torch_threads)


def _sb3_worker_pid(_) -> int:
    time.sleep(0.2)  # long enough that every worker takes one of these tasks
    return os.getpid()


def _sb3_train(task: tuple[dict, int]) -> dict:
    """Train one seed; returns the policy weights as NumPy arrays."""
    hyper, seed = task
    model = _sb3_model(hyper, seed, hyper["n_envs"])
    model.learn(total_timesteps=hyper["total_timesteps"])
    return {k: v.detach().cpu().numpy() for k, v in model.policy.state_dict().items()}


def _sb3_evaluate(task: tuple[dict, int, dict, int]) -> float:
    """Mean greedy return of trained weights (SB3's ``evaluate_policy``, deterministic)."""
    import torch
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy as sb3_evaluate_policy

    hyper, seed, weights, episodes = task
    model = _sb3_model(hyper, seed, 1)
    model.policy.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
    env = make_vec_env(hyper["env_name"], n_envs=1, seed=10_000 + seed)
    mean, _ = sb3_evaluate_policy(model, env, n_eval_episodes=episodes, deterministic=True)
    return float(mean)


WORKER_START_TIMEOUT_S = 300  # a worker that cannot start raises TimeoutError, never hangs


def _sb3(hyper: dict, n_seeds: int, config: Config) -> dict:
    """Train ``n_seeds`` seeds in ``min(peer_workers, n_seeds)`` worker processes."""
    workers = min(config.peer_workers, n_seeds)
    context = multiprocessing.get_context("spawn")  # never fork a process running XLA threads
    with context.Pool(workers, initializer=_sb3_worker_init,
                      initargs=(config.torch_threads,)) as pool:
        while len(set(pool.map_async(_sb3_worker_pid, range(workers), chunksize=1)
                      .get(timeout=WORKER_START_TIMEOUT_S))) < workers:
            pass
        with Timer() as wall:
            weights = pool.map(_sb3_train, [(hyper, s) for s in range(n_seeds)], chunksize=1)
        returns = pool.map(_sb3_evaluate, [(hyper, s, w, config.eval_episodes)
                                           for s, w in enumerate(weights)], chunksize=1)
    return {"wall_s": wall.seconds, "workers": workers,
            "final_return": np.asarray(returns, dtype=float)}


# ------------------------------------------------------------------------------- run


def run(config: Config, out_dir) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = ppo_config(config)
    steps = steps_per_seed(cfg)
    if config.peer:  # fail now, not inside a spawned worker (a Pool would respawn it forever)
        require_modules(NAME, PEER_MODULES, instead="--set peer=False to time ours alone")
    hyper = sb3_hyperparameters(cfg) if config.peer else None
    metrics: dict[str, float] = {"env_steps_per_seed": steps}
    sides: dict[int, dict] = {}
    with Timer() as total:
        for n in config.seed_counts:
            ours = _ours(cfg, n, config.eval_episodes)
            peer = _sb3(hyper, n, config) if config.peer else None
            sides[n] = {"ours": ours, "sb3": peer}
            tag = f"{n}seeds"
            metrics.update({
                f"wall_s/ours/{tag}": ours["wall_s"],
                f"wall_steady_s/ours/{tag}": ours["steady_s"],
                f"compile_s/ours/{tag}": ours["compile_s"],
                f"env_steps_per_s/ours/{tag}": n * steps / ours["wall_s"],
                **seed_metrics(f"final_return_mean/ours/{tag}", ours["final_return"]),
            })
            if peer is not None:
                metrics.update({
                    f"wall_s/sb3/{tag}": peer["wall_s"],
                    f"env_steps_per_s/sb3/{tag}": n * steps / peer["wall_s"],
                    f"speedup_vs_sb3/ppo/{tag}": peer["wall_s"] / ours["wall_s"],
                    f"speedup_steady_vs_sb3/ppo/{tag}": peer["wall_s"] / ours["steady_s"],
                    **seed_metrics(f"final_return_mean/sb3/{tag}", peer["final_return"]),
                })
    _figure(out_dir, sides, steps)
    extra = {"sb3_hyperparameters": hyper} if hyper is not None else None
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, target=TARGET,
                            seeds=config.seeds, wall_time_s=total.seconds, extra=extra)
    (out_dir / "README.md").write_text(readme(results, sides, config, steps))
    return results


def _figure(out_dir: Path, sides: dict, steps: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = sorted(sides)
    bars = [("ours, compile included", lambda s: s["ours"]["wall_s"]),
            ("ours, steady state", lambda s: s["ours"]["steady_s"])]
    if sides[counts[0]]["sb3"] is not None:
        bars.append(("Stable-Baselines3", lambda s: s["sb3"]["wall_s"]))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / len(bars)
    for j, (label, value) in enumerate(bars):
        pos = np.arange(len(counts)) + (j - (len(bars) - 1) / 2) * width
        ax.bar(pos, [value(sides[n]) for n in counts], width, label=label)
    ax.set_xticks(np.arange(len(counts)), [f"{n} seed{'s' * (n > 1)}" for n in counts])
    ax.set_yscale("log")
    ax.set_ylabel("wall time to train [s]")
    ax.set_title(f"PPO CartPole-v1, {steps} env steps per seed")
    ax.legend(fontsize=8)
    save_figure(fig, out_dir, "bench.png")


def _times(a: float, b: float) -> str:
    """``"3.2× faster"`` / ``"1.5× slower"`` for a ratio ``b / a`` of wall times."""
    return f"{b / a:.1f}× faster" if b >= a else f"{a / b:.1f}× slower"


def readme(results: dict, sides: dict, config: Config, steps: int) -> str:
    """The README, every sentence about the run computed from its numbers."""
    counts = sorted(sides)
    peer = sides[counts[0]]["sb3"] is not None
    rows, returns, headline = [], [], []
    for n in counts:
        ours, sb3 = sides[n]["ours"], sides[n]["sb3"]
        task = f"{n} seed{'s' * (n > 1)} × {steps} steps"
        ours_cell = (f"{ours['wall_s']:.1f} s ({ours['compile_s']:.1f} s compile; "
                     f"steady {ours['steady_s']:.1f} s)")
        returns.append(["ours", n, format_mean_ci(ours["final_return"], 1)])
        if sb3 is None:
            rows.append([task, "not run", ours_cell, "—", "—"])
            continue
        rows.append([task, f"{sb3['wall_s']:.1f} s ({sb3['workers']} process"
                           f"{'es' * (sb3['workers'] > 1)})", ours_cell,
                     f"{sb3['wall_s'] / ours['wall_s']:.2f}×",
                     f"{sb3['wall_s'] / ours['steady_s']:.2f}×"])
        returns.append(["Stable-Baselines3", n, format_mean_ci(sb3["final_return"], 1)])
        headline.append(
            f"Training {n} seed{'s' * (n > 1)} took {ours['wall_s']:.1f} s with ours, "
            f"compilation included, and {sb3['wall_s']:.1f} s with Stable-Baselines3 on "
            f"{sb3['workers']} process{'es' * (sb3['workers'] > 1)}: ours was "
            f"{_times(ours['wall_s'], sb3['wall_s'])} ({_times(ours['steady_s'], sb3['wall_s'])} "
            f"once compiled). Mean final greedy return: ours "
            f"{np.mean(ours['final_return']):.1f}, Stable-Baselines3 "
            f"{np.mean(sb3['final_return']):.1f}.")
    if not peer:
        headline.append("The peer was not run (`peer=False`); only our times are reported.")
    return f"""# {NAME}

**What a user waits for**: the wall time of training N PPO seeds on CartPole-v1 from
scratch, compilation included, ours (one jitted program, vmapped over seeds) against
Stable-Baselines3 running its seeds in {config.peer_workers} processes (one torch thread
each), at equal total environment steps ({steps} per seed), with both sides' final greedy
returns ({config.eval_episodes} episodes per seed) beside the times.

{" ".join(headline)}

{markdown_table(["task", "peer: Stable-Baselines3 PPO", "ours: jaxml PPO",
                 "ratio (compile incl.)", "ratio (steady)"], rows)}

Ratios are peer wall time ÷ ours. Final greedy return per seed (mean ± Student-t 95%
interval over seeds, n seeds):

{markdown_table(["side", "seeds", "final return"], returns)}

![bench.png](bench.png)

{machine_line(results)}

## How to run

```
pip install -e '.[bench]'     # stable-baselines3, torch (CPU), gymnasium
jaxml repro {NAME}            # full: N = 1 and {Config.full().seeds} seeds × {Config.full().total_timesteps} steps, both sides
jaxml repro {NAME} --quick    # smoke run
```
"""


if __name__ == "__main__":
    main_for(__name__)
