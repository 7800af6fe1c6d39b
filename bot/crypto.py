"""Encryption at rest for patient data in the project's own tables.

Fernet (from `cryptography`) with MultiFernet for rotation: `DATA_KEYS` in
`.env` is a comma-separated list of keys, the first one encrypts, all of them
decrypt. Rotate by putting a new key first and keeping the old ones after it:
new data uses the new key and old data still reads; then `python -m bot rotate-keys`
(bot.key_rotation) re-encrypts every stored value with the new key, after which the
old key can be removed. Without `DATA_KEYS` a key is generated once
into `var/data.key` so a laptop install works; production sets it in `.env`.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import VAR_DIR, ConfigError

KEY_FILE = VAR_DIR / "data.key"


def _keys() -> list[bytes]:
    configured = os.environ.get("DATA_KEYS", "").strip()
    if configured:
        return [k.strip().encode() for k in configured.split(",") if k.strip()]
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.write_bytes(Fernet.generate_key())
        KEY_FILE.chmod(0o600)
    return [KEY_FILE.read_bytes().strip()]


@lru_cache(maxsize=1)
def _cipher() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError:
        raise ConfigError("DATA_KEYS in .env must be Fernet keys (make one with `python -m bot new-key`).") from None


def encrypt(value: Any) -> str:
    return _cipher().encrypt(json.dumps(value).encode("utf-8")).decode("ascii")


def decrypt(token: str | None) -> Any:
    if token is None:
        return None
    try:
        return json.loads(_cipher().decrypt(token.encode("ascii")))
    except InvalidToken:
        raise ConfigError("Stored data cannot be decrypted with DATA_KEYS; the key that wrote it is missing.") from None


def reencrypt(token: str) -> str:
    """The same value encrypted with the first key of DATA_KEYS."""
    try:
        return _cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise ConfigError("Stored data cannot be decrypted with DATA_KEYS; the key that wrote it is missing.") from None


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
