"""`rasa data validate`, strict.

Rasa's `--fail-on-warnings` still exits 0 on some warnings, so this reads the
warnings it prints and fails on any that is not known to be harmless:

- a response "not used in any story or rule" that an action utters by name
  (bot/actions/responses.py), which the validator cannot see;
- the retrieval intent `faq` reported as "duplicated" because Rasa merges it
  from the NLU data into the domain a second time;
- an `EXTERNAL_…` intent without NLU examples: the console triggers it through
  the HTTP API, nobody types it.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from typing import Iterable, List

from bot.actions.responses import responses_uttered_by_actions
from bot.settings import PROJECT_ROOT

_WARNING = re.compile(r"UserWarning: (.*)")
_UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
_EXTERNAL_INTENT = re.compile(
    r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU training data\."
)
_DUPLICATE_FAQ = "The following duplicated intents have been found across multiple domain files: faq"


def unexpected_warnings(output: str, uttered_by_actions: Iterable[str]) -> List[str]:
    allowed = set(uttered_by_actions)
    problems = []
    for match in _WARNING.finditer(output):
        warning = match.group(1).strip()
        unused = _UNUSED.fullmatch(warning)
        if unused and unused.group(1) in allowed:
            continue
        if warning == _DUPLICATE_FAQ or _EXTERNAL_INTENT.fullmatch(warning):
            continue
        problems.append(warning)
    return problems


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.validate", description="rasa data validate, strict.")
    parser.add_argument("--data", default="bot/data", help="training data folder (default: bot/data)")
    args = parser.parse_args(argv)
    command = [
        sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings",
        "--data", args.data, "--domain", "domain.yml", "--config", "config.yml",
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    problems = unexpected_warnings(output, responses_uttered_by_actions())
    for problem in problems:
        print(f"validation warning: {problem}", file=sys.stderr)
    if result.returncode != 0:
        print(output[-4000:], file=sys.stderr)
        print(f"rasa data validate exited with {result.returncode}", file=sys.stderr)
        return 1
    if problems:
        return 1
    print("rasa data validate: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
