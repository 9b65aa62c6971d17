"""The console's session: a signed cookie holding the login's bearer token, CSRF, idle timeout.

The cookie is `base64(json).hmac`: HttpOnly, SameSite=Strict, Secure when the request came
over https (directly or through a proxy that says so). It carries the bearer token the
sign-in issued, so signing out revokes the same token a terminal would, and the principal
behind a page is found exactly as the API finds it. Every state-changing request must
carry the session's CSRF token (a form field or the `X-CSRF-Token` header htmx sends).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

COOKIE = "wms_console"
IDLE_S = int(os.environ.get("WMS_UI_IDLE_S", "1800"))  # signed out after 30 idle minutes
CONSOLE_ROLES = ("supervisor", "admin")
# Several server processes must share it (a cookie signed by one is read by another); when
# unset, each process draws its own and a restart signs everyone out.
_SECRET = (os.environ.get("WMS_UI_SECRET") or secrets.token_hex(32)).encode()


@dataclass
class Session:
    """What the cookie says: the CSRF token always; the login once signed in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str = ""
    seen: float = field(default_factory=time.time)
    dirty: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "token": self.token, "seen": int(self.seen)}


def _sign(body: bytes) -> str:
    return hmac.new(_SECRET, body, hashlib.sha256).hexdigest()


def encode(session: Session) -> str:
    body = base64.urlsafe_b64encode(json.dumps(session.as_json()).encode())
    return f"{body.decode()}.{_sign(body)}"


def decode(raw: str | None) -> Session | None:
    if not raw or "." not in raw:
        return None
    body, _, sig = raw.rpartition(".")
    if not hmac.compare_digest(_sign(body.encode()), sig):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
        return Session(csrf=str(data["csrf"]), token=str(data["token"]), seen=float(data["seen"]))
    except (ValueError, KeyError, TypeError):
        return None


def load(request: Request) -> Session:
    """The request's session, a fresh one (new CSRF token) when there is none or it is bad."""
    cached = request.scope.get("wms_session")  # type: ignore[typeddict-item]
    if isinstance(cached, Session):
        return cached
    session = decode(request.cookies.get(COOKIE))
    if session is None:
        session = Session(dirty=True)
    elif session.token and time.time() - session.seen > IDLE_S:
        session = Session(dirty=True)  # idle too long: signed out
    elif time.time() - session.seen > 60:
        session.seen, session.dirty = time.time(), True  # refreshed at most once a minute
    request.scope["wms_session"] = session  # type: ignore[typeddict-unknown-key]
    return session


def is_https(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or proto.split(",")[0].strip() == "https"


def cookie(request: Request, session: Session) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=encode(session),
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        max_age=IDLE_S if session.token else None,
    )


def save(request: Request, session: Session) -> None:
    """Replace the request's session; the console's middleware sets the cookie."""
    session.dirty = True
    request.scope["wms_session"] = session  # type: ignore[typeddict-unknown-key]


def csrf_ok(request: Request, sent: str | None) -> bool:
    session = load(request)
    return bool(sent) and hmac.compare_digest(session.csrf, str(sent))
