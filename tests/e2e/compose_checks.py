"""Checks of the Compose deployment after the journey: every process's logs and metrics, as an operator reads them.

`scripts/compose-journey` saves each application container's log (`podman logs`) and `/metrics` answer into a
folder and runs `python -m tests.e2e.compose_checks FOLDER`. It fails (exit 1, one line per problem) when a log
line is not one JSON object with the fields of docs/logging.md, when a text, phone number or raw id of the
journey's user shows in a log, when Rasa's and the action servers' lines do not share the conversation's hash
(one OKPAY_LOG_HASH_KEY), or when the metrics did not count the journey.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List, Set

from prometheus_client.parser import text_string_to_metric_families

FIELDS = ("timestamp", "level", "process", "logger", "event")
#: What the journey's user typed (tests/e2e/journey.py), which no log line may carry.
USER_WORDS = ("提现三天了还没到账", "13812345678", "前天上午10点", "处理得很快", "请快一点")
SERVERS = ("rasa-1", "rasa-2", "actions-1", "actions-2", "console")


def log_problems(folder: Path, user_id: str) -> List[str]:
    problems: List[str] = []
    hashes: Dict[str, Set[str]] = {}
    for service in SERVERS:
        lines = [line for line in (folder / f"{service}.log").read_text(encoding="utf-8").splitlines() if line]
        if not lines:
            problems.append(f"{service}: no log lines")
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError:
                problems.append(f"{service}:{number}: not JSON: {line[:120]}")
                continue
            missing = [name for name in FIELDS if name not in record]
            if missing:
                problems.append(f"{service}:{number}: without {', '.join(missing)}")
            leaked = [word for word in (*USER_WORDS, user_id) if word and word in line]
            if leaked:
                problems.append(f"{service}:{number}: shows the user's {leaked[0]!r}")
            if record.get("conversation"):
                hashes.setdefault(service.split("-")[0], set()).add(record["conversation"])
    if not hashes.get("rasa", set()) & hashes.get("actions", set()):
        problems.append("no conversation hash is in both Rasa's and the action servers' lines")
    return problems


def counted(folder: Path, service: str) -> Dict[str, float]:
    """`service`'s samples summed by name (labels dropped)."""
    totals: Dict[str, float] = {}
    text = (folder / f"{service}.metrics").read_text(encoding="utf-8")
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def metric_problems(folder: Path) -> List[str]:
    rasa = [counted(folder, name) for name in ("rasa-1", "rasa-2")]
    actions = [counted(folder, name) for name in ("actions-1", "actions-2")]
    console = counted(folder, "console")
    wanted = {
        "Rasa: messages": sum(r.get("okpay_messages_total", 0) for r in rasa),
        "Rasa: timed turns": sum(r.get("okpay_turn_duration_seconds_count", 0) for r in rasa),
        "Rasa: intents": sum(r.get("okpay_intents_total", 0) for r in rasa),
        "actions: guide steps": sum(a.get("okpay_guide_steps_total", 0) for a in actions),
        "actions: tickets opened": sum(a.get("okpay_tickets_opened_total", 0) for a in actions),
        "console: claims": console.get("okpay_handoffs_claimed_total", 0),
        "console: resolves": console.get("okpay_handoffs_resolved_total", 0),
    }
    return [f"metrics: {name} not counted" for name, value in wanted.items() if value <= 0]


def main(argv: List[str]) -> int:
    folder, user_id = Path(argv[0]), (argv[1] if len(argv) > 1 else "")
    problems = log_problems(folder, user_id) + metric_problems(folder)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        return 1
    lines = sum(1 for name in SERVERS for line in (folder / f"{name}.log").read_text(encoding="utf-8").splitlines()
                if line)
    print(f"logs: all {lines} lines of {', '.join(SERVERS)} are JSON, without the user's words or id, "
          "one conversation hash in Rasa's and the actions' lines; metrics counted the journey")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
