"""Set-up mistakes get one clear line saying what is wrong and how to fix it, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT
from bot.stack import free_port
from tests.fault_proxy import FaultProxy


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0]


def test_port_already_in_use(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = run_cli("run", RASA_PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}")
    assert_one_clear_line(result, f"Port {port}", "RASA_PORT", "already in use")


def test_unreachable_database(tmp_path: Path) -> None:
    result = run_cli("run", RASA_PORT=str(free_port()), ACTION_SERVER_PORT=str(free_port()),
                     DATABASE_URL="postgresql://clinic:secret@127.0.0.1:1/clinic")  # fmt: skip
    assert_one_clear_line(result, "Cannot reach the database", "DATABASE_URL")
    assert "secret" not in result.stderr, "the password must not be printed"


def test_unreachable_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-directory" / "assistant.db"
    result = run_cli("run", RASA_PORT=str(free_port()), ACTION_SERVER_PORT=str(free_port()), DATABASE_URL=f"sqlite:///{missing}")
    assert_one_clear_line(result, "Cannot reach the database", "unable to open database file", "DATABASE_URL")


def test_postgresql_whose_connections_are_cut(tmp_path: Path) -> None:
    """A server that accepts connections and drops them (a broken network path) fails fast too, with one line."""
    with FaultProxy("127.0.0.1", 5432) as proxy:
        proxy.cut()
        result = run_cli("run", RASA_PORT=str(free_port()), ACTION_SERVER_PORT=str(free_port()),
                         DATABASE_URL=f"postgresql://clinic:secret@127.0.0.1:{proxy.port}/clinic")  # fmt: skip
    assert_one_clear_line(result, "Cannot reach the database", "DATABASE_URL")
    assert "secret" not in result.stderr


def test_malformed_env_values() -> None:
    assert_one_clear_line(run_cli("check-config", RASA_PORT="fifty"), "RASA_PORT", "port number")
    assert_one_clear_line(run_cli("check-config", DATABASE_URL="mysql://x"), "DATABASE_URL", "postgresql://")
    assert_one_clear_line(run_cli("check-config", SMTP_STARTTLS="maybe"), "SMTP_STARTTLS")


def test_missing_python_310_is_reported_by_make(tmp_path: Path) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "venv", "PYTHON310=", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Python 3.10 not found" in result.stderr


def test_unreachable_redis(tmp_path: Path) -> None:
    result = run_cli("run", RASA_PORT=str(free_port()), ACTION_SERVER_PORT=str(free_port()),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}", REDIS_URL="redis://127.0.0.1:1/0")  # fmt: skip
    assert_one_clear_line(result, "Cannot reach Redis", "REDIS_URL")
