"""Dependencies shared by the controllers: the database and the caller."""

from __future__ import annotations

from typing import TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from wms.config import Settings
from wms.db import Database
from wms.services.auth import Principal

# Explicit markers for the app-level dependencies below, so handlers do not rely on Litestar
# inferring them from the parameter name (deprecated, gone in Litestar 3).
DbDep: TypeAlias = NamedDependency[Database]
SettingsDep: TypeAlias = NamedDependency[Settings]
UserDep: TypeAlias = NamedDependency[Principal]


# Chained on purpose (db, then settings, then user): Litestar resolves the dependencies of
# one level together in an anyio task group, two tasks a request for what are attribute
# reads (py-spy: about a sixth of the server's time for a refused scan). One per level,
# each is resolved inline.
def provide_db(state: State) -> Database:
    return state.db


def provide_settings(state: State, db: DbDep) -> Settings:  # noqa: ARG001 (see above)
    return state.settings


def provide_principal(request: Request, settings: SettingsDep) -> Principal:  # noqa: ARG001
    return request.user
