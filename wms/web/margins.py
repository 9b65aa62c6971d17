"""The console's margin dashboard (/ui/margins): pictures, sortable tables, drill-down, CSV.

The figures are the margin and warehouse-work reports' own (wms/reports/margin*.py), the
same queries `/api/v1/reports/margin` and `/api/v1/reports/work` answer with, so the page
and the API never disagree. Charts are SVG drawn here (wms/web/margins_charts.py); tables
sort by links (no script); every table downloads as CSV with the page's filters.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get
from litestar.response import Stream, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import long_reads, reads
from wms.errors import WmsError
from wms.models import Channel
from wms.models.common import utcnow
from wms.reports import margin, margin_orders, margin_summary, margin_work
from wms.web.controllers import ConsoleHeaders, _db, _error_page, _gate, _page, _settings
from wms.web.margins_charts import Bar, hbars, vbars

TABLES = ("channel", "day", "product", "creator", "content")
DRILL = margin_orders.DRILL
ORDER_PAGE = 100
COLUMNS = ("label", "revenue", "goods", "fee", "commission", "shipping", "packaging", "returns",
           "margin", "margin_pct", "units", "orders", "aov", "return_rate")  # fmt: skip
WORK_COLUMNS = ("label", "orders", "pick_minutes", "pick_minutes_per_order", "pack_minutes",
                "pack_minutes_per_order", "shipped", "late", "late_unshipped",
                "backordered_orders", "backordered_lines", "backordered_units")  # fmt: skip
TOP = 5  # best and worst products shown in the picture (the table has them all)
DEFAULT_DAYS = 30


def _filters(request: Request) -> tuple[date, date, str | None]:
    q = request.query_params
    today = utcnow().date()
    start = q.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    end = q.get("to") or today.isoformat()
    first, last = margin.parse_range(start[:10], end[:10])
    channel = (q.get("channel") or "").strip()[:40] or None
    return first, last, channel


def _query(first: date, last: date, channel: str | None, **extra: str) -> str:
    params = {"from": first.isoformat(), "to": last.isoformat(), **extra}
    if channel:
        params["channel"] = channel
    return urlencode(params)


def _number(value: Any) -> Decimal:
    """A cell as a number for sorting (blank cells sort first)."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("-1e18")
    except ArithmeticError:
        return Decimal("-1e18")


