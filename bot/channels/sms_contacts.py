"""What the SMS channel remembers per number: opt-out, the one-time notice, the last buttons.

Rows are keyed by the pseudonymous sender id. The number itself is stored
encrypted (bot.crypto): replies sent outside a webhook request (staff take-over,
reminders) and staff call-backs need it, nothing else does.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot import crypto, storage

metadata = sa.MetaData()

sms_contacts = sa.Table(
    "sms_contacts",
    metadata,
    sa.Column("sender_id", sa.String(64), primary_key=True),
    sa.Column("phone", sa.Text, nullable=False),  # encrypted
    sa.Column("first_seen_at", sa.Float, nullable=False),
    sa.Column("opted_out_at", sa.Float),  # last STOP; kept after START as the record carriers ask for
    sa.Column("opted_in_at", sa.Float),  # last START after a STOP
    sa.Column("notice_sent_at", sa.Float),  # "SMS is not encrypted", sent once
    sa.Column("buttons", sa.Text),  # JSON [{title, payload}] of the latest reply, for numbered answers
)


@dataclass(frozen=True)
class Contact:
    sender_id: str
    phone: str
    opted_out: bool = False
    notice_sent: bool = False
    buttons: list[dict[str, str]] = field(default_factory=list)


def _contact(row: Any) -> Contact:
    opted_out = row.opted_out_at is not None and (row.opted_in_at is None or row.opted_in_at < row.opted_out_at)
    return Contact(
        sender_id=row.sender_id,
        phone=crypto.decrypt(row.phone),
        opted_out=opted_out,
        notice_sent=row.notice_sent_at is not None,
        buttons=json.loads(row.buttons or "[]"),
    )


class ContactStore:
    def __init__(self, database_url: str) -> None:
        self.engine = storage.engine(database_url)
        metadata.create_all(self.engine)

    def get(self, sender_id: str) -> Contact | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(sms_contacts).where(sms_contacts.c.sender_id == sender_id)).first()
        return _contact(row) if row else None

    def remember(self, sender_id: str, phone: str) -> Contact:
        """The contact for an inbound message, created on first contact."""
        existing = self.get(sender_id)
        if existing:
            return existing
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    sms_contacts.insert().values(sender_id=sender_id, phone=crypto.encrypt(phone), first_seen_at=time.time())
                )
        except sa.exc.IntegrityError:
            pass  # two first messages at once: the other request created it
        return self.get(sender_id) or Contact(sender_id, phone)

    def _update(self, sender_id: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(sms_contacts.update().where(sms_contacts.c.sender_id == sender_id).values(**values))

    def opt_out(self, sender_id: str) -> None:
        self._update(sender_id, opted_out_at=time.time())

    def opt_in(self, sender_id: str) -> None:
        self._update(sender_id, opted_in_at=time.time())

    def mark_notice_sent(self, sender_id: str) -> None:
        self._update(sender_id, notice_sent_at=time.time())

    def set_buttons(self, sender_id: str, buttons: list[dict[str, Any]]) -> None:
        kept = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons]
        self._update(sender_id, buttons=json.dumps(kept) if kept else None)
