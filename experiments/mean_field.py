"""Mean-field limit of two-layer networks: O(1) particle motion vs lazy NTK training.

Reproduces the qualitative claims of Mei, Montanari & Nguyen (2018) and Chizat & Bach
(2019, "On lazy training in differentiable programming") on a teacher task: a two-layer
ReLU student f = N^{-α} Σ a_i relu(⟨w_i, x⟩) trained by full-batch GD on MSE, with

* mean-field scaling (α = 1, learning rate η₀N): the relative weight change stays O(1)
  as N grows (log-log slope ≈ 0), the training-loss curves collapse onto one curve and
  the particle distribution of (a_i, w_i) converges (sliced W₂ to the widest network
  shrinks);
* NTK scaling (α = 1/2, learning rate η₀): the relative weight change falls like N^{-1/2}
  (lazy training).

Every width is trained for ``seeds`` independent initialisations under one ``vmap``;
means carry Student-t 95% intervals over seeds, and log-log slopes are fitted per seed.
``PAPER`` is empty: no published number is rerun; ``TARGET`` holds issue 21's goals
(slopes within 0.1 of the theory's −1/2 and 0, gaps shrinking with N).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (goal_cell, Timer, ci95, format_mean_ci, machine_line, main_for, markdown_table,
                              save_figure, seed_metrics, seed_summary, write_results)
from jaxml.math.transport import sliced_wasserstein
from jaxml.theory import mean_field as mf

NAME = "mean_field"

PAPER: dict[str, float] = {}
PAPER_SOURCE: dict[str, str] = {}
# The theory's log-log slopes of the relative weight change against width.
THEORY_SLOPE = {"mean_field": 0.0, "ntk": -0.5}
# Issue 21: NTK slope −0.5 ± 0.1, mean-field O(1) (slope within ±0.1 of 0), loss curves and
# particle distributions converging as N grows (gaps falling with N).
TARGET = {"slope/weight_change/ntk": ">= -0.6", "slope_dev/weight_change/ntk": "<= 0.1",
          "slope_dev/weight_change/mean_field": "<= 0.1", "slope/loss_curve_gap": "< 0",
          "slope/w2_to_largest": "< 0"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    dim: int = 16  # inputs uniform on the sphere of radius √dim in R^dim
    n_train: int = 256
    teacher_units: int = 4  # y = Σ_k s_k relu(⟨v_k, x⟩), orthonormal v_k, signs ±1
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
    steps: int = 600
    record_every: int = 5
    base_lr: float = 0.1  # η₀: η = η₀N (mean-field), η₀ (NTK)
    activation: str = "relu"
    n_projections: int = 256  # directions of the sliced W₂

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, dim=8, n_train=64, widths=(16, 64, 256), steps=100, record_every=10,
                   n_projections=64)

    @classmethod
    def full(cls) -> "Config":
        return cls()


def _teacher_task(key, config: Config):
    """Inputs on the sphere of radius √d, a k-unit ReLU teacher on random orthonormal directions."""
    kx, kv = jax.random.split(key)
    x = jax.random.normal(kx, (config.n_train, config.dim))
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True) * jnp.sqrt(config.dim)
    v = jnp.linalg.qr(jax.random.normal(kv, (config.dim, config.teacher_units)))[0].T  # (k, d)
    signs = jnp.where(jnp.arange(config.teacher_units) % 2 == 0, 1.0, -1.0)
    return x, jax.nn.relu(x @ v.T) @ signs, v


def _per_seed_slope(widths, values: np.ndarray) -> np.ndarray:
    """Log-log slope of values (seeds, widths) against width, fitted per seed (NaN if any
    value of that seed is non-finite or ≤ 0)."""
    log_w = np.log(np.asarray(widths, float))
    return np.array([np.polyfit(log_w, np.log(v), 1)[0] if np.all(np.isfinite(v) & (v > 0)) else np.nan
                     for v in values])


def run(config: Config, out_dir: str | Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    k_data, k_init, k_proj = jax.random.split(jax.random.key(0), 3)
    x, y, teacher = _teacher_task(k_data, config)
    widths = [int(w) for w in config.widths]
    sweeps = {}
    with Timer() as total:
        for scaling in mf.SCALINGS:
            sweeps[scaling] = mf.width_sweep(
                k_init, x, y, widths=widths, scaling=scaling, seeds=config.seeds, base_lr=config.base_lr,
                steps=config.steps, record_every=config.record_every, activation=config.activation,
                progress=lambda ws, s=scaling: tqdm(ws, desc=f"mean_field/{s}", disable=None))
        mfs = sweeps["mean_field"]
        largest = mfs[-1]
        ref_end, ref_init = mf.particles(largest["params"]), mf.particles(largest["params0"])
        w2 = jax.jit(jax.vmap(lambda a, b: sliced_wasserstein(k_proj, a, b, n_projections=config.n_projections)))
        w2_end = np.array([np.asarray(w2(mf.particles(r["params"]), ref_end)) for r in mfs[:-1]])
        w2_init = np.array([np.asarray(w2(mf.particles(r["params0"]), ref_init)) for r in mfs[:-1]])
        loss_ref = np.asarray(largest["loss"])
        gaps = np.array([np.max(np.abs(np.asarray(r["loss"]) - loss_ref), axis=1) for r in mfs[:-1]])

    metrics: dict[str, float] = {}
    change = {s: np.stack([np.asarray(r["weight_change"]) for r in sweeps[s]], 1) for s in mf.SCALINGS}
    for scaling in mf.SCALINGS:
        for j, r in enumerate(sweeps[scaling]):
            n = r["width"]
            metrics.update(seed_metrics(f"weight_change/{scaling}/{n}", change[scaling][:, j]))
            metrics[f"unit_movement/{scaling}/{n}"] = float(np.nanmean(r["unit_movement"]))
            metrics.update(seed_metrics(f"final_loss/{scaling}/{n}", np.asarray(r["loss"][:, -1])))
        slopes = _per_seed_slope(widths, change[scaling])
        metrics.update(seed_metrics(f"slope/weight_change/{scaling}", slopes))
        metrics[f"slope_dev/weight_change/{scaling}"] = abs(metrics[f"slope/weight_change/{scaling}"]
                                                           - THEORY_SLOPE[scaling])
    for j, n in enumerate(widths[:-1]):
        metrics.update(seed_metrics(f"loss_curve_gap/{n}", gaps[j]))
        metrics.update(seed_metrics(f"w2_to_largest/{n}", w2_end[j]))
        metrics.update(seed_metrics(f"w2_init_to_largest/{n}", w2_init[j]))
    if len(widths) >= 3:  # a slope needs two points below the largest width
        for stem, values in (("loss_curve_gap", gaps), ("w2_to_largest", w2_end),
                             ("w2_init_to_largest", w2_init)):
            metrics.update(seed_metrics(f"slope/{stem}", _per_seed_slope(widths[:-1], values.T)))
    metrics["time_s/total"] = total.seconds

    # ------------------------------------------------------------------ figures
    ws = np.asarray(widths, float)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for scaling, marker in (("mean_field", "o-"), ("ntk", "s-")):
        c = change[scaling]
        ax.errorbar(ws, np.nanmean(c, 0), yerr=np.nan_to_num(ci95(c, axis=0)), fmt=marker,
                    label=f"{scaling} (slope {metrics[f'slope/weight_change/{scaling}']:.2f})")
    ntk_mean = np.nanmean(change["ntk"], 0)
    ax.plot(ws, ntk_mean[0] * np.sqrt(ws[0] / ws), "k--", lw=1, label="∝ N^(-1/2)")
    ax.set(xscale="log", yscale="log", xlabel="width N", ylabel="‖θ_T − θ_0‖ / ‖θ_0‖",
           title=f"relative weight change after {config.steps} GD steps (n={config.seeds} seeds)")
    ax.legend(fontsize=8)
    save_figure(fig, out_dir, "weight_change.png")

    steps_axis = np.arange(loss_ref.shape[1]) * config.record_every
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for scaling, ax in zip(mf.SCALINGS, axes[:2]):
        for r in sweeps[scaling]:
            ax.plot(steps_axis, np.nanmean(np.asarray(r["loss"]), 0), label=f"N={r['width']}")
        ax.set(yscale="log", xlabel="GD step", ylabel="training loss (seed mean)", title=f"{scaling} scaling")
        ax.legend(fontsize=6)
    if gaps.size:
        w_small = ws[:-1]
        for values, label in ((gaps, "sup |loss curve − widest|"), (w2_end, "sliced W₂ to widest, end"),
                              (w2_init, "sliced W₂ to widest, init")):
            axes[2].errorbar(w_small, np.nanmean(values, 1), yerr=np.nan_to_num(ci95(values, axis=1)),
                             fmt="o-", label=label)
        axes[2].plot(w_small, np.nanmean(gaps, 1)[0] * np.sqrt(w_small[0] / w_small), "k--", lw=1,
                     label="∝ N^(-1/2)")
        axes[2].set(xscale="log", yscale="log", xlabel="width N", title=f"mean-field vs N = {widths[-1]}")
        axes[2].legend(fontsize=7)
    save_figure(fig, out_dir, "loss_curves.png")

    shown = sorted({0, len(widths) // 2, len(widths) - 1})
    fig, axes = plt.subplots(len(shown), 2, figsize=(10, 3.2 * len(shown)), squeeze=False, layout="constrained")
    for row, j in zip(axes, shown):
        r = mfs[j]
        for params, colour, label in ((r["params0"], "0.6", "init"), (r["params"], "C0", "end")):
            a = np.asarray(params["a"][0])
            proj = np.linalg.norm(np.asarray(params["w"][0]) @ np.asarray(teacher).T, axis=1)
            row[0].scatter(proj, a, s=3, alpha=0.4, color=colour, label=label)
            row[1].hist(a, bins=40, density=True, histtype="step", color=colour, label=label)
        row[0].set(xlabel="‖P_teacher w_i‖", ylabel="a_i", title=f"mean-field particles, N={r['width']} (seed 0)")
        row[1].set(xlabel="a_i", ylabel="density", title=f"output weights, N={r['width']}")
        row[0].legend(fontsize=7)
        row[1].legend(fontsize=7)
    save_figure(fig, out_dir, "particles.png")

    extra = {"widths": widths, "steps": steps_axis,
             "loss_mean": {s: [np.nanmean(np.asarray(r["loss"]), 0) for r in sweeps[s]] for s in mf.SCALINGS},
             "weight_change": {s: change[s] for s in mf.SCALINGS},
             "loss_curve_gap": gaps, "w2_to_largest": w2_end, "w2_init_to_largest": w2_init}
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
                            paper_source=PAPER_SOURCE, target=TARGET, seeds=config.seeds,
                            wall_time_s=total.seconds, extra=extra)
    _write_readme(out_dir, config, results, change, gaps, w2_end, w2_init)
    return results


def _goal(metrics: dict, name: str) -> str:
    return goal_cell(TARGET, metrics, name)


def _trend(values: np.ndarray, what: str) -> str:
    """How a (widths, seeds) quantity's seed mean moves with width, in words."""
    means = np.nanmean(values, 1) if values.size else values
    if means.size < 2:
        return f"Fewer than two widths below the largest, so no trend of {what} is measured."
    rises = int(np.sum(np.diff(means) >= 0))
    if rises == 0:
        return f"The {what} falls at every step to a wider network."
    return f"The {what} does not fall at {rises} of {means.size - 1} steps to a wider network."


