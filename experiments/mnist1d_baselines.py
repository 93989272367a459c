"""MNIST-1D baselines: logistic regression, MLP, CNN and GRU (Greydanus & Kobak, ICML 2024).

Reproduces the MNIST-1D row of the paper's baseline table ("Comparing MNIST and MNIST-1D":
logistic regression 32%, MLP 68%, CNN 94%, GRU 91% test accuracy) with the paper's
training setup (notebooks/train.py of the MNIST-1D repository): Adam, learning rate
1e-2, batch 100, 8000 steps (= 200 epochs of the 4000 training examples), no weight
decay; the data are the default MNIST-1D set (4000 train / 1000 test, length 40,
seed 42) regenerated offline. Every model is trained for all seeds at once
(``jaxml.train.fit_seeds``: one vmapped, jitted program per model); we report the final
test accuracy, its mean over seeds with a Student-t 95% interval (``test_acc_mean/<model>``,
``test_acc_mean_ci95/<model>``, ``test_acc_mean_n/<model>``, ``test_acc_mean_failed/<model>``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import optax

from jaxml.core.random import seed_keys
from jaxml.data import load_mnist1d
from jaxml.experiment import (Timer, ci95, format_mean_ci, machine_line, main_for, markdown_table,
                              save_figure, seed_metrics, seed_summary, write_results)
from jaxml.nn import CNN1D, MLP, GRUClassifier, Linear, count_params
from jaxml.train import fit_seeds

NAME = "mnist1d_baselines"
MODELS = ("logistic", "mlp", "cnn", "gru")
PAPER = {
    "test_acc_mean/logistic": 0.32,
    "test_acc_mean/mlp": 0.68,
    "test_acc_mean/cnn": 0.94,
    "test_acc_mean/gru": 0.91,
}
_TABLE = ("Greydanus & Kobak, MNIST-1D repository README (github.com/greydanus/mnist1d, "
          "2024-10-09), table 'Comparing MNIST and MNIST-1D', row MNIST-1D, column ")
PAPER_SOURCE = {
    "test_acc_mean/logistic": _TABLE + "'Logistic regression'",
    "test_acc_mean/mlp": _TABLE + "'MLP'",
    "test_acc_mean/cnn": _TABLE + "'CNN'",
    "test_acc_mean/gru": _TABLE + "'GRU'",
}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    epochs: int = 200
    batch_size: int = 100
    learning_rate: float = 1e-2
    mlp_hidden: int = 256
    models: tuple[str, ...] = MODELS
    num_samples: int = 5000

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, epochs=2)


def build_model(name: str, config: Config):
    """The paper's architecture for ``name`` (see jaxml.nn.models)."""
    if name == "logistic":
        return Linear(10)
    if name == "mlp":
        return MLP((config.mlp_hidden, config.mlp_hidden), 10, residual=True)
    if name == "cnn":
        return CNN1D(10)
    if name == "gru":
        return GRUClassifier(10, hidden_size=6, bidirectional=True)
    raise ValueError(f"model must be one of {MODELS}, got {name!r}")


