"""Probabilistic graphical models: Asia structure recovery, belief propagation, Ising denoising, MCMC, LDA.

One run of the pieces of :mod:`jaxml.bayes` that issue 17 builds, each beside its
oracle:

* **Structure learning** (B.6): samples of the Asia network (Lauritzen & Spiegelhalter
  1988) of growing size; hill climbing with the BIC score (greedy, and with perturbed
  random restarts) and the PC algorithm (G² tests) recover its Markov equivalence class.
  ``shd/hill_climb/<n>``, ``shd/hill_climb_greedy/<n>`` and ``shd/pc/<n>`` are the
  structural Hamming distances of the learned CPDAG to the true one (a missing, extra or
  wrongly oriented edge counts 1).
* **Belief propagation** (B.7): the largest error of sum-product node beliefs against
  brute-force marginals, on random trees (``bp_max_err/tree``; exact up to round-off) and on
  a loopy grid with damping (``bp_max_err/grid``).
* **Ising denoising** (B.7): a binary shapes image with a fraction of its pixels flipped is
  restored by loopy BP on the Ising posterior; ``denoise_acc`` is the fraction of pixels
  restored (``noisy_acc`` the fraction before).
* **MCMC by hand** (B.8): Gibbs and random-walk Metropolis on a bivariate Gaussian with
  correlation 0.95, several chains; split R-hat, effective sample size, acceptance rate,
  and the recovered correlation.
* **LDA** (B.9): the "bars" corpus of Griffiths & Steyvers (2004): 10 topics, each uniform
  over one row or column of a 5×5 vocabulary; collapsed Gibbs and mean-field variational
  LDA recover the topics (``lda_topic_cosine``: mean cosine after Hungarian matching) and
  the held-out perplexity of our variational LDA is compared with scikit-learn's
  ``LatentDirichletAllocation`` at the same priors (``lda_perplexity_ratio/sklearn``).

``PAPER`` records the setup of the bars experiment (Griffiths & Steyvers 2004, PNAS 101,
suppl. 1, p. 5231: 2000 documents of 100 words, α = 1): the paper shows the recovered
topics as pictures and publishes no recovery number. Per-seed metrics are reported as
means with Student-t intervals over seeds (``<stem>_ci95``, ``<stem>_n``,
``<stem>_failed``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.bayes import bayesnet, lda, mcmc, mrf, structure
from jaxml.experiment import (Timer, format_mean_ci, machine_line, main_for, markdown_table,
                              run_seeds, save_figure, seed_metrics, seed_summary, target_met,
                              write_results)

NAME = "graphical_models"
_GS2004 = ("Griffiths & Steyvers (2004), Finding scientific topics, PNAS 101 (suppl. 1), "
           "5228–5235, §'Finding topics in a toy corpus' (setup of the bars experiment)")
PAPER = {"lda/bars/vocabulary": 25, "lda/bars/topics": 10, "lda/bars/documents": 2000,
         "lda/bars/doc_length": 100, "lda/bars/alpha": 1.0}
PAPER_SOURCE = {k: _GS2004 for k in PAPER}
TARGET = {"bp_max_err/tree": "<= 1e-5", "bp_max_err/grid": "<= 1e-2",
          "lda_topic_cosine": ">= 0.9", "lda_perplexity_ratio/sklearn": "<= 1.1"}


@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 5
    sample_sizes: tuple[int, ...] = (250, 500, 1000, 2000, 5000, 10000, 20000)
    pc_alpha: float = 0.01
    hc_restarts: int = 50
    hc_perturb: int = 8
    tree_nodes: int = 12
    tree_states: int = 3
    grid_side: int = 4
    grid_coupling_scale: float = 0.5
    bp_iters: int = 200
    bp_damping: float = 0.5
    image_size: int = 64
    flip_prob: float = 0.1
    ising_coupling: float = 1.0
    mcmc_chains: int = 4
    mcmc_samples: int = 2000
    mcmc_burnin: int = 500
    mcmc_rho: float = 0.95
    mh_scale: float = 0.5
    lda_docs: int = 2000
    lda_heldout_docs: int = 200
    lda_doc_length: int = 100
    lda_alpha: float = 1.0
    lda_beta: float = 0.1
    lda_gibbs_sweeps: int = 300
    lda_vi_iters: int = 100

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick(cls) -> "Config":
        return cls(seeds=2, sample_sizes=(500, 5000), bp_iters=100, image_size=32,
                   mcmc_samples=500, mcmc_burnin=100, lda_docs=300, lda_heldout_docs=50,
                   lda_gibbs_sweeps=100, lda_vi_iters=40)


def shapes_image(size: int) -> np.ndarray:
    """A ``size × size`` {0, 1} image: a disc, a square, a triangle and a cross."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    disc = (xx - 0.27) ** 2 + (yy - 0.27) ** 2 < 0.17 ** 2
    square = (np.abs(xx - 0.73) < 0.15) & (np.abs(yy - 0.27) < 0.15)
    triangle = (yy > 0.56) & (yy < 0.88) & (np.abs(xx - 0.27) < (yy - 0.56) * 0.6)
    cross = (((np.abs(xx - 0.73) < 0.05) & (np.abs(yy - 0.73) < 0.17))
             | ((np.abs(yy - 0.73) < 0.05) & (np.abs(xx - 0.73) < 0.17)))
    return (disc | square | triangle | cross).astype(np.int32)


