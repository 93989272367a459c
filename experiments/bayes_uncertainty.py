"""Predictive uncertainty of NUTS and SVI BNNs, MC dropout and deep ensembles.

In the spirit of Lakshminarayanan et al. (2017, deep ensembles) and Ovadia et al. (2019,
"Can you trust your model's uncertainty?"), four methods are compared on

1. **1-D regression with a gap** — training inputs in [-3, -1] ∪ [1, 3], targets
   ``sin(1.5x) + 0.1 x + ε``; a good posterior is *more* uncertain in the gap than on the
   data ("in-between uncertainty", Foong et al. 2019). Reported: test NLL over [-3, 3]
   and ``gap_std_ratio`` = mean predictive std in |x| < 0.8 / mean std on the data.
2. **MNIST-1D classification** (Greydanus & Kobak 2024) — test accuracy, NLL, expected
   calibration error (15 bins), Brier score, and OOD detection AUROC from predictive
   entropy against a shifted MNIST-1D: the same generator with ``shuffle_seq=True``
   (every signal's 40 time steps permuted; identical marginal statistics, destroyed
   shape) and a different seed.

Both BNNs (one tanh hidden layer, ``bnn_hidden``) see the full 4000-example training set;
NUTS runs ``nuts_chains`` vectorised chains, each started at its own MAP fit, and SVI's
mean-field guide starts at a MAP fit (``bnn_map_steps``). The BNN posteriors are tempered
by ``nuts_temperature`` / ``svi_temperature`` (T = 1 is the Bayes posterior; for SVI T is
the KL weight).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from jaxml.bayes import bnn, ensembles, mc_dropout
from jaxml.bayes import uncertainty as U
from jaxml.classical.calibration import expected_calibration_error, reliability_curve
from jaxml.classical.metrics import log_loss
from jaxml.data import load_mnist1d
from jaxml.experiment import (
    Timer,
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

NAME = "bayes_uncertainty"
METHODS = U.METHODS
# No paper reports numbers for these methods on MNIST-1D or on this gap data set.
PAPER: dict[str, float] = {}
PAPER_SOURCE: dict[str, str] = {}
TARGET = {"test_acc/nuts": ">= 0.6", "test_acc/svi": ">= 0.6", "ece/nuts": "<= 0.05",
          "ece/svi": "<= 0.05"}
SEED_METRICS = ("test_acc", "nll", "ece", "brier", "ood_auroc", "reg_nll", "gap_std_ratio")


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    # regression with a gap (skipped when ``regression=False``)
    regression: bool = True
    reg_train: int = 80
    reg_noise: float = 0.1
    reg_hidden: tuple[int, ...] = (32,)
    reg_nuts_warmup: int = 200
    reg_nuts_samples: int = 200
    reg_tree_depth: int = 7
    reg_svi_steps: int = 5000
    reg_net_epochs: int = 4000
    # MNIST-1D
    mnist_samples: int = 5000
    bnn_hidden: tuple[int, ...] = (32,)
    bnn_prior_scale: float = 3.0
    bnn_map_steps: int = 1000
    nuts_temperature: float = 0.5
    nuts_chains: int = 2
    nuts_warmup: int = 150
    nuts_samples: int = 50
    nuts_tree_depth: int = 5
    svi_temperature: float = 1.0
    svi_steps: int = 3000
    svi_lr: float = 1e-2
    svi_init_scale: float = 1e-2
    net_features: tuple[int, ...] = (128, 128)
    net_epochs: int = 100
    batch_size: int = 100
    dropout_rate: float = 0.2
    num_members: int = 5
    pred_samples: int = 100
    ood_seed: int = 7

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=1, regression=False, reg_train=40, reg_hidden=(8,), reg_nuts_warmup=30,
                   reg_nuts_samples=30, reg_tree_depth=4, reg_svi_steps=200,
                   reg_net_epochs=100, mnist_samples=600, bnn_hidden=(8,),
                   bnn_map_steps=100, nuts_chains=2, nuts_warmup=20, nuts_samples=10,
                   nuts_tree_depth=3, svi_steps=200, net_features=(32,), net_epochs=20,
                   num_members=2, pred_samples=10)


# ---------------------------------------------------------------- regression with a gap
def _gap_data(key: jax.Array, n: int, noise: float):
    k_side, k_x, k_eps, k_test = jax.random.split(key, 4)
    side = jnp.where(jax.random.bernoulli(k_side, 0.5, (n,)), 1.0, -1.0)
    x = side * jax.random.uniform(k_x, (n,), minval=1.0, maxval=3.0)

    def f(t):
        return jnp.sin(1.5 * t) + 0.1 * t

    y = f(x) + noise * jax.random.normal(k_eps, (n,))
    x_test = jax.random.uniform(k_test, (400,), minval=-3.0, maxval=3.0)
    y_test = f(x_test) + noise * jax.random.normal(jax.random.fold_in(k_test, 1), (400,))
    return x[:, None], y, x_test[:, None], y_test, f


def _estimators(config: Config, *, task: str, n_train: int) -> dict:
    """The four estimators for ``task`` (regression: the gap data; classification:
    MNIST-1D), keyed by method."""
    regression = task == "regression"
    num_classes = None if regression else 10
    bnn_model = dict(task=task, num_classes=num_classes,
                     hidden=config.reg_hidden if regression else config.bnn_hidden,
                     prior_scale=1.0 if regression else config.bnn_prior_scale,
                     map_steps=config.bnn_map_steps)
    net = dict(task=task, num_classes=num_classes, features=config.net_features,
               epochs=config.reg_net_epochs if regression else config.net_epochs,
               batch_size=min(config.batch_size, n_train))
    return {
        "nuts": bnn.bnn_nuts(
            **bnn_model, num_chains=1 if regression else config.nuts_chains,
            temperature=1.0 if regression else config.nuts_temperature,
            num_warmup=config.reg_nuts_warmup if regression else config.nuts_warmup,
            num_samples=config.reg_nuts_samples if regression else config.nuts_samples,
            max_tree_depth=config.reg_tree_depth if regression else config.nuts_tree_depth),
        "svi": bnn.bnn_svi(
            **bnn_model, guide="normal",
            temperature=1.0 if regression else config.svi_temperature,
            num_steps=config.reg_svi_steps if regression else config.svi_steps,
            learning_rate=config.svi_lr, init_scale=config.svi_init_scale,
            num_samples=config.pred_samples),
        "mc_dropout": mc_dropout.mc_dropout(**net, dropout_rate=config.dropout_rate,
                                            num_samples=config.pred_samples),
        "ensemble": ensembles.deep_ensemble(**net, num_members=config.num_members),
    }


def _fit_all(key: jax.Array, estimators: dict, X, y, timings: dict | None = None) -> dict:
    """``{method: params}``, recording each method's wall time (compilation included)."""
    fitted = {}
    for name, k in zip(METHODS, jax.random.split(key, len(METHODS))):
        with Timer() as t:
            fitted[name] = jax.block_until_ready(estimators[name].fit(k, X, y))
        if timings is not None:
            timings.setdefault(name, []).append(t.seconds)
    return fitted


