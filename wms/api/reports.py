"""Report endpoints: the floor's figures (the queries the console renders) and the margin
report as JSON or a CSV download."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get
from litestar.params import QueryParameter

from wms.api.deps import DbDep, SettingsDep
from wms.api.security import OFFICE, requires
from wms.errors import WmsError
from wms.models.common import utcnow
from wms.reports import exceptions, floor, margin

Query = Annotated[str | None, QueryParameter(max_length=40)]


class ReportController(Controller):
    path = "/api/v1/reports"
    guards = [requires(*OFFICE)]  # supervisors and admins: money is not floor information
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

    @get("/margin")
    async def margin(
        self,
        db: DbDep,
        settings: SettingsDep,
        group: Query = "channel",
        start: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
        end: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
        channel: Query = None,
        currency: Annotated[str | None, QueryParameter(max_length=3)] = None,
        format: Query = "json",  # noqa: A002 (the query parameter's public name)
    ) -> Response[Any]:
        """Contribution margin by channel, product, creator, content, day, week or order."""
        first, last = margin.parse_range(start, end)
        reporting = (currency or settings.reporting_currency).upper()
        if len(reporting) != 3 or not reporting.isalpha():
            raise WmsError("bad_currency", "Bad currency", f"{reporting!r} is not ISO 4217")
        if format not in ("json", "csv"):
            raise WmsError("bad_format", "Unknown format", "format is json or csv")
        report = await db.read_run(
            margin.margin_report, group or "channel", first, last, reporting, channel
        )
        if format == "csv":
            name = f"margin-{report['group']}-{first}-{last}.csv"
            return Response(
                margin.as_csv(report),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        return Response(report, media_type=MediaType.JSON)


ROUTES: list[Any] = [ReportController]
