"""The experiment framework and the conformance of every experiment module."""

import dataclasses
import json

import numpy as np
import pytest

from jaxml import experiment


def test_write_results_has_the_project_wide_top_level(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Cfg:
        seeds: int = 2
        widths: tuple = (1, 2)

    results = experiment.write_results(
        tmp_path, experiment="demo", config=Cfg(), metrics={"acc/a": np.float32(0.5),
                                                           "undefined": float("nan")},
        paper={"acc/a": 0.6}, seeds=2, wall_time_s=1.23456, extra={"curve": np.arange(3)})
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == results
    assert list(on_disk)[:7] == ["experiment", "config", "metrics", "paper", "seeds",
                                 "wall_time_s", "jax_version"]
    assert on_disk["config"] == {"seeds": 2, "widths": [1, 2]}
    assert on_disk["metrics"] == {"acc/a": 0.5, "undefined": None}
    assert on_disk["extra"]["curve"] == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="metrics must be scalars"):
        experiment.write_results(tmp_path, experiment="demo", config=Cfg(),
                                 metrics={"x": np.ones(2)}, paper={}, seeds=1, wall_time_s=0)


def test_ci95_and_table():
    values = np.array([[1.0, 2.0], [3.0, 2.0]])
    np.testing.assert_allclose(experiment.ci95(values), 1.96 * np.array([np.sqrt(2), 0]) / np.sqrt(2))
    table = experiment.markdown_table(["a", "b"], [[1, 0.123456]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.1235 |"]


@pytest.mark.parametrize("name", experiment.list_experiments())
def test_every_experiment_conforms(name):
    module = experiment.load_experiment(name)
    assert module.NAME == name
    assert (module.__doc__ or "").strip(), "an experiment needs a docstring (its --list line)"
    for preset in (module.Config.quick(), module.Config.full()):
        assert dataclasses.is_dataclass(preset)
        with pytest.raises(dataclasses.FrozenInstanceError):
            preset.seeds = 99
    assert isinstance(module.PAPER, dict)
    assert experiment.make_config(module, quick=True, seeds=3).seeds == 3


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown experiment 'nope'; known:"):
        experiment.load_experiment("nope")
