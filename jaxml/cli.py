"""The ``jaxml`` command.

    jaxml repro --list
    jaxml repro NAME [--quick] [--out DIR] [--seeds N] [--set FIELD=VALUE] [--track]
    jaxml catalog [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from jaxml import experiment


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
    experiment.add_repro_arguments(repro)
    repro.set_defaults(func=experiment.repro_command)
    cat = sub.add_parser("catalog", help="show catalog coverage")
    cat.add_argument("--json", action="store_true", help="machine-readable output")
    cat.set_defaults(func=_catalog)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
