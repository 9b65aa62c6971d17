"""Password sign-in for office users (the console), under the same lock-out rules as PINs.

A user name + password is checked exactly as a badge + PIN is (``wms.services.auth``): one
conditional UPDATE claims an attempt below ``MAX_FAILED_LOGINS`` before the hash runs, the
scrypt check runs on the PIN-check thread (never the event loop, never in a transaction),
and every refusal is the same answer whatever its cause. The count of failed attempts is the
user's one ``failed_logins``: a badge locked by wrong PINs is locked for its password too.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import NotFound, Unauthorized, WmsError
from wms.models import ApiToken, User
from wms.models.common import utcnow
from wms.services import audit, auth

MIN_LENGTH = 10
MAX_LENGTH = 200  # scrypt reads it all: a megabyte "password" would be a cheap denial
_BAD = ("bad_login", "Name or password", "unknown user or wrong password")
log = logging.getLogger("wms.security")
_USER = User.__table__.c


@dataclass(frozen=True)
class _Claim:
    id: int
    password_hash: str
    attempt: int


def check_password(password: str) -> None:
    """Refuse a password too short or too long to be one (the rule the CLI applies)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WmsError(
            "bad_password", "Password too short",
            f"a password is {MIN_LENGTH} to {MAX_LENGTH} characters",
        )  # fmt: skip


async def set_password(db: Database, username: str, password: str, by: str = "cli") -> None:
    """Give an office user a password (hashed here, before the transaction opens)."""
    check_password(password)
    loop = asyncio.get_running_loop()
    digest = await loop.run_in_executor(auth._PIN_CHECKS, auth.hash_pin, password)
    await db.run(_store, username, digest, by)


def _store(s: Session, username: str, digest: str, by: str) -> None:
    done = s.execute(
        update(User.__table__)
        .where(_USER.username == username)
        .values(password_hash=digest, failed_logins=0)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("unknown_user", "Unknown user", f"no user {username!r}")
    audit.record(s, by, "password_set", f"user:{username}")


async def login(db: Database, username: str, password: str, ttl_s: int) -> tuple[str, Any]:
    """User name + password: a bearer token for the console session, like a badge login."""
    if not username or not password or len(password) > MAX_LENGTH:
        await _refuse(db, username, "empty or overlong name or password")
    claimed = await db.run(_claim, username)
    loop = asyncio.get_running_loop()
    stored = claimed.password_hash if claimed is not None else auth._DUMMY_HASH
    right = await loop.run_in_executor(auth._PIN_CHECKS, auth.verify_pin, password, stored)
    if claimed is None:
        await _refuse(db, username, await db.run(_why_unclaimed, username))
    assert claimed is not None
    if not right:
        await _refuse(
            db, username, f"wrong password ({claimed.attempt} of {auth.MAX_FAILED_LOGINS})"
        )
    token, user = await db.run(_succeed, claimed.id, ttl_s)
    return token, auth._principal(user)


def _claim(s: Session, username: str) -> _Claim | None:
    """Count one attempt for an active, unlocked user with a password; None if none may be."""
    row = s.execute(
        update(User.__table__)
        .where(
            _USER.username == username,
            _USER.active.is_(True),
            _USER.password_hash != "",
            _USER.failed_logins < auth.MAX_FAILED_LOGINS,
        )
        .values(failed_logins=_USER.failed_logins + 1)
        .returning(_USER.id, _USER.password_hash, _USER.failed_logins)
    ).first()
    return _Claim(row.id, row.password_hash, row.failed_logins) if row else None


@reads
def _why_unclaimed(s: Session, username: str) -> str:
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        return "unknown user"
    if not user.active:
        return "inactive user"
    if not user.password_hash:
        return "no password set"
    return "locked: too many wrong attempts"


def _succeed(s: Session, user_id: int, ttl_s: int) -> tuple[str, User]:
    user = s.get(User, user_id)
    assert user is not None
    user.failed_logins = 0  # success clears the count, the attempt it claimed included
    token = secrets.token_urlsafe(32)
    s.execute(
        insert(ApiToken.__table__).values(
            user_id=user_id, token_hash=auth.token_hash(token), name="console",
            created_at=utcnow(), expires_at=utcnow() + timedelta(seconds=ttl_s), revoked=False,
        )
    )  # fmt: skip
    return token, user


async def _refuse(db: Database, username: str, why: str) -> NoReturn:
    log.warning("login refused: user=%r %s", username[:60], why)
    await db.run(_record_refusal, username[:60], why)
    raise Unauthorized(*_BAD)


def _record_refusal(s: Session, username: str, why: str) -> None:
    audit.record(s, "anonymous", auth.LOGIN_FAILED, f"user:{username}", why)


@reads
def _locked(s: Session) -> list[dict[str, Any]]:
    rows = s.execute(
        select(User.username, User.role, User.failed_logins)
        .where(
            User.failed_logins >= auth.MAX_FAILED_LOGINS,
            User.password_hash != "",
            User.badge.is_(None),  # type: ignore[union-attr]
        )
        .order_by(User.username)
    ).all()
    return [
        {"username": r.username, "role": r.role, "failed_logins": r.failed_logins} for r in rows
    ]


async def locked_users(db: Database) -> list[dict[str, Any]]:
    """Office users without a badge locked out by wrong passwords (badges are listed apart)."""
    return await db.run(_locked)


async def unlock_user(db: Database, username: str, by: Any) -> dict[str, Any]:
    """A supervisor lets a locked office user sign in again; the audit log says who, when."""
    return await db.run(_unlock, username, by.username)


def _unlock(s: Session, username: str, by: str) -> dict[str, Any]:
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("unknown_user", "Unknown user", f"no user {username!r}")
    had, user.failed_logins = user.failed_logins, 0
    audit.record(s, by, "user_unlocked", f"user:{username}", f"{had} failed logins cleared")
    log.info("user %s unlocked by %s", username, by)
    return {"username": username, "were": had}


def set_password_cli(database_url: str, username: str) -> int:
    """`wms user password USER`: asked twice on a terminal, one line from a pipe."""
    import getpass
    import sys

    if sys.stdin.isatty():
        password = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Again: ") != password:
            print("wms user password: the two passwords differ; nothing changed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")

    async def go() -> None:
        db = Database(database_url)
        try:
            await set_password(db, username, password)
        finally:
            await db.dispose()

    try:
        asyncio.run(go())
    except WmsError as exc:
        print(f"wms user password: {exc.detail}; nothing changed", file=sys.stderr)
        return 1
    print(f"password set for {username}")
    return 0
