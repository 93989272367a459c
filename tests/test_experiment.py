"""The experiment framework: results.json schema, Student-t intervals, seed failures, CLI."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from jaxml import experiment


@dataclasses.dataclass(frozen=True)
class Cfg:
    seeds: int = 2
    widths: tuple = (1, 2)


def _write(tmp_path, **overrides):
    kwargs = dict(experiment="demo", config=Cfg(), metrics={"acc/a": np.float32(0.5),
                                                            "undefined": float("nan")},
                  paper={"acc/a": 0.6}, paper_source={"acc/a": "Someone et al. 2020, Table 1"},
                  target={"acc/a": ">= 0.55"}, seeds=2, wall_time_s=1.23456,
                  extra={"curve": np.arange(3), "per_seed": np.array([1.0, np.nan])})
    kwargs.update(overrides)
    return experiment.write_results(tmp_path, **kwargs)


def test_write_results_has_the_project_wide_top_level(tmp_path):
    results = _write(tmp_path)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == results
    assert list(on_disk)[:len(experiment.TOP_LEVEL)] == list(experiment.TOP_LEVEL)
    assert on_disk["config"] == {"seeds": 2, "widths": [1, 2]}
    assert on_disk["metrics"] == {"acc/a": 0.5, "undefined": None}
    assert on_disk["paper_source"] == {"acc/a": "Someone et al. 2020, Table 1"}
    assert on_disk["target"] == {"acc/a": ">= 0.55"}
    assert on_disk["extra"]["curve"] == [0.0, 1.0, 2.0]
    assert on_disk["extra"]["per_seed"] == [1.0, None]  # strict JSON: no NaN
    machine = on_disk["machine"]
    assert set(experiment.MACHINE_FIELDS) <= set(machine)
    assert machine["cpus"] >= 1 and len(machine["load_end"]) == 3 and "cpu" in machine["device"]
    assert on_disk["provenance"]["preset"] == "direct"
    experiment.validate_results(on_disk)


def test_write_results_rejects_what_the_schema_forbids(tmp_path):
    with pytest.raises(ValueError, match="metrics must be scalars"):
        _write(tmp_path, metrics={"x": np.ones(2)})
    with pytest.raises(ValueError, match="paper_source must cite every paper number.*acc/a"):
        _write(tmp_path, paper_source={})
    with pytest.raises(ValueError, match="goal must be a number or start with"):
        _write(tmp_path, target={"acc/a": "about 0.5"})
    good = _write(tmp_path)
    for key in experiment.TOP_LEVEL:
        broken = {k: v for k, v in good.items() if k != key}
        with pytest.raises(ValueError, match=f"missing top-level key '{key}'"):
            experiment.validate_results(broken)
    with pytest.raises(ValueError, match="seeds"):
        experiment.validate_results({**good, "seeds": 0})
    with pytest.raises(ValueError, match="machine has no 'cpu_model'"):
        experiment.validate_results({**good, "machine": {"cpus": 2}})


@pytest.mark.parametrize("n", [2, 3, 5, 30])
def test_ci95_is_student_t(n):
    values = np.random.default_rng(n).normal(size=(n, 3))
    sem = values.std(axis=0, ddof=1) / np.sqrt(n)
    # the oracle: SciPy's own t interval of the mean
    low, high = stats.t.interval(0.95, n - 1, loc=values.mean(0), scale=sem)
    np.testing.assert_allclose(experiment.ci95(values), (high - low) / 2, rtol=1e-12)
    assert experiment.t_quantile(n - 1) > 1.96


def test_one_seed_has_no_interval():
    assert np.isnan(experiment.ci95([0.5]))
    assert experiment.format_mean_ci([0.5]) == "0.500 (n=1)"


def test_failed_seeds_are_counted_not_hidden():
    values = [0.9, np.nan, 0.8, np.inf, 0.7]
    s = experiment.seed_summary(values)
    assert (s.n, s.n_failed) == (3, 2)
    assert s.mean == pytest.approx(0.8)
    assert s.ci95 == pytest.approx(stats.t.ppf(0.975, 2) * 0.1 / np.sqrt(3))
    assert experiment.format_mean_ci(values, 2) == f"0.80 ± {s.ci95:.2f} (n=3, 2 failed)"
    assert experiment.format_mean_ci([np.nan, np.nan]) == "— (all 2 seeds failed)"
    m = experiment.seed_metrics("acc/cnn", values)
    assert m["acc/cnn"] == pytest.approx(0.8)
    assert (m["acc_n/cnn"], m["acc_failed/cnn"]) == (3, 2)
    assert m["acc_ci95/cnn"] == pytest.approx(s.ci95)
    with pytest.raises(ValueError, match="at least one seed"):
        experiment.seed_summary([])


def test_target_met():
    assert experiment.target_met(0.61, ">= 0.6") is True
    assert experiment.target_met(0.06, "<= 0.05") is False
    assert experiment.target_met(1.0, 1.0) is True
    assert experiment.target_met(None, ">= 0.6") is None


def test_markdown_table():
    table = experiment.markdown_table(["a", "b"], [[1, 0.123456]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 0.1235 |"]


def test_unused_config_fields_sees_reads_outside_the_config_class(tmp_path, monkeypatch):
    source = '''
import dataclasses
@dataclasses.dataclass(frozen=True)
class Config:
    seeds: int = 1
    used: int = 2
    ignored: int = 3
    derived: int = 4
    @property
    def double(self):
        return 2 * self.derived
    @classmethod
    def quick(cls):
        return cls(ignored=cls.ignored)
def run(config, out_dir):
    write_results(out_dir, seeds=config.seeds)
    return config.used + config.double
'''
    (tmp_path / "fake_exp.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    module = importlib.import_module("fake_exp")
    assert experiment.unused_config_fields(module) == ["ignored", "seeds"]


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown experiment 'nope'; known:"):
        experiment.load_experiment("nope")


def test_missing_extra_is_named(monkeypatch):
    import importlib

    def fake_import(name, *args):
        err = ModuleNotFoundError("No module named 'gymnax'")
        err.name = "gymnax"
        raise err

    monkeypatch.setattr(importlib, "import_module", fake_import)
    monkeypatch.setattr(experiment, "list_experiments", lambda: ["rl_cartpole"])
    with pytest.raises(ImportError, match=r"needs 'gymnax', from jaxml's 'rl' extra"):
        experiment.load_experiment("rl_cartpole")


def test_repro_list_reads_docstrings_without_importing():
    code = ("import sys; from jaxml import experiment; experiment.repro_main(['--list']); "
            "print('imported:', sorted(m for m in sys.modules if m.startswith('jaxml.experiments.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "mnist1d_baselines" in out and "imported: []" in out


def test_no_top_level_experiments_package_is_installed(tmp_path):
    code = "import importlib.util as u; print(u.find_spec('experiments'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert out.strip() == "None"


def test_python_m_returns_the_cli_exit_code(tmp_path):
    """``python -m experiments.NAME`` from a checkout exits with the command's code."""
    from pathlib import Path

    root = Path(experiment.__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "experiments.hmm_casino", "--seeds", "0"],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 2 and "seeds must be an integer >= 1" in proc.stderr


