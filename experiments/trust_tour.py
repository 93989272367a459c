"""A tour of trustworthy ML: federated learning on scikit-learn's 8×8 digits and the DP accountant.

FedAvg (McMahan et al. 2017) and FedProx (Li et al. 2020) from :mod:`jaxml.trust.federated`
train the same MLP on ``num_clients`` clients whose data are split by label with a
Dirichlet(α) prior per class (Hsu et al. 2019): α = 100 is close to IID, α = 0.1 gives most
clients one or two classes. Every round samples ``clients_per_round`` clients; each takes
``local_steps`` SGD steps of batch ``batch_size`` on

    F_k(w) = L_k(w) + (μ/2)‖w − w_t‖²        (μ = 0 for FedAvg),

and the server averages the deltas weighted by client size. The centralised reference is
plain minibatch SGD (``jaxml.train.fit_seeds``) on the pooled training set with as many
gradient steps as one client makes in all rounds. Seeds (client split, initialisation,
client sampling and minibatches) are ``vmap``-ed: one compilation per (α, algorithm).

Privacy accounting (:mod:`jaxml.trust.accountant`): ε at δ = 10⁻⁵ against epochs of
DP-SGD on MNIST's N = 60,000 with batch 256 and σ = 1.1 (q = 256/60000, ⌈epochs·N/B⌉
steps) by RDP with the classic and the tight conversion and by the PLD; and Opacus' test
case (q = 0.04, σ = 1.5, 2250 steps). ``PAPER`` holds the two published values.

Metrics: ``eps_rdp/mnist_sigma1.1``, ``eps_rdp_tight/mnist_sigma1.1``,
``eps_pld/mnist_sigma1.1`` (after ``accountant_epochs[-1]`` epochs),
``eps_rdp_tight/opacus_sigma1.5``, ``fedavg_acc/<alpha>``, ``fedprox_acc/<alpha>`` (final test accuracy, mean over
seeds with Student-t intervals, ``*_ci95``, ``*_n``, ``*_failed``) and ``central_acc``.

The robustness, privacy, explanation and fairness sections (:mod:`._trust_sections`):

* robustness: an MLP on digits in [0, 1] trained by cross-entropy, Gaussian augmentation,
  PGD adversarial training (Madry et al. 2018), TRADES (Zhang et al. 2019) and interval
  bounds (Gowal et al. 2018); ``robust_acc/<method>/<eps>`` under PGD-20 in L∞,
  ``verified_acc/<method>/<eps>`` proved by IBP (never above the PGD accuracy), and
  ``certified_acc/smoothed/<r>``, the L2 accuracy certified by randomised smoothing;
* privacy: DP-SGD vs the same sampled SGD without clipping or noise on MNIST-1D,
  ``dp_acc/<private|nonprivate>``, ``mia_auc/<private|nonprivate>`` (loss-threshold
  membership inference) and ``dp_epsilon``;
* explanations: ``shap_error/<exact|kernel|permutation>`` against the closed-form Shapley
  values of a logistic model's logit, ``lime_slope_error``; on a random forest
  ``shap_error/<kernel|permutation>_forest`` against enumeration and TreeSHAP's
  ``treeshap_efficiency_error``; LIME on an MNIST-1D MLP (``lime_signal/*``);
* fairness on the SCM of :mod:`jaxml.data.fairness_scm`: ``dp_gap/<method>``,
  ``eo_gap/<method>``, ``fair_acc/<method>`` and ``cf_flip/<method>`` for the unconstrained,
  unaware, post-processed, reductions-trained (exponentiated gradient, equalised odds) and
  counterfactually fair predictors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from jaxml.core import seed_keys
from jaxml.data import load_sklearn
from jaxml.experiment import (Timer, format_mean_ci, goal_cell, machine_line, main_for, markdown_table,
                              save_figure, seed_metrics, write_results)
from jaxml.experiments import _trust_sections
from jaxml.nn.models import MLP
from jaxml.train import fit_seeds
from jaxml.train.state import cross_entropy_loss
from jaxml.trust.accountant import Accountant, epochs_to_steps
from jaxml.trust.federated import ClientSplit, dirichlet_split, make_federated_train

NAME = "trust_tour"
PAPER = {"eps_rdp/mnist_sigma1.1": 3.01, "eps_rdp_tight/opacus_sigma1.5": 7.32911117143}
PAPER_SOURCE = {
    "eps_rdp/mnist_sigma1.1": "TensorFlow Privacy, compute_dp_sgd_privacy example: N=60000, batch 256, "
                              "noise multiplier 1.1, 60 epochs, delta=1e-5 -> eps = 3.01 (RDP)",
    "eps_rdp_tight/opacus_sigma1.5": "Opacus, tests/accountants_test.py test_rdp_accountant: noise 1.5, "
                                     "sample rate 0.04, 2250 steps, delta=1e-5 -> 7.32911117143",
}
DELTA = 1e-5
METHODS = {"rdp": "RDP, classic conversion", "rdp_tight": "RDP, tight conversion", "pld": "PLD"}
ALGORITHMS = ("fedavg", "fedprox")
SECTIONS = ("robust", "private", "explain", "fairness")
# Issue 20: FedAvg on near-IID clients matches centralised training within a point.
TARGET = {"fedavg_gap_iid": "<= 0.01"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 3
    alphas: tuple[float, ...] = (0.1, 1.0, 100.0)
    num_clients: int = 20
    clients_per_round: int = 5
    rounds: int = 100
    local_steps: int = 50  # long local runs: where client drift (and FedProx's μ) shows
    batch_size: int = 32
    learning_rate: float = 0.1
    fedprox_mu: float = 1.0
    hidden: int = 64
    accountant_epochs: tuple[int, ...] = (1, 2, 5, 10, 20, 30, 40, 50, 60)
    pld_interval: float = 1e-4
    # robustness: MLPs trained five ways on [0, 1] digits, attacked by PGD-20 in L∞
    eps_grid: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2)
    robust_epochs: int = 40
    robust_learning_rate: float = 1e-3
    train_eps: float = 0.1
    train_pgd_steps: int = 7
    trades_beta: float = 6.0
    ibp_kappa: float = 0.5
    smoothing_sigma: float = 0.25
    certify_points: int = 200
    certify_n0: int = 100
    certify_n: int = 10000
    certify_alpha: float = 0.001
    certify_radii: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    # privacy: DP-SGD vs the same sampled SGD without clipping or noise; loss-threshold MIA
    private_members: int = 4000
    private_epochs: int = 30
    private_batch: int = 100
    private_learning_rate: float = 0.5
    clip_norm: float = 1.0
    noise_multiplier: float = 1.0
    # explanations
    explain_features: int = 10
    explain_background: int = 100
    explain_points: int = 20
    kernel_samples: int = 256
    shapley_permutations: int = 64
    forest_trees: int = 50
    mnist1d_epochs: int = 60
    lime_segments: int = 10
    lime_samples: int = 2000
    # fairness on the structural causal model of jaxml.data.fairness_scm
    fair_n: int = 20000
    beta_income: float = -0.8
    beta_zip: float = 1.5
    beta_label: float = -0.6
    fair_eps: float = 0.01  # the reductions' moment bound (equalised odds)

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, alphas=(0.1, 100.0), num_clients=6, clients_per_round=3, rounds=5,
                   local_steps=3, accountant_epochs=(1, 10, 60), pld_interval=1e-3,
                   eps_grid=(0.0, 0.1), robust_epochs=2, train_pgd_steps=2, certify_points=8,
                   certify_n0=20, certify_n=200, certify_radii=(0.0, 0.25), private_members=500,
                   private_epochs=3, explain_background=20, explain_points=3, kernel_samples=64,
                   shapley_permutations=8, forest_trees=5, mnist1d_epochs=2, lime_samples=200, fair_n=2000)

    @classmethod
    def full(cls) -> "Config":
        return cls()


def _digits():
    """1,400 training and 397 test digits, standardised with the training statistics."""
    X, y = load_sklearn("digits")
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm], y[perm].astype(np.int32)
    mean, std = X[:1400].mean(0), X[:1400].std(0) + 1e-6
    X = (X - mean) / std
    return X[:1400], y[:1400], X[1400:], y[1400:]


def _stack_splits(splits: list[ClientSplit]) -> ClientSplit:
    """One split per seed, padded to the widest client so they stack along a seed axis."""
    width = max(s.index.shape[1] for s in splits)
    pad = lambda a: jnp.pad(a, ((0, 0), (0, width - a.shape[1])))  # noqa: E731
    return ClientSplit(jnp.stack([pad(s.index) for s in splits]), jnp.stack([pad(s.mask) for s in splits]))


def _federated(config: Config, keys, data, alpha: float, algorithm: str) -> np.ndarray:
    """Test accuracy after every round, ``(seeds, rounds)``."""
    Xtr, ytr, Xte, yte = (jnp.asarray(a) for a in data)
    model = MLP((config.hidden,), 10)
    accuracy = lambda p: {"accuracy": jnp.mean(jnp.argmax(model.apply(p, Xte), -1) == yte)}  # noqa: E731
    train = make_federated_train(
        model.apply, cross_entropy_loss, learning_rate=config.learning_rate, rounds=config.rounds,
        local_steps=config.local_steps, clients_per_round=config.clients_per_round,
        batch_size=config.batch_size, algorithm=algorithm,
        mu=config.fedprox_mu if algorithm == "fedprox" else 0.0, metrics_fn=accuracy)
    splits = _stack_splits([dirichlet_split(jax.random.fold_in(k, 0), data[1], config.num_clients, alpha)
                            for k in keys])

    def member(key, index, mask):
        params = model.init(jax.random.fold_in(key, 1), Xtr[:1])
        return train(jax.random.fold_in(key, 2), params, Xtr, ytr, ClientSplit(index, mask))[1]["accuracy"]

    return np.asarray(jax.vmap(member)(keys, splits.index, splits.mask))


def _centralised(config: Config, keys, data) -> np.ndarray:
    """Final test accuracy of pooled minibatch SGD with ≥ rounds × local_steps steps."""
    Xtr, ytr, Xte, yte = data
    steps = config.rounds * config.local_steps
    epochs = -(-steps * config.batch_size // len(ytr))
    out = fit_seeds(keys, MLP((config.hidden,), 10), optax.sgd(config.learning_rate), (Xtr, ytr), (Xte, yte),
                    epochs=epochs, batch_size=config.batch_size, progress=False)
    return np.asarray(out.history["eval_accuracy"])[:, -1]


def _accountant_curves(config: Config) -> dict[str, np.ndarray]:
    """ε(δ = 10⁻⁵) of MNIST DP-SGD (σ = 1.1) after each of ``accountant_epochs``, per method."""
    curves = {m: [] for m in METHODS}
    for epochs in config.accountant_epochs:
        q, steps = epochs_to_steps(60000, 256, epochs)
        acc = Accountant(pld_interval=config.pld_interval).step(q, 1.1, steps)
        for method in METHODS:
            curves[method].append(acc.epsilon(DELTA, method=method))
    return {m: np.asarray(v) for m, v in curves.items()}


def run(config: Config, out_dir: str | Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not config.alphas or min(config.alphas) <= 0:
        raise ValueError(f"alphas must be a non-empty tuple of positive numbers, got {config.alphas}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = _digits()
    keys = seed_keys(0, config.seeds)
    curves = {}
    jobs = [(a, alg) for a in config.alphas for alg in ALGORITHMS]
    with Timer() as total:
        for alpha, algorithm in tqdm(jobs, desc="trust_tour federated", disable=None):
            curves[(alpha, algorithm)] = _federated(config, keys, data, alpha, algorithm)
        central = _centralised(config, keys, data)
        eps_curves = _accountant_curves(config)
        opacus_case = Accountant().step(0.04, 1.5, 2250).epsilon(DELTA, method="rdp_tight")
        sections = {}
        for name in tqdm(SECTIONS, desc="trust_tour sections", disable=None):
            sections[name] = getattr(_trust_sections, f"run_{name}")(config)

    metrics = dict(seed_metrics("central_acc", central))
    for method, curve in eps_curves.items():
        metrics[f"eps_{method}/mnist_sigma1.1"] = float(curve[-1])
    metrics["eps_rdp_tight/opacus_sigma1.5"] = opacus_case
    for (alpha, algorithm), acc in curves.items():
        metrics.update(seed_metrics(f"{algorithm}_acc/{alpha:g}", acc[:, -1]))
    iid = max(config.alphas)
    metrics["fedavg_gap_iid"] = float(np.mean(central) - np.mean(curves[(iid, "fedavg")][:, -1]))
    section_extra = {}
    for section_metrics, extra_part in sections.values():
        metrics.update(section_metrics)
        section_extra.update(extra_part)

    fig, axes = plt.subplots(1, len(config.alphas), figsize=(4.5 * len(config.alphas), 3.6), squeeze=False,
                             sharey=True)
    rounds = np.arange(1, config.rounds + 1)
    for ax, alpha in zip(axes[0], config.alphas):
        for algorithm in ALGORITHMS:
            acc = curves[(alpha, algorithm)]
            ax.plot(rounds, acc.mean(0), label=algorithm)
            ax.fill_between(rounds, acc.min(0), acc.max(0), alpha=0.2)
        ax.axhline(np.mean(central), color="k", ls="--", lw=1, label="centralised SGD")
        ax.set(title=f"Dirichlet α = {alpha:g}", xlabel="round", ylim=(0, 1))
    axes[0, 0].set_ylabel("test accuracy")
    axes[0, 0].legend(fontsize=8)
    save_figure(fig, out_dir, "federated_accuracy.png")

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for method, label in METHODS.items():
        ax.plot(config.accountant_epochs, eps_curves[method], marker="o", label=label)
    ax.set(xlabel="epochs", ylabel=f"ε at δ = {DELTA:g}", title="DP-SGD on MNIST: N=60000, B=256, σ=1.1")
    ax.legend(fontsize=8)
    save_figure(fig, out_dir, "epsilon_vs_epochs.png")
    _section_figures(plt, out_dir, config, metrics, section_extra)

    extra = {"accuracy_curves": {f"{alg}/{a:g}": c.mean(0).tolist() for (a, alg), c in curves.items()},
             "final_accuracy": {f"{alg}/{a:g}": c[:, -1].tolist() for (a, alg), c in curves.items()},
             "central_accuracy": central.tolist(),
             "epsilon_curves": {m: c.tolist() for m, c in eps_curves.items()}, **section_extra}
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics, paper=PAPER,
                            paper_source=PAPER_SOURCE, target=TARGET, seeds=config.seeds,
                            wall_time_s=total.seconds, extra=extra)
    _write_readme(out_dir, config, results, curves, central, eps_curves)
    return results


def _section_figures(plt, out_dir: Path, config: Config, metrics: dict, extra: dict) -> None:
    """robust_accuracy.png, mia_losses.png, shap_bar.png, lime_signal.png, fairness.png."""
    fig, (ax_inf, ax_l2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, method in enumerate(_trust_sections.ROBUST_METHODS):
        acc = np.asarray(extra["robust_acc"][method])
        ax_inf.errorbar(config.eps_grid, acc.mean(0), yerr=acc.std(0), marker="o", color=f"C{i}",
                        label=f"{method}, PGD-20")
    verified = np.asarray(extra["verified_acc"]["ibp"])
    ax_inf.plot(config.eps_grid, verified.mean(0), "s--", color="C4", label="ibp, verified")
    ax_inf.set(xlabel="L∞ radius ε", ylabel="test accuracy", title="digits MLP: empirical vs verified", ylim=(0, 1))
    ax_inf.legend(fontsize=7)
    certified = np.asarray(extra["certified_acc"])
    ax_l2.plot(config.certify_radii, certified.mean(0), marker="o", color="C1")
    ax_l2.set(xlabel="L2 radius r", ylabel="certified accuracy", ylim=(0, 1),
              title=f"randomised smoothing, σ = {config.smoothing_sigma:g}")
    save_figure(fig, out_dir, "robust_accuracy.png")

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, method in zip(axes, _trust_sections.PRIVATE_METHODS):
        part = extra["private"][method]
        bins = np.linspace(0, np.quantile(part["nonmember_losses"], 0.95), 40)
        ax.hist(part["member_losses"], bins, alpha=0.6, density=True, label="members (train)")
        ax.hist(part["nonmember_losses"], bins, alpha=0.6, density=True, label="non-members (test)")
        ax.set(title=f"{method}: attack AUC {metrics[f'mia_auc/{method}']:.3f}", xlabel="loss")
    axes[0].legend(fontsize=8)
    save_figure(fig, out_dir, "mia_losses.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
    names, width = extra["feature_names"], 0.2
    pos = np.arange(len(names))
    panels = ((axes[0], "logistic model: logit", (("shap_exact", "exact"), ("shap_kernel", "Kernel SHAP"),
                                                  ("shap_permutation", "permutation"))),
              (axes[1], "random forest: P(class 1)", (("forest_shap_exact", "exact"),
                                                      ("forest_shap_kernel", "Kernel SHAP"),
                                                      ("forest_shap_permutation", "permutation"),
                                                      ("forest_treeshap", "TreeSHAP (path-dependent)"))))
    for ax, title, series in panels:
        for j, (key, label) in enumerate(series):
            ax.barh(pos + (j - (len(series) - 1) / 2) * width, np.asarray(extra[key])[0], width, label=label)
        ax.set(xlabel="Shapley value", title=f"{title}, one patient")
        ax.legend(fontsize=7)
    axes[0].set(yticks=pos, yticklabels=names)
    axes[0].invert_yaxis()
    save_figure(fig, out_dir, "shap_bar.png")

    part = extra["lime_signal"]
    signal, coef = np.asarray(part["signal"]), np.asarray(part["coef"])
    segment = np.arange(signal.size) * coef.size // signal.size
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(signal, color="k", lw=1)
    scale = np.abs(coef).max()
    for j in range(coef.size):
        idx = np.nonzero(segment == j)[0]
        ax.axvspan(idx[0] - 0.5, idx[-1] + 0.5, color="C3" if coef[j] > 0 else "C0", alpha=0.5 * abs(coef[j]) / scale)
    ax.set(xlabel="position", title=f"LIME on MNIST-1D (class {part['label']}): red raises, blue lowers p")
    save_figure(fig, out_dir, "lime_signal.png")

    fig, ax = plt.subplots(figsize=(7, 3.4))
    stats = ("dp_gap", "eo_gap", "cf_flip", "fair_acc")
    methods = _trust_sections.FAIR_METHODS
    width = 0.8 / len(methods)
    for j, method in enumerate(methods):
        ax.bar(np.arange(len(stats)) + (j - (len(methods) - 1) / 2) * width, [metrics[f"{s}/{method}"] for s in stats],
               width, label=method)
    ax.set(xticks=np.arange(len(stats)), xticklabels=stats, title="fairness on a known causal model")
    ax.legend(fontsize=8)
    save_figure(fig, out_dir, "fairness.png")


def _cell(mt: dict, name: str) -> str:
    """``mean ± ci (n=…)`` of a per-seed metric from its flat entries."""
    stem, _, rest = name.partition("/")
    text = f"{mt[name]:.3f} ± {mt[f'{stem}_ci95/{rest}']:.3f} (n={mt[f'{stem}_n/{rest}']})"
    failed = mt[f"{stem}_failed/{rest}"]
    return text + (f", {failed} failed" if failed else "")


def _section_readme(config: Config, mt: dict) -> list[str]:
    robust = _trust_sections.ROBUST_METHODS
    return [
        "## Adversarial robustness on digits",
        "",
        f"An MLP (one hidden layer of {config.hidden}) on digits scaled to [0, 1], trained "
        f"{config.robust_epochs} epochs with Adam ({config.robust_learning_rate:g}) five ways: cross-entropy "
        f"(standard), Gaussian augmentation σ = {config.smoothing_sigma:g} (noise, the base classifier of "
        f"randomised smoothing), PGD-{config.train_pgd_steps} adversarial training (madry) and TRADES "
        f"(β = {config.trades_beta:g}) at ε = {config.train_eps:g}, and interval-bound training (ibp, "
        f"κ = {config.ibp_kappa:g}, ε = {config.train_eps:g}). Test accuracy under PGD-20 (L∞, step "
        f"2.5ε/20), {config.seeds} seeds, mean ± 95% Student-t interval:",
        "",
        markdown_table(("method", *(f"ε = {e:g}" for e in config.eps_grid)),
                       [(m, *(_cell(mt, f"robust_acc/{m}/{e:g}") for e in config.eps_grid)) for m in robust]),
        "",
        "Accuracy IBP can verify (a lower bound on the accuracy under any attack in the ball):",
        "",
        markdown_table(("method", *(f"ε = {e:g}" for e in config.eps_grid)),
                       [(m, *(_cell(mt, f"verified_acc/{m}/{e:g}") for e in config.eps_grid)) for m in robust]),
        "",
        f"Randomised smoothing of the noise-trained model (CERTIFY of Cohen et al. 2019: n0 = "
        f"{config.certify_n0}, n = {config.certify_n}, α = {config.certify_alpha:g}) on the first "
        f"{config.certify_points} test digits — certified L2 accuracy at radius r:",
        "",
        markdown_table(("r", "certified accuracy"),
                       [(f"{r:g}", _cell(mt, f"certified_acc/smoothed/{r:g}")) for r in config.certify_radii]),
        "",
        "![robust accuracy](robust_accuracy.png)",
        "",
        "## Private training and membership inference (MNIST-1D)",
        "",
        f"DP-SGD (clip {config.clip_norm:g}, noise multiplier {config.noise_multiplier:g}, Poisson rate "
        f"{config.private_batch}/{config.private_members}, {config.private_epochs} epochs, SGD "
        f"{config.private_learning_rate:g}) against the same sampled SGD without clipping or noise; ε = "
        f"{mt['dp_epsilon']:.2f} at δ = {DELTA:g} (RDP, tight conversion). The loss-threshold attack "
        f"tells the {config.private_members} training signals from the test signals:",
        "",
        markdown_table(("training", "test accuracy", "attack AUC"),
                       [(m, _cell(mt, f"dp_acc/{m}"), _cell(mt, f"mia_auc/{m}"))
                        for m in _trust_sections.PRIVATE_METHODS]),
        "",
        "![membership losses](mia_losses.png)",
        "",
        "## Explanations",
        "",
        f"Logistic regression on {config.explain_features} standardised breast-cancer features; the "
        f"logit's Shapley values are known in closed form, φ_i = w_i (x_i − mean background_i) "
        f"({config.explain_background} background rows, {config.explain_points} explained patients). "
        f"Largest error of enumeration: {mt['shap_error/exact']:.2e}; mean absolute error against it "
        f"of Kernel SHAP with {config.kernel_samples} coalitions: {mt['shap_error/kernel']:.2e}, of "
        f"{config.shapley_permutations} antithetic permutations: {mt['shap_error/permutation']:.2e}; LIME's "
        f"surrogate slopes differ from w by at most {mt['lime_slope_error']:.2e} (for a linear model every "
        "estimator is exact up to rounding).",
        "",
        f"A random forest ({config.forest_trees} trees of depth 4) on the same features has no closed form: "
        f"against enumeration, Kernel SHAP errs by {mt['shap_error/kernel_forest']:.2e} and permutation "
        f"sampling by {mt['shap_error/permutation_forest']:.2e} (mean absolute error of P(class 1)). "
        f"Path-dependent TreeSHAP (the training cover in place of the background) satisfies efficiency to "
        f"{mt['treeshap_efficiency_error']:.1e} and differs from the interventional values by "
        f"{mt['treeshap_vs_interventional']:.2e} on average.",
        "",
        "![shapley values](shap_bar.png)",
        "",
        f"LIME on an MNIST-1D MLP ({config.mnist1d_epochs} epochs of Adam, test accuracy "
        f"{mt['mnist1d_test_acc']:.3f}), {config.lime_segments} "
        f"segments, {config.lime_samples} samples, surrogate R² {mt['lime_signal/r2']:.3f}. Replacing the "
        f"top-weighted segment by the signal's mean changes the class probability by "
        f"{mt['lime_signal/top_change']:+.3f}, the bottom-weighted one by {mt['lime_signal/bottom_change']:+.3f} "
        "(LIME's weights predict a fall and a rise).",
        "",
        "![lime](lime_signal.png)",
        "",
        "## Fairness on a known structural causal model",
        "",
        f"{config.fair_n} training and test rows of `jaxml.data.make_fairness_scm` (β_income = "
        f"{config.beta_income:g}, β_zip = {config.beta_zip:g}, β_label = {config.beta_label:g}); logistic "
        "regression on X and A (unconstrained), on X alone (unaware), Hardt et al. post-processing of the "
        "unconstrained predictions to equalised odds (postprocessed), exponentiated-gradient reductions "
        f"(Agarwal et al. 2018) for equalised odds with moment bound ε = {config.fair_eps:g} on X and A "
        "(reductions), and logistic regression on the non-descendants of A (cf_fair). `cf_flip` is the "
        "fraction of test predictions that change under the exact "
        "counterfactual A ← 1 − A (same noise U). The labels themselves depend on A (β_label), so "
        "equalising odds against them and being counterfactually fair are different goals. One draw "
        "of the model per seed:",
        "",
        markdown_table(("method", "accuracy", "DP gap", "EO gap", "counterfactual flips"),
                       [(m, *(_cell(mt, f"{s}/{m}") for s in ("fair_acc", "dp_gap", "eo_gap", "cf_flip")))
                        for m in _trust_sections.FAIR_METHODS]),
        "",
        f"The expected equalised-odds gap of the randomised post-processed predictor on the test rows: "
        f"{_cell(mt, 'eo_gap_expected/postprocessed')}.",
        "",
        "![fairness](fairness.png)",
        "",
    ]


def _write_readme(out_dir: Path, config: Config, results: dict, curves: dict, central: np.ndarray,
                  eps_curves: dict) -> None:
    mt = results["metrics"]
    rows = [(f"{a:g}", format_mean_ci(curves[(a, "fedavg")][:, -1]), format_mean_ci(curves[(a, "fedprox")][:, -1]))
            for a in config.alphas]
    lines = [
        "# Trustworthy ML tour — robustness, privacy, federated learning, explanations, fairness",
        "",
        "## Privacy accounting",
        "",
        f"ε at δ = {DELTA:g} of DP-SGD on MNIST (N = 60,000, batch 256, σ = 1.1, Poisson "
        f"sampling), PLD grid {config.pld_interval:g}:",
        "",
        markdown_table(("epochs", *METHODS.values()),
                       [(e, *(f"{eps_curves[m][i]:.3f}" for m in METHODS))
                        for i, e in enumerate(config.accountant_epochs)]),
        "",
        markdown_table(("quantity", "ours", "published", "source"),
                       [(k, f"{mt[k]:.4f}", v, PAPER_SOURCE[k]) for k, v in PAPER.items() if k in mt]),
        "",
        "![epsilon vs epochs](epsilon_vs_epochs.png)",
        "",
        "## Federated learning on digits",
        "",
        f"FedAvg and FedProx (μ = {config.fedprox_mu:g}) train an MLP (one hidden layer of "
        f"{config.hidden}) on {config.num_clients} clients with Dirichlet(α) label skew; "
        f"{config.clients_per_round} clients per round, {config.rounds} rounds of "
        f"{config.local_steps} local SGD steps (batch {config.batch_size}, learning rate "
        f"{config.learning_rate:g}). {config.seeds} seeds (vmapped); mean ± 95% Student-t "
        "interval of the final test accuracy.",
        "",
        markdown_table(("Dirichlet α", "FedAvg", "FedProx"), rows),
        "",
        f"Centralised minibatch SGD on the pooled data: {format_mean_ci(central)}. FedAvg at "
        f"α = {max(config.alphas):g} trails it by {mt['fedavg_gap_iid']:.3f} "
        f"(goal {goal_cell(TARGET, mt, 'fedavg_gap_iid')}).",
        "",
        "![federated accuracy](federated_accuracy.png)",
        "",
        *_section_readme(config, mt),
        f"Run: `jaxml repro {NAME}` (quick check: `jaxml repro {NAME} --quick`).",
        "",
        machine_line(results),
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main_for(__name__)
