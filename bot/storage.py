"""The project's own tables, on the same database as Rasa's tracker store.

SQLite by default and PostgreSQL in production, through one SQLAlchemy URL
(`DATABASE_URL`). Rasa owns the `events` table; the project's tables have
their own names so both live in one database.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

crisis_alerts = sa.Table(
    "crisis_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(64)),
    sa.Column("detector", sa.String(16)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("webhook_sent_at", sa.Float),
    sa.Column("email_sent_at", sa.Float),
    sa.Column("last_error", sa.String(500)),
)


# One row per intake. `answers` (every slot the person filled) and `note` are
# encrypted with bot.crypto; totals, bands and flags are for sorting and are
# computed from the answers by bot.intake.
intakes = sa.Table(
    "intakes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False, default="started"),  # started | submitted | reviewed
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("submitted_at", sa.Float),
    sa.Column("answers", sa.Text),
    sa.Column("phq9_total", sa.Integer),
    sa.Column("phq9_band", sa.String(64)),
    sa.Column("gad7_total", sa.Integer),
    sa.Column("gad7_band", sa.String(64)),
    sa.Column("antidepressant_trials", sa.Integer),
    sa.Column("flags", sa.Text),  # encrypted JSON list of clinician flags
    sa.Column("reviewed_at", sa.Float),
    sa.Column("reviewed_by", sa.String(255)),
    sa.Column("note", sa.Text),
)


# --- Staff console (bot.console) ------------------------------------------------------------
# Accounts are created from the command line only; passwords are argon2 hashes.
staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # staff | admin
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.Float),
    sa.Column("last_login_at", sa.Float),
)

# Server-side sessions: the cookie holds a random token, the table only its SHA-256.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)

# Who did what, when. Append-only: database triggers below refuse UPDATE and DELETE.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
    sa.Column("ip", sa.String(64), nullable=False, default=""),
)

alert_acknowledgements = sa.Table(
    "alert_acknowledgements",
    metadata,
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("crisis_alerts.id"), primary_key=True),
    sa.Column("acknowledged_by", sa.String(255), nullable=False),
    sa.Column("acknowledged_at", sa.Float, nullable=False),
)

# Staff notes on an intake; `body` is encrypted with bot.crypto like the answers.
staff_notes = sa.Table(
    "staff_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("intake_id", sa.Integer, sa.ForeignKey("intakes.id"), nullable=False, index=True),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

# A staff member speaking in a conversation instead of the assistant; ended_at is NULL while it lasts.
# `crisis_alert_seen` is the newest crisis alert already answered, so each crisis turn gets the crisis lines once.
conversation_takeovers = sa.Table(
    "conversation_takeovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("staff", sa.String(255), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float),
    sa.Column("last_staff_at", sa.Float, nullable=False),  # last time staff wrote; idle take-overs end by themselves
    sa.Column("crisis_alert_seen", sa.Integer, nullable=False, default=0),
)

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER IF NOT EXISTS audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""
_APPEND_ONLY_POSTGRES = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""
for _op in ("update", "delete"):
    sa.event.listen(
        audit_log,
        "after_create",
        sa.DDL(_APPEND_ONLY_SQLITE.format(op=_op, OP=_op.upper())).execute_if(dialect="sqlite"),
    )
sa.event.listen(audit_log, "after_create", sa.DDL(_APPEND_ONLY_POSTGRES).execute_if(dialect="postgresql"))


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message says which and how to fix it."""


@cache
def engine(url: str) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, future=True)


def check(url: str) -> None:
    """Connect once, with a short timeout, so a wrong URL fails fast instead of hanging Rasa."""
    args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
    probe = sa.create_engine(url, connect_args=args, future=True)
    try:
        with probe.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
        raise DatabaseUnavailable(
            f"Cannot reach the database at {safe_url}: {reason}. Check DATABASE_URL in .env and that the server is running."
        ) from None
    finally:
        probe.dispose()


def create_tables(url: str) -> None:
    metadata.create_all(engine(url))
    if url.startswith("sqlite"):
        # Write-ahead logging is a property of the file, so Rasa's own connections to the
        # tracker store get it too: one sync per commit instead of several, and readers
        # (the console, the alert worker) no longer block the assistant's writes.
        with engine(url).connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
