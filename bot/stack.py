"""Starts and stops the assistant's processes together: `make run`, and the tests.

One place knows how the action server, the Rasa server and the alert worker are
started, so the conversation tests exercise exactly what a clinic runs.
Pre-flight checks turn the usual set-up mistakes (port taken, database or
Redis unreachable, no trained model) into one line each.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot import storage
from bot.settings import ROOT, VAR_DIR, ConfigError, Settings

MODEL_FILE = ROOT / "models" / "assistant.tar.gz"
LOG_DIR = VAR_DIR / "log"


class StartupError(Exception):
    """Something a person must fix before the assistant can start; the message says what."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise StartupError(
            f"Cannot reach Redis at REDIS_URL ({error}). Start Redis or remove REDIS_URL from .env to run one instance."
        ) from None


@dataclass
class Stack:
    settings: Settings
    model: Path = MODEL_FILE
    action_server: bool = True
    alert_worker: bool = True
    console: bool = True
    name: str = "assistant"
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.settings.rasa_host}:{self.settings.rasa_port}"

    @property
    def console_url(self) -> str:
        return f"http://{self.settings.console_host}:{self.settings.console_port}"

    def preflight(self) -> None:
        if not self.model.exists():
            raise StartupError(f"No trained model at {self.model.relative_to(ROOT)}; run `make run` or `make train`.")
        ports = [("RASA_PORT", self.settings.rasa_host, self.settings.rasa_port)]
        if self.action_server:
            ports.append(("ACTION_SERVER_PORT", "127.0.0.1", self.settings.action_server_port))
        if self.console:
            ports.append(("CONSOLE_PORT", self.settings.console_host, self.settings.console_port))
        for key, host, port in ports:
            if not port_is_free(host, port):
                raise StartupError(f"Port {port} ({key}) is already in use; stop what uses it or set {key} in .env.")
        try:
            storage.check(self.settings.database_url)
        except storage.DatabaseUnavailable as error:
            raise StartupError(str(error)) from None
        storage.create_tables(self.settings.database_url)
        if self.settings.redis_url:
            check_redis(self.settings.redis_url)

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        # Rasa and the action server start through bot.log_redaction: no patient data in their logs;
        # Rasa through bot.rasa_server, which builds the action-reply validator once.
        rasa = [
            python, "-m", "bot.log_redaction", "bot.rasa_server", "run",
            "--model", str(self.model),
            "--endpoints", str(ROOT / "endpoints.yml"),
            "--credentials", str(ROOT / "credentials.yml"),
            "--interface", self.settings.rasa_host,
            "--port", str(self.settings.rasa_port),
        ]  # fmt: skip
        if self.settings.cors_origins:
            rasa += ["--cors", *self.settings.cors_origins.split()]
        if self.settings.rasa_token:
            rasa += ["--enable-api", "--auth-token", self.settings.rasa_token]
        commands = {"rasa": rasa}
        if self.action_server:
            port = str(self.settings.action_server_port)
            commands["actions"] = [python, "-m", "bot.log_redaction", "rasa_sdk", "--actions", "actions", "--port", port]
        if self.alert_worker:
            commands["alerts"] = [python, "-m", "bot", "alerts"]
        if self.console:
            commands["console"] = [python, "-m", "bot", "console"]
        return commands

    def start(self, timeout: float = 120.0) -> None:
        self.preflight()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        env = self.settings.process_env()
        for role, command in self.commands().items():
            log = (LOG_DIR / f"{self.name}-{role}.log").open("ab")
            self.processes[role] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        checks = {"rasa": self.rasa_url}
        if self.action_server:
            checks["actions"] = f"http://127.0.0.1:{self.settings.action_server_port}/health"
        if self.console:
            checks["console"] = f"{self.console_url}/login"
        while checks:
            for role, url in list(checks.items()):
                process = self.processes[role]
                if process.poll() is not None:
                    self.stop()
                    log = LOG_DIR / f"{self.name}-{role}.log"
                    raise StartupError(f"The {role} process exited with code {process.returncode}; see {log}.")
                try:
                    if requests.get(url, timeout=1).ok:
                        del checks[role]
                except requests.RequestException:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise StartupError(f"The assistant did not start within {timeout:.0f} s; see {LOG_DIR}.")
            time.sleep(0.2)

    def stop_role(self, role: str, timeout: float = 15.0) -> None:
        process = self.processes.pop(role, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for role in list(self.processes):
            self.stop_role(role)


def sms_status(settings: Settings) -> str:
    """Whether SMS is on, said at start: without Twilio credentials its webhook refuses every request."""
    if not settings.twilio_configured:
        return "  SMS (Twilio):   off - set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER in .env (README, Channels)"
    base = settings.public_url or "<PUBLIC_URL>"
    return f"  SMS (Twilio):   on for {settings.twilio_number}; Twilio's webhook URL: {base}/webhooks/twilio/webhook"


def serve(settings: Settings) -> int:
    """`make run`: start everything, print where to chat, stop everything on Ctrl-C."""
    stack = Stack(settings)
    started = time.monotonic()
    try:
        stack.start()
    except (StartupError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"The assistant is up after {time.monotonic() - started:.1f} s.")
    print(f"  Chat over REST:  POST {stack.rasa_url}/webhooks/rest/webhook  {{\"sender\": \"me\", \"message\": \"hi\"}}")
    print("  Chat in a terminal:  make shell")
    print(f"  Web chat page:  {stack.rasa_url}/webhooks/webchat/  (embed: README, Channels)")
    print(sms_status(settings))
    print(f"  Staff console:  {stack.console_url}  (accounts: make staff-user EMAIL=you@clinic.example)")
    print(f"  Logs: {LOG_DIR}")
    print("Press Ctrl-C to stop.")
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping:
            for role, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"error: the {role} process stopped (code {process.returncode}); see {LOG_DIR}.", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("Stopping...")
        stack.stop()
    return 0
