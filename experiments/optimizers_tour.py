"""Optimizers tour: first- and second-order methods on classic test functions (M.op.1–3).

Every from-scratch optimiser of :mod:`jaxml.math.optim` (gradient descent, heavy-ball
momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW, Nadam) and of
:mod:`jaxml.math.optim_second_order` (Newton, BFGS, L-BFGS with a strong-Wolfe line
search) is run on Rosenbrock's banana, Beale, Himmelblau and an ill-conditioned quadratic
(κ = 100), from the classic start point plus a small per-seed perturbation. The known
minimum values (0 for all four functions, from ``optim.TEST_FUNCTIONS``) are properties
of the functions, not published results: they are recorded as ``known_min/<function>``
and ``PAPER`` is empty. A method solves a function when its final loss is within
``solved_tol`` of the known minimum.

First-order methods get ``num_steps`` gradient steps with the learning rate picked per
(optimiser, function) from a log grid (the one with the lowest mean final loss over the
seeds — all learning rates and seeds run as one vmapped, jitted program); second-order
methods run until :math:`\\|∇f\\|_∞ ≤ 10^{-6}` with at most ``num_steps`` iterations
(no learning rate to tune). Metrics: ``final_loss/<optimizer>/<function>`` (mean over
seeds, with ``final_loss_ci95/…`` the Student-t half-width, ``final_loss_n/…`` the seeds
with a finite loss and ``final_loss_failed/…`` those without), ``best_lr/<first-order>/
<function>`` and ``iterations/<second-order>/<function>`` (the same four statistics).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (Timer, machine_line, main_for, markdown_table, save_figure,
                              seed_metrics, seed_summary, write_results)
from jaxml.math import optim
from jaxml.math import optim_second_order as so2

NAME = "optimizers_tour"
FIRST_ORDER = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam")
SECOND_ORDER = ("newton", "bfgs", "lbfgs")
FUNCTIONS = ("rosenbrock", "beale", "himmelblau", "quadratic")
PAPER: dict[str, float] = {}  # the minima are properties of the functions, not published numbers
PAPER_SOURCE: dict[str, str] = {}

_FACTORIES = {
    "gd": optim.gradient_descent,
    "momentum": lambda lr: optim.momentum(lr, 0.9),
    "nesterov": lambda lr: optim.nesterov(lr, 0.9),
    "adagrad": optim.adagrad,
    "rmsprop": optim.rmsprop,
    "adam": optim.adam,
    "adamw": lambda lr: optim.adamw(lr, weight_decay=1e-4),
    "nadam": optim.nadam,
}
_SECOND = {"newton": so2.newton, "bfgs": so2.bfgs, "lbfgs": so2.lbfgs}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    num_steps: int = 2000
    learning_rates: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
    start_noise: float = 0.1
    solved_tol: float = 1e-6  # a final loss within this of the known minimum counts as solved
    functions: tuple[str, ...] = FUNCTIONS
    first_order: tuple[str, ...] = FIRST_ORDER
    second_order: tuple[str, ...] = SECOND_ORDER

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, num_steps=100, learning_rates=(1e-3, 1e-2, 1e-1),
                   functions=("rosenbrock", "quadratic"), first_order=("gd", "adam"),
                   second_order=("bfgs",))


def start_points(config: Config, fn: str) -> jax.Array:
    """``(seeds, 2)`` starts: the classic start plus ``start_noise`` · N(0, I)."""
    _, start, _ = optim.TEST_FUNCTIONS[fn]
    noise = jax.random.normal(jax.random.key(7), (config.seeds, 2))
    return jnp.asarray(start) + config.start_noise * noise


def run_first_order(name: str, fn: str, starts: jax.Array, config: Config):
    """All learning rates × seeds at once; returns ``(losses, paths)`` of shapes
    ``(lrs, seeds, steps + 1)`` and ``(lrs, seeds, steps + 1, 2)``."""
    fun = optim.TEST_FUNCTIONS[fn][0]

    def one(lr, x0):
        xs, losses = optim.run_optimizer(_FACTORIES[name](lr), fun, x0, config.num_steps)
        return losses, xs

    lrs = jnp.asarray(config.learning_rates)
    losses, paths = jax.jit(jax.vmap(jax.vmap(one, (None, 0)), (0, None)))(lrs, starts)
    return np.asarray(losses, np.float64), np.asarray(paths, np.float64)


def run_second_order(name: str, fn: str, starts: jax.Array, config: Config):
    """Per-seed final loss, iterations and recorded paths ``(seeds, steps + 1, 2)``."""
    fun = optim.TEST_FUNCTIONS[fn][0]
    solve = jax.jit(jax.vmap(lambda x0: _SECOND[name](
        fun, x0, max_iter=config.num_steps, gtol=1e-6, record_path=True)))
    res = solve(starts)
    return (np.asarray(res.fun, np.float64), np.asarray(res.num_iter),
            np.asarray(res.path, np.float64))


def _pick(losses: np.ndarray) -> int:
    """Index of the learning rate with the lowest mean final loss (NaN/inf lose)."""
    final = np.where(np.isfinite(losses[:, :, -1]), losses[:, :, -1], np.inf).mean(axis=1)
    return int(np.argmin(final))


def _figures(out_dir: Path, config: Config, paths: dict, curves: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(config.first_order) + list(config.second_order)
    colors = dict(zip(names, plt.cm.tab20(np.linspace(0, 1, max(len(names), 2)))))
    windows = {"rosenbrock": ((-2, 2), (-1, 3)), "beale": ((-0.5, 4), (-1, 2)),
               "himmelblau": ((-5, 5), (-5, 5)), "quadratic": ((-5, 5), (-2, 2))}
    nf = len(config.functions)
    fig, axes = plt.subplots(1, nf, figsize=(5 * nf, 4.5), squeeze=False)
    for ax, fn in zip(axes[0], config.functions):
        (x0, x1), (y0, y1) = windows[fn]
        gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        fun = optim.TEST_FUNCTIONS[fn][0]
        z = np.asarray(jax.vmap(fun)(jnp.stack([gx.ravel(), gy.ravel()], 1))).reshape(gx.shape)
        ax.contour(gx, gy, np.log1p(z), levels=25, cmap="Greys", linewidths=0.6)
        for name in names:
            p = paths[(name, fn)]
            ax.plot(p[:, 0], p[:, 1], "-", color=colors[name], lw=1.2, label=name)
            ax.plot(p[-1, 0], p[-1, 1], "o", color=colors[name], ms=4)
        ax.plot(*np.asarray(start_points(config, fn))[0], "k*", ms=10)
        ax.set(xlim=(x0, x1), ylim=(y0, y1), title=f"{fn} (seed 0)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8)
    fig.subplots_adjust(right=0.9)
    save_figure(fig, out_dir, "trajectories.png")

    fig, axes = plt.subplots(1, nf, figsize=(5 * nf, 4), squeeze=False)
    for ax, fn in zip(axes[0], config.functions):
        for name in names:
            c = np.maximum(curves[(name, fn)], 1e-16)
            ax.plot(np.arange(1, len(c) + 1), c, color=colors[name], label=name)
        ax.set(yscale="log", xscale="log", xlabel="iteration + 1", title=fn)
    axes[0][0].set_ylabel("f(x), mean over seeds (floored at 1e-16)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8)
    fig.subplots_adjust(right=0.9)
    save_figure(fig, out_dir, "convergence.png")
    return ["trajectories.png", "convergence.png"]


def _format_loss(values: np.ndarray) -> str:
    """``mean ± half-width (n=…)`` in %g notation (losses span many decades)."""
    s = seed_summary(values)
    if s.n == 0:
        return f"— (all {s.n_failed} seeds failed)"
    text = f"{s.mean:.3g}" + (f" ± {s.ci95:.2g}" if s.n >= 2 else "")
    return text + f" (n={s.n}" + (f", {s.n_failed} failed)" if s.n_failed else ")")


def _findings(m: dict, config: Config) -> list[str]:
    """Sentences computed from the metrics: who solved what, and who got closest."""
    names = list(config.first_order) + list(config.second_order)
    lines = []
    for fn in config.functions:
        gap = {n: m[f"final_loss/{n}/{fn}"] - m[f"known_min/{fn}"] for n in names
               if m[f"final_loss/{n}/{fn}"] is not None}
        solved = [n for n, g in gap.items() if g <= config.solved_tol]
        best = min(gap, key=gap.get) if gap else None
        text = (f"{fn}: {len(solved)} of {len(names)} optimisers reach the known minimum within "
                f"{config.solved_tol:g} (mean over seeds)")
        text += f" ({', '.join(solved)})" if solved else ""
        if best is not None:
            text += f"; the lowest mean final loss is {best}'s, {m[f'final_loss/{best}/{fn}']:.3g}"
        unsolved = [n for n in names if n not in solved]
        if unsolved:
            text += f"; not solved: {', '.join(unsolved)}"
        lines.append(text + ".")
    iters = [m[f"iterations/{n}/{fn}"] for n in config.second_order for fn in config.functions]
    if iters:
        lines.append(f"Second-order methods used {min(iters):.0f} to {max(iters):.0f} iterations "
                     f"(mean over seeds) of the {config.num_steps} allowed.")
    return lines


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            per_seed: dict) -> None:
    m = results["metrics"]
    rows = []
    for fn in config.functions:
        for name in list(config.first_order) + list(config.second_order):
            detail = (f"lr {m[f'best_lr/{name}/{fn}']:g}" if name in config.first_order
                      else f"{m[f'iterations/{name}/{fn}']:.0f} iterations")
            rows.append([fn, f"{m[f'known_min/{fn}']:g}", name,
                         _format_loss(per_seed[(name, fn)]), detail])
    table = markdown_table(
        ["function", "known minimum", "optimizer",
         "ours: final loss (mean ± 95% t-interval)", "tuned lr / mean iterations"], rows)
    findings = "\n".join(f"- {line}" for line in _findings(m, config))
    quick = Config.quick()
    text = f"""# Optimizers tour (M.op.1–3)

