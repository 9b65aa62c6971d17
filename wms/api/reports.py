"""Report endpoints: the floor's figures (the queries the console renders) and the margin
report as JSON or a CSV download."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy.orm import Session

from wms.api.answers import answer
from wms.api.answers.reports import ExceptionCounts, FloorBoard, MarginReport, Throughput
from wms.api.deps import DbDep, SettingsDep
from wms.api.security import OFFICE, requires
from wms.db import long_reads, reads
from wms.errors import WmsError
from wms.models.common import utcnow
from wms.reports import exceptions, floor, margin, margin_orders, margin_summary

Query = Annotated[str | None, QueryParameter(max_length=40)]


class ReportController(Controller):
    path = "/api/v1/reports"
    guards = [requires(*OFFICE)]  # supervisors and admins: money is not floor information
    tags = ["reports"]

    @get("/floor")
    async def floor_board(self, db: DbDep) -> FloorBoard:
        """Open waves (% picked, packed, shipped), their batches, and each carrier's cutoff pace."""
        return answer(FloorBoard, await db.run(_board, utcnow()))

    @get("/throughput")
    async def throughput(self, db: DbDep) -> Throughput:
        """Today's lines and units per hour, per picker and per packer."""
        return answer(Throughput, await db.run(_throughput, utcnow()))

    @get("/exceptions")
    async def exception_counts(self, db: DbDep) -> ExceptionCounts:
        """How many of each kind of trouble are open (the console's alert strip)."""
        return answer(ExceptionCounts, await db.run(_exception_counts, utcnow()))

    @get(
        "/margin",
        response_description="The report (JSON), or with format=csv its rows as CSV",
        opt={"also_media_type": "text/csv"},
    )
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
        sort: Annotated[str | None, QueryParameter(max_length=20)] = None,
        limit: Annotated[int | None, QueryParameter()] = None,
        offset: Annotated[int | None, QueryParameter()] = None,
    ) -> Response[MarginReport]:
        """Contribution margin by channel, product, creator, content, day, week or order.

        By order, the answer is the range's total and one page of its orders (``sort``: a
        figure, ``-`` first for descending, default ``margin``; ``limit``, ``offset``), with
        ``count`` orders in all; its CSV streams every order, in id order.
        """
        first, last = margin.parse_range(start, end)
        reporting = (currency or settings.reporting_currency).upper()
        if len(reporting) != 3 or not reporting.isalpha():
            raise WmsError("bad_currency", "Bad currency", f"{reporting!r} is not ISO 4217")
        if format not in ("json", "csv"):
            raise WmsError("bad_format", "Unknown format", "format is json or csv")
        group = group or "channel"
        margin.checked(group, reporting)
        if group == "order" and format == "csv":
            name = f"margin-order-{first}-{last}.csv"
            return Stream(  # type: ignore[return-value]
                margin_orders.csv_chunks(db, first, last, reporting, channel),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        if group == "order":
            margin_orders.parse_sort(sort)  # a bad page is refused before any work
            margin_orders.parse_page(limit, offset)
        await db.run(margin_summary.refresh)  # the days changed since, from the facts
        if group == "order":
            report = await db.run(
                margin_orders.page, first, last, reporting, channel, sort, limit, offset
            )
        else:
            report = await db.run(_margin, group, first, last, reporting, channel)
        if format == "csv":
            name = f"margin-{report['group']}-{first}-{last}.csv"
            return Response(
                margin.as_csv(report),  # type: ignore[arg-type]
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        return Response(answer(MarginReport, report), media_type=MediaType.JSON)


# The reports' queries are not marked on this branch: each is wrapped in a named reader.
@reads
def _board(s: Session, now: datetime) -> dict[str, Any]:
    return floor.board(s, now)


@reads
def _throughput(s: Session, now: datetime) -> dict[str, Any]:
    return floor.throughput(s, now)


@reads
def _exception_counts(s: Session, now: datetime) -> dict[str, int]:
    return exceptions.counts(s, now)


@long_reads
def _margin(
    s: Session, group: str, first: date, last: date, currency: str, channel: str | None
) -> dict[str, Any]:
    return margin.margin_report(s, group, first, last, currency, channel)


ROUTES: list[Any] = [ReportController]
