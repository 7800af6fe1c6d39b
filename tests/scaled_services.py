"""PostgreSQL and Redis for the scaled-deployment and fault tests, without disturbing shared servers.

Each test gets its own PostgreSQL database (dropped afterwards) and, where it
must kill Redis, its own `redis-server` on a free port: the machine's Redis
and PostgreSQL serve other test runs and people, so no test stops them.
These need the servers named by TEST_POSTGRES_URL and TEST_REDIS_URL (defaults:
the standard local ports) and fail, never skip, when those are unreachable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import redis
import sqlalchemy as sa

from bot.settings import ROOT
from bot.stack import LOG_DIR, Stack, free_port
from tests.conftest import make_settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    url = sa.engine.make_url(POSTGRES_URL)
    name = f"assistant_test_{uuid.uuid4().hex[:10]}"
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


def user_and_bot_turns(database_url: str, sender: str) -> list[tuple[str, list[str]]]:
    """The conversation as PostgreSQL holds it: each user message with the bot replies that followed it."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT type_name, data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender}
            ).all()
    finally:
        engine.dispose()
    turns: list[tuple[str, list[str]]] = []
    for type_name, data in rows:
        event = json.loads(data)
        if type_name == "user":
            turns.append((event.get("text") or "", []))
        elif type_name == "bot" and turns:
            turns[-1][1].append(event.get("text") or "")
    return turns


class PrivateRedis:
    """A `redis-server` of this test's own, on a free port, that the test may kill and restart."""

    def __init__(self, workdir: Path) -> None:
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed; the Redis fault tests need it (apt-get install redis-server).")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self.workdir)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def check_shared_redis() -> None:
    """Fails (never skips) when the machine's Redis is unreachable, as CI requires."""
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()


def restart_role(stack: Stack, role: str, timeout: float = 120.0) -> None:
    """Starts one stopped process of a running stack again (the action server coming back)."""
    log = (LOG_DIR / f"{stack.name}-{role}.log").open("ab")
    stack.processes[role] = subprocess.Popen(
        stack.commands()[role], cwd=ROOT, env=stack.settings.process_env(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    stack.wait_until_ready(timeout)


@contextmanager
def two_stacks(workdir: Path, database: str, redis_url: str, name: str) -> Iterator[tuple[Stack, Stack]]:
    """Two Rasa instances on one database and one Redis, as a clinic scales out: the second uses the first's action server."""
    first_settings = make_settings(workdir / "first", DATABASE_URL=database, REDIS_URL=redis_url)
    second_settings = make_settings(workdir / "second", DATABASE_URL=database, REDIS_URL=redis_url,
                                    ACTION_SERVER_PORT=str(first_settings.action_server_port))  # fmt: skip
    first = Stack(first_settings, name=f"{name}-1", alert_worker=False, console=False)
    second = Stack(second_settings, name=f"{name}-2", alert_worker=False, console=False, action_server=False)
    first.start()
    try:
        second.start()
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()
