"""Creates and manages console accounts.

    python -m bot.console.agents create li --name 小李 --number KF1001 [--supervisor] [--senior]
    python -m bot.console.agents list
    python -m bot.console.agents deactivate li

The password is read from the terminal (twice), or from stdin with
--password-stdin for scripts.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import List

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.agents.models import AGENT, SUPERVISOR, Agent
from bot.console.passwords import hash_password
from bot.database.database import get_database
from bot.database.migrate import upgrade


def create_agent(
    session: Session, username: str, display_name: str, agent_number: str, password: str,
    role: str = AGENT, senior: bool = False,
) -> Agent:
    agent = Agent(
        username=username, display_name=display_name, agent_number=agent_number,
        password_hash=hash_password(password), role=role, senior=senior or role == SUPERVISOR,
    )
    session.add(agent)
    session.flush()
    return agent


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("error: the two passwords differ")
    return first


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage agent console accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an agent or a supervisor")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="display name users see, e.g. 小李")
    create.add_argument("--number", required=True, help="agent number (工号) users may ask for, e.g. KF1001")
    create.add_argument("--supervisor", action="store_true", help="supervisor role (also serves the senior queue)")
    create.add_argument("--senior", action="store_true", help="serves the senior queue")
    create.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list", help="list accounts")
    deactivate = commands.add_parser("deactivate", help="stop an account from signing in")
    deactivate.add_argument("username")
    args = parser.parse_args(argv)

    upgrade()
    database = get_database()
    if args.command == "create":
        password = _read_password(args.password_stdin)
        try:
            with database.session() as session:
                agent = create_agent(
                    session, args.username, args.name, args.number, password,
                    SUPERVISOR if args.supervisor else AGENT, args.senior,
                )
                print(f"created {agent.role} {agent.username} ({agent.display_name}, {agent.agent_number})")
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except IntegrityError:
            print("error: that username or agent number is taken", file=sys.stderr)
            return 1
        return 0
    with database.session() as session:
        if args.command == "deactivate":
            agent = session.execute(select(Agent).where(Agent.username == args.username)).scalar_one_or_none()
            if agent is None:
                print(f"error: no account {args.username}", file=sys.stderr)
                return 1
            agent.active = False
            print(f"deactivated {agent.username}")
            return 0
        for agent in session.execute(select(Agent).order_by(Agent.id)).scalars():
            flags = ("senior " if agent.senior else "") + ("" if agent.active else "inactive")
            print(f"{agent.username}\t{agent.display_name}\t{agent.agent_number}\t{agent.role}\t{flags}".rstrip())
    return 0


if __name__ == "__main__":
    from bot.logs.setup import configure_logging

    configure_logging("agents", sys.stderr)  # stdout is the command's own output (docs/logging.md)
    sys.exit(main())
