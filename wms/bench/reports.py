"""`wms bench reports`: a year of a mid-size merchant, and the time of each margin report.

Loads ``--orders`` orders (default 200,000) over the year to 2026-11-30 on four channels,
``--skus`` products and ``--creators`` creators, with their money facts as intake,
picking, packing and TikTok's statements write them (and the reports' daily summary built
from them), then times every grouping of the margin report and of the warehouse-work
report for one month and for the whole year (p50 and p99 over ``--repeat`` runs). Rows
are written with bulk Core inserts (ids given here) in a worker thread, a chunk a
transaction.
Writes ``orders``, ``load_s`` and ``by_report`` (``{group}/{month|year}`` → p50_ms,
p99_ms) to ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from wms import migrate
from wms.bench import work_data
from wms.bench.common import add_site_argument
from wms.db import Database, long_running, reads
from wms.models import Channel, OrderLine, Product, SalesOrder
from wms.models.money import CurrencyRate, LineAttribution, MarginStale, MoneyFact
from wms.reports import margin, margin_orders, margin_summary, margin_work
from wms.services import loader

LAST_DAY = date(2026, 11, 30)
FIRST_DAY = LAST_DAY - timedelta(days=364)
CURRENCIES = (("USD", 0.8), ("EUR", 0.15), ("GBP", 0.05))
CONTENT = ("VIDEO", "LIVE", "SHOP")
CHUNK = 2000


def _template(model: Any, **required: Any) -> dict[str, Any]:
    row = model(**required).model_dump()
    row.pop("id", None)
    return row


def _catalogue(s: Session, rng: random.Random, skus: int) -> tuple[list[Any], list[Any], int, int]:
    """The bench's products and a year of ECB-style rates; the channels and the next ids."""
    channels = [(c.id, c.code) for c in s.execute(select(Channel)).scalars()]
    base = _template(Product, sku="x", name="x")
    s.execute(
        insert(Product.__table__),
        [base | {"sku": f"BENCH-{n:04d}", "name": f"Bench product {n}", "weight_g":
                 rng.randint(50, 2000), "unit_cost": Decimal(rng.randint(100, 4000)) / 100}
         for n in range(skus)],
    )  # fmt: skip
    products = [
        (p.id, p.sku, p.unit_cost)
        for p in s.execute(select(Product).where(Product.sku.like("BENCH-%"))).scalars()
    ]
    day, rates = FIRST_DAY - timedelta(days=7), []
    while day <= LAST_DAY:
        if day.weekday() < 5:
            for currency, per_eur in (("USD", "1.08"), ("GBP", "0.84")):
                rates.append(
                    {"day": day, "currency": currency, "per_eur": Decimal(per_eur),
                     "source": "bench"}
                )  # fmt: skip
        day += timedelta(days=1)
    now = datetime.now(UTC)
    s.execute(insert(CurrencyRate.__table__), [r | {"loaded_at": now} for r in rates])
    next_order = int(s.execute(select(func.coalesce(func.max(SalesOrder.id), 0))).scalar_one())
    next_line = int(s.execute(select(func.coalesce(func.max(OrderLine.id), 0))).scalar_one())
    return channels, products, next_order + 1, next_line + 1


@long_running
def _sequences(s: Session) -> None:
    """PostgreSQL's id sequences past the ids the bench gave its rows itself."""
    if s.bind.dialect.name != "postgresql":  # type: ignore[union-attr]
        return
    for table in ("sales_order", "order_line", "money_fact", "line_attribution"):
        s.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                 f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        )  # fmt: skip


async def _prepare(url: str, site: Path, orders: int, skus: int, creators: int, seed: int) -> None:
    rng = random.Random(seed)
    db = Database(url)
    try:
        await loader.load_warehouse(db, site)
        channels, products, order_id, line_id = await db.run(_catalogue, rng, skus)
        order_t = _template(SalesOrder, channel_id=1, external_id="x", status="shipped")
        line_t = _template(OrderLine, order_id=1, line_no=1, product_id=1, sku="x", qty=1)
        # The triggers mark a day stale for each row written (~12 rows an order); the bulk
        # load marks its chunk's days once instead, and puts the triggers back as they were.
        triggers = await db.run(_triggers_off)
        done = 0
        while done < orders:
            n = min(CHUNK, orders - done)
            # Ids given here, not read back: one multi-row insert per table and chunk (an
            # order has at most 3 lines, so 4 line ids an order never overlap).
            ids = (order_id + done, line_id + done * 4)
            await db.run(_chunk, rng, done, n, ids, channels, products, creators, order_t, line_t)
            done += n
        await db.run(_triggers_on, triggers)
        await db.run(_sequences)
        # The summary of every day the load marked stale: part of the load, as intake's is.
        await db.run(margin_summary.refresh_all)
    finally:
        await db.dispose()


