"""Bearer-token authentication and role guards for every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from wms.errors import Forbidden, Unauthorized
from wms.services import auth
from wms.services.auth import Principal

PUBLIC_PATHS = {"/schema", "/api/v1/auth/login", "/webhooks", "/health", "/static", "/favicon"}
PUBLIC_PATHS.add("/track/")  # the buyer's tracking page: it asks for the postal code itself


class BearerAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
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
            raise Forbidden(
                "forbidden",
                "Not allowed",
                f"role {user.role} may not do this",
                allowed=sorted(allowed),
            )

    return guard


FLOOR = ("picker", "packer", "supervisor")
OFFICE = ("supervisor",)
INTEGRATION = ("integration", "supervisor")