**Claim.** The classic test functions have known minima (all four have minimum value 0:
Rosenbrock at (1, 1), Beale at (3, 0.5), Himmelblau at four points, the quadratic
½(x² + 100 y²) at 0). A correct optimiser drives f to its minimum; how fast separates
them: plain gradient descent is slow along Rosenbrock's curved valley (its step is capped
by the largest curvature), momentum and Adam-type methods are expected to help, and
second-order methods (Newton, BFGS, L-BFGS with a strong-Wolfe line search) to converge in
few iterations with no learning rate to tune.

**Setup.** Start at the classic point (Rosenbrock (-1.5, 2), Beale (1, 1.5), Himmelblau
(-1, -1), quadratic (4, 1)) plus {config.start_noise}·N(0, I) per seed; first-order methods
run {config.num_steps} steps with the learning rate chosen per (optimiser, function) from
{list(config.learning_rates)} by the lowest mean final loss over the same seeds (a tuned
comparison, not a held-out one); second-order methods stop at ‖∇f‖∞ ≤ 1e-6 or
{config.num_steps} iterations. float32 throughout. All optimisers are jaxml's from-scratch
implementations (the first-order ones are tested equal to optax step for step). Intervals
are Student-t over {config.seeds} seeds; n counts the seeds with a finite final loss.

