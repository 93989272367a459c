"""The ``jaxml`` command.

    jaxml repro --list
    jaxml repro NAME [--quick] [--out DIR] [--seeds N]
    jaxml catalog [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _repro(args: argparse.Namespace) -> int:
    from jaxml import experiment

    if args.list or args.name is None:
        for name in experiment.list_experiments():
            module = experiment.load_experiment(name)
            doc = (module.__doc__ or "").strip().splitlines()
            print(f"{name:24s} {doc[0] if doc else ''}")
        return 0
    try:
        module = experiment.load_experiment(args.name)
        config = experiment.make_config(module, quick=args.quick, seeds=args.seeds)
    except ValueError as err:
        print(f"jaxml repro: {err}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else experiment.default_out_dir(args.name, quick=args.quick)
    out.mkdir(parents=True, exist_ok=True)
    print(f"[jaxml] {args.name} ({'quick' if args.quick else 'full'}): {config}", flush=True)
    start = time.perf_counter()
    results = module.run(config, out)
    elapsed = time.perf_counter() - start
    for key, value in sorted(results.get("metrics", {}).items()):
        print(f"  {key:40s} {value}")
    print(f"[jaxml] done in {elapsed:.1f}s; results in {out.resolve()}", flush=True)
    return 0


def _catalog(args: argparse.Namespace) -> int:
    from jaxml import catalog

    if args.json:
        rows = [
            {"id": e.id, "title": e.title, "status": e.status,
             "symbols": list(e.symbols), "tests": list(e.tests)}
            for e in catalog.ENTRIES
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for e in catalog.ENTRIES:
        mark = "x" if e.status == "verified" else " "
        where = f"  {e.symbols[0]}" if e.symbols else ""
        print(f"[{mark}] {e.id:9s} {e.title}{where}")
    done, total = catalog.coverage()
    print(f"\n{done}/{total} catalog entries verified")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxml", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    repro = sub.add_parser("repro", help="run a paper reproduction / experiment")
    repro.add_argument("name", nargs="?", help="experiment name (see --list)")
    repro.add_argument("--list", action="store_true", help="list the experiments")
    repro.add_argument("--quick", action="store_true", help="the small preset (minutes)")
    repro.add_argument("--out", help="output folder (default paper_repro/NAME, or runs/NAME_quick)")
    repro.add_argument("--seeds", type=int, help="number of seeds (overrides the preset)")
    repro.set_defaults(func=_repro)
    cat = sub.add_parser("catalog", help="show catalog coverage")
    cat.add_argument("--json", action="store_true", help="machine-readable output")
    cat.set_defaults(func=_catalog)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
