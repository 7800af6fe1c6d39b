"""Configuration from `.env` and the environment, checked once at start.

A clinic's IT person edits `.env`; a typo there must produce one line that names
the key and says how to fix it, not a traceback deep inside Rasa.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message is meant for a person."""


def _port(env: dict[str, str], key: str, default: int) -> int:
    raw = env.get(key) or str(default)
    if not raw.isdecimal() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{key}={raw!r} in .env is not a port number; use a number between 1 and 65535.")
    return int(raw)


def _url(env: dict[str, str], key: str, schemes: tuple[str, ...], default: str = "") -> str:
    raw = env.get(key, default) or default
    if raw and urlparse(raw).scheme not in schemes:
        raise ConfigError(f"{key}={raw!r} in .env must start with one of: {', '.join(s + '://' for s in schemes)}.")
    return raw


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    rasa_host: str
    rasa_port: int
    action_server_port: int
    rasa_token: str
    cors_origins: str
    alert_webhook_url: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    alert_email_from: str
    alert_email_to: str
    console_url: str
    alert_poll_seconds: float
    data_keys: str
    console_host: str = "127.0.0.1"
    console_port: int = 5080
    console_cookie_secure: bool = False
    console_idle_minutes: int = 15
    public_url: str = ""
    channel_secret: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_api_base: str = ""
    max_message_chars: int = 2000
    max_request_bytes: int = 65536
    action_timeout_seconds: int = 10
    retention_days: int = 90
    intake_retention_days: int = 365

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid)

    @property
    def action_server_url(self) -> str:
        return f"http://127.0.0.1:{self.action_server_port}/webhook"

    def process_env(self) -> dict[str, str]:
        """Environment for the Rasa, action-server and worker processes.

        `endpoints.yml` interpolates these, so the YAML files never hold a secret.
        """
        env = dict(os.environ)
        # Every setting, so each process reads the same configuration as its parent.
        for item in fields(self):
            value = getattr(self, item.name)
            env[item.name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
        redis = urlparse(self.redis_url) if self.redis_url else None
        env.update(
            LOCK_STORE_TYPE="bot.outage_lock_store.OutageAwareRedisLockStore" if redis else "in_memory",
            REDIS_HOST=(redis.hostname or "127.0.0.1") if redis else "",
            REDIS_PORT=str(redis.port or 6379) if redis else "",
            REDIS_DB=(redis.path.strip("/") or "0") if redis else "",
            REDIS_PASSWORD=(redis.password or "") if redis else "",
            ACTION_SERVER_URL=self.action_server_url,
            PYTHONPATH=str(ROOT),
            # One BLAS thread per process: the sentence encoder's matrix products then cost 21-24 ms of CPU
            # per message instead of 35-39 ms with a second thread spinning, which is what limits a busy server.
            OPENBLAS_NUM_THREADS=env.get("OPENBLAS_NUM_THREADS", "1"),
            # Rasa's DEBUG level prints whole trackers (every slot value); bot.log_redaction assumes INFO.
            LOG_LEVEL="INFO",
            # Rasa refuses several Sanic workers with an in-memory lock store.
            SANIC_WORKERS=env.get("SANIC_WORKERS", "1") if self.redis_url else "1",
        )
        return env


def _twilio(env: dict[str, str]) -> dict[str, str]:
    """The SMS settings: all three Twilio values or none (SMS off), each checked for the usual paste errors."""
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER")
    values = {key: env.get(key, "").strip() for key in keys}
    if any(values.values()) and not all(values.values()):
        missing = ", ".join(key for key, value in values.items() if not value)
        raise ConfigError(f"SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER in .env; set {missing} too.")
    if values["TWILIO_ACCOUNT_SID"] and not re.fullmatch(r"AC[0-9a-fA-F]{32}", values["TWILIO_ACCOUNT_SID"]):
        raise ConfigError("TWILIO_ACCOUNT_SID in .env must be the Account SID from the Twilio console (AC and 32 hex digits).")
    if values["TWILIO_NUMBER"] and not re.fullmatch(r"\+[1-9]\d{6,14}", values["TWILIO_NUMBER"]):
        raise ConfigError(f"TWILIO_NUMBER={values['TWILIO_NUMBER']!r} in .env must be in E.164 form, e.g. +15550100100.")
    return {key.lower(): value for key, value in values.items()}


def _limit(env: dict[str, str], key: str, default: int, minimum: int, unit: str) -> int:
    raw = env.get(key) or str(default)
    if not raw.isdecimal() or int(raw) < minimum:  # isdigit() would pass "²", which int() refuses
        raise ConfigError(f"{key}={raw!r} in .env must be a whole number of {unit}, at least {minimum} (default {default}).")
    return int(raw)


def load(env_file: Path | None = None, overrides: dict[str, str] | None = None) -> Settings:
    """Read `.env` (if present), then the process environment, then explicit overrides."""
    path = env_file or ROOT / ".env"
    env: dict[str, str] = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.exists() else {}
    env.update({k: v for k, v in os.environ.items() if k.lower() in Settings.__annotations__})
    env.update(overrides or {})
    VAR_DIR.mkdir(exist_ok=True)
    database_url = _url(
        env, "DATABASE_URL", ("sqlite", "postgresql", "postgresql+psycopg2"), f"sqlite:///{VAR_DIR / 'assistant.db'}"
    )
    starttls = env.get("SMTP_STARTTLS", "false").lower()
    if starttls not in {"true", "false", "1", "0", "yes", "no"}:
        raise ConfigError(f"SMTP_STARTTLS={starttls!r} in .env must be true or false.")
    try:
        poll = float(env.get("ALERT_POLL_SECONDS", "2"))
    except ValueError:
        raise ConfigError("ALERT_POLL_SECONDS in .env must be a number of seconds, e.g. 2.") from None
    console_url = _url(env, "CONSOLE_URL", ("http", "https"), "http://127.0.0.1:5080").rstrip("/")
    # Secure cookies by default whenever staff reach the console over HTTPS; plain-http localhost needs them off.
    cookie_secure = (env.get("CONSOLE_COOKIE_SECURE") or str(console_url.startswith("https://"))).lower()
    if cookie_secure not in {"true", "false", "1", "0", "yes", "no"}:
        raise ConfigError(f"CONSOLE_COOKIE_SECURE={cookie_secure!r} in .env must be true or false.")
    idle = env.get("CONSOLE_IDLE_MINUTES") or "15"
    if not idle.isdecimal() or int(idle) < 1:
        raise ConfigError(f"CONSOLE_IDLE_MINUTES={idle!r} in .env must be a whole number of minutes, e.g. 15.")
    return Settings(
        database_url=database_url,
        redis_url=_url(env, "REDIS_URL", ("redis", "rediss")),
        rasa_host=env.get("RASA_HOST", "127.0.0.1"),
        rasa_port=_port(env, "RASA_PORT", 5005),
        action_server_port=_port(env, "ACTION_SERVER_PORT", 5055),
        rasa_token=env.get("RASA_TOKEN", ""),
        cors_origins=env.get("CORS_ORIGINS", ""),
        alert_webhook_url=_url(env, "ALERT_WEBHOOK_URL", ("http", "https")),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_port=_port(env, "SMTP_PORT", 25),
        smtp_user=env.get("SMTP_USER", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=starttls in {"true", "1", "yes"},
        alert_email_from=env.get("ALERT_EMAIL_FROM", "assistant@localhost"),
        alert_email_to=env.get("ALERT_EMAIL_TO", ""),
        console_url=console_url,
        alert_poll_seconds=poll,
        data_keys=env.get("DATA_KEYS", ""),
        console_host=env.get("CONSOLE_HOST") or "127.0.0.1",
        console_port=_port(env, "CONSOLE_PORT", 5080),
        console_cookie_secure=cookie_secure in {"true", "1", "yes"},
        console_idle_minutes=int(idle),
        public_url=_url(env, "PUBLIC_URL", ("http", "https")).rstrip("/"),
        channel_secret=env.get("CHANNEL_SECRET", ""),
        twilio_api_base=_url(env, "TWILIO_API_BASE", ("http", "https")),
        # A body must hold a message at the limit: 4 bytes a character (UTF-8) and room for the JSON around it.
        max_message_chars=(chars := _limit(env, "MAX_MESSAGE_CHARS", 2000, 160, "characters")),
        max_request_bytes=_limit(env, "MAX_REQUEST_BYTES", max(65536, 4 * chars + 1024), 4 * chars + 1024, "bytes"),
        action_timeout_seconds=_limit(env, "ACTION_TIMEOUT_SECONDS", 10, 1, "seconds"),
        retention_days=_limit(env, "RETENTION_DAYS", 90, 1, "days"),
        intake_retention_days=_limit(env, "INTAKE_RETENTION_DAYS", 365, 1, "days"),
        **_twilio(env),
    )
