"""A throwaway PostgreSQL database per test module, on the machine's server (TEST_POSTGRES_URL).

Nothing skips when PostgreSQL is down: the connection error fails the test, so CI
cannot pass without having run against PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


@contextmanager
def fresh_database(prefix: str = "assistant_test") -> Iterator[str]:
    """The URL of a new, empty database, dropped (with its connections) afterwards."""
    url = sa.engine.make_url(POSTGRES_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                             dbname=url.database, connect_timeout=5)  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