def structure_seed(key: jax.Array, config: Config) -> dict[str, float]:
    """SHD of hill climbing (BIC; greedy, and with perturbed restarts) and PC (G²) to
    Asia's CPDAG per sample size, and the learnt DAG's BIC minus the true DAG's."""
    net = bayesnet.asia()
    truth = structure.dag_to_cpdag(net.adjacency())
    k_data, k_restarts = jax.random.split(key)
    data = np.asarray(bayesnet.sample(k_data, net, max(config.sample_sizes)))
    out = {}
    for n, restart_key in zip(config.sample_sizes,
                              jax.random.split(k_restarts, len(config.sample_sizes))):
        greedy = structure.hill_climb(data[:n], net.cards, score="bic")
        hc = structure.hill_climb(data[:n], net.cards, score="bic", restarts=config.hc_restarts,
                                  perturb=config.hc_perturb, key=restart_key)
        pc = structure.pc(data[:n], net.cards, alpha=config.pc_alpha, test="g2")
        for method, dag in (("hill_climb", hc.adjacency), ("hill_climb_greedy", greedy.adjacency)):
            out[f"shd/{method}/{n}"] = float(structure.shd(structure.dag_to_cpdag(dag), truth))
        out[f"shd/pc/{n}"] = float(structure.shd(pc.cpdag, truth))
        out[f"bic_gap/hill_climb/{n}"] = hc.score - structure.network_score(
            data[:n], net.cards, net.adjacency(), score="bic")
    return out


def bp_seed(key: jax.Array, config: Config) -> tuple[dict[str, float], dict]:
    """Sum-product on a random tree and (damped, loopy) on a grid against brute force."""
    k_tree, k_tree_mrf, k_grid = jax.random.split(key, 3)
    tree = mrf.random_mrf(k_tree_mrf, config.tree_nodes,
                          mrf.random_tree_edges(k_tree, config.tree_nodes), config.tree_states)
    side = config.grid_side
    grid = mrf.random_mrf(k_grid, side * side, mrf.grid_edges(side, side), 2,
                          pairwise_scale=config.grid_coupling_scale)
    metrics, pairs = {}, {}
    for name, model, damping in (("tree", tree, 0.0), ("grid", grid, config.bp_damping)):
        exact = mrf.exact_inference(model)
        bp = mrf.belief_propagation(model, num_iters=config.bp_iters, damping=damping)
        k = model.log_unary.shape[1]
        metrics[f"bp_max_err/{name}"] = float(jnp.max(jnp.abs(bp.node_beliefs
                                                              - exact.marginals[:, :k])))
        metrics[f"bethe_logz_err/{name}"] = float(jnp.abs(bp.log_partition
                                                          - exact.log_partition))
        pairs[name] = (np.asarray(exact.marginals[:, :k]).ravel(),
                       np.asarray(bp.node_beliefs).ravel())
    return metrics, pairs


