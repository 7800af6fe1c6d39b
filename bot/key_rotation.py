"""Re-encrypts every stored patient value with the newest key, so that an old key can be retired.

Keys leak with laptops, backups and departing staff; rotating is only real once no
row needs the old key any more. A new column encrypted with bot.crypto must be
added to ENCRYPTED_COLUMNS.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import crypto, storage
from bot.channels.sms_contacts import sms_contacts
from bot.console import audit

ENCRYPTED_COLUMNS: dict[sa.Table, tuple[str, ...]] = {
    storage.intakes: ("answers", "flags", "note"),
    storage.staff_notes: ("body",),
    sms_contacts: ("phone",),
}


def rotate(engine: Engine) -> int:
    """Re-encrypt in one transaction: either every value uses the new key afterwards, or nothing changed."""
    values = 0
    with engine.begin() as connection:
        for table, columns in ENCRYPTED_COLUMNS.items():
            if not sa.inspect(connection).has_table(table.name):
                continue
            key = table.primary_key.columns.values()[0]
            for row in connection.execute(sa.select(key, *(table.c[name] for name in columns))).mappings().all():
                changed = {name: crypto.reencrypt(row[name]) for name in columns if row[name] is not None}
                if changed:
                    connection.execute(sa.update(table).where(key == row[key.name]).values(**changed))
                    values += len(changed)
        audit.record(connection, audit.SYSTEM, "keys_rotated", detail=f"{values} values re-encrypted with the first key of DATA_KEYS")
    return values
