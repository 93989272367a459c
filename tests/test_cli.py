import json
import subprocess
import sys

from jaxml import catalog, cli


def test_repro_list(capsys):
    assert cli.main(["repro", "--list"]) == 0
    assert "mnist1d_baselines" in capsys.readouterr().out


def test_repro_unknown_name_fails_cleanly(capsys):
    assert cli.main(["repro", "no_such_experiment"]) == 2
    assert "unknown experiment" in capsys.readouterr().err


def test_catalog_text_and_json(capsys):
    assert cli.main(["catalog"]) == 0
    out = capsys.readouterr().out
    done, total = catalog.coverage()
    assert f"{done}/{total} catalog entries verified" in out
    assert "T.m1d.1" in out
    assert cli.main(["catalog", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == total and {"id", "title", "status", "symbols", "tests"} <= set(rows[0])


def test_console_script_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "jaxml.cli", "catalog"], capture_output=True,
                          text=True, check=True)
    assert "catalog entries verified" in proc.stdout
