"""Double descent four ways: exact min-norm least squares, random features, and model-/epoch-/sample-wise deep double descent on MNIST-1D.

Reproduces

* Hastie, Montanari, Rosset & Tibshirani (2022), Thm 1: the risk of min-norm least
  squares peaks at p = n; Monte Carlo against the exact finite-n risk and the asymptotic
  curve, with optimally tuned ridge removing the peak;
* Belkin, Hsu, Ma & Mandal (2019, PNAS), Fig. 2: random Fourier / ReLU features with
  min-norm least squares peak in test error and ‖β‖ at N = n (MNIST-1D and digits);
* Nakkiran et al. (2019) deep double descent in the MNIST-1D setting of Greydanus &
  Kobak (2024): 4000 train / 12000 test, 15% label noise, two-hidden-layer MLPs of width
  h ∈ geomspace(2, 300, 20) and the MNIST-1D CNN over channels, SGD lr 0.01, momentum
  0.9, batch 100 — all widths and seeds trained in one compiled, vmapped program by
  masking hidden units of a max-width network; plus epoch-wise and sample-wise curves.

Per-seed quantities (test errors at the peak, the sweet spot and the largest model) are
reported as means with Student-t intervals (``<metric>_ci95``, ``<metric>_n``,
``<metric>_failed``); sizes are located on the seed-averaged curves, averaged over the
seeds whose errors are finite, and the non-finite (failed) runs are counted in
``<sweep>_failed_runs``.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import numpy as np
from tqdm import tqdm

from jaxml.experiment import (Timer, ci95, format_mean_ci, machine_line, main_for, markdown_table,
                              save_figure, seed_metrics, t_quantile, write_results)
from jaxml.theory import double_descent as dd

NAME = "double_descent"

# Greydanus & Kobak's notebook, run at its 500-epoch budget: MLP widths
# np.unique(np.geomspace(2, 300, 20, dtype=int)), CNN channels 2..28 step 2 and 30..100 step 5.
_NOTEBOOK = ("Greydanus & Kobak (2024), MNIST-1D repository (github.com/greydanus/mnist1d, commit "
             "9129ceb), notebooks/deep-double-descent.ipynb, ")
_MLP_NOISE = _NOTEBOOK + "cell In [8] output (MLP, 15% label noise, 500 epochs): "
_MLP_CLEAN = _NOTEBOOK + "cell In [7] output (MLP, clean labels, 500 epochs): "
_CNN_NOISE = _NOTEBOOK + "cell In [10] output (CNN, 15% label noise, 500 epochs): "
PAPER = {
    "mlp_noise_peak_width": 47,
    "mlp_noise_peak_test_err": 0.5405,
    "mlp_noise_sweet_width": 16,
    "mlp_noise_sweet_test_err": 0.4724,
    "mlp_noise_interp_width": 61,
    "mlp_noise_final_test_err": 0.4547,
    "mlp_clean_interp_width": 47,
    "mlp_clean_final_test_err": 0.3725,
    "cnn_noise_sweet_channels": 10,
    "cnn_noise_sweet_test_err": 0.1964,
    "cnn_noise_peak_channels": 18,
    "cnn_noise_peak_test_err": 0.338,
    "cnn_noise_interp_channels": 24,
    "rff_peak_over_n": 1.0,
}
PAPER_SOURCE = {
    "mlp_noise_peak_width": _MLP_NOISE + "highest test error after the sweet spot, h = 47 (54.05%)",
    "mlp_noise_peak_test_err": _MLP_NOISE + "test error 54.05% at h = 47",
    "mlp_noise_sweet_width": _MLP_NOISE + "lowest test error before interpolation, h = 16 (47.24%)",
    "mlp_noise_sweet_test_err": _MLP_NOISE + "test error 47.24% at h = 16",
    "mlp_noise_interp_width": _MLP_NOISE + "first width with train error <= 1%: h = 61 (0.00%; h = 47 has 5.47%)",
    "mlp_noise_final_test_err": _MLP_NOISE + "test error 45.47% at h = 300",
    "mlp_clean_interp_width": _MLP_CLEAN + "first width with train error <= 1%: h = 47 (0.00%; h = 36 has 1.35%)",
    "mlp_clean_final_test_err": _MLP_CLEAN + "test error 37.25% at h = 300",
    "cnn_noise_sweet_channels": _CNN_NOISE + "lowest test error before interpolation, 10 channels (19.64%)",
    "cnn_noise_sweet_test_err": _CNN_NOISE + "test error 19.64% at 10 channels",
    "cnn_noise_peak_channels": _CNN_NOISE + "highest test error after the sweet spot, 18 channels (33.80%)",
    "cnn_noise_peak_test_err": _CNN_NOISE + "test error 33.80% at 18 channels",
    "cnn_noise_interp_channels": _CNN_NOISE + "first channels with train error <= 1%: 24 (0.00%; 22 has 5.50%)",
    "rff_peak_over_n": ("Belkin, Hsu, Ma & Mandal (2019), PNAS 116(32):15849, Fig. 2 (random Fourier "
                        "features on MNIST): test loss and the norm of the min-norm solution peak at "
                        "the interpolation threshold N = n"),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the four studies; the default is the MNIST-1D notebook's own budget.

    Deep double descent follows the notebook: MLP widths ``np.unique(np.geomspace(2, 300,
    20, dtype=int))`` trained for 500 epochs of SGD (20 000 steps of batch 100); the CNN
    sweep gets the same budget, and the sample-wise sweeps (fewer examples) the same
    number of steps.
    """

    seeds: int = 5
    # min-norm least squares
    ls_n: int = 20
    ls_num_p: int = 30
    ls_trials: int = 400
    # random features
    rf_n: int = 400
    rf_test: int = 2000
    rf_ratio_max: int = 4
    rf_points_per_n: int = 20
    # deep double descent
    num_train: int = 4000
    label_noise: float = 0.15
    mlp_widths: tuple[int, ...] = tuple(int(w) for w in np.unique(np.geomspace(2, 300, 20, dtype=int)))
    mlp_epochs: int = 500
    cnn_channels: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10, 12, 14, 18, 24, 32, 48, 64)
    cnn_epochs: int = 500
    # sample-wise: the model-wise MLP sweep repeated on the first n training examples
    sample_widths: tuple[int, ...] = (7, 9, 12, 16, 21, 27, 36, 47, 61, 80, 104, 135, 177)
    sample_sizes: tuple[int, ...] = (1000, 2000, 3000)
    sample_fixed_widths: tuple[int, ...] = (21, 36, 47, 61)  # drawn against n
    evals: int = 50
    lr: float = 0.01
    momentum: float = 0.9
    batch_size: int = 100
    # sizes whose largest/smallest ratio is at most this train in one compiled program
    # (padded to the largest); 1 compiles one program per size (no padding work)
    width_group_ratio: float = 1.0

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=1, ls_n=10, ls_num_p=6, ls_trials=40, rf_n=60, rf_test=300,
                   rf_points_per_n=6, rf_ratio_max=3, num_train=600, mlp_widths=(2, 8, 32),
                   mlp_epochs=2, cnn_channels=(2, 8), cnn_epochs=2, sample_widths=(2, 8), sample_fixed_widths=(8,),
                   sample_sizes=(150,), evals=2, width_group_ratio=16.0)

    @classmethod
    def full(cls) -> "Config":
        return cls()


