"""Badge + PIN logins, API tokens, and who a bearer token belongs to."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wms.db import Database
from wms.errors import Conflict, NotFound, Unauthorized, WmsError
from wms.models import ApiToken, User
from wms.models.common import utcnow

ROLES = ("picker", "packer", "supervisor", "admin", "integration")
MAX_FAILED_LOGINS = 5
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as the guards see it."""

    user_id: int
    username: str
    role: str
    name: str = ""


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(got.hex(), digest)


def token_hash(token: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough (no dictionary to fear).
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(s: AsyncSession, user: User, name: str, ttl: timedelta | None) -> str:
    token = secrets.token_urlsafe(32)
    s.add(
        ApiToken(
            user_id=user.id,  # type: ignore[arg-type]
            token_hash=token_hash(token),
            name=name,
            expires_at=utcnow() + ttl if ttl else None,
        )
    )
    return token


# PIN checks run one at a time on a thread of their own. scrypt takes about 80 ms of a core
# (that is its point) and releases the GIL, so scans keep being served while a shift's
# badges log in, and no database thread or write lock waits on a hash.
_PIN_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pin-check")


async def login(db: Database, badge: str, pin: str, ttl_s: int) -> tuple[str, Principal]:
    """Badge scan + PIN: a bearer token for this terminal session."""
    if not badge or not pin:
        raise Unauthorized("bad_login", "Badge or PIN wrong", "scan a badge and type the PIN")
    async with db.read() as s:
        user = (await s.execute(select(User).where(User.badge == badge))).scalar_one_or_none()
    if user is None:
        raise Unauthorized("bad_login", "Badge or PIN wrong", "unknown or inactive badge")
    _check_not_locked(user)
    loop = asyncio.get_running_loop()
    right = await loop.run_in_executor(_PIN_CHECKS, verify_pin, pin, user.pin_hash)
    async with db.write() as s:
        if not right:
            # Counted in the database, so wrong PINs tried at once all count.
            await s.execute(
                update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
            )
        else:
            user = await s.get(User, user.id, with_for_update=True)
            assert user is not None
            _check_not_locked(user)  # locked by wrong PINs checked meanwhile
            user.failed_logins = 0
            token = await _issue(s, user, "login", timedelta(seconds=ttl_s))
    if not right:
        raise Unauthorized("bad_login", "Badge or PIN wrong", "unknown badge or wrong PIN")
    return token, Principal(user.id, user.username, user.role, user.name)  # type: ignore[arg-type]


def _check_not_locked(user: User) -> None:
    """An inactive badge, or one locked by wrong PINs, may not log in."""
    if not user.active:
        raise Unauthorized("bad_login", "Badge or PIN wrong", "unknown or inactive badge")
    if user.failed_logins >= MAX_FAILED_LOGINS:
        raise Unauthorized("locked", "Badge locked", "too many wrong PINs: ask a supervisor")


async def logout(db: Database, token: str) -> None:
    async with db.write() as s:
        row = (
            await s.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        ).scalar_one_or_none()
        if row is not None:
            row.revoked = True


async def create_api_token(db: Database, username: str, name: str) -> str:
    async with db.write() as s:
        user = (await s.execute(select(User).where(User.username == username))).scalar_one_or_none()
        if user is None:
            raise NotFound("unknown_user", "Unknown user", f"no user {username!r}")
        return await _issue(s, user, name or "api", None)


# Who a token belongs to is read on every request, not remembered: a cache would keep a
# logged-out, expired or deactivated token working in every other process for as long as
# it kept it. One indexed row, read in place on SQLite (no thread hop), costs less than the
# rest of a scan.
_WHO = (
    select(
        ApiToken.__table__.c.revoked,
        ApiToken.__table__.c.expires_at,
        User.__table__.c.id,
        User.__table__.c.username,
        User.__table__.c.role,
        User.__table__.c.name,
        User.__table__.c.active,
    )
    .join(User.__table__, User.__table__.c.id == ApiToken.__table__.c.user_id)
    .where(ApiToken.__table__.c.token_hash == bindparam("digest"))
)


async def authenticate(db: Database, token: str) -> Principal:
    row = await db.read_run(_who, token_hash(token))
    if row is None:
        raise Unauthorized("bad_token", "Please log in", "unknown bearer token")
    if row.revoked or not row.active or (row.expires_at and row.expires_at < utcnow()):
        raise Unauthorized("expired_token", "Please log in again", "token expired or revoked")
    return Principal(row.id, row.username, row.role, row.name)


def _who(s: Session, digest: str) -> Any:
    return s.connection().execute(_WHO, {"digest": digest}).first()


async def create_user(
    db: Database,
    *,
    username: str,
    role: str,
    name: str = "",
    badge: str | None = None,
    pin: str = "",
) -> User:
    if role not in ROLES:
        raise WmsError("bad_role", "Unknown role", f"role must be one of {', '.join(ROLES)}")
    if pin and (not pin.isdigit() or not 4 <= len(pin) <= 8):
        raise WmsError("bad_pin", "PIN: 4-8 digits", "a PIN is 4 to 8 digits")
    async with db.write() as s:
        taken = (await s.execute(select(User).where(User.username == username))).first()
        if taken:
            raise Conflict("user_exists", "User exists", f"user {username!r} exists")
        user = User(
            username=username,
            role=role,
            name=name,
            badge=badge,
            pin_hash=hash_pin(pin) if pin else "",
        )
        s.add(user)
        return user
