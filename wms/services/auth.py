"""Badge + PIN logins, API tokens, and who a bearer token belongs to."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict, NotFound, Unauthorized, WmsError
from wms.models import ApiToken, User
from wms.models.common import utcnow
from wms.services import audit

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
    token_id: int | None = None  # logged with refusals, never the token itself
    channels: tuple[str, ...] = ()  # what an integration acts on

    def acts_on(self, channel: str) -> bool:
        """May this caller act on ``channel``'s orders? Integrations only on their own."""
        return self.role != "integration" or channel in self.channels


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


def _issue(s: Session, user: User, name: str, ttl: timedelta | None) -> str:
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
# Checked when no PIN of a user may be: an unknown, inactive or locked badge costs the same
# hash on the same thread as a wrong PIN, so the answer's timing tells nothing either.
_DUMMY_HASH = hash_pin(secrets.token_hex(8))
LOGIN_FAILED = "login_failed"
_BAD_LOGIN = ("bad_login", "Badge or PIN wrong", "unknown badge or wrong PIN")
log = logging.getLogger("wms.security")


async def login(db: Database, badge: str, pin: str, ttl_s: int) -> tuple[str, Principal]:
    """Badge scan + PIN: a bearer token for this terminal session.

    Every answer but success is the same ``bad_login`` (unknown badge, inactive, wrong PIN,
    locked): what an attacker can tell apart, it can use. A PIN is checked only after an
    attempt is claimed by one conditional UPDATE below the limit, so guesses sent at once
    check at most ``MAX_FAILED_LOGINS`` PINs before the badge locks.
    """
    if not badge or not pin:
        await _refuse(db, badge, "empty badge or PIN", None)
    claimed = await _claim_attempt(db, badge)
    loop = asyncio.get_running_loop()
    stored = claimed.pin_hash if claimed is not None else _DUMMY_HASH
    right = await loop.run_in_executor(_PIN_CHECKS, verify_pin, pin, stored)
    if claimed is None:
        await _refuse(db, badge, await _why_unclaimed(db, badge), None)
    assert claimed is not None
    if not right:
        await _refuse(db, badge, f"wrong PIN ({claimed.attempt} of {MAX_FAILED_LOGINS})", None)
    token, user = await db.run(_logged_in, claimed.id, ttl_s)
    return token, _principal(user)


def _logged_in(s: Session, user_id: int, ttl_s: int) -> tuple[str, User]:
    user = s.get(User, user_id)
    assert user is not None
    user.failed_logins = 0  # success clears the count, the attempt it claimed included
    return _issue(s, user, "login", timedelta(seconds=ttl_s)), user


@dataclass(frozen=True)
class _Claim:
    id: int
    pin_hash: str
    attempt: int  # which attempt of MAX_FAILED_LOGINS this one is


async def _claim_attempt(db: Database, badge: str) -> _Claim | None:
    """Count one attempt for an active, unlocked badge at once; None when none may be made."""
    return await db.run(_claim, badge)


def _claim(s: Session, badge: str) -> _Claim | None:
    row = s.execute(
        update(User)
        .where(
            User.badge == badge,
            User.active.is_(True),  # type: ignore[attr-defined]
            User.failed_logins < MAX_FAILED_LOGINS,
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.pin_hash, User.failed_logins)
    ).first()
    return _Claim(row.id, row.pin_hash, row.failed_logins) if row else None


@reads
def _user_of_badge(s: Session, badge: str) -> User | None:
    return s.execute(select(User).where(User.badge == badge)).scalar_one_or_none()


async def _why_unclaimed(db: Database, badge: str) -> str:
    user = await db.run(_user_of_badge, badge)
    if user is None:
        return "unknown badge"
    if not user.active:
        return "inactive badge"
    return "locked: too many wrong PINs"


async def _refuse(db: Database, badge: str, why: str, actor: str | None) -> NoReturn:
    """Log and record a refused login, then answer it like every other refusal."""
    log.warning("login refused: badge=%r %s", badge, why)
    await db.run(_record_refusal, actor or "anonymous", badge, why)
    raise Unauthorized(*_BAD_LOGIN)


def _record_refusal(s: Session, actor: str, badge: str, why: str) -> None:
    audit.record(s, actor, LOGIN_FAILED, f"badge:{badge}", why)