def _sorted(rows: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    if column in ("label", "key"):
        return sorted(rows, key=lambda r: str(r.get(column) or "").lower(), reverse=descending)
    return sorted(rows, key=lambda r: _number(r.get(column)), reverse=descending)


def _sort_of(request: Request, table: str, columns: tuple[str, ...]) -> tuple[str, bool]:
    """``sort=<table>.<column>.<asc|desc>`` sorts that table; the others keep their order."""
    name, _, rest = (request.query_params.get("sort") or "").partition(".")
    column, _, direction = rest.partition(".")
    if name == table and column in columns:
        return column, direction != "asc"
    return ("label", False) if table == "day" else ("margin", True)


@reads
def _channels(s: Session) -> list[str]:
    return list(s.scalars(select(Channel.code).order_by(Channel.code)))


@long_reads
def dashboard_figures(
    s: Session, first: date, last: date, reporting: str, channel: str | None
) -> dict[str, Any]:
    """Every table's report, in one read snapshot."""
    return {
        "reports": {g: margin.margin_report(s, g, first, last, reporting, channel) for g in TABLES},
        "work": margin_work.work_report(s, "channel", first, last, channel),
        "channels": _channels(s),
    }


def _drill(table: str, key: str, first: date, last: date, channel: str | None) -> str:
    return "/ui/margins/orders?" + _query(first, last, channel, by=table, key=key)


def _table(
    request: Request, name: str, title: str, report: dict[str, Any], first: date, last: date,
    channel: str | None,
) -> dict[str, Any]:  # fmt: skip
    column, descending = _sort_of(request, name, COLUMNS)
    rows = [
        {**r, "href": _drill(name, r["key"], first, last, channel) if name in DRILL else ""}
        for r in report["rows"]
    ]
    return {
        "name": name, "title": title, "columns": COLUMNS,
        "rows": _sorted(rows, column, descending), "total": report["total"],
        "sort": column, "desc": descending,
        "csv": "/ui/margins/table.csv?" + _query(first, last, channel, table=name),
    }  # fmt: skip


def _bars(report: dict[str, Any], name: str, first: date, last: date, ch: str | None) -> list[Bar]:
    return [
        Bar(r["key"], r["label"] or r["key"] or "(none)", Decimal(r["margin"]),
            _drill(name, r["key"], first, last, ch))
        for r in report["rows"]
    ]  # fmt: skip


@get("/")
async def dashboard(request: Request) -> Template:
    first, last, channel = _filters(request)
    reporting = _settings(request.app.state).reporting_currency
    await _db(request).run(margin_summary.refresh)  # the days changed since, from the facts
    figures = await _db(request).run(dashboard_figures, first, last, reporting, channel)
    reports = figures["reports"]
    products = sorted(_bars(reports["product"], "product", first, last, channel),
                      key=lambda b: b.value, reverse=True)  # fmt: skip
    best = products[:TOP]
    worst = list(reversed(products))[:TOP]  # lowest first; with few products, all of them
    # Creators and their content, ranked by margin after commission (sales with no creator
    # are the shop's own: left out of the ranking, kept in the table).
    creators = sorted((b for b in _bars(reports["creator"], "creator", first, last, channel)
                       if b.key), key=lambda b: b.value, reverse=True)  # fmt: skip
    content = sorted((b for b in _bars(reports["content"], "content", first, last, channel)
                      if b.key != ":"), key=lambda b: b.value, reverse=True)  # fmt: skip
    content = [Bar(b.key, f"{b.label} {b.key}", b.value, b.href) for b in content]
    currency = reporting
    work = figures["work"]
    work_column, work_desc = _sort_of(request, "work", WORK_COLUMNS)
    work_rows = [{f: getattr(r, f) for f in (*WORK_COLUMNS, "key")} for r in work.rows]
    return _page(
        request, "margins/dashboard.html",
        first=first, last=last, channel=channel or "", channels=figures["channels"],
        currency=currency, total=reports["channel"]["total"],
        excluded=reports["channel"]["excluded"], missing_rate=reports["channel"]["missing_rate"],
        charts={
            "channel": hbars("margin-by-channel",
                             _bars(reports["channel"], "channel", first, last, channel), currency),
            "day": vbars("margin-per-day", _bars(reports["day"], "day", first, last, channel),
                         currency),
            "best": hbars("best-products", best, currency),
            "worst": hbars("worst-products", worst, currency),
            "creators": hbars("creators", creators, currency),
            "content": hbars("content", content[:10], currency),
        },
        tables=[
            _table(request, "channel", "By channel", reports["channel"], first, last, channel),
            _table(request, "product", "By product", reports["product"], first, last, channel),
            _table(request, "creator", "By creator", reports["creator"], first, last, channel),
            _table(request, "content", "By video, live or showcase", reports["content"], first,
                   last, channel),
            _table(request, "day", "By day", reports["day"], first, last, channel),
        ],
        work={
            "columns": WORK_COLUMNS, "rows": _sorted(work_rows, work_column, work_desc),
            "total": {f: getattr(work.total, f) for f in WORK_COLUMNS},
            "sort": work_column, "desc": work_desc,
            "csv": "/ui/margins/table.csv?" + _query(first, last, channel, table="work"),
        },
        query=_query(first, last, channel),
    )  # fmt: skip


@long_reads
def orders_behind(
    s: Session,
    by: str,
    key: str,
    first: date,
    last: date,
    reporting: str,
    channel: str | None,
    sort: str | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """The orders a figure is made of, a sorted page of them: each order's whole margin."""
    if by not in DRILL:
        raise WmsError("bad_group", "Unknown grouping", f"by is one of {', '.join(DRILL)}")
    return margin_orders.order_page(
        s, first, last, reporting, channel, sort, ORDER_PAGE, (page - 1) * ORDER_PAGE, (by, key)
    )  # fmt: skip


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10**6 else 1


@get("/orders")
async def drill_down(request: Request) -> Template:
    first, last, channel = _filters(request)
    by = request.query_params.get("by", "channel")
    key = request.query_params.get("key", "")[:200]
    reporting = _settings(request.app.state).reporting_currency
    column, descending = _sort_of(request, "orders", COLUMNS)
    if column not in margin_orders.SORTS:  # sorted in SQL: by what the page can rank
        column, descending = "margin", True
    sort = ("-" if descending else "") + column
    number = _page_number(request)
    report = await _db(request).run(
        orders_behind, by, key, first, last, reporting, channel, sort, number
    )
    rows = [{**r, "href": f"/ui/orders/{r['key']}"} for r in report["rows"]]
    here = _query(first, last, channel, by=by, key=key)
    sorted_by = "&sort=" + f"orders.{column}.{'desc' if descending else 'asc'}"
    pages = max(1, -(-report["count"] // ORDER_PAGE))
    return _page(
        request, "margins/orders.html", by=by, key=key, first=first, last=last,
        channel=channel or "", currency=reporting,
        table={
            "name": "orders", "title": "Orders", "columns": COLUMNS,
            "rows": rows, "total": None, "sort": column, "desc": descending,
            "csv": "/ui/margins/table.csv?" + _query(first, last, channel, table="orders",
                                                     by=by, key=key),
        },
        query=here,
        paging={
            "count": report["count"], "page": number, "pages": pages,
            "prev": f"/ui/margins/orders?{here}{sorted_by}&page={number - 1}"
            if number > 1 else "",
            "next": f"/ui/margins/orders?{here}{sorted_by}&page={number + 1}"
            if number < pages else "",
        },
    )  # fmt: skip


@get("/table.csv")
async def table_csv(request: Request) -> Response[str]:
    """Any table of the dashboard (or a drill-down's orders) as CSV, with the page's filters."""
    first, last, channel = _filters(request)
    table = request.query_params.get("table", "channel")
    reporting = _settings(request.app.state).reporting_currency
    db = _db(request)
    if table == "work":
        work = await db.run(margin_work.work_report, "channel", first, last, channel)
        body = margin_work.as_csv(work)
    elif table == "orders":
        by = request.query_params.get("by", "channel")
        key = request.query_params.get("key", "")[:200]
        if by not in DRILL:
            raise WmsError("bad_group", "Unknown grouping", f"by is one of {', '.join(DRILL)}")
        name = f"margins-orders-{first}-{last}.csv"
        return Stream(  # type: ignore[return-value]
            margin_orders.csv_chunks(db, first, last, reporting, channel, (by, key)),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    elif table in TABLES:
        await db.run(margin_summary.refresh)
        body = margin.as_csv(await db.run(_one_report, table, first, last, reporting, channel))
    else:
        raise WmsError("bad_table", "Unknown table", f"table is one of {', '.join(TABLES)}")
    name = f"margins-{table}-{first}-{last}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@long_reads
def _one_report(
    s: Session, group: str, first: date, last: date, reporting: str, channel: str | None
) -> dict[str, Any]:
    return margin.margin_report(s, group, first, last, reporting, channel)


MARGINS = Router(
    path="/ui/margins",
    route_handlers=[dashboard, drill_down, table_csv],
    before_request=_gate,
    middleware=[ConsoleHeaders],
    exception_handlers={WmsError: _error_page},
    include_in_schema=False,
)
ROUTES: list[Any] = [MARGINS]