def run_regression(seed: int, config: Config) -> tuple[dict, dict]:
    key = jax.random.PRNGKey(seed)
    k_data, k_fit, k_pred = jax.random.split(key, 3)
    X, y, X_test, y_test, f = _gap_data(k_data, config.reg_train, config.reg_noise)
    estimators = _estimators(config, task="regression", n_train=X.shape[0])
    fitted = _fit_all(k_fit, estimators, X, y)
    grid = jnp.linspace(-4.5, 4.5, 181)[:, None]
    metrics, curves = {}, {"x": np.asarray(X[:, 0]), "y": np.asarray(y),
                           "grid": np.asarray(grid[:, 0]), "truth": np.asarray(f(grid[:, 0]))}
    in_gap = jnp.abs(grid[:, 0]) < 0.8
    on_data = (jnp.abs(grid[:, 0]) > 1.0) & (jnp.abs(grid[:, 0]) < 3.0)
    m = grid.shape[0]
    for name, params in fitted.items():
        # one predictive call (one compilation) for the grid and the test points
        both = U.predict(k_pred, estimators[name], params, jnp.concatenate([grid, X_test]))
        pred = jax.tree.map(lambda a: a[:m] if a.ndim == 1 else a[:, :m], both)
        std = jnp.sqrt(pred.variance)
        metrics[f"reg_nll/{name}"] = float(U.mixture_gaussian_nll(
            y_test, both.samples[:, m:], both.noise_variance[:, m:]))
        metrics[f"gap_std_ratio/{name}"] = float(std[in_gap].mean() / std[on_data].mean())
        curves[name] = {"mean": np.asarray(pred.mean), "std": np.asarray(std),
                        "epistemic_std": np.asarray(jnp.sqrt(pred.epistemic))}
    return metrics, curves


