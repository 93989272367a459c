"""The occasionally dishonest casino HMM: Viterbi decoding and Baum–Welch recovery.

Durbin, Eddy, Krogh & Mitchison (*Biological Sequence Analysis*, 1998, §3.2): a casino
switches between a fair die and a loaded one (P(6) = 1/2, the other faces 1/10);
P(fair → loaded) = 0.05, P(loaded → fair) = 0.1. From the rolls alone we

* decode the hidden die with Viterbi (and with posterior marginals) using the true
  parameters — ``viterbi_acc`` is the fraction of rolls whose die is recovered;
* check our forward algorithm against hmmlearn on the same sequence and parameters —
  ``loglik_vs_hmmlearn_abs_diff``;
* learn all parameters with Baum–Welch from a random start on sampled sequences —
  ``bw_param_err`` is the mean absolute error over the transition and emission entries
  (after matching the two learned states to fair/loaded), and ``bw/*`` the recovered
  values of the three numbers that define the model.

The three defining numbers are generating parameters (``Config``), not published results,
so ``PAPER`` is empty. Every per-seed metric is reported as its mean with a Student-t
interval over the seeds (``<stem>_ci95``), the number of seeds (``<stem>_n``) and the
number of seeds whose value was not finite (``<stem>_failed``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.bayes import hmm
from jaxml.experiment import (Timer, format_mean_ci, machine_line, main_for, markdown_table,
                              run_seeds, save_figure, seed_summary, seed_metrics, write_results)

NAME = "hmm_casino"
PAPER: dict[str, float] = {}  # the book defines the model; it publishes no numbers we rerun
PAPER_SOURCE: dict[str, str] = {}
# metric -> the Config field holding the generating value that Baum–Welch should recover
RECOVERED = {"bw/p_fair_to_loaded": "p_fair_to_loaded", "bw/p_loaded_to_fair": "p_loaded_to_fair",
             "bw/p6_loaded": "p6_loaded"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    # the casino of Durbin et al. (1998, §3.2)
    p_fair_to_loaded: float = 0.05
    p_loaded_to_fair: float = 0.10
    p6_loaded: float = 0.5
    decode_length: int = 2000
    bw_sequences: int = 20
    bw_length: int = 500
    bw_max_iter: int = 500
    bw_tol: float = 1e-6

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, decode_length=300, bw_sequences=4, bw_length=200, bw_max_iter=50)


def casino_params(config: Config) -> hmm.CategoricalHMM:
    """State 0 = fair, 1 = loaded; faces 0..5 stand for 1..6. The loaded die shows 6 with
    probability ``p6_loaded`` and each other face with (1 − p6_loaded)/5. Starts in the
    stationary distribution (b, a)/(a + b), a = P(fair → loaded), b = P(loaded → fair)."""
    a, b, p6 = config.p_fair_to_loaded, config.p_loaded_to_fair, config.p6_loaded
    return hmm.CategoricalHMM(
        initial_probs=jnp.array([b / (a + b), a / (a + b)]),
        transition_matrix=jnp.array([[1 - a, a], [b, 1 - b]]),
        emission_probs=jnp.array([[1 / 6] * 6, [(1 - p6) / 5] * 5 + [p6]]),
    )


def _random_init(key: jax.Array) -> hmm.CategoricalHMM:
    k1, k2 = jax.random.split(key)
    trans = jax.random.dirichlet(k1, jnp.array([[8.0, 2.0], [2.0, 8.0]]))
    emit = jax.random.dirichlet(k2, jnp.full((2, 6), 5.0))
    return hmm.CategoricalHMM(jnp.array([0.5, 0.5]), trans, emit)


def _align(params: hmm.CategoricalHMM) -> hmm.CategoricalHMM:
    """Order the learned states so that state 1 is the one with the larger P(6)."""
    if float(params.emission_probs[0, 5]) <= float(params.emission_probs[1, 5]):
        return params
    perm = jnp.array([1, 0])
    return hmm.CategoricalHMM(params.initial_probs[perm],
                              params.transition_matrix[perm][:, perm],
                              params.emission_probs[perm])


def _hmmlearn_loglik(params: hmm.CategoricalHMM, obs: np.ndarray) -> float:
    from hmmlearn.hmm import CategoricalHMM

    ref = CategoricalHMM(n_components=2)
    ref.startprob_ = np.asarray(params.initial_probs, float)
    ref.transmat_ = np.asarray(params.transition_matrix, float)
    ref.emissionprob_ = np.asarray(params.emission_probs, float)
    return float(ref.score(np.asarray(obs)[:, None]))


def run_seed(seed: int, config: Config) -> tuple[dict, dict]:
    """One seed: decode a long sequence, then Baum–Welch on fresh sequences."""
    truth = casino_params(config)
    key = jax.random.PRNGKey(seed)
    k_decode, k_bw, k_init = jax.random.split(key, 3)
    states, rolls = hmm.sample(k_decode, truth, config.decode_length)
    path, _ = hmm.viterbi(truth, rolls)
    post = hmm.forward_backward(truth, rolls)
    ours = float(post.log_likelihood)
    metrics = {
        "viterbi_acc": float(jnp.mean(path == states)),
        "posterior_decoding_acc": float(jnp.mean(post.smoothed.argmax(1) == states)),
        "loglik_vs_hmmlearn_abs_diff": abs(ours - _hmmlearn_loglik(truth, rolls)),
    }
    seq_keys = jax.random.split(k_bw, config.bw_sequences)
    obs = jnp.stack([hmm.sample(k, truth, config.bw_length)[1] for k in seq_keys])
    result = hmm.baum_welch(_random_init(k_init), obs, max_iter=config.bw_max_iter,
                            tol=config.bw_tol)
    learned = _align(result.params)
    errors = jnp.concatenate([
        jnp.abs(learned.transition_matrix - truth.transition_matrix).ravel(),
        jnp.abs(learned.emission_probs - truth.emission_probs).ravel()])
    n_iter = int(result.n_iter)
    history = np.asarray(result.log_likelihood[:n_iter])
    metrics.update({
        "bw_param_err": float(errors.mean()),
        "bw/p_fair_to_loaded": float(learned.transition_matrix[0, 1]),
        "bw/p_loaded_to_fair": float(learned.transition_matrix[1, 0]),
        "bw/p6_loaded": float(learned.emission_probs[1, 5]),
        "bw_iterations": n_iter,
        "bw_min_loglik_increase": float(np.diff(history).min()) if n_iter > 1 else 0.0,
        "bw_loglik_per_roll_learned": float(history[-1]) / obs.size,
        "bw_loglik_per_roll_truth": float(jnp.sum(jax.vmap(
            lambda o: hmm.log_likelihood(truth, o))(obs))) / obs.size,
    })
    trace = {"states": np.asarray(states), "rolls": np.asarray(rolls),
             "p_loaded": np.asarray(post.smoothed[:, 1]), "viterbi": np.asarray(path),
             "bw_history": history / obs.size}
    return metrics, trace


def _figures(out_dir: Path, trace: dict, config: Config) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(300, config.decode_length)
    t = np.arange(n)
    fig, axes = plt.subplots(2, 1, figsize=(11, 5), sharex=True)
    axes[0].plot(t, trace["rolls"][:n] + 1, ".", ms=3, color="0.4")
    axes[0].set(ylabel="roll", title="occasionally dishonest casino: rolls (first "
                f"{n}), shaded = loaded die")
    axes[1].fill_between(t, 0, trace["states"][:n], step="mid", color="tab:red", alpha=0.25,
                         label="true: loaded")
    axes[1].plot(t, trace["p_loaded"][:n], label="P(loaded | rolls)")
    axes[1].plot(t, trace["viterbi"][:n] * 0.98, "k--", lw=1, label="Viterbi path")
    axes[0].fill_between(t, 0.5, 6.5, where=trace["states"][:n] == 1, step="mid",
                         color="tab:red", alpha=0.15)
    axes[1].set(xlabel="roll", ylabel="loaded", ylim=(-0.05, 1.05))
    axes[1].legend(loc="upper right", fontsize=8)
    save_figure(fig, out_dir, "decoding.png")

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(np.arange(1, len(trace["bw_history"]) + 1), trace["bw_history"])
    ax.set(xlabel="Baum–Welch iteration", ylabel="log-likelihood per roll",
           title="Baum–Welch (seed 0): monotone ascent")
    save_figure(fig, out_dir, "baum_welch.png")
    return ["decoding.png", "baum_welch.png"]


def _recovery_sentence(name: str, values: np.ndarray, truth: float) -> str:
    """Whether the generating value lies inside the run's 95% interval of the estimate."""
    s = seed_summary(values)
    if s.n < 2:
        return f"`{name}`: {s.mean:.4g} against the generating {truth:g} (one seed, no interval)."
    low, high = s.mean - s.ci95, s.mean + s.ci95
    verdict = "inside" if low <= truth <= high else "outside"
    return (f"`{name}`: the generating {truth:g} lies {verdict} the 95% interval "
            f"[{low:.4g}, {high:.4g}] (n={s.n}).")


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            per_seed: dict) -> None:
    m = results["metrics"]
    rows = []
    for name in ("viterbi_acc", "posterior_decoding_acc", "bw_param_err", *RECOVERED,
                 "bw_iterations", "bw_loglik_per_roll_learned", "bw_loglik_per_roll_truth"):
        truth = getattr(config, RECOVERED[name]) if name in RECOVERED else None
        rows.append([name, "—" if truth is None else f"{truth:g}",
                     format_mean_ci(per_seed[name], 1 if name == "bw_iterations" else 4)])
    diff = seed_summary(per_seed["loglik_vs_hmmlearn_abs_diff"])
    rows.append(["loglik_vs_hmmlearn_abs_diff", "—",
                 f"largest {np.max(per_seed['loglik_vs_hmmlearn_abs_diff']):.2g} (n={diff.n}"
                 + (f", {diff.n_failed} failed)" if diff.n_failed else ")")])
    table = markdown_table(["metric", "generating value", "ours (mean ± 95% t-interval)"], rows)
    recovery = "\n".join(f"- {_recovery_sentence(k, per_seed[k], getattr(config, f))}"
                          for k, f in RECOVERED.items())
    worst = m["bw_min_loglik_increase"]
    monotone = ("produced no finite log-likelihood" if worst is None else
                "never decreased the log-likelihood (smallest increase between iterations "
                f"{worst:.3g})" if worst >= -1e-9 else
                f"decreased the log-likelihood by up to {-worst:.3g} in some iteration")
    decoding = ("posterior decoding recovered more rolls than Viterbi"
                if m["posterior_decoding_acc"] > m["viterbi_acc"] else
                "Viterbi recovered at least as many rolls as posterior decoding")
    a, b = config.p_fair_to_loaded, config.p_loaded_to_fair
    text = f"""# Occasionally dishonest casino (B.5)

**Model** (Durbin et al., *Biological Sequence Analysis*, 1998, §3.2; Rabiner 1989): a
casino switches between a fair die and a loaded one that shows 6 with probability
{config.p6_loaded:g} (each other face {(1 - config.p6_loaded) / 5:g}); P(fair→loaded) = {a:g},
P(loaded→fair) = {b:g}. The claim: the Viterbi path recovers which die was used for most
rolls, and Baum–Welch re-estimates the parameters from the rolls alone, never decreasing
the likelihood.

**Setup.** Per seed: one sequence of {config.decode_length} rolls decoded with the true
parameters (Viterbi and posterior marginals; log-likelihood compared with hmmlearn's
`CategoricalHMM.score`); then Baum–Welch from a random start (Dirichlet-drawn transition and
emission rows) on {config.bw_sequences} fresh sequences of {config.bw_length} rolls, at most
{config.bw_max_iter} iterations, tolerance {config.bw_tol}. The "generating value" column
holds the parameters the rolls were drawn from. `bw_param_err` is the mean absolute error
over the 4 transition and 12 emission probabilities. Everything runs in float64.
Intervals are Student-t over seeds; n is the number of seeds with a finite value.

{table}

**Results.** Over {config.seeds} seeds, {decoding}; Baum–Welch {monotone}.

{recovery}

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or `jaxml repro {NAME} --quick`.

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)

    def float64_seed(seed: int):
        with jax.enable_x64(True):  # float64: exact comparison with hmmlearn
            return run_seed(seed, config)

    with Timer() as total:
        per_seed, first_trace = run_seeds(NAME, config.seeds, float64_seed)
    metrics = {}
    for name, values in per_seed.items():
        if name != "bw_min_loglik_increase":
            metrics.update(seed_metrics(name, values))
    increases = per_seed["bw_min_loglik_increase"]
    finite = increases[np.isfinite(increases)]  # the failed seeds are counted in bw_*_failed
    metrics["bw_min_loglik_increase"] = float(finite.min()) if finite.size else float("nan")
    figures = _figures(out_dir, first_trace, config)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, seeds=config.seeds,
                            wall_time_s=total.seconds,
                            extra={"per_seed": per_seed,
                                   "bw_history_seed0": first_trace["bw_history"]})
    _readme(out_dir, results, config, figures, per_seed)
    return results


if __name__ == "__main__":
    main_for(__name__)
