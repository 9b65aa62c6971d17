"""The warehouse side of the margins as JSON and CSV: picking and packing minutes, late
shipments and backorders per channel or per order (wms/reports/margin_work.py)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Stream

from wms.api.deps import DbDep
from wms.api.security import OFFICE, requires
from wms.reports import margin, margin_work
from wms.reports.margin_work import WorkReport

Query = Annotated[str | None, QueryParameter(max_length=40)]
From = Annotated[str | None, QueryParameter(name="from", max_length=10)]
To = Annotated[str | None, QueryParameter(name="to", max_length=10)]
Limit = Annotated[int, QueryParameter(ge=1, le=margin_work.MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Sort = Annotated[str, QueryParameter(max_length=40)]


async def _report(
    db: Any, group: str | None, start: str | None, end: str | None, channel: str | None,
    **page: Any,
) -> WorkReport:  # fmt: skip
    first, last = margin.parse_range(start, end)
    return await db.run(  # type: ignore[no-any-return]
        margin_work.work_report, group or "channel", first, last, channel, **page
    )


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
        sort: Sort = "label",
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> WorkReport:
        """Picking and packing minutes, late shipments and backorders, by channel or order:
        a page of rows (`limit`, `offset`, `sort`, "-" first for descending), `count` rows in
        all, and the total."""
        return await _report(db, group, start, end, channel, sort=sort, limit=limit, offset=offset)

    @get("/work.csv", media_type="text/csv; charset=utf-8")
    async def work_csv(
        self,
        db: DbDep,
        group: Query = "channel",
        start: From = None,
        end: To = None,
        channel: Query = None,
        sort: Sort = "label",
    ) -> Stream:
        """The same report as a CSV download: every row (no page), then the total row."""
        first, last = margin.parse_range(start, end)
        group = group or "channel"
        rows, total = await db.run(margin_work.every_row, group, first, last, channel, sort=sort)
        name = f"work-{group}-{first.isoformat()}-{last.isoformat()}.csv"
        return Stream(
            margin_work.as_csv_lines(rows, total),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )


ROUTES: list[Any] = [MarginWorkController]