# ------------------------------------------------------------------------- MNIST-1D
def _mnist(config: Config):
    data = load_mnist1d(num_samples=config.mnist_samples)
    ood = load_mnist1d(num_samples=config.mnist_samples, seed=config.ood_seed,
                       shuffle_seq=True)
    mu, sd = data.x_train.mean(), data.x_train.std()

    def norm(x):
        return jnp.asarray((x - mu) / sd, jnp.float32)

    return (norm(data.x_train), jnp.asarray(data.y_train), norm(data.x_test),
            jnp.asarray(data.y_test), norm(ood.x_test))


def run_mnist(seed: int, config: Config, timings: dict) -> tuple[dict, dict]:
    X, y, X_test, y_test, X_ood = _mnist(config)
    k_fit, k_pred = jax.random.split(jax.random.PRNGKey(1000 + seed))
    estimators = _estimators(config, task="classification", n_train=X.shape[0])
    fitted = _fit_all(k_fit, estimators, X, y, timings)
    metrics, reliability = {}, {}
    m = X_test.shape[0]
    for name, params in fitted.items():
        both = U.predict(k_pred, estimators[name], params,
                         jnp.concatenate([X_test, X_ood])).mean
        probs, probs_ood = both[:m], both[m:]
        metrics[f"test_acc/{name}"] = float(jnp.mean(probs.argmax(1) == y_test))
        metrics[f"nll/{name}"] = float(log_loss(y_test, probs))
        metrics[f"ece/{name}"] = float(expected_calibration_error(y_test, probs))
        metrics[f"brier/{name}"] = float(U.brier_score(y_test, probs))
        metrics[f"ood_auroc/{name}"] = float(U.ood_auroc(probs, probs_ood))
        metrics[f"mean_confidence/{name}"] = float(probs.max(1).mean())
        metrics[f"mean_entropy_in/{name}"] = float(U.predictive_entropy(probs).mean())
        metrics[f"mean_entropy_ood/{name}"] = float(U.predictive_entropy(probs_ood).mean())
        accuracy, confidence, count = reliability_curve(y_test, probs, n_bins=10)
        reliability[name] = {"accuracy": np.asarray(accuracy),
                             "confidence": np.asarray(confidence), "count": np.asarray(count)}
    return metrics, reliability


# ------------------------------------------------------------------- figures, README
def _figures(out_dir: Path, curves: dict | None, reliability: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = ["reliability.png"]
    if curves is not None:
        _gap_figure(out_dir, curves, plt)
        figures.insert(0, "gap_regression.png")
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), sharey=True)
    for ax, name in zip(axes, METHODS):
        r = reliability[name]
        n_bins = r["count"].shape[0]
        centers = (np.arange(n_bins) + 0.5) / n_bins
        filled = r["count"] > 0
        ax.bar(centers[filled], r["accuracy"][filled], width=0.9 / n_bins, alpha=0.7,
               label="accuracy")
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.plot(centers[filled], r["confidence"][filled], "r.", label="mean confidence")
        ax.set(title=name, xlabel="confidence", xlim=(0, 1), ylim=(0, 1))
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=7)
    fig.suptitle("MNIST-1D reliability diagrams (seed 0)")
    save_figure(fig, out_dir, "reliability.png")
    return figures


