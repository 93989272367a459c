"""Bandit regret: UCB1 and Thompson sampling grow logarithmically, fixed-ε greedy linearly.

A 5-armed Bernoulli bandit (means 0.9, 0.7, 0.5, 0.3, 0.1) is played for ``horizon`` pulls
by ε-greedy (ε = 0.1), decaying ε (ε_t = min(1, cK/(d²t)), Auer et al. 2002), UCB1 (Auer,
Cesa-Bianchi & Fischer 2002), Beta–Bernoulli Thompson sampling (Thompson 1933; Agrawal &
Goyal 2012) and the gradient bandit (Sutton & Barto 2018, §2.8); a Gaussian version
(unit noise, same means) is played by Gaussian Thompson sampling, UCB1 and ε-greedy.
Cumulative pseudo-regret is averaged over ``runs`` independent runs, all of one setting
in a single ``jit(vmap(...))``. The Lai & Robbins (1985) lower bound
Σ_a Δ_a / KL(μ_a, μ*) · ln T is drawn on the figure.

Growth rates are summarised by two fitted slopes over the second half of the horizon:
regret per step (linear rate; > 0 for ε-greedy, → 0 for logarithmic algorithms) and the
slope of regret against ln t (the constant in front of ln T; compare with Lai–Robbins).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np
from tqdm import tqdm

from jaxml.experiment import Timer, ci95, main_for, markdown_table, save_figure, write_results
from jaxml.rl import bandits

NAME = "rl_bandits"
MEANS = (0.9, 0.7, 0.5, 0.3, 0.1)
SETTINGS = (
    ("epsilon_greedy", "bernoulli"),
    ("decaying_epsilon", "bernoulli"),
    ("ucb1", "bernoulli"),
    ("thompson", "bernoulli"),
    ("gradient", "bernoulli"),
    ("epsilon_greedy", "gaussian"),
    ("ucb1", "gaussian"),
    ("thompson", "gaussian"),
)
# Lai & Robbins (1985) asymptotic constant for these means (Bernoulli arms, computed);
# the qualitative claims (log vs linear growth) are checked by the slopes.
PAPER = {"lai_robbins_constant/bernoulli": bandits.lai_robbins_constant(MEANS)}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 200  # independent runs per algorithm
    horizon: int = 10_000
    epsilon: float = 0.1
    decay_c: float = 0.05
    ucb_c: float = 1.0
    alpha: float = 0.1

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=100, horizon=1000)


def _slopes(mean_curve: np.ndarray) -> tuple[float, float]:
    T = len(mean_curve)
    t = np.arange(1, T + 1)
    half = slice(T // 2, T)
    linear = np.polyfit(t[half], mean_curve[half], 1)[0]
    log_slope = np.polyfit(np.log(t[half]), mean_curve[half], 1)[0]
    return float(linear), float(log_slope)


def run(config: Config, out_dir) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gaps = max(MEANS) - np.array(MEANS)
    min_gap = float(np.min(gaps[gaps > 0]))
    curves = {}
    with Timer() as timer:
        for i, (alg, reward) in enumerate(tqdm(SETTINGS, desc=NAME, disable=None)):
            cfg = bandits.BanditConfig(alg, reward=reward, horizon=config.horizon,
                                       epsilon=config.epsilon, decay_c=config.decay_c,
                                       min_gap=min_gap, ucb_c=config.ucb_c, alpha=config.alpha)
            curves[(alg, reward)] = np.asarray(bandits.regret_curves(
                jax.random.PRNGKey(i), cfg, MEANS, config.seeds))

    metrics = {"lai_robbins_constant/bernoulli": bandits.lai_robbins_constant(MEANS),
               "lai_robbins_constant/gaussian": bandits.lai_robbins_constant(
                   MEANS, reward="gaussian")}
    rows = []
    for (alg, reward), c in curves.items():
        name = f"{alg}_{reward}"
        final = c[:, -1]
        linear, log_slope = _slopes(c.mean(0))
        metrics[f"regret_T/{name}"] = float(final.mean())
        metrics[f"regret_T_ci95/{name}"] = float(ci95(final))
        metrics[f"linear_slope/{name}"] = linear
        metrics[f"log_slope/{name}"] = log_slope
        lr = metrics[f"lai_robbins_constant/{reward}"]
        rows.append([name, f"{final.mean():.1f} ± {ci95(final):.1f}", f"{linear:.2e}",
                     f"{log_slope:.1f}", f"{lr:.1f}"])
    _figure(out_dir, curves, metrics, config)
    results = write_results(
        out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
        seeds=config.seeds, wall_time_s=timer.seconds,
        extra={"means": list(MEANS),
               "mean_regret_every_100": {f"{a}_{r}": c.mean(0)[99::100].tolist()
                                         for (a, r), c in curves.items()}})
    _readme(out_dir, rows, metrics, config, timer.seconds)
    return results


def _figure(out_dir: Path, curves, metrics, config: Config) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    t = np.arange(1, config.horizon + 1)
    for ax, reward in zip(axes, ("bernoulli", "gaussian")):
        for (alg, r), c in curves.items():
            if r != reward:
                continue
            m, h = c.mean(0), ci95(c)
            ax.plot(t, m, label=alg)
            ax.fill_between(t, m - h, m + h, alpha=0.2)
        lr = metrics[f"lai_robbins_constant/{reward}"]
        ax.plot(t, lr * np.log(t), "k--", label=f"Lai–Robbins {lr:.1f}·ln t")
        ax.set_xscale("log")
        ax.set_xlabel("t (log scale)")
        ax.set_ylabel("cumulative pseudo-regret")
        ax.set_title(f"{reward} arms, mean ± 95% CI ({config.seeds} runs)")
        ax.legend(fontsize=8)
    save_figure(fig, out_dir, "regret.png")


def _readme(out_dir: Path, rows, metrics, config: Config, wall: float) -> None:
    text = f"""# {NAME}

**Claim.** UCB1 and Thompson sampling have regret growing like ln T (Auer et al. 2002;
Agrawal & Goyal 2012), fixed-ε greedy linearly in T; no consistent algorithm beats the
Lai & Robbins (1985) bound Σ_a Δ_a/KL(μ_a, μ*) · ln T asymptotically.

Arms {MEANS}; horizon {config.horizon}; {config.seeds} runs per algorithm (one vmapped jit each).
Slopes are least-squares fits of the mean regret over the second half of the horizon.
A logarithmic algorithm has a per-step slope near 0 and a finite ln-t slope; ε-greedy's
per-step slope stays near ε·mean(gap) = {config.epsilon * np.mean(max(MEANS) - np.array(MEANS)):.3f}.

{markdown_table(["algorithm_arms", f"regret at T (mean ± 95% CI, {config.seeds} runs)",
                 "regret per step (2nd half)", "d regret / d ln t (2nd half)",
                 "Lai–Robbins constant"], rows)}

Paper value: the Lai–Robbins constant for these Bernoulli arms is
{PAPER["lai_robbins_constant/bernoulli"]:.2f} (computed from the bound); Thompson sampling's
ln-t slope should approach it, UCB1's is larger (its bound is looser), ε-greedy's grows with T.

![regret.png](regret.png)

## How to run

```
jaxml repro {NAME}            # full
jaxml repro {NAME} --quick    # smoke run
```

Wall time: {wall:.1f} s (2-core CPU shared with other jobs).
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
