"""The ``jaxml`` command.

    jaxml repro --list
    jaxml repro NAME [--quick] [--out DIR] [--seeds N] [--set FIELD=VALUE] [--track]
    jaxml serve ARTIFACT [ARTIFACT ...] [--host H] [--port P] [--max-batch-size N]
                [--max-delay-ms MS] [--no-batching] [--timeout-s S] [--max-body-bytes B]
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


def _serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    missing = [a for a in args.artifacts if not (Path(a) / "manifest.json").exists()]
    if missing:
        print(f"jaxml serve: {missing} hold no manifest.json (export a model with "
              "jaxml.deploy.export.export_model)", file=sys.stderr)
        return 2
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"jaxml serve needs {', '.join(missing)}, from jaxml's deploy extra: pip install -e \".[deploy]\"",
              file=sys.stderr)
        return 2
    from jaxml.deploy.serve import serve

    print(f"[jaxml] serving {len(args.artifacts)} model(s) on http://{args.host}:{args.port}/v2", flush=True)
    serve(args.artifacts, host=args.host, port=args.port, max_batch_size=args.max_batch_size,
          max_delay_ms=args.max_delay_ms, batching=not args.no_batching, timeout_s=args.timeout_s,
          max_body_bytes=args.max_body_bytes)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxml", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    repro = sub.add_parser("repro", help="run a paper reproduction / experiment")
    experiment.add_repro_arguments(repro)
    repro.set_defaults(func=experiment.repro_command)
    srv = sub.add_parser("serve", help="serve exported models over the Open Inference Protocol (KServe v2)")
    srv.add_argument("artifacts", nargs="+", help="folders written by jaxml.deploy.export.export_model")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--max-batch-size", type=int, default=64, help="rows per batched call")
    srv.add_argument("--max-delay-ms", type=float, default=2.0, help="longest wait to fill a batch")
    srv.add_argument("--no-batching", action="store_true", help="one call per request")
    srv.add_argument("--timeout-s", type=float, default=10.0, help="per-request timeout (504)")
    srv.add_argument("--max-body-bytes", type=int, default=8 * 2 ** 20, help="larger bodies get 413")
    srv.set_defaults(func=_serve)
    cat = sub.add_parser("catalog", help="show catalog coverage")
    cat.add_argument("--json", action="store_true", help="machine-readable output")
    cat.set_defaults(func=_catalog)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
