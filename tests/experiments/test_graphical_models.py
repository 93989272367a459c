"""graphical_models end to end: the session's quick run (conftest), and the experiment's
own pieces (the shapes image, the bars setup in ``PAPER``)."""

import json

import numpy as np
import pytest

from jaxml import experiment
from jaxml.experiments import graphical_models as exp

pytestmark = pytest.mark.xdist_group("graphical_models")  # shares the quick run (conftest)


def test_quick_run_writes_results(quick_run):
    run = quick_run("graphical_models")
    assert run.returncode == 0, run.stderr[-3000:]
    out, config = run.out, exp.Config.quick()
    saved = json.loads((out / "results.json").read_text())
    experiment.validate_results(saved)
    assert saved["experiment"] == "graphical_models" and saved["seeds"] == config.seeds
    assert saved["paper"] == exp.PAPER and set(saved["paper_source"]) == set(exp.PAPER)
    m = saved["metrics"]
    for n in config.sample_sizes:
        for method in ("hill_climb", "hill_climb_greedy", "pc"):
            assert m[f"shd_n/{method}/{n}"] == config.seeds
            assert m[f"shd_failed/{method}/{n}"] == 0
    largest = max(config.sample_sizes)
    assert m[f"shd/hill_climb/{largest}"] <= 3  # Asia has 8 edges; 5000 samples
    assert m[f"bic_gap/hill_climb/{largest}"] > -5  # restarts reach the true DAG's BIC
    assert m["bp_max_err/tree"] < 1e-5  # exact on trees up to float32 round-off
    assert m["bp_max_err/grid"] < 1e-2
    assert m["denoise_acc"] > m["noisy_acc"] + 0.05
    assert m["mcmc_acceptance/mh"] == pytest.approx(0.45, abs=0.15)
    assert abs(m["mcmc_corr/gibbs"] - config.mcmc_rho) < 0.05
    assert m["lda_topic_cosine"] > 0.9 and m["lda_topic_cosine/variational"] > 0.9
    assert 0.9 < m["lda_perplexity_ratio/sklearn"] < 1.1
    per_seed = np.asarray(saved["extra"]["per_seed"]["denoise_acc"])
    assert m["denoise_acc_ci95"] == pytest.approx(experiment.ci95(per_seed), rel=1e-2)  # extra is rounded
    readme = (out / "README.md").read_text()
    assert f"(n={config.seeds})" in readme and "load average" in readme
    for name in ("README.md", "structure_shd.png", "bp_vs_exact.png", "ising_denoise.png",
                 "mcmc.png", "lda_topics.png"):
        assert (out / name).is_file()


def test_shapes_image_is_binary_with_four_separate_shapes():
    scipy_ndimage = pytest.importorskip("scipy.ndimage")
    image = exp.shapes_image(64)
    assert image.shape == (64, 64) and set(np.unique(image)) == {0, 1}
    _, count = scipy_ndimage.label(image)
    assert count == 4
    assert 0.1 < image.mean() < 0.5


def test_paper_holds_the_bars_setup_and_quick_is_smaller():
    assert exp.PAPER["lda/bars/vocabulary"] == 25 and exp.PAPER["lda/bars/topics"] == 10
    assert all("Griffiths & Steyvers" in exp.PAPER_SOURCE[k] for k in exp.PAPER)
    full, quick = exp.Config.full(), exp.Config.quick()
    assert full.lda_docs == exp.PAPER["lda/bars/documents"]
    assert full.lda_doc_length == exp.PAPER["lda/bars/doc_length"]
    assert quick.seeds < full.seeds and max(quick.sample_sizes) < max(full.sample_sizes)