def denoise_seed(key: jax.Array, config: Config) -> tuple[dict[str, float], dict]:
    """Flip ``flip_prob`` of the shapes image's pixels, restore by loopy BP."""
    clean = jnp.asarray(shapes_image(config.image_size))
    noisy = mrf.flip_noise(key, clean, config.flip_prob)
    restored = mrf.ising_denoise(noisy, flip_prob=config.flip_prob,
                                 coupling=config.ising_coupling)
    metrics = {"denoise_acc": float(jnp.mean(restored.image == clean)),
               "noisy_acc": float(jnp.mean(noisy == clean))}
    return metrics, {"clean": np.asarray(clean), "noisy": np.asarray(noisy),
                     "restored": np.asarray(restored.image)}


def mcmc_seed(key: jax.Array, config: Config) -> tuple[dict[str, float], dict]:
    """Gibbs and random-walk Metropolis on N(0, [[1, ρ], [ρ, 1]]) with several chains."""
    rho = config.mcmc_rho
    k_init, k_gibbs, k_mh = jax.random.split(key, 3)
    init = 3.0 * jax.random.normal(k_init, (config.mcmc_chains, 2))  # overdispersed starts
    gibbs = mcmc.gibbs_bivariate_gaussian(k_gibbs, init, rho=rho, n_samples=config.mcmc_samples,
                                          n_burnin=config.mcmc_burnin)
    precision = jnp.linalg.inv(jnp.array([[1.0, rho], [rho, 1.0]]))

    def log_density(x):
        return -0.5 * x @ precision @ x

    mh = mcmc.random_walk_metropolis(k_mh, log_density, init, n_samples=config.mcmc_samples,
                                     scale=config.mh_scale, n_burnin=config.mcmc_burnin)
    metrics = {}
    for name, samples in (("gibbs", gibbs), ("mh", mh.samples)):
        flat = np.asarray(samples).reshape(-1, 2)
        metrics[f"mcmc_r_hat/{name}"] = float(jnp.max(mcmc.split_r_hat(samples)))
        metrics[f"mcmc_ess/{name}"] = float(jnp.min(mcmc.effective_sample_size(samples)))
        metrics[f"mcmc_corr/{name}"] = float(np.corrcoef(flat.T)[0, 1])
    metrics["mcmc_acceptance/mh"] = float(jnp.mean(mh.acceptance_rate))
    trace = {"gibbs": np.asarray(gibbs), "mh": np.asarray(mh.samples),
             "acf_gibbs": np.asarray(mcmc.autocorrelation(gibbs[..., 0]).mean(0)),
             "acf_mh": np.asarray(mcmc.autocorrelation(mh.samples[..., 0]).mean(0))}
    return metrics, trace