@long_running
def _chunk(
    s: Any,
    rng: random.Random,
    first: int,
    n: int,
    first_ids: tuple[int, int],
    channels: list[tuple[int, str]],
    products: list[tuple[int, str, Decimal]],
    creators: int,
    order_t: dict[str, Any],
    line_t: dict[str, Any],
) -> None:
    """One chunk of orders, their lines, facts and attributions: bulk Core inserts."""
    conn = s.connection()
    orders = []
    next_order, next_line = first_ids
    for k in range(first, first + n):
        channel_id, code = channels[k % len(channels)]
        placed = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(365 * 86400)
        )
        currency = rng.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0]
        status = rng.choices(["shipped", "delivered", "cancelled", "awaiting_payment"],
                             [0.6, 0.34, 0.04, 0.02])[0]  # fmt: skip
        orders.append(order_t | {"id": next_order + k - first, "channel_id": channel_id,
                                 "external_id": f"B{k}", "reference": f"B{k}", "status": status,
                                 "currency": currency,
                                 "placed_at": placed, "created_at": placed, "updated_at": placed,
                                 "_tiktok": code.startswith("tiktok")})  # fmt: skip
    work_data.ship_by(orders)  # the floor's side (helper c): wms/bench/work_data.py
    conn.execute(
        insert(SalesOrder.__table__),
        [{k: v for k, v in o.items() if not k.startswith("_")} for o in orders],
    )
    ids = [o["id"] for o in orders]
    lines: list[dict[str, Any]] = []
    facts, attributions = [], []
    for order_id in ids:
        for line_no in range(1, rng.choice((1, 1, 2, 3)) + 1):
            pid, sku, cost = rng.choice(products)
            qty = rng.choice((1, 1, 1, 2, 3))
            lines.append(
                line_t | {"id": next_line + len(lines), "order_id": order_id, "line_no": line_no,
                          "product_id": pid, "sku": sku, "qty": qty, "unit_price": cost * 2,
                          "unit_cost": cost, "picked": qty, "packed": qty, "allocated": qty}
            )  # fmt: skip
    conn.execute(insert(OrderLine.__table__), lines)
    work_data.add(conn, orders, lines)
    rows = [(x["id"], x["order_id"], x["qty"], x["unit_price"], x["unit_cost"]) for x in lines]
    by_order = {order_id: o for order_id, o in zip(ids, orders, strict=True)}
    for line_id, order_id, qty, price, cost in rows:
        o = by_order[order_id]
        revenue = int(price * qty * 10000)
        at = o["placed_at"]

        own = o["currency"]
        kinds = [
            ("revenue", revenue, own, "intake", True),
            ("fee", revenue * 6 // 100, own, "fee_model", not o["_tiktok"]),
            ("goods", int(cost * qty * 10000), "USD", "pick", True),
            ("packaging", 2000, "USD", "carton", True),
            ("shipping", 30000, "USD", "carrier_rate", True),
        ]
        if o["_tiktok"]:
            kinds.append(("fee", revenue * 5 // 100, own, "statement", True))
            if rng.random() < 0.6:
                creator = f"creator{rng.randrange(creators):03d}"
                kind = rng.choice(CONTENT)
                kinds.append(("commission", revenue // 10, own, "affiliate", True))
                content_id = f"{kind}-{creator}-{rng.randrange(20)}"
                attributions.append(
                    {"order_id": order_id, "line_id": line_id, "creator": creator,
                     "content_type": kind, "content_id": content_id, "commission_rate_bp": 1000,
                     "estimated_commission": Decimal(revenue // 10) / 10000,
                     "actual_commission": None}
                )  # fmt: skip
        facts += [
            {"order_id": order_id, "line_id": line_id, "kind": k, "amount_e4": e4,
             "currency": c, "source": src, "current": cur, "at": at}
            for k, e4, c, src, cur in kinds
        ]  # fmt: skip
    conn.execute(insert(MoneyFact.__table__), facts)
    if attributions:
        conn.execute(insert(LineAttribution.__table__), attributions)
    # What the triggers (set aside for the load) would have marked: the chunk's days.
    days = sorted({o["placed_at"].date().isoformat() for o in orders})
    existing = set(s.execute(select(MarginStale.day).where(MarginStale.day.in_(days))).scalars())
    if fresh := [{"day": d} for d in days if d not in existing]:
        conn.execute(insert(MarginStale.__table__), fresh)


@long_running
def _triggers_off(s: Session) -> list[str]:
    """Set the margin_stale triggers aside (the bench's own database); their SQL to restore."""
    if s.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        names = list(s.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'margin_stale_%' AND NOT t.tgisinternal"
        )))  # fmt: skip
        for table, name in names:
            s.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"'))
        return [f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"' for table, name in names]
    rows = list(s.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'margin_stale_%'"
    )))  # fmt: skip
    for name, _sql in rows:
        s.execute(text(f'DROP TRIGGER "{name}"'))
    return [sql for _name, sql in rows]


@long_running
def _triggers_on(s: Session, statements: list[str]) -> None:
    for statement in statements:
        s.execute(text(statement))


@reads
def _margin(s: Session, group: str, first: date, last: date, channel: str | None) -> Any:
    if group == "order":  # as the API answers it: the range's total and the first page
        return margin_orders.order_page(s, first, last, "USD", channel)
    return margin.margin_report(s, group, first, last, "USD", channel)


async def _time(url: str, repeat: int) -> dict[str, dict[str, float]]:
    db = Database(url)
    out: dict[str, dict[str, float]] = {}
    ranges = {"month": (date(2026, 11, 1), LAST_DAY), "year": (FIRST_DAY, LAST_DAY)}
    reports = [(f"{g}", _margin, g) for g in margin.GROUPS] + [
        (f"work_{g}", margin_work.work_report, g) for g in margin_work.GROUPS
    ]
    try:
        for name, report, group in reports:
            for span, (first, last) in ranges.items():
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    await db.run(report, group, first, last, None)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                out[f"{name}/{span}"] = {
                    "p50_ms": round(statistics.median(times), 1),
                    "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                }
    finally:
        await db.dispose()
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wms bench reports")
    add_site_argument(parser)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--creators", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    url = args.database or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='wms-bench-reports-')) / 'r.sqlite'}"
    )
    migrate.upgrade(url)
    start = time.perf_counter()
    asyncio.run(_prepare(url, args.site, args.orders, args.skus, args.creators, args.seed))
    load_s = round(time.perf_counter() - start, 1)
    result = {
        "orders": args.orders,
        "load_s": load_s,
        "by_report": asyncio.run(_time(url, args.repeat)),
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