{table}

**Results** (computed from the table):

{findings}

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or
`jaxml repro {NAME} --quick` ({len(quick.functions)} functions,
{len(quick.first_order) + len(quick.second_order)} optimisers, {quick.num_steps} steps).

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    unknown = set(config.functions) - set(FUNCTIONS)
    unknown |= set(config.first_order) - set(FIRST_ORDER)
    unknown |= set(config.second_order) - set(SECOND_ORDER)
    if unknown:
        raise ValueError(f"unknown functions/optimizers in config: {sorted(unknown)}")
    metrics, paths, curves, per_seed = {}, {}, {}, {}
    jobs = [(n, fn) for fn in config.functions
            for n in list(config.first_order) + list(config.second_order)]
    metrics.update({f"known_min/{fn}": optim.TEST_FUNCTIONS[fn][2] for fn in config.functions})
    with Timer() as total:
        for name, fn in tqdm(jobs, desc=NAME, disable=None):
            starts = start_points(config, fn)
            if name in config.first_order:
                losses, traj = run_first_order(name, fn, starts, config)
                i = _pick(losses)
                final = losses[i, :, -1]
                metrics[f"best_lr/{name}/{fn}"] = config.learning_rates[i]
                paths[(name, fn)] = traj[i, 0]
                curves[(name, fn)] = losses[i].mean(axis=0)
            else:
                final, iters, traj = run_second_order(name, fn, starts, config)
                metrics.update(seed_metrics(f"iterations/{name}/{fn}", iters))
                k = int(iters.max())
                paths[(name, fn)] = traj[0, : int(iters[0]) + 1]
                fun = optim.TEST_FUNCTIONS[fn][0]
                curves[(name, fn)] = np.asarray(
                    jax.vmap(jax.vmap(fun))(jnp.asarray(traj[:, : k + 1]))).mean(axis=0)
            per_seed[(name, fn)] = final
            metrics.update(seed_metrics(f"final_loss/{name}/{fn}", final))
    figures = _figures(out_dir, config, paths, curves)
    extra = {f"loss_curve/{n}/{fn}": c[:: max(1, len(c) // 200)] for (n, fn), c in curves.items()}
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, seeds=config.seeds,
                            wall_time_s=total.seconds, extra=extra)
    _readme(out_dir, results, config, figures, per_seed)
    return results


if __name__ == "__main__":
    main_for(__name__)