def lda_seed(key: jax.Array, config: Config) -> tuple[dict[str, float], dict]:
    """Bars topics: recovery by collapsed Gibbs and variational LDA; perplexity vs sklearn."""
    from sklearn.decomposition import LatentDirichletAllocation

    k_corpus, k_gibbs, k_vi = jax.random.split(key, 3)
    topics = lda.bars_topics(5)
    n_topics = topics.shape[0]
    corpus = lda.sample_corpus(k_corpus, topics, config.lda_docs + config.lda_heldout_docs,
                               config.lda_doc_length, alpha=config.lda_alpha)
    train = corpus.counts[:config.lda_docs]
    heldout = corpus.counts[config.lda_docs:]
    gibbs = lda.collapsed_gibbs(k_gibbs, train, n_topics, alpha=config.lda_alpha,
                                beta=config.lda_beta, n_sweeps=config.lda_gibbs_sweeps)
    vi = lda.variational_lda(k_vi, train, n_topics, alpha=config.lda_alpha, eta=config.lda_beta,
                             max_iter=config.lda_vi_iters, n_init=8)
    ours = float(lda.perplexity(heldout, vi.topic_word_params, config.lda_alpha, config.lda_beta))
    ref = LatentDirichletAllocation(n_components=n_topics, doc_topic_prior=config.lda_alpha,
                                    topic_word_prior=config.lda_beta, learning_method="batch",
                                    max_iter=config.lda_vi_iters,
                                    random_state=int(jax.random.randint(k_vi, (), 0, 2**30)))
    ref.fit(np.asarray(train))
    theirs = float(ref.perplexity(np.asarray(heldout)))
    gibbs_match = lda.match_topics(gibbs.topic_word, topics)
    vi_match = lda.match_topics(vi.topic_word, topics)
    metrics = {"lda_topic_cosine": gibbs_match.mean_cosine,
               "lda_topic_cosine/variational": vi_match.mean_cosine,
               "lda_perplexity/ours": ours, "lda_perplexity/sklearn": theirs,
               "lda_perplexity_ratio/sklearn": ours / theirs}
    trace = {"true": lda.topic_images(topics),
             "gibbs": lda.topic_images(gibbs.topic_word, order=gibbs_match.order),
             "variational": lda.topic_images(vi.topic_word, order=vi_match.order),
             "gibbs_loglik": np.asarray(gibbs.log_likelihood)}
    return metrics, trace


def run_seed(seed: int, config: Config) -> tuple[dict[str, float], dict]:
    k_structure, k_bp, k_denoise, k_mcmc, k_lda = jax.random.split(jax.random.key(seed), 5)
    metrics = structure_seed(k_structure, config)
    trace = {}
    for part, key in ((bp_seed, k_bp), (denoise_seed, k_denoise), (mcmc_seed, k_mcmc),
                      (lda_seed, k_lda)):
        m, t = part(key, config)
        metrics.update(m)
        trace[part.__name__.removesuffix("_seed")] = t
    return metrics, trace