async def failed_logins(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The latest refused logins, newest first (for a supervisor)."""
    return await db.run(audit.recent, (LOGIN_FAILED,), limit)


async def audit_lines(db: Database, action: str, limit: int = 100) -> list[dict[str, Any]]:
    return await db.run(audit.recent, (action,), limit)


async def locked_badges(db: Database) -> list[dict[str, Any]]:
    """Badges that may not log in until a supervisor unlocks them (too many wrong PINs)."""
    rows = await db.run(_locked)
    return [
        {"badge": r.badge, "username": r.username, "role": r.role, "failed_logins": r.failed_logins}
        for r in rows
    ]


@reads
def _locked(s: Session) -> list[Any]:
    return list(
        s.execute(
            select(User.badge, User.username, User.role, User.failed_logins)
            .where(User.failed_logins >= MAX_FAILED_LOGINS, User.badge.is_not(None))
            .order_by(User.badge)
        ).all()
    )


async def unlock_badge(db: Database, badge: str, by: Principal) -> dict[str, Any]:
    """A supervisor lets a locked badge log in again; the audit log says who, when, which."""
    username, had = await db.run(_unlock, badge, by.username)
    log.info("badge %s unlocked by %s", badge, by.username)
    return {"badge": badge, "username": username, "failed_logins": 0, "were": had}


def _unlock(s: Session, badge: str, by_username: str) -> tuple[str, int]:
    user = s.execute(select(User).where(User.badge == badge)).scalar_one_or_none()
    if user is None:
        raise NotFound("unknown_badge", "Unknown badge", f"no user has badge {badge!r}")
    had, user.failed_logins = user.failed_logins, 0
    audit.record(s, by_username, "badge_unlocked", f"badge:{badge}", f"{had} failed logins cleared")
    return user.username, had


async def logout(db: Database, token: str) -> None:
    await db.run(_revoke, token_hash(token))


def _revoke(s: Session, digest: str) -> None:
    row = s.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    if row is not None:
        row.revoked = True


async def create_api_token(db: Database, username: str, name: str) -> str:
    return await db.run(_create_api_token, username, name)


def _create_api_token(s: Session, username: str, name: str) -> str:
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("unknown_user", "Unknown user", f"no user {username!r}")
    return _issue(s, user, name or "api", None)


# Who a token belongs to is read on every request, not remembered: a cache would keep a
# logged-out, expired or deactivated token working in every other process for as long as
# it kept it. One indexed row, read in place on SQLite (no thread hop), costs less than the
# rest of a scan.
_WHO = (
    select(
        ApiToken.__table__.c.id.label("token_id"),
        ApiToken.__table__.c.revoked,
        ApiToken.__table__.c.expires_at,
        User.__table__.c.id,
        User.__table__.c.username,
        User.__table__.c.role,
        User.__table__.c.name,
        User.__table__.c.active,
        User.__table__.c.channels,
    )
    .join(User.__table__, User.__table__.c.id == ApiToken.__table__.c.user_id)
    .where(ApiToken.__table__.c.token_hash == bindparam("digest"))
)


async def authenticate(db: Database, token: str) -> Principal:
    row = await db.run(_who, token_hash(token))
    if row is None:
        log.warning("token refused: unknown token sha256:%s", token_hash(token)[:12])
        raise Unauthorized("bad_token", "Please log in", "unknown bearer token")
    if row.revoked or not row.active or (row.expires_at and row.expires_at < utcnow()):
        log.warning(
            "token refused: token id=%s user=%s expired or revoked", row.token_id, row.username
        )
        raise Unauthorized("expired_token", "Please log in again", "token expired or revoked")
    channels = tuple(c for c in (row.channels or "").split(",") if c)
    return Principal(row.id, row.username, row.role, row.name, row.token_id, channels)


def _principal(user: User, token_id: int | None = None) -> Principal:
    channels = tuple(c for c in (user.channels or "").split(",") if c)
    return Principal(user.id, user.username, user.role, user.name, token_id, channels)  # type: ignore[arg-type]


@reads
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
    channels: tuple[str, ...] = (),
) -> User:
    if role not in ROLES:
        raise WmsError("bad_role", "Unknown role", f"role must be one of {', '.join(ROLES)}")
    if pin and (not pin.isdigit() or not 4 <= len(pin) <= 8):
        raise WmsError("bad_pin", "PIN: 4-8 digits", "a PIN is 4 to 8 digits")
    pin_hash = hash_pin(pin) if pin else ""  # scrypt: outside the transaction
    return await db.run(_create_user, username, role, name, badge, pin_hash, channels)


def _create_user(
    s: Session,
    username: str,
    role: str,
    name: str,
    badge: str | None,
    pin_hash: str,
    channels: tuple[str, ...],
) -> User:
    taken = s.execute(select(User).where(User.username == username)).first()
    if taken:
        raise Conflict("user_exists", "User exists", f"user {username!r} exists")
    user = User(
        username=username,
        role=role,
        name=name,
        badge=badge,
        pin_hash=pin_hash,
        channels=",".join(channels),  # what an integration acts on
    )
    s.add(user)
    s.flush()  # its id, for the caller (the transaction's end would also give it)
    return user