# ---------------------------------------------------------------------------------------


def _least_squares(config: Config, key) -> dict:
    n = config.ls_n
    ps = np.unique(np.round(np.geomspace(max(1, n // 10), 10 * n, config.ls_num_p)).astype(int))
    mc = dd.least_squares_risk_mc(key, n, ps, num_trials=config.ls_trials)
    ridge = dd.least_squares_risk_mc(key, n, ps, num_trials=config.ls_trials,
                                     lam=dd.optimal_ridge_lambda(ps / n))
    finite = np.asarray(dd.minnorm_risk_finite(n, ps))
    z = (np.asarray(mc.mean) - finite) / np.asarray(mc.stderr)
    ok = np.abs(ps - n) > 3  # the risk's variance is finite there
    return {"ps": ps, "gamma": ps / n, "mc_mean": np.asarray(mc.mean), "mc_se": np.asarray(mc.stderr),
            "finite": finite, "asymptotic": np.asarray(dd.minnorm_risk_asymptotic(ps / n)),
            "ridge_mean": np.asarray(ridge.mean), "ridge_se": np.asarray(ridge.stderr),
            "z": z, **_max_abs_z(z[ok], "max_z"), **_least_squares_samplewise(config, key)}


def _max_abs_z(z: np.ndarray, name: str) -> dict:
    """Largest finite |z| under ``name`` and the count of non-finite z under ``name_nonfinite``."""
    finite = np.isfinite(z)
    return {name: float(np.abs(z[finite]).max()) if finite.any() else float("nan"),
            f"{name}_nonfinite": int(np.sum(~finite))}


def _least_squares_samplewise(config: Config, key) -> dict:
    """Risk vs n at fixed p = ``ls_n`` (the same number as n in the width sweep)."""
    p = config.ls_n
    ns = np.unique(np.round(np.geomspace(2, 10 * p, config.ls_num_p)).astype(int))
    mc = dd.least_squares_risk_mc_samples(jax.random.fold_in(key, 1), p, ns, num_trials=config.ls_trials)
    finite = np.asarray(dd.minnorm_risk_finite(ns, p))
    z = (np.asarray(mc.mean) - finite) / np.asarray(mc.stderr)
    below = ns < p - 3
    return {"s_ns": ns, "s_mc_mean": np.asarray(mc.mean), "s_mc_se": np.asarray(mc.stderr), "s_finite": finite,
            **_max_abs_z(z[np.abs(ns - p) > 3], "s_max_z"),
            # risk at the largest n below the threshold over the risk at the smallest n
            "s_rise": float(np.asarray(mc.mean)[below][-1] / np.asarray(mc.mean)[0]),
            "s_rise_n": int(ns[below][-1])}


def _standardise(x_train, x_test):
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-6
    return (x_train - mu) / sd, (x_test - mu) / sd


def _random_features(config: Config, key, mnist) -> dict:
    from jaxml.data import load_sklearn

    X, y = load_sklearn("digits")
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X[perm], y[perm]
    n = config.rf_n
    sets = {
        "mnist1d": (mnist.x_train[:n], mnist.y_train[:n], mnist.x_test[:config.rf_test],
                    mnist.y_test[:config.rf_test]),
        "digits": (X[:n], y[:n], X[n:n + config.rf_test], y[n:n + config.rf_test]),
    }
    block = max(1, n // config.rf_points_per_n)
    n_max = config.rf_ratio_max * n // block * block
    out = {}
    for i, (name, (xtr, ytr, xte, yte)) in enumerate(sets.items()):
        xtr, xte = _standardise(xtr, xte)
        # median heuristic for the Fourier bandwidth
        sub = xtr[:200]
        dists = np.sqrt(((sub[:, None] - sub[None]) ** 2).sum(-1))
        bandwidth = float(np.median(dists[dists > 0]))
        for j, kind in enumerate(("fourier", "relu")):
            k = jax.random.fold_in(key, 2 * i + j)
            phi_tr = dd.random_features(k, xtr, n_max, kind=kind, bandwidth=bandwidth if kind == "fourier" else 1.0)
            phi_te = dd.random_features(k, xte, n_max, kind=kind, bandwidth=bandwidth if kind == "fourier" else 1.0)
            sweep = dd.minnorm_feature_sweep(phi_tr, ytr, phi_te, yte, block=block)
            res = {f: np.asarray(v) for f, v in sweep._asdict().items()}
            res["peak_err_over_n"] = float(res["num_features"][np.argmax(res["test_err"])] / n)
            res["peak_mse_over_n"] = float(res["num_features"][np.argmax(res["test_mse"])] / n)
            res["peak_norm_over_n"] = float(res["num_features"][np.argmax(res["norm"])] / n)
            out[f"{name}/{kind}"] = res
    return out


def _sweep(config: Config, key, kind: str, widths, num_train, data, epochs: int, seeds: int) -> dict:
    """Train every (width, n, seed) for ``epochs`` epochs of the full training set."""
    x_tr, y_tr, x_te, y_te = data
    if kind == "mlp":
        init = functools.partial(dd.init_masked_mlp, in_features=x_tr.shape[1], num_outputs=10)
        apply = dd.masked_mlp_apply
    else:
        init = functools.partial(dd.init_masked_cnn, length=x_tr.shape[1], num_outputs=10)
        apply = dd.masked_cnn_apply
    steps = max(1, epochs * config.num_train // config.batch_size)
    evals = min(config.evals, steps)
    steps = steps // evals * evals
    hist = dd.sgd_width_sweep(key, init, apply, np.asarray(widths, np.float32), num_train,
                              (x_tr, y_tr), (x_te, y_te), num_seeds=seeds, steps=steps,
                              eval_every=steps // evals, batch_size=config.batch_size, lr=config.lr,
                              momentum=config.momentum, max_width_ratio=config.width_group_ratio)
    return {f: np.asarray(v) for f, v in hist._asdict().items()}


def finite_mean(errors: np.ndarray) -> np.ndarray:
    """Mean over seeds (axis 1) of the finite entries; NaN where no seed is finite. The
    non-finite entries are counted by the caller, not hidden."""
    finite = np.isfinite(errors)
    count = finite.sum(1)
    total = np.where(finite, errors, 0.0).sum(1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def locate_peak(test_err, train_err, sizes, *, interp_tol: float = 0.01) -> dict:
    """Interpolation threshold and double-descent peak of a sweep (curves over ``sizes``).

    The threshold is the first size whose mean final train error is ≤ ``interp_tol``.
    The peak is the highest test error at or after the *sweet spot*, the lowest test
    error among sizes before the threshold (all sizes when none interpolates), so the
    large errors of tiny, under-fitting models are not mistaken for the peak. Means are
    over the finite seeds (see :func:`finite_mean`); ``failed_runs`` counts the others.

    Args:
      test_err, train_err: final errors, (sizes, seeds).
      sizes: the swept widths / channels / sample sizes.

    Returns:
      indices and sizes of the peak, sweet spot and threshold, the mean test errors there,
      and the per-seed test errors at the peak, the sweet spot and the largest size.
    """
    mean_test, mean_train = finite_mean(test_err), finite_mean(train_err)
    interp = np.nonzero(mean_train <= interp_tol)[0]
    interp_index = int(interp[0]) if interp.size else None
    before = mean_test[: interp_index] if interp_index else mean_test
    sweet = int(np.nanargmin(before))
    peak = sweet + int(np.nanargmax(mean_test[sweet:]))
    return {"peak_index": peak, "sweet_index": sweet, "peak_width": float(sizes[peak]),
            "peak_test_err": float(mean_test[peak]), "peak_test_errs": test_err[peak],
            "sweet_width": float(sizes[sweet]), "sweet_test_err": float(mean_test[sweet]),
            "sweet_test_errs": test_err[sweet],
            "interp_width": float(sizes[interp_index]) if interp_index is not None else float("nan"),
            "final_test_err": float(mean_test[-1]), "final_test_errs": test_err[-1],
            "failed_runs": int(np.sum(~np.isfinite(test_err) | ~np.isfinite(train_err)))}


def run(config: Config, out_dir: str | Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jaxml.data import load_mnist1d

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = jax.random.key(0)
    k_ls, k_rf, k_noise, k_mlp, k_cnn, k_sample = jax.random.split(key, 6)
    times = {}
    stages = tqdm(total=6, desc="double descent", disable=None)

    with Timer() as total:
        with Timer() as t:
            ls = _least_squares(config, k_ls)
        times["minnorm"] = t.seconds
        stages.update()

        mnist = load_mnist1d(num_samples=16000, train_split=0.25)
        with Timer() as t:
            rf = _random_features(config, k_rf, mnist)
        times["random_features"] = t.seconds
        stages.update()

        n = config.num_train
        x_tr, y_clean = mnist.x_train[:n], mnist.y_train[:n]
        y_noisy = np.asarray(dd.corrupt_labels(k_noise, y_clean, config.label_noise, 10))
        noisy = (x_tr, y_noisy, mnist.x_test, mnist.y_test)
        clean = (x_tr, y_clean, mnist.x_test, mnist.y_test)
        widths, channels = np.asarray(config.mlp_widths), np.asarray(config.cnn_channels)
        sweeps = {}
        for name, kind, sizes, data, epochs, k in (
                ("mlp_noise", "mlp", widths, noisy, config.mlp_epochs, k_mlp),
                ("mlp_clean", "mlp", widths, clean, config.mlp_epochs, k_mlp),
                ("cnn_noise", "cnn", channels, noisy, config.cnn_epochs, k_cnn)):
            with Timer() as t:
                sweeps[name] = _sweep(config, k, kind, sizes, n, data, epochs, config.seeds)
            times[name] = t.seconds
            stages.update()

        sample_sizes = np.asarray([m for m in config.sample_sizes if m < n])
        sample_widths = np.asarray(config.sample_widths)
        if not np.isin(sample_widths, widths).all():
            raise ValueError(f"sample_widths must be a subset of mlp_widths, got {config.sample_widths}")
        grid_w, grid_n = np.meshgrid(sample_widths, sample_sizes, indexing="ij")
        with Timer() as t:
            sample = _sweep(config, k_sample, "mlp", grid_w.ravel(), grid_n.ravel(), noisy,
                            config.mlp_epochs, config.seeds)
        times["samplewise"] = t.seconds
        stages.update()
    stages.close()

    summary = {name: locate_peak(h["test_err"][:, :, -1], h["train_err"][:, :, -1],
                                 channels if name.startswith("cnn") else widths)
               for name, h in sweeps.items()}
    # (n, width, seed) final errors; the full-data row comes from the model-wise sweep
    shape = (len(sample_widths), len(sample_sizes), config.seeds, -1)
    in_main = np.searchsorted(widths, sample_widths)
    sample_ns = np.append(sample_sizes, n)
    sample_test = np.concatenate([sample["test_err"].reshape(shape)[..., -1].transpose(1, 0, 2),
                                  sweeps["mlp_noise"]["test_err"][in_main, :, -1][None]])
    sample_train = np.concatenate([sample["train_err"].reshape(shape)[..., -1].transpose(1, 0, 2),
                                   sweeps["mlp_noise"]["train_err"][in_main, :, -1][None]])
    rf_main = rf["mnist1d/fourier"]
    metrics = {
        "minnorm_max_z": ls["max_z"],
        "minnorm_max_z_nonfinite": ls["max_z_nonfinite"],
        "minnorm_samplewise_max_z": ls["s_max_z"],
        "minnorm_samplewise_max_z_nonfinite": ls["s_max_z_nonfinite"],
        "minnorm_samplewise_risk_rise": ls["s_rise"],
        "minnorm_samplewise_risk_rise_n": ls["s_rise_n"],
        "rff_peak_over_n": rf_main["peak_mse_over_n"],
        "rff_err_peak_over_n": rf_main["peak_err_over_n"],
        "rff_norm_peak_over_n": rf_main["peak_norm_over_n"],
    }
    for name, res in rf.items():
        metrics[f"rf_peak_over_n/{name}"] = res["peak_mse_over_n"]
        metrics[f"rf_err_peak_over_n/{name}"] = res["peak_err_over_n"]
    for name, sm in summary.items():
        unit = "channels" if name.startswith("cnn") else "width"
        metrics[f"{name}_peak_{unit}"] = sm["peak_width"]
        metrics.update(seed_metrics(f"{name}_peak_test_err", sm["peak_test_errs"]))
        metrics[f"{name}_sweet_{unit}"] = sm["sweet_width"]
        metrics.update(seed_metrics(f"{name}_sweet_test_err", sm["sweet_test_errs"]))
        metrics[f"{name}_interp_{unit}"] = sm["interp_width"]
        metrics[f"{name}_peak_over_interp"] = sm["peak_width"] / sm["interp_width"]
        metrics.update(seed_metrics(f"{name}_final_test_err", sm["final_test_errs"]))
        metrics[f"{name}_failed_runs"] = sm["failed_runs"]
    largest = sweeps["mlp_noise"]["test_err"][-1].mean(0)
    metrics["epochwise_largest_mlp_min_test_err"] = float(largest.min())
    metrics["epochwise_largest_mlp_final_test_err"] = float(largest[-1])
    metrics["epochwise_largest_mlp_rise_after_min"] = float(largest[int(np.argmin(largest)):].max() - largest.min())
    metrics["samplewise_failed_runs"] = 0
    by_n = {int(m): locate_peak(test_m, train_m, sample_widths)
            for m, test_m, train_m in zip(sample_ns, sample_test, sample_train)}
    for m, sm in by_n.items():
        metrics[f"samplewise_peak_width/n{m}"] = sm["peak_width"]
        metrics.update(seed_metrics(f"samplewise_peak_test_err/n{m}", sm["peak_test_errs"]))
        metrics[f"samplewise_interp_width/n{m}"] = sm["interp_width"]
        metrics["samplewise_failed_runs"] += sm["failed_runs"]
    # more data hurts where a curve for more examples lies above the one for fewer:
    # the largest increase of test error between consecutive n, over all widths
    hurt = np.diff(sample_test.mean(2), axis=0)          # (n steps, widths)
    step, at = np.unravel_index(int(np.argmax(hurt)), hurt.shape)
    metrics["samplewise_more_data_hurts_by"] = float(hurt.max())
    metrics["samplewise_more_data_hurts_at_width"] = float(sample_widths[at])
    metrics["samplewise_more_data_hurts_from_n"] = float(sample_ns[step])
    metrics["samplewise_more_data_hurts_to_n"] = float(sample_ns[step + 1])
    for stage, sec in times.items():
        metrics[f"time_s/{stage}"] = sec

    _figures(plt, out_dir, config, ls, rf, sweeps, summary, widths, channels, sample_widths,
             sample_ns, sample_test, sample_train)
    epochs = sweeps["mlp_noise"]["step"] * config.batch_size / n
    extra = {
        "minnorm": {k: ls[k] for k in ("gamma", "mc_mean", "mc_se", "finite", "ridge_mean", "z",
                                       "s_ns", "s_mc_mean", "s_mc_se", "s_finite")},
        "random_features": {k: {f: v for f, v in r.items() if isinstance(v, np.ndarray)} for k, r in rf.items()},
        **{name: {"sizes": channels if name.startswith("cnn") else widths, "epochs": epochs,
                  "test_err": h["test_err"].mean(1), "train_err": h["train_err"].mean(1)}
           for name, h in sweeps.items()},
        "samplewise": {"widths": sample_widths, "sizes": sample_ns,
                       "test_err": sample_test.mean(-1), "train_err": sample_train.mean(-1)},
    }
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
                            paper_source=PAPER_SOURCE, seeds=config.seeds,
                            wall_time_s=total.seconds, extra=extra)
    _write_readme(out_dir, config, results, summary, by_n)
    return results


def _curve(ax, x, arr, label, style="o-"):
    """Mean over seeds (axis 1) with a 95% band when there are several seeds."""
    m = arr.mean(1)
    line, = ax.plot(x, m, style, ms=3, label=label)
    if arr.shape[1] > 1:
        ax.fill_between(x, m - ci95(arr, 1), m + ci95(arr, 1), color=line.get_color(), alpha=0.2)


def _figures(plt, out_dir, config, ls, rf, sweeps, summary, widths, channels, sample_widths,
             sample_ns, sample_test, sample_train):
    fig, (ax, ax_n) = plt.subplots(1, 2, figsize=(12, 4))
    g = ls["gamma"]
    ax.errorbar(g, ls["mc_mean"], yerr=ls["mc_se"], fmt="o", ms=3, label=f"min-norm LS, MC (n={config.ls_n})")
    p_all = np.arange(ls["ps"].min(), ls["ps"].max() + 1)
    ax.plot(p_all / config.ls_n, np.asarray(dd.minnorm_risk_finite(config.ls_n, p_all)), "k-", lw=1,
            label="exact finite-n risk")
    gg = np.geomspace(g.min(), g.max(), 400)
    ax.plot(gg, np.asarray(dd.minnorm_risk_asymptotic(gg)), "k--", lw=1, label="asymptotic (Hastie et al.)")
    ax.errorbar(g, ls["ridge_mean"], yerr=ls["ridge_se"], fmt="s", ms=3, label="ridge, optimal λ (MC)")
    ax.set(xscale="log", yscale="log", ylim=(0.05, 100), xlabel="γ = p/n", ylabel="E‖β̂ − β‖²",
           title="min-norm least squares (r² = σ² = 1)")
    ax.axvline(1, color="grey", lw=0.5)
    ax.legend(fontsize=7)
    p = config.ls_n
    ax_n.errorbar(ls["s_ns"], ls["s_mc_mean"], yerr=ls["s_mc_se"], fmt="o", ms=3, label=f"min-norm LS, MC (p={p})")
    n_all = np.arange(ls["s_ns"].min(), ls["s_ns"].max() + 1)
    ax_n.plot(n_all, np.asarray(dd.minnorm_risk_finite(n_all, p)), "k-", lw=1, label="exact finite-n risk")
    ax_n.axvline(p, color="grey", lw=0.5)
    ax_n.set(xscale="log", yscale="log", ylim=(0.05, 100), xlabel="training examples n", ylabel="E‖β̂ − β‖²",
             title="sample-wise: more data hurts below n = p")
    ax_n.legend(fontsize=7)
    save_figure(fig, out_dir, "minnorm.png")

    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    for col, data_name in enumerate(("mnist1d", "digits")):
        for kind in ("fourier", "relu"):
            res = rf[f"{data_name}/{kind}"]
            ratio = res["num_features"] / config.rf_n
            axes[0, col].plot(ratio, res["test_err"], label=f"{kind}: test 0-1 error")
            axes[0, col].plot(ratio, np.minimum(res["test_mse"], 2), ":", label=f"{kind}: test MSE (clipped at 2)")
            axes[1, col].plot(ratio, res["norm"], label=kind)
        axes[0, col].set(title=f"{data_name}: random features + min-norm LS (n={config.rf_n})", ylabel="test error")
        axes[1, col].set(yscale="log", xlabel="N / n", ylabel="‖β‖")
        for ax in axes[:, col]:
            ax.axvline(1, color="grey", lw=0.5)
        axes[0, col].legend(fontsize=7)
        axes[1, col].legend(fontsize=7)
    save_figure(fig, out_dir, "random_features.png")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
    panels = (("mlp_noise", widths, f"MLP, {config.label_noise:.0%} label noise", "hidden width h"),
              ("mlp_clean", widths, "MLP, clean labels", "hidden width h"),
              ("cnn_noise", channels, f"CNN, {config.label_noise:.0%} label noise", "channels"))
    for ax, (name, sizes, title, xlabel) in zip(axes, panels):
        h, sm = sweeps[name], summary[name]
        _curve(ax, sizes, h["test_err"][:, :, -1], "test error")
        _curve(ax, sizes, h["train_err"][:, :, -1], "train error", "o--")
        ax.axvline(sm["peak_width"], color="r", lw=0.6, label=f"test peak ({sm['peak_width']:.0f})")
        if np.isfinite(sm["interp_width"]):
            ax.axvline(sm["interp_width"], color="k", ls="--", lw=0.6,
                       label=f"train error ≤ 1% ({sm['interp_width']:.0f})")
        if "noise" in name:
            ax.axhline(config.label_noise, color="grey", ls=":", lw=0.6)
        ax.set(xscale="log", xlabel=xlabel, title=f"MNIST-1D: {title}")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(f"error after {config.mlp_epochs} epochs")
    save_figure(fig, out_dir, "modelwise.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    h, sm = sweeps["mlp_noise"], summary["mlp_noise"]
    epochs = h["step"] * config.batch_size / config.num_train
    for i in sorted({sm["sweet_index"], sm["peak_index"], len(widths) - 1}):
        line, = ax.plot(epochs, h["test_err"][i].mean(0), label=f"h={widths[i]} test")
        ax.plot(epochs, h["train_err"][i].mean(0), ":", color=line.get_color(), label=f"h={widths[i]} train")
    ax.set(xscale="log", xlabel="epoch", ylabel="error",
           title=f"epoch-wise (MLP, {config.label_noise:.0%} label noise)")
    ax.legend(fontsize=7)
    save_figure(fig, out_dir, "epochwise.png")

    fig, (ax, ax_n) = plt.subplots(1, 2, figsize=(12, 4))
    for m, test_m, train_m in zip(sample_ns, sample_test, sample_train):
        line, = ax.plot(sample_widths, test_m.mean(1), "o-", ms=3, label=f"n={m}: test")
        ax.plot(sample_widths, train_m.mean(1), "--", color=line.get_color(), lw=0.8, label=f"n={m}: train")
    ax.set(xscale="log", xlabel="hidden width h", ylabel="error",
           title=f"sample-wise: MLP, {config.label_noise:.0%} noise, {config.mlp_epochs * config.num_train // config.batch_size} steps")
    ax.legend(fontsize=7)
    for w in config.sample_fixed_widths:
        i = int(np.searchsorted(sample_widths, w))
        if i < len(sample_widths) and sample_widths[i] == w:
            _curve(ax_n, sample_ns, sample_test[:, i], f"h={w}: test error")
    ax_n.set(xlabel="training examples n", ylabel="test error", title="test error vs n at fixed width")
    ax_n.legend(fontsize=7)
    save_figure(fig, out_dir, "samplewise.png")
def _num(value, fmt: str = ".3f") -> str:
    """A metric for the README; '—' when it is undefined (None/NaN)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return format(value, fmt)


def _versus_paper(m: dict, name: str, *, sizes: bool = False) -> str:
    """ours − paper, or '—' when either is undefined."""
    ours, paper = m.get(name), PAPER.get(name)
    if ours is None or paper is None or not np.isfinite(ours):
        return "—"
    return f"{ours - paper:+.0f}" if sizes else f"{ours - paper:+.3f}"


def _paper_in_interval(m: dict, name: str) -> str:
    """Whether the published test error lies inside the run's 95% interval."""
    mean, half = m.get(name), m.get(f"{name}_ci95")
    if mean is None or half is None or name not in PAPER:
        return "—"
    return "yes" if mean - half <= PAPER[name] <= mean + half else "no"


def _findings(config: Config, m: dict) -> list[str]:
    """Sentences about the run, each decided by its numbers."""
    lines = []
    risk = m["minnorm_max_z"]
    lines.append(
        f"Min-norm least squares (n = {config.ls_n}): the largest |Monte Carlo − exact| / SE over "
        f"|p − n| > 3 is {_num(risk, '.2f')}"
        + (" — within Monte Carlo noise (< 3)." if risk is not None and risk < 3 else
           " — larger than Monte Carlo noise alone would give (≥ 3).")
        + (f" {m['minnorm_max_z_nonfinite']} point(s) had no finite z." if m["minnorm_max_z_nonfinite"] else ""))
    rise = m["minnorm_samplewise_risk_rise"]
    lines.append(
        f"Sample-wise min-norm least squares (p = {config.ls_n}): the risk at n = "
        f"{m['minnorm_samplewise_risk_rise_n']} is {_num(rise, '.1f')}× the risk at n = 2"
        + (", so more data raised the risk below the threshold n = p." if rise is not None and rise > 1
           else ", so more data did not raise the risk below the threshold.")
        + f" Largest |z| against the exact finite-n risk: {_num(m['minnorm_samplewise_max_z'], '.2f')}.")
    peaks = [m[f"rf_peak_over_n/{k}"] for k in ("mnist1d/fourier", "mnist1d/relu", "digits/fourier", "digits/relu")]
    at_n = sum(1 for v in peaks if v is not None and abs(v - 1) <= 1 / config.rf_points_per_n + 1e-9)
    lines.append(f"Random features: the test-MSE peak lies at N = n (within one grid step, "
                 f"{1 / config.rf_points_per_n:.2g} n) in {at_n} of 4 (data, feature) pairs.")
    for name, label in (("mlp_noise", "MLP, label noise"), ("mlp_clean", "MLP, clean labels"),
                        ("cnn_noise", "CNN, label noise")):
        unit = "channels" if name.startswith("cnn") else "width"
        peak, sweet, final = (m[f"{name}_peak_test_err"], m[f"{name}_sweet_test_err"],
                              m[f"{name}_final_test_err"])
        if None in (peak, sweet, final):
            lines.append(f"{label}: undefined (all seeds failed at some size).")
            continue
        peak_size, sweet_size = m[f"{name}_peak_{unit}"], m[f"{name}_sweet_{unit}"]
        interp = m[f"{name}_interp_{unit}"]
        text = (f"{label}: the lowest test error before the first {unit} with train error ≤ 1% "
                + ("(none reached it)" if interp is None else f"({interp:.0f})")
                + f" is {sweet:.3f} at {sweet_size:.0f}")
        if peak_size == sweet_size:
            text += "; no larger size has a higher test error, so there is no second rise."
        else:
            text += f"; it rises to {peak:.3f} at {peak_size:.0f} (+{peak - sweet:.3f})"
            text += (f" and falls again to {final:.3f} at the largest size." if final < peak else
                     f"; at the largest size it is {final:.3f}, not below the peak.")
        if m[f"{name}_failed_runs"]:
            text += f" {m[f'{name}_failed_runs']} (size, seed) run(s) gave non-finite errors."
        lines.append(text)
    rise = m["epochwise_largest_mlp_rise_after_min"]
    lines.append(
        f"Epoch-wise (h = {config.mlp_widths[-1]}, label noise): the lowest test error during "
        f"training is {_num(m['epochwise_largest_mlp_min_test_err'])}"
        + (f"; after it the error rises by up to {rise:.3f} and ends at "
           if rise is not None and rise > 0 else "; it does not rise after that and ends at ")
        + f"{_num(m['epochwise_largest_mlp_final_test_err'])} after {config.mlp_epochs} epochs.")
    hurt = m["samplewise_more_data_hurts_by"]
    if hurt is not None and hurt > 0:
        lines.append(f"Sample-wise (MLP, label noise): more data hurt — at h = "
                     f"{m['samplewise_more_data_hurts_at_width']:.0f} the test error rose by {hurt:.3f} from "
                     f"n = {m['samplewise_more_data_hurts_from_n']:.0f} to {m['samplewise_more_data_hurts_to_n']:.0f}.")
    elif hurt is not None:
        lines.append(f"Sample-wise (MLP, label noise): more data lowered the test error at every width "
                     f"and every step of n (the smallest improvement, {-hurt:.3f}, at h = "
                     f"{m['samplewise_more_data_hurts_at_width']:.0f}, n = {m['samplewise_more_data_hurts_from_n']:.0f} → "
                     f"{m['samplewise_more_data_hurts_to_n']:.0f}).")
    if config.seeds < 5:
        lines.append(f"This run used {config.seeds} seed(s) per size, fewer than five: its 95% intervals "
                     + (f"use t = {t_quantile(config.seeds - 1):.2f} (t = {t_quantile(4):.2f} with five seeds)."
                        if config.seeds >= 2 else "are undefined."))
    return lines


def _write_readme(out_dir: Path, config: Config, results: dict, summary: dict, by_n: dict) -> None:
    """``summary``: :func:`locate_peak` of each model-wise sweep; ``by_n``: of each sample size."""
    m = results["metrics"]

    sizes = [("mlp_noise_peak_width", "MLP + noise: peak width"),
             ("mlp_noise_sweet_width", "MLP + noise: sweet-spot width"),
             ("mlp_noise_interp_width", "MLP + noise: first width with train error ≤ 1%"),
             ("mlp_clean_interp_width", "MLP, clean: first width with train error ≤ 1%"),
             ("cnn_noise_sweet_channels", "CNN + noise: sweet-spot channels"),
             ("cnn_noise_peak_channels", "CNN + noise: peak channels"),
             ("cnn_noise_interp_channels", "CNN + noise: first channels with train error ≤ 1%")]
    errors = [("mlp_noise", "peak", "MLP + noise: test error at the peak"),
              ("mlp_noise", "sweet", "MLP + noise: test error at the sweet spot"),
              ("mlp_noise", "final", f"MLP + noise: test error at h = {config.mlp_widths[-1]} (paper: 300)"),
              ("mlp_clean", "final", f"MLP, clean: test error at h = {config.mlp_widths[-1]} (paper: 300)"),
              ("cnn_noise", "sweet", "CNN + noise: test error at the sweet spot"),
              ("cnn_noise", "peak", "CNN + noise: test error at the peak")]
    size_rows = [(label, f"{PAPER[k]:g}", _num(m[k], ".0f"), _versus_paper(m, k, sizes=True)) for k, label in sizes]
    size_rows.append(("RFF (MNIST-1D): N at the test-MSE peak / n", f"{PAPER['rff_peak_over_n']:g}",
                      _num(m["rff_peak_over_n"], ".2f"), _versus_paper(m, "rff_peak_over_n")))
    error_rows = [(label, f"{PAPER[f'{sweep}_{at}_test_err']:.3f}",
                   format_mean_ci(summary[sweep][f"{at}_test_errs"]),
                   _versus_paper(m, f"{sweep}_{at}_test_err"), _paper_in_interval(m, f"{sweep}_{at}_test_err"))
                  for sweep, at, label in errors]
    other_rows = [
        ("RFF (MNIST-1D): N at the 0-1 error peak / n", _num(m["rff_err_peak_over_n"], ".2f")),
        ("RFF (MNIST-1D): N at the ‖β‖ peak / n", _num(m["rff_norm_peak_over_n"], ".2f")),
        ("MLP + noise: peak width / interpolation width", _num(m["mlp_noise_peak_over_interp"], ".2f")),
        (f"CNN + noise: test error at {config.cnn_channels[-1]} channels",
         format_mean_ci(summary["cnn_noise"]["final_test_errs"])),
    ]
    sample_rows = [(f"n={n}", _num(sm["peak_width"], ".0f"), format_mean_ci(sm["peak_test_errs"]),
                    _num(sm["interp_width"], ".0f")) for n, sm in by_n.items()]
    times = markdown_table(["stage", "wall time (s)"],
                           [(k.split("/", 1)[1], f"{v:.1f}") for k, v in m.items() if k.startswith("time_s/")])
    findings = "\n".join(f"- {line}" for line in _findings(config, m))
    steps = config.mlp_epochs * config.num_train // config.batch_size
    text = f"""# Double descent (Hastie et al. 2022; Belkin et al. 2019; Nakkiran et al. 2019; MNIST-1D)

**Claim.** Test risk first falls, then peaks where the model can just interpolate the
training set (p = n for least squares, N = n random features, the width where train error
reaches 0 for networks with label noise), then falls again as the model grows; explicit
regularisation (optimal ridge) removes the peak. With label noise, more data can hurt
(sample-wise) and more training can first hurt then help (epoch-wise).

**Results** (each sentence decided by this run's numbers):

{findings}

**Against the published numbers.** Network numbers: the MNIST-1D deep double descent
notebook (Greydanus & Kobak 2024, one run per size; its CNN channels are 2–28 in steps of 2
and 30–100 in steps of 5, ours {list(config.cnn_channels)}); the random-feature threshold:
Belkin et al. (2019, Fig. 2). Exact citations are in results.json (`paper_source`).
Intervals are Student-t over {config.seeds} seed(s); n counts the seeds with a finite error.

{markdown_table(["size", "paper", "ours (seed-averaged curve)", "ours − paper"], size_rows)}

{markdown_table(["test error", "paper", "ours (mean ± 95% t-interval)", "ours − paper", "paper inside our interval"], error_rows)}

{markdown_table(["other quantity", "ours"], other_rows)}

**Sample-wise.** MNIST-1D MLPs with {config.label_noise:.0%} label noise, the model-wise
sweep repeated on the first n training examples (same {steps} steps); the right panel of
`samplewise.png` draws test error against n at fixed widths:

{markdown_table(["training examples", "peak width", "peak test error", "first width with train error ≤ 1%"], sample_rows)}

**Setup.** Min-norm LS with n = {config.ls_n}, r² = σ² = 1, {config.ls_trials} Monte Carlo
designs per p (all p in one compiled program by masking features), compared with the exact
finite-n risk (Hastie et al. 2022, Thm 1); sample-wise at p = {config.ls_n}. Random features:
n = {config.rf_n} training examples, {config.rf_test} test, N up to {config.rf_ratio_max}n,
one-hot targets, min-norm least squares. Deep double descent: MNIST-1D generated locally
({config.num_train} train / 12000 test; the notebook uses 4000 / 12000), {config.label_noise:.0%} of
training labels replaced by a *different* random class (the notebook redraws 15% of
labels uniformly, so ≈13.5% end up wrong), two-hidden-layer ReLU MLPs of width
h ∈ {list(config.mlp_widths)} and the MNIST-1D CNN (three stride-2 convolutions) with
channels {list(config.cnn_channels)}; PyTorch default initialisation; SGD lr {config.lr},
momentum {config.momentum}, batch {config.batch_size} (sampled with replacement),
cross-entropy, {config.mlp_epochs} epochs for the MLPs and {config.cnn_epochs} for the
CNNs ({steps} steps for the MLPs; the notebook trains 500 epochs); {config.seeds} seed(s)
vmapped per size. Errors are those after the last step; the sweet spot is the lowest
test error before the first size with train error ≤ 1%, the peak the highest test error
after the sweet spot.

Wall time per stage:

{times}

{machine_line(results)} Command: `jaxml repro double_descent` (quick: `--quick`).
This README and every number in it are written by the run.

![min-norm](minnorm.png)
![random features](random_features.png)
![model-wise](modelwise.png)
![epoch-wise](epochwise.png)
![sample-wise](samplewise.png)
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
