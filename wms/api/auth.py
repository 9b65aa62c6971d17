"""Log in with a badge and PIN, log out, and issue API tokens to integrations."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from wms.api.answers import Ok, answer
from wms.api.answers.auth import AuditLine, IssuedToken, LoggedIn, Me, Unlocked
from wms.api.deps import DbDep, SettingsDep, UserDep
from wms.api.security import requires
from wms.services import auth
from wms.services.auth import Principal


class Login(msgspec.Struct, forbid_unknown_fields=True):
    badge: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    pin: Annotated[str, msgspec.Meta(min_length=1, max_length=12)]


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    name: Annotated[str, msgspec.Meta(max_length=100)] = ""


def _me(user: Principal) -> Me:
    return Me(id=user.user_id, username=user.username, name=user.name, role=user.role)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["auth"]

    @get("/", guards=[requires("supervisor")])
    async def audit_log(
        self,
        db: DbDep,
        action: Annotated[str, QueryParameter(min_length=1, max_length=40)],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AuditLine]:
        """The latest audit lines of one action (``badge_unlocked``, ``count_approved`` …)."""
        return answer(list[AuditLine], await auth.audit_lines(db, action, limit))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", status_code=200)
    async def login(self, data: JSONBody[Login], db: DbDep, settings: SettingsDep) -> LoggedIn:
        token, user = await auth.login(db, data.badge, data.pin, settings.token_ttl_s)
        return LoggedIn(token=token, user=_me(user))

    @post("/logout", status_code=200)
    async def logout(self, request: Request, db: DbDep) -> Ok:
        await auth.logout(db, str(request.auth))
        return Ok(ok=True)

    @get("/me")
    async def me(self, user: UserDep) -> Me:
        return _me(user)

    @get("/failed-logins", guards=[requires("supervisor")])
    async def failed_logins(
        self, db: DbDep, limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100
    ) -> list[AuditLine]:
        """The latest refused logins, newest first: which badge, when, and why."""
        return answer(list[AuditLine], await auth.failed_logins(db, limit))

    @post("/badges/{badge:str}/unlock", status_code=200, guards=[requires("supervisor")])
    async def unlock(self, db: DbDep, user: UserDep, badge: FromPath[str]) -> Unlocked:
        """Let a badge locked by wrong PINs log in again; written to the audit log."""
        return answer(Unlocked, await auth.unlock_badge(db, badge, user))

    @post("/tokens", status_code=201, guards=[requires()])
    async def create_token(self, data: JSONBody[NewToken], db: DbDep) -> IssuedToken:
        """An API token for an integration; shown once, stored only as a hash."""
        token = await auth.create_api_token(db, data.username, data.name)
        return IssuedToken(token=token, username=data.username)