def _figures(out_dir: Path, per_seed: dict, trace: dict, config: Config) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = np.asarray(config.sample_sizes)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for method, label in (("hill_climb", f"hill climbing (BIC, {config.hc_restarts} restarts)"),
                          ("hill_climb_greedy", "hill climbing (BIC, greedy)"),
                          ("pc", "PC (G²)")):
        stats = [seed_summary(per_seed[f"shd/{method}/{n}"]) for n in sizes]
        mean = np.array([s.mean for s in stats])
        half = np.array([s.ci95 if np.isfinite(s.ci95) else 0.0 for s in stats])
        ax.errorbar(sizes, mean, yerr=half, marker="o", capsize=3, label=label)
    ax.set(xscale="log", xlabel="samples of Asia", ylabel="SHD to the true CPDAG",
           title=f"Asia structure recovery (mean ± 95% t-interval, n={config.seeds})")
    ax.legend()
    save_figure(fig, out_dir, "structure_shd.png")

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    for ax, name in zip(axes, ("tree", "grid")):
        exact, bp = trace["bp"][name]
        ax.axhline(0.0, color="0.7", lw=1)
        ax.plot(exact, bp - exact, ".", ms=5)
        ax.set(xlabel="exact marginal (enumeration)", ylabel="BP belief − exact",
               title=f"sum-product on a {name}: max |error| {np.abs(bp - exact).max():.1e}")
        ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
    save_figure(fig, out_dir, "bp_vs_exact.png")

    d = trace["denoise"]
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    for ax, key, title in zip(axes, ("clean", "noisy", "restored"),
                              ("clean", f"{config.flip_prob:.0%} pixels flipped", "loopy BP")):
        ax.imshow(d[key], cmap="gray_r")
        ax.set(title=title, xticks=[], yticks=[])
    save_figure(fig, out_dir, "ising_denoise.png")

    m = trace["mcmc"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for name, color in (("gibbs", "tab:blue"), ("mh", "tab:orange")):
        r_hat = float(jnp.max(mcmc.split_r_hat(m[name])))
        ess = float(jnp.min(mcmc.effective_sample_size(m[name])))
        label = f"{name} (R̂ {r_hat:.3f}, ESS {ess:.0f})"
        axes[0].plot(m[name][0, :300, 0], color=color, lw=0.8, label=label)
        axes[2].plot(m[f"acf_{name}"][:60], color=color, label=label)
    axes[1].plot(m["gibbs"][0, :, 0], m["gibbs"][0, :, 1], ".", ms=1.5, alpha=0.5)
    axes[0].set(title="trace of x₁ (chain 0, first 300)", xlabel="iteration")
    axes[1].set(title=f"Gibbs samples, ρ = {config.mcmc_rho}", xlabel="x₁", ylabel="x₂")
    axes[2].set(title="autocorrelation of x₁", xlabel="lag")
    axes[0].legend()
    axes[2].legend()
    save_figure(fig, out_dir, "mcmc.png")

    topics = trace["lda"]
    fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
    for row, key in enumerate(("true", "gibbs", "variational")):
        for j in range(10):
            axes[row, j].imshow(topics[key][j], cmap="gray_r")
            axes[row, j].set(xticks=[], yticks=[])
        axes[row, 0].set_ylabel(key, fontsize=8)
    fig.suptitle("bars topics: true and recovered (matched)")
    save_figure(fig, out_dir, "lda_topics.png")
    return ["structure_shd.png", "bp_vs_exact.png", "ising_denoise.png", "mcmc.png",
            "lda_topics.png"]


def _readme(out_dir: Path, results: dict, config: Config, figures: list[str],
            per_seed: dict) -> None:
    m = results["metrics"]
    rows = [[f"shd/{method}/{n}", format_mean_ci(per_seed[f"shd/{method}/{n}"], 2)]
            for method in ("hill_climb", "hill_climb_greedy", "pc") for n in config.sample_sizes]
    rows += [[f"bic_gap/hill_climb/{n}", format_mean_ci(per_seed[f"bic_gap/hill_climb/{n}"], 2)]
             for n in config.sample_sizes]
    rows += [[name, format_mean_ci(per_seed[name], digits)] for name, digits in (
        ("bp_max_err/tree", 8), ("bp_max_err/grid", 5), ("bethe_logz_err/tree", 8),
        ("bethe_logz_err/grid", 5), ("noisy_acc", 4), ("denoise_acc", 4),
        ("mcmc_r_hat/gibbs", 4), ("mcmc_r_hat/mh", 4), ("mcmc_ess/gibbs", 0),
        ("mcmc_ess/mh", 0), ("mcmc_corr/gibbs", 4), ("mcmc_corr/mh", 4),
        ("mcmc_acceptance/mh", 3), ("lda_topic_cosine", 4), ("lda_topic_cosine/variational", 4),
        ("lda_perplexity/ours", 3), ("lda_perplexity/sklearn", 3),
        ("lda_perplexity_ratio/sklearn", 4))]
    table = markdown_table(["metric", "ours (mean ± 95% t-interval)"], rows)
    target_rows = [[k, v, f"{m[k]:.4g}", "met" if target_met(m[k], v) else "not met"]
                   for k, v in TARGET.items()]
    targets = markdown_table(["target", "goal", "ours (mean)", ""], target_rows)
    largest = max(config.sample_sizes)
    text = f"""# Probabilistic graphical models (B.6–B.9)

Bayesian-network structure learning, belief propagation, Ising denoising, MCMC by hand and
LDA, each checked against an oracle: the known generating network, brute-force
enumeration, known posteriors, and scikit-learn's LDA.

**Setup.** Structure: the Asia network (Lauritzen & Spiegelhalter 1988), the first n of
{largest} ancestral samples per seed; hill climbing (BIC, add/delete/reverse, tabu list; greedy, and
with {config.hc_restarts} restarts each perturbed by {config.hc_perturb} random moves) and
PC (G² tests, α = {config.pc_alpha}); SHD between the learned and the true CPDAG. BP: a random
tree of {config.tree_nodes} nodes with {config.tree_states} states, and a {config.grid_side}×{config.grid_side}
binary grid (damping {config.bp_damping}, {config.bp_iters} sweeps), against enumeration.
Denoising: a {config.image_size}×{config.image_size} shapes image, {config.flip_prob:.0%} of pixels
flipped, loopy BP on the Ising posterior with coupling {config.ising_coupling}. MCMC:
{config.mcmc_chains} chains × {config.mcmc_samples} samples after {config.mcmc_burnin} burn-in,
bivariate Gaussian with ρ = {config.mcmc_rho}. LDA: the bars topics of Griffiths & Steyvers
(2004) — the paper used {PAPER['lda/bars/documents']} documents of {PAPER['lda/bars/doc_length']}
words and α = {PAPER['lda/bars/alpha']:g} (`paper` in results.json); this run uses
{config.lda_docs} training and {config.lda_heldout_docs} held-out documents of {config.lda_doc_length}
words, α = {config.lda_alpha:g}, β = {config.lda_beta:g}, {config.lda_gibbs_sweeps} Gibbs sweeps and
{config.lda_vi_iters} variational iterations (scikit-learn's `LatentDirichletAllocation`,
batch, same priors and iterations, is the perplexity reference). Intervals are Student-t
over seeds; n is the number of seeds with a finite value.

{table}

{targets}

**Results.** At {largest} samples, hill climbing with restarts is
{m[f'shd/hill_climb/{largest}']:.2g} edges from Asia's CPDAG (greedy alone
{m[f'shd/hill_climb_greedy/{largest}']:.2g}) and PC {m[f'shd/pc/{largest}']:.2g} (mean over
{config.seeds} seeds); the learnt DAG's BIC is {m[f'bic_gap/hill_climb/{largest}']:+.3g} from the
true DAG's (positive: the search found a better-scoring graph than the truth). Sum-product
is exact on trees up to round-off (largest error {np.max(per_seed['bp_max_err/tree']):.2g}) and
within {np.max(per_seed['bp_max_err/grid']):.2g} of the exact marginals on the loopy grid. Denoising
raises the fraction of correct pixels from {m['noisy_acc']:.3f} to {m['denoise_acc']:.3f}. Gibbs
keeps an effective sample size of {m['mcmc_ess/gibbs']:.0f} of {config.mcmc_chains * config.mcmc_samples}
draws at ρ = {config.mcmc_rho}, random-walk Metropolis {m['mcmc_ess/mh']:.0f} (acceptance
{m['mcmc_acceptance/mh']:.2f}). Collapsed Gibbs recovers the bars with mean cosine
{m['lda_topic_cosine']:.3f}, variational LDA with {m['lda_topic_cosine/variational']:.3f}; our held-out
perplexity is {m['lda_perplexity_ratio/sklearn']:.3f}× scikit-learn's.

{machine_line(results)}

**Reproduce:** `jaxml repro {NAME}` (full, writes this folder) or `jaxml repro {NAME} --quick`.

""" + "\n".join(f"![{f}]({f})" for f in figures) + "\n"
    (out_dir / "README.md").write_text(text)


def run(config: Config, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    with Timer() as total:
        per_seed, first_trace = run_seeds(NAME, config.seeds,
                                          lambda seed: run_seed(seed, config))
    metrics = {}
    for name, values in per_seed.items():
        metrics.update(seed_metrics(name, values))
    figures = _figures(out_dir, per_seed, first_trace, config)
    results = write_results(out_dir, experiment=NAME, config=config, metrics=metrics,
                            paper=PAPER, paper_source=PAPER_SOURCE, target=TARGET,
                            seeds=config.seeds, wall_time_s=total.seconds,
                            extra={"per_seed": per_seed})
    _readme(out_dir, results, config, figures, per_seed)
    return results


if __name__ == "__main__":
    main_for(__name__)