def _gap_figure(out_dir: Path, curves: dict, plt) -> None:
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), sharey=True)
    g = curves["grid"]
    for ax, name in zip(axes, METHODS):
        c = curves[name]
        ax.fill_between(g, c["mean"] - 2 * c["std"], c["mean"] + 2 * c["std"], alpha=0.2,
                        color="tab:blue", label="±2 total std")
        ax.fill_between(g, c["mean"] - 2 * c["epistemic_std"], c["mean"] + 2 * c["epistemic_std"],
                        alpha=0.35, color="tab:orange", label="±2 epistemic std")
        ax.plot(g, c["mean"], color="tab:blue", lw=1.5, label="predictive mean")
        ax.plot(g, curves["truth"], "k--", lw=1, label="truth")
        ax.plot(curves["x"], curves["y"], "k.", ms=3)
        ax.axvspan(-1, 1, color="0.9", zorder=-1)
        ax.set(title=name, xlabel="x", ylim=(-3, 3))
    axes[0].set_ylabel("y")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("in-between uncertainty: no training data in the grey gap (seed 0)")
    save_figure(fig, out_dir, "gap_regression.png")


def _target_sentences(results: dict) -> str:
    m = results["metrics"]
    parts = []
    for name, goal in results["target"].items():
        met = target_met(m.get(name), goal)
        verdict = {True: "met", False: "**not met**", None: "undefined (no finite seed)"}[met]
        value = "—" if m.get(name) is None else f"{m[name]:.3f}"
        parts.append(f"`{name}` {value} (goal {goal}): {verdict}")
    return "Targets of the issue, on the mean over seeds: " + "; ".join(parts) + "."


