"""The experiment contract: every module under experiments/ passes the same checks.

* shape: ``NAME``, a docstring (its ``--list`` line), frozen ``Config`` presets, ``PAPER``
  with a citation for every number in ``PAPER_SOURCE``, goals (if any) in ``TARGET``, and
  every ``Config`` field read by the module;
* the ``--quick`` preset, run as a user runs it (``jaxml repro NAME --quick`` in a fresh
  process), exits 0 and writes a results.json that passes the schema check;
* every committed ``paper_repro/<name>/results.json`` passes the schema and comes from one
  full run (preset ``full``) of committed code.
"""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jaxml import experiment

NAMES = experiment.list_experiments()
ROOT = Path(experiment.__file__).resolve().parents[1]


@pytest.mark.parametrize("name", NAMES)
def test_experiment_module_shape(name):
    module = experiment.load_experiment(name)
    assert module.NAME == name
    assert (module.__doc__ or "").strip(), "an experiment needs a docstring (its --list line)"
    for preset in (module.Config.quick(), module.Config.full()):
        assert dataclasses.is_dataclass(preset)
        with pytest.raises(dataclasses.FrozenInstanceError):
            preset.seeds = 99
    assert isinstance(module.PAPER, dict)
    sources = getattr(module, "PAPER_SOURCE", {})
    assert set(module.PAPER) <= set(sources), "every PAPER number needs its PAPER_SOURCE"
    for goal in getattr(module, "TARGET", {}).values():
        experiment.target_met(0.0, goal)  # a malformed goal raises
    assert experiment.make_config(module, quick=True, seeds=3).seeds == 3
    assert experiment.unused_config_fields(module) == []


@pytest.mark.parametrize("name", NAMES)
def test_quick_preset_from_the_command_line(name, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jaxml.cli", "repro", name, "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    experiment.validate_results(results)
    assert results["experiment"] == name
    assert results["provenance"]["preset"] == "quick"
    assert results["metrics"], "a run reports at least one metric"
    assert (tmp_path / "README.md").exists()


@pytest.mark.parametrize("name", sorted(p.parent.name for p in (ROOT / "paper_repro").glob("*/results.json")))
def test_committed_paper_repro_comes_from_one_full_run(name):
    results = json.loads((ROOT / "paper_repro" / name / "results.json").read_text())
    experiment.validate_results(results)
    assert results["experiment"] == name and name in NAMES
    assert results["provenance"]["preset"] == "full"
    assert results["provenance"]["git_dirty"] is False
