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
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.experiment import Timer, ci95, main_for, markdown_table, save_figure, write_results
from jaxml.theory import double_descent as dd

NAME = "double_descent"

PAPER = {
    # MNIST-1D notebook (Greydanus & Kobak 2024), MLP, 15% label noise
    "mlp_noise_peak_width": 47,
    "mlp_noise_peak_test_err": 0.54,
    "mlp_noise_final_test_err": 0.455,
    "mlp_noise_interp_width": 61,
    # MNIST-1D notebook, CNN with 15% label noise
    "cnn_noise_peak_channels": 18,
    "cnn_noise_peak_test_err": 0.338,
    # Belkin et al. (2019): the peak sits at the interpolation threshold N = n
    "rff_peak_over_n": 1.0,
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the four studies; ``full`` keeps the paper's widths with fewer epochs."""

    seeds: int = 2
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
    mlp_widths: tuple[int, ...] = tuple(int(w) for w in np.unique(np.round(np.geomspace(2, 300, 20))))
    mlp_epochs: int = 60
    cnn_channels: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10, 12, 14, 18, 24, 32, 48, 64)
    cnn_epochs: int = 40
    cnn_seeds: int = 1
    sample_width: int = 40
    sample_sizes: tuple[int, ...] = (250, 500, 1000, 1500, 2000, 3000, 4000)
    sample_steps: int = 2400
    evals: int = 20
    lr: float = 0.01
    momentum: float = 0.9
    batch_size: int = 100

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=1, ls_n=10, ls_num_p=12, ls_trials=60, rf_n=60, rf_test=300,
                   rf_points_per_n=6, rf_ratio_max=3, num_train=600, mlp_widths=(2, 8, 32),
                   mlp_epochs=2, cnn_channels=(2, 8), cnn_epochs=2, sample_width=8,
                   sample_sizes=(150, 600), sample_steps=12, evals=2)

    @classmethod
    def full(cls) -> "Config":
        # The budget that ran to completion on the shared 2-core machine (≈23 min):
        # one seed, 30 MLP epochs, 20 CNN epochs up to 48 channels.
        return cls(seeds=1, ls_trials=200, mlp_epochs=30, cnn_epochs=20,
                   cnn_channels=(1, 2, 3, 4, 6, 8, 10, 12, 14, 18, 24, 32, 48), sample_steps=1200)


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
            "z": z, "max_z": float(np.nanmax(np.abs(z[ok])))}


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


def _sweep(config: Config, key, kind: str, widths, num_train, data, epochs_or_steps: int,
           seeds: int, *, steps_given: bool = False):
    x_tr, y_tr, x_te, y_te = data
    if kind == "mlp":
        init = functools.partial(dd.init_masked_mlp, in_features=x_tr.shape[1],
                                 max_width=int(max(widths)), num_outputs=10)
        apply = dd.masked_mlp_apply
    else:
        init = functools.partial(dd.init_masked_cnn, length=x_tr.shape[1],
                                 max_channels=int(max(widths)), num_outputs=10)
        apply = dd.masked_cnn_apply
    steps = epochs_or_steps if steps_given else epochs_or_steps * config.num_train // config.batch_size
    evals = min(config.evals, steps)
    steps = steps // evals * evals
    hist = dd.sgd_width_sweep(key, init, apply, jnp.asarray(widths, jnp.float32), num_train,
                              (x_tr, y_tr), (x_te, y_te), num_seeds=seeds, steps=steps,
                              eval_every=steps // evals, batch_size=config.batch_size, lr=config.lr,
                              momentum=config.momentum)
    return {f: np.asarray(v) for f, v in hist._asdict().items()}


