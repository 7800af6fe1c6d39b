"""The alert broker's spool, as the tests that break the database must leave it.

While the database is unreachable, the broker spools crisis alerts to one file
under var/ (bot/alerts/broker.py), and any alert worker started later, a
developer's `make run` or another test's, ingests and sends them. A test that
causes spooling takes its own alerts back out, so none of them is ever sent.
"""

from __future__ import annotations

import json

from bot.alerts.broker import SPOOL_FILE


def take_spooled_alerts(*senders: str) -> list[dict]:
    """The spooled alerts of these conversations, removed from the spool."""
    if not SPOOL_FILE.exists():
        return []
    lines = [line for line in SPOOL_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    mine = [line for line in lines if json.loads(line).get("sender_id") in senders]
    if mine:
        SPOOL_FILE.write_text("".join(line + "\n" for line in lines if line not in mine), encoding="utf-8")
    return [json.loads(line) for line in mine]
