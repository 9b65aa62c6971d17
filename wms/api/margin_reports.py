"""The warehouse side of the margins as JSON and CSV: picking and packing minutes, late
shipments and backorders per channel or per order (wms/reports/margin_work.py)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from wms.api.deps import DbDep
from wms.api.security import OFFICE, requires
from wms.reports import margin, margin_work
from wms.reports.margin_work import WorkReport

Query = Annotated[str | None, QueryParameter(max_length=40)]
From = Annotated[str | None, QueryParameter(name="from", max_length=10)]
To = Annotated[str | None, QueryParameter(name="to", max_length=10)]


async def _report(
    db: Any, group: str | None, start: str | None, end: str | None, channel: str | None
) -> WorkReport:
    first, last = margin.parse_range(start, end)
    return await db.run(margin_work.work_report, group or "channel", first, last, channel)  # type: ignore[no-any-return]


class MarginWorkController(Controller):
    path = "/api/v1/reports"
    guards = [requires(*OFFICE)]  # supervisors and admins, as the margin report
    tags = ["reports"]

    @get("/work")
    async def work(
        self,
        db: DbDep,
        group: Query = "channel",
        start: From = None,
        end: To = None,
        channel: Query = None,
    ) -> WorkReport:
        """Picking and packing minutes, late shipments and backorders, by channel or order."""
        return await _report(db, group, start, end, channel)

    @get("/work.csv", media_type="text/csv; charset=utf-8")
    async def work_csv(
        self,
        db: DbDep,
        group: Query = "channel",
        start: From = None,
        end: To = None,
        channel: Query = None,
    ) -> Response[str]:
        """The same report as a CSV download (its rows, then the total row)."""
        report = await _report(db, group, start, end, channel)
        name = f"work-{report.group}-{report.start}-{report.end}.csv"
        return Response(
            margin_work.as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )


ROUTES: list[Any] = [MarginWorkController]
