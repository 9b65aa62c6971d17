"""Adding, editing and disabling users and their badges (a PIN hash never leaves here).

Each change is one short transaction that checks everything first and raises before
writing, so a refused change leaves nothing behind; every change adds an audit line (who,
what, which) in the same transaction. A disabled user's tokens stop at once: who a token
belongs to is read on every request (`wms.services.auth`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models import User
from wms.services import audit
from wms.services.admin_common import changed_fields
from wms.services.auth import ROLES, hash_pin

USER_FIELDS = frozenset({"name", "role", "badge", "pin", "active", "channels"})


def user_view(row: User) -> dict[str, Any]:
    return {
        "username": row.username,
        "name": row.name,
        "role": row.role,
        "badge": row.badge or "",
        "has_pin": bool(row.pin_hash),
        "active": row.active,
        "failed_logins": row.failed_logins,
        "channels": [c for c in row.channels.split(",") if c],
    }


def _values(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "role" and value not in ROLES:
            raise WmsError("bad_user", "Bad user", f"role: one of {', '.join(ROLES)}")
        if key == "pin":
            if not (str(value).isdigit() and 4 <= len(str(value)) <= 12):
                raise WmsError("bad_pin", "Bad PIN", "a PIN is 4 to 12 digits")
            out["pin_hash"] = hash_pin(str(value))
            continue
        if key == "badge":
            value = str(value).strip() or None
        if key == "channels":
            value = ",".join(str(c) for c in value)
        out[key] = value
    return out


def _user(s: Session, username: str) -> User:
    row = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if row is None:
        raise NotFound("unknown_user", "Unknown user", f"no user {username!r}")
    return row


def _badge_free(s: Session, badge: str | None, user_id: int | None) -> None:
    if badge is None:
        return
    owner = s.execute(select(User.id).where(User.badge == badge)).scalar_one_or_none()
    if owner is not None and owner != user_id:
        raise Conflict("badge_taken", "Badge taken", f"badge {badge!r} is someone else's")


@reads
def list_users(s: Session) -> list[dict[str, Any]]:
    return [user_view(r) for r in s.execute(select(User).order_by(User.username)).scalars()]


@reads
def get_user(s: Session, username: str) -> dict[str, Any]:
    return user_view(_user(s, username))


def create_user(s: Session, actor: str, values: dict[str, Any]) -> dict[str, Any]:
    username = str(values.get("username", "")).strip()
    if not username or len(username) > 60:
        raise WmsError("bad_user", "Bad user", "username: 1 to 60 characters")
    fields = _values({k: v for k, v in values.items() if k in USER_FIELDS})
    if "role" not in fields:
        raise WmsError("bad_user", "Bad user", f"role: one of {', '.join(ROLES)}")
    if fields.get("badge") and "pin_hash" not in fields:
        raise WmsError("bad_pin", "Bad PIN", "a badge needs a PIN to log in with")
    if s.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("user_exists", "User exists", f"user {username!r} exists")
    _badge_free(s, fields.get("badge"), None)
    row = User(username=username, **fields)
    s.add(row)
    s.flush()
    audit.record(s, actor, "user.create", username, f"role={row.role}")
    return user_view(row)


def update_user(s: Session, actor: str, username: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change fields; a new PIN replaces the old, ``active`` false disables (true unlocks)."""
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise WmsError("bad_user", "Bad user", f"cannot change {sorted(unknown)}")
    row = _user(s, username)
    demoted = changes.get("role", row.role) != row.role
    if username == actor and (changes.get("active") is False or demoted):
        # The last way back in must not be closed by a slip of one's own.
        raise Conflict("own_account", "Your own account", "another admin changes your access")
    fields = _values(changes)
    if "badge" in fields:
        _badge_free(s, fields["badge"], row.id)
    if fields.get("badge") and not (fields.get("pin_hash") or row.pin_hash):
        raise WmsError("bad_pin", "Bad PIN", "a badge needs a PIN to log in with")
    if fields.get("active"):
        fields["failed_logins"] = 0  # enabling again unlocks, as the security page does
    changed = changed_fields(row, fields)
    s.flush()
    shown = ["pin(reset)" if c == "pin_hash" else c for c in changed]
    audit.record(s, actor, "user.update", username, "changed=" + ",".join(shown))
    return user_view(row)
