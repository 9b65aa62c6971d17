"""Dependencies shared by the controllers: the database and the caller."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from wms.config import Settings
from wms.db import Database
from wms.services.auth import Principal


def provide_db(state: State) -> Database:
    return state.db


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_principal(request: Request) -> Principal:
    return request.user