def _figures(out_dir: Path, histories: dict, final: dict, config: Config) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, config.epochs + 1)
    for name, hist in histories.items():
        acc = hist["eval_accuracy"]
        mean, band = acc.mean(0), ci95(acc)
        (line,) = axes[0].plot(epochs, mean, label=name)
        axes[0].fill_between(epochs, mean - band, mean + band, color=line.get_color(), alpha=0.2)
        if f"test_acc_mean/{name}" in PAPER:
            axes[0].axhline(PAPER[f"test_acc_mean/{name}"], color=line.get_color(), ls=":")
        axes[1].plot(epochs, hist["train_loss"].mean(0), label=name, color=line.get_color())
    axes[0].set(xlabel="epoch", ylabel="test accuracy",
                title="MNIST-1D test accuracy (dotted: paper)")
    axes[1].set(xlabel="epoch", ylabel="train loss", yscale="log", title="training loss")
    axes[0].legend()
    save_figure(fig, out_dir, "training_curves.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    names = list(final)
    x = np.arange(len(names))
    ax.bar(x - 0.2, [PAPER.get(f"test_acc_mean/{n}", np.nan) for n in names], 0.4,
           label="paper")
    half = [seed_summary(final[n]).ci95 for n in names]
    ax.bar(x + 0.2, [seed_summary(final[n]).mean for n in names], 0.4,
           yerr=np.nan_to_num(half), label=f"jaxml (n={config.seeds} seeds, 95% t-interval)")
    ax.set_xticks(x, names)
    ax.set(ylabel="test accuracy", ylim=(0, 1), title="MNIST-1D baselines")
    ax.legend()
    save_figure(fig, out_dir, "accuracy.png")
    return ["training_curves.png", "accuracy.png"]


def _comparison(name: str, values: np.ndarray) -> str:
    """Where the paper's number lies relative to the run's interval (computed)."""
    s = seed_summary(values)
    paper = PAPER[f"test_acc_mean/{name}"]
    delta = 100 * (s.mean - paper)
    text = f"{name}: {abs(delta):.1f} points {'above' if delta >= 0 else 'below'} the paper"
    if s.n >= 2:
        inside = s.mean - s.ci95 <= paper <= s.mean + s.ci95
        text += (", the paper's value inside our 95% interval" if inside else
                 ", the paper's value outside our 95% interval")
    return text + "."


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            final: dict) -> None:
    m = results["metrics"]
    rows = []
    for name in config.models:
        paper = PAPER.get(f"test_acc_mean/{name}")
        ours = m[f"test_acc_mean/{name}"]
        rows.append([
            name, f"{100 * paper:.0f}%" if paper is not None else "—",
            format_mean_ci(final[name], 1, scale=100),
            f"{100 * (ours - paper):+.1f}" if paper is not None and ours is not None else "—",
            m[f"n_params/{name}"], f"{m[f'train_time_s/{name}']:.1f}",
        ])
    table = markdown_table(
        ["model", "paper", "ours: test accuracy % (mean ± 95% t-interval)", "Δ points",
         "parameters", "train time (s, all seeds)"], rows)
    comparisons = "\n".join(f"- {_comparison(n, final[n])}" for n in config.models
                             if f"test_acc_mean/{n}" in PAPER)
    quick = Config.quick()
    text = f"""# MNIST-1D baselines (T.m1d.1)

**Claim** (Greydanus & Kobak, *Scaling Down Deep Learning with MNIST-1D*, ICML 2024;
table "Comparing MNIST and MNIST-1D" of the paper's repository): on MNIST-1D, logistic
regression reaches 32% test accuracy, an MLP 68%, a CNN 94% and a GRU 91%, so the
dataset separates models with and without nonlinearity and spatial inductive bias.

**Setup** (the paper's `train.py`): Adam, lr {config.learning_rate}, batch {config.batch_size},
{config.epochs} epochs (= {config.epochs * 4000 // config.batch_size} steps), default MNIST-1D
(4000 train / 1000 test, seed 42) generated offline with `mnist1d.make_dataset`. Models:
linear; residual MLP with two hidden layers of {config.mlp_hidden}; CNN with three
stride-2 convolutions of 25 channels; bidirectional GRU with 6 hidden units. Flax default
initialisation (LeCun normal), not PyTorch's. All seeds of a model train in one vmapped,
jitted program. Reported: final test accuracy (after the last epoch) over {config.seeds}
seeds; intervals are Student-t, n counts the seeds with a finite accuracy.

{table}

**Against the paper** (computed from the table):

{comparisons}

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or
`jaxml repro {NAME} --quick` ({quick.seeds} seeds × {quick.epochs} epochs).

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    data = load_mnist1d(num_samples=config.num_samples)
    train, test = (data.x_train, data.y_train), (data.x_test, data.y_test)
    metrics, histories, final = {}, {}, {}
    with Timer() as total:
        for i, name in enumerate(config.models):
            model = build_model(name, config)
            keys = seed_keys(1000 * i, config.seeds)
            print(f"[{NAME}] training {name} ({config.seeds} seeds, {config.epochs} epochs)",
                  flush=True)
            with Timer() as t:
                result = fit_seeds(keys, model, optax.adam(config.learning_rate), train, test,
                                   epochs=config.epochs, batch_size=config.batch_size)
            histories[name] = result.history
            final[name] = result.history["eval_accuracy"][:, -1]
            n_params = count_params(result.state.params) // config.seeds
            metrics.update(seed_metrics(f"test_acc_mean/{name}", final[name]))
            metrics.update(seed_metrics(f"train_acc_mean/{name}",
                                        result.history["train_accuracy"][:, -1]))
            metrics.update({
                f"train_time_s/{name}": t.seconds,
                f"n_params/{name}": n_params,
            })
    figures = _figures(out_dir, histories, final, config)
    extra = {f"test_acc_curve/{n}": h["eval_accuracy"].mean(0) for n, h in histories.items()}
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, seeds=config.seeds,
                            wall_time_s=total.seconds, extra=extra)
    _readme(out_dir, results, config, figures, final)
    return results


if __name__ == "__main__":
    main_for(__name__)