def test_no_import_cycle_between_cli_and_experiment():
    import ast
    from pathlib import Path

    source = Path(experiment.__file__).read_text()
    imported = {alias.name for node in ast.walk(ast.parse(source))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(ast.parse(source))
                                             if isinstance(node, ast.ImportFrom) and node.module}
    assert not {"jaxml.cli", "cli"} & imported


@dataclasses.dataclass(frozen=True)
class Preset:
    seeds: int = 2
    lr: float = 0.1
    peer: bool = True
    widths: tuple = (1, 2)
    name: str = "adam"

    def __post_init__(self):
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")

    @classmethod
    def quick(cls):
        return cls(seeds=1)

    @classmethod
    def full(cls):
        return cls()


class _Module:
    __name__ = "jaxml.experiments.demo"
    Config = Preset


@pytest.mark.parametrize("text, expected", [
    ("peer=False", ("peer", False)), ("lr=1e-3", ("lr", 1e-3)), ("widths=(8, 16)", ("widths", (8, 16))),
    ("name=sgd", ("name", "sgd")), (" seeds = 3 ", ("seeds", 3))])
def test_parse_override(text, expected):
    assert experiment.parse_override(text) == expected


@pytest.mark.parametrize("text", ["peer", "=1", "2x=3"])
def test_parse_override_rejects_what_is_not_field_equals_value(text):
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        experiment.parse_override(text)


