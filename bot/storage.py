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
