"""Floor reports as JSON: the same queries (`wms.reports`) the supervisor's console renders."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get

from wms.api.deps import DbDep
from wms.api.security import OFFICE, requires
from wms.models.common import utcnow
from wms.reports import exceptions, floor


class ReportController(Controller):
    path = "/api/v1/reports"
    guards = [requires(*OFFICE)]
    tags = ["reports"]

    @get("/floor")
    async def floor_board(self, db: DbDep) -> dict[str, Any]:
        """Open waves (% picked, packed, shipped), their batches, and each carrier's cutoff pace."""
        return await db.read_run(floor.board, utcnow())

    @get("/throughput")
    async def throughput(self, db: DbDep) -> dict[str, Any]:
        """Today's lines and units per hour, per picker and per packer."""
        return await db.read_run(floor.throughput, utcnow())

    @get("/exceptions")
    async def exception_counts(self, db: DbDep) -> dict[str, int]:
        """How many of each kind of trouble are open (the console's alert strip)."""
        return await db.read_run(exceptions.counts, utcnow())


ROUTES: list[Any] = [ReportController]
