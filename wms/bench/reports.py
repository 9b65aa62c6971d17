"""`wms bench reports`: a year of a mid-size merchant, and the time of each margin report.

Loads ``--orders`` orders (default 200,000) over the year to 2026-11-30 on four channels,
``--skus`` products and ``--creators`` creators, with their money facts as intake,
picking, packing and TikTok's statements write them, then times every grouping of the
margin report for one month and for the whole year (p50 and p99 over ``--repeat`` runs).
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

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms import migrate
from wms.bench.common import add_site_argument
from wms.db import Database, long_running, reads
from wms.models import Channel, OrderLine, Product, SalesOrder
from wms.models.money import CurrencyRate, LineAttribution, MoneyFact
from wms.reports import margin
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


async def _prepare(url: str, site: Path, orders: int, skus: int, creators: int, seed: int) -> None:
    rng = random.Random(seed)
    db = Database(url)
    try:
        await loader.load_warehouse(db, site)
        channels, products = await db.run(_products_and_rates, rng, skus)
        order_t = _template(SalesOrder, channel_id=1, external_id="x", status="shipped")
        line_t = _template(OrderLine, order_id=1, line_no=1, product_id=1, sku="x", qty=1)
        done = 0
        while done < orders:
            n = min(CHUNK, orders - done)
            await db.run(_chunk, rng, done, n, channels, products, creators, order_t, line_t)
            done += n
    finally:
        await db.dispose()


def _products_and_rates(
    s: Session, rng: random.Random, skus: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str, Decimal]]]:
    """The bench's products and a year of rates; returns (channels, products)."""
    channels = [(c.id, c.code) for c in (s.execute(select(Channel))).scalars()]
    base = _template(Product, sku="x", name="x")
    s.execute(
        insert(Product.__table__),
        [base | {"sku": f"BENCH-{n:04d}", "name": f"Bench product {n}", "weight_g":
                 rng.randint(50, 2000), "unit_cost": Decimal(rng.randint(100, 4000)) / 100}
         for n in range(skus)],
    )  # fmt: skip
    products = [
        (p.id, p.sku, p.unit_cost)
        for p in (s.execute(select(Product).where(Product.sku.like("BENCH-%"))))
        .scalars()
    ]  # fmt: skip
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
    return channels, products


@long_running
def _chunk(
    s: Any,
    rng: random.Random,
    first: int,
    n: int,
    channels: list[tuple[int, str]],
    products: list[tuple[int, str, Decimal]],
    creators: int,
    order_t: dict[str, Any],
    line_t: dict[str, Any],
) -> None:
    conn = s.connection()
    orders = []
    for k in range(first, first + n):
        channel_id, code = channels[k % len(channels)]
        placed = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(365 * 86400)
        )
        currency = rng.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0]
        status = rng.choices(["shipped", "delivered", "cancelled", "awaiting_payment"],
                             [0.6, 0.34, 0.04, 0.02])[0]  # fmt: skip
        orders.append(order_t | {"channel_id": channel_id, "external_id": f"B{k}",
                                 "reference": f"B{k}", "status": status, "currency": currency,
                                 "placed_at": placed, "created_at": placed, "updated_at": placed,
                                 "_tiktok": code.startswith("tiktok")})  # fmt: skip
    ids = []
    for o in orders:
        row = {k: v for k, v in o.items() if not k.startswith("_")}
        ids.append(
            conn.execute(insert(SalesOrder.__table__).returning(SalesOrder.id), row).scalar_one()
        )
    lines, facts, attributions = [], [], []
    for order_id in ids:
        for line_no in range(1, rng.choice((1, 1, 2, 3)) + 1):
            pid, sku, cost = rng.choice(products)
            qty = rng.choice((1, 1, 1, 2, 3))
            lines.append(
                line_t | {"order_id": order_id, "line_no": line_no, "product_id": pid, "sku": sku,
                          "qty": qty, "unit_price": cost * 2, "unit_cost": cost, "picked": qty,
                          "packed": qty, "allocated": qty}
            )  # fmt: skip
    conn.execute(insert(OrderLine.__table__), lines)
    rows = conn.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.qty,
            OrderLine.unit_price,
            OrderLine.unit_cost,
        ).where(OrderLine.order_id.in_(ids))  # fmt: skip
    ).all()
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


async def _time(url: str, repeat: int) -> dict[str, dict[str, float]]:
    db = Database(url)
    out: dict[str, dict[str, float]] = {}
    ranges = {"month": (date(2026, 11, 1), LAST_DAY), "year": (FIRST_DAY, LAST_DAY)}
    try:
        for group in margin.GROUPS:
            for span, (first, last) in ranges.items():
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    await db.run(_margin_report, group, first, last)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                out[f"{group}/{span}"] = {
                    "p50_ms": round(statistics.median(times), 1),
                    "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
                }
    finally:
        await db.dispose()
    return out


@reads
def _margin_report(s: Session, group: str, first: date, last: date) -> Any:
    return margin.margin_report(s, group, first, last, "USD", None)


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