def test_make_config_overrides_fields_with_the_preset_types():
    config = experiment.make_config(_Module, quick=True, overrides={"peer": False, "lr": 1,
                                                                    "widths": [4]})
    assert config == Preset(seeds=1, peer=False, lr=1.0, widths=(4,))
    assert isinstance(config.lr, float)
    with pytest.raises(ValueError, match="no field 'nope'; fields: lr, name, peer, seeds, widths"):
        experiment.make_config(_Module, quick=True, overrides={"nope": 1})
    with pytest.raises(ValueError, match="peer must be of type bool, like the preset's True; got 'no'"):
        experiment.make_config(_Module, quick=True, overrides={"peer": "no"})
    with pytest.raises(ValueError, match="lr must be > 0"):  # Config's own checks still run
        experiment.make_config(_Module, quick=False, overrides={"lr": -1.0})


def test_preset_label_names_every_change():
    assert experiment.preset_label(quick=False) == "full"
    assert experiment.preset_label(quick=True, seeds=3, overrides={"peer": False}) == "quick+seeds=3+peer=False"


def test_require_modules_names_the_missing_peer_and_its_extra(monkeypatch):
    experiment.require_modules("demo", ("json",))  # present: nothing happens
    with pytest.raises(ImportError, match=r"needs 'jaxml_no_such_peer', which jaxml does not install; or X"):
        experiment.require_modules("demo", ("jaxml_no_such_peer",), instead="X")
    monkeypatch.setattr(experiment.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"'torch', from jaxml's 'bench' extra: pip install -e \"\.\[bench\]\""):
        experiment.require_modules("demo", ("torch",))


def test_repro_set_is_recorded_and_bad_values_exit_2(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "jaxml.cli", "repro", "hmm_casino", "--quick",
                          "--set", "seeds=zero"], capture_output=True, text=True)
    assert bad.returncode == 2 and "seeds must be of type int" in bad.stderr
    proc = subprocess.run([sys.executable, "-m", "jaxml.cli", "repro", "hmm_casino", "--quick",
                           "--set", "bw_max_iter=5", "--set", "decode_length=50",
                           "--set", "bw_length=50", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["provenance"]["preset"] == "quick+bw_max_iter=5+decode_length=50+bw_length=50"
    assert results["config"]["bw_max_iter"] == 5 and results["config"]["decode_length"] == 50


def test_run_seeds_stacks_metrics_and_keeps_the_first_trace():
    per_seed, trace = experiment.run_seeds(
        "demo", 3, lambda seed: ({"a": seed, "b/x": 2.0 * seed}, {"seed": seed}))
    np.testing.assert_array_equal(per_seed["a"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(per_seed["b/x"], [0.0, 2.0, 4.0])
    assert per_seed["a"].dtype == float and trace == {"seed": 0}
    with pytest.raises(ValueError, match="seed 1 of demo reported metrics"):
        experiment.run_seeds("demo", 2, lambda seed: ({"a": 1.0} if seed == 0 else {}, None))
