"""`python -m bot.deploy.kubernetes render --values FILE [--values FILE …] [--part setup|app] [--without-secret]`.

Prints the manifests (YAML, one document per object) to stdout. The values files merge key by key, later
ones winning. It says on stderr when the Secret's values are placeholders production refuses (the pods
would stop at start), and with `--strict` fails then.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List

from bot.deploy.kubernetes.render import PARTS, documents, to_yaml
from bot.deploy.kubernetes.values import ValuesError, load_values, pod_environment, production_problems


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.deploy.kubernetes", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="print the manifests")
    render.add_argument("--values", type=Path, action="append", required=True,
                        help="a values file (deploy/kubernetes/values.example.yml); repeat to override")
    render.add_argument("--part", choices=PARTS, default="all",
                        help="setup: ConfigMap, Secret, migration Job; app: everything else (docs/kubernetes.md)")
    render.add_argument("--without-secret", action="store_true",
                        help="leave the Secret out (you manage it yourself)")
    render.add_argument("--strict", action="store_true", help="fail when production would refuse a setting")
    args = parser.parse_args(argv)
    # Rasa's tracker store, imported for the processes' shared environment, warns about SQLAlchemy 2.0
    # unless told not to (scripts/lib.sh says it for every command it runs).
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    try:
        values = load_values(args.values)
        docs = documents(values, args.part, with_secret=not args.without_secret)
        problems = production_problems(pod_environment(values))
    except (ValuesError, KeyError, OSError) as error:
        print(f"error: {error if not isinstance(error, KeyError) else f'values: missing {error}'}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"{'error' if args.strict else 'warning'}: production refuses these values: {problem} "
              "(docs/kubernetes.md, Secrets)", file=sys.stderr)
    if problems and args.strict:
        return 1
    sys.stdout.write(to_yaml(docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
