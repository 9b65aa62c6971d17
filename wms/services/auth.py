"""Badge + PIN logins, API tokens, and who a bearer token belongs to."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

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
    _known.pop(token_hash(token), None)
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


# Who a token belongs to, remembered for a few seconds: every scan is a request, and a
# database read per request for the same answer is waste. A revocation in this process
# takes effect at once (logout evicts); in another process within CACHE_S.
CACHE_S = 10.0
_known: dict[str, tuple[float, Principal]] = {}


async def authenticate(db: Database, token: str) -> Principal:
    digest = token_hash(token)
    hit = _known.get(digest)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    principal = await _authenticate(db, token)
    if len(_known) > 10_000:
        _known.clear()
    _known[digest] = (time.monotonic() + CACHE_S, principal)
    return principal


async def _authenticate(db: Database, token: str) -> Principal:
    async with db.read() as s:
        row = (
            await s.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash(token))
            )
        ).first()
    if row is None:
        raise Unauthorized("bad_token", "Please log in", "unknown bearer token")
    tok, user = row
    if tok.revoked or not user.active or (tok.expires_at and tok.expires_at < utcnow()):
        raise Unauthorized("expired_token", "Please log in again", "token expired or revoked")
    return Principal(user.id, user.username, user.role, user.name)  # type: ignore[arg-type]


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
