"""Bearer-token authentication, role guards for every route, and the security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Message, Scope

from wms.api import roles
from wms.errors import Forbidden, Unauthorized
from wms.services import auth
from wms.services.auth import Principal

# "/track/": the buyer's tracking page asks for the destination postal code itself.
PUBLIC_PATHS = {
    "/schema", "/api/v1/auth/login", "/webhooks", "/health", "/static", "/favicon", "/track/"
}
log = logging.getLogger("wms.security")


class BearerAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            log.warning(
                "refused %s %s: no bearer token", connection.scope["method"], _path(connection)
            )
            raise NotAuthorizedException("missing bearer token")
        principal = await auth.authenticate(connection.app.state.db, token.strip())
        return AuthenticationResult(user=principal, auth=token.strip())


def requires(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard letting through the given roles; admins may do everything."""
    allowed = set(roles) | {"admin"}

    # A coroutine: Litestar runs a plain-function guard in a worker thread, a hop per request.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise Unauthorized("unauthorized", "Please log in", "no authenticated user")
        if user.role not in allowed:
            _forbid(connection, user, allowed)

    return guard


def _path(connection: ASGIConnection) -> str:
    return str(connection.scope.get("path_template") or connection.scope.get("path", ""))


def _forbid(
    connection: ASGIConnection, user: Principal, allowed: frozenset[str] | set[str]
) -> NoReturn:
    log.warning(
        "refused %s %s: user=%s role=%s token id=%s",
        connection.scope["method"],
        _path(connection),
        user.username,
        user.role,
        user.token_id,
    )
    raise Forbidden(
        "forbidden",
        "Not allowed",
        f"role {user.role} may not do this",
        allowed=sorted(allowed - roles.PUBLIC),
    )


async def role_table(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The app-wide guard: the caller's role must be in the route's entry of ``roles.ROUTES``.

    Under ``/api/`` a route the table does not know is refused to everyone (fail closed);
    elsewhere (webhooks, documentation, pages) the route's own guards decide.
    """
    method = connection.scope["method"]
    template = _path(connection)
    if template.startswith(roles.CONSOLE_PREFIX):
        return  # the console's own gate (wms.web) reads the same table, after its sign-in
    entry = roles.allowed(method, template)
    if method == "OPTIONS" or entry == roles.PUBLIC:
        return
    user = connection.scope.get("user")
    if entry is None:
        if not template.startswith("/api/"):
            return
        entry = frozenset()
    if not isinstance(user, Principal):
        raise Unauthorized("unauthorized", "Please log in", "no authenticated user")
    if user.role not in entry:
        _forbid(connection, user, entry)


def require_channel(user: Principal, channel: str) -> None:
    """An integration token acts on its own channel(s) only; others get a 403 problem."""
    if not user.acts_on(channel):
        log.warning(
            "refused channel %r to user=%s token id=%s", channel, user.username, user.token_id
        )
        raise Forbidden(
            "channel_forbidden",
            "Not your channel",
            f"this token acts on {', '.join(user.channels) or 'no channel'}, not {channel!r}",
        )


_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# An API answer is data, never a page: nothing in it may run, load or be framed.
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_PAGE_CSP = b"frame-ancestors 'none'"


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: the security headers on every answer, refusals included."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    have = {name.lower() for name, _ in headers}
    for name, value in _HEADERS:
        if name not in have:
            headers.append((name, value))
    if b"content-security-policy" not in have:
        ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        headers.append((b"content-security-policy", _PAGE_CSP if b"html" in ctype else _API_CSP))
    if str(scope.get("path", "")).startswith("/api/v1/auth/") and b"cache-control" not in have:
        headers.append((b"cache-control", b"no-store"))  # tokens are in these answers
    message["headers"] = headers


FLOOR = ("picker", "packer", "supervisor")
OFFICE = ("supervisor",)
INTEGRATION = ("integration", "supervisor")
