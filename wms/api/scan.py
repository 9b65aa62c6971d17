"""Floor API: the scan resolver (`GET /api/v1/scan?code=…&context=…`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.params import QueryParameter

from wms.api.deps import DbDep
from wms.api.security import FLOOR, OFFICE, requires
from wms.services import scan


@get("/api/v1/scan", guards=[requires(*FLOOR, *OFFICE)], tags=["scan"])
async def resolve_scan(
    db: DbDep,
    code: Annotated[str, QueryParameter(max_length=200)],
    context: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> scan.ScanMatch:
    """What a raw scan names; a 2-digit check code only with `context` (expected location)."""
    return await scan.resolve(db, code, context)


ROUTES: list[Any] = [resolve_scan]