def _summarise_modelwise(widths, hist) -> dict:
    final_test = hist["test_err"][:, :, -1]          # (C, S)
    final_train = hist["train_err"][:, :, -1]
    mean_test = final_test.mean(1)
    # the peak: the highest test error among widths at or beyond the first local rise
    peak = int(np.argmax(mean_test[1:])) + 1 if len(widths) > 1 else 0
    interp = np.nonzero(final_train.mean(1) <= 0.01)[0]
    interp_width = float(widths[interp[0]]) if interp.size else float("nan")
    return {"final_test": final_test, "final_train": final_train, "peak_index": peak,
            "peak_width": float(widths[peak]), "peak_test_err": float(mean_test[peak]),
            "peak_test_ci": float(ci95(final_test[peak])) if final_test.shape[1] > 1 else 0.0,
            "final_test_err": float(mean_test[-1]), "interp_width": interp_width,
            "min_before_peak": float(mean_test[:peak + 1].min())}


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
    stages = tqdm(total=5, desc="double descent", disable=None)

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
        data = (x_tr, y_noisy, mnist.x_test, mnist.y_test)

        widths = np.asarray(config.mlp_widths)
        with Timer() as t:
            mlp = _sweep(config, k_mlp, "mlp", widths, n, data, config.mlp_epochs, config.seeds)
        times["mlp_sweep"] = t.seconds
        stages.update()
        mlp_sum = _summarise_modelwise(widths, mlp)

        channels = np.asarray(config.cnn_channels)
        with Timer() as t:
            cnn = _sweep(config, k_cnn, "cnn", channels, n, data, config.cnn_epochs, config.cnn_seeds)
        times["cnn_sweep"] = t.seconds
        stages.update()
        cnn_sum = _summarise_modelwise(channels, cnn)

        sizes = np.asarray([s for s in config.sample_sizes if s <= n])
        with Timer() as t:
            sample = _sweep(config, k_sample, "mlp", np.full(len(sizes), config.sample_width), sizes,
                            data, config.sample_steps, config.seeds, steps_given=True)
        times["samplewise"] = t.seconds
        stages.update()
    stages.close()

    epochs = mlp["step"] * config.batch_size / n
    rf_main = rf["mnist1d/fourier"]
    metrics = {
        "minnorm_max_z": ls["max_z"],
        "rff_peak_over_n": rf_main["peak_mse_over_n"],
        "rff_err_peak_over_n": rf_main["peak_err_over_n"],
        "rff_norm_peak_over_n": rf_main["peak_norm_over_n"],
        "mlp_noise_peak_width": mlp_sum["peak_width"],
        "mlp_noise_peak_test_err": mlp_sum["peak_test_err"],
        "mlp_noise_final_test_err": mlp_sum["final_test_err"],
        "mlp_noise_interp_width": mlp_sum["interp_width"],
        "mlp_noise_peak_over_interp": mlp_sum["peak_width"] / mlp_sum["interp_width"],
        "cnn_noise_peak_channels": cnn_sum["peak_width"],
        "cnn_noise_peak_test_err": cnn_sum["peak_test_err"],
        "cnn_noise_final_test_err": cnn_sum["final_test_err"],
        "cnn_noise_interp_channels": cnn_sum["interp_width"],
    }
    for name, res in rf.items():
        metrics[f"rf_peak_over_n/{name}"] = res["peak_mse_over_n"]
        metrics[f"rf_err_peak_over_n/{name}"] = res["peak_err_over_n"]
    for s, err in zip(sizes, sample["test_err"][:, :, -1].mean(1)):
        metrics[f"samplewise_test_err/{int(s)}"] = float(err)
    for stage, sec in times.items():
        metrics[f"time_s/{stage}"] = sec

    # ------------------------------------------------------------------ figures
    fig, ax = plt.subplots(1, 1, figsize=(6, 4))
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

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, w, s, title, xl in ((axes[0], widths, mlp_sum, "MLP (2 hidden layers)", "hidden width h"),
                                (axes[1], channels, cnn_sum, "CNN", "channels")):
        for arr, lab in ((s["final_test"], "test"), (s["final_train"], "train")):
            m = arr.mean(1)
            ax.plot(w, m, "o-", ms=3, label=f"{lab} error")
            if arr.shape[1] > 1:
                ax.fill_between(w, m - ci95(arr, 1), m + ci95(arr, 1), alpha=0.2)
        ax.axvline(s["peak_width"], color="r", lw=0.5, label=f"test peak ({s['peak_width']:.0f})")
        if np.isfinite(s["interp_width"]):
            ax.axvline(s["interp_width"], color="k", ls="--", lw=0.5,
                       label=f"train err ≤ 1% ({s['interp_width']:.0f})")
        ax.set(xscale="log", xlabel=xl, ylabel="error", title=f"MNIST-1D, {config.label_noise:.0%} label noise: {title}")
        ax.legend(fontsize=7)
    save_figure(fig, out_dir, "modelwise.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    picks = sorted({0, mlp_sum["peak_index"], len(widths) - 1})
    for i in picks:
        ax.plot(epochs, mlp["test_err"][i].mean(0), label=f"h={widths[i]} test")
        ax.plot(epochs, mlp["train_err"][i].mean(0), ":", label=f"h={widths[i]} train")
    ax.set(xlabel="epoch", ylabel="error", title="epoch-wise (MLP, 15% noise)")
    ax.legend(fontsize=7)
    save_figure(fig, out_dir, "epochwise.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sizes, sample["test_err"][:, :, -1].mean(1), "o-", label="test error")
    ax.plot(sizes, sample["train_err"][:, :, -1].mean(1), "o:", label="train error")
    ax.set(xlabel="training examples n", ylabel="error",
           title=f"sample-wise: MLP h={config.sample_width}, {config.sample_steps} SGD steps")
    ax.legend(fontsize=7)
    save_figure(fig, out_dir, "samplewise.png")

    extra = {
        "minnorm": {k: ls[k] for k in ("gamma", "mc_mean", "mc_se", "finite", "ridge_mean", "z")},
        "random_features": {k: {f: v for f, v in r.items() if isinstance(v, np.ndarray)} for k, r in rf.items()},
        "mlp": {"widths": widths, "epochs": epochs, "test_err": mlp["test_err"].mean(1),
                "train_err": mlp["train_err"].mean(1)},
        "cnn": {"channels": channels, "test_err": cnn["test_err"].mean(1), "train_err": cnn["train_err"].mean(1)},
        "samplewise": {"sizes": sizes, "test_err": sample["test_err"].mean(1),
                       "train_err": sample["train_err"].mean(1)},
    }
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
                            seeds=config.seeds, wall_time_s=total.seconds, extra=extra)
    _write_readme(out_dir, config, metrics, mlp_sum, total.seconds)
    return results


def _write_readme(out_dir: Path, config: Config, m: dict, mlp_sum: dict, wall: float) -> None:
    ci = f" ± {mlp_sum['peak_test_ci']:.3f}" if config.seeds > 1 else ""
    rows = [
        ("min-norm LS: max abs(MC − exact) / SE (abs(p − n) > 3)", "0 (exact)", f"{m['minnorm_max_z']:.2f}"),
        ("RFF (MNIST-1D): N at test-MSE peak / n", "1", f"{m['rff_peak_over_n']:.2f}"),
        ("RFF (MNIST-1D): N at 0-1 error peak / n", "1", f"{m['rff_err_peak_over_n']:.2f}"),
        ("RFF (MNIST-1D): N at ‖β‖ peak / n", "1", f"{m['rff_norm_peak_over_n']:.2f}"),
        ("MLP + noise: peak width", "≈47", f"{m['mlp_noise_peak_width']:.0f}"),
        ("MLP + noise: peak test error", "≈0.54", f"{m['mlp_noise_peak_test_err']:.3f}{ci}"),
        ("MLP + noise: width where train error ≤ 1%", "≈61 (train err 0)", f"{m['mlp_noise_interp_width']:.0f}"),
        ("MLP + noise: test error at h=300", "≈0.455", f"{m['mlp_noise_final_test_err']:.3f}"),
        ("CNN + noise: peak channels", "18", f"{m['cnn_noise_peak_channels']:.0f}"),
        ("CNN + noise: peak test error", "≈0.338", f"{m['cnn_noise_peak_test_err']:.3f}"),
        ("CNN + noise: test error at max channels", "—", f"{m['cnn_noise_final_test_err']:.3f}"),
    ]
    times = markdown_table(["sweep", "wall time (s)"],
                           [(k.split("/", 1)[1], f"{v:.1f}") for k, v in m.items() if k.startswith("time_s/")])
    sample = markdown_table(["n", "test error"],
                            [(k.split("/")[1], f"{v:.3f}") for k, v in m.items() if k.startswith("samplewise_test_err/")])
    text = f"""# Double descent (Hastie et al. 2022; Belkin et al. 2019; Nakkiran et al. 2019; MNIST-1D)

**Claim.** Test risk first falls, then peaks where the model can just interpolate the
training set (p = n for least squares, N = n random features, the width where train error
reaches 0 for networks with label noise), then falls again as the model grows; explicit
regularisation (optimal ridge) removes the peak.

{markdown_table(["quantity", "paper", f"ours (mean over {config.seeds} seed(s))"], rows)}

Setup: min-norm LS with n = {config.ls_n}, r² = σ² = 1, {config.ls_trials} Monte Carlo designs per p
(all p in one compiled program by masking features). Random features: n = {config.rf_n}
training examples, {config.rf_test} test, N up to {config.rf_ratio_max}n, one-hot targets,
min-norm least squares. Deep double descent: MNIST-1D (4000 train / 12000 test, generated
locally), {config.label_noise:.0%} of training labels replaced by a different random class,
SGD lr {config.lr}, momentum {config.momentum}, batch {config.batch_size} (sampled with
replacement), cross-entropy, **{config.mlp_epochs} epochs for the MLPs and {config.cnn_epochs}
for the CNNs** (a budget chosen to fit the run-time limit, not the MNIST-1D notebook's
own; with fewer epochs the interpolation threshold moves to larger widths), {config.seeds} seed(s)
for MLPs, {config.cnn_seeds} for CNNs; every width and seed trained at once by padding to the
largest width and masking hidden units/channels.

Sample-wise (MLP h = {config.sample_width}, {config.sample_steps} SGD steps for every n):

{sample}

Wall time per sweep (this machine, shared CPU):

{times}

Total wall time: {wall:.0f} s. Command: `jaxml repro double_descent` (quick: `--quick`).

![min-norm](minnorm.png)
![random features](random_features.png)
![model-wise](modelwise.png)
![epoch-wise](epochwise.png)
![sample-wise](samplewise.png)
"""
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    main_for(__name__)
