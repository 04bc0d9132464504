"""Ticket store benchmark: opening and claiming tickets from several processes.

For SQLite (a throw-away file) and PostgreSQL (a throw-away schema in the
local database `test`), P processes each open N tickets as fast as they can
(number, insert and history in one transaction, as `action_open_ticket` does),
then as many agents race to claim every queued ticket. Prints tickets per
second, p50/p95 per ticket, and checks that no number was given twice and
that each ticket was claimed exactly once.

    .venv/bin/python -m benchmarks.ticket_store_benchmark [--processes 4] [--tickets 100]
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import List

from sqlalchemy import func, select

from bot.agents.models import Agent
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.tickets import store
from bot.tickets.models import Ticket, TicketEvent
from tests.postgres import postgres_schema

TZ = "Asia/Shanghai"


def _open(url: str, start, count: int, worker: int, out) -> None:
    database = Database(url)
    start.wait()
    timings = []
    for n in range(count):
        began = time.perf_counter()
        with database.session() as session:
            ticket = store.open_ticket(session, store.TicketDraft(f"bench-{worker}-{n}", "callback", "payment_failed"), TZ)
            store.enqueue(session, ticket)
        timings.append(time.perf_counter() - began)
    out.put(timings)
    database.dispose()


def _claim(url: str, start, agent_id: int, out) -> None:
    database = Database(url)
    start.wait()
    won = refused = 0
    with database.session() as session:
        ids = [t.id for t in store.waiting(session)]
    for ticket_id in ids:
        try:
            with database.session() as session:
                store.claim(session, ticket_id, session.get(Agent, agent_id), capacity=10**6)
            won += 1
        except store.AlreadyClaimed:
            refused += 1
    out.put((won, refused))
    database.dispose()


def _run(url: str, processes: int, tickets: int) -> None:
    upgrade(url)
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_open, args=(url, start, tickets, w, out)) for w in range(processes)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    start.set()
    timings: List[float] = [t for _ in workers for t in out.get(timeout=600)]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    database = Database(url)
    with database.session() as session:
        numbers = [n for (n,) in session.execute(select(Ticket.number))]
        agent_ids = []
        for i in range(processes):
            agent = Agent(username=f"bench{i}", display_name="b", agent_number=f"B{i}", password_hash="x", senior=True)
            session.add(agent)
            session.flush()
            agent_ids.append(agent.id)
    unique = len(set(numbers)) == len(numbers) == processes * tickets
    quantiles = statistics.quantiles(timings, n=20)
    print(f"  open: {len(timings)} tickets by {processes} processes in {elapsed:.1f} s = "
          f"{len(timings) / elapsed:.0f} tickets/s; per ticket p50 {statistics.median(timings) * 1000:.1f} ms, "
          f"p95 {quantiles[18] * 1000:.1f} ms; numbers unique: {unique}")
    start = context.Event()
    claimers = [context.Process(target=_claim, args=(url, start, a, out)) for a in agent_ids]
    for claimer in claimers:
        claimer.start()
    began = time.perf_counter()
    start.set()
    results = [out.get(timeout=600) for _ in claimers]
    elapsed = time.perf_counter() - began
    for claimer in claimers:
        claimer.join()
    with database.session() as session:
        assigned = session.execute(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "assigned"))
        assigned_once = assigned.scalar_one() == len(numbers)
    won = sum(w for w, _ in results)
    once = assigned_once and won == len(numbers)
    print(f"  claim: {processes} agents raced for {len(numbers)} tickets in {elapsed:.1f} s; "
          f"won {won}, refused {sum(r for _, r in results)}; each claimed exactly once: {once}")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=100, help="tickets per process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        print("SQLite (one file, BEGIN IMMEDIATE):")
        _run(f"sqlite:///{Path(home) / 'bench.db'}", args.processes, args.tickets)
    with postgres_schema("okpay_bench") as url:
        print("PostgreSQL 127.0.0.1:5432:")
        _run(url, args.processes, args.tickets)

if __name__ == "__main__":
    main()