def _slope_line(metrics: dict, name: str, theory: float, what: str = "the theory's") -> str:
    s = (metrics.get(name), metrics.get(name.replace("slope/", "slope_ci95/", 1)),
         metrics.get(name.replace("slope/", "slope_n/", 1)))
    if s[0] is None:
        return f"{name}: not measured (too few widths)."
    text = f"`{name}` = {s[0]:.3f} ± {s[1]:.3f} (n={s[2]})"
    if np.isfinite(s[1]):
        inside = s[0] - s[1] <= theory <= s[0] + s[1]
        text += f"; {what} {theory} lies {'inside' if inside else 'outside'} the 95% interval"
    return text + "."


def _write_readme(out_dir, config, results, change, gaps, w2_end, w2_init):
    m = results["metrics"]
    widths = [int(w) for w in config.widths]
    wc_rows = [(n, format_mean_ci(change["mean_field"][:, j], 3), format_mean_ci(change["ntk"][:, j], 4),
                f"{m[f'unit_movement/mean_field/{n}']:.3f}", f"{m[f'unit_movement/ntk/{n}']:.4f}",
                f"{m[f'final_loss/mean_field/{n}']:.2e}", f"{m[f'final_loss/ntk/{n}']:.2e}")
               for j, n in enumerate(widths)]
    conv_rows = [(n, format_mean_ci(gaps[j], 4), format_mean_ci(w2_end[j], 4), format_mean_ci(w2_init[j], 4))
                 for j, n in enumerate(widths[:-1])]
    goals = markdown_table(["metric", "goal (issue 21)", "ours"],
                           [(k, _goal(m, k), f"{m[k]:.3f}" if k in m else "—") for k in TARGET])
    ratio = ""
    if w2_end.size:
        r = np.nanmean(w2_end, 1) / np.nanmean(w2_init, 1)
        ratio = (f"The end-of-training distance is {r.min():.2f}–{r.max():.2f} times the distance between "
                 f"the two initial clouds (pure sampling noise) over these widths.")
    ntk_ci = seed_summary(change["ntk"][:, -1])
    text = f"""# Mean-field limit of two-layer networks (Mei, Montanari & Nguyen 2018; Chizat & Bach 2019)

**Claims.** A two-layer network f = N^(-α) Σ a_i σ(⟨w_i, x⟩) trained by gradient descent
has a width-independent limit in two ways. In mean-field scaling (α = 1, learning rate
η₀N) every hidden unit (particle) moves O(1), the empirical distribution of the particles
follows a Wasserstein gradient flow, and loss curves and particle distributions converge
as N → ∞ (Mei, Montanari & Nguyen 2018). In NTK scaling (α = 1/2, learning rate η₀) the
function moves O(1) but each weight only O(N^(-1/2)): lazy training (Chizat, Oyallon &
Bach 2019).

**Setup.** {config.n_train} inputs uniform on the sphere of radius √{config.dim} in R^{config.dim},
teacher y = Σ_k ±relu(⟨v_k, x⟩) with {config.teacher_units} orthonormal v_k; student with
{config.activation}, a_i ~ N(0, 1), w_i ~ N(0, I/{config.dim}); full-batch GD on ½·MSE for
{config.steps} steps, η₀ = {config.base_lr}; both scalings start from the same particles;
{config.seeds} seeds per width under one `vmap`, intervals are Student-t 95% over seeds and
slopes are fitted per seed. No published numbers are rerun, so there is no paper column;
the goals are issue 21's.

## Goals

{goals}

## Weight change (relative ‖θ_T − θ₀‖/‖θ₀‖; per-unit RMS movement beside it)

{markdown_table(["N", "mean-field", "NTK", "mean-field per unit", "NTK per unit",
                 "final loss, mean-field", "final loss, NTK"], wc_rows)}

{_slope_line(m, "slope/weight_change/ntk", THEORY_SLOPE["ntk"])}
{_slope_line(m, "slope/weight_change/mean_field", THEORY_SLOPE["mean_field"])}
At N = {widths[-1]} the NTK network's weights moved by {ntk_ci.mean:.4f} of their initial norm
(n={ntk_ci.n}, {ntk_ci.n_failed} failed seeds).

![weight change](weight_change.png)

## Convergence of the mean-field dynamics to the widest network (N = {widths[-1]})

`loss_curve_gap/N` is the sup over recorded steps of |L_N(t) − L_{{{widths[-1]}}}(t)| for the same
seed index; `w2_to_largest/N` is the sliced W₂ ({config.n_projections} random directions, exact
1-D transport per direction; see `jaxml.math.transport`) between the (a_i, w_i) clouds at the
end of training; `w2_init_to_largest/N` is the same distance at initialisation, the sampling
noise of two finite clouds drawn from one law.

{markdown_table(["N", "loss-curve gap", "sliced W₂ at end", "sliced W₂ at init"], conv_rows)}

{_trend(gaps, "loss-curve gap")}
{_trend(w2_end, "sliced W₂ at the end of training")}
{ratio}
{_slope_line(m, "slope/loss_curve_gap", -0.5, "the N^(-1/2) rate of finite-N fluctuations")}
{_slope_line(m, "slope/w2_to_largest", -0.5, "the N^(-1/2) rate of finite-N fluctuations")}

![loss curves](loss_curves.png)

Particles of seed 0 at three widths (output weight against the norm of the first-layer
weight's projection onto the teacher's directions), at initialisation and after training:

![particles](particles.png)

{machine_line(results)} Total wall time of the run: {m['time_s/total']:.1f} s.
Command: `jaxml repro mean_field` (quick: `--quick`).
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
