"""Secrets at rest: channel secrets and tokens are stored sealed with the operator's key.

The key is never in the database nor in the repository: ``WMS_SECRET_KEY`` holds one or
more Fernet keys (comma-separated), or ``WMS_SECRET_KEY_FILE`` names a file with one key a
line ("#" starts a comment). The first key seals; every key listed opens (MultiFernet),
which is how the key is rotated without downtime: put the new key first and keep the old
one after it, run ``wms secrets rotate-key`` (every stored secret is sealed again with the
new key), then drop the old key. Columns typed `Sealed` seal on write and open on read,
through the ORM and Core alike, so no query sees a secret in plain but its caller.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

PREFIX = "fernet:"  # marks a sealed value: what is stored without it is a legacy plain value
ENV_KEY = "WMS_SECRET_KEY"
ENV_KEY_FILE = "WMS_SECRET_KEY_FILE"
NO_KEY = (
    "stored secrets are encrypted and no key is set: set WMS_SECRET_KEY (or "
    "WMS_SECRET_KEY_FILE) to the key they were sealed with"
)


class SecretKeyError(RuntimeError):
    """The key is missing, malformed, or does not open what is stored (one clear sentence)."""


def read_keys(env: Mapping[str, str] | None = None) -> list[str]:
    """The operator's keys, newest first: from ``WMS_SECRET_KEY`` or the key file."""
    env = os.environ if env is None else env
    if env.get(ENV_KEY):
        return [k.strip() for k in env[ENV_KEY].split(",") if k.strip()]
    if env.get(ENV_KEY_FILE):
        path = Path(env[ENV_KEY_FILE])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretKeyError(f"cannot read the key file {path}: {exc.strerror}") from exc
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line]
    return []


def new_key() -> str:
    return Fernet.generate_key().decode()


def _box(keys: list[str]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(
            f"{ENV_KEY} is not a valid key list: each key is 32 url-safe base64 bytes "
            "(make one with: wms secrets new-key)"
        ) from exc


class Keyring:
    """The process's keys, read from the environment on first use (tests may set them)."""

    def __init__(self) -> None:
        self._box: MultiFernet | None = None
        self._loaded = False

    def set(self, keys: list[str] | None) -> None:
        """Use these keys (None: read the environment again on next use)."""
        self._box = _box(keys) if keys else None
        self._loaded = keys is not None

    def box(self) -> MultiFernet | None:
        if not self._loaded:
            keys = read_keys()
            self._box = _box(keys) if keys else None
            self._loaded = True
        return self._box

    def has_key(self) -> bool:
        return self.box() is not None

    def seal(self, plain: str) -> str:
        if not plain:
            return ""  # "not set" stays visible as such: there is nothing to hide
        box = self.box()
        if box is None:
            raise SecretKeyError(
                "a secret cannot be stored without a key: set WMS_SECRET_KEY or "
                "WMS_SECRET_KEY_FILE (make a key with: wms secrets new-key)"
            )
        return PREFIX + box.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored or not stored.startswith(PREFIX):
            return stored
        box = self.box()
        if box is None:
            raise SecretKeyError(NO_KEY)
        try:
            return box.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "the secret key does not open the stored secrets: set the key they were "
                "sealed with (a rotated key stays listed after the new one until "
                "`wms secrets rotate-key` ran)"
            ) from exc

    def reseal(self, stored: str) -> str:
        """The same secret sealed with the first key (`rotate-key`); plain values get sealed."""
        if not stored:
            return ""
        if not stored.startswith(PREFIX):
            return self.seal(stored)
        box = self.box()
        if box is None:
            raise SecretKeyError(NO_KEY)
        try:
            return PREFIX + box.rotate(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "no key listed opens a stored secret: keep the old key after the new one "
                "while rotating"
            ) from exc


keyring = Keyring()


def fingerprint(plain: str) -> str:
    """Enough to tell two secrets apart on a screen, never enough to recover one."""
    if not plain:
        return ""
    return "sha256:" + hashlib.sha256(plain.encode()).hexdigest()[:8]


class Sealed(TypeDecorator[str]):
    """A secret column: sealed with the operator's key in the database, plain in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring.open(value)