def _observations(m: dict, config: Config) -> str:
    best = {metric: (max if metric in ("test_acc", "ood_auroc") else min)(
        METHODS, key=lambda name, metric=metric: m[f"{metric}/{name}"])
        for metric in ("test_acc", "nll", "ece", "ood_auroc")}
    text = ("Best mean on MNIST-1D in this run: accuracy — {test_acc}, NLL — {nll}, "
            "ECE — {ece}, OOD AUROC — {ood_auroc}.".format(**best))
    for name in METHODS:
        conf, acc = m[f"mean_confidence/{name}"], m[f"test_acc/{name}"]
        if abs(conf - acc) >= 0.02:
            side = "under" if conf < acc else "over"
            text += (f" {name} is {side}confident on average (mean top-class probability "
                     f"{conf:.3f} vs accuracy {acc:.3f}).")
    rises = [name for name in METHODS
             if m[f"mean_entropy_ood/{name}"] > m[f"mean_entropy_in/{name}"]]
    text += (f" Mean predictive entropy is higher on the shuffled signals than on the test "
             f"set for {len(rises)} of {len(METHODS)} methods"
             + (f" ({', '.join(rises)})." if rises else "."))
    if config.regression:
        ratios = {name: m[f"gap_std_ratio/{name}"] for name in METHODS}
        above = [name for name, r in ratios.items() if r > 1.0]
        top = max(ratios, key=ratios.get)
        text += (f" Gap regression: the predictive std in the gap exceeds that on the data "
                 f"(ratio > 1) for {', '.join(above) if above else 'no method'}; the largest "
                 f"ratio is {top}'s ({ratios[top]:.2f}).")
    return text


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            per_seed: dict) -> None:
    m = results["metrics"]

    def cell(key, digits=3):
        return format_mean_ci(per_seed[key], digits)

    cls_rows = [[name, cell(f"test_acc/{name}"), cell(f"nll/{name}"), cell(f"ece/{name}"),
                 cell(f"brier/{name}"), cell(f"ood_auroc/{name}"),
                 f"{m[f'fit_time_s/{name}']:.0f}"] for name in METHODS]
    cls_table = markdown_table(["method", "test acc", "NLL", "ECE", "Brier", "OOD AUROC",
                                "fit time (s, mean per seed)"], cls_rows)
    reg_table = (markdown_table(["method", "test NLL", "gap std / data std"],
                                [[name, cell(f"reg_nll/{name}"),
                                  cell(f"gap_std_ratio/{name}", digits=2)]
                                 for name in METHODS])
                 if config.regression else "(skipped in this run: `regression=False`)")
    n_train = int(config.mnist_samples * 0.8)
    nuts_total = config.nuts_chains * config.nuts_samples
    text = f"""# Bayesian uncertainty: NUTS BNN, SVI BNN, MC dropout, deep ensembles (B.2, B.3)

**Claims checked** (qualitative; the papers use other data sets, so there are no published
numbers to put beside ours): Lakshminarayanan et al. (2017) and Ovadia et al. (2019) find
deep ensembles at least as accurate and better calibrated (lower NLL/ECE/Brier) than MC
dropout and mean-field variational BNNs, and better at flagging out-of-distribution
inputs; Foong et al. (2019) show that mean-field VI (and MC dropout) under-represent
"in-between" uncertainty in gaps of the data, while exact inference (NUTS) does not.

**Setup.** Each cell is the mean ± Student-t 95% interval over seeds, with the number of
seeds n that gave a finite value (failed seeds are counted, not dropped).
*Regression:* {config.reg_train} points with x in [-3,-1] ∪ [1,3],
y = sin(1.5x) + 0.1x + N(0, {config.reg_noise}²);
BNNs with hidden {config.reg_hidden} (tanh, N(0, 1/fan_in) weight priors, σ ~ HalfNormal(1),
T = 1), NUTS 1 chain, {config.reg_nuts_warmup} warmup + {config.reg_nuts_samples} samples,
tree depth ≤ {config.reg_tree_depth}; SVI mean-field (AutoNormal, {config.reg_svi_steps}
Adam steps); MC dropout (p={config.dropout_rate}) and a {config.num_members}-member
ensemble of ReLU MLPs {config.net_features} with a Gaussian mean/variance head
({config.reg_net_epochs} epochs). Test NLL on 400 fresh points over [-3, 3] (mixture of
the per-draw Gaussians).
*MNIST-1D:* {n_train} train / {config.mnist_samples - n_train} test (seed 42), inputs
standardised. Both BNNs: hidden {config.bnn_hidden} (tanh), weight prior
N(0, {config.bnn_prior_scale}²/fan_in), biases N(0, {config.bnn_prior_scale}²), the full
training set, each started from MAP fits of {config.bnn_map_steps} Adam steps, likelihood
tempered with T (posterior ∝ prior × likelihood^(1/T); T = 1 is the Bayes posterior; for
SVI, T is the weight of the KL term): T = {config.nuts_temperature} for NUTS,
T = {config.svi_temperature} for SVI. NUTS: {config.nuts_chains} chains (one MAP start
each) × ({config.nuts_warmup} warmup + {config.nuts_samples} samples), tree depth ≤
{config.nuts_tree_depth}, so {nuts_total} posterior draws. SVI: mean-field AutoNormal, initial
scale {config.svi_init_scale}, {config.svi_steps} full-batch Adam steps (step {config.svi_lr},
cosine decay), {config.pred_samples} guide draws. MC dropout / ensemble: ReLU MLPs
{config.net_features}, {config.net_epochs} epochs, batch {config.batch_size}; {config.pred_samples}
dropout masks. OOD set: MNIST-1D test signals generated with `shuffle_seq=True` (time steps
permuted) and seed {config.ood_seed}; AUROC of predictive entropy, OOD = positive.

## MNIST-1D

{cls_table}

{_target_sentences(results)}

{_observations(m, config)}

## Regression with a gap

{reg_table}

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or `jaxml repro {NAME} --quick`.

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    per_seed: dict[str, list] = {}
    timings: dict[str, list] = {}
    curves = reliability = None
    with Timer() as total:
        for seed in tqdm(range(config.seeds), desc=NAME, disable=None):
            reg_metrics, reg_curves = (run_regression(seed, config) if config.regression
                                       else ({}, None))
            cls_metrics, rel = run_mnist(seed, config, timings)
            if reliability is None:
                curves, reliability = reg_curves, rel
            for k, v in {**reg_metrics, **cls_metrics}.items():
                per_seed.setdefault(k, []).append(v)
    metrics = {}
    for k, values in per_seed.items():
        if k.split("/")[0] in SEED_METRICS:
            metrics.update(seed_metrics(k, values))
        else:
            metrics[k] = seed_summary(values).mean
    metrics.update({f"fit_time_s/{k}": float(np.mean(v)) for k, v in timings.items()})
    figures = _figures(out_dir, curves, reliability)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, target=TARGET,
                            seeds=config.seeds, wall_time_s=total.seconds,
                            extra={"per_seed": per_seed})
    _readme(out_dir, results, config, figures, per_seed)
    return results


if __name__ == "__main__":
    main_for(__name__)
